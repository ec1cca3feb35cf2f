from __future__ import annotations

import decimal

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.orm import Mapped, mapped_column, relationship

from assist.core.db import TimestampMixin, VersionMixin
from assist.extensions import db


def _is_english() -> bool:
    try:
        return str(get_locale()).startswith("en")
    except Exception:  # outside a request: Chinese, the default
        return False


class Category(db.Model):
    __tablename__ = "category"

    code: Mapped[str] = mapped_column(sa.String(2), primary_key=True)
    name_zh: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(80))
    sort: Mapped[int] = mapped_column(default=0)

    items: Mapped[list["ServiceItem"]] = relationship(back_populates="category", order_by="ServiceItem.code")

    @property
    def name(self) -> str:
        return self.name_en if _is_english() else self.name_zh


class ServiceItem(VersionMixin, TimestampMixin, db.Model):
    __tablename__ = "service_item"

    code: Mapped[str] = mapped_column(sa.String(4), primary_key=True)
    category_code: Mapped[str] = mapped_column(sa.ForeignKey("category.code"), index=True)
    name_zh: Mapped[str] = mapped_column(sa.String(40))
    name_en: Mapped[str] = mapped_column(sa.String(80))
    unit_zh: Mapped[str] = mapped_column(sa.String(10))
    unit_en: Mapped[str] = mapped_column(sa.String(20))
    frequency_zh: Mapped[str] = mapped_column(sa.String(100), default="")
    frequency_en: Mapped[str] = mapped_column(sa.String(120), default="")
    unit_price: Mapped[decimal.Decimal] = mapped_column(sa.Numeric(10, 2), default=0)
    active: Mapped[bool] = mapped_column(default=True)

    category: Mapped[Category] = relationship(back_populates="items")

    @property
    def name(self) -> str:
        return self.name_en if _is_english() else self.name_zh

    @property
    def unit(self) -> str:
        return self.unit_en if _is_english() else self.unit_zh

    def to_dict(self) -> dict:
        return {"code": self.code, "category_code": self.category_code, "name": self.name_zh,
                "name_en": self.name_en, "unit": self.unit_zh, "unit_en": self.unit_en,
                "frequency": self.frequency_zh, "frequency_en": self.frequency_en,
                "unit_price": str(self.unit_price), "active": self.active, "version": self.version}
