"""The calendar grids: a week or a month of visits in the viewer's scope, with the two things a
scheduler must see at a glance — clashes (one worker booked for overlapping visits) and over-capacity
weeks (a provider's visits in a week above its contracted weekly capacity).

Plain queries over the same scoped visit query as the list (:func:`services.filtered`); no writes.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from assist.auth.models import User
from assist.core.scoping import scoped
from assist.core.timeutil import LOCAL_TZ
from assist.extensions import db
from assist.providers.models import Provider
from assist.visits import services
from assist.visits.models import Visit

VIEWS = ("week", "month")
MAX_VISITS = 2000  # a district's month is ~500; beyond this the page asks for a narrower filter
CLASH_STATUSES = ("scheduled", "checked_in", "completed")
FILTER_KEYS = ("area_code", "provider_id", "resident_id", "staff_id", "item_code", "status")


def midnight(day: dt.date) -> dt.datetime:
    """The start of a local (Beijing) day, in UTC."""
    return dt.datetime.combine(day, dt.time.min, tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)


def local_day(value: dt.datetime) -> dt.date:
    return value.astimezone(LOCAL_TZ).date()


def week_start(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def period(view: str, anchor: dt.date) -> tuple[dt.date, dt.date]:
    """First day and the day after the last of the grid: whole weeks, Monday to Sunday."""
    if view == "month":
        first = anchor.replace(day=1)
        following = (first + dt.timedelta(days=32)).replace(day=1)
        return week_start(first), following + dt.timedelta(days=(7 - following.weekday()) % 7)
    start = week_start(anchor)
    return start, start + dt.timedelta(days=7)


def step(view: str, anchor: dt.date, direction: int) -> dt.date:
    if view == "month":
        first = anchor.replace(day=1)
        if direction > 0:
            return (first + dt.timedelta(days=32)).replace(day=1)
        return (first - dt.timedelta(days=1)).replace(day=1)
    return anchor + dt.timedelta(days=7 * direction)


@dataclass
class OverCapacity:
    provider: Provider
    week: dt.date
    count: int
    capacity: int


@dataclass
class Grid:
    view: str
    anchor: dt.date
    start: dt.date
    end: dt.date  # exclusive
    visits: list[Visit]
    truncated: bool
    by_day: dict[dt.date, list[Visit]] = field(default_factory=dict)
    staff: list[User | None] = field(default_factory=list)  # rows when grouped by worker; None = unassigned
    by_staff: dict[int | None, dict[dt.date, list[Visit]]] = field(default_factory=dict)
    clash_ids: set[int] = field(default_factory=set)
    over_capacity: list[OverCapacity] = field(default_factory=list)

    @property
    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days)]

    @property
    def weeks(self) -> list[list[dt.date]]:
        days = self.days
        return [days[i:i + 7] for i in range(0, len(days), 7)]

    def over_in_week(self, monday: dt.date) -> list[OverCapacity]:
        return [o for o in self.over_capacity if o.week == monday]


def build(user, view: str, anchor: dt.date, filters: dict, *, group_staff: bool = False,
          staff_of_provider: int | None = None) -> Grid:
    """The visits of the grid around ``anchor`` that ``user`` may see, filtered like the list.

    ``staff_of_provider``: when grouping by worker, every active worker of this provider gets a row,
    also those with nothing booked (a coordinator looks for who is free).
    """
    start, end = period(view, anchor)
    args = {k: v for k, v in filters.items() if k in FILTER_KEYS and v not in (None, "")}
    args["from"], args["to"] = start.isoformat(), (end - dt.timedelta(days=1)).isoformat()
    stmt = (services.filtered(user, args).options(selectinload(Visit.staff))
            .order_by(Visit.scheduled_start, Visit.id).limit(MAX_VISITS + 1))
    visits = list(db.session.scalars(stmt))
    truncated = len(visits) > MAX_VISITS
    visits = visits[:MAX_VISITS]
    grid = Grid(view, anchor, start, end, visits, truncated)
    for v in visits:
        grid.by_day.setdefault(local_day(v.scheduled_start), []).append(v)
    if group_staff:
        _group_by_staff(grid, staff_of_provider)
    grid.clash_ids = clashing_ids(user, {v.staff_id for v in visits if v.staff_id}, midnight(start), midnight(end))
    providers = {v.provider_id for v in visits}
    if args.get("provider_id"):
        try:
            providers.add(int(args["provider_id"]))
        except ValueError:
            pass
    grid.over_capacity = over_capacity(providers, start, end)
    return grid


def _group_by_staff(grid: Grid, provider_id: int | None) -> None:
    people: dict[int, User] = {}
    if provider_id:
        for worker in workers_of(provider_id):
            people[worker.id] = worker
    for v in grid.visits:
        if v.staff_id and v.staff_id not in people and v.staff is not None:
            people[v.staff_id] = v.staff
        grid.by_staff.setdefault(v.staff_id, {}).setdefault(local_day(v.scheduled_start), []).append(v)
    grid.staff = sorted(people.values(), key=lambda u: (u.label, u.id))
    if None in grid.by_staff:
        grid.staff.append(None)


def workers_of(provider_id: int) -> list[User]:
    """The active staff of a provider (users of role provider belonging to it)."""
    return list(db.session.scalars(sa.select(User).where(
        User.role == "provider", User.provider_id == provider_id, User.active.is_(True))
        .order_by(User.display_name, User.username)))


def clashing_ids(user, staff_ids: set[int], start: dt.datetime, end: dt.datetime) -> set[int]:
    """Ids of visits in ``[start, end)`` whose worker is booked for another visit overlapping them.

    Looks at all of the workers' visits in the period that the viewer may see, not only those
    matching the filters: a clash with a visit of another resident is still a clash.
    """
    if not staff_ids:
        return set()
    stmt = scoped(sa.select(Visit.id, Visit.staff_id, Visit.scheduled_start, Visit.scheduled_end), Visit, user).where(
        Visit.staff_id.in_(staff_ids), Visit.status.in_(CLASH_STATUSES),
        Visit.scheduled_start < end, Visit.scheduled_end > start).order_by(Visit.staff_id, Visit.scheduled_start)
    found: set[int] = set()
    current_staff, open_visits = None, []
    for vid, staff_id, v_start, v_end in db.session.execute(stmt):
        if staff_id != current_staff:
            current_staff, open_visits = staff_id, []
        open_visits = [(e, i) for e, i in open_visits if e > v_start]
        if open_visits:
            found.add(vid)
            found.update(i for _e, i in open_visits)
        open_visits.append((v_end, vid))
    return found


def over_capacity(provider_ids: set[int], start: dt.date, end: dt.date) -> list[OverCapacity]:
    """Weeks in which a provider has more visits (all but cancelled ones) than its weekly capacity.

    Counted over the provider's whole organisation, not the viewer's scope: the capacity is the
    organisation's, and only the number leaves the query.
    """
    if not provider_ids:
        return []
    providers = {p.id: p for p in db.session.scalars(sa.select(Provider).where(
        Provider.id.in_(provider_ids), Provider.weekly_capacity > 0))}
    if not providers:
        return []
    out = []
    monday = week_start(start)
    while monday < end:
        counts = db.session.execute(
            sa.select(Visit.provider_id, sa.func.count()).where(
                Visit.provider_id.in_(list(providers)), Visit.status != "cancelled",
                Visit.scheduled_start >= midnight(monday),
                Visit.scheduled_start < midnight(monday + dt.timedelta(days=7))).group_by(Visit.provider_id))
        for provider_id, count in counts:
            provider = providers[provider_id]
            if count > provider.weekly_capacity:
                out.append(OverCapacity(provider, monday, count, provider.weekly_capacity))
        monday += dt.timedelta(days=7)
    return out


def week_load(provider: Provider, day: dt.date) -> tuple[int, int]:
    """(visits booked in the week of ``day``, weekly capacity) for one provider."""
    monday = week_start(day)
    count = db.session.scalar(sa.select(sa.func.count()).select_from(Visit).where(
        Visit.provider_id == provider.id, Visit.status != "cancelled",
        Visit.scheduled_start >= midnight(monday),
        Visit.scheduled_start < midnight(monday + dt.timedelta(days=7)))) or 0
    return count, provider.weekly_capacity
