"""The district summary for a period (服务情况统计汇总): residents served and services delivered by
category and item, by community, by target group and month by month, with charts.

Counts come from the application as :class:`Tally` rows. "Residents" in a row are distinct
residents within that row, so the rows of a breakdown do not add up to the overall number of
residents served (one resident may receive several categories); the overall distinct count is
``SummaryData.residents_served`` and the tables' total lines print it, with a note saying so.
Services (人次) and amounts do add up, and the total lines are computed from the rows.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import math
from collections.abc import Sequence
from decimal import Decimal

from reportlab.graphics.charts.barcharts import HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, String
from reportlab.graphics.widgets.markers import makeMarker
from reportlab.lib import colors
from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Spacer

from . import base
from .base import (DASH, Column, DocumentMeta, data_table, fmt_money, fmt_period, fmt_qty, heading,
                   money, text)

PALETTE = [colors.HexColor(c) for c in (
    "#3b6ea5", "#e07b39", "#4f9d69", "#c4493f", "#8a6bb1", "#b08d2e", "#3a9aa6", "#7d7d7d")]
MAX_COMMUNITY_BARS = 20  # more communities are drawn as their top 19 + "其他"; the table has all


@dataclasses.dataclass(frozen=True)
class Tally:
    """One line of a breakdown: ``label`` is printed (e.g. "A 生活服务", "华苑社区", "2024-03")."""

    label: str
    residents: int  # distinct residents served within this line
    services: int  # services delivered (人次: completed visits)
    quantity: Decimal | int | None = None  # in ``unit`` (by item only)
    unit: str | None = None
    amount: Decimal | int | str | None = None  # 元, if known
    code: str | None = None  # item code, category letter, target group code ... (not printed)


@dataclasses.dataclass(frozen=True)
class SummaryData:
    scope: str  # e.g. "乌海市海南区"
    period_start: dt.date
    period_end: dt.date
    residents_served: int  # distinct, over the whole period and scope
    services_delivered: int
    amount: Decimal | int | str | None = None
    by_category: Sequence[Tally] = ()
    by_item: Sequence[Tally] = ()
    by_community: Sequence[Tally] = ()
    by_target_group: Sequence[Tally] = ()
    by_month: Sequence[Tally] = ()  # in month order; label e.g. "2024-03"
    notes: Sequence[str] = ()

    @property
    def is_empty(self) -> bool:
        return not self.services_delivered and not any(
            t.services for rows in (self.by_category, self.by_item, self.by_community,
                                    self.by_target_group, self.by_month) for t in rows)


# --------------------------------------------------------------------------------------------
# Charts (reportlab.graphics, drawn into the PDF as vectors)


def _nice_max(value: float) -> tuple[float, float]:
    """An axis maximum ≥ value and a step giving 4–6 gridlines."""
    if value <= 0:
        return 1, 1
    magnitude = 10 ** math.floor(math.log10(value))
    for m in (1, 2, 2.5, 5, 10):
        step = m * magnitude / 5 if m * magnitude >= value else None
        if step:
            step = max(step, 1)
            return math.ceil(value / step) * step, step
    return value, value / 5


def _title(drawing: Drawing, caption: str, font: str) -> None:
    drawing.add(String(drawing.width / 2, drawing.height - 10, text(caption), fontName=font,
                       fontSize=9, textAnchor="middle", fillColor=base.INK))


def _value_axis(axis, values, font):
    top, step = _nice_max(max(values, default=0))
    axis.valueMin, axis.valueMax, axis.valueStep = 0, top, step
    axis.labels.fontName, axis.labels.fontSize = font, 7
    axis.labelTextFormat = lambda v: f"{v:,.0f}"
    axis.visibleGrid = 1
    axis.gridStrokeColor = colors.HexColor("#dddddd")
    axis.gridStrokeWidth = 0.4


def bar_chart(caption: str, labels: Sequence[str], values: Sequence[float], *,
              width: float, height: float = 62 * mm, rotate_labels: bool = False) -> Drawing:
    font = base.get_styles().font
    d = Drawing(width, height, initialFontName=font)
    chart = VerticalBarChart()
    # Bars are scaled to fill the plot: with few categories, narrow the plot instead.
    plot_width = min(width - 44, max(len(values), 1) * 70)
    chart.x, chart.y = 34 + (width - 44 - plot_width) / 2, 28 if rotate_labels else 20
    chart.width, chart.height = plot_width, height - chart.y - 20
    chart.data = [list(values)]
    chart.categoryAxis.categoryNames = [text(x) for x in labels]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    if rotate_labels:
        chart.categoryAxis.labels.angle = 35
        chart.categoryAxis.labels.boxAnchor = "ne"
    chart.categoryAxis.labels.dy = -2
    _value_axis(chart.valueAxis, values, font)
    chart.bars[0].fillColor = PALETTE[0]
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName, chart.barLabels.fontSize = font, 6.5
    chart.barLabels.nudge = 6
    chart.groupSpacing = 6
    d.add(chart)
    _title(d, caption, font)
    return d


def hbar_chart(caption: str, labels: Sequence[str], values: Sequence[float], *,
               width: float) -> Drawing:
    font = base.get_styles().font
    n = max(len(values), 1)
    height = 30 + n * 13
    d = Drawing(width, height, initialFontName=font)
    chart = HorizontalBarChart()
    label_room = 90
    chart.x, chart.y = label_room, 14
    chart.width, chart.height = width - label_room - 24, height - 34
    # HorizontalBarChart draws the first category at the bottom: reverse for a top-down ranking.
    chart.data = [list(reversed(values))]
    chart.categoryAxis.categoryNames = [text(x) for x in reversed(labels)]
    chart.categoryAxis.labels.fontName = font
    chart.categoryAxis.labels.fontSize = 7
    chart.categoryAxis.labels.boxAnchor = "e"
    chart.categoryAxis.labels.dx = -3
    _value_axis(chart.valueAxis, values, font)
    chart.bars[0].fillColor = PALETTE[2]
    chart.bars[0].strokeColor = None
    chart.barLabelFormat = "%d"
    chart.barLabels.fontName, chart.barLabels.fontSize = font, 6.5
    chart.barLabels.nudge = 8
    d.add(chart)
    _title(d, caption, font)
    return d


def pie_chart(caption: str, labels: Sequence[str], values: Sequence[float], *,
              width: float, height: float = 62 * mm) -> Drawing:
    font = base.get_styles().font
    d = Drawing(width, height, initialFontName=font)
    pairs = [(text(label), v) for label, v in zip(labels, values) if v > 0]
    total = sum(v for _, v in pairs)
    if total <= 0:
        _title(d, caption, font)
        d.add(String(width / 2, height / 2, "无数据", fontName=font, fontSize=9,
                      textAnchor="middle", fillColor=base.MUTED))
        return d
    # A legend beside the pie rather than side labels: small slices' labels would collide.
    pie = Pie()
    size = min(height - 30, width / 3)
    pie.x, pie.y = width * 0.30 - size / 2, (height - 16 - size) / 2
    pie.width = pie.height = size
    pie.data = [v for _, v in pairs]
    pie.labels = None
    pie.slices.strokeColor = colors.white
    pie.slices.strokeWidth = 0.6
    for i in range(len(pairs)):
        pie.slices[i].fillColor = PALETTE[i % len(PALETTE)]
    legend = Legend()
    legend.x, legend.y = width * 0.55, pie.y + size - 6
    legend.alignment = "right"
    legend.columnMaximum = 10
    legend.deltay = 14
    legend.fontName, legend.fontSize = font, 8
    legend.colorNamePairs = [(PALETTE[i % len(PALETTE)], f"{label}  {v:,.0f}（{v / total:.1%}）")
                             for i, (label, v) in enumerate(pairs)]
    d.add(legend)
    d.add(pie)
    _title(d, caption, font)
    return d


def line_chart(caption: str, labels: Sequence[str], series: Sequence[tuple[str, Sequence[float]]],
               *, width: float, height: float = 66 * mm) -> Drawing:
    font = base.get_styles().font
    d = Drawing(width, height, initialFontName=font)
    chart = HorizontalLineChart()
    chart.x, chart.y = 40, 22
    chart.width, chart.height = width - 60, height - 58
    chart.data = [list(v) for _, v in series]
    chart.categoryAxis.categoryNames = [text(x) for x in labels]
    chart.categoryAxis.labels.fontName, chart.categoryAxis.labels.fontSize = font, 7
    chart.categoryAxis.labels.dy = -2
    if len(labels) > 12:
        chart.categoryAxis.labels.angle = 35
        chart.categoryAxis.labels.boxAnchor = "ne"
    _value_axis(chart.valueAxis, [x for _, v in series for x in v], font)
    for i in range(len(series)):
        chart.lines[i].strokeColor = PALETTE[i]
        chart.lines[i].strokeWidth = 1.4
        chart.lines[i].symbol = makeMarker("FilledCircle", size=3.5, fillColor=PALETTE[i],
                                           strokeColor=PALETTE[i])
    d.add(chart)
    legend = Legend()
    legend.x, legend.y = width / 2 - 60, height - 22
    legend.alignment = "right"
    legend.columnMaximum = 1
    legend.deltax = 70
    legend.fontName, legend.fontSize = font, 7.5
    legend.colorNamePairs = [(PALETTE[i], text(name)) for i, (name, _) in enumerate(series)]
    d.add(legend)
    _title(d, caption, font)
    return d


# --------------------------------------------------------------------------------------------
# The document


def _share(part: int, whole: int) -> str:
    return f"{part / whole:.1%}" if whole else DASH


def _tally_table(first: str, rows: Sequence[Tally], data: SummaryData, *, with_quantity=False,
                 with_share=True) -> Flowable:
    services_total = sum(t.services for t in rows)
    with_amount = any(t.amount is not None for t in rows)
    cols = [Column(first, 30), Column("服务人数", 12, "RIGHT"), Column("服务人次", 12, "RIGHT")]
    if with_quantity:
        cols.append(Column("服务量", 14, "RIGHT"))
    if with_share:
        cols.append(Column("人次占比", 11, "RIGHT"))
    if with_amount:
        cols.append(Column("金额(元)", 16, "RIGHT"))
    body, total = [], ["合计", f"{data.residents_served:,}*", f"{services_total:,}"]
    for t in rows:
        row = [t.label, f"{t.residents:,}", f"{t.services:,}"]
        if with_quantity:
            row.append(DASH if t.quantity is None else f"{fmt_qty(t.quantity)} {text(t.unit)}")
        if with_share:
            row.append(_share(t.services, services_total))
        if with_amount:
            row.append(fmt_money(t.amount))
        body.append(row)
    if with_quantity:
        total.append("")
    if with_share:
        total.append("100.0%" if services_total else DASH)
    if with_amount:
        total.append(fmt_money(sum((money(t.amount) for t in rows if t.amount is not None),
                                   Decimal("0.00"))))
    return data_table(cols, body, total_rows=[total])


def _part(title: str, chart: Drawing, table: Flowable) -> list[Flowable]:
    """Heading and chart kept on one page (the table that follows may break across pages)."""
    return [KeepTogether([base.para(title, base.get_styles().heading), chart, Spacer(1, 2 * mm)]),
            table]


def _story(meta: DocumentMeta, data: SummaryData) -> list[Flowable]:
    st = base.get_styles()
    width = base.A4[0] - 2 * base.MARGIN_X
    story: list[Flowable] = base.title_block(meta, [
        f"范围：{text(data.scope)}　　期间：{fmt_period(data.period_start, data.period_end)}"])
    if data.is_empty:
        return story + base.no_records_block(detail="本期无已完成的服务记录。")

    story += heading("一、总体情况")
    pairs = [("服务居民", f"{data.residents_served:,} 人（去重）"),
             ("服务人次", f"{data.services_delivered:,} 人次")]
    if data.amount is not None:
        pairs.append(("服务金额", f"{fmt_money(data.amount)} 元"))
    if data.by_month:
        pairs.append(("统计月数", f"{len(data.by_month)} 个月"))
    if data.residents_served:
        pairs.append(("人均服务", f"{data.services_delivered / data.residents_served:.1f} 人次"))
    story.append(base.kv_table(pairs))
    story.append(Spacer(1, 1.5 * mm))
    story.append(base.para("* 各表“服务人数”为该行内去重人数；同一居民可能接受多类服务，"
                           "故各行之和可大于合计行的总人数。", st.muted))

    if data.by_category:
        title = "二、按服务类别"
        chart = bar_chart("各类别服务人次", [t.label for t in data.by_category],
                          [t.services for t in data.by_category], width=width)
        story += _part(title, chart, _tally_table("服务类别", data.by_category, data))

    if data.by_item:
        title = "三、按服务项目"
        labels = [text(t.code) or text(t.label)[:4] for t in data.by_item]
        chart = bar_chart("各项目服务人次", labels, [t.services for t in data.by_item], width=width)
        story += _part(title, chart, _tally_table("服务项目", data.by_item, data,
                                                      with_quantity=True))

    if data.by_community:
        title = "四、按社区"
        ranked = sorted(data.by_community, key=lambda t: -t.services)
        if len(ranked) > MAX_COMMUNITY_BARS:
            rest = ranked[MAX_COMMUNITY_BARS - 1:]
            ranked = ranked[:MAX_COMMUNITY_BARS - 1] + [
                Tally("其他", sum(t.residents for t in rest), sum(t.services for t in rest))]
        chart = hbar_chart("各社区服务人次", [t.label for t in ranked],
                           [t.services for t in ranked], width=width)
        story += _part(title, chart, _tally_table("社区", data.by_community, data))

    if data.by_target_group:
        title = "五、按救助对象类别"
        chart = pie_chart("服务居民构成（按救助对象类别，人数）",
                          [t.label for t in data.by_target_group],
                          [t.residents for t in data.by_target_group], width=width)
        story += _part(title, chart, _tally_table("救助对象类别", data.by_target_group, data))

    if data.by_month:
        title = "六、按月趋势"
        chart = line_chart("逐月服务人次与服务人数", [t.label for t in data.by_month],
                           [("服务人次", [t.services for t in data.by_month]),
                            ("服务人数", [t.residents for t in data.by_month])], width=width)
        story += _part(title, chart, _tally_table("月份", data.by_month, data))

    if data.notes:
        story += heading("说明")
        story += [base.para(note, st.body) for note in data.notes]
    story.append(base.signoff_lines(("制表人", "审核人", "日期")))
    return story


def build_summary(meta: DocumentMeta, data: SummaryData) -> bytes:
    """The district summary as PDF bytes ("本期无记录" when nothing was delivered)."""
    return base.build(meta, _story(meta, data), subject=text(data.scope))
