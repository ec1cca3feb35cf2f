"""Batch printing: every resident of a filtered list (e.g. a community) for a period, in one PDF.

Gathering is the slow part, so it runs in the background (:mod:`assist.core.jobs`), counting
progress in the database; the finished PDF is kept under UPLOAD_DIR with its verification record.
"""
from __future__ import annotations

import os

from flask import current_app
from flask_babel import gettext as _

from assist.auth.models import User
from assist.core import audit, jobs
from assist.core.db import utcnow
from assist.core.errors import ValidationError
from assist.extensions import db
from assist.reporting import gather, services
from assist.reporting.models import PrintJob
from assist.residents import services as resident_services
from assist.residents.models import Resident

MAX_RESIDENTS = 2000
SYNC_LIMIT = 20  # small batches print within the request


def create(user, filters: "resident_services.Filters", frm, to) -> PrintJob:
    ids = list(db.session.scalars(resident_services.filtered(user, filters).with_only_columns(Resident.id)
                                  .order_by(Resident.area_code, Resident.name_pinyin, Resident.id)
                                  .limit(MAX_RESIDENTS + 1)))
    if not ids:
        raise ValidationError(_("No residents match these filters."))
    if len(ids) > MAX_RESIDENTS:
        raise ValidationError(_("At most %(n)d residents can be printed in one batch; narrow the filters.",
                                n=MAX_RESIDENTS))
    from flask import request
    job = PrintJob(user_id=user.id, total=len(ids), resident_ids=ids,
                   params=audit.jsonable({"from": frm, "to": to, "filters": filters.__dict__,
                                          "base_url": request.host_url}))
    db.session.add(job)
    db.session.flush()
    return job


def start(job: PrintJob) -> None:
    if job.total <= SYNC_LIMIT:  # read at call time, so tests and settings can move it
        run(job.id, commit=db.session.flush)
    else:
        jobs.start(f"print-{job.id}", run, job.id)


def run(job_id: int, commit=None) -> None:
    """Gather each resident's history (counting progress), build one PDF, record it."""
    import datetime as dt

    from reports import build_history_batch
    background = commit is None
    commit = commit or db.session.commit
    job = db.session.get(PrintJob, job_id)
    actor = db.session.get(User, job.user_id)
    frm = dt.date.fromisoformat(job.params["from"]) if job.params.get("from") else None
    to = dt.date.fromisoformat(job.params["to"]) if job.params.get("to") else None
    job.status = "running"
    commit()
    try:
        batch = []
        for n, rid in enumerate(job.resident_ids, 1):
            resident = db.session.get(Resident, rid)
            if resident is not None:
                batch.append(gather.history_data(resident, frm, to))
            if n % 10 == 0 or n == job.total:
                job.done = n
                commit()
        pdf, record = services.print_pdf("history_batch", "个人服务档案（批量）",
                                         lambda meta: build_history_batch(meta, batch), actor,
                                         object_type="resident", params={"from": frm, "to": to,
                                                                         "residents": len(batch), "job": job.id},
                                         base_url=job.params.get("base_url"))
        folder = os.path.join(current_app.config["UPLOAD_DIR"], "prints")
        os.makedirs(folder, exist_ok=True)
        job.path = os.path.join("prints", f"{record.code}.pdf")
        with open(os.path.join(current_app.config["UPLOAD_DIR"], job.path), "wb") as fh:
            fh.write(pdf)
        job.code, job.status, job.finished_at = record.code, "done", utcnow()
        commit()
    except Exception as exc:
        if not background:
            raise  # within a request: the error handler answers and rolls back
        db.session.rollback()
        job = db.session.get(PrintJob, job_id)
        job.status, job.message, job.finished_at = "failed", str(exc)[:500], utcnow()
        commit()
        raise


def pdf_bytes(job: PrintJob) -> bytes:
    with open(os.path.join(current_app.config["UPLOAD_DIR"], job.path), "rb") as fh:
        return fh.read()
