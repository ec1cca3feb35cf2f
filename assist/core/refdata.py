"""Reference data (areas of the district, the 24-item catalog), loaded idempotently.

Works on a bare connection with lightweight table definitions, so the Alembic data migration and
the test fixtures share it without depending on how the ORM models evolve.
"""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from assist.areas import data as area_data
from assist.catalog import data as catalog_data

_area = sa.table("area", sa.column("code"), sa.column("name"), sa.column("level"), sa.column("parent_code"),
                 sa.column("path"), sa.column("sort"))
_category = sa.table("category", sa.column("code"), sa.column("name_zh"), sa.column("name_en"), sa.column("sort"))
_item = sa.table("service_item", sa.column("code"), sa.column("category_code"), sa.column("name_zh"),
                 sa.column("name_en"), sa.column("unit_zh"), sa.column("unit_en"), sa.column("frequency_zh"),
                 sa.column("frequency_en"), sa.column("unit_price"), sa.column("active"), sa.column("version"),
                 sa.column("created_at"), sa.column("updated_at"))


def load(connection) -> int:
    """Insert whatever reference rows are absent; never overwrites edits. Returns rows added."""
    added = 0
    have = set(connection.scalars(sa.select(_area.c.code)))
    for code, name, level, parent, path, sort in area_data.rows():
        if code not in have:
            connection.execute(_area.insert().values(code=code, name=name, level=level, parent_code=parent,
                                                     path=path, sort=sort))
            added += 1
    have = set(connection.scalars(sa.select(_category.c.code)))
    for sort, (code, zh, en) in enumerate(catalog_data.CATEGORIES):
        if code not in have:
            connection.execute(_category.insert().values(code=code, name_zh=zh, name_en=en, sort=sort))
            added += 1
    have = set(connection.scalars(sa.select(_item.c.code)))
    now = dt.datetime.now(dt.timezone.utc)
    if connection.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)
    for code, zh, en, unit_zh, unit_en, f_zh, f_en, price in catalog_data.ITEMS:
        if code not in have:
            connection.execute(_item.insert().values(
                code=code, category_code=code[0], name_zh=zh, name_en=en, unit_zh=unit_zh, unit_en=unit_en,
                frequency_zh=f_zh, frequency_en=f_en, unit_price=price, active=True, version=1,
                created_at=now, updated_at=now))
            added += 1
    return added
