from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assist.areas.models import Area
from assist.core import crypto
from assist.core.db import TimestampMixin, VersionMixin, utcnow
from assist.core.pinyin import keys as pinyin_keys
from assist.core.timeutil import age_on, local_today
from assist.extensions import db
from assist.residents.conditions import CONDITION_KEYS


class Resident(VersionMixin, TimestampMixin, db.Model):
    """A resident in difficulty on the register.

    The ID and phone numbers are stored encrypted (:class:`~assist.core.crypto.Encrypted`) and
    found through blind indexes: the full number (duplicate check), its last 4 characters (search).
    The current assessed conditions are columns, so lists filter and bulk matching reads them
    without joins; each assessment is also kept as a dated snapshot (:class:`Assessment`).
    """

    __tablename__ = "resident"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(50))
    name_pinyin: Mapped[str] = mapped_column(sa.String(200), index=True, default="")
    name_initials: Mapped[str] = mapped_column(sa.String(60), index=True, default="")
    id_number_enc: Mapped[str] = mapped_column("id_number", crypto.Encrypted())
    id_number_bidx: Mapped[str] = mapped_column(sa.String(32), unique=True)
    id_tail_bidx: Mapped[str] = mapped_column(sa.String(32), index=True)
    gender: Mapped[str] = mapped_column(sa.String(6))
    birth_date: Mapped[dt.date] = mapped_column(index=True)
    phone_enc: Mapped[str | None] = mapped_column("phone", crypto.Encrypted())
    phone_bidx: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    phone_tail_bidx: Mapped[str | None] = mapped_column(sa.String(32), index=True)
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    area_code: Mapped[str] = mapped_column(sa.ForeignKey("area.code"), index=True)
    assistance_type: Mapped[str] = mapped_column(sa.String(10), index=True)
    assistance_since: Mapped[dt.date | None]
    status: Mapped[str] = mapped_column(sa.String(12), default="active", index=True)
    status_reason: Mapped[str] = mapped_column(sa.String(500), default="")
    status_reason_kind: Mapped[str | None] = mapped_column(sa.String(20))
    status_changed_at: Mapped[dt.datetime | None]
    emergency_contact_name: Mapped[str] = mapped_column(sa.String(50), default="")
    # The home's position, when a caseworker records it: the reference for check-in locations.
    home_lat: Mapped[float | None]
    home_lng: Mapped[float | None]
    emergency_contact_phone_enc: Mapped[str | None] = mapped_column("emergency_contact_phone", crypto.Encrypted())

    # Current assessed conditions (DOMAIN.md).
    self_care_level: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    disability_grade: Mapped[int] = mapped_column(sa.SmallInteger, default=0)
    lives_alone: Mapped[bool] = mapped_column(default=False)
    no_close_relatives: Mapped[bool] = mapped_column(default=False)
    widowed: Mapped[bool] = mapped_column(default=False)
    chronic_illness: Mapped[bool] = mapped_column(default=False)
    serious_illness: Mapped[bool] = mapped_column(default=False)
    bedridden: Mapped[bool] = mapped_column(default=False)
    incontinent: Mapped[bool] = mapped_column(default=False)
    limited_mobility: Mapped[bool] = mapped_column(default=False)
    cognitive_impairment: Mapped[bool] = mapped_column(default=False)
    vision_impairment: Mapped[bool] = mapped_column(default=False)
    long_term_medication: Mapped[bool] = mapped_column(default=False)
    post_surgery_rehab: Mapped[bool] = mapped_column(default=False)
    poor_living_conditions: Mapped[bool] = mapped_column(default=False)
    able_to_work_unemployed: Mapped[bool] = mapped_column(default=False)
    low_social_participation: Mapped[bool] = mapped_column(default=False)
    recent_crisis: Mapped[bool] = mapped_column(default=False)
    carer_burden: Mapped[bool] = mapped_column(default=False)
    child_status: Mapped[str] = mapped_column(sa.String(16), default="none")
    assessed_on: Mapped[dt.date | None]
    assessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    area: Mapped[Area] = relationship(lazy="joined", innerjoin=True)
    assessor = relationship("User", foreign_keys=[assessor_id])
    household: Mapped[list["HouseholdMember"]] = relationship(
        back_populates="resident", cascade="all, delete-orphan", order_by="HouseholdMember.id")
    status_changes: Mapped[list["StatusChange"]] = relationship(
        back_populates="resident", order_by="StatusChange.id.desc()", cascade="all, delete-orphan")
    assessments: Mapped[list["Assessment"]] = relationship(
        back_populates="resident", order_by="Assessment.id.desc()", cascade="all, delete-orphan")

    # --- identifiers: set clear values, the model keeps the ciphertext and the indexes in step ---
    @property
    def id_number(self) -> str:
        return self.id_number_enc

    @id_number.setter
    def id_number(self, value: str) -> None:
        self.id_number_enc = value
        self.id_number_bidx = crypto.blind_index(value, "ric")
        self.id_tail_bidx = crypto.blind_index(value[-4:], "ric4")

    @property
    def phone(self) -> str | None:
        return self.phone_enc

    @phone.setter
    def phone(self, value: str | None) -> None:
        self.phone_enc = value or None
        self.phone_bidx = crypto.blind_index(value, "phone") if value else None
        self.phone_tail_bidx = crypto.blind_index(value[-4:], "phone4") if value else None

    @property
    def emergency_contact_phone(self) -> str | None:
        return self.emergency_contact_phone_enc

    @emergency_contact_phone.setter
    def emergency_contact_phone(self, value: str | None) -> None:
        self.emergency_contact_phone_enc = value or None

    def set_name(self, name: str) -> None:
        self.name = name
        self.name_pinyin, self.name_initials = pinyin_keys(name)

    @property
    def id_number_masked(self) -> str:
        return crypto.mask_id_number(self.id_number)

    @property
    def age(self) -> int:
        return age_on(self.birth_date, local_today())

    @property
    def conditions(self) -> dict:
        return {k: getattr(self, k) for k in CONDITION_KEYS}

    def to_dict(self) -> dict:
        return {
            "id": self.id, "name": self.name, "id_number_masked": self.id_number_masked,
            "gender": self.gender, "birth_date": self.birth_date.isoformat(), "age": self.age,
            "phone": self.phone, "address": self.address, "area_code": self.area_code,
            "area_name": self.area.name, "assistance_type": self.assistance_type,
            "assistance_since": self.assistance_since.isoformat() if self.assistance_since else None,
            "conditions": self.conditions,
            "assessed_on": self.assessed_on.isoformat() if self.assessed_on else None,
            "status": self.status, "status_reason": self.status_reason,
            "emergency_contact_name": self.emergency_contact_name,
            "emergency_contact_phone": self.emergency_contact_phone,
            "home_lat": self.home_lat, "home_lng": self.home_lng,
            "household": [m.to_dict() for m in self.household],
            "version": self.version,
        }

    def to_provider_dict(self) -> dict:
        """What a provider's staff may see (API.md): no ID number, target group or conditions."""
        return {"id": self.id, "name": self.name, "gender": self.gender, "age": self.age, "phone": self.phone,
                "address": self.address, "area_code": self.area_code}


class HouseholdMember(db.Model):
    __tablename__ = "household_member"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    relation: Mapped[str] = mapped_column(sa.String(20))
    name: Mapped[str] = mapped_column(sa.String(50))
    id_number_enc: Mapped[str | None] = mapped_column("id_number", crypto.Encrypted())
    phone_enc: Mapped[str | None] = mapped_column("phone", crypto.Encrypted())

    resident: Mapped[Resident] = relationship(back_populates="household")

    def to_dict(self) -> dict:
        return {"id": self.id, "relation": self.relation, "name": self.name,
                "id_number_masked": crypto.mask_id_number(self.id_number_enc), "phone": self.phone_enc}


class StatusChange(db.Model):
    """Kept history of suspensions, reactivations and terminations, each with its reason."""

    __tablename__ = "resident_status_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    from_status: Mapped[str] = mapped_column(sa.String(12))
    to_status: Mapped[str] = mapped_column(sa.String(12))
    reason_kind: Mapped[str | None] = mapped_column(sa.String(20))
    reason: Mapped[str] = mapped_column(sa.String(500))
    effective_on: Mapped[dt.date]
    at: Mapped[dt.datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    resident: Mapped[Resident] = relationship(back_populates="status_changes")
    actor = relationship("User")


class Assessment(db.Model):
    """A dated needs assessment: the snapshot of conditions and who assessed them."""

    __tablename__ = "assessment"

    id: Mapped[int] = mapped_column(primary_key=True)
    resident_id: Mapped[int] = mapped_column(sa.ForeignKey("resident.id", ondelete="CASCADE"), index=True)
    assessed_on: Mapped[dt.date]
    assessor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    conditions: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[dt.datetime] = mapped_column(default=utcnow)

    resident: Mapped[Resident] = relationship(back_populates="assessments")
    assessor = relationship("User")


class ImportJob(TimestampMixin, db.Model):
    """One upload of a resident spreadsheet and what became of each row (residents/importer.py).

    Counters move while the job runs (the page polls them); ``errors`` holds the row report
    ``[{"row", "column", "letter", "message", "kind": "invalid|skipped|notice", "name"}]``, written
    when the job ends. It never holds an ID number in clear.
    """

    __tablename__ = "import_job"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"), index=True)
    filename: Mapped[str] = mapped_column(sa.String(200))
    # queued → reading → running → done | failed
    status: Mapped[str] = mapped_column(sa.String(12), default="queued")
    check_only: Mapped[bool] = mapped_column(default=False)
    total: Mapped[int] = mapped_column(default=0)
    done: Mapped[int] = mapped_column(default=0)
    imported: Mapped[int] = mapped_column(default=0)
    skipped: Mapped[int] = mapped_column(default=0)
    invalid: Mapped[int] = mapped_column(default=0)
    errors: Mapped[list] = mapped_column(sa.JSON, default=list)
    ignored_columns: Mapped[list] = mapped_column(sa.JSON, default=list)
    message: Mapped[str] = mapped_column(sa.String(500), default="")
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]

    user = relationship("User")
