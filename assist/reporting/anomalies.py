"""The anomalies an audit looks for (DOMAIN.md "What an audit checks"), found from the records.

Each check reads the completed visits of the period in the caller's scope with a few set-based
queries (no query per visit) and yields :class:`Anomaly` rows. Kinds are the API's codes.
"""
from __future__ import annotations

import datetime as dt
import math
import statistics
from collections import defaultdict
from dataclasses import dataclass

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from sqlalchemy.orm import aliased

from assist.core.scoping import clause_for, scoped
from assist.core.timeutil import LOCAL_TZ
from assist.extensions import db
from assist.reporting.stats import bounds
from assist.residents.models import Resident, StatusChange
from assist.visits.models import Visit, VisitFile

KINDS = ("inactive_resident", "overlap", "too_short", "over_cap", "double_service", "late_entry", "no_evidence",
         "location_mismatch", "settlement_mismatch", "diary_unconfirmed")

# The least plausible time on site, in minutes, for items counted per visit; hourly items need at
# least half of the hours they bill.
MIN_MINUTES = {"A1": 3, "A2": 20, "A3": 10, "A4": 10, "B2": 60, "B3": 10, "B4": 30, "C1": 10, "C3": 5, "C4": 20,
               "D3": 3, "D4": 120, "E1": 10, "E4": 20, "F1": 15, "F2": 10, "F3": 30, "F4": 10}
HOURLY_UNITS = {"小时"}


@dataclass(frozen=True)
class Anomaly:
    kind: str
    visit_id: int | None
    detail: str
    resident_id: int | None = None
    day: dt.date | None = None
    provider_id: int | None = None
    object_type: str = "visit"
    object_id: int | None = None

    def to_dict(self) -> dict:
        return {"kind": self.kind, "visit_id": self.visit_id, "detail": self.detail, "resident_id": self.resident_id,
                "date": self.day.isoformat() if self.day else None, "provider_id": self.provider_id,
                "object_type": self.object_type, "object_id": self.object_id if self.object_id is not None
                else self.visit_id}


def _local_day(value: dt.datetime) -> dt.date:
    return value.astimezone(LOCAL_TZ).date()


def _completed(user, frm, to):
    start, end = bounds(frm, to)
    return scoped(sa.select(Visit), Visit, user).where(
        Visit.status == "completed", Visit.scheduled_start >= start, Visit.scheduled_start < end)


def detect(user, frm: dt.date, to: dt.date, kinds: tuple[str, ...] = KINDS) -> list[Anomaly]:
    visits = list(db.session.scalars(_completed(user, frm, to).order_by(Visit.scheduled_start, Visit.id)))
    found: list[Anomaly] = []
    checks = {"inactive_resident": _inactive, "overlap": _overlap, "too_short": _too_short, "over_cap": _over_cap,
              "double_service": _double_service, "late_entry": _late_entry, "no_evidence": _no_evidence,
              "location_mismatch": _location_mismatch}
    for kind in kinds:
        if kind in checks:
            found.extend(checks[kind](visits, user, frm, to))
    if "settlement_mismatch" in kinds:
        found.extend(_settlement_mismatch(user, frm, to))
    if "diary_unconfirmed" in kinds:
        found.extend(_diary_unconfirmed(user, frm, to))
    return found


def _visit_anomaly(kind: str, v: Visit, detail: str) -> Anomaly:
    return Anomaly(kind, v.id, detail, v.resident_id, _local_day(v.scheduled_start), v.provider_id)


def _inactive(visits, user, frm, to):
    ids = {v.resident_id for v in visits}
    if not ids:
        return []
    changes = defaultdict(list)
    for c in db.session.scalars(sa.select(StatusChange).where(StatusChange.resident_id.in_(ids))):
        changes[c.resident_id].append(c)
    from assist.matching import status_on
    from assist.residents.conditions import STATUS_TITLES
    out = []
    for v in visits:
        day = _local_day(v.check_in_at or v.scheduled_start)
        status = status_on(v.resident.status, changes.get(v.resident_id, []), day)
        if status != "active":
            out.append(_visit_anomaly("inactive_resident", v, _(
                "Served on %(day)s while the resident was %(status)s on the register.", day=day.isoformat(),
                status=str(STATUS_TITLES.get(status, status)))))
    return out


def _overlap(visits, user, frm, to):
    start, end = bounds(frm, to)
    a, b = aliased(Visit), aliased(Visit)
    a_start, a_end = sa.func.coalesce(a.check_in_at, a.scheduled_start), sa.func.coalesce(a.check_out_at, a.scheduled_end)
    b_start, b_end = sa.func.coalesce(b.check_in_at, b.scheduled_start), sa.func.coalesce(b.check_out_at, b.scheduled_end)
    stmt = sa.select(a.id, b.id).join(b, sa.and_(a.staff_id == b.staff_id, a.id < b.id)).where(
        a.status.in_(("completed", "checked_in")), b.status.in_(("completed", "checked_in")),
        a.scheduled_start >= start - dt.timedelta(days=1), a.scheduled_start < end,
        a_start < b_end, b_start < a_end)
    if clause_for(Visit, user) is not None:  # both visits in the caller's scope, or the pair is not reported
        in_scope = scoped(sa.select(Visit.id), Visit, user)
        stmt = stmt.where(a.id.in_(in_scope), b.id.in_(in_scope))
    by_id = {v.id: v for v in visits}
    out = []
    for first, second in db.session.execute(stmt):
        for this, other in ((first, second), (second, first)):
            v = by_id.get(this)
            if v is not None:
                out.append(_visit_anomaly("overlap", v, _("The same worker was also on visit %(other)d at that time.",
                                                          other=other)))
    return out


def _too_short(visits, user, frm, to):
    out = []
    for v in visits:
        if not v.check_in_at or not v.check_out_at:
            continue
        minutes = (v.check_out_at - v.check_in_at).total_seconds() / 60
        if v.item.unit_zh in HOURLY_UNITS:
            least = float(v.quantity or 0) * 60 * 0.5
        else:
            least = MIN_MINUTES.get(v.item_code, 5)
        if minutes < least:
            out.append(_visit_anomaly("too_short", v, _(
                "%(minutes)d minutes on site, less than the plausible %(least)d for %(item)s.",
                minutes=round(minutes), least=round(least), item=v.item.name)))
    return out


def _month_key(v: Visit) -> tuple[int, str]:
    return v.plan_id, _local_day(v.scheduled_start).strftime("%Y-%m")


def _over_cap(visits, user, frm, to):
    # Count whole months, even when the period starts or ends inside one.
    first = frm.replace(day=1)
    last = (to.replace(day=1) + dt.timedelta(days=32)).replace(day=1) - dt.timedelta(days=1)
    month_visits = list(db.session.scalars(_completed(user, first, last).order_by(
        sa.func.coalesce(Visit.check_in_at, Visit.scheduled_start), Visit.id)))
    counts: dict = defaultdict(int)
    in_period = {v.id for v in visits}
    out = []
    for v in month_visits:
        key = _month_key(v)
        counts[key] += 1
        if counts[key] > v.plan.monthly_cap and v.id in in_period:
            out.append(_visit_anomaly("over_cap", v, _(
                "Visit %(n)d of %(month)s for this plan; the monthly cap is %(cap)d.", n=counts[key], month=key[1],
                cap=v.plan.monthly_cap)))
    return out


def _double_service(visits, user, frm, to):
    groups = defaultdict(list)
    for v in visits:
        groups[(v.resident_id, v.item_code, _local_day(v.scheduled_start))].append(v)
    out = []
    for (_rid, item, day), group in groups.items():
        if len({v.provider_id for v in group}) > 1:
            names = "、".join(sorted({v.provider.name for v in group}))
            for v in group:
                out.append(_visit_anomaly("double_service", v, _(
                    "%(item)s served to the same resident on %(day)s by different providers: %(names)s.",
                    item=item, day=day.isoformat(), names=names)))
    return out


def _late_entry(visits, user, frm, to):
    hours = current_app.config.get("LATE_ENTRY_HOURS", 48)
    out = []
    for v in visits:
        if v.completed_entered_at and v.check_out_at and \
                (v.completed_entered_at - v.check_out_at).total_seconds() > hours * 3600:
            delay = (v.completed_entered_at - v.check_out_at).total_seconds() / 3600
            out.append(_visit_anomaly("late_entry", v, _("Recorded %(hours)d hours after the service ended.",
                                                         hours=round(delay))))
    return out


def _no_evidence(visits, user, frm, to):
    ids = [v.id for v in visits]
    with_files = set()
    for chunk in range(0, len(ids), 1000):
        with_files |= set(db.session.scalars(sa.select(VisitFile.visit_id).where(
            VisitFile.visit_id.in_(ids[chunk:chunk + 1000])).distinct()))
    return [_visit_anomaly("no_evidence", v, _("Completed with neither the resident's signature nor a photo."))
            for v in visits if v.id not in with_files]


def _distance_m(lat1, lng1, lat2, lng2) -> float:
    r = 6371000.0
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lng2 - lng1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * r * math.asin(math.sqrt(a))


def _location_mismatch(visits, user, frm, to):
    """Check-ins far from the home: the resident's recorded home position, or else where most of
    their check-ins happen (the median of at least three)."""
    limit = current_app.config.get("LOCATION_MISMATCH_METERS", 1000)
    located = [v for v in visits if v.check_in_lat is not None]
    if not located:
        return []
    ids = {v.resident_id for v in located}
    points = defaultdict(list)
    for rid, lat, lng in db.session.execute(sa.select(Visit.resident_id, Visit.check_in_lat, Visit.check_in_lng).where(
            Visit.resident_id.in_(ids), Visit.check_in_lat.is_not(None))):
        points[rid].append((lat, lng))
    homes = {}
    for r in db.session.execute(sa.select(Resident.id, Resident.home_lat, Resident.home_lng).where(
            Resident.id.in_(ids), Resident.home_lat.is_not(None))):
        homes[r.id] = (r.home_lat, r.home_lng)
    out = []
    for v in located:
        home = homes.get(v.resident_id)
        if home is None and len(points[v.resident_id]) >= 3:
            pts = points[v.resident_id]
            home = (statistics.median(p[0] for p in pts), statistics.median(p[1] for p in pts))
        if home is None:
            continue
        distance = _distance_m(v.check_in_lat, v.check_in_lng, *home)
        if distance > limit:
            out.append(_visit_anomaly("location_mismatch", v, _(
                "Checked in %(km).1f km from the resident's home.", km=distance / 1000)))
    return out


def _settlement_mismatch(user, frm, to):
    from decimal import ROUND_HALF_UP, Decimal

    from assist.providers.models import Provider
    from assist.reporting.models import SettlementBatch
    months = {(frm.replace(day=1) + dt.timedelta(days=31 * i)).strftime("%Y-%m")
              for i in range((to.year - frm.year) * 12 + to.month - frm.month + 1)}
    stmt = sa.select(SettlementBatch).where(SettlementBatch.month.in_(months))
    clause = clause_for(Provider, user)
    if user.role == "caseworker":
        return []  # settlements are the bureau's documents, not an area's
    if clause is not None:
        stmt = stmt.where(SettlementBatch.provider_id.in_(scoped(sa.select(Provider.id), Provider, user)))
    out = []
    cent = Decimal("0.01")
    for batch in db.session.scalars(stmt):
        gross = Decimal(0)
        for line in batch.lines:
            expected = (line.quantity * line.unit_price).quantize(cent, ROUND_HALF_UP)
            gross += line.amount
            if line.amount != expected:
                out.append(Anomaly("settlement_mismatch", line.visit_id, _(
                    "Settlement %(month)s line for visit %(visit)d: %(amount)s ≠ %(q)s × %(price)s.", month=batch.month,
                    visit=line.visit_id, amount=line.amount, q=line.quantity, price=line.unit_price),
                    provider_id=batch.provider_id, object_type="settlement", object_id=batch.id))
        deducted = sum((line.deduction for line in batch.lines), Decimal(0))
        if batch.gross != gross or batch.net != batch.gross - batch.deducted or batch.deducted != deducted:
            out.append(Anomaly("settlement_mismatch", None, _(
                "Settlement %(month)s of provider %(provider)d: the totals do not add up.", month=batch.month,
                provider=batch.provider_id), provider_id=batch.provider_id, object_type="settlement",
                object_id=batch.id))
    return out


def _diary_unconfirmed(user, frm, to):
    from assist.diary.services import closed_without_answer
    start, end = bounds(frm, to)
    return [Anomaly("diary_unconfirmed", None, row["detail"], object_type="problem", object_id=row["problem_id"])
            for row in closed_without_answer(start, end, user)]
