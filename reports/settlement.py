"""A provider's monthly settlement (服务费用月度结算单).

Every completed, verified visit of the month × its unit price, totals per item, deductions for
flagged anomalies, the amount payable in figures and in capital numerals, and a sign-off block.

The arithmetic lives in :func:`compute_totals` — the application should use the same function
when it records a settlement batch, so the stored amount and the printed one cannot drift. Each
line's amount is quantity × unit price rounded half-up to the cent; totals are sums of the
rounded line amounts. If the application passes the amount it recorded (``recorded_total``) and
that differs from the recomputed one, the document says so in red (an audit finding in itself).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from decimal import Decimal

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer, Table, TableStyle

from . import base
from .base import (Column, DocumentMeta, data_table, fmt_date, fmt_money, fmt_qty, heading,
                   money, text, text_or_dash, to_decimal)
from .anomalies import kind_label

DEFAULT_SIGNOFF = ("服务机构（盖章）", "社区核验", "民政局审核", "财务复核")


@dataclasses.dataclass(frozen=True)
class SettlementLine:
    """One completed, verified visit."""

    visit_ref: str  # 工单号
    served_on: dt.date | dt.datetime
    resident_name: str
    item_code: str
    item_name: str
    unit: str
    quantity: Decimal | int | str
    unit_price: Decimal | int | str  # 元 per unit
    worker: str | None = None

    @property
    def amount(self) -> Decimal:
        return money(to_decimal(self.quantity) * to_decimal(self.unit_price))


@dataclasses.dataclass(frozen=True)
class Deduction:
    """Money withheld for a flagged anomaly (or another recorded reason)."""

    visit_ref: str | None
    kind: str  # an anomaly kind code (see reports.anomalies.ANOMALY_KIND_LABELS) or a label
    detail: str
    amount: Decimal | int | str  # 元, ≥ 0

    def __post_init__(self):
        if to_decimal(self.amount) < 0:
            raise ValueError("Deduction.amount is the (non-negative) sum withheld")


@dataclasses.dataclass(frozen=True)
class SettlementData:
    provider_name: str
    year: int
    month: int
    lines: Sequence[SettlementLine] = ()
    deductions: Sequence[Deduction] = ()
    provider_code: str | None = None  # 统一社会信用代码
    contract_ref: str | None = None  # 购买服务合同编号
    batch_ref: str | None = None  # 结算批次号
    recorded_total: Decimal | int | str | None = None  # what the application stored, if any
    signoff: Sequence[str] = DEFAULT_SIGNOFF

    def __post_init__(self):
        if not 1 <= int(self.month) <= 12:
            raise ValueError("SettlementData.month must be 1..12")


@dataclasses.dataclass(frozen=True)
class ItemTotal:
    item_code: str
    item_name: str
    unit: str
    unit_prices: tuple[Decimal, ...]  # distinct prices, ascending (usually one)
    visits: int
    quantity: Decimal
    amount: Decimal


@dataclasses.dataclass(frozen=True)
class SettlementTotals:
    items: tuple[ItemTotal, ...]
    gross: Decimal  # Σ line amounts
    deducted: Decimal  # Σ deductions
    net: Decimal  # gross − deducted: the amount payable


def compute_totals(data: SettlementData) -> SettlementTotals:
    """Totals per item, gross, deductions and the net amount payable, to the cent."""
    by_item: dict[str, list] = {}
    for line in data.lines:
        code = text(line.item_code)
        entry = by_item.setdefault(code, [text(line.item_name), text(line.unit), set(), 0,
                                          Decimal(0), Decimal(0)])
        entry[2].add(money(line.unit_price))
        entry[3] += 1
        entry[4] += to_decimal(line.quantity)
        entry[5] += line.amount
    items = tuple(ItemTotal(code, name, unit, tuple(sorted(prices)), visits, qty, amount)
                  for code, (name, unit, prices, visits, qty, amount) in sorted(by_item.items()))
    gross = sum((i.amount for i in items), Decimal("0.00"))
    deducted = sum((money(d.amount) for d in data.deductions), Decimal("0.00"))
    return SettlementTotals(items, gross, deducted, gross - deducted)


def _signoff_block(labels: Sequence[str]) -> Flowable:
    st = base.get_styles()
    labels = [text(x) for x in labels] or list(DEFAULT_SIGNOFF)
    width = (base.A4[0] - 2 * base.MARGIN_X) / len(labels)
    rows = [labels, ["签字："] * len(labels), ["日期：　　年　　月　　日"] * len(labels)]
    table = Table(rows, colWidths=[width] * len(labels), rowHeights=[8 * mm, 20 * mm, 8 * mm])
    table.setStyle(TableStyle([
        ("FONT", (0, 0), (-1, -1), st.font, 9),
        ("BOX", (0, 0), (-1, -1), 0.8, base.RULE), ("INNERGRID", (0, 0), (-1, -1), 0.4, base.GRID),
        ("LINEBELOW", (0, 1), (-1, 1), 0, base.GRID),
        ("BACKGROUND", (0, 0), (-1, 0), base.HEAD_BG), ("ALIGN", (0, 0), (-1, 0), "CENTER"),
        ("VALIGN", (0, 0), (-1, 0), "MIDDLE"), ("VALIGN", (0, 1), (-1, -1), "TOP"),
    ]))
    return KeepTogether([Spacer(1, 5 * mm), table])


def _story(meta: DocumentMeta, data: SettlementData) -> list[Flowable]:
    st = base.get_styles()
    period = f"{int(data.year)}年{int(data.month)}月"
    story: list[Flowable] = base.title_block(meta, [f"结算月份：{period}"])
    story.append(base.kv_table([
        ("服务机构", data.provider_name), ("统一社会信用代码", data.provider_code),
        ("结算月份", period), ("合同编号", data.contract_ref),
        ("结算批次", data.batch_ref), ("服务工单", f"{len(data.lines)} 单"),
    ]))
    if not data.lines and not data.deductions:
        return story + base.no_records_block(detail=f"{text(data.provider_name)} {period}"
                                                    "无已完成并核验的服务工单，本期结算金额为 0.00 元。")
    totals = compute_totals(data)

    story += heading(f"一、服务明细（已完成并核验的工单，共 {len(data.lines)} 单）")
    lines = sorted(data.lines, key=lambda l: (base.local_date(l.served_on), text(l.visit_ref)))
    if lines:
        story.append(data_table(
            [Column("序号", 5, "RIGHT"), Column("工单号", 13), Column("服务日期", 11, "CENTER"),
             Column("居民", 8), Column("服务项目", 15), Column("服务人员", 8),
             Column("数量", 8, "RIGHT"), Column("单价(元)", 9, "RIGHT"), Column("金额(元)", 11, "RIGHT")],
            [[str(i), l.visit_ref, fmt_date(l.served_on), l.resident_name,
              f"{text(l.item_code)} {text(l.item_name)}", text_or_dash(l.worker),
              f"{fmt_qty(l.quantity)} {text(l.unit)}", fmt_money(l.unit_price), fmt_money(l.amount)]
             for i, l in enumerate(lines, 1)],
            total_rows=[["", "合计", "", "", "", "", "", "", fmt_money(totals.gross)]]))
    else:
        story.append(base.empty_note())

    story += heading("二、分项汇总")
    if totals.items:
        story.append(data_table(
            [Column("服务项目", 24), Column("单位", 7, "CENTER"), Column("单价(元)", 13, "RIGHT"),
             Column("工单数", 10, "RIGHT"), Column("服务量", 12, "RIGHT"), Column("金额(元)", 14, "RIGHT")],
            [[f"{t.item_code} {t.item_name}", t.unit,
              " / ".join(fmt_money(p) for p in t.unit_prices), str(t.visits), fmt_qty(t.quantity),
              fmt_money(t.amount)] for t in totals.items],
            total_rows=[["合计", "", "", str(sum(t.visits for t in totals.items)), "",
                         fmt_money(totals.gross)]]))
    else:
        story.append(base.empty_note())

    story += heading(f"三、异常扣减（{len(data.deductions)} 项）")
    if data.deductions:
        story.append(data_table(
            [Column("序号", 5, "RIGHT"), Column("工单号", 14), Column("异常类型", 17),
             Column("说明", 47), Column("扣减(元)", 12, "RIGHT")],
            [[str(i), text_or_dash(d.visit_ref), kind_label(d.kind), d.detail, fmt_money(d.amount)]
             for i, d in enumerate(data.deductions, 1)],
            total_rows=[["", "合计", "", "", fmt_money(totals.deducted)]]))
    else:
        story.append(base.empty_note("本期无扣减"))

    story += heading("四、结算金额")
    story.append(base.kv_table([
        ("应结金额", f"{fmt_money(totals.gross)} 元"), ("扣减金额", f"{fmt_money(totals.deducted)} 元"),
        ("实结金额", f"{fmt_money(totals.net)} 元"), ("大写", base.rmb_upper(totals.net)),
    ]))
    if data.recorded_total is not None and money(data.recorded_total) != totals.net:
        story += [Spacer(1, 2 * mm), base.para(
            f"注意：系统记录的结算金额 {fmt_money(data.recorded_total)} 元与按明细重新计算的"
            f"实结金额 {fmt_money(totals.net)} 元不符，请核查。", st.alert)]
    story.append(base.para("计算方法：每单金额 = 数量 × 单价（四舍五入到分）；应结金额为各单金额之和；"
                           "实结金额 = 应结金额 − 扣减金额。", st.muted))
    story.append(_signoff_block(data.signoff))
    return story


def build_settlement(meta: DocumentMeta, data: SettlementData) -> bytes:
    """The provider's monthly settlement as PDF bytes ("本期无记录" when there is nothing)."""
    return base.build(meta, _story(meta, data),
                      subject=f"{text(data.provider_name)} {int(data.year)}-{int(data.month):02d}")

