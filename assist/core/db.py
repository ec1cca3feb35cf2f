"""Declarative base, constraint naming convention, column types and mixins."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column, registry

# Stable constraint names make Alembic migrations reviewable and portable (Indico does the same).
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def utcnow() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


class UTCDateTime(sa.types.TypeDecorator):
    """Timezone-aware UTC timestamps on every backend.

    PostgreSQL stores ``timestamptz``; SQLite has no time zones, so values are stored as naive UTC and
    made aware again on the way out. Naive values are refused: they are always a bug.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC")
        value = value.astimezone(dt.timezone.utc)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=dt.timezone.utc)
        return value.astimezone(dt.timezone.utc)


class Base(DeclarativeBase):
    registry = registry(metadata=sa.MetaData(naming_convention=NAMING_CONVENTION),
                        type_annotation_map={dt.datetime: UTCDateTime()})


class TimestampMixin:
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class VersionMixin:
    """Optimistic locking: every UPDATE checks and bumps ``version``.

    Services compare the client's ``version`` with the stored one (stale → 409); SQLAlchemy's
    version counter also catches two writers racing between that check and the flush.
    """

    version: Mapped[int] = mapped_column(default=1)

    @declared_attr.directive
    def __mapper_args__(cls):
        return {"version_id_col": cls.__table__.c.version}


def touch(obj) -> None:
    """Mark ``obj`` updated even when only its relationships changed, so its version moves on."""
    obj.updated_at = utcnow()


def commit() -> None:
    """Commit at the request edge; a concurrent edit caught at flush time answers 409."""
    from sqlalchemy.orm.exc import StaleDataError

    from assist.core.errors import StaleVersion
    from assist.extensions import db
    try:
        db.session.commit()
    except StaleDataError:
        db.session.rollback()
        raise StaleVersion()
    from assist.core import uploads
    uploads.keep()


def flush() -> None:
    """Flush inside a service; a concurrent edit caught by the version counter answers 409."""
    from sqlalchemy.orm.exc import StaleDataError

    from assist.core.errors import StaleVersion
    from assist.extensions import db
    try:
        db.session.flush()
    except StaleDataError:
        raise StaleVersion()


def check_version(obj, submitted) -> None:
    """Refuse an update based on an older version of ``obj`` (409)."""
    from flask_babel import gettext as _

    from assist.core.errors import StaleVersion, ValidationError
    if submitted is None:
        raise ValidationError(fields={"version": [_("%(field)s: %(message)s", field="version",
                                                     message=_("is required"))]})
    if isinstance(submitted, str) and submitted.strip().isascii() and submitted.strip().isdigit():
        submitted = int(submitted)
    if isinstance(submitted, bool) or not isinstance(submitted, int):
        # true would otherwise count as version 1, and 1.9 as 1
        raise ValidationError(fields={"version": [_("%(field)s: %(message)s", field="version",
                                                     message=_("must be a whole number"))]})
    if submitted != obj.version:
        raise StaleVersion(current_version=obj.version)


def render_item(type_, obj, autogen_context):
    """Alembic autogenerate: write our column types as the plain types they store, so migrations
    do not import application code that may change later."""
    from assist.core.crypto import Encrypted
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, Encrypted):
        return "sa.String(length=255)"
    return False
