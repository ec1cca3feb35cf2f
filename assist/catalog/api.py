"""API.md "Reference data": the catalog."""
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from assist.catalog.models import Category
from assist.core.api import blueprint
from assist.core.permissions import ALL, roles
from assist.extensions import db

bp = blueprint("catalog_api", __name__)


@bp.get("/catalog")
@roles(*ALL)
def index():
    """Six categories with their 24 service items."""
    cats = db.session.scalars(sa.select(Category).order_by(Category.sort).options(selectinload(Category.items)))
    return {"categories": [{"code": c.code, "name": c.name_zh, "name_en": c.name_en,
                            "items": [i.to_dict() for i in c.items]} for c in cats]}
