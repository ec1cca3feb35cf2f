from flask import Blueprint, render_template
from flask_login import current_user

from assist.core.permissions import ALL, roles
from assist.main import services

bp = Blueprint("main", __name__)


@bp.get("/")
@roles(*ALL)
def index():
    return render_template("main/index.html", figures=services.home_figures(current_user))
