"""Service points of the 15-minute community life circle (一刻钟社区生活圈)."""
from __future__ import annotations

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from assist.core.api import blueprint, json_body, page_answer
from assist.core.db import commit
from assist.core.errors import Forbidden
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.servicepoints import services
from assist.servicepoints.models import ServicePoint

bp = blueprint("servicepoints_api", __name__)

READERS = ("admin", "caseworker", "auditor", "provider", "unit")


@bp.post("/service-points")
@roles("admin", "caseworker")
def create():
    """Register a service point ``{"kind": "dispatch_centre|care_centre|care_station|convenience_post|
    family_doctor", "name", "address", "area_code", "opening_hours", "contact", "phone", "item_codes"}``."""
    point = services.create(json_body(), current_user)
    commit()
    return point.to_dict(), 201


@bp.get("/service-points")
@roles(*READERS)
def index():
    """Service points; filters ``area_code`` (that area and below), ``kind``, ``item_code``, ``active``."""
    page = services.search(current_user, request.args, limit=parse_limit(request.args.get("limit")),
                           cursor=request.args.get("cursor"))
    return page_answer(page, ServicePoint.to_dict)


@bp.get("/service-points/<int:point_id>")
@roles(*READERS)
def detail(point_id: int):
    return get_or_404(ServicePoint, point_id, current_user).to_dict()


@bp.patch("/service-points/<int:point_id>")
@roles("admin", "caseworker")
def update(point_id: int):
    """Change a service point (with ``version``); caseworkers only within their areas."""
    point = get_or_404(ServicePoint, point_id, current_user)
    if not services.can_edit(point, current_user):
        raise Forbidden(_("This service point is outside your areas."))
    services.update(point, json_body(), current_user)
    commit()
    return point.to_dict()
