"""API.md "Reports and figures": PDFs, anomalies, stats, verification."""
from __future__ import annotations


from flask import Response, request
from flask_babel import gettext as _
from flask_login import current_user

from assist.core.api import blueprint, json_body
from assist.core.db import commit
from assist.core.errors import NotFound
from assist.core.validation import field_error
from assist.core.permissions import public, roles
from assist.core.scoping import get_or_404
from assist.providers.models import Provider
from assist.reporting import documents, services, stats
from assist.reporting import anomalies as anomaly_checks
from assist.residents.models import Resident

bp = blueprint("reporting_api", __name__)


def _pdf(pdf: bytes, name: str) -> Response:
    return Response(pdf, mimetype="application/pdf",
                    headers={"Content-Disposition": f'inline; filename="{name}"', "Cache-Control": "private, no-store"})


@bp.get("/residents/<int:resident_id>/history.pdf")
@roles("admin", "caseworker", "auditor")
def history(resident_id: int):
    """The per-person service history (``from``/``to`` optional)."""
    resident = get_or_404(Resident, resident_id, current_user)
    frm, to = documents.optional_period(request.args)
    pdf, record = documents.history(resident, frm, to, current_user)
    commit()
    return _pdf(pdf, services.filename("history", record))


@bp.get("/reports/settlement.pdf")
@roles("admin", "auditor", "provider")
def settlement():
    """A provider's monthly settlement (``provider_id``, ``month`` YYYY-MM)."""
    provider = _provider(request.args.get("provider_id"))
    year, month = documents.parse_month(request.args.get("month"))
    pdf, record = documents.settlement(provider, year, month, current_user)
    commit()
    return _pdf(pdf, services.filename("settlement", record))


@bp.post("/settlements")
@roles("admin")
def issue_settlement():
    """Issue (freeze) a provider's settlement batch for a month: ``{"provider_id", "month"}``."""
    data = json_body()
    provider = _provider(data.get("provider_id"))
    year, month = documents.parse_month(data.get("month"))
    batch = documents.issue_settlement(provider, year, month, current_user)
    commit()
    return {"id": batch.id, "provider_id": provider.id, "month": batch.month, "gross": str(batch.gross),
            "deducted": str(batch.deducted), "net": str(batch.net), "lines": len(batch.lines)}, 201


@bp.get("/reports/summary.pdf")
@roles("admin", "caseworker", "auditor")
def summary():
    """The district summary for a period (``from``, ``to``, ``area_code``), with charts."""
    frm, to = documents.period(request.args)
    area = documents.scoped_area(request.args.get("area_code"), current_user)
    pdf, record = documents.summary(frm, to, area, current_user)
    commit()
    return _pdf(pdf, services.filename("summary", record))


@bp.get("/reports/anomalies")
@roles("admin", "caseworker", "auditor")
def anomalies():
    """The anomalies an audit checks for, in the period and the caller's scope."""
    frm, to = documents.period(request.args)
    kinds = tuple(k for k in (request.args.get("kind") or "").split(",") if k) or anomaly_checks.KINDS
    unknown = set(kinds) - set(anomaly_checks.KINDS)
    if unknown:
        raise field_error("kind", _("must be one of: %(choices)s", choices=", ".join(anomaly_checks.KINDS)))
    found = anomaly_checks.detect(current_user, frm, to, kinds)
    return {"from": frm.isoformat(), "to": to.isoformat(), "items": [a.to_dict() for a in found]}


@bp.get("/reports/anomalies.pdf")
@roles("admin", "caseworker", "auditor")
def anomalies_pdf():
    """The anomaly report as a PDF."""
    frm, to = documents.period(request.args)
    pdf, record = documents.anomalies(frm, to, current_user)
    commit()
    return _pdf(pdf, services.filename("anomalies", record))


@bp.get("/stats")
@roles("admin", "caseworker", "auditor")
def figures():
    """Residents served, services delivered, by category (and more), recomputed from the records."""
    frm, to = documents.period(request.args)
    area = documents.scoped_area(request.args.get("area_code"), current_user)
    return stats.figures(current_user, frm, to, area)


@bp.get("/verify/<code>")
@public
def verify(code: str):
    """Whether a printed document is ours; with ``sha256`` (of the PDF), whether it is unaltered."""
    result = services.check(code, sha256=request.args.get("sha256"))
    if not result["known"]:
        raise NotFound(_("No document was printed with this verification code."))
    return _public_view(result)


@bp.post("/verify/<code>")
@public
def verify_file(code: str):
    """Upload the PDF (raw body or multipart ``file``) to check it against the code."""
    upload = request.files.get("file")
    data = upload.read() if upload else request.get_data()
    result = services.check(code, pdf=data)
    if not result["known"]:
        raise NotFound(_("No document was printed with this verification code."))
    return _public_view(result)


def _public_view(result: dict) -> dict:
    return {"code": result["code"], "kind": result["kind"], "title": result["title"],
            "printed_by": result["printed_by"], "printed_at": result["printed_at"].isoformat(),
            "genuine": result["genuine"]}


def _provider(raw) -> Provider:
    try:
        provider = get_or_404(Provider, int(raw), current_user)
    except (TypeError, ValueError):
        raise field_error("provider_id", _("must be a whole number"))
    return provider




@bp.get("/reports/visits.xlsx")
@roles("admin", "caseworker", "auditor", "provider")
def visits_export():
    """Visits in scope as xlsx (same filters as ``GET /visits``), streamed."""
    from assist.core import audit
    from assist.reporting import exports
    response, count = exports.visits_xlsx(current_user, request.args)
    audit.record("export", "visit", None, {"filters": request.args.to_dict(), "rows": count}, actor=current_user)
    commit()
    return response


@bp.get("/reports/settlement.xlsx")
@roles("admin", "auditor", "provider")
def settlement_export():
    """A provider's settlement lines for a month as xlsx."""
    from assist.core import audit
    from assist.reporting import exports
    provider = _provider(request.args.get("provider_id"))
    year, month = documents.parse_month(request.args.get("month"))
    response, count = exports.settlement_xlsx(current_user, provider, year, month)
    audit.record("export", "provider", provider.id, {"settlement": f"{year:04d}-{month:02d}", "rows": count},
                 actor=current_user)
    commit()
    return response
