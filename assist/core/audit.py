"""The audit log: append-only, hash-chained, written in the same transaction as the change.

Each entry's hash covers its own fields and the previous entry's hash, so editing or deleting any
entry breaks every hash after it (:func:`verify`). ``seq`` is unique and gap-free: two writers can
never fork the chain (on PostgreSQL they queue on an advisory lock; SQLite serialises writers).
"""
from __future__ import annotations

import datetime as dt
import decimal
import enum
import hashlib
import json
from typing import Any

import sqlalchemy as sa
from flask import has_request_context, request
from sqlalchemy.orm import Mapped, mapped_column

from assist.core.db import utcnow
from assist.extensions import db

GENESIS = "0" * 64
_ADVISORY_LOCK_ID = 0x61756469  # "audi"


class AuditEntry(db.Model):
    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(unique=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(index=True)
    actor: Mapped[str] = mapped_column(sa.String(80))
    action: Mapped[str] = mapped_column(sa.String(20))
    object_type: Mapped[str] = mapped_column(sa.String(30))
    object_id: Mapped[str | None] = mapped_column(sa.String(40))
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    prev_hash: Mapped[str] = mapped_column(sa.String(64))
    hash: Mapped[str] = mapped_column(sa.String(64))

    __table_args__ = (sa.Index("ix_audit_entry_object", "object_type", "object_id"),)

    def to_dict(self) -> dict:
        from assist.core.timeutil import isoformat
        return {"id": self.id, "at": isoformat(self.at), "actor": self.actor, "actor_id": self.actor_id,
                "action": self.action, "object_type": self.object_type,
                "object_id": _object_id_out(self.object_id), "changes": self.changes}


def _object_id_out(value):
    return int(value) if value is not None and value.isdigit() else value


def jsonable(value: Any) -> Any:
    """Values as they go into ``changes``: plain JSON, stable across databases."""
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (list, tuple, set)):
        return [jsonable(v) for v in value]
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if hasattr(value, "__html__"):  # a lazy (translated) string: the JSON column cannot hold it
        return str(value)
    return value


def diff(old: dict, new: dict) -> dict:
    """``{field: [old, new]}`` for the fields that changed."""
    return {k: [jsonable(old.get(k)), jsonable(new.get(k))] for k in new if old.get(k) != new.get(k)}


def _digest(entry: AuditEntry) -> str:
    body = json.dumps(
        [entry.seq, entry.at.astimezone(dt.timezone.utc).isoformat(), entry.actor_id, entry.actor,
         entry.action, entry.object_type, entry.object_id, entry.changes, entry.ip, entry.prev_hash],
        ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(body.encode()).hexdigest()


def record(action: str, object_type: str, object_id=None, changes: dict | None = None, actor=None) -> AuditEntry:
    """Append one entry in the current transaction. ``actor`` is a User, or None for the system."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": _ADVISORY_LOCK_ID})
    last = session.execute(sa.select(AuditEntry.seq, AuditEntry.hash).order_by(AuditEntry.seq.desc()).limit(1)).first()
    entry = AuditEntry(
        seq=(last.seq + 1) if last else 1,
        at=utcnow(),
        actor_id=getattr(actor, "id", None),
        actor=getattr(actor, "username", None) or "system",
        action=action,
        object_type=object_type,
        object_id=None if object_id is None else str(object_id),
        changes=jsonable(changes or {}),
        ip=request.remote_addr if has_request_context() else None,
        prev_hash=last.hash if last else GENESIS,
    )
    entry.hash = _digest(entry)
    session.add(entry)
    session.flush()
    return entry


def verify() -> dict:
    """Recompute the chain; report the first broken link if any."""
    prev, expected_seq, count = GENESIS, 1, 0
    stmt = sa.select(AuditEntry).order_by(AuditEntry.seq).execution_options(yield_per=2000)
    for entry in db.session.scalars(stmt):
        count += 1
        if entry.seq != expected_seq or entry.prev_hash != prev or _digest(entry) != entry.hash:
            return {"ok": False, "entries": count, "broken_at": entry.seq}
        prev, expected_seq = entry.hash, expected_seq + 1
    return {"ok": True, "entries": count}
