"""API.md "Residents"."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from assist.core.api import blueprint, json_body, page_answer
from assist.core.db import commit
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.residents import services
from assist.residents.models import Resident

bp = blueprint("residents_api", __name__)


def serialise(resident: Resident) -> dict:
    return resident.to_provider_dict() if current_user.role == "provider" else resident.to_dict()


@bp.post("/residents")
@roles("admin", "caseworker")
def create():
    """Register a resident. 409 ``duplicate`` with ``existing_id`` for a known ID number."""
    resident = services.register(json_body(), current_user)
    commit()
    return resident.to_dict(), 201


@bp.get("/residents")
@roles("admin", "caseworker", "auditor", "provider")
def index():
    """List and search residents in the caller's scope (``q``: name, pinyin initials, phone, ID tail)."""
    page = services.search(current_user, services.Filters.from_args(request.args),
                           limit=parse_limit(request.args.get("limit")), cursor=request.args.get("cursor"))
    return page_answer(page, serialise)


@bp.get("/residents/<int:resident_id>")
@roles("admin", "caseworker", "auditor", "provider")
def detail(resident_id: int):
    """One resident (providers see only the contact fields). The access is logged."""
    resident = get_or_404(Resident, resident_id, current_user)
    services.record_view(resident, current_user)
    commit()
    return serialise(resident)


@bp.patch("/residents/<int:resident_id>")
@roles("admin", "caseworker")
def update(resident_id: int):
    """Edit a resident; the body carries the ``version`` it was based on (stale → 409)."""
    resident = get_or_404(Resident, resident_id, current_user)
    services.update(resident, json_body(), current_user)
    commit()
    return resident.to_dict()


@bp.post("/residents/<int:resident_id>/status")
@roles("admin", "caseworker")
def status(resident_id: int):
    """Suspend, reactivate or terminate with a reason."""
    resident = get_or_404(Resident, resident_id, current_user)
    services.change_status(resident, json_body(), current_user)
    commit()
    return resident.to_dict()


from assist.residents import io_api  # noqa: E402,F401  (spreadsheet import, on this blueprint)
