"""API.md "Reference data": areas."""
import sqlalchemy as sa

from assist.areas.models import Area
from assist.core.api import blueprint
from assist.core.permissions import ALL, roles
from assist.extensions import db

bp = blueprint("areas_api", __name__)


@bp.get("/areas")
@roles(*ALL)
def index():
    """Every area of the district, parents before children."""
    areas = db.session.scalars(sa.select(Area).order_by(Area.path)).all()
    return {"items": [a.to_dict() for a in areas]}
