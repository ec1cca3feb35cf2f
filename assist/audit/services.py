"""Reading the audit log."""
from __future__ import annotations

import sqlalchemy as sa

from assist.core.audit import AuditEntry
from assist.core.pagination import Page, keyset


def entries(args, *, limit: int, cursor: str | None) -> Page:
    stmt = sa.select(AuditEntry)
    if args.get("object_type"):
        stmt = stmt.where(AuditEntry.object_type == args["object_type"])
    if args.get("object_id"):
        stmt = stmt.where(AuditEntry.object_id == str(args["object_id"]))
    if args.get("action"):
        stmt = stmt.where(AuditEntry.action == args["action"])
    if args.get("actor"):
        stmt = stmt.where(AuditEntry.actor == args["actor"])
    return keyset(stmt, [AuditEntry.seq], limit=limit, cursor=cursor, descending=True)
