"""Service plans and matching overrides: validation, creation, ending, review after re-assessment."""
from __future__ import annotations

import datetime as dt
import decimal
import re

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from assist.catalog.models import ServiceItem
from assist.core import audit
from assist.core.db import check_version, utcnow
from assist.core.errors import Conflict, NotFound, ValidationError
from assist.core.pagination import Page, keyset
from assist.core.scoping import get_or_404, scope_rule, scoped, served_records_clause
from assist.core.timeutil import local_today
from assist.core.validation import Invalid, Validator, field_error, positive_decimal
from assist.extensions import db
from assist.plans import eligibility, recurrence
from assist.plans.models import DECISION_KINDS, ItemDecision, Plan
from assist.providers.models import Provider
from assist.residents.models import Resident

LABELS = {
    "resident_id": _l("Resident"), "item_code": _l("Service item"), "provider_id": _l("Provider"),
    "rrule": _l("Recurrence"), "start_date": _l("Start date"), "end_date": _l("End date"),
    "start_time": _l("Start time"), "duration_minutes": _l("Duration (minutes)"),
    "quantity_per_visit": _l("Quantity per visit"), "monthly_cap": _l("Monthly cap (visits)"), "notes": _l("Notes"),
    "reason": _l("Reason"), "kind": _l("Decision"), "override_reason": _l("Override reason"),
}


@scope_rule(Plan)
def _plan_scope(user):
    return served_records_clause(Plan.resident_id, Plan.provider_id, user)


def _field_error(key: str, message) -> ValidationError:
    return field_error(key, message, LABELS[key])


def _parse_time(raw) -> dt.time:
    m = re.fullmatch(r"([01]?\d|2[0-3]):([0-5]\d)(?::00)?", str(raw).strip())
    if not m:
        raise Invalid(_("must be a time written HH:MM"))
    return dt.time(int(m.group(1)), int(m.group(2)))


_parse_quantity = positive_decimal(10000)


def validate(data: dict, actor, *, partial: bool = False, plan: Plan | None = None) -> dict:
    """Check plan input; returns clean values plus the loaded resident, item and provider."""
    v = Validator(data, partial=partial)
    if plan is None:
        v.integer("resident_id", LABELS["resident_id"], required=True, min_value=1)
        v.field("item_code", LABELS["item_code"], lambda r: str(r).strip().upper(), required=True)
    v.integer("provider_id", LABELS["provider_id"], required=not partial, min_value=1)
    v.text("rrule", LABELS["rrule"], required=not partial, max_length=300)
    v.date("start_date", LABELS["start_date"], required=not partial)
    v.date("end_date", LABELS["end_date"])
    v.field("start_time", LABELS["start_time"], _parse_time, default=dt.time(9, 0))
    v.integer("duration_minutes", LABELS["duration_minutes"], min_value=5, max_value=24 * 60, default=60)
    v.field("quantity_per_visit", LABELS["quantity_per_visit"], _parse_quantity, default=decimal.Decimal(1))
    v.integer("monthly_cap", LABELS["monthly_cap"], required=not partial, min_value=1, max_value=1000)
    v.text("notes", LABELS["notes"], max_length=500, multiline=True)
    v.text("override_reason", LABELS["override_reason"], max_length=500, multiline=True)
    clean = v.clean

    resident = plan.resident if plan else None
    if plan is None and clean.get("resident_id"):
        try:
            resident = get_or_404(Resident, clean["resident_id"], actor)
        except NotFound:
            v.error("resident_id", LABELS["resident_id"], _("no such resident in your areas"))
    item = plan.item if plan else None
    if plan is None and clean.get("item_code"):
        item = db.session.get(ServiceItem, clean["item_code"][:4])
        if item is None:
            v.error("item_code", LABELS["item_code"], _("unknown service item"))
        elif not item.active:
            v.error("item_code", LABELS["item_code"], _("this service item is not offered at present"))
    provider = plan.provider if plan else None
    if clean.get("provider_id"):
        provider = db.session.get(Provider, clean["provider_id"])
        if provider is None or not provider.active:
            v.error("provider_id", LABELS["provider_id"], _("no such active provider"))
            provider = None
    if provider is not None and item is not None and item.code not in provider.item_codes:
        v.error("provider_id", LABELS["provider_id"], _("%(provider)s does not offer %(item)s",
                                                        provider=provider.name, item=item.name))
    if provider is not None and resident is not None and not provider.serves(resident.area):
        v.error("provider_id", LABELS["provider_id"], _("%(provider)s does not serve %(area)s",
                                                        provider=provider.name, area=resident.area.name))

    start = clean.get("start_date", plan.start_date if plan else None)
    end = clean["end_date"] if "end_date" in clean else (plan.end_date if plan else None)
    start_time = clean.get("start_time") or (plan.start_time if plan else dt.time(9, 0))
    if start and end and end < start:
        v.error("end_date", LABELS["end_date"], _("must not be before the start date"))
    rule_text = clean.get("rrule", plan.rrule if plan else None)
    if rule_text and start and not v.errors.get("end_date"):
        try:
            rule = recurrence.parse(rule_text, start, start_time)
        except Invalid as exc:
            v.error("rrule", LABELS["rrule"], str(exc))
        else:
            if recurrence.first_occurrence(rule, start, end) is None:
                v.error("rrule", LABELS["rrule"], _("yields no visit between the start and end dates"))
            else:
                clean["_rule"] = rule
                if "rrule" in clean:
                    clean["rrule"] = recurrence.normalise(rule_text)
    v.raise_if_errors()
    clean["_resident"], clean["_item"], clean["_provider"] = resident, item, provider
    return clean


def cap_warnings(plan_like: dict) -> list[str]:
    """Warn (do not refuse) when the recurrence can schedule more visits in a month than the cap.

    The monthly cap counts visits (DOMAIN.md: "visits beyond the plan's monthly cap").
    """
    rule = plan_like.get("_rule")
    if rule is None:
        return []
    per_month = recurrence.max_per_month(rule, plan_like["start_date"], plan_like.get("end_date"))
    if per_month > plan_like["monthly_cap"]:
        return [_("The recurrence schedules up to %(visits)d visits in a month, above the monthly cap of %(cap)s.",
                  visits=per_month, cap=_num(plan_like["monthly_cap"]))]
    return []


def _num(value) -> str:
    value = decimal.Decimal(value)
    return str(value.quantize(decimal.Decimal(1))) if value == value.to_integral() else str(value.normalize())


def _snapshot(plan: Plan) -> dict:
    data = plan.to_dict()
    for key in ("version", "item_name", "unit", "provider_name"):
        data.pop(key, None)
    return data


def create(data: dict, actor) -> tuple[Plan, list[str]]:
    """Create a plan. 409 when the resident is not active; warnings for caps and eligibility."""
    clean = validate(data, actor)
    resident, item, provider = clean["_resident"], clean["_item"], clean["_provider"]
    if resident.status != "active":
        raise Conflict(_("%(name)s is not active on the register; no new plan can start.", name=resident.name),
                       code="resident_not_active")
    warnings = cap_warnings(clean)
    verdict = eligibility.verdict(resident, item.code)
    granted = eligibility.decision(resident.id, item.code)
    review_reason = ""
    if not verdict.eligible and (granted is None or granted.kind != "grant"):
        if clean.get("override_reason"):
            record_decision(resident, item.code, {"kind": "grant", "reason": clean["override_reason"]}, actor)
        else:
            review_reason = _("Not eligible by the rules and no override recorded.")
            warnings.append(review_reason)
    plan = Plan(resident_id=resident.id, item_code=item.code, provider_id=provider.id, rrule=clean["rrule"],
                start_date=clean["start_date"], end_date=clean.get("end_date"), start_time=clean["start_time"],
                duration_minutes=clean["duration_minutes"], quantity_per_visit=clean["quantity_per_visit"],
                monthly_cap=clean["monthly_cap"], notes=clean.get("notes") or "", status="active",
                needs_review=bool(review_reason), review_reason=review_reason,
                created_by_id=getattr(actor, "id", None))
    db.session.add(plan)
    db.session.flush()
    audit.record("create", "plan", plan.id, _snapshot(plan), actor=actor)
    return plan, warnings


EDITABLE = ("provider_id", "rrule", "start_date", "end_date", "start_time", "duration_minutes",
            "quantity_per_visit", "monthly_cap", "notes")


def update(plan: Plan, data: dict, actor) -> tuple[Plan, list[str]]:
    check_version(plan, data.get("version"))
    if plan.status != "active":
        raise Conflict(_("An ended plan cannot be changed."), code="illegal_state")
    clean = validate(data, actor, partial=True, plan=plan)
    before = _snapshot(plan)
    for key in EDITABLE:
        if key in clean:
            setattr(plan, key, clean[key] if clean[key] is not None or key == "end_date" else getattr(plan, key))
    if "notes" in clean and clean["notes"] is None:
        plan.notes = ""
    db.session.flush()
    after = _snapshot(plan)
    warnings = cap_warnings({"_rule": recurrence.parse(plan.rrule, plan.start_date, plan.start_time),
                             "start_date": plan.start_date, "end_date": plan.end_date,
                             "quantity_per_visit": plan.quantity_per_visit, "monthly_cap": plan.monthly_cap})
    changes = audit.diff(before, after)
    if changes:
        audit.record("update", "plan", plan.id, changes, actor=actor)
    _notify_changed(plan, actor)
    return plan, warnings


def end(plan: Plan, data: dict, actor) -> Plan:
    """End a plan with a reason; from the end date on nothing more is scheduled."""
    v = Validator(data)
    v.text("reason", LABELS["reason"], required=True, max_length=500, multiline=True)
    ended_on = v.date("end_date", LABELS["end_date"])
    v.raise_if_errors()
    if plan.status != "active":
        raise Conflict(_("This plan has already ended."), code="illegal_state")
    plan.status = "ended"
    plan.end_reason = v.clean["reason"]
    plan.ended_on = ended_on or local_today()
    if plan.end_date is None or plan.end_date > plan.ended_on:
        plan.end_date = max(plan.ended_on, plan.start_date)
    plan.needs_review = False
    db.session.flush()
    audit.record("status", "plan", plan.id, {"status": ["active", "ended"], "reason": plan.end_reason,
                                            "ended_on": plan.ended_on}, actor=actor)
    _notify_changed(plan, actor)
    return plan


# Features that keep derived records in step with plans (visits) register here.
plan_changed_hooks: list = []


def _notify_changed(plan: Plan, actor) -> None:
    for hook in plan_changed_hooks:
        hook(plan, actor)


def resolve_review(plan: Plan, actor, note: str) -> Plan:
    """A caseworker confirms a flagged plan may continue (the flag clears; the note is audited)."""
    if not plan.needs_review:
        return plan
    if not note or not note.strip():
        raise _field_error("reason", _("is required"))
    plan.needs_review = False
    audit.record("update", "plan", plan.id, {"needs_review": [True, False], "reason": note.strip()[:500]},
                 actor=actor)
    db.session.flush()
    return plan


def list_plans(user, args, *, limit: int, cursor: str | None) -> Page:
    stmt = scoped(sa.select(Plan), Plan, user)
    for key in ("resident_id", "provider_id"):
        if args.get(key):
            try:
                stmt = stmt.where(getattr(Plan, key) == int(args[key]))
            except ValueError:
                raise _field_error(key, _("must be a whole number"))
    if args.get("status"):
        stmt = stmt.where(Plan.status == args["status"])
    if args.get("item_code"):
        stmt = stmt.where(Plan.item_code == args["item_code"].upper())
    if args.get("needs_review") in ("1", "true"):
        stmt = stmt.where(Plan.needs_review.is_(True))
    return keyset(stmt, [Plan.id], limit=limit, cursor=cursor, descending=True)


def plans_of(resident: Resident) -> list[Plan]:
    return list(db.session.scalars(sa.select(Plan).where(Plan.resident_id == resident.id)
                                   .order_by(Plan.status, Plan.item_code, Plan.id)))


# --- overrides and re-assessment ----------------------------------------------------------------

def record_decision(resident: Resident, item_code: str, data: dict, actor) -> ItemDecision:
    """Grant an ineligible item or decline an eligible one, with a required reason (audited)."""
    v = Validator(data)
    kind = v.choice("kind", LABELS["kind"], DECISION_KINDS, required=True)
    v.text("reason", LABELS["reason"], required=True, max_length=500, multiline=True)
    v.raise_if_errors()
    item = db.session.get(ServiceItem, str(item_code).upper()[:4])
    if item is None:
        raise _field_error("item_code", _("unknown service item"))
    previous = eligibility.decision(resident.id, item.code)
    if previous is not None:
        previous.revoked_at = utcnow()
    decision = ItemDecision(resident_id=resident.id, item_code=item.code, kind=kind, reason=v.clean["reason"],
                            actor_id=getattr(actor, "id", None))
    db.session.add(decision)
    db.session.flush()
    audit.record("override", "resident", resident.id, {"item_code": item.code, "decision": kind,
                                                       "reason": decision.reason}, actor=actor)
    review_plans(resident, actor)
    return decision


def revoke_decision(resident: Resident, item_code: str, actor) -> None:
    previous = eligibility.decision(resident.id, item_code)
    if previous is None:
        return
    previous.revoked_at = utcnow()
    db.session.flush()
    audit.record("override", "resident", resident.id, {"item_code": item_code, "decision": [previous.kind, None]},
                 actor=actor)
    review_plans(resident, actor)


def review_plans(resident: Resident, actor) -> list[Plan]:
    """After a re-assessment or status change: flag active plans whose item is no longer eligible."""
    flagged = []
    verdicts = None
    for plan in db.session.scalars(sa.select(Plan).where(Plan.resident_id == resident.id, Plan.status == "active")):
        if verdicts is None:
            verdicts = {v.item_code: v for v in eligibility.verdicts(resident)}
        decision = eligibility.decision(resident.id, plan.item_code)
        ok = (verdicts[plan.item_code].eligible and not (decision and decision.kind == "decline")) or \
            (decision is not None and decision.kind == "grant" and resident.status == "active")
        if not ok and not plan.needs_review:
            plan.needs_review = True
            plan.review_reason = eligibility.failure_text(resident, verdicts[plan.item_code])
            audit.record("update", "plan", plan.id, {"needs_review": [False, True],
                                                     "review_reason": plan.review_reason}, actor=actor)
            flagged.append(plan)
    db.session.flush()
    return flagged
