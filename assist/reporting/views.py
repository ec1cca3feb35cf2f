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

KIND_TITLES = None


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
