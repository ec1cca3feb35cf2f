import json

from flask import Blueprint, render_template, request
from flask_babel import lazy_gettext as _l

from assist.audit.services import entries
from assist.core import audit
from assist.core.pagination import parse_limit
from assist.core.permissions import roles

bp = Blueprint("audit", __name__)

ACTION_TITLES = {"create": _l("created"), "update": _l("updated"), "status": _l("status changed"),
                 "delete": _l("deleted"), "login": _l("logged in"), "export": _l("exported"), "print": _l("printed"),
                 "view": _l("viewed"), "import": _l("imported"), "override": _l("override"),
                 "generate": _l("generated")}
OBJECT_TITLES = {"resident": _l("resident"), "plan": _l("plan"), "visit": _l("visit"), "provider": _l("provider"),
                 "user": _l("user"), "unit": _l("partner unit"), "problem": _l("problem item"),
                 "diary": _l("diary entry"), "settlement": _l("settlement"), "catalog_item": _l("service item"),
                 "service_point": _l("service point")}


@bp.get("/audit")
@roles("admin", "auditor")
def index():
    page = entries(request.args, limit=parse_limit(request.args.get("limit")), cursor=request.args.get("cursor"))
    result = audit.verify() if request.args.get("verify") else None
    return render_template("audit/index.html", page=page, verify=result, args=request.args,
                           actions=ACTION_TITLES, objects=OBJECT_TITLES,
                           readable=lambda v: json.dumps(v, ensure_ascii=False, sort_keys=True))
