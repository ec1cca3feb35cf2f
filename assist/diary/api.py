"""API.md "Needs diary": visit records, the problem list and its transitions, photos, figures."""
from __future__ import annotations

import io

from flask import request, send_file
from flask_babel import gettext as _
from flask_login import current_user

from assist.core import uploads
from assist.core.api import blueprint, json_body, page_answer
from assist.core.db import commit
from assist.core.errors import NotFound, ValidationError
from assist.core.idempotency import idempotent
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.diary import export, figures, services
from assist.diary.models import DiaryEntry, Problem

bp = blueprint("diary_api", __name__)

STAFF = ("admin", "caseworker", "auditor")
WRITERS = ("admin", "caseworker")


def _page_args():
    return parse_limit(request.args.get("limit")), request.args.get("cursor")


# --- visit records --------------------------------------------------------------------------------

@bp.post("/diary")
@roles(*WRITERS)
@idempotent
def create():
    """Record a visit ``{"area_code", "visited_at", "resident_id"?, "household"?, "address"?, "visitors"?,
    "notes", "needs": [{"kind": "service|policy|governance|wish", "description"}]}``; each need becomes
    a problem item (``recorded``). Honours Idempotency-Key."""
    entry = services.record_entry(json_body(), current_user)
    return entry.to_dict(), 201


@bp.get("/diary")
@roles(*STAFF)
def index():
    """Visit records in scope, newest first; filters ``area_code``, ``resident_id``, ``from``, ``to``."""
    limit, cursor = _page_args()
    page = services.list_entries(current_user, request.args, limit=limit, cursor=cursor)
    return page_answer(page, DiaryEntry.to_dict)


@bp.get("/diary/<int:diary_id>")
@roles(*STAFF)
def detail(diary_id: int):
    return get_or_404(DiaryEntry, diary_id, current_user).to_dict()


def _upload():
    """The one photo of an upload request (multipart field ``file``), as a list for the services."""
    files = [f for f in request.files.getlist("file") if f.filename]
    if len(files) != 1:
        message = (_("send one photo per request") if files
                   else _("send the photo as the multipart field “file”"))
        raise ValidationError(fields={"file": [_("%(field)s: %(message)s", field=_("Photo"), message=message)]})
    return files


@bp.post("/diary/<int:diary_id>/photos")
@roles(*WRITERS)
@idempotent
def add_photos(diary_id: int):
    """Attach a photo to a visit record: multipart field ``file`` (JPEG or PNG) → 201 ``{"id", "sha256", ...}``."""
    entry = get_or_404(DiaryEntry, diary_id, current_user)
    rows = services.add_entry_photos(entry, _upload(), current_user)
    return rows[0].to_dict(), 201


@bp.get("/diary/photos/<int:photo_id>")
@roles(*STAFF, "unit")
def photo(photo_id: int):
    """A photo's bytes (visit photos with the visit record's scope, resolution photos with the item's)."""
    row = services.get_photo(photo_id, current_user)
    try:
        path = uploads.absolute(row.path)
        return send_file(path, mimetype=row.content_type, download_name=f"photo-{row.id}.{row.path.rsplit('.', 1)[-1]}")
    except (ValueError, FileNotFoundError):
        raise NotFound()


# --- figures --------------------------------------------------------------------------------------

def _figures():
    start, end = figures.parse_period(request.args.get("from"), request.args.get("to"))
    return figures.compute(current_user, start, end, request.args.get("area_code") or None)


@bp.get("/diary/figures")
@roles(*STAFF)
def figures_json():
    """Figures for ``from``..``to`` (default: this year) per area under ``area_code`` (default: the
    caller's areas, or the district): visits, needs, dispatched, resolved, satisfied, unsatisfied,
    satisfaction_rate, overdue, escalated_district, overdue_now."""
    return _figures().to_dict()


@bp.get("/diary/figures.xlsx")
@roles(*STAFF)
def figures_xlsx():
    """The same figures and the list of needs collected in the period, as an xlsx workbook."""
    data, filename = export.figures_export(current_user, _figures())
    commit()
    return send_file(io.BytesIO(data), as_attachment=True, download_name=filename, mimetype=export.XLSX_MIMETYPE)


# --- problem list ---------------------------------------------------------------------------------

@bp.get("/problems")
@roles(*STAFF, "unit")
def problems():
    """Problem items in scope (a unit's staff: those dispatched to their unit). Filters ``status``
    (comma-separated), ``kind``, ``area_code``, ``unit_id``, ``resident_id``, ``diary_id``,
    ``escalation`` (street|district), ``q``. ``status=overdue`` lists the longest overdue first."""
    limit, cursor = _page_args()
    page = services.list_problems(current_user, request.args, limit=limit, cursor=cursor)
    return page_answer(page, Problem.to_dict)


@bp.get("/problems/<int:problem_id>")
@roles(*STAFF, "unit")
def problem(problem_id: int):
    """One item with its history (``events``)."""
    return get_or_404(Problem, problem_id, current_user).to_dict(detail=True)


def _transition(problem_id: int, action: str):
    item = get_or_404(Problem, problem_id, current_user)
    services.apply(item, action, json_body(), current_user)
    return item.to_dict(detail=True), 200


@bp.post("/problems/<int:problem_id>/dispatch")
@roles(*WRITERS)
@idempotent
def dispatch(problem_id: int):
    """Dispatch a recorded or returned item ``{"unit_id", "due_date", "note"?}``; 409 in any other state."""
    return _transition(problem_id, "dispatch")


@bp.post("/problems/<int:problem_id>/accept")
@roles("unit")
@idempotent
def accept(problem_id: int):
    """The unit accepts a dispatched item ``{"note"?}``."""
    return _transition(problem_id, "accept")


@bp.post("/problems/<int:problem_id>/return")
@roles("unit")
@idempotent
def return_(problem_id: int):
    """The unit returns a dispatched item it has not accepted ``{"reason"}``; the community re-dispatches it."""
    return _transition(problem_id, "return")


@bp.post("/problems/<int:problem_id>/resolve")
@roles("unit")
@idempotent
def resolve(problem_id: int):
    """The unit reports an accepted item resolved ``{"result"}`` (photos: ``POST .../photos``)."""
    return _transition(problem_id, "resolve")


@bp.post("/problems/<int:problem_id>/feedback")
@roles(*WRITERS)
@idempotent
def feedback(problem_id: int):
    """The resident's answer on a resolved item ``{"satisfied": bool, "comment", "due_date"?}``:
    satisfied closes it (satisfaction list), not satisfied reopens it at the unit."""
    return _transition(problem_id, "feedback")


@bp.post("/problems/<int:problem_id>/photos")
@roles("unit")
@idempotent
def add_resolution_photos(problem_id: int):
    """A photo of the resolution, by the unit: multipart field ``file`` (JPEG or PNG) → 201."""
    item = get_or_404(Problem, problem_id, current_user)
    rows = services.add_resolution_photos(item, _upload(), current_user)
    return rows[0].to_dict(), 201
