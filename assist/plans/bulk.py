"""Bulk matching over everyone in the caller's scope: the unmet-need list and the per-item picture.

One query reads the profile columns of the active residents in scope; the compiled engine
(:func:`assist.matching.evaluate_many`) ranks them; active plans and standing overrides are read in
two more queries. Three queries whatever the number of residents, no query per row.
"""
from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from assist.areas.models import Area
from assist.core.scoping import scoped
from assist.core.timeutil import local_today
from assist.extensions import db
from assist.plans.models import ItemDecision, Plan
from assist.providers.models import Provider, ProviderItem, provider_area
from assist.residents.conditions import PRIORITY
from assist.residents.models import Resident


@dataclass(frozen=True)
class Need:
    resident_id: int
    name: str
    area_code: str
    assistance_type: str
    item_code: str
    score: int


@dataclass
class ItemLine:
    item_code: str
    eligible: int = 0
    planned: int = 0
    declined: int = 0
    unmet: int = 0
    weekly_capacity: int = 0


@dataclass
class Result:
    needs: list[Need]
    items: dict[str, ItemLine]
    residents: int


def run(user, *, item_code: str | None = None, category: str | None = None, area_code: str | None = None) -> Result:
    from assist.matching import ITEM_CODES, PROFILE_COLUMNS, evaluate_many
    items = [c for c in ITEM_CODES if (not item_code or c == item_code) and (not category or c[0] == category)]
    stmt = scoped(sa.select(Resident.id, Resident.name, Resident.area_code,
                            *[getattr(Resident, c) for c in PROFILE_COLUMNS]), Resident, user)
    stmt = stmt.where(Resident.status == "active")
    area = db.session.get(Area, area_code) if area_code else None
    if area is not None:
        stmt = stmt.where(Resident.area_code.in_(sa.select(Area.code).where(Area.path.startswith(area.path))))
    rows = db.session.execute(stmt).all()
    ranked = evaluate_many((tuple(r[3:]) for r in rows), on=local_today(), items=items) if items else [[] for _ in rows]
    in_scope = stmt.with_only_columns(Resident.id)  # the same residents, as a subquery
    planned = set(db.session.execute(sa.select(Plan.resident_id, Plan.item_code).where(
        Plan.status == "active", Plan.resident_id.in_(in_scope))).tuples())
    decided: dict[int, dict[str, str]] = {}
    for d in db.session.scalars(sa.select(ItemDecision).where(
            ItemDecision.revoked_at.is_(None), ItemDecision.resident_id.in_(in_scope)).order_by(ItemDecision.id)):
        decided.setdefault(d.resident_id, {})[d.item_code] = d.kind

    lines = {c: ItemLine(c) for c in items}
    needs: list[Need] = []
    for row, eligible in zip(rows, ranked):
        got = dict(eligible)
        mine = decided.get(row.id, {})
        for code, kind in mine.items():
            if kind == "grant" and code in lines and code not in got:
                got[code] = 0  # granted by override: counted as eligible
        for code, score in got.items():
            line = lines[code]
            line.eligible += 1
            if (row.id, code) in planned:
                line.planned += 1
            elif mine.get(code) == "decline":
                line.declined += 1
            else:
                line.unmet += 1
                needs.append(Need(row.id, row.name, row.area_code, row.assistance_type, code, score))
    needs.sort(key=lambda n: (-PRIORITY[n.assistance_type], -n.score, n.resident_id, n.item_code))
    _capacity(lines, area)
    return Result(needs, lines, len(rows))


def _capacity(lines: dict[str, ItemLine], area: Area | None) -> None:
    """Weekly capacity of the active providers offering each item (serving the area, if one is chosen)."""
    stmt = sa.select(ProviderItem.item_code, sa.func.sum(Provider.weekly_capacity)).join(
        Provider, Provider.id == ProviderItem.provider_id).where(Provider.active.is_(True))
    if area is not None:
        # A provider serves an area when one of its areas is the area or lies above it.
        ancestors = [c for c in area.path.strip("/").split("/") if c]
        stmt = stmt.where(Provider.id.in_(sa.select(provider_area.c.provider_id)
                                          .where(provider_area.c.area_code.in_(ancestors))))
    for code, capacity in db.session.execute(stmt.group_by(ProviderItem.item_code)):
        if code in lines:
            lines[code].weekly_capacity = int(capacity or 0)
