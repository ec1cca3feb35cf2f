"""The needs diary (民情日志) and its problem list (问题清单): recording, the state machine, the sweep.

A door-to-door visit is recorded as a :class:`DiaryEntry`; every need found on it becomes a
:class:`Problem` of kind ``service``, ``policy``, ``governance`` or ``wish`` (micro-wish, 微心愿).

States of a problem (API.md "Needs diary"):

``recorded``
    On the community's problem list, not yet sent anywhere.
``dispatched``
    Sent by the community (社区派单) to a partner unit with a due date. Only that unit's staff see it.
``accepted``
    The unit took it on (接单); it is in progress.
``returned``
    The unit declined it with a reason before accepting it. It is back with the community, belongs
    to no unit any more (the returning unit no longer sees it) and can be dispatched again, to the
    same or another unit. An accepted item cannot be returned: the unit resolves what it accepted.
``overdue``
    A dispatched or accepted item whose due date has passed (the day after the due date). Only the
    sweep (``flask --app assist diary sweep``) sets it, and escalates it (督办): to the street at
    once, to the district when it is still overdue ``DIARY_DISTRICT_AFTER_DAYS`` (7) days after the
    due date. Overdue is a lateness flag as much as a state: the unit can still accept (the item
    stays overdue), return it if not yet accepted, and resolve it once accepted — resolution clears
    the overdue state and the escalation (the history keeps both).
``resolved``
    The unit reports it solved, with a result (and photos). The resident has not answered yet.
``closed``
    The resident's answer was "satisfied": the item is on the satisfaction list (满意清单). An
    unsatisfied answer sends it back to ``accepted`` (in progress at the same unit).

Closing requires the resident's answer *by construction*: the only way to ``closed`` is
:func:`feedback` with ``satisfied: true``, which stores the answer, who recorded it and when, in
the same row (a check constraint refuses a closed row without it) and as a ``close`` event.
:func:`closed_without_answer` finds any item that got there otherwise (for the anomaly report).

The transitions are data (:data:`TRANSITIONS`, :data:`ACTORS`): the API, the pages and the
buttons they show all read the same table. Every change writes a :class:`ProblemEvent` and an
audit entry in the same transaction; services flush, the request edge commits.
"""
from __future__ import annotations

import datetime as dt
import re

import sqlalchemy as sa
from sqlalchemy.orm import selectinload
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from assist.areas.models import Area
from assist.core import audit, uploads
from assist.core.db import check_version, flush, utcnow
from assist.core.errors import Conflict, Forbidden, NotFound, ValidationError
from assist.core.pagination import Page, keyset
from assist.core.scoping import area_clause, get_or_404, scope_rule, scoped
from assist.core.timeutil import LOCAL_TZ
from assist.core.validation import Invalid, Validator, ascii_fold
from assist.diary.models import (ESCALATION_LEVELS, PROBLEM_KINDS, PROBLEM_STATUSES, DiaryEntry, DiaryPhoto,
                                 Problem, ProblemEvent)
from assist.extensions import db
from assist.residents.models import Resident
from assist.units.models import PartnerUnit

LABELS = {
    "area_code": _l("Area"), "visited_at": _l("Visit time"), "resident_id": _l("Resident"),
    "household": _l("Household"), "address": _l("Address"), "visitors": _l("Visited by"), "notes": _l("Notes"),
    "needs": _l("Needs"), "kind": _l("Kind"), "description": _l("Description"), "unit_id": _l("Partner unit"),
    "due_date": _l("Due date"), "reason": _l("Reason"), "result": _l("Result"), "satisfied": _l("Satisfied"),
    "comment": _l("Comment"), "note": _l("Note"), "photos": _l("Photos"), "status": _l("Status"),
    "escalation": _l("Escalation"), "version": _l("Version"),
}
KIND_TITLES = {"service": _l("Service need"), "policy": _l("Policy assistance"),
               "governance": _l("Community governance"), "wish": _l("Micro-wish")}
STATUS_TITLES = {"recorded": _l("Recorded"), "dispatched": _l("Dispatched"), "accepted": _l("In progress"),
                 "returned": _l("Returned"), "overdue": _l("Overdue"), "resolved": _l("Resolved"),
                 "closed": _l("Closed (satisfied)")}
ESCALATION_TITLES = {"street": _l("Escalated to the street"), "district": _l("Escalated to the district")}
ACTION_VERBS = {"dispatch": _l("dispatch"), "accept": _l("accept"), "return": _l("return"), "resolve": _l("resolve"),
                "close": _l("record the resident's answer"), "reopen": _l("record the resident's answer"),
                "overdue": _l("mark it overdue")}
EVENT_TITLES = {"record": _l("recorded"), "dispatch": _l("dispatched"), "accept": _l("accepted"),
                "return": _l("returned"), "resolve": _l("resolved"), "close": _l("closed: resident satisfied"),
                "reopen": _l("reopened: resident not satisfied"), "overdue": _l("overdue"),
                "escalate": _l("escalated")}

MAX_NEEDS = 20
MAX_PHOTOS = 9
MAX_DUE_DAYS = 366
MAX_BACKDATE_DAYS = 366
CLOCK_SKEW = dt.timedelta(minutes=10)
DISTRICT_AFTER_DAYS = 7

# --- the state machine ----------------------------------------------------------------------------

# (action, phase) → the status it leads to. The phase is the status, except that an overdue item is
# overdue either before or after its unit accepted it, which decides what may happen next.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("dispatch", "recorded"): "dispatched",
    ("dispatch", "returned"): "dispatched",
    ("accept", "dispatched"): "accepted",
    ("accept", "overdue_dispatched"): "overdue",  # accepting late does not make it on time
    ("return", "dispatched"): "returned",
    ("return", "overdue_dispatched"): "returned",
    ("resolve", "accepted"): "resolved",
    ("resolve", "overdue_accepted"): "resolved",  # resolution clears overdue
    ("close", "resolved"): "closed",  # feedback: satisfied
    ("reopen", "resolved"): "accepted",  # feedback: not satisfied, back in progress
    ("overdue", "dispatched"): "overdue",  # the sweep only
    ("overdue", "accepted"): "overdue",
}
# Who may take each action ("system" is the sweep).
ACTORS: dict[str, frozenset[str]] = {
    "dispatch": frozenset({"admin", "caseworker"}),
    "accept": frozenset({"unit"}),
    "return": frozenset({"unit"}),
    "resolve": frozenset({"unit"}),
    "close": frozenset({"admin", "caseworker"}),
    "reopen": frozenset({"admin", "caseworker"}),
    "overdue": frozenset({"system"}),
}
# The API's and the pages' actions; ``feedback`` is close or reopen depending on the answer.
USER_ACTIONS = ("dispatch", "accept", "return", "resolve", "feedback")

# Why a transition is refused, where a plain "it is X" would leave the user guessing.
_HINTS = {
    ("accept", "accepted"): _l("This item has been accepted already."),
    ("accept", "overdue_accepted"): _l("This item has been accepted already."),
    ("accept", "resolved"): _l("This item has been resolved already."),
    ("resolve", "dispatched"): _l("Accept the item before resolving it."),
    ("resolve", "overdue_dispatched"): _l("Accept the item before resolving it."),
    ("resolve", "resolved"): _l("This item has been resolved already; the community is asking the resident."),
    ("return", "accepted"): _l("An accepted item cannot be returned: resolve it."),
    ("return", "overdue_accepted"): _l("An accepted item cannot be returned: resolve it."),
    ("return", "returned"): _l("This item has been returned already."),
    ("dispatch", "dispatched"): _l("This item has been dispatched already."),
    ("dispatch", "accepted"): _l("This item is in progress at a partner unit."),
    ("dispatch", "overdue_dispatched"): _l("This item is with a partner unit (overdue); it can be dispatched "
                                           "again only after the unit returns it."),
    ("dispatch", "overdue_accepted"): _l("This item is in progress at a partner unit."),
    ("close", "closed"): _l("This item is closed already."),
    ("reopen", "closed"): _l("This item is closed already."),
}


def phase(problem: Problem) -> str:
    if problem.status == "overdue":
        return "overdue_accepted" if problem.accepted_at else "overdue_dispatched"
    return problem.status


def can(problem: Problem, action: str, role: str | None = None) -> bool:
    """Whether ``action`` is allowed in the problem's state (and for ``role``, when given)."""
    actions = ("close", "reopen") if action == "feedback" else (action,)
    return any((a, phase(problem)) in TRANSITIONS and (role is None or role in ACTORS[a]) for a in actions)


def allowed_actions(problem: Problem, user) -> list[str]:
    """The user actions the state and the user's role allow now (what the pages offer)."""
    role = getattr(user, "role", None)
    if role == "unit" and problem.unit_id != getattr(user, "unit_id", None):
        return []
    return [a for a in USER_ACTIONS if can(problem, a, role)]


def _refuse(problem: Problem, action: str) -> Conflict:
    hint = _HINTS.get((action, phase(problem)))
    if hint is not None:
        message = str(hint)
    elif problem.status == "closed":
        message = _("Cannot %(action)s: this item is closed.", action=str(ACTION_VERBS[action]))
    else:
        message = _("Cannot %(action)s: the item's status is “%(status)s”.", action=str(ACTION_VERBS[action]),
                    status=str(STATUS_TITLES[problem.status]))
    return Conflict(message, code="illegal_state", status=problem.status,
                    allowed_actions=[a for a in USER_ACTIONS if can(problem, a)])


def _check(problem: Problem, action: str, actor) -> str:
    """The status ``action`` leads to; 409 when the state does not allow it, 403 for the wrong role."""
    role = getattr(actor, "role", None) or "system"
    if role not in ACTORS[action]:
        raise Forbidden()
    if role == "unit" and problem.unit_id != actor.unit_id:
        raise NotFound()
    target = TRANSITIONS.get((action, phase(problem)))
    if target is None:
        raise _refuse(problem, action)
    return target


def _event(problem: Problem, kind: str, old: str | None, actor, at: dt.datetime, *, reason: str = "",
           unit_id: int | None = None, data: dict | None = None) -> ProblemEvent:
    event = ProblemEvent(kind=kind, from_status=old, to_status=problem.status, actor_id=getattr(actor, "id", None),
                         at=at, unit_id=unit_id if unit_id is not None else problem.unit_id, reason=reason or "",
                         data=audit.jsonable(data or {}))
    problem.events.append(event)
    return event


def _audit_status(problem: Problem, action: str, old: str, actor, **details) -> None:
    changes = {"status": [old, problem.status], "action": action}
    changes.update({k: v for k, v in details.items() if v is not None})
    audit.record("status", "problem", problem.id, changes, actor=actor)


# --- scope ----------------------------------------------------------------------------------------

@scope_rule(DiaryEntry)
def _diary_scope(user):
    if user.role in ("admin", "auditor"):
        return None
    if user.role == "caseworker":
        return area_clause(DiaryEntry.area_code, user)
    return sa.false()  # units see problems dispatched to them, never the visit records


@scope_rule(Problem)
def _problem_scope(user):
    if user.role in ("admin", "auditor"):
        return None
    if user.role == "caseworker":
        return area_clause(Problem.area_code, user)
    if user.role == "unit" and user.unit_id:
        return Problem.unit_id == user.unit_id
    return sa.false()


# --- parsing helpers ------------------------------------------------------------------------------

def _field_error(key: str, message, label=None) -> ValidationError:
    label = label if label is not None else LABELS.get(key.rsplit(".", 1)[-1], key)
    return ValidationError(fields={key: [_("%(field)s: %(message)s", field=str(label), message=str(message))]})


def parse_timestamp(raw) -> dt.datetime:
    """An ISO 8601 timestamp with a UTC offset (a naive time is ambiguous), as aware UTC."""
    if isinstance(raw, dt.datetime):
        value = raw
    elif isinstance(raw, str):
        text = ascii_fold(raw).strip()
        if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[T ][0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]{1,6})?)?"
                            r"(Z|[+-][0-9]{2}:?[0-9]{2})?", text):
            raise Invalid(_("must be a time written like 2026-05-01T09:30:00+08:00"))
        try:
            value = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
        except ValueError:
            raise Invalid(_("must be a time written like 2026-05-01T09:30:00+08:00"))
    else:
        raise Invalid(_("must be a time written like 2026-05-01T09:30:00+08:00"))
    if value.tzinfo is None or value.utcoffset() is None:
        raise Invalid(_("must include the UTC offset, e.g. +08:00"))
    return value.astimezone(dt.timezone.utc)


def local_date(at: dt.datetime) -> dt.date:
    return at.astimezone(LOCAL_TZ).date()


def _parse_area(actor):
    def parse(raw) -> str:
        code = str(raw).strip()[:20]
        area = db.session.get(Area, code)
        if area is None:
            raise Invalid(_("unknown area code %(code)s", code=code))
        if area.level not in ("community", "grid"):
            raise Invalid(_("choose a community or grid, not a whole street or district"))
        if getattr(actor, "role", None) == "caseworker" and not any(area.path.startswith(a.path) for a in actor.areas):
            raise Invalid(_("is outside your areas"))
        return code
    return parse


def _parse_needs(raw) -> list[dict]:
    """The needs list; errors name ``needs.N.field`` (N from 0, as in the request)."""
    if not isinstance(raw, list):
        raise Invalid(_("must be a list of needs"))
    if len(raw) > MAX_NEEDS:
        raise Invalid(_("at most %(n)d needs per visit", n=MAX_NEEDS))
    return raw


def _validate_needs(v: Validator, raw: list) -> list[dict]:
    needs = []
    for i, item in enumerate(raw):
        if not isinstance(item, dict):
            v.error(f"needs.{i}", LABELS["needs"], _("need %(n)d: must be an object", n=i + 1))
            continue
        nv = Validator(item)
        nv.choice("kind", LABELS["kind"], PROBLEM_KINDS, required=True)
        nv.text("description", LABELS["description"], required=True, max_length=1000, multiline=True)
        for key, messages in nv.errors.items():
            for m in messages:
                v.errors.setdefault(f"needs.{i}.{key}", []).append(_("need %(n)d: %(message)s", n=i + 1, message=m))
        if not nv.errors:
            needs.append(nv.clean)
    return needs


def validate_entry(data: dict, actor, *, now: dt.datetime | None = None) -> dict:
    """Check a visit record (API body or form data); raises ValidationError naming every bad field.

    A visit may find no needs at all (most do): ``needs`` may be absent or empty, but every need
    given must have a kind and a description.
    """
    now = now or utcnow()
    v = Validator(data)
    area_code = v.field("area_code", LABELS["area_code"], _parse_area(actor))
    visited_at = v.field("visited_at", LABELS["visited_at"], parse_timestamp, required=True)
    if visited_at is not None:
        if visited_at > now + CLOCK_SKEW:
            v.error("visited_at", LABELS["visited_at"], _("may not be in the future"))
        elif visited_at < now - dt.timedelta(days=MAX_BACKDATE_DAYS):
            v.error("visited_at", LABELS["visited_at"], _("may not be more than a year ago"))
    resident_id = v.integer("resident_id", LABELS["resident_id"], min_value=1)
    v.text("household", LABELS["household"], max_length=100)
    v.text("address", LABELS["address"], max_length=200)
    v.text("visitors", LABELS["visitors"], max_length=200)
    v.text("notes", LABELS["notes"], max_length=2000, multiline=True)
    raw_needs = v.field("needs", LABELS["needs"], _parse_needs, default=[])
    v.clean["needs"] = _validate_needs(v, raw_needs) if isinstance(raw_needs, list) else []

    resident = None
    if resident_id:
        try:
            resident = get_or_404(Resident, resident_id, actor)
        except NotFound:
            v.error("resident_id", LABELS["resident_id"], _("no such resident in your areas"))
    if resident is not None:
        if area_code is None and "area_code" not in v.errors:
            area_code = resident.area_code
            v.clean["area_code"] = area_code
        elif area_code is not None:
            area, home = db.session.get(Area, area_code), resident.area
            if not (area.path.startswith(home.path) or home.path.startswith(area.path)):
                v.error("resident_id", LABELS["resident_id"], _("lives in %(area)s, not in the area of this visit",
                                                                  area=home.name))
    if area_code is None and "area_code" not in v.errors:
        v.error("area_code", LABELS["area_code"], _("is required"))
    v.raise_if_errors()
    v.clean["resident"] = resident
    return v.clean


def _read_photos(uploads_, field: str = "photos") -> list[bytes]:
    """The bytes of the uploaded photos (werkzeug FileStorage or bytes); empty file inputs are skipped."""
    out = []
    for u in uploads_ or []:
        if u is None:
            continue
        if isinstance(u, (bytes, bytearray)):
            out.append(bytes(u))
        elif u.filename:
            out.append(u.read())
    if len(out) > MAX_PHOTOS:
        raise _field_error(field, _("at most %(n)d photos at a time", n=MAX_PHOTOS))
    return out


def _store_photos(raw: list[bytes], kind: str, diary_id: int, problem_id: int | None, actor,
                  field: str = "photos") -> list[DiaryPhoto]:
    """Check, re-encode and store each photo (core.uploads: JPEG/PNG by content, size and pixel limits,
    EXIF dropped, outside the web root, removed again if the transaction does not commit)."""
    rows = []
    for data in raw:
        stored = uploads.store_image(data, f"diary/{diary_id}", field=field)
        row = DiaryPhoto(kind=kind, diary_id=diary_id, problem_id=problem_id, path=stored.path,
                         sha256=stored.sha256, content_type=stored.content_type, size=stored.size,
                         width=stored.width, height=stored.height, uploaded_by_id=getattr(actor, "id", None))
        db.session.add(row)
        rows.append(row)
    if rows:
        flush()
    return rows


# --- diary entries --------------------------------------------------------------------------------

def _entry_snapshot(entry: DiaryEntry) -> dict:
    return {"area_code": entry.area_code, "visited_at": entry.visited_at, "resident_id": entry.resident_id,
            "household": entry.household, "address": entry.address, "visitors": entry.visitors,
            "notes": entry.notes, "problems": [p.id for p in entry.problems]}


def record_entry(data: dict, actor, photos=None, *, at: dt.datetime | None = None) -> DiaryEntry:
    """Record a visit and put each need found on the problem list (status ``recorded``).

    Every field is checked before anything is written; a photo that is not a usable JPEG/PNG fails
    the whole request (422 naming ``photos``), and the caller's rollback leaves nothing half-saved.
    """
    at = at or utcnow()
    clean = validate_entry(data, actor, now=max(at, utcnow()))
    checked = _read_photos(photos)
    entry = DiaryEntry(area_code=clean["area_code"], visited_at=clean["visited_at"],
                       resident_id=clean["resident"].id if clean["resident"] else None,
                       household=clean.get("household") or "", address=clean.get("address") or "",
                       visitors=clean.get("visitors") or getattr(actor, "label", "") or "",
                       notes=clean.get("notes") or "", recorded_by_id=getattr(actor, "id", None))
    db.session.add(entry)
    flush()
    for need in clean["needs"]:
        problem = Problem(diary_id=entry.id, kind=need["kind"], description=need["description"], status="recorded",
                          area_code=entry.area_code, resident_id=entry.resident_id, created_at=at, updated_at=at)
        entry.problems.append(problem)
        flush()
        _event(problem, "record", None, actor, at)
    flush()
    _store_photos(checked, "visit", entry.id, None, actor)
    audit.record("create", "diary", entry.id, _entry_snapshot(entry), actor=actor)
    for problem in entry.problems:
        audit.record("create", "problem", problem.id, {"diary_id": entry.id, "kind": problem.kind,
                                                       "description": problem.description, "status": "recorded",
                                                       "area_code": problem.area_code,
                                                       "resident_id": problem.resident_id}, actor=actor)
    db.session.expire(entry, ["photos"])
    return entry


def add_entry_photos(entry: DiaryEntry, files, actor, field: str = "file") -> list[DiaryPhoto]:
    """Attach photos to a visit record (checked, re-encoded, audited)."""
    checked = _read_photos(files, field=field)
    if not checked:
        raise _field_error(field, _("is required"), label=LABELS["photos"])
    rows = _store_photos(checked, "visit", entry.id, None, actor, field=field)
    audit.record("update", "diary", entry.id, {"photos_added": [{"id": r.id, "sha256": r.sha256} for r in rows]},
                 actor=actor)
    db.session.expire(entry, ["photos"])
    return rows


def add_resolution_photos(problem: Problem, files, actor, field: str = "file") -> list[DiaryPhoto]:
    """Photos of the resolution, by the unit working on the item (in progress or resolved)."""
    if getattr(actor, "role", None) != "unit":
        raise Forbidden()
    if problem.unit_id != actor.unit_id:
        raise NotFound()
    if phase(problem) not in ("accepted", "overdue_accepted", "resolved"):
        raise Conflict(_("Photos of the resolution can be added once the item is accepted (it is %(status)s).",
                         status=str(STATUS_TITLES[problem.status])), code="illegal_state", status=problem.status)
    checked = _read_photos(files, field=field)
    if not checked:
        raise _field_error(field, _("is required"), label=LABELS["photos"])
    rows = _store_photos(checked, "resolution", problem.diary_id, problem.id, actor, field=field)
    audit.record("update", "problem", problem.id, {"photos_added": [{"id": r.id, "sha256": r.sha256} for r in rows]},
                 actor=actor)
    db.session.expire(problem, ["photos"])
    return rows


# --- transitions ----------------------------------------------------------------------------------

def _maybe_version(problem: Problem, data: dict) -> None:
    if data.get("version") not in (None, ""):
        check_version(problem, data["version"])


def dispatch(problem: Problem, data: dict, actor, *, at: dt.datetime | None = None) -> Problem:
    """Send the item to a partner unit with a due date (community → unit, 社区派单)."""
    at = at or utcnow()
    target = _check(problem, "dispatch", actor)
    v = Validator(data)
    unit_id = v.integer("unit_id", LABELS["unit_id"], required=True, min_value=1)
    due = v.date("due_date", LABELS["due_date"], required=True)
    v.text("note", LABELS["note"], max_length=500, multiline=True)
    unit = db.session.get(PartnerUnit, unit_id) if unit_id else None
    if unit_id and (unit is None or not unit.active):
        v.error("unit_id", LABELS["unit_id"], _("no such active partner unit"))
    today = local_date(at)
    if due is not None and due < today:
        v.error("due_date", LABELS["due_date"], _("may not be in the past"))
    elif due is not None and due > today + dt.timedelta(days=MAX_DUE_DAYS):
        v.error("due_date", LABELS["due_date"], _("may be at most a year ahead"))
    v.raise_if_errors()
    _maybe_version(problem, data)
    old = problem.status
    problem.status, problem.unit_id, problem.due_date = target, unit.id, due
    problem.dispatched_at, problem.accepted_at, problem.return_reason = at, None, ""
    problem.overdue_since = problem.escalation_level = problem.escalated_at = None
    flush()
    _event(problem, "dispatch", old, actor, at, reason=v.clean.get("note") or "", data={"due_date": due})
    _audit_status(problem, "dispatch", old, actor, unit_id=unit.id, due_date=due, note=v.clean.get("note"))
    return problem


def accept(problem: Problem, data: dict, actor, *, at: dt.datetime | None = None) -> Problem:
    """The unit takes the item on (接单). An overdue item stays overdue until it is resolved."""
    at = at or utcnow()
    target = _check(problem, "accept", actor)
    v = Validator(data)
    v.text("note", LABELS["note"], max_length=500, multiline=True)
    v.raise_if_errors()
    _maybe_version(problem, data)
    old = problem.status
    problem.status, problem.accepted_at = target, at
    flush()
    _event(problem, "accept", old, actor, at, reason=v.clean.get("note") or "")
    _audit_status(problem, "accept", old, actor, note=v.clean.get("note"))
    return problem


def return_(problem: Problem, data: dict, actor, *, at: dt.datetime | None = None) -> Problem:
    """The unit declines the item with a reason; it goes back to the community to dispatch again."""
    at = at or utcnow()
    target = _check(problem, "return", actor)
    v = Validator(data)
    reason = v.text("reason", LABELS["reason"], required=True, max_length=500, multiline=True)
    v.raise_if_errors()
    _maybe_version(problem, data)
    old, unit_id = problem.status, problem.unit_id
    problem.status, problem.unit_id, problem.return_reason = target, None, reason
    problem.due_date = problem.accepted_at = None
    problem.overdue_since = problem.escalation_level = problem.escalated_at = None
    flush()
    _event(problem, "return", old, actor, at, reason=reason, unit_id=unit_id)
    _audit_status(problem, "return", old, actor, unit_id=unit_id, reason=reason)
    return problem


def resolve(problem: Problem, data: dict, actor, photos=None, *, at: dt.datetime | None = None) -> Problem:
    """The unit reports the item solved, with the result (and photos); the community then asks the resident."""
    at = at or utcnow()
    target = _check(problem, "resolve", actor)
    v = Validator(data)
    result = v.text("result", LABELS["result"], required=True, max_length=2000, multiline=True)
    v.raise_if_errors()
    checked = _read_photos(photos)
    _maybe_version(problem, data)
    old = problem.status
    problem.status, problem.result, problem.resolved_at = target, result, at
    problem.overdue_since = problem.escalation_level = problem.escalated_at = None
    flush()
    rows = _store_photos(checked, "resolution", problem.diary_id, problem.id, actor)
    _event(problem, "resolve", old, actor, at, reason=result, data={"photos": [r.id for r in rows]})
    _audit_status(problem, "resolve", old, actor, result=result,
                  photos_added=[{"id": r.id, "sha256": r.sha256} for r in rows] or None)
    db.session.expire(problem, ["photos"])
    return problem


def feedback(problem: Problem, data: dict, actor, *, at: dt.datetime | None = None) -> Problem:
    """Record the resident's answer on a resolved item: satisfied closes it (满意清单), not satisfied
    sends it back to the unit, optionally with a new due date."""
    at = at or utcnow()
    _check(problem, "close", actor)  # closing and reopening share their states and their actors
    v = Validator(data)
    satisfied = v.field("satisfied", LABELS["satisfied"], _strict_bool, required=True)
    comment = v.text("comment", LABELS["comment"], max_length=500, multiline=True)
    due = v.date("due_date", LABELS["due_date"])
    action = "close" if satisfied else "reopen"
    target = TRANSITIONS[(action, phase(problem))]
    if due is not None:
        if satisfied:
            v.error("due_date", LABELS["due_date"], _("is only given when the resident is not satisfied"))
        elif due < local_date(at):
            v.error("due_date", LABELS["due_date"], _("may not be in the past"))
    v.raise_if_errors()
    _maybe_version(problem, data)
    old = problem.status
    problem.status, problem.satisfied, problem.feedback_comment = target, satisfied, comment or ""
    problem.feedback_at, problem.feedback_by_id = at, getattr(actor, "id", None)
    if satisfied:
        problem.closed_at = at
    else:
        problem.resolved_at = None
        if due is not None:
            problem.due_date = due
    flush()
    _event(problem, action, old, actor, at, reason=comment or "",
           data={"satisfied": satisfied, **({"due_date": due} if due else {})})
    _audit_status(problem, "feedback", old, actor, satisfied=satisfied, comment=comment, due_date=due)
    return problem


def _strict_bool(raw) -> bool:
    """The resident's answer: true/false (forms send "1"/"0" or yes/no)."""
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower() if isinstance(raw, (str, int)) else None
    if text in ("1", "true", "yes", "satisfied", "是", "满意"):
        return True
    if text in ("0", "false", "no", "unsatisfied", "否", "不满意"):
        return False
    raise Invalid(_("must be true or false"))


TRANSITION_FUNCTIONS = {"dispatch": dispatch, "accept": accept, "return": return_, "resolve": resolve,
                        "feedback": feedback}


def apply(problem: Problem, action: str, data: dict, actor, **kw) -> Problem:
    """Run the user action ``action`` (one of :data:`USER_ACTIONS`)."""
    return TRANSITION_FUNCTIONS[action](problem, data, actor, **kw)


# --- the sweep ------------------------------------------------------------------------------------

def district_after_days() -> int:
    try:
        return int(current_app.config.get("DIARY_DISTRICT_AFTER_DAYS", DISTRICT_AFTER_DAYS))
    except (TypeError, ValueError):
        return DISTRICT_AFTER_DAYS


def sweep(today: dt.date | None = None, *, now: dt.datetime | None = None) -> dict:
    """Mark items past their due date overdue and escalate them (督办): street at once, district when
    still overdue ``district_after_days()`` days after the due date.

    Idempotent: a second run the same day changes nothing. Safe at any time: it touches only
    dispatched, accepted and overdue items, each under its version counter. Flushes; the caller commits.
    """
    now = now or utcnow()
    today = today or local_date(now)
    counts = {"overdue": 0, "street": 0, "district": 0}
    late = db.session.scalars(sa.select(Problem).where(Problem.status.in_(("dispatched", "accepted")),
                                                       Problem.due_date < today).order_by(Problem.id))
    for problem in late:
        old = problem.status
        _check(problem, "overdue", None)
        problem.status, problem.overdue_since = "overdue", now
        problem.escalation_level, problem.escalated_at = "street", now
        flush()
        _event(problem, "overdue", old, None, now, data={"due_date": problem.due_date})
        _event(problem, "escalate", "overdue", None, now, data={"level": "street"})
        audit.record("status", "problem", problem.id, {"status": [old, "overdue"], "action": "overdue",
                                                       "due_date": problem.due_date, "escalation_level": "street"})
        counts["overdue"] += 1
        counts["street"] += 1
    limit = today - dt.timedelta(days=district_after_days())
    stale = db.session.scalars(sa.select(Problem).where(Problem.status == "overdue",
                                                        sa.or_(Problem.escalation_level.is_(None),
                                                               Problem.escalation_level == "street"),
                                                        Problem.due_date < limit).order_by(Problem.id))
    for problem in stale:
        old_level = problem.escalation_level
        problem.escalation_level, problem.escalated_at = "district", now
        flush()
        _event(problem, "escalate", "overdue", None, now, data={"level": "district"})
        audit.record("update", "problem", problem.id, {"escalation_level": [old_level, "district"],
                                                       "due_date": problem.due_date})
        counts["district"] += 1
    flush()
    return counts


# --- queries --------------------------------------------------------------------------------------

def _area_subtree(code: str, key: str = "area_code"):
    area = db.session.get(Area, str(code)[:20])
    if area is None:
        raise _field_error(key, _("unknown area code %(code)s", code=str(code)[:20]), label=LABELS["area_code"])
    return sa.select(Area.code).where(Area.path.startswith(area.path, autoescape=True))


def _int_arg(args, key: str) -> int | None:
    raw = (args.get(key) or "").strip()
    if not raw:
        return None
    if not raw.isascii() or not raw.isdigit() or int(raw) > 2**31 - 1:
        raise _field_error(key, _("must be a whole number"), label=LABELS.get(key, key))
    return int(raw)


def problems_query(user, args):
    """The scoped SELECT behind every problem list: filters ``status``, ``kind``, ``area_code``,
    ``unit_id``, ``resident_id``, ``diary_id``, ``escalation``, ``q`` (description)."""
    stmt = scoped(sa.select(Problem), Problem, user)
    status = (args.get("status") or "").strip()
    if status:
        statuses = [s for s in status.split(",") if s]
        bad = [s for s in statuses if s not in PROBLEM_STATUSES]
        if bad:
            raise _field_error("status", _("must be one of: %(choices)s", choices=", ".join(PROBLEM_STATUSES)))
        stmt = stmt.where(Problem.status.in_(statuses))
    kind = (args.get("kind") or "").strip()
    if kind:
        if kind not in PROBLEM_KINDS:
            raise _field_error("kind", _("must be one of: %(choices)s", choices=", ".join(PROBLEM_KINDS)))
        stmt = stmt.where(Problem.kind == kind)
    if args.get("area_code"):
        stmt = stmt.where(Problem.area_code.in_(_area_subtree(args["area_code"])))
    for key, column in (("unit_id", Problem.unit_id), ("resident_id", Problem.resident_id),
                        ("diary_id", Problem.diary_id)):
        value = _int_arg(args, key)
        if value is not None:
            stmt = stmt.where(column == value)
    escalation = (args.get("escalation") or "").strip()
    if escalation:
        if escalation not in ESCALATION_LEVELS:
            raise _field_error("escalation", _("must be one of: %(choices)s", choices=", ".join(ESCALATION_LEVELS)))
        stmt = stmt.where(Problem.escalation_level == escalation)
    q = (args.get("q") or "").strip()[:50]
    if q:
        stmt = stmt.where(Problem.description.contains(q, autoescape=True))
    return stmt


def list_problems(user, args, *, limit: int, cursor: str | None) -> Page:
    stmt = problems_query(user, args).options(selectinload(Problem.diary), selectinload(Problem.resident),
                                              selectinload(Problem.unit), selectinload(Problem.photos))
    if (args.get("status") or "") == "overdue":
        # The overdue list (督办): the longest overdue first.
        return keyset(stmt, [Problem.due_date, Problem.id], limit=limit, cursor=cursor)
    return keyset(stmt, [Problem.id], limit=limit, cursor=cursor, descending=True)


def list_entries(user, args, *, limit: int, cursor: str | None) -> Page:
    """Visit records in scope, newest first; filters ``area_code``, ``resident_id``, ``from``, ``to``."""
    stmt = scoped(sa.select(DiaryEntry), DiaryEntry, user).options(
        selectinload(DiaryEntry.resident), selectinload(DiaryEntry.photos), selectinload(DiaryEntry.recorded_by),
        selectinload(DiaryEntry.problems).selectinload(Problem.photos))
    if args.get("area_code"):
        stmt = stmt.where(DiaryEntry.area_code.in_(_area_subtree(args["area_code"])))
    resident_id = _int_arg(args, "resident_id")
    if resident_id is not None:
        stmt = stmt.where(DiaryEntry.resident_id == resident_id)
    from assist.diary.figures import period_bounds
    start, end = period_bounds(args.get("from"), args.get("to"), required=False)
    if start is not None:
        stmt = stmt.where(DiaryEntry.visited_at >= start)
    if end is not None:
        stmt = stmt.where(DiaryEntry.visited_at < end)
    return keyset(stmt, [DiaryEntry.visited_at, DiaryEntry.id], limit=limit, cursor=cursor, descending=True)


def get_photo(photo_id, user) -> DiaryPhoto:
    """A photo the user may see: visit photos with the visit record, resolution photos with the item."""
    try:
        photo = db.session.get(DiaryPhoto, int(photo_id))
    except (TypeError, ValueError):
        photo = None
    if photo is None:
        raise NotFound()
    if photo.kind == "resolution":
        get_or_404(Problem, photo.problem_id, user)
    else:
        get_or_404(DiaryEntry, photo.diary_id, user)
    return photo


def closed_without_answer(start: dt.datetime | None = None, end: dt.datetime | None = None, user=None) -> list[dict]:
    """Anomaly-report helper (DOMAIN.md "What an audit checks", last bullet): items closed as
    satisfied without a recorded resident's answer — a ``close`` event carrying ``satisfied: true``.

    Through the services this cannot happen (closing *is* recording the answer, and a check
    constraint guards the row); anything found here was changed behind the application's back.
    ``start``/``end`` (aware datetimes) limit by the closing time; ``user`` applies a scope.
    Returns ``[{"kind": "diary_closed_without_answer", "problem_id", "visit_id": None, "detail"}]``.
    """
    answered = sa.select(ProblemEvent.problem_id).where(ProblemEvent.kind == "close")
    stmt = sa.select(Problem).where(Problem.status == "closed",
                                    sa.or_(Problem.satisfied.is_not(True), Problem.feedback_at.is_(None),
                                           Problem.id.not_in(answered)))
    if start is not None:
        stmt = stmt.where(sa.or_(Problem.closed_at.is_(None), Problem.closed_at >= start))
    if end is not None:
        stmt = stmt.where(sa.or_(Problem.closed_at.is_(None), Problem.closed_at < end))
    if user is not None:
        stmt = scoped(stmt, Problem, user)
    out = []
    for p in db.session.scalars(stmt.order_by(Problem.id)):
        out.append({"kind": "diary_closed_without_answer", "problem_id": p.id, "visit_id": None,
                    "detail": _("Needs-diary item %(id)s is closed as satisfied without a recorded answer "
                                "from the resident.", id=p.id)})
    return out


# --- "open a plan" from a need -------------------------------------------------------------------

# Words in a need's description that point at a catalog item (the item names and everyday words).
ITEM_KEYWORDS = {
    "A1": ("助餐", "送餐", "吃饭", "做饭", "饭"), "A2": ("助浴", "洗澡"), "A3": ("理发", "剪发"),
    "A4": ("代购", "代办", "买菜", "跑腿"), "B1": ("保洁", "打扫", "清洁"), "B2": ("杂物", "整治", "堆积"),
    "B3": ("洗衣", "被褥", "衣被"), "B4": ("燃气", "煤气", "电路", "安全检查"),
    "C1": ("血压", "血糖", "随访", "家庭医生", "体检"), "C2": ("陪诊", "就医", "看病", "医院"),
    "C3": ("取药", "用药", "吃药"), "C4": ("康复",), "D1": ("起居", "照料", "翻身", "护理"),
    "D2": ("喘息", "临时照料"), "D3": ("紧急", "呼叫", "急救", "报警"), "D4": ("日间照料", "托养", "日托"),
    "E1": ("探访", "看望"), "E2": ("陪伴", "聊天", "孤独", "慰藉"), "E3": ("心理", "疏导", "情绪"),
    "E4": ("儿童", "孩子", "留守"), "F1": ("就业", "工作", "找活"), "F2": ("法律", "政策", "申请", "低保"),
    "F3": ("活动", "融入"), "F4": ("微心愿", "心愿"),
}
WISH_ITEM = "F4"


def plan_item_for(problem: Problem) -> str | None:
    """The item a plan opened from this need starts with, or None when no plan fits (no resident, or
    a policy/governance matter). Micro-wishes → F4; service needs → the best eligible item, preferring
    one the description mentions, else F4 (which any active resident may have)."""
    if problem.resident_id is None or problem.kind not in ("service", "wish"):
        return None
    if problem.kind == "wish":
        return WISH_ITEM
    try:
        from assist.plans.eligibility import verdicts
        eligible = [v.item_code for v in verdicts(problem.resident) if v.eligible]
    except ImportError:  # the matching engine is not installed: the caseworker picks the item
        return WISH_ITEM
    text = problem.description or ""
    for code in eligible:
        if any(word in text for word in ITEM_KEYWORDS.get(code, ())):
            return code
    return eligible[0] if eligible else WISH_ITEM
