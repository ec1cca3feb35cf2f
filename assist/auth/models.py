from __future__ import annotations

import datetime as dt
import secrets

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assist.areas.models import Area
from assist.core.db import TimestampMixin, VersionMixin, utcnow
from assist.extensions import db

user_area = sa.Table(
    "user_area", db.metadata,
    sa.Column("user_id", sa.ForeignKey("user.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("area_code", sa.ForeignKey("area.code"), primary_key=True),
)


def _nonce() -> str:
    return secrets.token_hex(8)


class User(UserMixin, VersionMixin, TimestampMixin, db.Model):
    __tablename__ = "user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(40), unique=True)
    display_name: Mapped[str] = mapped_column(sa.String(60), default="")
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(12), index=True)
    provider_id: Mapped[int | None] = mapped_column(sa.ForeignKey("provider.id"), index=True)
    unit_id: Mapped[int | None] = mapped_column(sa.ForeignKey("partner_unit.id"), index=True)
    locale: Mapped[str | None] = mapped_column(sa.String(12))
    active: Mapped[bool] = mapped_column(default=True)
    # Rotated on password change or deactivation: every session cookie issued before is void.
    session_nonce: Mapped[str] = mapped_column(sa.String(16), default=_nonce)
    last_login_at: Mapped[dt.datetime | None]

    areas: Mapped[list[Area]] = relationship(secondary=user_area, order_by=Area.code)
    provider = relationship("Provider")
    unit = relationship("PartnerUnit")

    def get_id(self) -> str:
        return f"{self.id}.{self.session_nonce}"

    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def label(self) -> str:
        return self.display_name or self.username

    def to_dict(self) -> dict:
        return {"id": self.id, "username": self.username, "display_name": self.display_name,
                "role": self.role, "area_codes": [a.code for a in self.areas],
                "provider_id": self.provider_id, "unit_id": self.unit_id, "locale": self.locale,
                "active": self.active, "version": self.version}


class ApiToken(db.Model):
    """Bearer tokens: only a SHA-256 of the token is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]

    user: Mapped[User] = relationship()


class LoginAttempt(db.Model):
    """Failed and successful logins, for throttling (等保: 登录失败处理) and the audit trail."""

    __tablename__ = "login_attempt"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(sa.String(80))
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    success: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (sa.Index("ix_login_attempt_username_at", "username", "at"),
                      sa.Index("ix_login_attempt_ip_at", "ip", "at"))
