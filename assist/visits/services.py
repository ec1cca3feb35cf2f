"""Visits (服务工单): generation from plans, assignment, the state machine, evidence, follow-up.

State machine (API.md "Visits"):
    scheduled ──check-in──▶ checked_in ──complete──▶ completed ──rating──▶ (rated; 不满意 opens a rework visit)
    scheduled ──cancel / sweep──▶ cancelled / missed;  scheduled ──reschedule──▶ scheduled
A completed visit is never edited in place: :func:`amend` records the correction and its reason.
"""
from __future__ import annotations

import base64
import binascii
import datetime as dt

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import pgettext

from assist.auth.models import User
from assist.core import audit, uploads
from assist.core.db import check_version, utcnow
from assist.core.errors import Conflict, Forbidden, ValidationError
from assist.core.pagination import Page, keyset
from assist.core.scoping import scope_rule, scoped, served_records_clause
from assist.core.timeutil import LOCAL_TZ, local_today
from assist.core.validation import Invalid, Validator, coordinate, field_error, positive_decimal
from assist.extensions import db
from assist.plans import recurrence
from assist.plans.models import Plan
from assist.residents.models import Resident
from assist.visits.models import RATINGS, VISIT_STATUSES, Visit, VisitEvent, VisitFile

LABELS = {
    "until": _l("Until"), "staff_id": _l("Worker"), "scheduled_start": _l("New start"), "reason": _l("Reason"),
    "at": _l("Time"), "lat": _l("Latitude"), "lng": _l("Longitude"), "quantity": _l("Quantity"),
    "notes": _l("Notes"), "signature": _l("Signature"), "rating": _l("Rating"), "comment": _l("Comment"),
    "over_cap_reason": _l("Reason for exceeding the monthly cap"), "from": _l("From"), "to": _l("To"),
    "status": _l("Status"), "check_in_at": _l("Check-in time"), "check_out_at": _l("Check-out time"),
}
ACTIVE = ("scheduled", "checked_in")
MAX_CLOCK_SKEW = dt.timedelta(minutes=10)


@scope_rule(Visit)
def _visit_scope(user):
    return served_records_clause(Visit.resident_id, Visit.provider_id, user)


def _error(key: str, message) -> ValidationError:
    return field_error(key, message, LABELS.get(key))


def _illegal(visit: Visit, action) -> Conflict:
    return Conflict(_("A visit that is %(status)s cannot be %(action)s.", status=status_title(visit.status),
                      action=action), code="illegal_state", status=visit.status)


STATUS_TITLES = {"scheduled": _l("scheduled"), "checked_in": _l("checked in"), "completed": _l("completed"),
                 "missed": _l("missed"), "cancelled": _l("cancelled")}
RATING_TITLES = {"satisfied": _l("Satisfied"), "basically": _l("Basically satisfied"),
                 "unsatisfied": _l("Unsatisfied")}


def status_title(status: str) -> str:
    return str(STATUS_TITLES.get(status, status))


def _local(day: dt.date, time: dt.time) -> dt.datetime:
    return dt.datetime.combine(day, time, tzinfo=LOCAL_TZ).astimezone(dt.timezone.utc)


def _event(visit: Visit, kind: str, actor, reason: str = "", changes: dict | None = None) -> None:
    visit.events.append(VisitEvent(kind=kind, actor_id=getattr(actor, "id", None), reason=reason or "",
                                   changes=audit.jsonable(changes or {})))


def _parse_instant(raw) -> dt.datetime:
    """ISO 8601; a value without an offset is read as local (Beijing) time."""
    try:
        value = dt.datetime.fromisoformat(str(raw).strip().replace("Z", "+00:00"))
    except ValueError:
        raise Invalid(_("must be a date and time in ISO 8601, e.g. 2026-05-01T09:30:00+08:00"))
    if value.tzinfo is None:
        value = value.replace(tzinfo=LOCAL_TZ)
    return value.astimezone(dt.timezone.utc)


# --- generation -----------------------------------------------------------------------------------

def horizon_end(today: dt.date | None = None) -> dt.date:
    return (today or local_today()) + dt.timedelta(days=current_app.config.get("VISIT_HORIZON_DAYS", 56))


def generate(until: dt.date, actor=None, *, plans: list[Plan] | None = None, today: dt.date | None = None) -> int:
    """Create the visits of active plans from today to ``until``; existing occurrences are kept as they are."""
    today = today or local_today()
    if until < today:
        return 0
    stmt = sa.select(Plan).join(Resident, Resident.id == Plan.resident_id).where(
        Plan.status == "active", Resident.status == "active", Plan.start_date <= until,
        sa.or_(Plan.end_date.is_(None), Plan.end_date >= today))
    if plans is not None:
        ids = [p.id for p in plans]
        if not ids:
            return 0
        stmt = stmt.where(Plan.id.in_(ids))
    existing_stmt = sa.select(Visit.plan_id, Visit.occurrence_date).where(
        Visit.occurrence_date >= today, Visit.occurrence_date <= until)
    if plans is not None:
        existing_stmt = existing_stmt.where(Visit.plan_id.in_([p.id for p in plans]))
    existing = set(db.session.execute(existing_stmt).tuples())
    created = 0
    for plan in db.session.scalars(stmt.order_by(Plan.id)).unique():
        rule = recurrence.parse(plan.rrule, plan.start_date, plan.start_time)
        for occ in recurrence.occurrences(rule, plan.start_date, plan.end_date, today, until):
            day = occ.date()
            if (plan.id, day) in existing:
                continue
            start = _local(day, plan.start_time)
            db.session.add(Visit(plan_id=plan.id, occurrence_date=day, resident_id=plan.resident_id,
                                 item_code=plan.item_code, provider_id=plan.provider_id, scheduled_start=start,
                                 scheduled_end=start + dt.timedelta(minutes=plan.duration_minutes)))
            existing.add((plan.id, day))
            created += 1
    db.session.flush()
    if created:
        audit.record("generate", "visit", None, {"until": until, "created": created,
                                                 "plans": [p.id for p in plans] if plans is not None else "all"},
                     actor=actor)
    return created


def on_plan_changed(plan: Plan, actor) -> None:
    """Keep the future in step with a changed or ended plan; past and started visits stay as they were."""
    now = utcnow()
    future = list(db.session.scalars(sa.select(Visit).where(
        Visit.plan_id == plan.id, Visit.status == "scheduled", Visit.scheduled_start > now,
        Visit.occurrence_date.is_not(None))))
    furthest = max((v.occurrence_date for v in future), default=None)
    wanted: dict[dt.date, dt.datetime] = {}
    if plan.status == "active" and furthest is not None:
        rule = recurrence.parse(plan.rrule, plan.start_date, plan.start_time)
        for occ in recurrence.occurrences(rule, plan.start_date, plan.end_date, local_today(), furthest):
            wanted[occ.date()] = _local(occ.date(), plan.start_time)
    for visit in future:
        rescheduled = any(e.kind == "reschedule" for e in visit.events)
        if visit.occurrence_date in wanted:
            if not rescheduled:
                visit.scheduled_start = wanted[visit.occurrence_date]
                visit.scheduled_end = visit.scheduled_start + dt.timedelta(minutes=plan.duration_minutes)
            visit.provider_id = plan.provider_id
            if visit.staff_id and plan.provider_id != db.session.get(User, visit.staff_id).provider_id:
                visit.staff_id = None
        elif visit.staff_id is None and not visit.events:
            db.session.delete(visit)  # an untouched projection: nothing to keep
        else:
            visit.status = "cancelled"
            visit.cancel_reason = _("The plan changed or ended.")
            _event(visit, "cancel", actor, visit.cancel_reason)
    db.session.flush()
    if plan.status == "active" and furthest is not None:
        generate(furthest, actor, plans=[plan])


# --- assignment, reschedule, cancel ---------------------------------------------------------------

def _staff_of(visit: Visit, staff_id) -> User:
    try:
        staff = db.session.get(User, int(staff_id))
    except (TypeError, ValueError):
        staff = None
    if staff is None or staff.role != "provider" or staff.provider_id != visit.provider_id or not staff.active:
        raise _error("staff_id", _("is not a worker of %(provider)s", provider=visit.provider.name))
    return staff


def _lock_worker(staff: User) -> None:
    # Serialise bookings of one worker so two assignments cannot both pass the overlap check.
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(sa.select(User.id).where(User.id == staff.id).with_for_update())


def clashes(staff_id: int, start: dt.datetime, end: dt.datetime, exclude_id: int | None = None) -> list[Visit]:
    stmt = sa.select(Visit).where(Visit.staff_id == staff_id, Visit.status.in_(ACTIVE),
                                  Visit.scheduled_start < end, Visit.scheduled_end > start)
    if exclude_id:
        stmt = stmt.where(Visit.id != exclude_id)
    return list(db.session.scalars(stmt.limit(5)))


def _clash_error(staff: User, other: Visit) -> Conflict:
    return Conflict(_("%(worker)s is already booked from %(start)s to %(end)s (visit %(id)d).", worker=staff.label,
                      start=other.scheduled_start.astimezone(LOCAL_TZ).strftime("%m-%d %H:%M"),
                      end=other.scheduled_end.astimezone(LOCAL_TZ).strftime("%H:%M"), id=other.id),
                    code="double_booked", visit_id=other.id)


def _check_provider_actor(visit: Visit, actor) -> None:
    if actor.role == "provider" and actor.provider_id != visit.provider_id:
        raise Forbidden()


def assign(visit: Visit, data: dict, actor) -> Visit:
    _check_provider_actor(visit, actor)
    if visit.status != "scheduled":
        raise _illegal(visit, pgettext("visit action", "assigned"))
    if "version" in data:
        check_version(visit, data["version"])
    staff = _staff_of(visit, data.get("staff_id"))
    _lock_worker(staff)
    clash = clashes(staff.id, visit.scheduled_start, visit.scheduled_end, visit.id)
    if clash:
        raise _clash_error(staff, clash[0])
    old = visit.staff_id
    visit.staff_id = staff.id
    _event(visit, "assign", actor, changes={"staff_id": [old, staff.id]})
    db.session.flush()
    audit.record("update", "visit", visit.id, {"staff_id": [old, staff.id]}, actor=actor)
    return visit


def reschedule(visit: Visit, data: dict, actor) -> Visit:
    _check_provider_actor(visit, actor)
    v = Validator(data)
    start = v.field("scheduled_start", LABELS["scheduled_start"], _parse_instant, required=True)
    v.text("reason", LABELS["reason"], required=True, max_length=500, multiline=True)
    v.raise_if_errors()
    if visit.status != "scheduled":
        raise _illegal(visit, pgettext("visit action", "rescheduled"))
    if start < utcnow() - dt.timedelta(hours=1):
        raise _error("scheduled_start", _("may not be in the past"))
    end = start + (visit.scheduled_end - visit.scheduled_start)
    if visit.staff_id:
        staff = db.session.get(User, visit.staff_id)
        _lock_worker(staff)
        clash = clashes(staff.id, start, end, visit.id)
        if clash:
            raise _clash_error(staff, clash[0])
    changes = {"scheduled_start": [visit.scheduled_start, start]}
    visit.scheduled_start, visit.scheduled_end = start, end
    _event(visit, "reschedule", actor, v.clean["reason"], changes)
    db.session.flush()
    audit.record("update", "visit", visit.id, changes | {"reason": v.clean["reason"]}, actor=actor)
    return visit


def cancel(visit: Visit, data: dict, actor) -> Visit:
    _check_provider_actor(visit, actor)
    v = Validator(data)
    v.text("reason", LABELS["reason"], required=True, max_length=500, multiline=True)
    v.raise_if_errors()
    if visit.status not in ACTIVE:
        raise _illegal(visit, pgettext("visit action", "cancelled"))
    old = visit.status
    visit.status, visit.cancel_reason = "cancelled", v.clean["reason"]
    _event(visit, "cancel", actor, v.clean["reason"])
    db.session.flush()
    audit.record("status", "visit", visit.id, {"status": [old, "cancelled"], "reason": v.clean["reason"]}, actor=actor)
    return visit


# --- the worker's side: check in, complete, evidence ------------------------------------------------

def _check_worker(visit: Visit, actor) -> None:
    if actor.role != "provider" or actor.provider_id != visit.provider_id:
        raise Forbidden(_("Only the provider's staff record visits."))


def check_in(visit: Visit, data: dict, actor) -> Visit:
    _check_worker(visit, actor)
    v = Validator(data)
    at = v.field("at", LABELS["at"], _parse_instant)
    lat = v.field("lat", LABELS["lat"], coordinate(-90, 90))
    lng = v.field("lng", LABELS["lng"], coordinate(-180, 180))
    v.raise_if_errors()
    if (lat is None) != (lng is None):
        raise _error("lng" if lng is None else "lat", _("give both latitude and longitude, or neither"))
    if visit.status != "scheduled":
        raise _illegal(visit, pgettext("visit action", "checked in"))
    now = utcnow()
    at = at or now
    if at > now + MAX_CLOCK_SKEW:
        raise _error("at", _("may not be in the future"))
    visit.status, visit.check_in_at, visit.check_in_lat, visit.check_in_lng = "checked_in", at, lat, lng
    if visit.staff_id is None:
        visit.staff_id = actor.id
    _event(visit, "check_in", actor)
    db.session.flush()
    audit.record("status", "visit", visit.id, {"status": ["scheduled", "checked_in"], "at": at,
                                              "location": lat is not None}, actor=actor)
    return visit


def month_visits(plan_id: int, day: dt.date, exclude_id: int | None = None) -> int:
    """Completed visits of a plan in the local calendar month of ``day``."""
    first = day.replace(day=1)
    nxt = (first + dt.timedelta(days=32)).replace(day=1)
    stmt = sa.select(sa.func.count()).select_from(Visit).where(
        Visit.plan_id == plan_id, Visit.status == "completed",
        Visit.scheduled_start >= _local(first, dt.time.min), Visit.scheduled_start < _local(nxt, dt.time.min))
    if exclude_id:
        stmt = stmt.where(Visit.id != exclude_id)
    return db.session.scalar(stmt) or 0


_parse_quantity = positive_decimal(1000)


def _decode_signature(raw) -> bytes:
    if not isinstance(raw, str):
        raise Invalid(_("must be a PNG image in base64"))
    text = raw.split(",", 1)[1] if raw.startswith("data:") else raw
    try:
        return base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise Invalid(_("must be a PNG image in base64"))


def complete(visit: Visit, data: dict, actor) -> Visit:
    """Check out with quantity, notes and optionally the resident's signature (a PNG).

    Beyond the plan's monthly cap a reason is required and the visit is flagged.
    """
    _check_worker(visit, actor)
    v = Validator(data)
    at = v.field("at", LABELS["at"], _parse_instant)
    quantity = v.field("quantity", LABELS["quantity"], _parse_quantity, required=True)
    v.text("notes", LABELS["notes"], max_length=2000, multiline=True)
    signature = v.field("signature", LABELS["signature"], _decode_signature)
    v.text("over_cap_reason", LABELS["over_cap_reason"], max_length=500, multiline=True)
    v.raise_if_errors()
    if visit.status != "checked_in":
        raise _illegal(visit, pgettext("visit action", "completed"))
    now = utcnow()
    at = at or now
    if at > now + MAX_CLOCK_SKEW:
        raise _error("at", _("may not be in the future"))
    if at < visit.check_in_at:
        raise _error("at", _("may not be before the check-in"))
    day = visit.scheduled_start.astimezone(LOCAL_TZ).date()
    nth = month_visits(visit.plan_id, day) + 1
    over = nth > visit.plan.monthly_cap
    if over and not v.clean.get("over_cap_reason"):
        raise _error("over_cap_reason", _("this is visit %(n)d this month, above the plan's cap of %(cap)d visits: "
                                          "give a reason", n=nth, cap=visit.plan.monthly_cap))
    if signature is not None:
        stored = uploads.store_image(signature, f"visits/{visit.id}", field="signature")
        if stored.content_type != "image/png":
            raise _error("signature", _("must be a PNG image in base64"))
        visit.files.append(VisitFile(kind="signature", path=stored.path, sha256=stored.sha256,
                                     content_type=stored.content_type, size=stored.size, width=stored.width,
                                     height=stored.height, uploaded_by_id=actor.id))
    visit.status, visit.check_out_at, visit.quantity = "completed", at, quantity
    visit.notes = v.clean.get("notes") or ""
    visit.completed_entered_at = now
    visit.over_cap = over
    visit.over_cap_reason = v.clean.get("over_cap_reason") or "" if over else ""
    _event(visit, "complete", actor, visit.over_cap_reason)
    db.session.flush()
    audit.record("status", "visit", visit.id, {"status": ["checked_in", "completed"], "quantity": quantity,
                                              "over_cap": over, "signature": signature is not None}, actor=actor)
    return visit


def add_photo(visit: Visit, data: bytes, actor, *, field: str = "file") -> VisitFile:
    """Store a photo (JPEG/PNG by content); ``field`` names the input in error messages."""
    _check_worker(visit, actor)
    if visit.status not in ("checked_in", "completed"):
        raise _illegal(visit, pgettext("visit action", "given photos"))
    if len(visit.files) >= current_app.config.get("VISIT_MAX_PHOTOS", 12):
        raise Conflict(_("This visit already has the most photos allowed."), code="too_many_files")
    stored = uploads.store_image(data, f"visits/{visit.id}", field=field)
    same = next((f for f in visit.files if f.sha256 == stored.sha256 and f.kind == "photo"), None)
    if same is not None:
        return same  # the same picture twice (a retry without a key): one record
    photo = VisitFile(kind="photo", path=stored.path, sha256=stored.sha256, content_type=stored.content_type,
                      size=stored.size, width=stored.width, height=stored.height, uploaded_by_id=actor.id)
    visit.files.append(photo)
    db.session.flush()
    audit.record("update", "visit", visit.id, {"photo": stored.sha256}, actor=actor)
    return photo


# --- follow-up, amendments, verification, sweep ---------------------------------------------------

def rate(visit: Visit, data: dict, actor) -> Visit:
    """The caseworker's follow-up call; 不满意 opens a rework visit for the same provider."""
    v = Validator(data)
    rating = v.choice("rating", LABELS["rating"], RATINGS, required=True)
    v.text("comment", LABELS["comment"], max_length=500, multiline=True)
    v.raise_if_errors()
    if visit.status != "completed":
        raise _illegal(visit, pgettext("visit action", "rated"))
    old = visit.rating
    visit.rating, visit.rating_comment, visit.rated_at = rating, v.clean.get("comment") or "", utcnow()
    _event(visit, "rating", actor, visit.rating_comment, {"rating": [old, rating]})
    rework = None
    if rating == "unsatisfied":
        start = max(visit.scheduled_start, utcnow()) + dt.timedelta(days=1)
        start = _local(start.astimezone(LOCAL_TZ).date(), visit.plan.start_time)
        rework = Visit(plan_id=visit.plan_id, occurrence_date=None, resident_id=visit.resident_id,
                       item_code=visit.item_code, provider_id=visit.provider_id, scheduled_start=start,
                       scheduled_end=start + (visit.scheduled_end - visit.scheduled_start), rework_of_id=visit.id)
        db.session.add(rework)
    db.session.flush()
    audit.record("update", "visit", visit.id, {"rating": [old, rating], "comment": visit.rating_comment,
                                              "rework_visit_id": rework.id if rework else None}, actor=actor)
    if rework is not None:
        audit.record("create", "visit", rework.id, {"rework_of_id": visit.id}, actor=actor)
    return visit


AMENDABLE = ("quantity", "notes", "check_in_at", "check_out_at")


def amend(visit: Visit, data: dict, actor) -> Visit:
    """Correct a completed visit: the old values stay visible in its history with the reason."""
    v = Validator(data, partial=True)
    v.field("quantity", LABELS["quantity"], _parse_quantity)
    v.text("notes", LABELS["notes"], max_length=2000, multiline=True)
    v.field("check_in_at", LABELS["check_in_at"], _parse_instant)
    v.field("check_out_at", LABELS["check_out_at"], _parse_instant)
    v.partial = False
    v.text("reason", LABELS["reason"], required=True, max_length=500, multiline=True)
    v.raise_if_errors()
    if visit.status != "completed":
        raise _illegal(visit, pgettext("visit action", "amended"))
    if actor.role == "provider":
        _check_worker(visit, actor)
    changes = {}
    for key in AMENDABLE:
        if key in v.clean and v.clean[key] is not None and v.clean[key] != getattr(visit, key):
            changes[key] = [getattr(visit, key), v.clean[key]]
    if not changes:
        raise _error("reason", _("nothing would change"))
    check_in = changes.get("check_in_at", [None, visit.check_in_at])[1]
    check_out = changes.get("check_out_at", [None, visit.check_out_at])[1]
    if check_out < check_in:
        raise _error("check_out_at", _("may not be before the check-in"))
    for key, (_old, new) in changes.items():
        setattr(visit, key, new if key != "notes" else new or "")
    _event(visit, "amend", actor, v.clean["reason"], changes)
    db.session.flush()
    audit.record("update", "visit", visit.id, changes | {"amendment_reason": v.clean["reason"]}, actor=actor)
    return visit


def verify(visits: list[Visit], actor) -> int:
    """The community confirms completed visits (needed before settlement)."""
    count = 0
    for visit in visits:
        if visit.status == "completed" and visit.verified_at is None:
            visit.verified_at, visit.verified_by_id = utcnow(), actor.id
            _event(visit, "verify", actor)
            audit.record("update", "visit", visit.id, {"verified": [False, True]}, actor=actor)
            count += 1
    db.session.flush()
    return count


def sweep(now: dt.datetime | None = None) -> int:
    """Mark visits missed when their day ended (plus the grace period) without a check-in. Idempotent."""
    now = now or utcnow()
    grace = dt.timedelta(hours=current_app.config.get("VISIT_MISSED_GRACE_HOURS", 4))
    cutoff_day = (now - grace).astimezone(LOCAL_TZ).date()  # visits on days before this one are over
    cutoff = _local(cutoff_day, dt.time.min)
    overdue = list(db.session.scalars(sa.select(Visit).where(Visit.status == "scheduled",
                                                             Visit.scheduled_start < cutoff).limit(5000)))
    for visit in overdue:
        visit.status = "missed"
        _event(visit, "missed", None, _("Not checked in by the end of the day."))
        audit.record("status", "visit", visit.id, {"status": ["scheduled", "missed"]}, actor=None)
    db.session.flush()
    return len(overdue)


# --- queries --------------------------------------------------------------------------------------

def _parse_day(key, raw) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except (TypeError, ValueError):
        raise _error(key, _("must be a date written YYYY-MM-DD"))


def filtered(user, args):
    stmt = scoped(sa.select(Visit), Visit, user)
    if args.get("from"):
        stmt = stmt.where(Visit.scheduled_start >= _local(_parse_day("from", args["from"]), dt.time.min))
    if args.get("to"):
        stmt = stmt.where(Visit.scheduled_start < _local(_parse_day("to", args["to"]) + dt.timedelta(days=1),
                                                         dt.time.min))
    for key in ("resident_id", "provider_id", "staff_id", "plan_id"):
        if args.get(key):
            try:
                stmt = stmt.where(getattr(Visit, key) == int(args[key]))
            except ValueError:
                raise _error(key, _("must be a whole number"))
    if args.get("status"):
        statuses = [s for s in str(args["status"]).split(",") if s]
        if not set(statuses) <= set(VISIT_STATUSES):
            raise _error("status", _("must be one of: %(choices)s", choices=", ".join(VISIT_STATUSES)))
        stmt = stmt.where(Visit.status.in_(statuses))
    if args.get("item_code"):
        stmt = stmt.where(Visit.item_code == str(args["item_code"]).upper())
    if args.get("area_code"):
        from assist.areas.models import Area
        area = db.session.get(Area, args["area_code"])
        if area is None:
            raise _error("area_code", _("unknown area code %(code)s", code=args["area_code"]))
        stmt = stmt.where(Visit.resident_id.in_(sa.select(Resident.id).join(Area).where(Area.path.startswith(area.path))))
    return stmt


def search(user, args, *, limit: int, cursor: str | None) -> Page:
    return keyset(filtered(user, args), [Visit.scheduled_start, Visit.id], limit=limit, cursor=cursor)


def needs_attention(user, limit: int = 200) -> list[Visit]:
    """Missed visits, unsatisfied ratings and over-cap completions of the last 30 days."""
    since = utcnow() - dt.timedelta(days=30)
    stmt = scoped(sa.select(Visit), Visit, user).where(
        Visit.scheduled_start >= since,
        sa.or_(Visit.status == "missed", Visit.rating == "unsatisfied", Visit.over_cap.is_(True)))
    return list(db.session.scalars(stmt.order_by(Visit.scheduled_start.desc()).limit(limit)))
