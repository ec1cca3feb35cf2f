"""The page template every printed document shares, and the building blocks the documents use.

Every page carries: the bureau's name and the document title (header), who printed it and when,
the verification code, "第 x 页 共 y 页" and — for documents marked sensitive — the notice that the
page holds sensitive personal information (footer). The page count needs a second pass; it is done
by :class:`_PagedCanvas`, which keeps each finished page and draws the header and footer once the
total is known.

A document may be split into *sections* (one per resident in a batch print): a
:class:`SectionStart` at the top of a page starts one. Then "第 x 页 共 y 页" counts pages within
the section — so a resident's pages taken out of a batch are complete on their own — and the
header adds the section's label and "全册第 p 页 共 P 页" for the whole file.

Output is byte-stable: the same meta and the same data give the same bytes (reportlab's invariant
mode, with the PDF creation date set to ``printed_at``), so the application can store and later
compare the SHA-256 of a printout.

Plain data only: nothing here imports Flask, the database or the application.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import io
import re
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_LEFT, TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (BaseDocTemplate, CondPageBreak, Flowable, Frame, KeepTogether,
                                LongTable, PageTemplate, Paragraph, Spacer, Table, TableStyle)
from reportlab.platypus.flowables import PageBreakIfNotEmpty

from . import fonts

DISPLAY_TZ = ZoneInfo("Asia/Shanghai")  # aware datetimes are printed in the bureau's time zone
SENSITIVE_NOTICE = "本文件含敏感个人信息，仅限授权人员查阅，严禁外传"
NO_RECORDS = "本期无记录"
NONE_RECORDED = "无记录"
DASH = "—"

MARGIN_X = 15 * mm
MARGIN_TOP = 22 * mm
MARGIN_BOTTOM = 21 * mm

INK = colors.HexColor("#1a1a1a")
MUTED = colors.HexColor("#555555")
RULE = colors.HexColor("#8a8a8a")
GRID = colors.HexColor("#b4b4b4")
HEAD_BG = colors.HexColor("#e4e8ee")
ZEBRA = colors.HexColor("#f5f6f8")
ALERT = colors.HexColor("#b00020")

# A full resident ID number anywhere in printed text (18 characters, GB 11643, or the old
# 15-digit form); see redact_id_numbers().
_FULL_ID_RE = re.compile(r"(?<!\d)(\d{6})(\d{8}\d{3}[0-9Xx]|\d{6}\d{3})(?![0-9Xx])")
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
# What crypto.mask_id_number() gives: first 6 + 8 stars + last 4, or all stars for short input.
MASKED_ID_RE = re.compile(r"\d{6}\*{8}\d{3}[0-9X]|\*{1,18}")


# --------------------------------------------------------------------------------------------
# Meta


@dataclasses.dataclass(frozen=True)
class DocumentMeta:
    """What the page template prints on every page.

    ``printed_at`` must be timezone-aware; it is shown in Asia/Shanghai time and also becomes the
    PDF's creation date. ``verification_code`` is computed and stored by the application; the
    builder prints it as given. ``verify_url`` (optional) is printed with a QR code on the first
    page. ``sensitive`` adds the sensitive-information notice to every page's footer.
    """

    bureau_name: str
    title: str
    printed_by: str
    printed_at: dt.datetime
    verification_code: str
    verify_url: str | None = None
    sensitive: bool = True

    def __post_init__(self):
        # Lazy strings (flask_babel's _l) become plain str here: the builder never sees a proxy.
        for field in ("bureau_name", "title", "printed_by", "verification_code"):
            object.__setattr__(self, field, str(getattr(self, field)).strip())
        if self.verify_url is not None:
            object.__setattr__(self, "verify_url", str(self.verify_url).strip() or None)
        if not isinstance(self.printed_at, dt.datetime) or self.printed_at.utcoffset() is None:
            raise ValueError("DocumentMeta.printed_at must be a timezone-aware datetime")
        if not self.verification_code:
            raise ValueError("DocumentMeta.verification_code is required")
        if not self.title or not self.bureau_name:
            raise ValueError("DocumentMeta needs a bureau_name and a title")


# --------------------------------------------------------------------------------------------
# Text and number formatting


def id_check_char(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of a resident ID number."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS))
    return "10X98765432"[total % 11]


def _birth_date_plausible(rest: str) -> bool:
    """``rest`` is an ID number after its 6-digit region code: does it start with a birth date?"""
    try:
        if len(rest) == 12:  # 18-character number: YYYYMMDD
            born = dt.date(int(rest[0:4]), int(rest[4:6]), int(rest[6:8]))
        else:  # 15-digit number (issued before 1999): YYMMDD of the 1900s
            born = dt.date(1900 + int(rest[0:2]), int(rest[2:4]), int(rest[4:6]))
    except ValueError:
        return False
    return 1880 <= born.year <= 2100


def redact_id_numbers(value: str) -> str:
    """Mask any full resident ID number in ``value``: first 6 + last 4 remain.

    A safety net under the rule that printouts show ID numbers masked (DOMAIN.md, Privacy): a
    number that slips into free text — a note, a diary entry — is never printed in clear. A run
    of 18 (or 15) digits counts as an ID number when a plausible birth date follows the region
    code; the check character is deliberately not required, since a mistyped number is still
    someone's number.
    """
    if len(value) < 15:
        return value

    def mask(m: re.Match) -> str:
        region, rest = m.group(1), m.group(2)
        if not _birth_date_plausible(rest):
            return m.group(0)
        return region + "*" * (len(rest) - 4) + rest[-4:].upper()

    return _FULL_ID_RE.sub(mask, value)


def text(value: Any) -> str:
    """Any value as printable text: None → "", lazy strings → str, full ID numbers masked."""
    if value is None:
        return ""
    return redact_id_numbers(str(value))


def text_or_dash(value: Any) -> str:
    s = text(value).strip()
    return s or DASH


def local(value: dt.datetime) -> dt.datetime:
    return value.astimezone(DISPLAY_TZ) if value.utcoffset() is not None else value


def local_date(value: dt.date | dt.datetime) -> dt.date:
    return local(value).date() if isinstance(value, dt.datetime) else value


def fmt_date(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return DASH
    return local_date(value).isoformat()


def fmt_datetime(value: dt.date | dt.datetime | None) -> str:
    if value is None:
        return DASH
    if isinstance(value, dt.datetime):
        return local(value).strftime("%Y-%m-%d %H:%M")
    return value.isoformat()


def fmt_period(start: dt.date | None, end: dt.date | None) -> str:
    if start is None and end is None:
        return "全部记录"
    return f"{fmt_date(start) if start else '（不限）'} 至 {fmt_date(end) if end else '（不限）'}"


def to_decimal(value: Decimal | int | float | str | None) -> Decimal | None:
    if value is None:
        return None
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        return Decimal(repr(value))
    return Decimal(str(value))


def fmt_qty(value: Decimal | int | float | str | None) -> str:
    """A quantity without trailing zeros: 2, 1.5, 0.25."""
    d = to_decimal(value)
    if d is None:
        return DASH
    if d == d.to_integral_value():
        return f"{d.to_integral_value():,}" if abs(d) >= 10000 else str(d.to_integral_value())
    return format(d.normalize(), "f")


CENT = Decimal("0.01")


def money(value: Decimal | int | float | str) -> Decimal:
    """Round to the cent, half up (how the bureau's finance office rounds)."""
    return to_decimal(value).quantize(CENT, rounding=ROUND_HALF_UP)


def fmt_money(value: Decimal | int | float | str | None) -> str:
    if value is None:
        return DASH
    return f"{money(value):,.2f}"


_DIGITS_UPPER = "零壹贰叁肆伍陆柒捌玖"


def rmb_upper(value: Decimal | int | str) -> str:
    """An amount in 元 written in capital numerals, as on Chinese financial documents.

    ``rmb_upper(Decimal("1204.50"))`` → "人民币壹仟贰佰零肆元伍角整".
    """
    amount = money(value)
    sign = "负" if amount < 0 else ""
    amount = abs(amount)
    yuan = int(amount)
    cents = int((amount - yuan) * 100)
    jiao, fen = divmod(cents, 10)

    def four(n: int) -> str:  # 0..9999 → 仟佰拾 digits, zeros collapsed
        out, zero = "", False
        for unit, div in (("仟", 1000), ("佰", 100), ("拾", 10), ("", 1)):
            d = n // div % 10
            if d:
                if zero and out:
                    out += "零"
                out += _DIGITS_UPPER[d] + unit
                zero = False
            else:
                zero = True
        return out

    if yuan == 0:
        words = ""
    else:
        groups = []
        n = yuan
        while n:
            groups.append(n % 10000)
            n //= 10000
        words, pending_zero = "", False
        for i in range(len(groups) - 1, -1, -1):
            g = groups[i]
            if g == 0:
                pending_zero = True
                continue
            if words and (pending_zero or g < 1000):
                words += "零"
            words += four(g) + ("", "万", "亿", "万亿")[i]
            pending_zero = False
        words += "元"
    if jiao == 0 and fen == 0:
        return f"人民币{sign}{words or '零元'}整"
    tail = ""
    if jiao:
        tail += _DIGITS_UPPER[jiao] + "角"
    elif words:
        tail += "零"
    if fen:
        tail += _DIGITS_UPPER[fen] + "分"
    else:
        tail += "整"
    return f"人民币{sign}{words}{tail}"


# --------------------------------------------------------------------------------------------
# Styles


@dataclasses.dataclass(frozen=True)
class Styles:
    font: str
    body: ParagraphStyle
    small: ParagraphStyle
    muted: ParagraphStyle
    title: ParagraphStyle
    subtitle: ParagraphStyle
    heading: ParagraphStyle
    subheading: ParagraphStyle
    cell: ParagraphStyle
    cell_center: ParagraphStyle
    cell_right: ParagraphStyle
    head: ParagraphStyle
    alert: ParagraphStyle
    empty: ParagraphStyle
    cell_size: float = 8.0


@functools.lru_cache(maxsize=None)
def _styles_for(font: str) -> Styles:
    def ps(name, size, leading, **kw):
        return ParagraphStyle(name, fontName=font, fontSize=size, leading=leading,
                              wordWrap="CJK", textColor=kw.pop("textColor", INK), **kw)

    cell = ps("cell", 8, 10.2)
    return Styles(
        font=font,
        body=ps("body", 9.5, 14),
        small=ps("small", 8.5, 12),
        muted=ps("muted", 8.5, 12, textColor=MUTED),
        title=ps("title", 17, 22, alignment=TA_CENTER, spaceAfter=3 * mm),
        subtitle=ps("subtitle", 9.5, 14, alignment=TA_CENTER, textColor=MUTED),
        heading=ps("heading", 11.5, 15, spaceBefore=4.5 * mm, spaceAfter=2 * mm),
        subheading=ps("subheading", 9.5, 13, spaceBefore=2 * mm, spaceAfter=1.5 * mm),
        cell=cell,
        cell_center=ParagraphStyle("cell_center", parent=cell, alignment=TA_CENTER),
        cell_right=ParagraphStyle("cell_right", parent=cell, alignment=TA_RIGHT),
        head=ParagraphStyle("head", parent=cell, alignment=TA_CENTER),
        alert=ps("alert", 9.5, 14, textColor=ALERT),
        empty=ps("empty", 9, 13, textColor=MUTED, alignment=TA_LEFT, leftIndent=2 * mm),
    )


def get_styles() -> Styles:
    """Paragraph styles in the registered CJK font (registering it on first use)."""
    return _styles_for(fonts.get_fonts().name)


def para(value: Any, style: ParagraphStyle) -> Paragraph:
    """A paragraph of plain text (escaped; full ID numbers masked)."""
    return Paragraph(escape(text(value)), style)


# --------------------------------------------------------------------------------------------
# Building blocks


def title_block(meta: DocumentMeta, lines: Iterable[str] = (), *, title: str | None = None
                ) -> list[Flowable]:
    """The document (or section) title, a few centred lines under it, and the QR code of
    ``meta.verify_url`` when one is given."""
    st = get_styles()
    out: list[Flowable] = [para(title or meta.title, st.title)]
    out.extend(para(line, st.subtitle) for line in lines if line)
    if meta.verify_url:
        qr = QrCodeWidget(meta.verify_url, barLevel="M", barBorder=1)
        x0, y0, x1, y1 = qr.getBounds()
        size = 19 * mm
        drawing = Drawing(size, size, transform=[size / (x1 - x0), 0, 0, size / (y1 - y0), 0, 0],
                          initialFontName=st.font)
        drawing.add(qr)
        note = para(f"核验：扫描右侧二维码或访问 {meta.verify_url}，输入验证码 "
                    f"{meta.verification_code} 核对本文件。", st.muted)
        table = Table([[note, drawing]], colWidths=[None, size + 4 * mm])
        table.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), st.font, 8),
                                   ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                                   ("ALIGN", (1, 0), (1, 0), "RIGHT"),
                                   ("LEFTPADDING", (0, 0), (-1, -1), 0),
                                   ("RIGHTPADDING", (0, 0), (-1, -1), 0)]))
        out += [Spacer(1, 1.5 * mm), table]
    out.append(Spacer(1, 3 * mm))
    return out


def heading(value: str) -> list[Flowable]:
    """A numbered part's heading ("四、服务台账"). Not keepWithNext — that would drag a long table
    (and leave a blank page) — but a conditional break so it never ends a page alone."""
    return [CondPageBreak(28 * mm), para(value, get_styles().heading)]


def subheading(value: str) -> list[Flowable]:
    return [CondPageBreak(20 * mm), para(value, get_styles().subheading)]


def empty_note(value: str = NO_RECORDS) -> Paragraph:
    """"本期无记录" (or another short note) in place of an empty table."""
    return para(value, get_styles().empty)


def no_records_block(message: str = NO_RECORDS, detail: str | None = None) -> list[Flowable]:
    """The body of a document that has nothing to show: says so plainly, in a box."""
    st = get_styles()
    big = ParagraphStyle("no_records", parent=st.title, fontSize=20, leading=26, spaceAfter=0)
    cells = [[para(message, big)]]
    if detail:
        cells.append([para(detail, ParagraphStyle("nr_detail", parent=st.subtitle))])
    box = Table(cells, colWidths=[120 * mm])
    box.setStyle(TableStyle([("FONT", (0, 0), (-1, -1), st.font, 9),
                             ("BOX", (0, 0), (-1, -1), 0.8, RULE),
                             ("TOPPADDING", (0, 0), (-1, 0), 8 * mm),
                             ("BOTTOMPADDING", (0, -1), (-1, -1), 8 * mm),
                             ("ALIGN", (0, 0), (-1, -1), "CENTER")]))
    return [Spacer(1, 20 * mm), box]


@dataclasses.dataclass(frozen=True)
class Column:
    """A table column: header text, relative width, alignment (LEFT, CENTER or RIGHT)."""

    header: str
    weight: float
    align: str = "LEFT"


def _avail_width() -> float:
    return A4[0] - 2 * MARGIN_X


def data_table(columns: Sequence[Column], rows: Sequence[Sequence[Any]], *,
               total_rows: Sequence[Sequence[Any]] = (), width: float | None = None,
               highlight_rows: Iterable[int] = (), zebra: bool = True) -> LongTable:
    """A ruled table whose header repeats on every page.

    Cells are text; a cell that fits its column is drawn as a plain string (fast: a 1000-row
    ledger stays well under a second), one that does not becomes a Paragraph with CJK wrapping.
    ``total_rows`` are appended with a shaded background; ``highlight_rows`` (indexes into
    ``rows``) are printed in the alert colour.
    """
    st = get_styles()
    width = width or _avail_width()
    total_weight = sum(c.weight for c in columns)
    widths = [width * c.weight / total_weight for c in columns]
    pad = 2.2
    para_styles = {"LEFT": st.cell, "CENTER": st.cell_center, "RIGHT": st.cell_right}
    font, size = st.font, st.cell_size
    alert_styles = {k: ParagraphStyle(f"{v.name}_alert", parent=v, textColor=ALERT)
                    for k, v in para_styles.items()}

    # The same text in the same column (a provider's name on every ledger line) shares one
    # Paragraph: a cell's layout depends only on its text, style and column width.
    made: dict[tuple, Any] = {}

    def cell(value: Any, col: int, style_map=para_styles):
        if isinstance(value, Flowable):
            return value
        s = text(value)
        key = (s, col, id(style_map))
        found = made.get(key)
        if found is None:
            if "\n" not in s and stringWidth(s, font, size) <= widths[col] - 2 * pad:
                found = s
            else:
                found = Paragraph(escape(s).replace("\n", "<br/>"), style_map[columns[col].align])
            made[key] = found
        return found

    header = [cell(c.header, i, {"LEFT": st.head, "CENTER": st.head, "RIGHT": st.head})
              for i, c in enumerate(columns)]
    highlight = set(highlight_rows)
    body = [[cell(v, i, alert_styles if r in highlight else para_styles) for i, v in enumerate(row)]
            for r, row in enumerate(rows)]
    totals = [[cell(v, i) for i, v in enumerate(row)] for row in total_rows]
    data = [header] + body + totals
    n = len(data)
    cmds: list[tuple] = [
        ("FONT", (0, 0), (-1, -1), font, size, size + 2.2),
        ("TEXTCOLOR", (0, 0), (-1, -1), INK),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), pad),
        ("RIGHTPADDING", (0, 0), (-1, -1), pad),
        ("TOPPADDING", (0, 0), (-1, -1), 1.8),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.2),
        ("GRID", (0, 0), (-1, -1), 0.4, GRID),
        ("BOX", (0, 0), (-1, -1), 0.8, RULE),
        ("BACKGROUND", (0, 0), (-1, 0), HEAD_BG),
        ("ALIGN", (0, 0), (-1, 0), "CENTER"),
    ]
    for i, c in enumerate(columns):
        cmds.append(("ALIGN", (i, 1), (i, n - 1), c.align))
    if zebra and len(body) > 3:
        cmds.append(("ROWBACKGROUNDS", (0, 1), (-1, len(body)), [colors.white, ZEBRA]))
    for r in sorted(highlight):
        cmds.append(("TEXTCOLOR", (0, r + 1), (-1, r + 1), ALERT))
    if totals:
        first = 1 + len(body)
        cmds += [("BACKGROUND", (0, first), (-1, n - 1), HEAD_BG),
                 ("LINEABOVE", (0, first), (-1, first), 0.8, RULE),
                 # a total line never starts a page alone
                 ("NOSPLIT", (0, max(first - 1, 1)), (-1, n - 1))]
    table = LongTable(data, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(TableStyle(cmds))
    return table


def kv_table(pairs: Sequence[tuple[str, Any]], *, per_row: int = 2,
             width: float | None = None) -> Table:
    """Label/value pairs laid out ``per_row`` to a line (identity blocks, settlement header)."""
    st = get_styles()
    width = width or _avail_width()
    label_w = 28 * mm
    value_w = (width - per_row * label_w) / per_row
    rows, row = [], []
    for label, value in pairs:
        row += [para(label, st.cell), para(text_or_dash(value), st.cell)]
        if len(row) == 2 * per_row:
            rows.append(row)
            row = []
    if row:
        row += [""] * (2 * per_row - len(row))
        rows.append(row)
    table = Table(rows, colWidths=[label_w, value_w] * per_row, hAlign="LEFT")
    cmds = [("FONT", (0, 0), (-1, -1), st.font, st.cell_size),
            ("GRID", (0, 0), (-1, -1), 0.4, GRID), ("BOX", (0, 0), (-1, -1), 0.8, RULE),
            ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
            ("TOPPADDING", (0, 0), (-1, -1), 2), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]
    cmds += [("BACKGROUND", (2 * i, 0), (2 * i, -1), HEAD_BG) for i in range(per_row)]
    table.setStyle(TableStyle(cmds))
    return table


def signoff_lines(labels: Sequence[str], *, width: float | None = None) -> Flowable:
    """"经办人：______  审核人：______  日期：______" — blank lines to sign on paper."""
    st = get_styles()
    width = width or _avail_width()
    labels = [text(x) for x in labels]
    label_w = [stringWidth(x + "：", st.font, 10) + 2 * mm for x in labels]
    line_w = (width - sum(label_w)) / max(len(labels), 1) - 2 * mm
    cells, widths = [], []
    for label, lw in zip(labels, label_w):
        cells += [label + "：", ""]
        widths += [lw, line_w]
    table = Table([cells], colWidths=widths, rowHeights=[11 * mm], hAlign="LEFT")
    cmds = [("FONT", (0, 0), (-1, -1), st.font, 10), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
            ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 2 * mm)]
    cmds += [("LINEBELOW", (2 * i + 1, 0), (2 * i + 1, 0), 0.6, INK) for i in range(len(labels))]
    table.setStyle(TableStyle(cmds))
    return KeepTogether([Spacer(1, 6 * mm), table])


class SectionStart(Flowable):
    """Starts a section (e.g. one resident of a batch) at this point; place it at a page top.

    Page numbering ("第 x 页 共 y 页") then restarts for the section and the header shows ``label``.
    """

    def __init__(self, label: str):
        super().__init__()
        self.label = text(label)
        self.width = self.height = 0

    def wrap(self, availWidth, availHeight):
        return 0, 0

    def draw(self):
        begin = getattr(self.canv, "assist_begin_section", None)
        if begin is not None:
            begin(self.label)


def new_page() -> Flowable:
    """A page break that never leaves a blank page."""
    return PageBreakIfNotEmpty()


# --------------------------------------------------------------------------------------------
# The page template


@dataclasses.dataclass(frozen=True)
class PageInfo:
    number: int  # in the whole file
    total: int
    section_label: str | None
    section_number: int  # within the section (== number when there are no sections)
    section_total: int
    sectioned: bool


class _PagedCanvas(Canvas):
    """Holds every page until the end, then draws header and footer knowing the page count."""

    def __init__(self, *args, decorate: Callable[[Canvas, PageInfo], None],
                 date_formatter: Callable | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self._assist_decorate = decorate
        self._assist_pages: list[dict] = []
        self._assist_section: tuple[int, str | None] = (0, None)
        if date_formatter is not None:
            self.setDateFormatter(date_formatter)

    def assist_begin_section(self, label: str) -> None:
        self._assist_section = (self._assist_section[0] + 1, label)

    def showPage(self):
        self._assist_pages.append(dict(self.__dict__))
        self._startPage()

    def save(self):
        pages = self._assist_pages
        sections = [p["_assist_section"] for p in pages]
        per_section = Counter(sid for sid, _ in sections)
        sectioned = any(sid for sid, _ in sections)
        seen: Counter = Counter()
        for number, state in enumerate(pages, 1):
            self.__dict__.update(state)
            sid, label = state["_assist_section"]
            seen[sid] += 1
            self._assist_decorate(self, PageInfo(
                number=number, total=len(pages), section_label=label,
                section_number=seen[sid] if sectioned else number,
                section_total=per_section[sid] if sectioned else len(pages),
                sectioned=sectioned))
            Canvas.showPage(self)
        Canvas.save(self)


def _fit(s: str, font: str, size: float, max_width: float) -> str:
    if stringWidth(s, font, size) <= max_width:
        return s
    while s and stringWidth(s + "…", font, size) > max_width:
        s = s[:-1]
    return s + "…"


def _decorate(canv: Canvas, page: PageInfo, *, meta: DocumentMeta, font: str) -> None:
    width, height = canv._pagesize
    left, right = MARGIN_X, width - MARGIN_X
    canv.saveState()
    canv.setFillColor(INK)
    # Header: bureau and title; a second line with the section and the whole-file page count.
    canv.setFont(font, 10)
    bureau = _fit(meta.bureau_name, font, 10, (right - left) * 0.45)
    canv.drawString(left, height - 12 * mm, bureau)
    canv.drawRightString(right, height - 12 * mm,
                         _fit(meta.title, font, 10, (right - left) * 0.5))
    canv.setFont(font, 8)
    canv.setFillColor(MUTED)
    if page.sectioned:
        if page.section_label:
            canv.drawString(left, height - 16.5 * mm,
                            _fit(page.section_label, font, 8, (right - left) * 0.6))
        canv.drawRightString(right, height - 16.5 * mm, f"全册第 {page.number} 页 共 {page.total} 页")
    canv.setStrokeColor(RULE)
    canv.setLineWidth(0.6)
    canv.line(left, height - 18.5 * mm, right, height - 18.5 * mm)
    # Footer: sensitivity notice, then printed-by/at, verification code, page x of y.
    canv.line(left, 16.5 * mm, right, 16.5 * mm)
    if meta.sensitive:
        canv.setFillColor(ALERT)
        canv.setFont(font, 8)
        canv.drawCentredString(width / 2, 12.5 * mm, SENSITIVE_NOTICE)
    canv.setFillColor(INK)
    canv.setFont(font, 8)
    printed = f"打印人：{meta.printed_by}　打印时间：{fmt_datetime(meta.printed_at)}"
    canv.drawString(left, 8 * mm, _fit(printed, font, 8, (right - left) * 0.42))
    canv.drawCentredString(left + (right - left) * 0.58, 8 * mm, f"验证码：{meta.verification_code}")
    canv.drawRightString(right, 8 * mm, f"第 {page.section_number} 页 共 {page.section_total} 页")
    canv.restoreState()


def _pdf_date(value: dt.datetime) -> Callable:
    stamp = value.astimezone(DISPLAY_TZ)
    offset = stamp.utcoffset()
    hours, minutes = divmod(int(offset.total_seconds()) // 60, 60)
    formatted = stamp.strftime("D:%Y%m%d%H%M%S") + f"{hours:+03d}'{minutes:02d}'"
    return lambda *_ymdhms: formatted


def build(meta: DocumentMeta, story: Sequence[Flowable], *, subject: str | None = None) -> bytes:
    """Lay out ``story`` on the shared page template and return the PDF bytes (A4 portrait).

    An empty story prints the "本期无记录" page rather than failing.
    """
    font = fonts.get_fonts().name
    story = list(story) or no_records_block()
    buffer = io.BytesIO()
    doc = BaseDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN_X, rightMargin=MARGIN_X, topMargin=MARGIN_TOP,
        bottomMargin=MARGIN_BOTTOM, title=meta.title, author=meta.bureau_name,
        subject=text(subject) or meta.title, creator="assist reports", producer="assist reports",
        invariant=1, pageCompression=1, lang="zh-CN", initialFontName=font,
    )
    frame = Frame(doc.leftMargin, doc.bottomMargin, doc.width, doc.height, id="body",
                  leftPadding=0, rightPadding=0, topPadding=0, bottomPadding=0)
    doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
    canvasmaker = functools.partial(
        _PagedCanvas, decorate=functools.partial(_decorate, meta=meta, font=font),
        date_formatter=_pdf_date(meta.printed_at))
    doc.build(story, canvasmaker=canvasmaker)
    return buffer.getvalue()
