from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from assist.core.db import TimestampMixin, VersionMixin
from assist.extensions import db

PROVIDER_KINDS = ("social_org", "volunteer", "community_station", "enterprise")


class Provider(VersionMixin, TimestampMixin, db.Model):
    """A service provider organisation bought in by the bureau."""

    __tablename__ = "provider"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    uscc: Mapped[str | None] = mapped_column(sa.String(18), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(20), default="social_org")
    contact: Mapped[str] = mapped_column(sa.String(60), default="")
    phone: Mapped[str] = mapped_column(sa.String(20), default="")
    weekly_capacity: Mapped[int] = mapped_column(default=0)
    active: Mapped[bool] = mapped_column(default=True)

    def to_dict(self) -> dict:
        return {"id": self.id, "name": self.name, "uscc": self.uscc, "kind": self.kind, "contact": self.contact,
                "phone": self.phone, "weekly_capacity": self.weekly_capacity, "active": self.active,
                "version": self.version}
