from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assist.core.db import TimestampMixin, VersionMixin, utcnow
from assist.extensions import db

PLAN_STATUSES = ("active", "ended")
DECISION_KINDS = ("grant", "decline")


class Plan(VersionMixin, TimestampMixin, db.Model):
    """A service plan: resident × item × provider with an RFC 5545 recurrence and a monthly cap."""

    __tablename__ = "plan"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id"), index=True)
    item_code: Mapped[str] = mapped_column(sa.ForeignKey("service_item.code"), index=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    rrule: Mapped[str] = mapped_column(sa.String(300))
    start_date: Mapped[dt.date]
    end_date: Mapped[dt.date | None]
    start_time: Mapped[dt.time]
    duration_minutes: Mapped[int]
    quantity_per_visit: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(8, 2))
    monthly_cap: Mapped[int]  # visits a month (DOMAIN.md: "visits beyond the plan's monthly cap")
    notes: Mapped[str] = mapped_column(sa.String(500), default="")
    status: Mapped[str] = mapped_column(sa.String(10), default="active", index=True)
    end_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    ended_on: Mapped[dt.date | None]
    # Set when a re-assessment finds the item no longer eligible: a caseworker decides, nothing ends silently.
    needs_review: Mapped[bool] = mapped_column(default=False, index=True)
    review_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    resident = relationship("Resident", lazy="joined", innerjoin=True)
    item = relationship("ServiceItem", lazy="joined", innerjoin=True)
    provider = relationship("Provider", lazy="joined", innerjoin=True)

    __table_args__ = (sa.Index("ix_plan_resident_item_status", "resident_id", "item_code", "status"),)

    def to_dict(self, warnings: list[str] | None = None) -> dict:
        data = {
            "id": self.id, "resident_id": self.resident_id, "item_code": self.item_code,
            "item_name": self.item.name_zh, "unit": self.item.unit_zh, "provider_id": self.provider_id,
            "provider_name": self.provider.name, "rrule": self.rrule, "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat() if self.end_date else None,
            "start_time": self.start_time.strftime("%H:%M"), "duration_minutes": self.duration_minutes,
            "quantity_per_visit": float(self.quantity_per_visit), "monthly_cap": self.monthly_cap,
            "notes": self.notes, "status": self.status, "end_reason": self.end_reason,
            "ended_on": self.ended_on.isoformat() if self.ended_on else None,
            "needs_review": self.needs_review, "review_reason": self.review_reason, "version": self.version,
        }
        if warnings is not None:
            data["warnings"] = warnings
        return data


class ItemDecision(db.Model):
    """A caseworker's override of a matching verdict: grant an ineligible item or decline an eligible one."""

    __tablename__ = "item_decision"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id"), index=True)
    item_code: Mapped[str] = mapped_column(sa.ForeignKey("service_item.code"))
    kind: Mapped[str] = mapped_column(sa.String(8))
    reason: Mapped[str] = mapped_column(sa.String(500))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    revoked_at: Mapped[dt.datetime | None]

    actor = relationship("User")

    __table_args__ = (sa.Index("ix_item_decision_resident_item", "resident_id", "item_code"),)

    def to_dict(self) -> dict:
        from assist.core.timeutil import isoformat
        return {"id": self.id, "resident_id": self.resident_id, "item_code": self.item_code, "kind": self.kind,
                "reason": self.reason, "actor": self.actor.username if self.actor else None,
                "at": isoformat(self.at), "revoked_at": isoformat(self.revoked_at)}
