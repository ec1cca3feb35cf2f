"""API.md "Audit"."""
from flask import request

from assist.audit.services import entries
from assist.core import audit
from assist.core.api import blueprint, page_answer
from assist.core.pagination import parse_limit
from assist.core.permissions import roles

bp = blueprint("audit_api", __name__)


@bp.get("/audit")
@roles("admin", "auditor")
def index():
    """Audit entries, newest first; filter by object_type, object_id, action, actor."""
    page = entries(request.args, limit=parse_limit(request.args.get("limit")), cursor=request.args.get("cursor"))
    return page_answer(page, lambda e: e.to_dict())


@bp.get("/audit/verify")
@roles("admin", "auditor")
def verify():
    """Recompute the hash chain."""
    return audit.verify()
