"""The anomaly report (异常情况报告): what an audit flags (DOMAIN.md, "What an audit checks").

A count per kind, then every anomaly — kind, the visit or record it concerns, date, resident,
provider and a detail line — grouped by kind in the order of :data:`ANOMALY_KIND_LABELS`.
Detecting anomalies is the application's job; this module only prints them.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from . import base
from .base import (Column, DocumentMeta, data_table, fmt_date, fmt_period, heading, text,
                   text_or_dash)

# The audit checks of DOMAIN.md, in that order, under the kind codes of the API (API.md "Reports").
# Unknown kinds print as given, after these.
ANOMALY_KIND_LABELS = {
    "inactive_resident": "服务日资格不符（非在册状态）",
    "overlap": "同一服务人员时间重叠",
    "too_short": "服务时长过短",
    "over_cap": "超出计划月上限",
    "double_service": "同日同项目多机构重复服务",
    "late_entry": "补录（录入明显晚于服务）",
    "no_evidence": "已完成但无服务凭证",
    "location_mismatch": "签到位置远离居民住址",
    "settlement_mismatch": "结算金额不能复算",
    "diary_unconfirmed": "民情事项未经居民确认即办结",
}
SEVERITY_LABELS = {"high": "高", "medium": "中", "low": "低"}


def kind_label(kind: str) -> str:
    s = text(kind)
    return ANOMALY_KIND_LABELS.get(s, s)


@dataclasses.dataclass(frozen=True)
class AnomalyRow:
    kind: str  # a code of ANOMALY_KIND_LABELS, or a printed label
    ref: str  # the visit / record / settlement it concerns, e.g. "工单 V2024-000123"
    detail: str  # e.g. "服务时长 6 分钟，低于该项目合理下限 20 分钟"
    occurred_on: dt.date | dt.datetime | None = None
    resident_name: str | None = None
    provider: str | None = None
    severity: str | None = None  # high / medium / low, or a label


@dataclasses.dataclass(frozen=True)
class AnomalyData:
    scope: str  # e.g. "海南区" or "拉僧仲街道 华苑社区"
    period_start: dt.date | None
    period_end: dt.date | None
    rows: Sequence[AnomalyRow] = ()


def _kind_order(kind: str) -> tuple[int, str]:
    keys = list(ANOMALY_KIND_LABELS)
    s = text(kind)
    if s in ANOMALY_KIND_LABELS:
        return keys.index(s), ""
    labels = list(ANOMALY_KIND_LABELS.values())
    return (labels.index(s), "") if s in labels else (len(keys), s)


def _story(meta: DocumentMeta, data: AnomalyData) -> list[Flowable]:
    story: list[Flowable] = base.title_block(meta, [
        f"范围：{text(data.scope)}　　期间：{fmt_period(data.period_start, data.period_end)}"])
    if not data.rows:
        return story + base.no_records_block(detail="本期未发现异常情况。")
    rows = sorted(data.rows, key=lambda r: (_kind_order(r.kind),
                                            fmt_date(r.occurred_on) if r.occurred_on else ""))
    counts: dict[tuple, list] = {}
    for r in rows:
        counts.setdefault(_kind_order(r.kind), [kind_label(r.kind), 0])[1] += 1

    story += heading(f"一、异常分类统计（共 {len(rows)} 项）")
    story.append(data_table(
        [Column("序号", 8, "RIGHT"), Column("异常类型", 62), Column("数量", 30, "RIGHT")],
        [[str(i), label, str(n)] for i, (label, n) in enumerate(counts.values(), 1)],
        total_rows=[["", "合计", str(len(rows))]], width=110 * mm))

    story += heading("二、异常明细")
    high = [i for i, r in enumerate(rows) if text(r.severity) in ("high", "高")]
    story.append(data_table(
        [Column("序号", 4.5, "RIGHT"), Column("异常类型", 14), Column("工单/记录", 17),
         Column("日期", 10.5, "CENTER"), Column("居民", 7), Column("服务机构", 14),
         Column("说明", 28), Column("等级", 5, "CENTER")],
        [[str(i), kind_label(r.kind), r.ref, fmt_date(r.occurred_on), text_or_dash(r.resident_name),
          text_or_dash(r.provider), r.detail,
          text_or_dash(SEVERITY_LABELS.get(text(r.severity), r.severity))]
         for i, r in enumerate(rows, 1)],
        highlight_rows=high))
    story.append(base.signoff_lines(("核查人", "复核人", "日期")))
    return story


def build_anomalies(meta: DocumentMeta, data: AnomalyData) -> bytes:
    """The anomaly report as PDF bytes ("本期无记录" when nothing was flagged)."""
    return base.build(meta, _story(meta, data), subject=f"{text(data.scope)} 异常情况")
