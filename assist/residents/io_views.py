"""HTML pages for importing residents from a spreadsheet and exporting the list to xlsx.

Registered on the residents blueprint (imported at the end of residents/views.py); the rules live in
residents/importer.py and residents/exporter.py.
"""
from __future__ import annotations

import io
import logging
import tempfile

from flask import current_app, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.exceptions import RequestEntityTooLarge

from assist.core.db import commit
from assist.core.errors import HTTP_MESSAGES, Forbidden, ValidationError
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.core.timeutil import local_today
from assist.extensions import db
from assist.residents import exporter, importer, services
from assist.residents.forms import ImportForm
from assist.residents.models import ImportJob
from assist.residents.views import READERS, WRITERS, bp

log = logging.getLogger(__name__)


def _import_page(form: ImportForm, status: int = 200):
    cfg = current_app.config
    jobs = [(job, importer.effective_status(job)) for job in importer.recent_jobs(current_user)]
    return render_template("residents/import.html", form=form, jobs=jobs,
                           statuses=_status_titles(), max_rows=cfg["IMPORT_MAX_ROWS"],
                           max_mb=importer.megabytes(cfg["IMPORT_MAX_BYTES"])), status


def _status_titles() -> dict:
    return {"queued": _("Waiting"), "reading": _("Reading the file"), "running": _("Importing"),
            "done": _("Finished"), "failed": _("Failed"), "interrupted": _("Interrupted")}


@bp.get("/import")
@roles(*WRITERS)
def import_form():
    return _import_page(ImportForm(formdata=None))


@bp.post("/import")
@roles(*WRITERS)
def import_upload():
    form = ImportForm()
    storage = request.files.get("file")
    limit = current_app.config["IMPORT_MAX_BYTES"]
    try:
        if storage is None or not storage.filename:
            raise importer.Refused(_("Choose a file to import."))
        data = storage.read(limit + 1)
        pending = importer.prepare(current_user, storage.filename, data, check_only=bool(form.check_only.data))
        commit()  # the job exists before anything runs: the page and a background thread can find it
    except importer.Refused as exc:
        db.session.rollback()
        form.file.errors = [str(exc.message)]
        return _import_page(form, exc.status)
    importer.execute(pending, current_user._get_current_object())
    commit()
    return redirect(url_for("residents.import_job", job_id=pending.job_id))


@bp.errorhandler(RequestEntityTooLarge)
def _too_large(exc):
    """A file over MAX_CONTENT_LENGTH: say so on the import page rather than on a bare error page."""
    if request.endpoint == "residents.import_upload":
        form = ImportForm(formdata=None)
        form.file.errors = [_("The file is larger than %(mb)s MB. Split it into smaller files.",
                              mb=importer.megabytes(current_app.config["IMPORT_MAX_BYTES"]))]
        return _import_page(form, 413)
    return render_template("errors/error.html", status=413, message=HTTP_MESSAGES[413]), 413


@bp.get("/import/<int:job_id>")
@roles(*WRITERS)
def import_job(job_id: int):
    job = get_or_404(ImportJob, job_id, current_user)
    info = importer.status(job)
    problems = sorted(job.errors or [], key=lambda p: (p["row"], p["letter"]))
    return render_template("residents/import_job.html", job=job, info=info, statuses=_status_titles(),
                           problems=problems[:importer.REPORT_PAGE_LIMIT],
                           hidden=max(0, len(problems) - importer.REPORT_PAGE_LIMIT),
                           kinds={k: f() for k, f in importer.KIND_TITLES.items()})


@bp.get("/import/<int:job_id>/status")
@roles(*WRITERS)
def import_status(job_id: int):
    """The progress of an import, polled by the page (assist/static/import.js)."""
    return importer.status(get_or_404(ImportJob, job_id, current_user))


@bp.get("/import/<int:job_id>/report.xlsx")
@roles(*WRITERS)
def import_report(job_id: int):
    job = get_or_404(ImportJob, job_id, current_user)
    name = _("import-report-%(id)d.xlsx", id=job.id)
    return send_file(io.BytesIO(importer.report_xlsx(job)), mimetype=importer.XLSX_MIMETYPE, as_attachment=True,
                     download_name=name)


@bp.get("/import/template.xlsx")
@roles(*WRITERS)
def import_template():
    return send_file(io.BytesIO(importer.template_xlsx(current_user)), mimetype=importer.XLSX_MIMETYPE,
                     as_attachment=True, download_name="救助对象导入模板.xlsx")


@bp.get("/export.xlsx")
@roles(*READERS)
def export():
    """The list as filtered (same query arguments as the list page), in the caller's scope; ID numbers
    masked unless ``id_numbers=full`` (caseworkers and admins only)."""
    filters = services.Filters.from_args(request.args)
    full_ids = request.args.get("id_numbers") == "full"
    if full_ids and current_user.role not in WRITERS:
        raise Forbidden()
    out = tempfile.TemporaryFile()
    try:
        rows = exporter.export_residents(current_user, filters, out, full_ids=full_ids)
        commit()  # the export is in the audit log before the file leaves
    except ValidationError as exc:
        out.close()
        db.session.rollback()
        flash("; ".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message), "danger")
        return redirect(url_for("residents.index", **request.args.to_dict(flat=False)))
    except BaseException:
        out.close()
        raise
    log.info("export of %d residents by %s", rows, current_user.username)
    out.seek(0)
    return send_file(out, mimetype=importer.XLSX_MIMETYPE, as_attachment=True,
                     download_name=f"救助对象_{local_today():%Y%m%d}.xlsx")
