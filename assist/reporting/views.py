"""HTML: reports page, anomaly list, verification page, printing from the resident page."""
from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request
from flask_login import current_user

from assist.core.db import commit
from assist.core.errors import AppError
from assist.core.permissions import public, roles
from assist.core.scoping import get_or_404, scoped
from assist.providers.models import Provider
from assist.reporting import anomalies as anomaly_checks
from assist.reporting import documents, services
from assist.residents.models import Resident

bp = Blueprint("reporting", __name__)

def _kind_labels():
    from reports.anomalies import ANOMALY_KIND_LABELS
    return ANOMALY_KIND_LABELS


@bp.get("/reports/")
@roles("admin", "caseworker", "auditor")
def index():
    import sqlalchemy as sa

    from assist.areas import services as area_services
    from assist.extensions import db
    providers = db.session.scalars(scoped(sa.select(Provider), Provider, current_user).order_by(Provider.name)).all()
    return render_template("reporting/index.html", providers=providers, area_choices=area_services.choices(current_user))


@bp.get("/reports/anomalies")
@roles("admin", "caseworker", "auditor")
def anomalies():
    error = None
    try:
        frm, to = documents.period(request.args)
        found = anomaly_checks.detect(current_user, frm, to)
    except AppError as exc:
        frm = to = None
        found, error = [], " ".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message)
    counts = {}
    for a in found:
        counts[a.kind] = counts.get(a.kind, 0) + 1
    return render_template("reporting/anomalies.html", found=found, counts=counts, labels=_kind_labels(),
                           frm=frm, to=to, error=error, args=request.args)


@bp.get("/residents/<int:resident_id>/history.pdf")
@roles("admin", "caseworker", "auditor")
def history(resident_id: int):
    resident = get_or_404(Resident, resident_id, current_user)
    frm, to = documents.optional_period(request.args)
    pdf, record = documents.history(resident, frm, to, current_user)
    commit()
    return Response(pdf, mimetype="application/pdf", headers={
        "Content-Disposition": f'inline; filename="{services.filename("history", record)}"'})


@bp.route("/verify/<code>", methods=["GET", "POST"])
@public
def verify(code: str):
    record = services.find(code)
    if record is None:
        abort(404)
    result = None
    if request.method == "POST":
        upload = request.files.get("file")
        result = services.check(code, pdf=upload.read() if upload else b"")
    return render_template("reporting/verify.html", record=record, result=result)


def _job(job_id: int):
    from assist.extensions import db
    from assist.reporting.models import PrintJob
    job = db.session.get(PrintJob, job_id)
    if job is None or (job.user_id != current_user.id and current_user.role != "admin"):
        abort(404)
    return job


@bp.post("/reports/batch")
@roles("admin", "caseworker", "auditor")
def batch_create():
    from flask import flash, redirect, url_for

    from assist.reporting import batch
    from assist.residents import services as resident_services
    try:
        frm, to = documents.optional_period(request.form)
        job = batch.create(current_user, resident_services.Filters.from_args(request.form), frm, to)
        batch.start(job)
        commit()
    except AppError as exc:
        flash(" ".join(str(m) for ms in exc.fields.values() for m in ms) or str(exc.message), "danger")
        return redirect(url_for("residents.index", **{k: v for k, v in request.form.items()
                                                      if k in ("q", "area_code", "assistance_type", "status")}))
    return redirect(url_for("reporting.batch_status", job_id=job.id))


@bp.get("/reports/batch/<int:job_id>")
@roles("admin", "caseworker", "auditor")
def batch_status(job_id: int):
    return render_template("reporting/batch.html", job=_job(job_id))


@bp.get("/reports/batch/<int:job_id>.json")
@roles("admin", "caseworker", "auditor")
def batch_progress(job_id: int):
    from assist.extensions import db
    job = _job(job_id)
    db.session.refresh(job)
    return job.to_dict()


@bp.get("/reports/batch/<int:job_id>.pdf")
@roles("admin", "caseworker", "auditor")
def batch_pdf(job_id: int):
    from assist.reporting import batch
    job = _job(job_id)
    if job.status != "done":
        abort(404)
    return Response(batch.pdf_bytes(job), mimetype="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="history-batch-{job.code}.pdf"', "Cache-Control": "private, no-store"})
