"""From the records to the plain data the PDF builders in ``reports/`` take (the app's side)."""
from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa
from sqlalchemy.orm import joinedload, selectinload
from flask_babel import gettext as _

import reports
from assist.areas import services as area_services
from assist.catalog import services as catalog_services
from assist.core.timeutil import LOCAL_TZ
from assist.extensions import db
from assist.plans import recurrence
from assist.plans.models import Plan
from assist.providers.models import Provider
from assist.reporting import anomalies as anomaly_checks
from assist.reporting import stats
from assist.residents.conditions import (ASSISTANCE_ZH, CHILD_STATUS_ZH, CONDITIONS)
from assist.residents.models import Resident
from assist.visits.models import Visit

GENDER_ZH = {"male": "男", "female": "女"}
STATUS_ZH = {"active": "在册", "suspended": "暂停", "terminated": "终止"}
LEVEL_ZH = {0: "0 能力完好", 1: "1 轻度失能", 2: "2 中度失能", 3: "3 重度失能", 4: "4 完全丧失"}
DISABILITY_ZH = {0: "无", 1: "一级", 2: "二级", 3: "三级", 4: "四级"}
DIARY_KIND_ZH = {"service": "服务需求", "policy": "政策帮扶", "governance": "社区治理", "wish": "微心愿"}
# Anomalies that withhold a visit's payment in the settlement until they are cleared.
DEDUCTED_KINDS = ("inactive_resident", "overlap", "too_short", "double_service", "no_evidence")


def _community_label(area) -> str:
    parent = area_services.names().get(area.parent_code or "", "")
    return f"{parent} {area.name}".strip()


def _in_period(value: dt.datetime, frm, to) -> bool:
    day = value.astimezone(LOCAL_TZ).date()
    return (frm is None or day >= frm) and (to is None or day <= to)


def history_data(resident: Resident, frm: dt.date | None, to: dt.date | None) -> "reports.history.HistoryData":
    from reports import history as h
    identity = h.Identity(
        name=resident.name, id_number_masked=resident.id_number_masked, gender=GENDER_ZH.get(resident.gender),
        age=resident.age, community=_community_label(resident.area), phone=resident.phone,
        emergency_contact=" ".join(x for x in (resident.emergency_contact_name, resident.emergency_contact_phone) if x)
        or None, address=resident.address or None, register_status=STATUS_ZH.get(resident.status))
    groups = [h.TargetGroupPeriod(ASSISTANCE_ZH[resident.assistance_type], resident.assistance_since)]
    conditions = []
    for cond in CONDITIONS:
        value = getattr(resident, cond.key)
        if cond.kind == "bool":
            if value:
                conditions.append(h.ConditionEntry(cond.zh, "是", resident.assessed_on))
        elif cond.kind == "child":
            if value != "none":
                conditions.append(h.ConditionEntry(cond.zh, CHILD_STATUS_ZH[value], resident.assessed_on))
        else:
            table = LEVEL_ZH if cond.key == "self_care_level" else DISABILITY_ZH
            conditions.append(h.ConditionEntry(cond.zh, table[value], resident.assessed_on))
    plans = [h.PlanEntry(p.item_code, p.item.name_zh, p.item.unit_zh, _frequency_zh(p.rrule), p.monthly_cap,
                         p.provider.name, p.start_date, p.end_date, "执行中" if p.status == "active" else "已终止")
             for p in db.session.scalars(sa.select(Plan).where(Plan.resident_id == resident.id).order_by(Plan.id))]
    ledger = []
    stmt = sa.select(Visit).where(Visit.resident_id == resident.id).order_by(Visit.scheduled_start, Visit.id).options(
        selectinload(Visit.files), selectinload(Visit.events), joinedload(Visit.staff))
    for v in db.session.scalars(stmt):
        when = v.check_in_at or v.scheduled_start
        if not _in_period(when, frm, to):
            continue
        reason = v.cancel_reason or next((e.reason for e in reversed(v.events) if e.kind in ("reschedule", "missed")
                                          and e.reason), None)
        status = "verified" if v.status == "completed" and v.verified_at else v.status
        ledger.append(h.LedgerEntry(when, v.item_code, v.item.name_zh, v.quantity, v.item.unit_zh, v.provider.name,
                                    v.staff.label if v.staff else None, status, v.rating, len(v.files),
                                    reason or None, f"V{v.id}"))
    return h.HistoryData(identity, frm, to, groups, conditions, plans, ledger, _diary_entries(resident, frm, to))


def _diary_entries(resident, frm, to) -> list:
    try:
        from assist.diary.services import history_entries
    except ImportError:
        return []
    from reports import history as h
    return [h.DiaryEntry(**entry) for entry in history_entries(resident, frm, to)]


def _frequency_zh(rule: str) -> str:
    from flask_babel import force_locale
    with force_locale("zh_Hans_CN"):
        return recurrence.describe(rule)


def settlement_data(user, provider: Provider, year: int, month: int, batch_ref: str | None = None,
                    recorded_total=None) -> "reports.settlement.SettlementData":
    """Every completed, verified visit of the month × unit price; flagged anomalies withheld."""
    from reports import settlement as s
    first = dt.date(year, month, 1)
    last = (first + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    start, end = stats.bounds(first, last)
    visits = list(db.session.scalars(sa.select(Visit).where(
        Visit.provider_id == provider.id, Visit.status == "completed", Visit.verified_at.is_not(None),
        Visit.scheduled_start >= start, Visit.scheduled_start < end).order_by(Visit.scheduled_start, Visit.id)
        .options(joinedload(Visit.staff))))
    items = {i.code: i for i in catalog_services.items()}
    lines, prices = [], {}
    for v in visits:
        price = provider.price_for(items[v.item_code])
        prices[v.id] = price
        lines.append(s.SettlementLine(f"V{v.id}", v.check_in_at or v.scheduled_start, v.resident.name, v.item_code,
                                      items[v.item_code].name_zh, items[v.item_code].unit_zh, v.quantity, price,
                                      v.staff.label if v.staff else None))
    flagged = {}
    ids = {v.id for v in visits}
    for a in anomaly_checks.detect(user, first, last, kinds=DEDUCTED_KINDS):
        if a.visit_id in ids and a.visit_id not in flagged:
            flagged[a.visit_id] = a
    by_id = {v.id: v for v in visits}
    deductions = [s.Deduction(f"V{vid}", a.kind, a.detail,
                              (by_id[vid].quantity * prices[vid]).quantize(decimal.Decimal("0.01"), decimal.ROUND_HALF_UP))
                  for vid, a in flagged.items()]
    return s.SettlementData(provider.name, year, month, lines, deductions, provider_code=provider.uscc,
                            batch_ref=batch_ref, recorded_total=recorded_total)


def summary_data(user, frm: dt.date, to: dt.date, area_code: str | None) -> "reports.summary.SummaryData":
    from reports import summary as sm
    fig = stats.figures(user, frm, to, area_code)
    items = {i.code: i for i in catalog_services.items()}
    cats = {c.code: c.name_zh for c in catalog_services.categories()}
    names = area_services.names()
    dec = decimal.Decimal
    scope = "乌海市" + (names.get(area_code, area_code) if area_code else names.get("150303", "海南区"))
    return sm.SummaryData(
        scope=scope, period_start=frm, period_end=to, residents_served=fig["residents_served"],
        services_delivered=fig["services"], amount=dec(fig["amount"]),
        by_category=[sm.Tally(f"{c} {cats[c]}", fig["by_category_residents"].get(c, 0), n, code=c)
                     for c, n in fig["by_category"].items()],
        by_item=[sm.Tally(f"{k} {items[k].name_zh}", v["residents"], v["services"], dec(v["quantity"]),
                          items[k].unit_zh, dec(v["amount"]), code=k) for k, v in fig["by_item"].items()],
        by_community=[sm.Tally(names.get(k, k), v["residents"], v["services"], amount=dec(v["amount"]), code=k)
                      for k, v in fig["by_community"].items()],
        by_target_group=[sm.Tally(ASSISTANCE_ZH.get(k, k), v["residents"], v["services"], code=k)
                         for k, v in fig["by_target_group"].items()],
        by_month=[sm.Tally(k, v["residents"], v["services"], amount=dec(v["amount"]), code=k)
                  for k, v in fig["by_month"].items()])


def anomaly_data(user, frm: dt.date, to: dt.date, found: list) -> "reports.anomalies.AnomalyData":
    from reports import anomalies as an
    residents = dict(db.session.execute(sa.select(Resident.id, Resident.name).where(
        Resident.id.in_({a.resident_id for a in found if a.resident_id}))).all()) if found else {}
    providers = dict(db.session.execute(sa.select(Provider.id, Provider.name)).all()) if found else {}
    rows = [an.AnomalyRow(a.kind, f"V{a.visit_id}" if a.visit_id else f"{a.object_type} {a.object_id}", a.detail,
                          a.day, residents.get(a.resident_id), providers.get(a.provider_id)) for a in found]
    scope = _("all areas") if user.role != "caseworker" else "、".join(a.name for a in user.areas)
    return an.AnomalyData(str(scope), frm, to, rows)
