from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assist.core.db import TimestampMixin, VersionMixin
from assist.extensions import db

SERVICE_POINT_KINDS = ("dispatch_centre", "care_centre", "care_station", "convenience_post", "family_doctor")

service_point_item = sa.Table(
    "service_point_item", db.metadata,
    sa.Column("service_point_id", sa.ForeignKey("service_point.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("item_code", sa.ForeignKey("service_item.code"), primary_key=True),
)


class ServicePoint(VersionMixin, TimestampMixin, db.Model):
    """A place of the 15-minute community life circle (一刻钟社区生活圈): the elderly-care dispatch
    centre, home-care centres and stations, convenience posts, family-doctor teams.

    ``area_code`` is where it stands (usually a community; the district's dispatch centre stands at
    district level); ``items`` are the catalog items it can provide (a day-care centre: D4 …).
    """

    __tablename__ = "service_point"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(20), index=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    area_code: Mapped[str] = mapped_column(sa.ForeignKey("area.code"), index=True)
    opening_hours: Mapped[str] = mapped_column(sa.String(100), default="")
    contact: Mapped[str] = mapped_column(sa.String(60), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    active: Mapped[bool] = mapped_column(default=True)

    area = relationship("Area", lazy="joined", innerjoin=True)
    items = relationship("ServiceItem", secondary=service_point_item, order_by="ServiceItem.code")

    @property
    def item_codes(self) -> list[str]:
        return [i.code for i in self.items]

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "name": self.name, "address": self.address,
                "area_code": self.area_code, "area_name": self.area.name, "opening_hours": self.opening_hours,
                "contact": self.contact, "phone": self.phone, "item_codes": self.item_codes,
                "active": self.active, "version": self.version}
