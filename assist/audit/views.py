from flask import Blueprint, render_template, request

from assist.audit.services import entries
from assist.core import audit
from assist.core.pagination import parse_limit
from assist.core.permissions import roles

bp = Blueprint("audit", __name__)


@bp.get("/audit")
@roles("admin", "auditor")
def index():
    page = entries(request.args, limit=parse_limit(request.args.get("limit")), cursor=request.args.get("cursor"))
    result = audit.verify() if request.args.get("verify") else None
    return render_template("audit/index.html", page=page, verify=result, args=request.args)
