"""Service points of the 15-minute community life circle: validation, create/update, lists per
community, and the choices a visit's place is picked from (:func:`choices_for`)."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # lazy; named so that pybabel's default keywords extract it

from assist.areas.models import Area
from assist.catalog.models import ServiceItem
from assist.core import audit
from assist.core.db import check_version, flush, touch
from assist.core.errors import ValidationError
from assist.core.pagination import Page, keyset
from assist.core.scoping import scope_rule, scoped
from assist.core.validation import Invalid, Validator
from assist.extensions import db
from assist.providers.services import parse_phone
from assist.servicepoints.models import SERVICE_POINT_KINDS, ServicePoint, service_point_item

LABELS = {"kind": _l("Type"), "name": pgettext("organisation", "Name"), "address": _l("Address"),
          "area_code": _l("Community"),
          "opening_hours": _l("Opening hours"), "contact": _l("Contact person"), "phone": _l("Phone"),
          "item_codes": _l("Service items"), "active": _l("Active")}
KIND_TITLES = {"dispatch_centre": _l("Elderly-care dispatch centre"), "care_centre": _l("Home-care service centre"),
               "care_station": _l("Home-care service station"), "convenience_post": _l("Convenience service post"),
               "family_doctor": _l("Family-doctor team")}


@scope_rule(ServicePoint)
def _point_scope(user):
    # Public facilities of the district: every signed-in role may see them (a provider picks one as
    # the place of a centre-based visit); caseworkers change only those in their areas.
    return None


def _field_error(key: str, message) -> ValidationError:
    return ValidationError(fields={key: [_("%(field)s: %(message)s", field=str(LABELS[key]), message=str(message))]})


def _parse_area(raw) -> str:
    code = str(raw).strip()[:20]
    if db.session.get(Area, code) is None:
        raise Invalid(_("unknown area code %(code)s", code=code))
    return code


def _parse_items(raw) -> list[str]:
    if isinstance(raw, str):
        raw = [c for c in re.split(r"[\s,，、]+", raw) if c]
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw) or len(raw) > 100:
        raise Invalid(_("must be a list of codes"))
    codes = sorted({c.strip().upper() for c in raw if c.strip()})
    known = set(db.session.scalars(sa.select(ServiceItem.code).where(ServiceItem.code.in_(codes)))) if codes else set()
    unknown = [c[:4] for c in codes if c not in known]
    if unknown:
        raise Invalid(_("unknown code %(code)s", code=", ".join(unknown[:5])))
    return codes


def validate(data: dict, *, partial: bool = False) -> dict:
    v = Validator(data, partial=partial)
    v.choice("kind", LABELS["kind"], SERVICE_POINT_KINDS, required=not partial)
    v.text("name", LABELS["name"], required=not partial, max_length=100)
    v.text("address", LABELS["address"], max_length=200)
    v.field("area_code", LABELS["area_code"], _parse_area, required=not partial)
    v.text("opening_hours", LABELS["opening_hours"], max_length=100)
    v.text("contact", LABELS["contact"], max_length=60)
    v.field("phone", LABELS["phone"], parse_phone)
    v.field("item_codes", LABELS["item_codes"], _parse_items, default=[])
    v.boolean("active", LABELS["active"])
    v.raise_if_errors()
    return v.clean


def _check_area_scope(actor, area_code: str | None) -> None:
    if area_code is None or getattr(actor, "role", None) != "caseworker":
        return
    area = db.session.get(Area, area_code)
    if not any(area.path.startswith(a.path) for a in actor.areas):
        raise _field_error("area_code", _("is outside your areas"))


def _apply(point: ServicePoint, clean: dict) -> None:
    for key in ("kind", "name", "address", "area_code", "opening_hours", "contact", "phone", "active"):
        if key in clean:
            value = clean[key]
            if value is None:
                value = True if key == "active" else ""
            setattr(point, key, value)
    if "item_codes" in clean:
        codes = clean["item_codes"] or []
        point.items = (list(db.session.scalars(sa.select(ServiceItem).where(ServiceItem.code.in_(codes))))
                       if codes else [])


def snapshot(point: ServicePoint) -> dict:
    data = point.to_dict()
    for key in ("id", "version", "area_name"):
        data.pop(key)
    return data


def create(data: dict, actor) -> ServicePoint:
    clean = validate(data)
    _check_area_scope(actor, clean["area_code"])
    point = ServicePoint()
    _apply(point, clean)
    db.session.add(point)
    flush()
    audit.record("create", "service_point", point.id, snapshot(point), actor=actor)
    return point


def update(point: ServicePoint, data: dict, actor) -> ServicePoint:
    check_version(point, data.get("version"))
    clean = validate(data, partial=True)
    _check_area_scope(actor, point.area_code)
    _check_area_scope(actor, clean.get("area_code"))
    before = snapshot(point)
    with db.session.no_autoflush:  # one UPDATE, one version step
        _apply(point, clean)
    changes = audit.diff(before, snapshot(point))
    if changes:
        touch(point)  # one version step, also when only the relationships changed
        flush()
        audit.record("update", "service_point", point.id, changes, actor=actor)
    return point


def can_edit(point: ServicePoint, user) -> bool:
    if user.role == "admin":
        return True
    return user.role == "caseworker" and any(point.area.path.startswith(a.path) for a in user.areas)


def filtered(user, args):
    """Scoped SELECT: ``area_code`` (the area and everything below it), ``kind``, ``item_code``, ``active``."""
    stmt = scoped(sa.select(ServicePoint), ServicePoint, user)
    if args.get("area_code"):
        area = db.session.get(Area, str(args["area_code"]).strip()[:20])
        if area is None:
            raise _field_error("area_code", _("unknown area code %(code)s", code=str(args["area_code"])[:20]))
        stmt = stmt.where(ServicePoint.area_code.in_(sa.select(Area.code).where(
            Area.path.startswith(area.path, autoescape=True))))
    kind = args.get("kind") or ""
    if kind:
        if kind not in SERVICE_POINT_KINDS:
            raise _field_error("kind", _("must be one of: %(choices)s", choices=", ".join(SERVICE_POINT_KINDS)))
        stmt = stmt.where(ServicePoint.kind == kind)
    if args.get("item_code"):
        stmt = stmt.where(ServicePoint.id.in_(sa.select(service_point_item.c.service_point_id).where(
            service_point_item.c.item_code == str(args["item_code"]).strip().upper()[:4])))
    if args.get("active") in ("1", "true"):
        stmt = stmt.where(ServicePoint.active.is_(True))
    return stmt


def search(user, args, *, limit: int, cursor: str | None) -> Page:
    return keyset(filtered(user, args), [ServicePoint.id], limit=limit, cursor=cursor)


def by_community(user, args) -> list[tuple[Area, list[ServicePoint]]]:
    """The points grouped by the area they stand in, in area order (the page's list per community)."""
    stmt = filtered(user, args).join(Area, Area.code == ServicePoint.area_code).order_by(Area.path, ServicePoint.kind,
                                                                                        ServicePoint.name)
    groups: dict[str, tuple[Area, list]] = {}
    for point in db.session.scalars(stmt).unique():
        groups.setdefault(point.area_code, (point.area, []))[1].append(point)
    return list(groups.values())


def points_for(area_code: str, item_code: str | None = None) -> list[ServicePoint]:
    """Active points that can serve a resident of ``area_code``, nearest first: those in the area
    itself (or below it), then the rest of its street, then those standing higher up (the district
    dispatch centre). With ``item_code``, only points that provide that item."""
    area = db.session.get(Area, area_code) if area_code else None
    if area is None:
        return []
    # The street (or the area itself, if it is a street or the district) bounds the 15-minute circle.
    parts = [p for p in area.path.split("/") if p]
    street_path = "/".join(parts[:2]) + "/" if len(parts) >= 2 else area.path
    ancestors = ["/".join(parts[:i]) + "/" for i in range(1, len(parts))]
    stmt = (sa.select(ServicePoint).join(Area, Area.code == ServicePoint.area_code)
            .where(ServicePoint.active.is_(True),
                   sa.or_(Area.path.startswith(street_path, autoescape=True), Area.path.in_(ancestors))))
    if item_code:
        stmt = stmt.where(ServicePoint.id.in_(sa.select(service_point_item.c.service_point_id)
                                              .where(service_point_item.c.item_code == item_code.upper())))
    points = list(db.session.scalars(stmt).unique())

    def distance(p: ServicePoint) -> int:
        if p.area.path.startswith(area.path):
            return 0
        if p.area.path.startswith(street_path):
            return 1
        return 2
    return sorted(points, key=lambda p: (distance(p), p.name, p.id))


def choices_for(area_code: str, item_code: str | None = None) -> list[tuple[int, str]]:
    """``(id, label)`` pairs for a select of the place of a day-care or centre-based visit, nearest
    first (see :func:`points_for`); the label reads "name · community · type"."""
    return [(p.id, f"{p.name} · {p.area.name} · {KIND_TITLES[p.kind]}") for p in points_for(area_code, item_code)]
