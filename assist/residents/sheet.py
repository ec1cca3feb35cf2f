"""The resident spreadsheet: one column layout for the import template, the importer and the export.

Headers are Chinese whatever the reader's language (the sheet is a document exchanged with other
offices, like the printed forms); the English keys of the API are accepted as headers too. The
condition columns are generated from :data:`assist.residents.conditions.CONDITIONS`, so a condition
added there appears in the template, the import and the export without being written again.
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from assist.residents.conditions import ASSISTANCE_ZH, BY_KEY, CHILD_STATUS_ZH, CONDITIONS
from assist.residents.services import LABELS

SELF_CARE_ZH = {0: "能力完好", 1: "轻度", 2: "中度", 3: "重度", 4: "完全丧失"}  # GB/T 42195-2022
DISABILITY_ZH = {0: "无", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}
LEVEL_ZH = {"self_care_level": SELF_CARE_ZH, "disability_grade": DISABILITY_ZH}
YES, NO = "是", "否"

# The ID number of the template's example row (the sample number of GB 11643 itself): a row with
# it is the example left in place, never a person, and is skipped on import.
EXAMPLE_ID_NUMBER = "11010519491231002X"


@dataclass(frozen=True)
class Column:
    key: str  # the API key (or condition key) the column fills
    zh: str  # the header
    kind: str  # id | text | phone | area | assistance | date | level | bool | child
    label: object  # lazy, for the UI
    required: bool = False
    aliases: tuple[str, ...] = ()
    width: int = 10
    hint: object = None  # lazy, for the template's instructions

    @property
    def is_condition(self) -> bool:
        return self.key in BY_KEY


_BOOL_HINT = _l("%(yes)s or %(no)s; empty means %(no)s.", yes=YES, no=NO)
_IDENTITY = (
    Column("id_number", "身份证号码", "id", LABELS["id_number"], True, ("身份证号", "公民身份号码", "身份证", "证件号码"), 21,
           _l("18 characters. Keep the column formatted as text: Excel keeps only 15 digits of a number.")),
    Column("name", "姓名", "text", LABELS["name"], True, (), 10),
    Column("phone", "联系电话", "phone", LABELS["phone"], False, ("电话", "手机", "手机号", "手机号码", "联系方式"), 14,
           _l("An 11-digit mobile number.")),
    Column("area_code", "所属社区", "area", LABELS["area_code"], True,
           ("社区", "所属社区(村)", "社区(村)", "所在社区", "area"), 14,
           _l("The community's (or grid's) name as in the system, or its 12-digit code.")),
    Column("address", "住址", "text", LABELS["address"], False, ("地址", "家庭住址", "居住地址", "现住址"), 26),
    Column("assistance_type", "救助类别", "assistance", LABELS["assistance_type"], True,
           ("救助对象类别", "对象类别", "类别"), 16, _l("One of: %(choices)s.", choices=", ".join(ASSISTANCE_ZH.values()))),
    Column("assistance_since", "纳入救助日期", "date", LABELS["assistance_since"], False, ("救助起始日期", "纳入日期"), 13,
           _l("A date, e.g. 2024-05-01; empty means today.")),
    Column("emergency_contact_name", "紧急联系人", "text", LABELS["emergency_contact_name"], False, (), 10),
    Column("emergency_contact_phone", "紧急联系人电话", "phone", LABELS["emergency_contact_phone"], False,
           ("紧急联系电话", "紧急联系人手机"), 14),
    Column("assessed_on", "评估日期", "date", LABELS["assessed_on"], False, ("需求评估日期",), 12,
           _l("The date of the needs assessment; empty means today.")),
)
_CONDITION_HINTS = {
    "self_care_level": _l("One of: %(choices)s (GB/T 42195-2022). Empty means %(empty)s.",
                          choices=", ".join(f"{k} {v}" for k, v in SELF_CARE_ZH.items()), empty="0"),
    "disability_grade": _l("One of: %(choices)s (grade 1 is the most severe). Empty means %(empty)s.",
                           choices=", ".join(f"{k} {v}" for k, v in DISABILITY_ZH.items()), empty="0"),
    "child_status": _l("One of: %(choices)s. Empty means %(empty)s.",
                       choices=", ".join(CHILD_STATUS_ZH.values()), empty=CHILD_STATUS_ZH["none"]),
}
COLUMNS: tuple[Column, ...] = _IDENTITY + tuple(
    Column(c.key, c.zh, c.kind, c.label, False, ("是否" + c.zh,) if c.kind == "bool" else (),
           12 if c.kind == "level" else max(6, len(c.zh) * 2 + 2), _CONDITION_HINTS.get(c.key, _BOOL_HINT))
    for c in CONDITIONS)
BY_COLUMN_KEY = {c.key: c for c in COLUMNS}

# Columns the export adds (read from the ID number or the register): an import ignores them quietly.
DERIVED_HEADERS = ("序号", "性别", "出生日期", "年龄", "状态", "所属街道")

_ZERO_WIDTH = dict.fromkeys(map(ord, "\u200b\u200c\u200d\u2060\ufeff"))


def normalise_header(text) -> str:
    """``身份证号码 *``, ``（必填）姓名``, ``ID_Number`` → comparable keys."""
    value = unicodedata.normalize("NFKC", str(text)).translate(_ZERO_WIDTH)
    value = re.sub(r"\s+", "", value).replace("*", "").replace("(必填)", "").replace("(选填)", "")
    return value.lower()


_HEADER_INDEX: dict[str, Column] = {}
for _col in COLUMNS:
    for _name in (_col.zh, _col.key, *_col.aliases):
        _HEADER_INDEX.setdefault(normalise_header(_name), _col)
_DERIVED = {normalise_header(h) for h in DERIVED_HEADERS}


def column_for(header) -> Column | None:
    return _HEADER_INDEX.get(normalise_header(header))


def is_derived(header) -> bool:
    return normalise_header(header) in _DERIVED


def clean_text(value) -> str | None:
    """A cell as text: full-width forms folded, zero-width and surrounding spaces gone; None if empty."""
    if value is None:
        return None
    if isinstance(value, bool):
        return YES if value else NO
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, dt.datetime):
        value = value.date() if value.time() == dt.time() else value
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    text = unicodedata.normalize("NFKC", str(value)).translate(_ZERO_WIDTH).strip()
    return text or None


# --- values as written into a sheet ---------------------------------------------------------------

def level_text(key: str, value: int) -> str:
    return f"{value} {LEVEL_ZH[key][value]}"


def level_choices(key: str) -> list[str]:
    return [level_text(key, v) for v in LEVEL_ZH[key]]


def assistance_choices() -> list[str]:
    return list(ASSISTANCE_ZH.values())


def child_choices() -> list[str]:
    return list(CHILD_STATUS_ZH.values())


def bool_text(value: bool) -> str:
    return YES if value else NO
