"""HTML: partner units (包联单位)."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from assist.areas import services as area_services
from assist.auth.models import User
from assist.core.errors import ValidationError
from assist.core.forms import save
from assist.core.forms import status as form_status  # 422 when shown again with messages
from assist.core.pagination import parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404, scoped
from assist.diary.models import Problem
from assist.diary.services import STATUS_TITLES
from assist.extensions import db
from assist.units import services
from assist.units.forms import UnitForm
from assist.units.models import PartnerUnit

bp = Blueprint("units", __name__, url_prefix="/units")

READERS = ("admin", "caseworker", "auditor")
WRITERS = ("admin", "caseworker")


@bp.get("/")
@roles(*READERS)
def index():
    try:
        page = services.search(current_user, request.args, limit=parse_limit(request.args.get("limit"), 50),
                               cursor=request.args.get("cursor"))
        error = None
    except ValidationError as exc:
        page, error = None, " ".join(str(m) for ms in exc.fields.values() for m in ms)
    return render_template("units/index.html", page=page, error=error, args=request.args,
                           kinds=services.KIND_TITLES, can_write=current_user.role in WRITERS)


@bp.get("/<int:unit_id>")
@roles(*READERS, "unit")
def detail(unit_id: int):
    unit = get_or_404(PartnerUnit, unit_id, current_user)
    counts = dict(db.session.execute(scoped(
        sa.select(Problem.status, sa.func.count()).where(Problem.unit_id == unit.id).group_by(Problem.status),
        Problem, current_user)).all())
    staff = []
    if current_user.role == "admin":
        staff = db.session.scalars(sa.select(User).where(User.unit_id == unit.id).order_by(User.username)).all()
    return render_template("units/detail.html", u=unit, kinds=services.KIND_TITLES, counts=counts,
                           statuses=STATUS_TITLES, staff=staff, can_write=current_user.role in WRITERS)


def _prepare(form: UnitForm) -> None:
    form.area_codes.choices = area_services.choices(levels=("street", "community", "grid"))


def _payload(form: UnitForm) -> dict:
    return {k: getattr(form, k).data for k in ("name", "kind", "contact", "phone", "address", "area_codes", "active")}


@bp.route("/new", methods=["GET", "POST"])
@roles(*WRITERS)
def new():
    form = UnitForm()
    _prepare(form)
    if request.method == "POST":
        unit = save(form, lambda: services.create(_payload(form), current_user))
        if unit is not None:
            flash(_("Partner unit %(name)s registered.", name=unit.name), "success")
            return redirect(url_for("units.detail", unit_id=unit.id))
    return render_template("units/form.html", form=form, unit=None), form_status(form)


@bp.route("/<int:unit_id>/edit", methods=["GET", "POST"])
@roles(*WRITERS)
def edit(unit_id: int):
    unit = get_or_404(PartnerUnit, unit_id, current_user)
    form = UnitForm(obj=unit) if request.method == "GET" else UnitForm()
    _prepare(form)
    if request.method == "GET":
        form.area_codes.data = unit.area_codes
        form.version.data = unit.version
    elif save(form, lambda: services.update(unit, _payload(form) | {"version": form.version.data}, current_user),
              version_of=lambda: get_or_404(PartnerUnit, unit_id, current_user).version) is not None:
        flash(_("Saved."), "success")
        return redirect(url_for("units.detail", unit_id=unit.id))
    return render_template("units/form.html", form=form, unit=unit), form_status(form)
