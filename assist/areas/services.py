"""Area lookups used by forms and filters."""
from __future__ import annotations

import sqlalchemy as sa

from assist.areas.models import Area
from assist.extensions import db


def choices(user=None, levels=("district", "street", "community", "grid")) -> list[tuple[str, str]]:
    """(code, indented name) for a select, limited to the user's areas for caseworkers."""
    stmt = sa.select(Area).where(Area.level.in_(levels)).order_by(Area.path)
    if user is not None and user.role == "caseworker":
        stmt = stmt.where(sa.or_(*[Area.path.startswith(a.path) for a in user.areas]) if user.areas else sa.false())
    return [(a.code, "　" * (a.path.count("/") - 1) + a.name) for a in db.session.scalars(stmt)]


def names() -> dict[str, str]:
    return dict(db.session.execute(sa.select(Area.code, Area.name)).all())
