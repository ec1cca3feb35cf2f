from __future__ import annotations

import datetime as dt
import decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assist.core.db import utcnow
from assist.extensions import db


class PrintRecord(db.Model):
    """Every printed PDF: its verification code, SHA-256, what it was and who printed it when."""

    __tablename__ = "print_record"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(16), unique=True)
    sha256: Mapped[str | None] = mapped_column(sa.String(64))
    kind: Mapped[str] = mapped_column(sa.String(20))  # history | history_batch | settlement | summary | anomalies
    title: Mapped[str] = mapped_column(sa.String(200))
    object_type: Mapped[str | None] = mapped_column(sa.String(30))
    object_id: Mapped[str | None] = mapped_column(sa.String(40))
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    printed_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    printed_by: Mapped[str] = mapped_column(sa.String(80))
    printed_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    size: Mapped[int] = mapped_column(default=0)


class SettlementBatch(db.Model):
    """A provider's monthly settlement as issued: lines frozen at quantity × unit price."""

    __tablename__ = "settlement_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    provider_id: Mapped[int] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    month: Mapped[str] = mapped_column(sa.String(7))  # YYYY-MM
    gross: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(12, 2))
    deducted: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(12, 2))
    net: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(12, 2))
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    print_code: Mapped[str | None] = mapped_column(sa.String(16))

    lines: Mapped[list["SettlementLine"]] = relationship(back_populates="batch", order_by="SettlementLine.id",
                                                         cascade="all, delete-orphan")
    provider = relationship("Provider")

    __table_args__ = (sa.Index("ix_settlement_batch_provider_month", "provider_id", "month"),)


class SettlementLine(db.Model):
    __tablename__ = "settlement_line"

    id: Mapped[int] = mapped_column(primary_key=True)
    batch_id: Mapped[int] = mapped_column(sa.ForeignKey("settlement_batch.id", ondelete="CASCADE"), index=True)
    visit_id: Mapped[int] = mapped_column(sa.ForeignKey("visit.id"), index=True)
    item_code: Mapped[str] = mapped_column(sa.String(4))
    quantity: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(8, 2))
    unit_price: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(10, 2))
    amount: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(12, 2))
    deduction: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(12, 2), default=0)
    deduction_reason: Mapped[str] = mapped_column(sa.String(200), default="")

    batch: Mapped[SettlementBatch] = relationship(back_populates="lines")


class PrintJob(db.Model):
    """A batch print (many residents' histories in one PDF) running in the background."""

    __tablename__ = "print_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    status: Mapped[str] = mapped_column(sa.String(10), default="queued")  # queued | running | done | failed
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    params: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    resident_ids: Mapped[list] = mapped_column(sa.JSON, default=list)
    code: Mapped[str | None] = mapped_column(sa.String(16))
    path: Mapped[str | None] = mapped_column(sa.String(300))
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[dt.datetime | None]

    def to_dict(self) -> dict:
        return {"id": self.id, "status": self.status, "total": self.total, "done": self.done, "code": self.code,
                "message": self.message}
