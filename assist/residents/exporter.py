"""Export the (filtered, scoped) resident list to xlsx — tracker issue #2, item 8.

The rows come from :func:`assist.residents.services.filtered`, the same scoped query as the list
page, so a caseworker exports exactly what they may see. They are read in chunks and written row by
row with openpyxl's write-only mode: 100,000 residents never sit in memory at once. The columns are
the import template's (:mod:`assist.residents.sheet`) plus a few read from the register (gender,
birth date, age, status), so an export with full ID numbers can be imported elsewhere as it is.
ID numbers are masked unless the caller asks for them in full; every export is audited.
"""
from __future__ import annotations

import dataclasses
import re
from typing import IO

import openpyxl
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from assist.areas import services as area_services
from assist.core import audit, crypto
from assist.extensions import db
from assist.residents import services, sheet
from assist.residents.conditions import ASSISTANCE_ZH, CHILD_STATUS_ZH
from assist.residents.models import Resident
from assist.residents.sheet import BY_COLUMN_KEY, COLUMNS

GENDER_ZH = {"male": "男", "female": "女"}
STATUS_ZH = {"active": "在册", "suspended": "暂停", "terminated": "终止"}
CHUNK = 1000

# (key, header, width): keys starting with "#" are read from the register, the rest are COLUMNS.
_DERIVED = {"#seq": ("序号", 7), "#gender": ("性别", 6), "#birth": ("出生日期", 12), "#age": ("年龄", 6),
            "#street": ("所属街道", 14), "#status": ("状态", 8)}
_ORDER = ["#seq", "name", "id_number", "#gender", "#birth", "#age", "phone", "#street", "area_code", "address",
          "assistance_type", "assistance_since", "#status", "emergency_contact_name", "emergency_contact_phone",
          "assessed_on"]
LAYOUT = _ORDER + [c.key for c in COLUMNS if c.key not in _ORDER]  # every condition, in its defined order


def headers() -> list[str]:
    return [_DERIVED[k][0] if k in _DERIVED else BY_COLUMN_KEY[k].zh for k in LAYOUT]


def _values(r: Resident, seq: int, full_ids: bool, area_names: dict[str, str]) -> dict:
    street = r.area.path.strip("/").split("/")[1] if r.area.path.count("/") > 2 else None
    out = {
        "#seq": seq, "#gender": GENDER_ZH.get(r.gender, r.gender), "#birth": r.birth_date, "#age": r.age,
        "#street": area_names.get(street, "") if street else "", "#status": STATUS_ZH.get(r.status, r.status),
        "id_number": r.id_number if full_ids else r.id_number_masked, "name": r.name, "phone": r.phone or "",
        "area_code": r.area.name, "address": r.address or "",
        "assistance_type": ASSISTANCE_ZH.get(r.assistance_type, r.assistance_type),
        "assistance_since": r.assistance_since, "emergency_contact_name": r.emergency_contact_name or "",
        "emergency_contact_phone": r.emergency_contact_phone or "", "assessed_on": r.assessed_on,
    }
    for col in COLUMNS:
        if not col.is_condition:
            continue
        value = getattr(r, col.key)
        if col.kind == "level":
            out[col.key] = sheet.level_text(col.key, value)
        elif col.kind == "child":
            out[col.key] = CHILD_STATUS_ZH.get(value, value)
        else:
            out[col.key] = sheet.bool_text(value)
    return out


def export_residents(user, filters: services.Filters, out: IO[bytes], *, full_ids: bool = False) -> int:
    """Write the residents ``user`` may see that match ``filters`` to ``out`` as xlsx; returns the
    number of rows. Writes the ``export`` audit entry (flush; the caller commits)."""
    stmt = services.filtered(user, filters)  # raises ValidationError for a bad filter, before any writing
    stmt = stmt.order_by(Resident.area_code, Resident.name_pinyin, Resident.id).execution_options(yield_per=CHUNK)
    area_names = area_services.names()

    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("救助对象")
    for i, key in enumerate(LAYOUT, 1):
        width = _DERIVED[key][1] if key in _DERIVED else BY_COLUMN_KEY[key].width
        ws.column_dimensions[get_column_letter(i)].width = width
    ws.freeze_panes = "C2"
    bold, centred = Font(bold=True), Alignment(horizontal="center", vertical="center", wrap_text=True)
    head = []
    for text in headers():
        cell = WriteOnlyCell(ws, value=text)
        cell.font, cell.alignment = bold, centred
        head.append(cell)
    ws.append(head)

    date_keys = {k for k in LAYOUT if k == "#birth" or (k in BY_COLUMN_KEY and BY_COLUMN_KEY[k].kind == "date")}
    n = 0
    for resident in db.session.scalars(stmt):
        n += 1
        values = _values(resident, n, full_ids, area_names)
        row = []
        for key in LAYOUT:
            value = values[key]
            if key in date_keys and value is not None:
                cell = WriteOnlyCell(ws, value=value)
                cell.number_format = "yyyy-mm-dd"
                row.append(cell)
            else:
                row.append(value)
        ws.append(row)
    wb.save(out)
    audit.record("export", "resident", None, {**_filter_summary(filters), "rows": n,
                                              "id_numbers": "full" if full_ids else "masked"}, actor=user)
    return n


def _filter_summary(filters: services.Filters) -> dict:
    """The filters that were set (the audit shows what was exported, not every empty field)."""
    out = {k: v for k, v in dataclasses.asdict(filters).items() if v not in (None, "", [])}
    if "q" in out and re.fullmatch(r"[0-9Xx\s-]{10,}", out["q"]):
        out["q"] = crypto.mask_id_number(re.sub(r"[\s-]", "", out["q"]))  # never an ID number in clear
    return out
