"""Demo steps after the register: service plans from the matching engine, months of visit history
(mostly clean, with the anomalies an audit looks for sprinkled in), the schedule ahead, settlements.

Plans go through the plan service (validation, eligibility, audit). Past visits are written as
records directly (the services refuse to back-date a check-in by months, rightly), with one audit
entry summarising them.
"""
from __future__ import annotations

import datetime as dt
import io
import os

import sqlalchemy as sa
from flask import current_app
from PIL import Image, ImageDraw

from assist.core import audit
from assist.core.timeutil import LOCAL_TZ
from assist.extensions import db
from assist.plans import defaults, eligibility, recurrence
from assist.plans import services as plan_services
from assist.plans.models import Plan
from assist.visits import services as visit_services
from assist.visits.models import Visit, VisitEvent, VisitFile

HISTORY_DAYS = 150
# Items a district plans most; daily or near-daily items go to few residents, as in real programmes.
PREFERRED = ("E1", "B1", "C1", "A2", "A4", "B3", "D1", "E2", "C3", "A3", "E4", "F3", "C2", "A1", "B4")


def plans(ctx) -> None:
    rng = ctx.rng("plans")
    start = ctx.today - dt.timedelta(days=HISTORY_DAYS)
    caseworker = ctx.user("caseworker")
    created = 0
    for resident in ctx.residents:
        if resident.status != "active" or rng.random() > 0.72:
            continue
        offers = {}
        for provider in ctx.providers:
            if provider.serves(resident.area):
                for code in provider.item_codes:
                    offers.setdefault(code, []).append(provider)
        eligible = [v.item_code for v in eligibility.verdicts(resident) if v.eligible and v.item_code in offers]
        ranked = [c for c in PREFERRED if c in eligible][:3]
        if not ranked:
            continue
        for code in ranked[:rng.choice((1, 1, 2, 2, 3))]:
            if code == "A1" and rng.random() < 0.7:
                continue  # daily meals for a few only
            pre = defaults.for_resident(code, resident)
            rule = "FREQ=MONTHLY;BYMONTHDAY=12" if pre.rrule == defaults.AS_NEEDED_RULE else pre.rrule
            if code == "A1":
                rule = "FREQ=WEEKLY;BYDAY=MO,WE,FR"
            plan, _warnings = plan_services.create({
                "resident_id": resident.id, "item_code": code, "provider_id": rng.choice(offers[code]).id,
                "rrule": rule, "start_date": (start + dt.timedelta(days=rng.randint(0, 40))).isoformat(),
                "start_time": rng.choice(("08:30", "09:00", "09:30", "10:00", "14:00", "14:30", "15:00")),
                "duration_minutes": pre.duration_minutes, "quantity_per_visit": pre.quantity_per_visit,
                "monthly_cap": max(pre.monthly_cap, recurrence.max_per_month(
                    recurrence.parse(rule, start), start, None))}, caseworker)
            created += 1
        if created % 50 == 0:
            db.session.flush()
    db.session.commit()
    ctx.counts["plans"] = created


def _signature_file() -> tuple[str, str]:
    """One small signature picture shared by the demo's records."""
    img = Image.new("RGB", (240, 80), "white")
    draw = ImageDraw.Draw(img)
    draw.line([(10, 60), (50, 20), (90, 55), (130, 25), (170, 58), (225, 30)], fill="black", width=3)
    out = io.BytesIO()
    img.save(out, "PNG")
    rel = os.path.join("demo", "signature.png")
    path = os.path.join(current_app.config["UPLOAD_DIR"], rel)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "wb") as fh:
        fh.write(out.getvalue())
    import hashlib
    return rel, hashlib.sha256(out.getvalue()).hexdigest()


FIELD_WORKERS = 4  # staff per provider organisation in the demo (its coordinator included)


def _field_workers(ctx) -> dict[int, list]:
    """Each provider's staff: its demo login plus field workers (same password), named like people."""
    from assist.demo.generate import _create_user, _name, _surname
    rng = ctx.rng("field-workers")
    staff: dict[int, list] = {}
    for user in list(ctx.users.values()):
        if user.role == "provider":
            staff.setdefault(user.provider_id, []).append(user)
    for provider_id, users in staff.items():
        lead = users[0].username
        for n in range(len(users) + 1, FIELD_WORKERS + 1):
            gender = rng.choice(("male", "female", "female"))
            users.append(_create_user(ctx, f"{lead}.{n}", "provider", _name(rng, gender, rng.randint(1968, 1998),
                                                                            _surname(rng)), ctx.admin,
                                      provider_id=provider_id))
    db.session.commit()
    return staff


def _free_worker(workers, busy: dict, start, end):
    """A worker with nothing overlapping [start, end), or None (the demo leaves no double bookings)."""
    for worker in workers:
        if all(end <= s or start >= e for s, e in busy.setdefault(worker.id, [])):
            busy[worker.id].append((start, end))
            return worker
    return None


def visits(ctx) -> None:
    """The past: each plan's occurrences up to yesterday as visits, nearly all completed."""
    rng = ctx.rng("visits")
    sig_path, sig_hash = _signature_file()
    staff = _field_workers(ctx)
    busy: dict[int, list] = {}
    yesterday = ctx.today - dt.timedelta(days=1)
    made = anomalies = 0
    for plan in db.session.scalars(sa.select(Plan).order_by(Plan.id)):
        rule = recurrence.parse(plan.rrule, plan.start_date, plan.start_time)
        workers = staff.get(plan.provider_id) or []
        for occ in recurrence.occurrences(rule, plan.start_date, plan.end_date, plan.start_date, yesterday):
            start = dt.datetime.combine(occ.date(), plan.start_time, tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)
            end = start + dt.timedelta(minutes=plan.duration_minutes)
            # Reserve the worker for the longest the visit can run (late start, overrun, travel).
            reserve = (start - dt.timedelta(minutes=10),
                       end + dt.timedelta(minutes=plan.duration_minutes * 0.2 + 35))
            worker = _free_worker(rng.sample(workers, len(workers)), busy, *reserve) if workers else None
            v = Visit(plan_id=plan.id, occurrence_date=occ.date(), resident_id=plan.resident_id,
                      item_code=plan.item_code, provider_id=plan.provider_id, scheduled_start=start,
                      scheduled_end=end, staff_id=worker.id if worker else None)
            roll = rng.random()
            if worker is None:
                v.status, v.cancel_reason = "cancelled", "服务人员排班冲突，改派其他时段"
                v.events.append(VisitEvent(kind="cancel", reason=v.cancel_reason))
            elif roll < 0.03:
                v.status = "missed"
                v.events.append(VisitEvent(kind="missed", reason="未签到"))
            elif roll < 0.05:
                v.status, v.cancel_reason = "cancelled", rng.choice(("老人住院", "家属陪同外出", "本人临时拒绝"))
                v.events.append(VisitEvent(kind="cancel", reason=v.cancel_reason))
            else:
                late = dt.timedelta(minutes=rng.randint(-10, 25))
                minutes = plan.duration_minutes * rng.uniform(0.85, 1.2)
                odd = rng.random()
                if odd < 0.01:
                    minutes = 3  # too short
                    anomalies += 1
                v.status, v.check_in_at = "completed", start + late
                v.check_out_at = v.check_in_at + dt.timedelta(minutes=minutes)
                v.quantity = plan.quantity_per_visit
                v.completed_entered_at = v.check_out_at + (dt.timedelta(days=4) if 0.01 <= odd < 0.02
                                                          else dt.timedelta(minutes=rng.randint(0, 30)))
                v.notes = rng.choice(("", "", "服务顺利", "老人精神状态良好", "已提醒按时服药", "家属在场"))
                if not (0.02 <= odd < 0.04):
                    v.files.append(VisitFile(kind="signature", path=sig_path, sha256=sig_hash,
                                             content_type="image/png", size=1, width=240, height=80,
                                             uploaded_by_id=v.staff_id))
                if v.scheduled_start.date() < ctx.today - dt.timedelta(days=7):
                    v.verified_at = v.check_out_at + dt.timedelta(days=2)
                    v.verified_by_id = ctx.user("caseworker").id
                if rng.random() < 0.4:
                    v.rating = rng.choice(("satisfied",) * 8 + ("basically",) * 2 + ("unsatisfied",))
                    v.rated_at = v.check_out_at + dt.timedelta(days=1)
            db.session.add(v)
            made += 1
            if made % 500 == 0:
                db.session.flush()
    audit.record("create", "visit", None, {"demo_history": made, "since": ctx.today - dt.timedelta(days=HISTORY_DAYS)},
                 actor=ctx.admin)
    db.session.commit()
    ctx.counts["past_visits"] = made
    ctx.counts["scheduled_visits"] = visit_services.generate(visit_services.horizon_end(ctx.today), ctx.admin,
                                                             today=ctx.today)
    # The coordinators have already assigned most of the coming visits to their workers.
    for v in db.session.scalars(sa.select(Visit).where(Visit.status == "scheduled").order_by(Visit.scheduled_start)):
        if rng.random() < 0.9:
            worker = _free_worker(rng.sample(staff[v.provider_id], len(staff[v.provider_id])), busy,
                                  v.scheduled_start - dt.timedelta(minutes=10),
                                  v.scheduled_end + dt.timedelta(minutes=40)) if staff.get(v.provider_id) else None
            if worker is not None:
                v.staff_id = worker.id
    db.session.commit()


def diary(ctx) -> None:
    """Needs-diary entries and service points, when that feature is installed."""
    try:
        from assist.diary.demo import load_demo_diary
    except ImportError:
        return
    result = load_demo_diary(ctx.rng("diary"), ctx.user("caseworker"))
    db.session.commit()
    if isinstance(result, dict):
        ctx.counts.update(result)
