from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assist.areas.models import Area
from assist.core.db import TimestampMixin, VersionMixin
from assist.extensions import db

UNIT_KINDS = ("department", "company", "volunteer", "other")

# The communities (or streets) a unit is paired with (包联): offered first when dispatching there.
unit_area = sa.Table(
    "partner_unit_area", db.metadata,
    sa.Column("unit_id", sa.ForeignKey("partner_unit.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_code", sa.ForeignKey("area.code"), primary_key=True),
)


class PartnerUnit(VersionMixin, TimestampMixin, db.Model):
    """包联单位: a department, company or volunteer team that takes needs from the needs diary.

    Its staff are users of role ``unit`` (``User.unit_id``); they see only the problem items
    dispatched to their unit.
    """

    __tablename__ = "partner_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(12), default="other")
    contact: Mapped[str] = mapped_column(sa.String(60), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    active: Mapped[bool] = mapped_column(default=True)

    areas: Mapped[list[Area]] = relationship(secondary=unit_area, order_by=Area.code)

    @property
    def area_codes(self) -> list[str]:
        return [a.code for a in self.areas]

    def pairs_with(self, area: Area) -> bool:
        """Paired with ``area`` or with an area above it."""
        return any(area.path.startswith(a.path) for a in self.areas)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind, "contact": self.contact,
                "phone": self.phone, "address": self.address, "area_codes": self.area_codes,
                "active": self.active, "version": self.version}
