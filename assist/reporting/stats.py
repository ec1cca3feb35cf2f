"""Programme figures for a period, recomputed from the visit records every time (no stored totals)."""
from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa

from assist.areas.models import Area
from assist.catalog.models import ServiceItem
from assist.core.scoping import scoped
from assist.core.timeutil import LOCAL_TZ
from assist.extensions import db
from assist.providers.models import ProviderItem
from assist.residents.models import Resident
from assist.visits.models import Visit

CATEGORIES = ("A", "B", "C", "D", "E", "F")


def bounds(frm: dt.date, to: dt.date) -> tuple[dt.datetime, dt.datetime]:
    start = dt.datetime.combine(frm, dt.time.min, tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)
    end = dt.datetime.combine(to + dt.timedelta(days=1), dt.time.min, tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)
    return start, end


def local_month(column):
    """YYYY-MM of a UTC timestamp column in Beijing time, computed by the database."""
    dialect = db.session.get_bind().dialect.name
    # Constants as literal SQL: the same expression then appears identically in SELECT and GROUP BY
    # (bound parameters would make PostgreSQL see two different expressions).
    if dialect == "postgresql":
        return sa.func.to_char(sa.func.timezone(sa.literal_column("'Asia/Shanghai'"), column),
                               sa.literal_column("'YYYY-MM'"))
    return sa.func.strftime(sa.literal_column("'%Y-%m'"), column, sa.literal_column("'+8 hours'"))  # no DST in China


def completed_in(user, frm: dt.date, to: dt.date, area_code: str | None = None):
    """The scoped SELECT of completed visits in the period (optionally within an area)."""
    start, end = bounds(frm, to)
    stmt = scoped(sa.select(Visit), Visit, user).where(
        Visit.status == "completed", Visit.scheduled_start >= start, Visit.scheduled_start < end)
    if area_code:
        area = db.session.get(Area, area_code)
        if area is None:
            from assist.core.errors import NotFound
            raise NotFound()
        stmt = stmt.where(Visit.resident_id.in_(sa.select(Resident.id).join(Area).where(Area.path.startswith(area.path))))
    return stmt


def _price():
    """The unit price of a visit: the provider's contract price, else the catalog's."""
    return sa.func.coalesce(ProviderItem.unit_price, ServiceItem.unit_price)


def figures(user, frm: dt.date, to: dt.date, area_code: str | None = None) -> dict:
    base = completed_in(user, frm, to, area_code).subquery()
    v = sa.orm.aliased(Visit, base)
    joined = (sa.select().select_from(v).join(ServiceItem, ServiceItem.code == v.item_code)
              .outerjoin(ProviderItem, sa.and_(ProviderItem.provider_id == v.provider_id,
                                               ProviderItem.item_code == v.item_code))
              .join(Resident, Resident.id == v.resident_id))
    amount = sa.func.coalesce(sa.func.sum(v.quantity * _price()), 0)

    def grouped(key):
        stmt = joined.add_columns(key, sa.func.count(), sa.func.count(sa.distinct(v.resident_id)),
                                  sa.func.coalesce(sa.func.sum(v.quantity), 0), amount).group_by(key).order_by(key)
        return [(k, n, r, decimal.Decimal(q), decimal.Decimal(a)) for k, n, r, q, a in db.session.execute(stmt)]

    category = sa.func.substr(v.item_code, sa.literal_column("1"), sa.literal_column("1"))
    total = db.session.execute(joined.add_columns(sa.func.count(), sa.func.count(sa.distinct(v.resident_id)), amount)).one()
    by_item = grouped(v.item_code)
    by_category: dict[str, int] = {c: 0 for c in CATEGORIES}
    for code, n, *_ in by_item:
        by_category[code[0]] += n
    return {
        "from": frm.isoformat(), "to": to.isoformat(), "area_code": area_code,
        "residents_served": total[1], "services": total[0], "amount": str(decimal.Decimal(total[2]).quantize(decimal.Decimal("0.01"))),
        "by_category": by_category,
        "by_category_residents": {c: r for c, r in db.session.execute(
            joined.add_columns(category, sa.func.count(sa.distinct(v.resident_id))).group_by(category))},
        "by_item": {k: {"services": n, "residents": r, "quantity": str(q), "amount": str(a.quantize(decimal.Decimal("0.01")))}
                    for k, n, r, q, a in by_item},
        "by_community": {k: {"services": n, "residents": r, "amount": str(a.quantize(decimal.Decimal("0.01")))}
                         for k, n, r, q, a in grouped(Resident.area_code)},
        "by_target_group": {k: {"services": n, "residents": r} for k, n, r, q, a in grouped(Resident.assistance_type)},
        "by_month": {k: {"services": n, "residents": r, "amount": str(a.quantize(decimal.Decimal("0.01")))}
                     for k, n, r, q, a in grouped(local_month(v.scheduled_start))},
    }


def monthly_by_category(user, year: int | None = None) -> dict[tuple[str, str], int]:
    """{(YYYY-MM, category): completed visits} for a calendar year (default: this year)."""
    from assist.core.timeutil import local_today
    today = local_today()
    year = year or today.year
    base = completed_in(user, dt.date(year, 1, 1), dt.date(year, 12, 31)).subquery()
    v = sa.orm.aliased(Visit, base)
    month = local_month(v.scheduled_start)
    category = sa.func.substr(v.item_code, sa.literal_column("1"), sa.literal_column("1"))
    rows = db.session.execute(sa.select(month, category, sa.func.count()).select_from(v).group_by(month, category))
    return {(m, c): n for m, c, n in rows}
