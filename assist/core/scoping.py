"""The one scoping helper: every query for a scoped record goes through :func:`scoped`.

Each scoped model registers a rule ``fn(user) -> SQL clause`` (``None`` = unrestricted). Records
outside the caller's scope are simply absent: lists skip them and :func:`get_or_404` answers 404,
never 403, so a caller cannot learn that a record exists.
"""
from __future__ import annotations

from typing import Callable

import sqlalchemy as sa

from assist.core.errors import NotFound
from assist.extensions import db

_RULES: dict[type, Callable] = {}


def scope_rule(model: type):
    def register(fn):
        _RULES[model] = fn
        return fn
    return register


def clause_for(model: type, user):
    """The WHERE clause restricting ``model`` to ``user``'s scope, or None when unrestricted."""
    if user is None or not getattr(user, "is_authenticated", False):
        return sa.false()
    rule = _RULES.get(model)
    if rule is None:
        raise LookupError(f"no scope rule for {model.__name__}")
    return rule(user)


def scoped(stmt, model: type, user):
    clause = clause_for(model, user)
    return stmt if clause is None else stmt.where(clause)


def get_or_404(model: type, ident, user, *, for_update: bool = False):
    try:
        ident = int(ident)
    except (TypeError, ValueError):
        raise NotFound()
    stmt = scoped(sa.select(model).where(model.id == ident), model, user)
    if for_update:
        stmt = stmt.with_for_update()
    obj = db.session.scalars(stmt).first()
    if obj is None:
        raise NotFound()
    return obj


def area_clause(column, user):
    """``column`` (an area code) lies within one of the user's areas, at any depth below it."""
    from assist.areas.models import Area
    paths = [a.path for a in user.areas]
    if not paths:
        return sa.false()
    within = sa.select(Area.code).where(sa.or_(*[Area.path.startswith(p, autoescape=True) for p in paths]))
    return column.in_(within)


def served_records_clause(resident_column, provider_column, user):
    """The rule shared by records about serving a resident (plans, visits): everything for admins and
    auditors, the residents of their areas for caseworkers, their own organisation's for providers."""
    from assist.residents.models import Resident
    if user.role in ("admin", "auditor"):
        return None
    if user.role == "caseworker":
        return resident_column.in_(sa.select(Resident.id).where(area_clause(Resident.area_code, user)))
    if user.role == "provider" and user.provider_id:
        return provider_column == user.provider_id
    return sa.false()
