"""Figures of the needs diary for any period, per community, street and district — recomputed from
the records every time (nothing is stored that could drift from them).

For the period ``[from, to]`` (local dates, both included):

``visits``       visit records made (by ``visited_at``)
``needs``        needs collected on those visits
``dispatched``   items dispatched to a partner unit in the period (each item once, however often)
``resolved``     items a unit reported resolved in the period
``satisfied``    items closed with the resident satisfied in the period (the satisfaction list)
``unsatisfied``  "not satisfied" answers in the period (each reopens an item)
``satisfaction_rate``  satisfied ÷ (satisfied + unsatisfied) answers, or None without answers
``overdue``      items that became overdue in the period
``escalated_district``  items escalated to the district in the period
``overdue_now``  items overdue at this moment (not bound to the period)

Rows are areas in path order; each row counts its whole subtree (a street row includes its
communities and their grids), within the viewer's scope.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from assist.areas.models import Area
from assist.core.errors import ValidationError
from assist.core.scoping import scoped
from assist.core.timeutil import LOCAL_TZ, local_today
from assist.core.validation import Invalid, parse_date
from assist.diary.models import DiaryEntry, Problem, ProblemEvent
from assist.extensions import db

COUNTS = ("visits", "needs", "dispatched", "resolved", "satisfied", "unsatisfied", "overdue",
          "escalated_district", "overdue_now")
TITLES = {"visits": _l("Visits made"), "needs": _l("Needs collected"), "dispatched": _l("Dispatched"),
          "resolved": _l("Resolved"), "satisfied": _l("Closed, resident satisfied"),
          "unsatisfied": _l("Resident not satisfied"), "satisfaction_rate": _l("Satisfaction rate"),
          "overdue": _l("Became overdue"), "escalated_district": _l("Escalated to the district"),
          "overdue_now": _l("Overdue now")}
LABELS = {"from": _l("From"), "to": _l("To"), "area_code": _l("Area")}
MAX_DAYS = 10 * 366
# Event kinds counted once per item, and the figure each feeds.
DISTINCT_EVENTS = {"dispatch": "dispatched", "resolve": "resolved", "close": "satisfied", "overdue": "overdue"}


def _error(key: str, message) -> ValidationError:
    return ValidationError(fields={key: [_("%(field)s: %(message)s", field=str(LABELS[key]), message=str(message))]})


def _date(raw, key: str) -> dt.date | None:
    if raw in (None, ""):
        return None
    try:
        return parse_date(raw)
    except Invalid as exc:
        raise _error(key, exc)


def parse_period(start_raw, end_raw) -> tuple[dt.date, dt.date]:
    """``from``/``to`` as dates; by default the current year up to today. 422 naming the field."""
    today = local_today()
    start = _date(start_raw, "from") or dt.date(today.year, 1, 1)
    end = _date(end_raw, "to") or today
    if end < start:
        raise _error("to", _("must not be before the start"))
    if (end - start).days > MAX_DAYS:
        raise _error("to", _("the period may be at most ten years"))
    return start, end


def bounds(start: dt.date, end: dt.date) -> tuple[dt.datetime, dt.datetime]:
    """Local days ``start``..``end`` (inclusive) as the UTC half-open range the columns are compared with."""
    lo = dt.datetime.combine(start, dt.time(0), LOCAL_TZ).astimezone(dt.timezone.utc)
    hi = dt.datetime.combine(end + dt.timedelta(days=1), dt.time(0), LOCAL_TZ).astimezone(dt.timezone.utc)
    return lo, hi


def period_bounds(start_raw, end_raw, *, required: bool = True):
    """For list filters: either bound may be absent (then None) unless ``required``."""
    if required:
        return bounds(*parse_period(start_raw, end_raw))
    start, end = _date(start_raw, "from"), _date(end_raw, "to")
    if start and end and end < start:
        raise _error("to", _("must not be before the start"))
    return (bounds(start, start)[0] if start else None), (bounds(end, end)[1] if end else None)


@dataclass
class Row:
    area: Area
    depth: int
    counts: dict = field(default_factory=dict)

    @property
    def satisfaction_rate(self) -> float | None:
        answers = self.counts.get("satisfied", 0) + self.counts.get("unsatisfied", 0)
        return round(self.counts.get("satisfied", 0) / answers, 4) if answers else None

    def to_dict(self) -> dict:
        return {"area_code": self.area.code, "area_name": self.area.name, "level": self.area.level,
                "parent_code": self.area.parent_code, **{k: self.counts.get(k, 0) for k in COUNTS},
                "satisfaction_rate": self.satisfaction_rate}


@dataclass
class Figures:
    start: dt.date
    end: dt.date
    roots: list[Area]
    rows: list[Row]
    totals: Row

    def to_dict(self) -> dict:
        totals = self.totals.to_dict()
        for key in ("area_code", "area_name", "level", "parent_code"):
            totals.pop(key)
        return {"from": self.start.isoformat(), "to": self.end.isoformat(),
                "area_codes": [a.code for a in self.roots], "totals": totals,
                "rows": [r.to_dict() for r in self.rows]}


def _roots(user, area_code: str | None) -> list[Area]:
    """The areas the figures are for: the one asked for, else the viewer's areas, else the district."""
    if area_code:
        area = db.session.get(Area, str(area_code).strip()[:20])
        if area is None:
            raise _error("area_code", _("unknown area code %(code)s", code=str(area_code)[:20]))
        if user.role == "caseworker" and not any(area.path.startswith(a.path) for a in user.areas):
            raise _error("area_code", _("is outside your areas"))
        return [area]
    if user.role == "caseworker":
        areas = sorted(user.areas, key=lambda a: a.path)
        # An area inside another of the user's areas is already counted there.
        return [a for a in areas if not any(a is not b and a.path.startswith(b.path) for b in areas)]
    district = db.session.get(Area, current_app.config.get("DISTRICT_CODE") or "")
    if district is None:
        district = db.session.scalars(sa.select(Area).where(Area.parent_code.is_(None)).order_by(Area.path)).first()
    return [district] if district else []


def _grouped(stmt) -> dict[str, int]:
    return {code: n for code, n in db.session.execute(stmt).all()}


def compute(user, start: dt.date, end: dt.date, area_code: str | None = None) -> Figures:
    """Recompute every figure for the period from the records, in ``user``'s scope."""
    roots = _roots(user, area_code)
    lo, hi = bounds(start, end)
    per_area: dict[str, dict[str, int]] = {}

    def add(metric: str, grouped: dict[str, int]) -> None:
        for code, n in grouped.items():
            per_area.setdefault(code, {})[metric] = per_area.get(code, {}).get(metric, 0) + n

    add("visits", _grouped(scoped(
        sa.select(DiaryEntry.area_code, sa.func.count()).where(DiaryEntry.visited_at >= lo, DiaryEntry.visited_at < hi)
        .group_by(DiaryEntry.area_code), DiaryEntry, user)))
    add("needs", _grouped(scoped(
        sa.select(Problem.area_code, sa.func.count()).join(DiaryEntry, DiaryEntry.id == Problem.diary_id)
        .where(DiaryEntry.visited_at >= lo, DiaryEntry.visited_at < hi).group_by(Problem.area_code), Problem, user)))
    in_period = sa.and_(ProblemEvent.at >= lo, ProblemEvent.at < hi)
    for kind, metric in DISTINCT_EVENTS.items():
        add(metric, _grouped(scoped(
            sa.select(Problem.area_code, sa.func.count(sa.distinct(ProblemEvent.problem_id)))
            .select_from(ProblemEvent).join(Problem, Problem.id == ProblemEvent.problem_id)
            .where(ProblemEvent.kind == kind, in_period)
            .group_by(Problem.area_code), Problem, user)))
    add("unsatisfied", _grouped(scoped(
        sa.select(Problem.area_code, sa.func.count()).select_from(ProblemEvent)
        .join(Problem, Problem.id == ProblemEvent.problem_id)
        .where(ProblemEvent.kind == "reopen", in_period).group_by(Problem.area_code), Problem, user)))
    # Escalations are few; their level is in the event's data, read here rather than in SQL (portable JSON).
    district: dict[str, set] = {}
    for code, problem_id, data in db.session.execute(scoped(
            sa.select(Problem.area_code, ProblemEvent.problem_id, ProblemEvent.data)
            .select_from(ProblemEvent).join(Problem, Problem.id == ProblemEvent.problem_id)
            .where(ProblemEvent.kind == "escalate", in_period),
            Problem, user)).all():
        if (data or {}).get("level") == "district":
            district.setdefault(code, set()).add(problem_id)
    add("escalated_district", {code: len(ids) for code, ids in district.items()})
    add("overdue_now", _grouped(scoped(
        sa.select(Problem.area_code, sa.func.count()).where(Problem.status == "overdue").group_by(Problem.area_code),
        Problem, user)))

    # Roll each area's counts up to every area above it: one pass over the codes, whatever the depth.
    paths = dict(db.session.execute(sa.select(Area.code, Area.path)).all())
    subtree: dict[str, dict[str, int]] = {}
    for code, metrics in per_area.items():
        parts = [p for p in paths.get(code, "").split("/") if p]
        for depth in range(1, len(parts) + 1):
            bucket = subtree.setdefault("/".join(parts[:depth]) + "/", {})
            for k, n in metrics.items():
                bucket[k] = bucket.get(k, 0) + n
    rows: list[Row] = []
    for root in roots:
        areas = db.session.scalars(sa.select(Area).where(Area.path.startswith(root.path, autoescape=True))
                                   .order_by(Area.path)).all()
        for area in areas:
            counts = {k: subtree.get(area.path, {}).get(k, 0) for k in COUNTS}
            rows.append(Row(area, area.path.count("/") - root.path.count("/"), counts))
    totals = Row(roots[0] if roots else Area(code="", name="", level="", path=""), 0,
                 {k: sum(r.counts[k] for r in rows if r.area in roots) for k in COUNTS})
    return Figures(start, end, roots, rows, totals)


def problems_in_period(user, start: dt.date, end: dt.date, roots: list[Area]) -> list[Problem]:
    """The needs collected in the period in ``roots`` (for the export's list sheet)."""
    lo, hi = bounds(start, end)
    stmt = scoped(sa.select(Problem).join(DiaryEntry, DiaryEntry.id == Problem.diary_id)
                  .where(DiaryEntry.visited_at >= lo, DiaryEntry.visited_at < hi), Problem, user)
    if roots:
        within = sa.select(Area.code).where(sa.or_(*[Area.path.startswith(r.path, autoescape=True) for r in roots]))
        stmt = stmt.where(Problem.area_code.in_(within))
    stmt = stmt.options(selectinload(Problem.diary), selectinload(Problem.resident), selectinload(Problem.unit))
    return list(db.session.scalars(stmt.order_by(DiaryEntry.visited_at, Problem.id)))
