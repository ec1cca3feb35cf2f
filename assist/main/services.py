"""The dashboard: headline figures and charts, in the viewer's scope, recomputed on each visit."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from assist.core.scoping import scoped
from assist.core.timeutil import local_today
from assist.extensions import db
from assist.residents.models import Resident


def home_figures(user) -> dict:
    if user.role not in ("admin", "caseworker", "auditor"):
        return {}
    from assist.core.db import utcnow
    from assist.plans import bulk
    from assist.reporting import stats
    from assist.visits.models import Visit
    today = local_today()
    stmt = scoped(sa.select(Resident.status, sa.func.count()).group_by(Resident.status), Resident, user)
    counts = dict(db.session.execute(stmt).all())
    month = stats.figures(user, today.replace(day=1), today)
    year = stats.figures(user, today.replace(month=1, day=1), today)
    unmet = bulk.cached_run(user)
    overdue = db.session.scalar(scoped(sa.select(sa.func.count()).select_from(Visit), Visit, user).where(
        sa.or_(Visit.status == "missed",
               sa.and_(Visit.status == "scheduled", Visit.scheduled_end < utcnow() - dt.timedelta(hours=2)))))
    return {"residents_active": counts.get("active", 0), "residents_suspended": counts.get("suspended", 0),
            "residents_total": sum(counts.values()), "served_month": month["residents_served"],
            "services_month": month["services"], "served_year": year["residents_served"],
            "services_year": year["services"], "unmet": len(unmet.needs), "overdue": overdue or 0,
            "year": year, "unmet_result": unmet, "on_time": on_time_rates(user, today.replace(month=1, day=1), today),
            "by_group": dict(db.session.execute(scoped(sa.select(Resident.assistance_type, sa.func.count()).where(
                Resident.status == "active").group_by(Resident.assistance_type), Resident, user)).all())}


def on_time_rates(user, frm: dt.date, to: dt.date) -> list[tuple[str, float, int]]:
    """Per provider: the share of due visits checked in within an hour of the scheduled start."""
    from assist.providers.models import Provider
    from assist.reporting import stats
    from assist.visits.models import Visit
    start, end = stats.bounds(frm, to)
    visits = scoped(sa.select(Visit.provider_id, Visit.status, Visit.scheduled_start, Visit.check_in_at), Visit, user)
    visits = visits.where(Visit.scheduled_start >= start, Visit.scheduled_start < end,
                          Visit.status.in_(("completed", "checked_in", "missed")))
    tally: dict[int, list[int]] = {}
    for pid, status, scheduled, checked in db.session.execute(visits):
        on_time = checked is not None and abs((checked - scheduled).total_seconds()) <= 3600
        row = tally.setdefault(pid, [0, 0])
        row[0] += on_time
        row[1] += 1
    names = dict(db.session.execute(sa.select(Provider.id, Provider.name).where(Provider.id.in_(tally))).all())
    return sorted(((names[pid], 100 * ok / total, total) for pid, (ok, total) in tally.items()), key=lambda r: -r[1])
