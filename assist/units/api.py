"""API.md "Needs diary": partner units (包联单位)."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from assist.core.api import blueprint, json_body, page_answer
from assist.core.db import commit
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.units import services
from assist.units.models import PartnerUnit

bp = blueprint("units_api", __name__)


@bp.post("/units")
@roles("admin", "caseworker")
def create():
    """Register a partner unit ``{"name", "kind", "contact", "phone", "address"?, "area_codes"?}``."""
    unit = services.create(json_body(), current_user)
    commit()
    return unit.to_dict(), 201


@bp.get("/units")
@roles("admin", "caseworker", "auditor", "unit")
def index():
    """Partner units; a unit's staff see only their own. Filters: ``q`` (name), ``kind``, ``active``."""
    page = services.search(current_user, request.args, limit=parse_limit(request.args.get("limit")),
                           cursor=request.args.get("cursor"))
    return page_answer(page, PartnerUnit.to_dict)


@bp.get("/units/<int:unit_id>")
@roles("admin", "caseworker", "auditor", "unit")
def detail(unit_id: int):
    return get_or_404(PartnerUnit, unit_id, current_user).to_dict()


@bp.patch("/units/<int:unit_id>")
@roles("admin", "caseworker")
def update(unit_id: int):
    """Change a unit (with ``version``); ``"active": false`` stops new dispatches to it."""
    unit = get_or_404(PartnerUnit, unit_id, current_user)
    services.update(unit, json_body(), current_user)
    commit()
    return unit.to_dict()
