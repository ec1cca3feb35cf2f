"""The needs diary (民情日志): visit records, the problem list (问题清单), its history and photos."""
from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assist.core.db import TimestampMixin, VersionMixin, utcnow
from assist.extensions import db

PROBLEM_KINDS = ("service", "policy", "governance", "wish")
PROBLEM_STATUSES = ("recorded", "dispatched", "accepted", "returned", "overdue", "resolved", "closed")
ESCALATION_LEVELS = ("street", "district")
PHOTO_KINDS = ("visit", "resolution")


class DiaryEntry(VersionMixin, TimestampMixin, db.Model):
    """One door-to-door visit: who visited, when, which household or address, notes, and the needs found."""

    __tablename__ = "diary_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    area_code: Mapped[str] = mapped_column(sa.ForeignKey("area.code"), index=True)
    visited_at: Mapped[dt.datetime] = mapped_column(index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resident.id"), index=True)
    household: Mapped[str] = mapped_column(sa.String(100), default="")
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    visitors: Mapped[str] = mapped_column(sa.String(200), default="")
    notes: Mapped[str] = mapped_column(sa.String(2000), default="")
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    area = relationship("Area", lazy="joined", innerjoin=True)
    resident = relationship("Resident")
    recorded_by = relationship("User")
    problems: Mapped[list["Problem"]] = relationship(back_populates="diary", order_by="Problem.id")
    photos: Mapped[list["DiaryPhoto"]] = relationship(
        primaryjoin="and_(DiaryPhoto.diary_id == DiaryEntry.id, DiaryPhoto.kind == 'visit')",
        order_by="DiaryPhoto.id", viewonly=True)

    __table_args__ = (sa.Index("ix_diary_entry_area_visited", "area_code", "visited_at"),)

    def to_dict(self, problems: bool = True) -> dict:
        from assist.core.timeutil import isoformat
        data = {"id": self.id, "area_code": self.area_code, "area_name": self.area.name,
                "visited_at": isoformat(self.visited_at), "resident_id": self.resident_id,
                "resident_name": self.resident.name if self.resident_id else None,
                "household": self.household, "address": self.address, "visitors": self.visitors,
                "notes": self.notes, "recorded_by": self.recorded_by.label if self.recorded_by else None,
                "photos": [p.id for p in self.photos], "version": self.version}
        if problems:
            data["problems"] = [p.to_dict() for p in self.problems]
        return data


class Problem(VersionMixin, TimestampMixin, db.Model):
    """An item on the problem list (问题清单); see :mod:`assist.diary.services` for its states.

    ``area_code`` and ``resident_id`` are copied from the diary entry so that lists, scopes and
    figures need no join. A closed item always carries the resident's answer (the check constraint
    makes "closed as satisfied without an answer" impossible at the database level too).
    """

    __tablename__ = "problem"

    id: Mapped[int] = mapped_column(primary_key=True)
    diary_id: Mapped[int] = mapped_column(sa.ForeignKey("diary_entry.id"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(12))
    description: Mapped[str] = mapped_column(sa.String(1000))
    status: Mapped[str] = mapped_column(sa.String(12), default="recorded", index=True)
    area_code: Mapped[str] = mapped_column(sa.ForeignKey("area.code"), index=True)
    resident_id: Mapped[int | None] = mapped_column(sa.ForeignKey("resident.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner_unit.id"), index=True)
    due_date: Mapped[dt.date | None] = mapped_column(index=True)
    dispatched_at: Mapped[dt.datetime | None]
    accepted_at: Mapped[dt.datetime | None]
    return_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    resolved_at: Mapped[dt.datetime | None]
    result: Mapped[str] = mapped_column(sa.String(2000), default="")
    satisfied: Mapped[bool | None]
    feedback_comment: Mapped[str] = mapped_column(sa.String(500), default="")
    feedback_at: Mapped[dt.datetime | None]
    feedback_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    closed_at: Mapped[dt.datetime | None]
    overdue_since: Mapped[dt.datetime | None]
    escalation_level: Mapped[str | None] = mapped_column(sa.String(10))
    escalated_at: Mapped[dt.datetime | None]

    diary: Mapped[DiaryEntry] = relationship(back_populates="problems")
    area = relationship("Area", lazy="joined", innerjoin=True)
    resident = relationship("Resident")
    unit = relationship("PartnerUnit")
    events: Mapped[list["ProblemEvent"]] = relationship(back_populates="problem", order_by="ProblemEvent.id")
    photos: Mapped[list["DiaryPhoto"]] = relationship(
        primaryjoin="and_(DiaryPhoto.problem_id == Problem.id, DiaryPhoto.kind == 'resolution')",
        order_by="DiaryPhoto.id", viewonly=True)

    __table_args__ = (
        sa.CheckConstraint("status <> 'closed' OR (satisfied = true AND feedback_at IS NOT NULL)",
                           name="closed_has_answer"),
        sa.Index("ix_problem_status_due", "status", "due_date"),
    )

    @property
    def is_overdue(self) -> bool:
        return self.status == "overdue"

    def to_dict(self, detail: bool = False) -> dict:
        from assist.core.timeutil import isoformat
        data = {
            "id": self.id, "diary_id": self.diary_id, "kind": self.kind, "description": self.description,
            "status": self.status, "area_code": self.area_code, "area_name": self.area.name,
            "resident_id": self.resident_id, "resident_name": self.resident.name if self.resident_id else None,
            "address": self.address, "unit_id": self.unit_id, "unit_name": self.unit.name if self.unit_id else None,
            "due_date": self.due_date.isoformat() if self.due_date else None,
            "recorded_at": isoformat(self.created_at), "dispatched_at": isoformat(self.dispatched_at),
            "accepted_at": isoformat(self.accepted_at), "return_reason": self.return_reason,
            "resolved_at": isoformat(self.resolved_at), "result": self.result, "satisfied": self.satisfied,
            "feedback_comment": self.feedback_comment, "feedback_at": isoformat(self.feedback_at),
            "closed_at": isoformat(self.closed_at), "overdue_since": isoformat(self.overdue_since),
            "escalation_level": self.escalation_level, "escalated_at": isoformat(self.escalated_at),
            "photos": [p.id for p in self.photos], "version": self.version,
        }
        if detail:
            data["events"] = [e.to_dict() for e in self.events]
        return data

    @property
    def address(self) -> str:
        """Where the need is: the visit's address, else the resident's."""
        if self.diary.address:
            return self.diary.address
        return self.resident.address if self.resident_id else ""


class ProblemEvent(db.Model):
    """The problem's history: every state change, with who, when, the unit and the reason."""

    __tablename__ = "problem_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(sa.ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # record | dispatch | accept | return | resolve | close | reopen | overdue | escalate
    kind: Mapped[str] = mapped_column(sa.String(12))
    from_status: Mapped[str | None] = mapped_column(sa.String(12))
    to_status: Mapped[str] = mapped_column(sa.String(12))
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner_unit.id"))
    reason: Mapped[str] = mapped_column(sa.String(2000), default="")
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)

    problem: Mapped[Problem] = relationship(back_populates="events")
    actor = relationship("User")
    unit = relationship("PartnerUnit")

    __table_args__ = (sa.Index("ix_problem_event_kind_at", "kind", "at"),)

    def to_dict(self) -> dict:
        from assist.core.timeutil import isoformat
        return {"at": isoformat(self.at), "kind": self.kind, "from_status": self.from_status,
                "to_status": self.to_status, "actor": self.actor.label if self.actor else "system",
                "unit_id": self.unit_id, "reason": self.reason, "data": self.data}


class DiaryPhoto(db.Model):
    """A photo of a visit or of a resolution, re-encoded (no EXIF) and stored under UPLOAD_DIR."""

    __tablename__ = "diary_photo"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(sa.String(12))  # visit | resolution
    diary_id: Mapped[int] = mapped_column(sa.ForeignKey("diary_entry.id", ondelete="CASCADE"), index=True)
    problem_id: Mapped[int | None] = mapped_column(sa.ForeignKey("problem.id", ondelete="CASCADE"), index=True)
    path: Mapped[str] = mapped_column(sa.String(300))
    sha256: Mapped[str] = mapped_column(sa.String(64))
    content_type: Mapped[str] = mapped_column(sa.String(20))
    size: Mapped[int]
    width: Mapped[int]
    height: Mapped[int]
    uploaded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    __table_args__ = (
        sa.CheckConstraint("kind = 'visit' OR problem_id IS NOT NULL", name="resolution_has_problem"),
    )

    def to_dict(self) -> dict:
        return {"id": self.id, "kind": self.kind, "diary_id": self.diary_id, "problem_id": self.problem_id,
                "sha256": self.sha256, "content_type": self.content_type, "size": self.size,
                "width": self.width, "height": self.height}
