"""Import residents from a spreadsheet (xlsx, or CSV in UTF-8 or GBK) — tracker issue #2, item 8.

How an import behaves (what the page tells the user):

- The file as a whole is checked first (type, size, text encoding, header row, required columns);
  a file that fails is refused with one clear message and nothing is recorded.
- Every row then goes through :func:`assist.residents.services.register` — the same validation,
  scope check, duplicate check and audit entry as registering one person by hand. Each row is
  all-or-nothing (resident, assessment and audit entry are written in one savepoint).
- Valid rows are imported; invalid rows are *not* imported and come back as a report of
  (row, column, message). Rows whose ID number is already registered are skipped and counted
  apart, so importing a corrected file again adds only the rows that were missing.
- "Only check" runs every row the same way and then rolls each back: nothing is imported.
- Small files are imported within the upload request; larger ones by a background thread that
  commits every ``IMPORT_BATCH_SIZE`` rows, so the page can show the progress.
"""
from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import logging
import os
import re
import threading
from dataclasses import asdict, dataclass, field
from typing import Callable, Iterator

import openpyxl
import sqlalchemy as sa
from flask import current_app
from flask_babel import force_locale, get_locale
from flask_babel import gettext as _
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel
from sqlalchemy.exc import IntegrityError

from assist.areas.models import Area
from assist.core import audit
from assist.core.db import utcnow
from assist.core.errors import Conflict, ValidationError
from assist.core.scoping import scope_rule
from assist.core.validation import Invalid
from assist.extensions import db
from assist.residents import idnumber, services, sheet
from assist.residents.conditions import ASSISTANCE_ZH, BY_KEY, CHILD_STATUS_ZH
from assist.residents.models import ImportJob
from assist.residents.sheet import COLUMNS, Column, clean_text

log = logging.getLogger(__name__)

XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # .xls, and password-protected .xlsx
CSV_EXTENSIONS = (".csv", ".txt", ".tsv")
HEADER_SCAN_ROWS = 10  # a title row or two above the headers is common in office spreadsheets
BLANK_RUN_LIMIT = 2000  # stop at this many empty rows in a row (formatting down to row 1,048,576)
REPORT_PAGE_LIMIT = 500  # problems shown on the page; the downloadable report has them all
ACTIVE_STATUSES = ("queued", "reading", "running")
FINISHED_STATUSES = ("done", "failed", "interrupted")


@scope_rule(ImportJob)
def _job_scope(user):
    """Everyone sees their own imports; an admin sees all."""
    return None if user.role == "admin" else ImportJob.user_id == user.id


class Refused(Exception):
    """The file as a whole cannot be imported; ``message`` (translated) says why."""

    def __init__(self, message, status: int = 422):
        super().__init__(str(message))
        self.message = message
        self.status = status


# --- reading the file -----------------------------------------------------------------------------

@dataclass
class SheetColumn:
    index: int  # 0-based position in the row
    header: str  # as written in the file
    column: Column

    @property
    def letter(self) -> str:
        return get_column_letter(self.index + 1)


@dataclass
class Table:
    """The recognised columns of a file and a way to read its data rows (row number, values)."""

    columns: list[SheetColumn]
    ignored: list[str]
    header_row: int
    estimated_rows: int | None
    exact: bool  # estimated_rows is the exact count (CSV) rather than the sheet's stated size (xlsx)
    _iter: Callable[[], Iterator[tuple[int, tuple]]]
    _close: Callable[[], None] = lambda: None

    def rows(self, max_rows: int) -> list[tuple[int, tuple]]:
        """The non-empty data rows; Refused when there are more than ``max_rows``."""
        out, blank = [], 0
        try:
            for rowno, values in self._iter():
                if all(v is None or (isinstance(v, str) and not v.strip()) for v in values):
                    blank += 1
                    if blank >= BLANK_RUN_LIMIT:
                        break
                    continue
                blank = 0
                out.append((rowno, tuple(values)))
                if len(out) > max_rows:
                    raise _too_many(max_rows)
        except Refused:
            raise
        except Exception:  # a workbook damaged past its first rows
            log.info("import: unreadable row data", exc_info=True)
            raise Refused(_unreadable_xlsx())
        finally:
            self.close()
        return out

    def close(self) -> None:
        self._close()
        self._close = lambda: None


def _too_many(max_rows: int) -> Refused:
    return Refused(_("The file has more than %(n)d rows. Split it into smaller files and import them one "
                     "after the other.", n=max_rows), status=413)


def _unreadable_xlsx():
    return _("The file could not be read as an Excel workbook (.xlsx). Open it in Excel, save it again as "
             ".xlsx or .csv, and upload that.")


def open_table(data: bytes, filename: str) -> Table:
    """Recognise the file type and its header row; Refused (with the reason) when that fails."""
    if not data:
        raise Refused(_("The file is empty."))
    ext = os.path.splitext(filename.lower())[1]
    if data[:8] == OLE_MAGIC:
        raise Refused(_("This is an Excel 97–2003 workbook (.xls) or a password-protected workbook, which "
                        "cannot be read. In Excel choose File → Save As → Excel Workbook (*.xlsx), without a "
                        "password, and upload that."))
    if data[:4] == ZIP_MAGIC:
        return _open_xlsx(data)
    if ext in (".xlsx", ".xlsm"):
        raise Refused(_unreadable_xlsx())
    if ext in CSV_EXTENSIONS:
        return _open_csv(data)
    raise Refused(_("%(name)s is not an Excel workbook (.xlsx) or a CSV file. Download the template, fill it "
                    "in and upload it.", name=filename or "?"))


def _find_header(rows: list) -> tuple[int, list[SheetColumn], list[str]] | None:
    """The first row naming at least the ID number and name columns: (index, columns, ignored)."""
    for i, row in enumerate(rows):
        found = {sheet.column_for(v).key for v in row if v is not None and sheet.column_for(v) is not None}
        if {"id_number", "name"} <= found:
            break
    else:
        return None
    columns, used, ignored = [], set(), []
    for index, value in enumerate(rows[i]):
        header = clean_text(value)
        if header is None:
            continue
        col = sheet.column_for(header)
        if col is not None and col.key not in used:
            used.add(col.key)
            columns.append(SheetColumn(index, header, col))
        elif col is not None or not sheet.is_derived(header):
            ignored.append(header)
    missing = [c.zh for c in COLUMNS if c.required and c.key not in used]
    if missing:
        raise Refused(_("The file has no column %(names)s. Download the template to see the columns expected.",
                        names="、".join(missing)))
    return i, columns, ignored


def _no_header() -> Refused:
    required = "、".join(c.zh for c in COLUMNS if c.key in ("id_number", "name"))
    return Refused(_("No header row with the columns %(names)s was found in the first %(n)d rows. Download the "
                     "template to see the columns expected.", names=required, n=HEADER_SCAN_ROWS))


def _open_xlsx(data: bytes) -> Table:
    try:
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception:  # BadZipFile, KeyError, InvalidFileException, XML errors: all "not a workbook"
        log.info("import: unreadable workbook", exc_info=True)
        raise Refused(_unreadable_xlsx())
    try:
        for ws in wb.worksheets:
            if not hasattr(ws, "iter_rows"):
                continue  # a chart sheet
            head = list(ws.iter_rows(min_row=1, max_row=HEADER_SCAN_ROWS, values_only=True))
            found = _find_header(head)
            if found is not None:
                break
        else:
            raise _no_header()
    except Refused:
        wb.close()
        raise
    except Exception:
        wb.close()
        log.info("import: unreadable workbook", exc_info=True)
        raise Refused(_unreadable_xlsx())
    index, columns, ignored = found
    header_row = index + 1
    width = max(c.index for c in columns) + 1
    try:
        stated = ws.max_row
    except Exception:
        stated = None
    estimated = max(0, stated - header_row) if stated else None

    def rows():
        for rowno, values in enumerate(ws.iter_rows(min_row=header_row + 1, max_col=width, values_only=True),
                                       header_row + 1):
            yield rowno, values
    return Table(columns, ignored, header_row, estimated, False, rows, wb.close)


def decode_text(data: bytes) -> str:
    """CSV bytes as text: UTF-8 with or without BOM, UTF-16 with BOM, else GB18030 (GBK's superset,
    what Chinese Excel writes for "CSV (逗号分隔)")."""
    if data.startswith(codecs.BOM_UTF8):
        candidates = [("utf-8", data[3:])]
    elif data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        candidates = [("utf-16", data)]
    else:
        candidates = [("utf-8", data), ("gb18030", data)]
    for encoding, raw in candidates:
        try:
            return raw.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise Refused(_("The file's text is neither UTF-8 nor GBK. In Excel choose File → Save As → \"CSV UTF-8\" "
                    "and upload that."))


def _open_csv(data: bytes) -> Table:
    text = decode_text(data)
    if "\x00" in text:
        raise Refused(_("The file is not a CSV text file. Download the template, fill it in and upload it."))
    sample = text.splitlines()[:HEADER_SCAN_ROWS]
    # The delimiter is the one under which a header row appears (a title line above it has none).
    for delimiter in sorted((",", "\t", ";"), key="\n".join(sample).count, reverse=True):
        try:
            if _find_header(list(csv.reader(sample, delimiter=delimiter))) is not None:
                break
        except csv.Error:
            continue
    else:
        raise _no_header()
    try:
        records = list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))
    except csv.Error:
        raise Refused(_("The CSV file could not be read (a quotation mark is not closed?). Open it in Excel, "
                        "save it again and upload that."))
    found = _find_header(records[:HEADER_SCAN_ROWS])
    if found is None:
        raise _no_header()
    index, columns, ignored = found
    header_row = index + 1
    data_rows = [(n, rec) for n, rec in enumerate(records[header_row:], header_row + 1)]
    count = sum(1 for _n, rec in data_rows if any(v.strip() for v in rec))
    return Table(columns, ignored, header_row, count, True, lambda: iter(data_rows))


# --- a row's cells as the register's input ----------------------------------------------------------

class _Lookups:
    """Names and codes a row may use, loaded once per import."""

    def __init__(self):
        areas = db.session.execute(sa.select(Area.code, Area.name, Area.parent_code)).all()
        names = {a.code: a.name for a in areas}
        self.codes = set(names)
        self.by_name: dict[str, set[str]] = {}
        for a in areas:
            self.by_name.setdefault(_compact(a.name), set()).add(a.code)
            if a.parent_code:  # "拉僧仲街道华苑社区" as well as "华苑社区"
                self.by_name.setdefault(_compact(names[a.parent_code] + a.name), set()).add(a.code)
        self.assistance = {code: code for code in ASSISTANCE_ZH}
        self.assistance.update({zh: code for code, zh in ASSISTANCE_ZH.items()})
        self.assistance.update({"特困": "tekun", "特困人员": "tekun", "特困供养": "tekun", "低保": "dibao",
                                "低保户": "dibao", "低边": "dibian", "低保边缘": "dibian", "低保边缘户": "dibian",
                                "刚性支出": "zhichu", "支出型困难家庭": "zhichu", "刚性支出困难": "zhichu",
                                "临时救助": "linshi", "临时": "linshi"})
        self.child = {code: code for code in CHILD_STATUS_ZH}
        self.child.update({zh: code for code, zh in CHILD_STATUS_ZH.items()})
        self.child.update({"否": "none", "困境": "in_difficulty", "留守": "left_behind",
                           "事实无人抚养": "unsupported"})


def _compact(text: str) -> str:
    return re.sub(r"[\s/\\\-—·]+", "", text)


_NUMBER_IN_TEXT = re.compile(r"^[0-9](\.[0-9]+)?e\+?[0-9]+$", re.IGNORECASE)


def _precision_lost() -> Invalid:
    return Invalid(_("was stored as a number, so Excel kept only its first 15 digits. Format the column as "
                     "text and type the number again."))


def _id_number(raw, col, lookups):
    if isinstance(raw, bool):
        return str(raw)
    if isinstance(raw, int):
        text = str(raw)
        if len(text) == 18:
            try:  # an exact number (not written by Excel): fine if it checks out
                return idnumber.parse(text).number
            except Invalid:
                raise _precision_lost()
        if len(text) > 15:
            raise _precision_lost()
        return text
    if isinstance(raw, float):
        if raw >= 1e14:
            raise _precision_lost()
        return clean_text(raw)
    text = clean_text(raw)
    if text is None:
        return None
    text = _unforce(text)
    if _NUMBER_IN_TEXT.match(text.replace(" ", "")):
        raise _precision_lost()
    return text


def _unforce(text: str) -> str:
    """``="1503…"`` and ``'1503…``: the ways people force Excel to keep digits as text."""
    return re.sub(r'^="(.*)"$', r"\1", text).lstrip("'")


_BLANKS = re.compile(r"\s*[\r\n]+\s*")


def _text(raw, col, lookups):
    text = clean_text(raw)
    return None if text is None else _BLANKS.sub(" ", text)  # line breaks typed with Alt+Enter


def _phone(raw, col, lookups):
    if isinstance(raw, float) and raw.is_integer():
        raw = int(raw)
    text = clean_text(raw)
    return None if text is None else _unforce(text)


def _area(raw, col, lookups):
    text = clean_text(raw)
    if text is None:
        return None
    compact = _compact(text)
    if compact in lookups.codes:
        return compact
    codes = lookups.by_name.get(compact)
    if not codes:
        raise Invalid(_("unknown community %(name)s", name=text[:30]))
    if len(codes) > 1:
        raise Invalid(_("%(name)s names more than one area; write the 12-digit code instead", name=text[:30]))
    return next(iter(codes))


def _assistance(raw, col, lookups):
    text = clean_text(raw)
    if text is None:
        return None
    code = lookups.assistance.get(_compact(text)) or lookups.assistance.get(text.lower())
    if code is None:
        raise Invalid(_("must be one of: %(choices)s", choices="、".join(ASSISTANCE_ZH.values())))
    return code


def _child(raw, col, lookups):
    text = clean_text(raw)
    if text is None:
        return None
    code = lookups.child.get(_compact(text)) or lookups.child.get(text.lower())
    if code is None:
        raise Invalid(_("must be one of: %(choices)s", choices="、".join(CHILD_STATUS_ZH.values())))
    return code


_DATE_PARTS = re.compile(r"^([0-9]{4})\s*[-/.年]\s*([0-9]{1,2})\s*[-/.月]\s*([0-9]{1,2})\s*日?"
                         r"(?:\s+[0-9]{1,2}:[0-9]{2}(?::[0-9]{2})?)?$")


def _date(raw, col, lookups):
    if isinstance(raw, (dt.date, dt.datetime)):
        return clean_text(raw if not isinstance(raw, dt.datetime) else raw.date())
    if isinstance(raw, (int, float)) and not isinstance(raw, bool) and 1 <= raw < 2958466:
        return from_excel(raw).date().isoformat()  # an Excel date serial that lost its date format
    text = clean_text(raw)
    if text is None:
        return None
    m = _DATE_PARTS.match(text) or re.match(r"^([0-9]{4})([0-9]{2})([0-9]{2})$", text)
    if m:
        return f"{int(m.group(1)):04d}-{int(m.group(2)):02d}-{int(m.group(3)):02d}"
    return text  # the register says what is wrong with it


_LEVEL_WORDS = {
    "self_care_level": {**{v: k for k, v in sheet.SELF_CARE_ZH.items()}, "轻度失能": 1, "中度失能": 2, "重度失能": 3,
                        "完全失能": 4, "无": 0, "正常": 0},
    "disability_grade": {**{v: k for k, v in sheet.DISABILITY_ZH.items()}, "1级": 1, "2级": 2, "3级": 3,
                         "4级": 4, "一级残疾": 1, "二级残疾": 2, "三级残疾": 3, "四级残疾": 4, "无残疾": 0, "否": 0},
}


def _level(raw, col, lookups):
    if isinstance(raw, (int, float)) and not isinstance(raw, bool):
        return int(raw) if float(raw).is_integer() else str(raw)
    text = clean_text(raw)
    if text is None:
        return None
    m = re.match(r"^([0-4])(?![0-9.])", text)
    if m:
        return int(m.group(1))
    return _LEVEL_WORDS[col.key].get(_compact(text), text)


_TRUE = {"是", "有", "y", "yes", "true", "1", "√", "✔", "✓", "对"}
_FALSE = {"否", "无", "不是", "没有", "n", "no", "false", "0", "×", "✘", "✗", "x"}


def _bool(raw, col, lookups):
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    text = clean_text(raw)
    if text is None:
        return None
    low = text.lower()
    return True if low in _TRUE else False if low in _FALSE else text


_CONVERT = {"id": _id_number, "text": _text, "phone": _phone, "area": _area, "assistance": _assistance,
            "date": _date, "level": _level, "bool": _bool, "child": _child}


def _payload(values: tuple, columns: list[SheetColumn], lookups: _Lookups) -> tuple[dict, dict[str, str]]:
    """The register's input dict from one row, and the cells that could not even be read."""
    payload, conditions, problems = {}, {}, {}
    for sc in columns:
        raw = values[sc.index] if sc.index < len(values) else None
        try:
            value = _CONVERT[sc.column.kind](raw, sc.column, lookups)
        except Invalid as exc:
            problems[sc.column.key] = str(exc)
            continue
        if value is None:
            continue
        if sc.column.is_condition:
            conditions[sc.column.key] = value
        else:
            payload[sc.column.key] = value
    if conditions:
        payload["conditions"] = conditions
    return payload, problems


# --- importing ------------------------------------------------------------------------------------

@dataclass
class Problem:
    row: int
    column: str  # the header as written in the file
    letter: str
    message: str
    kind: str  # invalid | skipped | notice
    name: str = ""  # the row's name, to find it again

    def to_dict(self) -> dict:
        return asdict(self)


@dataclass
class _Run:
    job: ImportJob
    actor: object
    columns: list[SheetColumn]
    lookups: _Lookups
    problems: list[Problem] = field(default_factory=list)
    seen: dict[str, int] = field(default_factory=dict)  # ID number → the row that brought it
    by_key: dict[str, SheetColumn] = field(init=False)

    def __post_init__(self):
        self.by_key = {sc.column.key: sc for sc in self.columns}


class _CheckOnly(Exception):
    """Raised inside a row's savepoint to roll back a row that was only being checked."""


def _strip_label(message: str, label) -> str:
    """``ID number: must be …`` → ``must be …``: the report shows the column separately."""
    prefix = _("%(field)s: %(message)s", field=str(label), message="")
    return message[len(prefix):] if prefix and message.startswith(prefix) else message


def _field_problems(exc: ValidationError, by_key: dict[str, SheetColumn]) -> list[tuple[SheetColumn | None, str]]:
    out = []
    for key, messages in exc.fields.items():
        base = key.split(".", 1)[1] if key.startswith("conditions.") else key
        label = BY_KEY[base].label if base in BY_KEY else services.LABELS.get(base, base)
        for message in messages:
            out.append((by_key.get(base), _strip_label(str(message), label)))
    if not exc.fields:
        out.append((None, str(exc.message)))
    return out


def _import_row(run: _Run, rowno: int, values: tuple) -> str:
    """Import one row; returns its outcome: imported | skipped | invalid | example."""
    job, by_key = run.job, run.by_key
    payload, read_problems = _payload(values, run.columns, run.lookups)
    name = str(payload.get("name") or "")[:50]

    def report(sc: SheetColumn | None, message: str, kind: str) -> None:
        run.problems.append(Problem(rowno, sc.header if sc else "", sc.letter if sc else "", message, kind, name))

    number = None
    if "id_number" not in read_problems and isinstance(payload.get("id_number"), str):
        try:
            number = idnumber.parse(payload["id_number"]).number
        except Invalid:
            pass
    if number == sheet.EXAMPLE_ID_NUMBER:
        report(by_key["id_number"], _("the template's example row: not imported"), "notice")
        return "example"
    if read_problems:
        for key, message in read_problems.items():
            report(by_key[key], message, "invalid")
        try:  # the rest of the row, so that one report lists everything to fix
            services.validate(payload)
        except ValidationError as exc:
            for sc, message in _field_problems(exc, by_key):
                if sc is None or sc.column.key not in read_problems:
                    report(sc, message, "invalid")
        return "invalid"
    if number is not None and number in run.seen:
        report(by_key["id_number"], _("the same ID number as row %(row)d", row=run.seen[number]), "skipped")
        return "skipped"
    try:
        with db.session.begin_nested():
            services.register(payload, run.actor)
            if job.check_only:
                raise _CheckOnly()
    except _CheckOnly:
        pass
    except ValidationError as exc:
        for sc, message in _field_problems(exc, by_key):
            report(sc, message, "invalid")
        return "invalid"
    except (Conflict, IntegrityError):  # a duplicate, found by the register or (racing) by the database
        report(by_key["id_number"], _("already registered: skipped"), "skipped")
        if number:
            run.seen.setdefault(number, rowno)
        return "skipped"
    if number:
        run.seen[number] = rowno
    return "imported"


def _touch(job: ImportJob) -> None:
    """Write the job row at the start of each batch: it is the heartbeat the page reads, and on SQLite
    it opens the transaction that the rows' savepoints then nest in."""
    job.updated_at = utcnow()
    db.session.flush()


def run(job: ImportJob, open_fn: Callable[[], Table], actor, *, checkpoint: Callable[[], None]) -> None:
    """Read the file and import its rows into ``job``. ``checkpoint`` makes progress visible: a
    flush within a request, a commit in a background thread. Refused → the job fails as a whole."""
    cfg = current_app.config
    job.status, job.started_at = "reading", utcnow()
    checkpoint()
    try:
        table = open_fn()
        rows = table.rows(cfg["IMPORT_MAX_ROWS"])
    except Refused as exc:
        _finish(job, "failed", [], actor, message=str(exc.message))
        checkpoint()
        return
    job.total, job.status, job.ignored_columns = len(rows), "running", list(table.ignored)
    checkpoint()
    state = _Run(job, actor, table.columns, _Lookups())
    batch = max(1, int(cfg["IMPORT_BATCH_SIZE"]))
    counts = {"imported": 0, "skipped": 0, "invalid": 0, "example": 0}
    for i, (rowno, values) in enumerate(rows, 1):
        if i % batch == 1 or batch == 1:
            _touch(job)
        counts[_import_row(state, rowno, values)] += 1
        if i % batch == 0 and i < len(rows):
            _count(job, i, counts)
            checkpoint()
    _count(job, len(rows), counts)
    _finish(job, "done", state.problems, actor)
    checkpoint()


def _count(job: ImportJob, done: int, counts: dict) -> None:
    job.done, job.imported, job.skipped, job.invalid = done, counts["imported"], counts["skipped"], counts["invalid"]


def _finish(job: ImportJob, state: str, problems: list[Problem], actor, message: str = "") -> None:
    job.status, job.finished_at, job.message = state, utcnow(), message[:500]
    job.errors = [p.to_dict() for p in problems]
    audit.record("import", "resident", None, {
        "job_id": job.id, "filename": job.filename, "status": state, "check_only": job.check_only,
        "rows": job.total, "imported": job.imported, "skipped": job.skipped, "invalid": job.invalid,
    }, actor=actor)


def _guarded_run(job_id: int, open_fn: Callable[[], Table], actor, checkpoint: Callable[[], None]) -> None:
    """:func:`run`, and if anything unexpected breaks it, roll back the unfinished batch and say so."""
    job = db.session.get(ImportJob, job_id)
    try:
        run(job, open_fn, actor, checkpoint=checkpoint)
    except Exception:
        log.exception("import job %s stopped", job_id)
        db.session.rollback()
        job = db.session.get(ImportJob, job_id)  # as last committed
        _finish(job, "failed", [], actor, message=_(
            "The import stopped unexpectedly after %(done)d of %(total)d rows; %(n)d rows were imported. "
            "Import the same file again to add the rest: rows already registered are skipped.",
            done=job.done, total=job.total, n=job.imported))
        checkpoint()


# --- starting a job -------------------------------------------------------------------------------

@dataclass
class Pending:
    """A job recorded and ready to run once the request has committed it."""

    job_id: int
    table: Table | None
    data: bytes | None
    background: bool


def clean_filename(name: str | None) -> str:
    base = re.split(r"[\\/]", name or "")[-1]
    return re.sub(r"[\x00-\x1f\x7f]", "", base).strip()[:200]


def prepare(user, filename: str, data: bytes, *, check_only: bool = False) -> Pending:
    """Check the file as a whole and record the job (flush). Refused: nothing is recorded."""
    cfg = current_app.config
    filename = clean_filename(filename)
    if not filename:
        raise Refused(_("Choose a file to import."))
    limit = cfg["IMPORT_MAX_BYTES"]
    if len(data) > limit:
        raise Refused(_("The file is larger than %(mb)s MB. Split it into smaller files.",
                        mb=megabytes(limit)), status=413)
    running = db.session.scalars(sa.select(ImportJob).where(
        ImportJob.user_id == user.id, ImportJob.status.in_(ACTIVE_STATUSES))).all()
    if any(effective_status(j) in ACTIVE_STATUSES for j in running):
        raise Refused(_("Your previous import is still running. Wait until it has finished."), status=409)
    table = open_table(data, filename)
    if table.exact and table.estimated_rows > cfg["IMPORT_MAX_ROWS"]:
        table.close()
        raise _too_many(cfg["IMPORT_MAX_ROWS"])
    if table.exact and table.estimated_rows == 0:
        raise Refused(_("The file has a header row but no rows below it."))
    job = ImportJob(user_id=user.id, filename=filename, check_only=bool(check_only), status="queued",
                    total=table.estimated_rows or 0, ignored_columns=list(table.ignored), errors=[])
    db.session.add(job)
    db.session.flush()
    # Small files run within the request. A workbook's stated size can be wrong (some programs
    # write none, or "A1"), so a workbook too big for its stated rows goes to the background too.
    sync_rows = cfg["IMPORT_SYNC_ROWS"]
    background = (table.estimated_rows is None or table.estimated_rows > sync_rows
                  or (not table.exact and len(data) > max(sync_rows, 1) * 500))
    if background:
        table.close()
        return Pending(job.id, None, data, True)
    return Pending(job.id, table, None, False)


def megabytes(n: int) -> str:
    return f"{n / 1024 / 1024:.0f}" if n >= 1024 * 1024 else f"{n / 1024 / 1024:.2f}"


_threads: dict[int, threading.Thread] = {}
_threads_lock = threading.Lock()


def _after_checkpoint(job_id: int) -> None:
    """Called after each commit of a background import (a seam for tests to hold a job mid-run)."""


def execute(pending: Pending, actor) -> None:
    """Run a prepared job: here (flushing; the caller commits) or in a background thread."""
    if not pending.background:
        table = pending.table
        _guarded_run(pending.job_id, lambda: table, actor, db.session.flush)
        return
    app = current_app._get_current_object()
    locale = str(get_locale() or app.config["BABEL_DEFAULT_LOCALE"])
    thread = threading.Thread(target=_thread_main, args=(app, pending.job_id, pending.data, locale),
                              name=f"assist-import-{pending.job_id}", daemon=True)
    with _threads_lock:
        _threads[pending.job_id] = thread
    thread.start()


def _thread_main(app, job_id: int, data: bytes, locale: str) -> None:
    """A background import: its own app context, session and locale; commits batch by batch."""
    from assist.auth.models import User
    with app.app_context(), force_locale(locale):
        try:
            job = db.session.get(ImportJob, job_id)
            actor = db.session.get(User, job.user_id)

            def checkpoint():
                db.session.commit()
                _after_checkpoint(job_id)
            _guarded_run(job_id, lambda: open_table(data, job.filename), actor, checkpoint)
        except Exception:  # even marking the job failed went wrong (the database is gone?)
            log.exception("import job %s: could not record the failure", job_id)
        finally:
            db.session.remove()
            with _threads_lock:
                _threads.pop(job_id, None)


def join(job_id: int, timeout: float = 60) -> bool:
    """Wait for a background import to end; True when it has (or was never running here)."""
    with _threads_lock:
        thread = _threads.get(job_id)
    if thread is None:
        return True
    thread.join(timeout)
    return not thread.is_alive()


# --- what the page and the API show ---------------------------------------------------------------

def effective_status(job: ImportJob) -> str:
    """The status, except that a job without progress for ``IMPORT_STALL_SECONDS`` was interrupted
    (the server restarted under it): the user can import the file again."""
    if job.status in ACTIVE_STATUSES:
        stall = dt.timedelta(seconds=current_app.config["IMPORT_STALL_SECONDS"])
        if (job.updated_at or job.created_at) < utcnow() - stall:
            return "interrupted"
    return job.status


def status(job: ImportJob, *, with_errors: bool = False) -> dict:
    from assist.core.timeutil import isoformat
    state = effective_status(job)
    finished = state in FINISHED_STATUSES
    percent = 100 if finished else int(job.done * 100 / job.total) if job.total else 0
    out = {"id": job.id, "filename": job.filename, "status": state, "finished": finished,
           "check_only": job.check_only, "total": job.total, "done": job.done, "percent": min(percent, 100),
           "imported": job.imported, "skipped": job.skipped, "invalid": job.invalid, "message": job.message,
           "ignored_columns": job.ignored_columns or [], "created_at": isoformat(job.created_at),
           "finished_at": isoformat(job.finished_at)}
    if with_errors:
        out["errors"] = job.errors or []
    return out


def recent_jobs(user, limit: int = 10) -> list[ImportJob]:
    return list(db.session.scalars(sa.select(ImportJob).where(ImportJob.user_id == user.id)
                                   .order_by(ImportJob.id.desc()).limit(limit)))


KIND_TITLES = {"invalid": lambda: _("Not imported"), "skipped": lambda: _("Skipped"), "notice": lambda: _("Note")}


def report_xlsx(job: ImportJob) -> bytes:
    """The row report as a workbook: one line per problem, in row order."""
    from openpyxl.styles import Font
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet(_("Problems")[:31])
    for letter, width in zip("ABCDEF", (8, 8, 16, 12, 12, 70)):
        ws.column_dimensions[letter].width = width
    bold = Font(bold=True)
    header = [_("Row"), _("Column"), _("Column header"), _("Name"), _("Result"), _("Message")]
    ws.append([_cell(ws, str(h), bold) for h in header])
    for p in sorted(job.errors or [], key=lambda p: (p["row"], p["letter"])):
        ws.append([p["row"], p["letter"], p["column"], p.get("name", ""), KIND_TITLES.get(p["kind"], str)(),
                   p["message"]])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _cell(ws, value, font=None):
    from openpyxl.cell import WriteOnlyCell
    cell = WriteOnlyCell(ws, value=value)
    if font is not None:
        cell.font = font
    return cell


# --- the template -----------------------------------------------------------------------------------

def template_xlsx(user) -> bytes:
    """The import template: Chinese headers, one example row (skipped on import), text-formatted ID
    and phone columns, drop-down lists, and a sheet of instructions."""
    from openpyxl.comments import Comment
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.worksheet.datavalidation import DataValidation

    from assist.areas import services as area_services
    from assist.core.timeutil import local_today
    max_rows = current_app.config["IMPORT_MAX_ROWS"]
    last = min(max_rows, 5000) + 1
    communities = [name.strip("　") for _code, name in area_services.choices(user, levels=("community", "grid"))]

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "救助对象"
    options = wb.create_sheet("选项")
    notes = wb.create_sheet("填写说明")
    wb.move_sheet(notes, offset=-1)  # data, instructions, (hidden) options

    required_fill = PatternFill("solid", fgColor="FFF2CC")
    header_font, example_font = Font(bold=True), Font(italic=True, color="808080")
    example = _example_row(communities)
    for i, col in enumerate(COLUMNS, 1):
        letter = get_column_letter(i)
        cell = ws.cell(row=1, column=i, value=col.zh)
        cell.font = header_font
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if col.required:
            cell.fill = required_fill
        if col.hint:
            cell.comment = Comment(str(col.hint), "assist")
        ws.column_dimensions[letter].width = col.width
        if col.kind in ("id", "phone"):
            ws.column_dimensions[letter].number_format = "@"  # typed ID numbers stay text
        elif col.kind == "date":
            ws.column_dimensions[letter].number_format = "yyyy-mm-dd"
        value = example.get(col.key)
        ex = ws.cell(row=2, column=i, value=value)
        ex.font = example_font
        if col.kind in ("id", "phone"):
            ex.number_format = "@"
        elif col.kind == "date":
            ex.number_format = "yyyy-mm-dd"
    ws.freeze_panes = "C2"

    lists = {"assistance": sheet.assistance_choices(), "child": sheet.child_choices(),
             "bool": [sheet.YES, sheet.NO], "self_care_level": sheet.level_choices("self_care_level"),
             "disability_grade": sheet.level_choices("disability_grade")}
    for i, col in enumerate(COLUMNS, 1):
        letter = get_column_letter(i)
        key = col.key if col.kind == "level" else col.kind
        if key in lists:
            formula = '"' + ",".join(lists[key]) + '"'
        elif col.kind == "area" and communities:
            for r, name in enumerate(communities, 1):
                options.cell(row=r, column=1, value=name)
            formula = f"'选项'!$A$1:$A${len(communities)}"
        else:
            continue
        dv = DataValidation(type="list", formula1=formula, allow_blank=True, showErrorMessage=col.kind != "area")
        dv.add(f"{letter}2:{letter}{last}")
        ws.add_data_validation(dv)
    options.sheet_state = "hidden"

    notes.column_dimensions["A"].width = 18
    notes.column_dimensions["B"].width = 10
    notes.column_dimensions["C"].width = 90
    general = [
        _("Fill in one row per person on the sheet %(sheet)s, from row 3 on. Row 2 is an example: it is never "
          "imported and may be deleted.", sheet=ws.title),
        _("Columns in yellow are required. The order of the columns does not matter, and columns the system "
          "does not know are ignored."),
        _("Gender and birth date are read from the ID number. Keep the ID number column formatted as text."),
        _("A person whose ID number is already registered is skipped, so the same file can be imported again "
          "after its problems are fixed."),
        _("At most %(n)d rows per file. The file may also be saved as CSV (UTF-8 or GBK).", n=max_rows),
    ]
    row = 1
    for text in general:
        notes.cell(row=row, column=1, value=text)
        row += 1
    row += 1
    for c, text in enumerate((_("Column"), _("Required"), _("How to fill it in")), 1):
        notes.cell(row=row, column=c, value=text).font = header_font
    for col in COLUMNS:
        row += 1
        notes.cell(row=row, column=1, value=col.zh)
        notes.cell(row=row, column=2, value=sheet.YES if col.required else "")
        notes.cell(row=row, column=3, value=str(col.hint or col.label))
    notes.cell(row=row + 2, column=1, value=_("Template of %(date)s", date=local_today().isoformat()))
    wb.active = 0
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _example_row(communities: list[str]) -> dict:
    from assist.core.timeutil import local_today
    today = local_today()
    example = {
        "id_number": sheet.EXAMPLE_ID_NUMBER, "name": "张三", "phone": "13904731234",
        "area_code": communities[0] if communities else "", "address": "华苑小区3号楼2单元101",
        "assistance_type": ASSISTANCE_ZH["dibao"], "assistance_since": dt.date(today.year, 1, 1),
        "emergency_contact_name": "张小明", "emergency_contact_phone": "13904735678", "assessed_on": today,
        "self_care_level": sheet.level_text("self_care_level", 2),
        "disability_grade": sheet.level_text("disability_grade", 0), "child_status": CHILD_STATUS_ZH["none"],
    }
    for col in COLUMNS:
        if col.kind == "bool":
            example[col.key] = sheet.bool_text(col.key in ("lives_alone", "chronic_illness", "limited_mobility"))
    return example
