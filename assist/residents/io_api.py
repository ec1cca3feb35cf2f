"""API: import residents from a spreadsheet (registered on the residents_api blueprint)."""
from __future__ import annotations

from flask import current_app, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from assist.core.db import commit
from assist.core.errors import Conflict, TooLarge, ValidationError
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.extensions import db
from assist.residents import importer
from assist.residents.api import bp
from assist.residents.models import ImportJob


@bp.post("/residents/import")
@roles("admin", "caseworker")
def import_start():
    """Import residents from an xlsx or CSV file (multipart field ``file``; ``check_only=1`` imports
    nobody). 202 with the job; poll ``GET /api/v1/residents/import/{id}`` until ``finished``. A file
    that cannot be imported at all → 422 (413 when too large, 409 while another import runs)."""
    storage = request.files.get("file")
    if storage is None or not storage.filename:
        raise ValidationError(fields={"file": [_("%(field)s: %(message)s", field="file", message=_("is required"))]})
    data = storage.read(current_app.config["IMPORT_MAX_BYTES"] + 1)
    check_only = (request.form.get("check_only") or "").strip().lower() in ("1", "true", "yes", "on")
    try:
        pending = importer.prepare(current_user, storage.filename, data, check_only=check_only)
        commit()
    except importer.Refused as exc:
        db.session.rollback()
        if exc.status == 413:
            raise TooLarge(exc.message)
        if exc.status == 409:
            raise Conflict(exc.message, code="import_running")
        raise ValidationError(exc.message, fields={"file": [str(exc.message)]})
    importer.execute(pending, current_user._get_current_object())
    commit()
    job = db.session.get(ImportJob, pending.job_id)
    return importer.status(job, with_errors=True), 202, {
        "Location": url_for("residents_api.import_detail", job_id=job.id)}


@bp.get("/residents/import/<int:job_id>")
@roles("admin", "caseworker")
def import_detail(job_id: int):
    """An import's progress and, once finished, its row report (``errors``: row, column, message)."""
    return importer.status(get_or_404(ImportJob, job_id, current_user), with_errors=True)
