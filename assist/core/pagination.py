"""Keyset (cursor) pagination: stable and fast at any depth, unlike OFFSET.

A cursor is the sort key of the last row returned, opaque to the client. The last sort column must be
unique (usually the primary key) so that no row is skipped or repeated.
"""
from __future__ import annotations

import base64
import datetime as dt
import decimal
import json
from dataclasses import dataclass

import sqlalchemy as sa
from flask_babel import gettext as _

from assist.core.errors import ValidationError
from assist.extensions import db

DEFAULT_LIMIT = 50
MAX_LIMIT = 200


@dataclass
class Page:
    items: list
    next_cursor: str | None
    limit: int


def parse_limit(raw, default=DEFAULT_LIMIT) -> int:
    if raw in (None, ""):
        return default
    try:
        value = int(raw)
    except (TypeError, ValueError):
        value = 0
    if not 1 <= value <= MAX_LIMIT:
        raise ValidationError(fields={"limit": [_("limit: must be a whole number from 1 to %(n)d", n=MAX_LIMIT)]})
    return value


def _encode(values) -> str:
    plain = [v.isoformat() if isinstance(v, (dt.date, dt.datetime)) else str(v) if isinstance(v, decimal.Decimal)
             else v for v in values]
    return base64.urlsafe_b64encode(json.dumps(plain, ensure_ascii=False).encode()).decode().rstrip("=")


def _decode(cursor: str, n: int) -> list:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()).decode())
        if not isinstance(values, list) or len(values) != n:
            raise ValueError
        return values
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise _bad_cursor()


def _bad_cursor() -> ValidationError:
    return ValidationError(fields={"cursor": [_("cursor: is not a cursor this list gave out")]})


def keyset(stmt, keys: list, *, limit: int, cursor: str | None, descending: bool = False,
           scalars: bool = True) -> Page:
    """Apply ordering, the cursor condition and the limit to ``stmt`` and run it."""
    order = [k.desc() if descending else k.asc() for k in keys]
    stmt = stmt.order_by(*order)
    if cursor:
        values = _decode(cursor, len(keys))
        values = [_coerce(k, v) for k, v in zip(keys, values)]
        row, bound = sa.tuple_(*keys), sa.tuple_(*[sa.literal(v, k.type) for k, v in zip(keys, values)])
        stmt = stmt.where(row < bound if descending else row > bound)
    result = db.session.execute(stmt.limit(limit + 1))
    rows = list(result.scalars() if scalars else result)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more:
        last = rows[-1]
        next_cursor = _encode([getattr(last, k.key) for k in keys])
    return Page(rows, next_cursor, limit)


def _coerce(column, value):
    """A cursor value back to the column's type; anything a list could not have given out is 422
    (a tampered cursor must not reach the database as an out-of-range or naive value)."""
    try:
        python_type = column.type.python_type
    except NotImplementedError:
        return value
    if value is None:
        return None
    try:
        if python_type is dt.datetime:
            value = dt.datetime.fromisoformat(value)
            return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
        if python_type is dt.date:
            return dt.date.fromisoformat(value)
        if python_type is int:
            if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 2**63 - 1:
                raise ValueError
            return value
        if python_type is str:
            if not isinstance(value, str):
                raise ValueError
            return value
        return python_type(value)
    except (TypeError, ValueError, ArithmeticError):
        raise _bad_cursor()
