"""API.md "Matching and plans"."""
from __future__ import annotations

from flask import request
from flask_login import current_user

from assist.core.api import blueprint, json_body, page_answer
from assist.core.db import commit
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.plans import eligibility, services
from assist.plans.models import Plan
from assist.residents.models import Resident

bp = blueprint("plans_api", __name__)


@bp.get("/residents/<int:resident_id>/matches")
@roles("admin", "caseworker", "auditor")
def matches(resident_id: int):
    """All 24 items for a resident: eligible first by score, each with its reasons."""
    resident = get_or_404(Resident, resident_id, current_user)
    return {"resident_id": resident.id, "matches": eligibility.matches(resident)}


@bp.post("/residents/<int:resident_id>/decisions")
@roles("admin", "caseworker")
def decide(resident_id: int):
    """Override a verdict: ``{"item_code", "kind": "grant|decline", "reason"}``."""
    resident = get_or_404(Resident, resident_id, current_user)
    data = json_body()
    decision = services.record_decision(resident, str(data.get("item_code") or ""), data, current_user)
    commit()
    return decision.to_dict(), 201


@bp.post("/plans")
@roles("admin", "caseworker")
def create():
    """Create a plan; answers ``warnings`` when the recurrence exceeds the cap or the item is not eligible."""
    plan, warnings = services.create(json_body(), current_user)
    commit()
    return plan.to_dict(warnings), 201


@bp.get("/plans")
@roles("admin", "caseworker", "auditor", "provider")
def index():
    """Plans in scope; filter by resident_id, provider_id, status, item_code, needs_review."""
    page = services.list_plans(current_user, request.args, limit=parse_limit(request.args.get("limit")),
                               cursor=request.args.get("cursor"))
    return page_answer(page, Plan.to_dict)


@bp.get("/plans/<int:plan_id>")
@roles("admin", "caseworker", "auditor", "provider")
def detail(plan_id: int):
    """One plan."""
    return get_or_404(Plan, plan_id, current_user).to_dict()


@bp.patch("/plans/<int:plan_id>")
@roles("admin", "caseworker")
def update(plan_id: int):
    """Change a plan's provider, recurrence, times, quantity or cap (with ``version``)."""
    plan = get_or_404(Plan, plan_id, current_user)
    plan, warnings = services.update(plan, json_body(), current_user)
    commit()
    return plan.to_dict(warnings)


@bp.post("/plans/<int:plan_id>/end")
@roles("admin", "caseworker")
def end(plan_id: int):
    """End a plan with a reason."""
    plan = get_or_404(Plan, plan_id, current_user)
    services.end(plan, json_body(), current_user)
    commit()
    return plan.to_dict()
