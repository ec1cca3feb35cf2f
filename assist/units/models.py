from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from assist.core.db import TimestampMixin, VersionMixin
from assist.extensions import db

UNIT_KINDS = ("department", "company", "volunteer", "other")


class PartnerUnit(VersionMixin, TimestampMixin, db.Model):
    """包联单位: a department, company or volunteer team that takes needs from the needs diary."""

    __tablename__ = "partner_unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    kind: Mapped[str] = mapped_column(sa.String(12), default="other")
    contact: Mapped[str] = mapped_column(sa.String(60), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    active: Mapped[bool] = mapped_column(default=True)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "kind": self.kind, "contact": self.contact,
                "phone": self.phone, "active": self.active, "version": self.version}
