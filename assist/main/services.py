"""Figures for the home page, in the viewer's scope."""
import sqlalchemy as sa

from assist.core.scoping import scoped
from assist.extensions import db
from assist.residents.models import Resident


def home_figures(user) -> dict:
    if user.role not in ("admin", "caseworker", "auditor"):
        return {}
    stmt = scoped(sa.select(Resident.status, sa.func.count()).group_by(Resident.status), Resident, user)
    counts = dict(db.session.execute(stmt).all())
    return {"residents_active": counts.get("active", 0), "residents_suspended": counts.get("suspended", 0),
            "residents_total": sum(counts.values())}
