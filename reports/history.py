"""The per-person service history printout (DOMAIN.md, "The per-person service history printout").

One resident: :func:`build_history`. Many residents in one file: :func:`build_history_batch` —
each resident starts on a new page and is a *section*: "第 x 页 共 y 页" counts that resident's
pages (so a resident's pages taken out of the batch are complete and checkable on their own), and
the header names the resident and adds "全册第 p 页 共 P 页" for the whole file.

The identity carries the ID number only masked (first 6 + last 4); a full number is refused.
Monthly totals are computed here from the ledger rows that count (so the totals always agree with
the printed ledger) and set against the monthly cap of the plans covering that month.
"""
from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from decimal import Decimal

from reportlab.platypus import Flowable

from . import base
from .base import (DASH, NO_RECORDS, NONE_RECORDED, Column, DocumentMeta, data_table, fmt_date,
                   fmt_datetime, fmt_period, fmt_qty, heading, local_date, text, text_or_dash,
                   to_decimal)

# Known visit status codes → printed labels; anything else is printed as given.
VISIT_STATUS_LABELS = {
    "scheduled": "待服务", "assigned": "已派单", "checked_in": "服务中", "completed": "已完成",
    "rated": "已回访", "verified": "已核验", "settled": "已结算", "missed": "未服务",
    "cancelled": "已取消", "rescheduled": "已改期", "flagged": "异常待查", "reopened": "已重开",
}
# Statuses whose quantity counts as delivered in the monthly totals (when LedgerEntry.counted
# is not given explicitly). Labels are accepted as well as codes.
COUNTED_STATUSES = frozenset({"completed", "rated", "verified", "settled",
                              "已完成", "已回访", "已核验", "已结算"})
# Statuses listed again under "取消与未服务记录" with their reasons.
EXCEPTION_STATUSES = frozenset({"missed", "cancelled", "rescheduled", "未服务", "已取消", "已改期"})
RATING_LABELS = {"satisfied": "满意", "basically": "基本满意", "basically_satisfied": "基本满意",
                 "basic": "基本满意", "unsatisfied": "不满意", "dissatisfied": "不满意"}
DEFAULT_SIGNOFF = ("经办人", "审核人", "日期")


@dataclasses.dataclass(frozen=True)
class Identity:
    name: str
    id_number_masked: str | None  # "150303********0012" — never the full number
    gender: str | None = None  # 男 / 女
    age: int | None = None
    community: str | None = None  # street and community, e.g. "拉僧仲街道 华苑社区"
    grid: str | None = None
    phone: str | None = None
    emergency_contact: str | None = None  # e.g. "李梅（女儿）139 0000 0000"
    address: str | None = None
    register_status: str | None = None  # 在册 / 暂停 / 终止 ...

    def __post_init__(self):
        masked = self.id_number_masked
        if masked is not None and not base.MASKED_ID_RE.fullmatch(str(masked)):
            raise ValueError("Identity.id_number_masked must be masked (first 6 + last 4, "
                             "e.g. 150303********0012); the full ID number is never printed")


@dataclasses.dataclass(frozen=True)
class TargetGroupPeriod:
    group: str  # 特困供养人员 ...
    start: dt.date | None
    end: dt.date | None = None  # None: current
    note: str | None = None


@dataclasses.dataclass(frozen=True)
class ConditionEntry:
    name: str  # 失能等级
    value: str  # 2 中度
    assessed_on: dt.date | None


@dataclasses.dataclass(frozen=True)
class PlanEntry:
    item_code: str
    item_name: str
    unit: str  # 次 / 小时 / 日
    frequency: str  # 每月2次
    monthly_cap: Decimal | int | None  # visits a month; None: no cap
    provider: str
    start: dt.date | None
    end: dt.date | None = None
    status: str | None = None


@dataclasses.dataclass(frozen=True)
class LedgerEntry:
    when: dt.datetime | dt.date  # service (or scheduled) time; aware datetimes print in local time
    item_code: str
    item_name: str
    quantity: Decimal | int | None
    unit: str
    provider: str
    worker: str | None
    status: str  # a code of VISIT_STATUS_LABELS or a printed label
    rating: str | None = None
    evidence_count: int = 0  # signature + photos
    reason: str | None = None  # why cancelled / missed / rescheduled
    ref: str | None = None  # visit number
    counted: bool | None = None  # in the monthly totals; None: decided by COUNTED_STATUSES


@dataclasses.dataclass(frozen=True)
class DiaryEntry:
    recorded_on: dt.date
    kind: str  # 服务需求 / 政策帮扶 / 社区治理 / 微心愿
    summary: str
    state: str  # 已派单 / 办理中 / 已办结（满意）...
    partner_unit: str | None = None
    resolved_on: dt.date | None = None


@dataclasses.dataclass(frozen=True)
class HistoryData:
    identity: Identity
    period_start: dt.date | None = None  # None/None: the whole history
    period_end: dt.date | None = None
    target_groups: Sequence[TargetGroupPeriod] = ()
    conditions: Sequence[ConditionEntry] = ()
    plans: Sequence[PlanEntry] = ()
    ledger: Sequence[LedgerEntry] = ()
    diary: Sequence[DiaryEntry] = ()
    signoff: Sequence[str] = DEFAULT_SIGNOFF

    def __post_init__(self):
        if not isinstance(self.identity, Identity):
            raise TypeError("HistoryData.identity must be a reports.history.Identity")
        for row in self.ledger:
            day = local_date(row.when)
            if (self.period_start and day < self.period_start) or (
                    self.period_end and day > self.period_end):
                raise ValueError(f"ledger row {row.ref or row.when} lies outside the period "
                                 f"{fmt_period(self.period_start, self.period_end)}")


@dataclasses.dataclass(frozen=True)
class MonthlyTotal:
    month: str  # YYYY-MM
    item_code: str
    item_name: str
    unit: str
    visits: int
    quantity: Decimal
    cap: Decimal | None

    @property
    def over_by(self) -> Decimal | None:
        """Visits beyond the cap (caps count visits, DOMAIN.md "visits beyond the plan's monthly cap")."""
        if self.cap is None or self.visits <= self.cap:
            return None
        return self.visits - self.cap


def status_label(status: str) -> str:
    s = text(status)
    return VISIT_STATUS_LABELS.get(s, s)


def is_counted(row: LedgerEntry) -> bool:
    return row.counted if row.counted is not None else text(row.status) in COUNTED_STATUSES


def _sort_key(when: dt.datetime | dt.date) -> dt.datetime:
    if isinstance(when, dt.datetime):
        return base.local(when).replace(tzinfo=None)
    return dt.datetime.combine(when, dt.time.min)


def _month_bounds(month: str) -> tuple[dt.date, dt.date]:
    year, mon = map(int, month.split("-"))
    first = dt.date(year, mon, 1)
    nxt = dt.date(year + (mon == 12), mon % 12 + 1, 1)
    return first, nxt - dt.timedelta(days=1)


def monthly_totals(data: HistoryData) -> list[MonthlyTotal]:
    """Delivered quantity per month and item, from the counted ledger rows, against the cap.

    The cap of a month is the largest ``monthly_cap`` among the plans for the item that cover any
    day of that month (a plan revised mid-month is not held to the lower of its two caps).
    """
    sums: dict[tuple[str, str], list] = {}
    for row in data.ledger:
        if not is_counted(row):
            continue
        month = local_date(row.when).strftime("%Y-%m")
        entry = sums.setdefault((month, text(row.item_code)),
                                [text(row.item_name), text(row.unit), 0, Decimal(0)])
        entry[2] += 1
        entry[3] += to_decimal(row.quantity) or Decimal(0)
    caps: dict[str, list[PlanEntry]] = defaultdict(list)
    for plan in data.plans:
        caps[text(plan.item_code)].append(plan)
    out = []
    for (month, code), (name, unit, visits, quantity) in sorted(sums.items()):
        first, last = _month_bounds(month)
        covering = [to_decimal(p.monthly_cap) for p in caps.get(code, ())
                    if p.monthly_cap is not None
                    and (p.start is None or p.start <= last) and (p.end is None or p.end >= first)]
        out.append(MonthlyTotal(month, code, name, unit, visits, quantity,
                                max(covering) if covering else None))
    return out


def _item(code, name) -> str:
    return f"{text(code)} {text(name)}".strip()


def _qty_unit(quantity, unit) -> str:
    return DASH if quantity is None else f"{fmt_qty(quantity)} {text(unit)}".strip()


def _section_label(identity: Identity) -> str:
    masked = identity.id_number_masked
    return f"居民：{text(identity.name)}" + (f"（{masked}）" if masked else "")


def _story(meta: DocumentMeta, data: HistoryData) -> list[Flowable]:
    ident = data.identity
    empty = NO_RECORDS if (data.period_start or data.period_end) else NONE_RECORDED
    story: list[Flowable] = base.title_block(meta, [
        f"居民：{text(ident.name)}　　统计期间：{fmt_period(data.period_start, data.period_end)}"])

    # 一、基本信息
    story += heading("一、基本信息")
    community = " ".join(x for x in (text(ident.community), text(ident.grid)) if x)
    pairs = [("姓名", ident.name), ("身份证号", ident.id_number_masked or "未登记"),
             ("性别", ident.gender), ("年龄", None if ident.age is None else f"{ident.age} 岁"),
             ("社区/网格", community), ("联系电话", ident.phone),
             ("紧急联系人", ident.emergency_contact)]
    if ident.register_status:
        pairs.append(("在册状态", ident.register_status))
    if ident.address:
        pairs.append(("居住地址", ident.address))
    story.append(base.kv_table(pairs))

    # 二、救助资格
    story += heading("二、救助资格")
    story += base.subheading("救助对象类别")
    if data.target_groups:
        story.append(data_table(
            [Column("类别", 30), Column("起始日期", 16, "CENTER"), Column("终止日期", 16, "CENTER"),
             Column("备注", 38)],
            [[g.group, fmt_date(g.start), fmt_date(g.end) if g.end else "至今",
              text_or_dash(g.note)] for g in data.target_groups]))
    else:
        story.append(base.empty_note(NONE_RECORDED))
    story += base.subheading("评估情况")
    if data.conditions:
        story.append(data_table(
            [Column("评估项目", 34), Column("结果", 40), Column("评估日期", 26, "CENTER")],
            [[c.name, c.value, fmt_date(c.assessed_on)] for c in data.conditions]))
    else:
        story.append(base.empty_note(NONE_RECORDED))

    # 三、服务计划
    story += heading("三、服务计划")
    if data.plans:
        story.append(data_table(
            [Column("服务项目", 16), Column("频次", 16), Column("月上限", 9, "RIGHT"),
             Column("服务机构", 25), Column("起止日期", 22, "CENTER"), Column("状态", 10, "CENTER")],
            [[_item(p.item_code, p.item_name), p.frequency,
              DASH if p.monthly_cap is None else f"{fmt_qty(p.monthly_cap)} 次", p.provider,
              f"{fmt_date(p.start)} 至 {fmt_date(p.end) if p.end else '今'}",
              text_or_dash(p.status)] for p in data.plans]))
    else:
        story.append(base.empty_note(NONE_RECORDED))

    # 四、服务台账
    ledger = sorted(data.ledger, key=lambda r: _sort_key(r.when))
    counted = sum(1 for r in ledger if is_counted(r))
    story += heading(f"四、服务台账（共 {len(ledger)} 条，计入服务 {counted} 条）")
    if ledger:
        flagged = [i for i, r in enumerate(ledger) if text(r.status) in ("flagged", "异常待查")]
        story.append(data_table(
            [Column("序号", 5, "RIGHT"), Column("服务时间", 14, "CENTER"), Column("服务项目", 15),
             Column("数量", 7, "RIGHT"), Column("服务机构", 21), Column("服务人员", 8),
             Column("状态", 7.5, "CENTER"), Column("回访评价", 8, "CENTER"), Column("凭证", 4.5, "RIGHT")],
            [[str(i), fmt_datetime(r.when), _item(r.item_code, r.item_name),
              _qty_unit(r.quantity, r.unit), r.provider, text_or_dash(r.worker),
              status_label(r.status), RATING_LABELS.get(text(r.rating), text_or_dash(r.rating)),
              str(r.evidence_count or 0)] for i, r in enumerate(ledger, 1)],
            highlight_rows=flagged))
    else:
        story.append(base.empty_note(empty))

    # 五、月度服务量与上限
    story += heading("五、月度服务量（对照计划月上限）")
    totals = monthly_totals(data)
    if totals:
        over = [i for i, t in enumerate(totals) if t.over_by is not None]
        story.append(data_table(
            [Column("月份", 11, "CENTER"), Column("服务项目", 22), Column("服务次数", 11, "RIGHT"),
             Column("服务量", 13, "RIGHT"), Column("月上限", 13, "RIGHT"), Column("对照", 18, "CENTER")],
            [[t.month, _item(t.item_code, t.item_name), str(t.visits),
              _qty_unit(t.quantity, t.unit),
              "未设上限" if t.cap is None else f"{fmt_qty(t.cap)} 次",
              DASH if t.cap is None else (
                  f"超出 {fmt_qty(t.over_by)} 次" if t.over_by is not None else "未超上限")]
             for t in totals],
            highlight_rows=over))
    else:
        story.append(base.empty_note(empty))

    # 六、民情日志
    story += heading("六、民情日志事项")
    if data.diary:
        story.append(data_table(
            [Column("登记日期", 12, "CENTER"), Column("类型", 11, "CENTER"), Column("事项", 37),
             Column("承办单位", 16), Column("状态", 12, "CENTER"), Column("办结日期", 12, "CENTER")],
            [[fmt_date(d.recorded_on), d.kind, d.summary, text_or_dash(d.partner_unit), d.state,
              fmt_date(d.resolved_on)] for d in sorted(data.diary, key=lambda d: d.recorded_on)]))
    else:
        story.append(base.empty_note(empty))

    # 七、取消与未服务
    exceptions = [r for r in ledger if text(r.status) in EXCEPTION_STATUSES]
    story += heading("七、取消、改期与未服务记录")
    if exceptions:
        story.append(data_table(
            [Column("计划时间", 15, "CENTER"), Column("服务项目", 16), Column("服务机构", 18),
             Column("状态", 9, "CENTER"), Column("原因", 42)],
            [[fmt_datetime(r.when), _item(r.item_code, r.item_name), r.provider,
              status_label(r.status), text_or_dash(r.reason)] for r in exceptions]))
    else:
        story.append(base.empty_note(empty))

    story.append(base.signoff_lines(data.signoff))
    return story


def build_history(meta: DocumentMeta, data: HistoryData) -> bytes:
    """One resident's service history as PDF bytes."""
    return base.build(meta, _story(meta, data), subject=_section_label(data.identity))


def build_history_batch(meta: DocumentMeta, residents: Sequence[HistoryData]) -> bytes:
    """Many residents in one PDF, each from a new page with its own page numbering.

    No residents at all prints the "本期无记录" document.
    """
    story: list[Flowable] = []
    for data in residents:
        if story:
            story.append(base.new_page())
        story.append(base.SectionStart(_section_label(data.identity)))
        story += _story(meta, data)
    if not story:
        story = base.title_block(meta) + base.no_records_block()
    return base.build(meta, story, subject=f"{len(residents)} 名居民")
