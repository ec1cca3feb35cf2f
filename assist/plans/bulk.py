"""Bulk matching over everyone in the caller's scope: the unmet-need list and the per-item picture.

One query reads the profile columns of the active residents in scope; the compiled engine
(:func:`assist.matching.evaluate_many`) ranks them; active plans and standing overrides are read in
two more queries. Three queries whatever the number of residents, no query per row.
"""
from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
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


class NeedList(Sequence):
    """The unmet needs, best first, as sortable tuples; :class:`Need` objects are made on access, so
    a page of 100 out of a million costs 100 objects."""

    def __init__(self, pairs: list[tuple], residents: dict[int, tuple]):
        self._pairs, self._residents = pairs, residents  # (-priority, -score, resident_id, item_code)

    def __len__(self) -> int:
        return len(self._pairs)

    def _need(self, pair) -> Need:
        _prio, neg_score, rid, code = pair
        name, area_code, group = self._residents[rid]
        return Need(rid, name, area_code, group, code, -neg_score)

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._need(p) for p in self._pairs[index]]
        return self._need(self._pairs[index])


@dataclass
class Result:
    needs: NeedList
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
    rows = [tuple(r) for r in db.session.execute(stmt)]
    ranked = evaluate_many((r[3:] for r in rows), on=local_today(), items=items) if items else [[] for _ in rows]
    in_scope = stmt.with_only_columns(Resident.id)  # the same residents, as a subquery
    planned = set(db.session.execute(sa.select(Plan.resident_id, Plan.item_code).where(
        Plan.status == "active", Plan.resident_id.in_(in_scope))).tuples())
    decided: dict[int, dict[str, str]] = {}
    for d in db.session.scalars(sa.select(ItemDecision).where(
            ItemDecision.revoked_at.is_(None), ItemDecision.resident_id.in_(in_scope)).order_by(ItemDecision.id)):
        decided.setdefault(d.resident_id, {})[d.item_code] = d.kind

    # The hot loop (a city is 100,000 residents × ~9 eligible items): plain tuples and counters only.
    group_at = 3 + PROFILE_COLUMNS.index("assistance_type")
    eligible_n, planned_n, declined_n = Counter(), Counter(), Counter()
    pairs: list[tuple] = []
    append = pairs.append
    wanted = set(items)
    for row, eligible in zip(rows, ranked):
        rid = row[0]
        prio = -PRIORITY[row[group_at]]
        mine = decided.get(rid)
        if mine:
            got = dict(eligible)
            for code, kind in mine.items():
                if kind == "grant" and code in wanted and code not in got:
                    got[code] = 0  # granted by override: counted as eligible
            eligible = got.items()
        for code, score in eligible:
            eligible_n[code] += 1
            if (rid, code) in planned:
                planned_n[code] += 1
            elif mine and mine.get(code) == "decline":
                declined_n[code] += 1
            else:
                append((prio, -score, rid, code))
    pairs.sort()
    lines = {c: ItemLine(c, eligible_n[c], planned_n[c], declined_n[c],
                         eligible_n[c] - planned_n[c] - declined_n[c]) for c in items}
    _capacity(lines, area)
    residents = {r[0]: (r[1], r[2], r[group_at]) for r in rows}
    return Result(NeedList(pairs, residents), lines, len(rows))


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


_cache: dict[tuple, tuple[float, Result]] = {}


def cached_run(user, ttl: float | None = None) -> Result:
    """:func:`run` for the dashboard, reused for ``ttl`` seconds per scope: at city scale a full run
    takes seconds, and a headline figure may be a few minutes old."""
    import time

    from flask import current_app
    ttl = current_app.config.get("DASHBOARD_CACHE_SECONDS", 300) if ttl is None else ttl
    if ttl <= 0:
        return run(user)
    key = (user.role, tuple(sorted(a.path for a in getattr(user, "areas", []))) if user.role == "caseworker" else ())
    now = time.monotonic()
    hit = _cache.get(key)
    if hit and now - hit[0] < ttl:
        return hit[1]
    result = run(user)
    if len(_cache) > 256:
        _cache.clear()
    _cache[key] = (now, result)
    return result
