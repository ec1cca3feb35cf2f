"""API.md "Visits"."""
from __future__ import annotations

import datetime as dt

from flask import request
from flask_babel import gettext as _
from flask_login import current_user

from assist.core.api import blueprint, json_body, page_answer
from assist.core.db import commit
from assist.core.errors import ValidationError
from assist.core.idempotency import idempotent
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.core.validation import Validator
from assist.visits import services
from assist.visits.models import Visit

bp = blueprint("visits_api", __name__)

STAFF = ("admin", "caseworker")
ALL_VISIT_ROLES = ("admin", "caseworker", "auditor", "provider")


@bp.post("/schedule/generate")
@roles("admin", "caseworker")
def generate():
    """Create the visits of every active plan up to ``until`` (no duplicates on a rerun)."""
    v = Validator(json_body())
    until = v.date("until", services.LABELS["until"], required=True)
    v.raise_if_errors()
    if until > dt.date.today() + dt.timedelta(days=366):
        raise ValidationError(fields={"until": [_("%(field)s: %(message)s", field=services.LABELS["until"],
                                                  message=_("may be at most a year ahead"))]})
    created = services.generate(until, current_user)
    commit()
    return {"created": created}


@bp.get("/visits")
@roles(*ALL_VISIT_ROLES)
def index():
    """Visits in scope by scheduled start; filter by from, to, resident_id, provider_id, staff_id, status."""
    page = services.search(current_user, request.args, limit=parse_limit(request.args.get("limit")),
                           cursor=request.args.get("cursor"))
    return page_answer(page, Visit.to_dict)


@bp.get("/visits/<int:visit_id>")
@roles(*ALL_VISIT_ROLES)
def detail(visit_id: int):
    """One visit with its history (``events``) and files."""
    visit = get_or_404(Visit, visit_id, current_user)
    data = visit.to_dict()
    data["events"] = [{"at": e.at.isoformat(), "kind": e.kind, "reason": e.reason, "changes": e.changes,
                       "actor": e.actor.username if e.actor else None} for e in visit.events]
    data["files"] = [f.to_dict() for f in visit.files]
    return data


def _action(visit_id: int, fn, *, for_update=True):
    visit = get_or_404(Visit, visit_id, current_user, for_update=for_update)
    fn(visit, json_body(), current_user)
    return visit


@bp.post("/visits/<int:visit_id>/assign")
@roles("admin", "caseworker", "provider")
def assign(visit_id: int):
    """Assign a worker; 409 when the worker is already booked then."""
    visit = _action(visit_id, services.assign)
    commit()
    return visit.to_dict()


@bp.post("/visits/<int:visit_id>/reschedule")
@roles("admin", "caseworker", "provider")
def reschedule(visit_id: int):
    """Move a scheduled visit, with a reason."""
    visit = _action(visit_id, services.reschedule)
    commit()
    return visit.to_dict()


@bp.post("/visits/<int:visit_id>/cancel")
@roles("admin", "caseworker", "provider")
def cancel(visit_id: int):
    """Cancel a visit, with a reason."""
    visit = _action(visit_id, services.cancel)
    commit()
    return visit.to_dict()


@bp.post("/visits/<int:visit_id>/check-in")
@roles("provider")
@idempotent
def check_in(visit_id: int):
    """Check in (time, and location if given). Honours Idempotency-Key."""
    return _action(visit_id, services.check_in).to_dict(), 200


@bp.post("/visits/<int:visit_id>/complete")
@roles("provider")
@idempotent
def complete(visit_id: int):
    """Check out with quantity, notes and the resident's signature (PNG, base64). Honours Idempotency-Key."""
    return _action(visit_id, services.complete).to_dict(), 200


@bp.post("/visits/<int:visit_id>/photos")
@roles("provider")
@idempotent
def photo(visit_id: int):
    """Upload a photo (multipart field ``file``, JPEG or PNG). Honours Idempotency-Key."""
    visit = get_or_404(Visit, visit_id, current_user, for_update=True)
    upload = request.files.get("file")
    if upload is None:
        raise ValidationError(fields={"file": [_("%(field)s: %(message)s", field="file", message=_("is required"))]})
    stored = services.add_photo(visit, upload.read(), current_user)
    return stored.to_dict(), 201


@bp.post("/visits/<int:visit_id>/rating")
@roles(*STAFF)
def rating(visit_id: int):
    """The follow-up call's rating; 不满意 (unsatisfied) opens a rework visit."""
    visit = _action(visit_id, services.rate)
    commit()
    return visit.to_dict()


@bp.post("/visits/<int:visit_id>/amend")
@roles("admin", "caseworker", "provider")
def amend(visit_id: int):
    """Correct a completed visit with a reason; the original values stay in its history."""
    visit = _action(visit_id, services.amend)
    commit()
    return visit.to_dict()


@bp.post("/visits/verify")
@roles(*STAFF)
def verify():
    """The community confirms completed visits: ``{"visit_ids": [...]}``."""
    data = json_body()
    ids = data.get("visit_ids")
    if not isinstance(ids, list) or not all(isinstance(i, int) for i in ids) or len(ids) > 1000:
        raise ValidationError(fields={"visit_ids": [_("%(field)s: %(message)s", field="visit_ids",
                                                      message=_("must be a list of visit ids"))]})
    visits = [get_or_404(Visit, i, current_user) for i in ids]
    count = services.verify(visits, current_user)
    commit()
    return {"verified": count}
