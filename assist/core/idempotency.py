"""``Idempotency-Key`` for writes a phone may retry (API.md "Conventions").

The same key with the same body replays the first answer and changes nothing more; the same key
with a different body answers 422. The key is claimed (inserted) before the work is done, in the
same transaction as the work, so a twin request sent in parallel waits on the unique index and then
replays the stored answer instead of doing the work twice. A failed request stores nothing: retrying
it with the same key tries again.

HTML forms use the same mechanism (:func:`run_once`): a one-time token rendered into the form is the
key, so a double-tapped or retried submission replays instead of recording a second time.
"""
from __future__ import annotations

import datetime as dt
import functools
import hashlib
import json

import sqlalchemy as sa
from flask import request
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Mapped, mapped_column

from assist.core.db import commit, utcnow
from assist.core.errors import Conflict, ValidationError
from assist.extensions import db

HEADER = "Idempotency-Key"


class IdempotencyRecord(db.Model):
    __tablename__ = "idempotency_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(sa.String(100))
    request_hash: Mapped[str] = mapped_column(sa.String(64))
    status_code: Mapped[int] = mapped_column(default=0)
    response: Mapped[dict | None] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (sa.UniqueConstraint("user_id", "key"),)


def _request_hash() -> str:
    h = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    if request.is_json:
        body = request.get_json(silent=True)
        h.update(json.dumps(body, sort_keys=True, ensure_ascii=False).encode() if body is not None else request.get_data())
    elif request.files or request.form:
        for name, value in sorted(request.form.items(multi=True)):
            h.update(f"{name}={value}\n".encode())
        for name, storage in sorted(request.files.items(multi=True), key=lambda kv: kv[0]):
            h.update(f"{name}:{storage.filename}\n".encode())
            h.update(hashlib.sha256(storage.stream.read()).digest())
            storage.stream.seek(0)
    else:
        h.update(request.get_data())
    return h.hexdigest()


def _lookup(key: str) -> IdempotencyRecord | None:
    return db.session.scalars(sa.select(IdempotencyRecord).where(
        IdempotencyRecord.user_id == current_user.id, IdempotencyRecord.key == key)).first()


def _replay(record: IdempotencyRecord, request_hash: str):
    if record.request_hash != request_hash:
        raise ValidationError(_("This Idempotency-Key was already used with a different request."),
                              fields={HEADER: [_("%(field)s: %(message)s", field=HEADER,
                                                 message=_("was used before with a different body"))]},
                              code="idempotency_mismatch")
    return record.response, record.status_code


def run_once(key: str | None, work, *, fingerprint: str | None = None):
    """Do ``work()`` at most once per (current user, ``key``) and commit; the request edge calls this.

    ``work`` returns ``(json_dict, status)`` and does not commit. The answer is ``(body, status,
    replayed)``: ``replayed`` is true when an earlier request with this key already did the work and
    its stored answer is returned instead. Without a key the work simply runs and commits.

    ``fingerprint`` says what counts as "the same request": by default the method, path and body (the
    API's rule: the same key with a different body is refused); an HTML form passes a fingerprint of
    its own (e.g. the path), so a resubmitted form with the same one-time token is always a replay.
    """
    if not key:
        body, status = work()
        commit()
        return body, status, False
    if len(key) > 100:
        raise ValidationError(fields={HEADER: [_("%(field)s: %(message)s", field=HEADER,
                                                 message=_("must be at most %(n)d characters", n=100))]})
    request_hash = (_request_hash() if fingerprint is None
                    else hashlib.sha256(fingerprint.encode()).hexdigest())
    existing = _lookup(key)
    if existing is not None:
        return (*_replay(existing, request_hash), True)
    record = IdempotencyRecord(user_id=current_user.id, key=key, request_hash=request_hash)
    db.session.add(record)
    try:
        db.session.flush()  # claim the key: a parallel twin waits here until this transaction ends
    except (IntegrityError, OperationalError):
        return (*_replay_after_race(key, request_hash), True)
    body, status = work()
    record.status_code, record.response = status, body
    try:
        commit()
    except (IntegrityError, OperationalError):
        return (*_replay_after_race(key, request_hash), True)
    return body, status, False


def idempotent(view):
    """Wrap an API view that returns ``(json_dict, status)`` and does not commit: this commits."""

    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        key = (request.headers.get(HEADER) or "").strip()
        body, status, _replayed = run_once(key, lambda: view(*args, **kwargs))
        return body, status

    return wrapper


def _replay_after_race(key: str, request_hash: str):
    db.session.rollback()
    existing = _lookup(key)
    if existing is None or existing.status_code == 0:
        raise Conflict(_("The same request is being processed; try again in a moment."), code="in_progress")
    return _replay(existing, request_hash)
