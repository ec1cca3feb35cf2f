"""Printing: every PDF gets a verification code, its SHA-256 is kept, and the print is audited."""
from __future__ import annotations

import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app, has_request_context, request

from assist.core import audit
from assist.core.db import utcnow
from assist.extensions import db
from assist.reporting.models import PrintRecord

# Crockford-style alphabet: no 0/O or 1/I/L to misread when typed from paper.
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


def new_code() -> str:
    return "".join(secrets.choice(_ALPHABET) for _ in range(10))


def verify_url(code: str, base_url: str | None = None) -> str | None:
    """Where the printed QR code points: this server's /verify page (PUBLIC_URL outside a request)."""
    base = base_url or (request.host_url if has_request_context() else current_app.config.get("PUBLIC_URL"))
    return f"{base.rstrip('/')}/verify/{code}" if base else None


def print_pdf(kind: str, title: str, build, actor, *, object_type: str | None = None, object_id=None,
              params: dict | None = None, base_url: str | None = None) -> tuple[bytes, PrintRecord]:
    """``build(meta) -> bytes``; records the code and hash, and writes a ``print`` audit entry."""
    import reports
    code = new_code()
    record = PrintRecord(code=code, kind=kind, title=title, object_type=object_type,
                         object_id=None if object_id is None else str(object_id), params=audit.jsonable(params or {}),
                         printed_by_id=getattr(actor, "id", None), printed_by=getattr(actor, "label", "system"),
                         printed_at=utcnow())
    meta = reports.DocumentMeta(bureau_name=current_app.config["BUREAU_NAME"], title=title,
                                printed_by=record.printed_by, printed_at=record.printed_at, verification_code=code,
                                verify_url=verify_url(code, base_url))
    pdf = build(meta)
    record.sha256, record.size = hashlib.sha256(pdf).hexdigest(), len(pdf)
    db.session.add(record)
    db.session.flush()
    audit.record("print", object_type or kind, object_id, {"document": kind, "title": title, "code": code,
                                                           "sha256": record.sha256, **audit.jsonable(params or {})},
                 actor=actor)
    return pdf, record


def find(code: str) -> PrintRecord | None:
    code = (code or "").strip().upper()[:16]
    return db.session.scalars(sa.select(PrintRecord).where(PrintRecord.code == code)).first()


def check(code: str, pdf: bytes | None = None, sha256: str | None = None) -> dict:
    """Is this a document we printed, and (given the file or its hash) is it unaltered?"""
    record = find(code)
    if record is None:
        return {"known": False, "genuine": False}
    out = {"known": True, "code": record.code, "kind": record.kind, "title": record.title,
           "printed_by": record.printed_by, "printed_at": record.printed_at, "pages_sha256": record.sha256}
    digest = hashlib.sha256(pdf).hexdigest() if pdf is not None else (sha256 or "").lower() or None
    if digest is not None:
        out["genuine"] = digest == record.sha256
        out["matches"] = out["genuine"]
    else:
        out["genuine"] = None  # a known code; the file itself was not checked
    return out


def filename(kind: str, record: PrintRecord) -> str:
    return f"{kind}-{record.code}.pdf"

