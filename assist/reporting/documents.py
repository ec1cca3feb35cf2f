"""The printed documents: gather the data, build the PDF through ``reports/``, record and audit it."""
from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa
from flask_babel import gettext as _

from assist.areas.models import Area
from assist.core.errors import NotFound, ValidationError
from assist.core.validation import field_error
from assist.core.timeutil import local_today
from assist.extensions import db
from assist.reporting import anomalies as anomaly_checks
from assist.reporting import gather, services
from assist.reporting.models import SettlementBatch, SettlementLine

MAX_PERIOD_DAYS = 3 * 366


def _field(key: str, message) -> ValidationError:
    return field_error(key, message)


def _date(args, key: str) -> dt.date | None:
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _field(key, _("must be a date written YYYY-MM-DD"))


def optional_period(args) -> tuple[dt.date | None, dt.date | None]:
    frm, to = _date(args, "from"), _date(args, "to")
    if frm and to and to < frm:
        raise _field("to", _("must not be before the start date"))
    return frm, to


def period(args) -> tuple[dt.date, dt.date]:
    """``from``/``to``; by default the current month up to today."""
    frm, to = optional_period(args)
    today = local_today()
    to = to or today
    frm = frm or to.replace(day=1)
    if to < frm:
        raise _field("to", _("must not be before the start date"))
    if (to - frm).days > MAX_PERIOD_DAYS:
        raise _field("from", _("the period may be at most three years"))
    return frm, to


def parse_month(raw) -> tuple[int, int]:
    try:
        year, month = (int(x) for x in str(raw or "").split("-"))
        dt.date(year, month, 1)
    except ValueError:
        raise _field("month", _("must be a month written YYYY-MM"))
    return year, month


def scoped_area(code: str | None, user) -> str | None:
    """An area filter the caller may use: unknown or outside a caseworker's areas → 404."""
    if not code:
        return None
    area = db.session.get(Area, code)
    if area is None:
        raise NotFound()
    if user.role == "caseworker" and not any(area.path.startswith(a.path) for a in user.areas):
        raise NotFound()
    return code


def history(resident, frm, to, actor):
    from reports import build_history
    data = gather.history_data(resident, frm, to)
    return services.print_pdf("history", "个人服务档案", lambda meta: build_history(meta, data), actor,
                              object_type="resident", object_id=resident.id,
                              params={"from": frm, "to": to})


def history_batch(residents, frm, to, actor):
    from reports import build_history_batch
    batch = [gather.history_data(r, frm, to) for r in residents]
    return services.print_pdf("history_batch", "个人服务档案（批量）", lambda meta: build_history_batch(meta, batch),
                              actor, object_type="resident", params={"from": frm, "to": to,
                                                                     "residents": [r.id for r in residents]})


def settlement(provider, year, month, actor):
    from reports import build_settlement
    batch = latest_batch(provider.id, year, month)
    data = gather.settlement_data(actor, provider, year, month, batch_ref=f"S{batch.id}" if batch else None,
                                  recorded_total=batch.net if batch else None)
    return services.print_pdf("settlement", f"服务结算单 {year}年{month}月", lambda meta: build_settlement(meta, data),
                              actor, object_type="provider", object_id=provider.id,
                              params={"month": f"{year:04d}-{month:02d}"})


def latest_batch(provider_id: int, year: int, month: int) -> SettlementBatch | None:
    return db.session.scalars(sa.select(SettlementBatch).where(
        SettlementBatch.provider_id == provider_id, SettlementBatch.month == f"{year:04d}-{month:02d}")
        .order_by(SettlementBatch.id.desc()).limit(1)).first()


def issue_settlement(provider, year, month, actor) -> SettlementBatch:
    """Freeze the month's lines (quantity × price, deductions) as the issued settlement batch."""
    from reports.settlement import compute_totals
    from assist.core import audit
    data = gather.settlement_data(actor, provider, year, month)
    totals = compute_totals(data)
    deducted = {d.visit_ref: (decimal.Decimal(d.amount), d.kind) for d in data.deductions}
    batch = SettlementBatch(provider_id=provider.id, month=f"{year:04d}-{month:02d}", gross=totals.gross,
                            deducted=totals.deducted, net=totals.net, created_by_id=getattr(actor, "id", None))
    cent = decimal.Decimal("0.01")
    for line in data.lines:
        amount = (decimal.Decimal(line.quantity) * decimal.Decimal(line.unit_price)).quantize(cent, decimal.ROUND_HALF_UP)
        ded, kind = deducted.get(line.visit_ref, (decimal.Decimal(0), ""))
        batch.lines.append(SettlementLine(visit_id=int(line.visit_ref[1:]), item_code=line.item_code,
                                          quantity=line.quantity, unit_price=line.unit_price, amount=amount,
                                          deduction=ded, deduction_reason=kind))
    db.session.add(batch)
    db.session.flush()
    audit.record("create", "settlement", batch.id, {"provider_id": provider.id, "month": batch.month,
                                                   "gross": batch.gross, "deducted": batch.deducted,
                                                   "net": batch.net, "lines": len(batch.lines)}, actor=actor)
    return batch


def summary(frm, to, area_code, actor):
    from reports import build_summary
    data = gather.summary_data(actor, frm, to, area_code)
    return services.print_pdf("summary", "服务类社会救助工作统计报表", lambda meta: build_summary(meta, data), actor,
                              object_type="area", object_id=area_code,
                              params={"from": frm, "to": to, "area_code": area_code})


def anomalies(frm, to, actor):
    from reports import build_anomalies
    found = anomaly_checks.detect(actor, frm, to)
    data = gather.anomaly_data(actor, frm, to, found)
    return services.print_pdf("anomalies", "服务异常情况报告", lambda meta: build_anomalies(meta, data), actor,
                              params={"from": frm, "to": to, "count": len(found)})
