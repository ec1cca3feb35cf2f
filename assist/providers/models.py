from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assist.areas.models import Area
from assist.core.db import TimestampMixin, VersionMixin
from assist.extensions import db

PROVIDER_KINDS = ("social_org", "volunteer", "community_station", "enterprise")

provider_area = sa.Table(
    "provider_area", db.metadata,
    sa.Column("provider_id", sa.ForeignKey("provider.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_code", sa.ForeignKey("area.code"), primary_key=True),
)


class ProviderItem(db.Model):
    """An item a provider offers, with its contract price where it differs from the catalog's."""

    __tablename__ = "provider_item"

    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id", ondelete="CASCADE"), primary_key=True)
    item_code: Mapped[str] = mapped_column(sa.ForeignKey("service_item.code"), primary_key=True)
    unit_price: Mapped[decimal.Decimal | None] = mapped_column(sa.Numeric(10, 2))

    item = relationship("ServiceItem", lazy="joined")


class Provider(VersionMixin, TimestampMixin, db.Model):
    """A service provider organisation bought in by the bureau; its staff are provider-role users."""

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    uscc: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="social_org")
    contact: Mapped[str] = mapped_column(sa.String(60), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    weekly_capacity: Mapped[int] = mapped_column(default=0)
    contract_start: Mapped[dt.date | None]
    contract_end: Mapped[dt.date | None]
    active: Mapped[bool] = mapped_column(default=True)

    items: Mapped[list[ProviderItem]] = relationship(cascade="all, delete-orphan", order_by=ProviderItem.item_code)
    areas: Mapped[list[Area]] = relationship(secondary=provider_area, order_by=Area.code)

    @property
    def item_codes(self) -> list[str]:
        return [i.item_code for i in self.items]

    def price_for(self, item) -> decimal.Decimal:
        for pi in self.items:
            if pi.item_code == item.code and pi.unit_price is not None:
                return pi.unit_price
        return item.unit_price

    def serves(self, area: Area) -> bool:
        return any(area.path.startswith(a.path) for a in self.areas)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "uscc": self.uscc, "kind": self.kind, "contact": self.contact,
                "phone": self.phone, "address": self.address, "weekly_capacity": self.weekly_capacity,
                "item_codes": self.item_codes, "area_codes": [a.code for a in self.areas],
                "unit_prices": {i.item_code: str(i.unit_price) for i in self.items if i.unit_price is not None},
                "contract_start": self.contract_start.isoformat() if self.contract_start else None,
                "contract_end": self.contract_end.isoformat() if self.contract_end else None,
                "active": self.active, "version": self.version}
