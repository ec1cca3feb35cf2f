from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from assist.extensions import db

LEVELS = ("district", "street", "community", "grid")


class Area(db.Model):
    """District (6-digit GB/T 2260), street and community (12-digit 统计用区划代码), grid.

    ``path`` is the chain of codes from the district down ("150303/150303002000/150303002001/"):
    a scope over an area is a prefix match on it, one indexed range scan at any depth.
    """

    __tablename__ = "area"

    code: Mapped[str] = mapped_column(sa.String(20), primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    level: Mapped[str] = mapped_column(sa.String(10))
    parent_code: Mapped[str | None] = mapped_column(sa.ForeignKey("area.code"), index=True)
    path: Mapped[str] = mapped_column(sa.String(120), index=True)
    sort: Mapped[int] = mapped_column(default=0)

    def to_dict(self) -> dict:
        return {"code": self.code, "name": self.name, "level": self.level, "parent_code": self.parent_code}
