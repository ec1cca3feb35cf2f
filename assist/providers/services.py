"""Service providers: validation, create/update, lookups."""
from __future__ import annotations

import decimal
import re

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # lazy; named so that pybabel's default keywords extract it
from stdnum.cn import uscc
from stdnum.exceptions import ValidationError as StdnumError

from assist.areas.models import Area
from assist.catalog.models import ServiceItem
from assist.core import audit
from assist.core.db import check_version, touch
from assist.core.errors import Conflict
from assist.core.scoping import scope_rule
from assist.core.validation import Invalid, Validator
from assist.extensions import db
from assist.providers.models import PROVIDER_KINDS, Provider, ProviderItem

LABELS = {
    "name": pgettext("organisation", "Name"), "uscc": _l("Unified social credit code"), "kind": _l("Type"),
    "contact": _l("Contact person"),
    "phone": _l("Phone"), "address": _l("Address"), "weekly_capacity": _l("Weekly capacity"),
    "item_codes": _l("Service items"), "area_codes": _l("Areas served"), "unit_prices": _l("Unit prices"),
    "contract_start": _l("Contract start"), "contract_end": _l("Contract end"), "active": _l("Active"),
}
KIND_TITLES = {"social_org": _l("Social organisation"), "volunteer": _l("Volunteer team"),
               "community_station": _l("Community station"), "enterprise": _l("Enterprise")}
PHONE_RE = re.compile(r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8}(-\d{1,5})?)$")


@scope_rule(Provider)
def _provider_scope(user):
    if user.role == "provider":
        return Provider.id == user.provider_id
    if user.role in ("admin", "auditor", "caseworker"):
        return None
    return sa.false()


def parse_uscc(raw) -> str:
    value = re.sub(r"\s", "", str(raw)).upper()
    try:
        return uscc.validate(value)
    except StdnumError:
        raise Invalid(_("is not a valid 18-character unified social credit code"))


def parse_phone(raw) -> str:
    value = re.sub(r"\s", "", str(raw))
    if not PHONE_RE.match(value):
        raise Invalid(_("must be a mobile number or a landline such as 0473-1234567"))
    return value


def _code_list(column, upper: bool = False):
    """Parse a list (or comma-separated text) of codes that must exist in ``column``."""
    def parse(raw):
        if isinstance(raw, str):
            raw = [c for c in re.split(r"[\s,，、]+", raw) if c]
        if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw) or len(raw) > 500:
            raise Invalid(_("must be a list of codes"))
        codes = sorted(set(c.strip().upper() if upper else c.strip() for c in raw))
        known = set(db.session.scalars(sa.select(column).where(column.in_(codes)))) if codes else set()
        unknown = [c for c in codes if c not in known]
        if unknown:
            raise Invalid(_("unknown code %(code)s", code=", ".join(unknown[:5])))
        return codes
    return parse


def _parse_prices(raw) -> dict:
    if not isinstance(raw, dict):
        raise Invalid(_("must be an object of item code → price"))
    out = {}
    for code, price in raw.items():
        try:
            value = decimal.Decimal(str(price))
        except decimal.InvalidOperation:
            raise Invalid(_("price for %(code)s is not a number", code=code))
        if not value.is_finite() or value < 0 or value > 100000:
            raise Invalid(_("price for %(code)s must be between 0 and 100000", code=code))
        out[str(code).upper()] = value.quantize(decimal.Decimal("0.01"))
    return out


def validate(data: dict, *, partial: bool = False) -> dict:
    v = Validator(data, partial=partial)
    v.text("name", LABELS["name"], required=not partial, max_length=100)
    v.field("uscc", LABELS["uscc"], parse_uscc)
    v.choice("kind", LABELS["kind"], PROVIDER_KINDS, default="social_org")
    v.text("contact", LABELS["contact"], max_length=60)
    v.field("phone", LABELS["phone"], parse_phone)
    v.text("address", LABELS["address"], max_length=200)
    v.integer("weekly_capacity", LABELS["weekly_capacity"], min_value=0, max_value=100000, default=0)
    v.field("item_codes", LABELS["item_codes"], _code_list(ServiceItem.code, upper=True), default=[])
    v.field("area_codes", LABELS["area_codes"], _code_list(Area.code), default=[])
    prices = v.field("unit_prices", LABELS["unit_prices"], _parse_prices, default={})
    start = v.date("contract_start", LABELS["contract_start"])
    end = v.date("contract_end", LABELS["contract_end"])
    v.boolean("active", LABELS["active"])
    if start and end and end < start:
        v.error("contract_end", LABELS["contract_end"], _("must not be before the start"))
    if prices and "item_codes" in v.clean:
        stray = sorted(set(prices) - set(v.clean["item_codes"] or []))
        if stray:
            v.error("unit_prices", LABELS["unit_prices"], _("price given for an item not offered: %(code)s",
                                                            code=", ".join(stray)))
    v.raise_if_errors()
    return v.clean


def _apply(provider: Provider, clean: dict) -> None:
    for key in ("name", "uscc", "kind", "contact", "phone", "address", "weekly_capacity", "contract_start",
                "contract_end", "active"):
        if key in clean:
            value = clean[key]
            if value is None and key in ("contact", "phone", "address"):
                value = ""
            setattr(provider, key, value)
    if "item_codes" in clean or "unit_prices" in clean:
        codes = clean.get("item_codes", provider.item_codes) or []
        prices = clean.get("unit_prices", {i.item_code: i.unit_price for i in provider.items}) or {}
        existing = {i.item_code: i for i in provider.items}
        provider.items = [existing.get(c) or ProviderItem(item_code=c) for c in codes]
        for pi in provider.items:
            pi.unit_price = prices.get(pi.item_code)
    if "area_codes" in clean:
        codes = clean["area_codes"] or []
        provider.areas = list(db.session.scalars(sa.select(Area).where(Area.code.in_(codes)))) if codes else []


def _check_uscc_free(code: str | None, provider_id: int | None = None) -> None:
    if not code:
        return
    other = db.session.scalars(sa.select(Provider).where(Provider.uscc == code)).first()
    if other is not None and other.id != provider_id:
        raise Conflict(_("A provider with this unified social credit code exists: %(name)s", name=other.name),
                       code="duplicate", existing_id=other.id)


def create(data: dict, actor) -> Provider:
    clean = validate(data)
    _check_uscc_free(clean.get("uscc"))
    provider = Provider()
    _apply(provider, clean)
    db.session.add(provider)
    db.session.flush()
    audit.record("create", "provider", provider.id, _snapshot(provider), actor=actor)
    return provider


def update(provider: Provider, data: dict, actor) -> Provider:
    check_version(provider, data.get("version"))
    clean = validate(data, partial=True)
    _check_uscc_free(clean.get("uscc"), provider.id)
    before = _snapshot(provider)
    _apply(provider, clean)
    db.session.flush()
    changes = audit.diff(before, _snapshot(provider))
    if changes:
        touch(provider)
        db.session.flush()
        audit.record("update", "provider", provider.id, changes, actor=actor)
    return provider


def _snapshot(provider: Provider) -> dict:
    data = provider.to_dict()
    data.pop("version")
    return data
