from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assist.core.db import TimestampMixin, VersionMixin, utcnow
from assist.extensions import db

VISIT_STATUSES = ("scheduled", "checked_in", "completed", "missed", "cancelled")
RATINGS = ("satisfied", "basically", "unsatisfied")


class Visit(VersionMixin, TimestampMixin, db.Model):
    """A dated service visit (服务工单) generated from a plan's recurrence.

    ``occurrence_date`` is the plan occurrence the visit stands for: with ``plan_id`` it is unique,
    so generating the schedule twice never creates a second visit, even after a reschedule moved it.
    """

    __tablename__ = "visit"

    id: Mapped[int] = mapped_column(primary_key=True)
    plan_id: Mapped[int] = mapped_column(sa.ForeignKey("plan.id"), index=True)
    occurrence_date: Mapped[dt.date | None]  # None for ad-hoc visits (rework)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id"), index=True)
    item_code: Mapped[str] = mapped_column(sa.ForeignKey("service_item.code"))
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"))
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    service_point_id: Mapped[int | None] = mapped_column()
    scheduled_start: Mapped[dt.datetime]
    scheduled_end: Mapped[dt.datetime]
    status: Mapped[str] = mapped_column(sa.String(12), default="scheduled")
    check_in_at: Mapped[dt.datetime | None]
    check_in_lat: Mapped[float | None]
    check_in_lng: Mapped[float | None]
    check_out_at: Mapped[dt.datetime | None]
    completed_entered_at: Mapped[dt.datetime | None]  # when the completion was recorded (补录 checks)
    quantity: Mapped[decimal.Decimal | None] = mapped_column(sa.Numeric(8, 2))
    notes: Mapped[str] = mapped_column(sa.String(2000), default="")
    over_cap: Mapped[bool] = mapped_column(default=False)
    over_cap_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    cancel_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    rating: Mapped[str | None] = mapped_column(sa.String(12))
    rating_comment: Mapped[str] = mapped_column(sa.String(500), default="")
    rated_at: Mapped[dt.datetime | None]
    rework_of_id: Mapped[int | None] = mapped_column(sa.ForeignKey("visit.id"))
    verified_at: Mapped[dt.datetime | None]
    verified_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    plan = relationship("Plan", lazy="joined", innerjoin=True)
    resident = relationship("Resident", lazy="joined", innerjoin=True)
    item = relationship("ServiceItem", lazy="joined", innerjoin=True)
    provider = relationship("Provider", lazy="joined", innerjoin=True)
    staff = relationship("User", foreign_keys=[staff_id])
    files: Mapped[list["VisitFile"]] = relationship(back_populates="visit", order_by="VisitFile.id")
    events: Mapped[list["VisitEvent"]] = relationship(back_populates="visit", order_by="VisitEvent.id")

    __table_args__ = (
        sa.UniqueConstraint("plan_id", "occurrence_date"),
        sa.Index("ix_visit_provider_start", "provider_id", "scheduled_start"),
        sa.Index("ix_visit_start", "scheduled_start"),
        sa.Index("ix_visit_status_start", "status", "scheduled_start"),
        sa.Index("ix_visit_staff_start", "staff_id", "scheduled_start"),
    )

    @property
    def photo_count(self) -> int:
        return sum(1 for f in self.files if f.kind == "photo")

    @property
    def has_signature(self) -> bool:
        return any(f.kind == "signature" for f in self.files)

    def to_dict(self) -> dict:
        from assist.core.timeutil import isoformat
        return {
            "id": self.id, "plan_id": self.plan_id, "resident_id": self.resident_id, "item_code": self.item_code,
            "provider_id": self.provider_id, "staff_id": self.staff_id,
            "scheduled_start": isoformat(self.scheduled_start), "scheduled_end": isoformat(self.scheduled_end),
            "status": self.status, "check_in_at": isoformat(self.check_in_at),
            "check_out_at": isoformat(self.check_out_at),
            "quantity": float(self.quantity) if self.quantity is not None else None, "notes": self.notes,
            "rating": self.rating, "rating_comment": self.rating_comment,
            "lat": self.check_in_lat, "lng": self.check_in_lng, "over_cap": self.over_cap,
            "over_cap_reason": self.over_cap_reason, "cancel_reason": self.cancel_reason,
            "rework_of_id": self.rework_of_id, "service_point_id": self.service_point_id,
            "verified": self.verified_at is not None, "photos": self.photo_count,
            "signature": self.has_signature, "version": self.version,
        }


class VisitEvent(db.Model):
    """The visit's history: assignments, reschedules, cancellations, amendments, each with its reason."""

    __tablename__ = "visit_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.String(500), default="")
    changes: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    visit: Mapped[Visit] = relationship(back_populates="events")
    actor = relationship("User")


class VisitFile(db.Model):
    """A photo or the resident's signature, stored outside the web root under ASSIST_UPLOAD_DIR."""

    __tablename__ = "visit_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visit.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(10))  # photo | signature
    path: Mapped[str] = mapped_column(sa.String(300))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(20))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    visit: Mapped[Visit] = relationship(back_populates="files")

    def to_dict(self) -> dict:
        return {"id": self.id, "visit_id": self.visit_id, "kind": self.kind, "sha256": self.sha256,
                "content_type": self.content_type, "size": self.size, "width": self.width, "height": self.height}
