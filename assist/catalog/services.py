"""The catalog: admins edit everything but the codes; every edit is audited."""
from __future__ import annotations

import decimal

import sqlalchemy as sa
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import selectinload

from assist.catalog.models import Category, ServiceItem
from assist.core import audit
from assist.core.db import check_version
from assist.core.validation import Invalid, Validator
from assist.extensions import db

LABELS = {"name_zh": _l("Chinese name"), "name_en": _l("English name"), "unit_zh": _l("Unit (Chinese)"),
          "unit_en": _l("Unit (English)"), "frequency_zh": _l("Typical frequency (Chinese)"),
          "frequency_en": _l("Typical frequency (English)"), "unit_price": _l("Unit price"), "active": _l("Active")}


def categories() -> list[Category]:
    return list(db.session.scalars(sa.select(Category).order_by(Category.sort)
                                   .options(selectinload(Category.items))))


def items() -> list[ServiceItem]:
    return list(db.session.scalars(sa.select(ServiceItem).order_by(ServiceItem.code)))


def _price(raw) -> decimal.Decimal:
    try:
        value = decimal.Decimal(str(raw).strip())
    except decimal.InvalidOperation:
        raise Invalid(_("must be a number"))
    if not value.is_finite() or value < 0 or value > 100000:
        raise Invalid(_("must be between 0 and 100000"))
    return value.quantize(decimal.Decimal("0.01"))


def update_item(item: ServiceItem, data: dict, actor) -> ServiceItem:
    check_version(item, data.get("version"))
    v = Validator(data, partial=True)
    for key, size in (("name_zh", 40), ("name_en", 80), ("unit_zh", 10), ("unit_en", 20), ("frequency_zh", 100),
                      ("frequency_en", 120)):
        v.text(key, LABELS[key], max_length=size, required=key in data and key in ("name_zh", "unit_zh"))
    v.field("unit_price", LABELS["unit_price"], _price)
    v.boolean("active", LABELS["active"])
    v.raise_if_errors()
    before = item.to_dict()
    for key, value in v.clean.items():
        setattr(item, key, value if value is not None else "")
    db.session.flush()
    changes = audit.diff(before, item.to_dict())
    changes.pop("version", None)
    if changes:
        audit.record("update", "catalog_item", item.code, changes, actor=actor)
    return item
