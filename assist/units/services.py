"""Partner units (包联单位): validation, create/update, lookups — and their scope."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # lazy; named so that pybabel's default keywords extract it

from assist.areas.models import Area
from assist.core import audit
from assist.core.db import check_version, flush, touch
from assist.core.errors import Conflict
from assist.core.pagination import Page, keyset
from assist.core.scoping import scope_rule, scoped
from assist.core.validation import Invalid, Validator
from assist.extensions import db
from assist.providers.services import parse_phone
from assist.units.models import UNIT_KINDS, PartnerUnit

LABELS = {"name": pgettext("organisation", "Name"), "kind": _l("Type"), "contact": _l("Contact person"),
          "phone": _l("Phone"), "address": _l("Address"), "area_codes": _l("Paired areas"), "active": _l("Active")}
KIND_TITLES = {"department": _l("Government department"), "company": _l("Company"),
               "volunteer": _l("Volunteer team"), "other": _l("Other")}
MAX_AREAS = 100


@scope_rule(PartnerUnit)
def _unit_scope(user):
    if user.role in ("admin", "auditor", "caseworker"):
        return None
    if user.role == "unit" and user.unit_id:
        return PartnerUnit.id == user.unit_id
    return sa.false()


def _parse_areas(raw) -> list[str]:
    if isinstance(raw, str):
        raw = [c for c in re.split(r"[\s,，、]+", raw) if c]
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw) or len(raw) > MAX_AREAS:
        raise Invalid(_("must be a list of area codes"))
    codes = sorted({c.strip() for c in raw if c.strip()})
    known = set(db.session.scalars(sa.select(Area.code).where(Area.code.in_(codes)))) if codes else set()
    unknown = [c[:20] for c in codes if c not in known]
    if unknown:
        raise Invalid(_("unknown area code %(code)s", code=", ".join(unknown[:5])))
    return codes


def validate(data: dict, *, partial: bool = False) -> dict:
    """Check unit input (API body or form data); raises ValidationError naming every bad field."""
    v = Validator(data, partial=partial)
    v.text("name", LABELS["name"], required=not partial, max_length=100)
    v.choice("kind", LABELS["kind"], UNIT_KINDS, **({} if partial else {"default": "other"}))
    v.text("contact", LABELS["contact"], max_length=60)
    v.field("phone", LABELS["phone"], parse_phone)
    v.text("address", LABELS["address"], max_length=200)
    v.field("area_codes", LABELS["area_codes"], _parse_areas, default=[])
    v.boolean("active", LABELS["active"])
    v.raise_if_errors()
    if v.clean.get("kind", "") is None:  # sent empty: keep the stored kind
        v.clean.pop("kind")
    return v.clean


def _check_name_free(name: str | None, unit_id: int | None = None) -> None:
    if not name:
        return
    other = db.session.scalars(sa.select(PartnerUnit).where(PartnerUnit.name == name)).first()
    if other is not None and other.id != unit_id:
        raise Conflict(_("A partner unit named %(name)s exists already.", name=name), code="duplicate",
                       existing_id=other.id)


def _apply(unit: PartnerUnit, clean: dict) -> None:
    for key in ("name", "kind", "contact", "phone", "address", "active"):
        if key in clean:
            value = clean[key]
            if value is None:
                value = True if key == "active" else ""
            setattr(unit, key, value)
    if "area_codes" in clean:
        codes = clean["area_codes"] or []
        unit.areas = list(db.session.scalars(sa.select(Area).where(Area.code.in_(codes)))) if codes else []


def snapshot(unit: PartnerUnit) -> dict:
    data = unit.to_dict()
    data.pop("version")
    data.pop("id")
    return data


def create(data: dict, actor) -> PartnerUnit:
    """Register a partner unit; 409 ``duplicate`` (with ``existing_id``) for a name already taken."""
    clean = validate(data)
    _check_name_free(clean["name"])
    unit = PartnerUnit()
    _apply(unit, clean)
    db.session.add(unit)
    flush()
    audit.record("create", "unit", unit.id, snapshot(unit), actor=actor)
    return unit


def update(unit: PartnerUnit, data: dict, actor) -> PartnerUnit:
    """Change a unit, based on ``data['version']`` (stale → 409)."""
    check_version(unit, data.get("version"))
    clean = validate(data, partial=True)
    _check_name_free(clean.get("name"), unit.id)
    before = snapshot(unit)
    with db.session.no_autoflush:  # one UPDATE, one version step
        _apply(unit, clean)
    changes = audit.diff(before, snapshot(unit))
    if changes:
        touch(unit)  # one version step, also when only the pairings changed
        flush()
        audit.record("update", "unit", unit.id, changes, actor=actor)
    return unit


def search(user, args, *, limit: int, cursor: str | None) -> Page:
    """Units in the caller's scope; ``q`` matches the name, ``kind`` and ``active`` filter."""
    stmt = scoped(sa.select(PartnerUnit), PartnerUnit, user)
    q = (args.get("q") or "").strip()[:50]
    if q:
        stmt = stmt.where(PartnerUnit.name.contains(q, autoescape=True))
    kind = args.get("kind") or ""
    if kind:
        if kind not in UNIT_KINDS:
            from assist.core.errors import ValidationError
            raise ValidationError(fields={"kind": [_("%(field)s: %(message)s", field=LABELS["kind"],
                                                     message=_("must be one of: %(choices)s",
                                                               choices=", ".join(UNIT_KINDS)))]})
        stmt = stmt.where(PartnerUnit.kind == kind)
    if args.get("active") in ("1", "true"):
        stmt = stmt.where(PartnerUnit.active.is_(True))
    return keyset(stmt, [PartnerUnit.id], limit=limit, cursor=cursor)


def choices_for(area_code: str | None = None) -> list[tuple[str, str]]:
    """(id, name) of active units for a dispatch select: those paired with ``area_code`` first."""
    units = list(db.session.scalars(sa.select(PartnerUnit).where(PartnerUnit.active.is_(True))
                                    .order_by(PartnerUnit.name)))
    area = db.session.get(Area, area_code) if area_code else None
    if area is None:
        return [(str(u.id), u.name) for u in units]
    paired = [u for u in units if u.pairs_with(area)]
    others = [u for u in units if u not in paired]
    return ([(str(u.id), u.name + " " + _("(paired)")) for u in paired]
            + [(str(u.id), u.name) for u in others])
