"""The resident register: validation, registration, edits, status changes, search — and its scope."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from assist.areas.models import Area
from assist.core import audit, crypto
from assist.core.db import check_version, flush, touch, utcnow
from assist.core.errors import Conflict, ValidationError
from assist.core.pagination import Page, keyset
from assist.core.scoping import area_clause, scope_rule, scoped
from assist.core.timeutil import local_today
from assist.core.validation import Invalid, Validator, ascii_fold, coordinate, parse_mobile
from assist.extensions import db
from assist.residents import idnumber
from assist.residents.conditions import (ASSISTANCE_TYPES, BOOL_KEYS, BY_KEY, CHILD_STATUSES, CONDITION_KEYS,
                                         STATUS_REASON_KINDS, STATUS_TITLES, STATUSES, defaults)
from assist.residents.models import Assessment, HouseholdMember, Resident, StatusChange

LABELS = {
    "id_number": _l("ID number"), "name": _l("Name"), "phone": _l("Phone"), "address": _l("Address"),
    "area_code": _l("Area"), "assistance_type": _l("Target group"), "assistance_since": _l("Target group since"),
    "emergency_contact_name": _l("Emergency contact"), "emergency_contact_phone": _l("Emergency contact phone"),
    "home_lat": _l("Home latitude"), "home_lng": _l("Home longitude"),
    "assessed_on": _l("Assessment date"), "conditions": _l("Conditions"), "household": _l("Household members"),
    "status": _l("Status"), "reason": _l("Reason"), "reason_kind": _l("Reason kind"),
    "effective_on": _l("Effective date"), "relation": _l("Relation"),
    "condition": _l("Condition"), "min_age": _l("Age from"), "max_age": _l("Age to"),
}
MAX_HOUSEHOLD = 20


@scope_rule(Resident)
def _resident_scope(user):
    if user.role in ("admin", "auditor"):
        return None
    if user.role == "caseworker":
        return area_clause(Resident.area_code, user)
    if user.role == "provider" and user.provider_id:
        # A provider sees the residents its organisation has (or had) a plan for.
        from assist.plans.models import Plan
        return Resident.id.in_(sa.select(Plan.resident_id).where(Plan.provider_id == user.provider_id))
    return sa.false()


# --- validation -----------------------------------------------------------------------------------

def _parse_area(raw) -> str:
    code = str(raw).strip()
    area = db.session.get(Area, code) if len(code) <= 20 else None
    if area is None:
        raise Invalid(_("unknown area code %(code)s", code=code[:20]))
    if area.level not in ("community", "grid"):
        raise Invalid(_("choose a community or grid, not a whole street or district"))
    return code


def _parse_conditions(raw, base: dict) -> tuple[dict, dict]:
    """Merge ``raw`` over ``base``; returns (conditions, errors by key)."""
    if not isinstance(raw, dict):
        raise Invalid(_("must be an object of condition values"))
    out, errors = dict(base), {}
    for key, value in raw.items():
        cond = BY_KEY.get(key)
        if cond is None:
            errors[f"conditions.{key}"] = _("unknown condition")
            continue
        try:
            if cond.kind == "level":
                if isinstance(value, bool) or not isinstance(value, (int, str)) \
                        or not re.fullmatch(r"[0-4]", str(value).strip()):
                    raise Invalid(_("must be a whole number from 0 to 4"))
                out[key] = int(str(value).strip())
            elif cond.kind == "child":
                value = value or "none"
                if not isinstance(value, str) or value not in CHILD_STATUSES:
                    raise Invalid(_("must be one of: %(choices)s", choices=", ".join(CHILD_STATUSES)))
                out[key] = value
            else:
                if not isinstance(value, (bool, int, str, type(None))) \
                        or value not in (True, False, 0, 1, "0", "1", "true", "false", None):
                    raise Invalid(_("must be true or false"))
                out[key] = value in (True, 1, "1", "true")
        except Invalid as exc:
            errors[f"conditions.{key}"] = str(exc)
    return out, errors


def _parse_household(raw) -> list[dict]:
    if not isinstance(raw, list):
        raise Invalid(_("must be a list"))
    if len(raw) > MAX_HOUSEHOLD:
        raise Invalid(_("at most %(n)d members", n=MAX_HOUSEHOLD))
    members = []
    for i, item in enumerate(raw, 1):
        if not isinstance(item, dict):
            raise Invalid(_("member %(n)d: must be an object", n=i))
        v = Validator(item)
        v.text("relation", LABELS["relation"], required=True, max_length=20)
        v.text("name", LABELS["name"], required=True, max_length=50)
        v.field("id_number", LABELS["id_number"], lambda r: idnumber.parse(r).number)
        v.field("phone", LABELS["phone"], parse_mobile)
        if v.errors:
            first = next(iter(v.errors.values()))[0]
            raise Invalid(_("member %(n)d: %(message)s", n=i, message=first))
        members.append(v.clean)
    return members


def validate(data: dict, *, partial: bool = False, existing: Resident | None = None) -> dict:
    """Check resident input (API body or form data); raises ValidationError naming every bad field."""
    v = Validator(data, partial=partial)
    # required=True also in a PATCH: an absent key is left alone, but null or "" may not empty it.
    v.field("id_number", LABELS["id_number"], idnumber.parse, required=True)
    v.text("name", LABELS["name"], required=True, max_length=50)
    if v.clean.get("name") is not None and not re.search(r"\w", v.clean["name"]):
        v.error("name", LABELS["name"], _("must contain letters"))
    v.field("phone", LABELS["phone"], parse_mobile)
    v.text("address", LABELS["address"], max_length=200)
    v.field("area_code", LABELS["area_code"], _parse_area, required=True)
    v.choice("assistance_type", LABELS["assistance_type"], ASSISTANCE_TYPES, required=True)
    v.date("assistance_since", LABELS["assistance_since"], not_future=True)
    v.text("emergency_contact_name", LABELS["emergency_contact_name"], max_length=50)
    v.field("emergency_contact_phone", LABELS["emergency_contact_phone"], parse_mobile)
    v.date("assessed_on", LABELS["assessed_on"], not_future=True)
    v.field("household", LABELS["household"], _parse_household)
    # The home's position (optional): the reference for the check-in location audit check.
    v.field("home_lat", LABELS["home_lat"], coordinate(-90, 90))
    v.field("home_lng", LABELS["home_lng"], coordinate(-180, 180))
    if ("home_lat" in data or "home_lng" in data) and not v.errors.get("home_lat") and not v.errors.get("home_lng") \
            and (v.clean.get("home_lat") is None) != (v.clean.get("home_lng") is None):
        v.error("home_lng", LABELS["home_lng"], _("give both latitude and longitude, or neither"))
    if "conditions" in data and data["conditions"] is not None:
        base = existing.conditions if existing else defaults()
        try:
            conds, errors = _parse_conditions(data["conditions"], base)
        except Invalid as exc:
            v.error("conditions", LABELS["conditions"], str(exc))
        else:
            for key, message in errors.items():
                v.error(key, BY_KEY[key.split(".", 1)[1]].label if key.split(".", 1)[1] in BY_KEY
                        else key.split(".", 1)[1], message)
            v.clean["conditions"] = conds
    elif not partial:
        v.clean["conditions"] = defaults()
    v.raise_if_errors()
    return v.clean


# --- writes ---------------------------------------------------------------------------------------

def _check_area_scope(actor, area_code: str | None) -> None:
    """A caseworker registers and moves residents only within their own areas."""
    if area_code is None or getattr(actor, "role", None) != "caseworker":
        return
    if not any(db.session.get(Area, area_code).path.startswith(a.path) for a in actor.areas):
        raise ValidationError(fields={"area_code": [_("%(field)s: %(message)s", field=LABELS["area_code"],
                                                      message=_("is outside your areas"))]})


def find_by_id_number(number: str) -> Resident | None:
    return db.session.scalars(sa.select(Resident).where(
        Resident.id_number_bidx == crypto.blind_index(number, "ric"))).first()


def _duplicate(existing: Resident, actor) -> Conflict:
    """409 with ``existing_id`` (API.md); the existing record's name only when the caller may see it."""
    visible = actor is not None and db.session.scalar(
        scoped(sa.select(Resident.id).where(Resident.id == existing.id), Resident, actor)) is not None
    if visible:
        message = _("This ID number is already registered (%(name)s).", name=existing.name)
    else:
        message = _("This ID number is already registered.")
    return Conflict(message, code="duplicate", existing_id=existing.id)


def _apply(resident: Resident, clean: dict, actor) -> None:
    if "id_number" in clean:
        info: idnumber.IdNumber = clean["id_number"]
        resident.id_number = info.number
        resident.birth_date = info.birth_date
        resident.gender = info.gender
    if "name" in clean:
        resident.set_name(clean["name"])
    for key in ("phone", "emergency_contact_phone"):
        if key in clean:
            setattr(resident, key, clean[key])
    for key in ("home_lat", "home_lng"):
        if key in clean:
            setattr(resident, key, clean[key])
    for key in ("address", "emergency_contact_name"):
        if key in clean:
            setattr(resident, key, clean[key] or "")
    for key in ("area_code", "assistance_type", "assistance_since"):
        if key in clean:
            setattr(resident, key, clean[key])
    members = [(m["relation"], m["name"], m.get("id_number"), m.get("phone")) for m in clean.get("household") or []]
    if "household" in clean and members != [(m.relation, m.name, m.id_number_enc, m.phone_enc)
                                            for m in resident.household]:
        resident.household = [HouseholdMember(relation=m["relation"], name=m["name"],
                                              id_number_enc=m.get("id_number"), phone_enc=m.get("phone"))
                              for m in clean["household"] or []]


def _assess(resident: Resident, conditions: dict, assessed_on: dt.date | None, actor) -> bool:
    """Record an assessment when the conditions change, or when a new assessment date is given (a
    re-assessment that found nothing changed). Re-sending the current conditions with the current
    date — what every edit form does — records nothing. Returns True if recorded."""
    same_date = assessed_on is None or assessed_on == resident.assessed_on
    if conditions == resident.conditions and resident.assessed_on is not None and same_date:
        return False
    for key in CONDITION_KEYS:
        setattr(resident, key, conditions[key])
    resident.assessed_on = assessed_on or local_today()
    resident.assessor_id = getattr(actor, "id", None)
    resident.assessments.append(Assessment(assessed_on=resident.assessed_on, assessor_id=resident.assessor_id,
                                           conditions=dict(conditions)))
    return True


def _state(resident: Resident) -> dict:
    """Everything an edit can change, in clear, for diffing only: never stored or answered as is."""
    data = resident.to_dict()
    for key in ("version", "age", "area_name", "id_number_masked"):
        data.pop(key, None)
    data["id_number"] = resident.id_number
    data["household"] = [{"relation": m.relation, "name": m.name, "id_number": m.id_number_enc, "phone": m.phone_enc}
                         for m in resident.household]
    return data


_PHONE_KEYS = ("phone", "emergency_contact_phone")


def _masked(state: dict) -> dict:
    """The audited form of a state: ID numbers masked (first 6 + last 4), phone numbers masked too,
    since the audit log is kept for good and the register itself holds them only encrypted."""
    out = {}
    for key, value in state.items():
        if key == "id_number":
            out["id_number_masked"] = crypto.mask_id_number(value)
        elif key in _PHONE_KEYS:
            out[key] = crypto.mask_phone(value)
        elif key == "household":
            out[key] = [{"relation": m["relation"], "name": m["name"],
                         "id_number_masked": crypto.mask_id_number(m["id_number"]),
                         "phone": crypto.mask_phone(m["phone"])} for m in value]
        else:
            out[key] = value
    return out


def snapshot(resident: Resident) -> dict:
    """The audited view of a resident: ID and phone numbers only masked, never in clear."""
    return _masked(_state(resident))


def _audit_changes(before: dict, after: dict) -> dict:
    """``{field: [old, new]}`` between two clear states, masked. Compared in clear, so that an edit of
    a middle digit (hidden by the mask) is still recorded as a change of that field."""
    changed = audit.diff(before, after)
    masked_before, masked_after = _masked(before), _masked(after)
    out = {}
    for key in changed:
        out_key = "id_number_masked" if key == "id_number" else key
        out[out_key] = [audit.jsonable(masked_before[out_key]), audit.jsonable(masked_after[out_key])]
    return out


def register(data: dict, actor) -> Resident:
    """Register a resident; 409 ``duplicate`` (with ``existing_id``) when the ID number is known."""
    clean = validate(data)
    _check_area_scope(actor, clean["area_code"])
    existing = find_by_id_number(clean["id_number"].number)
    if existing is not None:
        raise _duplicate(existing, actor)
    resident = Resident(status="active", created_by_id=getattr(actor, "id", None))
    _apply(resident, clean, actor)
    if resident.assistance_since is None:
        resident.assistance_since = local_today()
    _assess(resident, clean["conditions"], clean.get("assessed_on"), actor)
    db.session.add(resident)
    db.session.flush()
    audit.record("create", "resident", resident.id, snapshot(resident), actor=actor)
    return resident


def update(resident: Resident, data: dict, actor) -> Resident:
    """Edit a resident, based on ``data['version']``; conditions that change make a new assessment."""
    check_version(resident, data.get("version"))
    clean = validate(data, partial=True, existing=resident)
    _check_area_scope(actor, clean.get("area_code"))
    if "id_number" in clean and clean["id_number"].number != resident.id_number:
        other = find_by_id_number(clean["id_number"].number)
        if other is not None and other.id != resident.id:
            raise _duplicate(other, actor)
    if clean.get("assistance_type", resident.assistance_type) != resident.assistance_type \
            and not clean.get("assistance_since"):
        clean["assistance_since"] = local_today()  # a new target group starts today unless told otherwise
    # No autoflush while applying: a lazy load in between would write (and version) the row early.
    with db.session.no_autoflush:
        before, old_version = _state(resident), resident.version
        _apply(resident, clean, actor)
        if "conditions" in clean or "assessed_on" in clean:
            _assess(resident, clean.get("conditions", resident.conditions), clean.get("assessed_on"), actor)
        changes = _audit_changes(before, _state(resident))
    if changes:
        touch(resident)  # household edits alone must move the version on too
        flush()  # one UPDATE, one version step
        # The version step in the log lets an edit based on an older version list what changed since.
        changes["version"] = [old_version, resident.version]
        audit.record("update", "resident", resident.id, changes, actor=actor)
    if changes.keys() & {"conditions", "assistance_type", "id_number_masked", "birth_date", "area_code"}:
        _profile_changed(resident, actor)
    return resident


# Features that depend on a resident's profile (plans flagged for review) register here: fn(resident, actor).
profile_changed_hooks: list = []


def _profile_changed(resident: Resident, actor) -> None:
    for hook in profile_changed_hooks:
        hook(resident, actor)


ALLOWED_STATUS = {"active": {"suspended", "terminated"}, "suspended": {"active", "terminated"},
                  "terminated": {"active"}}


def change_status(resident: Resident, data: dict, actor) -> Resident:
    """Suspend, reactivate or terminate, with a required reason kept in the history."""
    v = Validator(data)
    status = v.choice("status", LABELS["status"], STATUSES, required=True)
    v.text("reason", LABELS["reason"], required=True, max_length=500, multiline=True)
    v.choice("reason_kind", LABELS["reason_kind"], STATUS_REASON_KINDS)
    v.date("effective_on", LABELS["effective_on"])
    v.raise_if_errors()
    if "version" in data:
        check_version(resident, data["version"])
    if status == resident.status or status not in ALLOWED_STATUS[resident.status]:
        raise Conflict(_("A resident who is %(old)s cannot be set to %(new)s.",
                         old=str(STATUS_TITLES[resident.status]), new=str(STATUS_TITLES[status])),
                       code="illegal_state")
    change = StatusChange(from_status=resident.status, to_status=status, reason=v.clean["reason"],
                          reason_kind=v.clean.get("reason_kind"), actor_id=getattr(actor, "id", None),
                          effective_on=v.clean.get("effective_on") or local_today())
    resident.status_changes.append(change)
    old = resident.status
    resident.status = status
    resident.status_reason = v.clean["reason"]
    resident.status_reason_kind = v.clean.get("reason_kind")
    resident.status_changed_at = utcnow()
    old_version = resident.version
    flush()
    audit.record("status", "resident", resident.id,
                 {"status": [old, status], "reason": v.clean["reason"], "reason_kind": v.clean.get("reason_kind"),
                  "version": [old_version, resident.version]},
                 actor=actor)
    _profile_changed(resident, actor)
    return resident


# --- queries --------------------------------------------------------------------------------------

@dataclass
class Filters:
    q: str = ""
    area_code: str = ""
    assistance_type: str = ""
    status: str = ""
    conditions: list[str] = field(default_factory=list)  # boolean condition keys that must hold
    min_self_care: int | None = None
    min_age: int | None = None
    max_age: int | None = None
    # Query parameters that could not be read, by name: :func:`filtered` answers them with a 422
    # (a filter silently dropped would list everyone while the caller believes it filtered).
    invalid: dict = field(default_factory=dict)

    @classmethod
    def from_args(cls, args) -> "Filters":
        invalid: dict = {}

        def as_int(key, label, high):
            raw = ascii_fold(args.get(key) or "").strip()
            if not raw:
                return None
            if not re.fullmatch(r"[0-9]{1,3}", raw) or int(raw) > high:
                invalid[key] = [_("%(field)s: %(message)s", field=str(label),
                                  message=_("must be a whole number from 0 to %(n)d", n=high))]
                return None
            return int(raw)
        conds = [c for c in args.getlist("condition") if c]
        unknown = [c for c in conds if c not in BOOL_KEYS]
        if unknown:
            invalid["condition"] = [_("%(field)s: %(message)s", field=str(LABELS["condition"]),
                                      message=_("unknown condition %(name)s", name=", ".join(unknown)[:100]))]
        return cls(q=ascii_fold(args.get("q") or "").strip()[:40],
                   area_code=(args.get("area_code") or "").strip()[:20],
                   assistance_type=args.get("assistance_type") or "", status=args.get("status") or "",
                   conditions=[c for c in conds if c in BOOL_KEYS],
                   min_self_care=as_int("min_self_care", BY_KEY["self_care_level"].label, 4),
                   min_age=as_int("min_age", LABELS["min_age"], idnumber.MAX_AGE_YEARS),
                   max_age=as_int("max_age", LABELS["max_age"], idnumber.MAX_AGE_YEARS), invalid=invalid)


TAIL_RE = re.compile(r"^[0-9]{3,17}[0-9Xx]$")


def _search_clause(q: str):
    if re.fullmatch(r"[A-Za-z]+", q):
        q = q.lower()
        return sa.or_(Resident.name_initials.startswith(q, autoescape=True),
                      Resident.name_pinyin.startswith(q, autoescape=True))
    compact = re.sub(r"[\s-]", "", q).upper()
    if TAIL_RE.match(compact):
        if len(compact) == 18:
            return Resident.id_number_bidx == crypto.blind_index(compact, "ric")
        tail4 = compact[-4:]
        options = [Resident.id_tail_bidx == crypto.blind_index(tail4, "ric4")]
        if compact.isdigit():
            options.append(Resident.phone_tail_bidx == crypto.blind_index(tail4, "phone4"))
            if len(compact) == 11:
                options.append(Resident.phone_bidx == crypto.blind_index(compact, "phone"))
        clause = sa.or_(*options)
        if len(compact) == 4:
            return clause
        # A longer tail: the 4-character index narrows to a handful, then compare the clear values.
        candidates = db.session.execute(sa.select(Resident.id, Resident.id_number_enc, Resident.phone_enc)
                                        .where(clause)).all()
        ids = [r.id for r in candidates if r.id_number_enc.endswith(compact) or (r.phone_enc or "").endswith(compact)]
        return Resident.id.in_(ids) if ids else sa.false()
    return Resident.name.contains(q, autoescape=True)


def filtered(user, filters: Filters):
    """The scoped SELECT for a filtered list (the one place lists, searches and exports start)."""
    if filters.invalid:
        raise ValidationError(fields=filters.invalid)
    stmt = scoped(sa.select(Resident), Resident, user)
    if filters.q:
        stmt = stmt.where(_search_clause(filters.q))
    if filters.area_code:
        area = db.session.get(Area, filters.area_code)
        if area is None:
            raise ValidationError(fields={"area_code": [_("%(field)s: %(message)s", field=LABELS["area_code"],
                                                          message=_("unknown area code %(code)s", code=filters.area_code))]})
        stmt = stmt.where(Resident.area_code.in_(sa.select(Area.code).where(Area.path.startswith(area.path))))
    if filters.assistance_type:
        if filters.assistance_type not in ASSISTANCE_TYPES:
            raise ValidationError(fields={"assistance_type": [_("%(field)s: %(message)s", field=LABELS["assistance_type"],
                                                                message=_("must be one of: %(choices)s", choices=", ".join(ASSISTANCE_TYPES)))]})
        stmt = stmt.where(Resident.assistance_type == filters.assistance_type)
    if filters.status:
        if filters.status not in STATUSES:
            raise ValidationError(fields={"status": [_("%(field)s: %(message)s", field=LABELS["status"],
                                                       message=_("must be one of: %(choices)s", choices=", ".join(STATUSES)))]})
        stmt = stmt.where(Resident.status == filters.status)
    for key in filters.conditions:
        stmt = stmt.where(getattr(Resident, key).is_(True))
    if filters.min_self_care is not None:
        stmt = stmt.where(Resident.self_care_level >= filters.min_self_care)
    today = local_today()
    if filters.min_age is not None:
        stmt = stmt.where(Resident.birth_date <= _shift_years(today, -filters.min_age))
    if filters.max_age is not None:
        stmt = stmt.where(Resident.birth_date > _shift_years(today, -(filters.max_age + 1)))
    return stmt


def _shift_years(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


def search(user, filters: Filters, *, limit: int, cursor: str | None) -> Page:
    return keyset(filtered(user, filters), [Resident.name_pinyin, Resident.id], limit=limit, cursor=cursor)


def record_view(resident: Resident, actor) -> None:
    """Privacy (DOMAIN.md): who looked at a resident's record is logged, like prints and exports."""
    audit.record("view", "resident", resident.id, {}, actor=actor)
