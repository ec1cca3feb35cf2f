"""HTML: the service points of the 15-minute community life circle, listed per community."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from assist.areas import services as area_services
from assist.catalog import services as catalog_services
from assist.core.errors import Forbidden, ValidationError
from assist.core.forms import save
from assist.core.forms import status as form_status  # 422 when shown again with messages
from assist.core.permissions import roles
from assist.core.scoping import get_or_404
from assist.servicepoints import services
from assist.servicepoints.forms import ServicePointForm
from assist.servicepoints.models import ServicePoint

bp = Blueprint("servicepoints", __name__, url_prefix="/service-points")

READERS = ("admin", "caseworker", "auditor", "provider", "unit")
WRITERS = ("admin", "caseworker")


@bp.get("/")
@roles(*READERS)
def index():
    try:
        groups = services.by_community(current_user, request.args)
        error = None
    except ValidationError as exc:
        groups, error = [], " ".join(str(m) for ms in exc.fields.values() for m in ms)
    return render_template("servicepoints/index.html", groups=groups, error=error, args=request.args,
                           kinds=services.KIND_TITLES, area_choices=area_services.choices(),
                           items=catalog_services.items(), can_write=current_user.role in WRITERS)


@bp.get("/<int:point_id>")
@roles(*READERS)
def detail(point_id: int):
    point = get_or_404(ServicePoint, point_id, current_user)
    return render_template("servicepoints/detail.html", sp=point, kinds=services.KIND_TITLES,
                           can_write=current_user.role in WRITERS and services.can_edit(point, current_user))


def _prepare(form: ServicePointForm) -> None:
    form.area_code.choices = [("", "—")] + area_services.choices(current_user)
    form.item_codes.choices = [(i.code, f"{i.code} {i.name}") for i in catalog_services.items()]


def _payload(form: ServicePointForm) -> dict:
    return {k: getattr(form, k).data for k in ("kind", "name", "area_code", "address", "opening_hours", "contact",
                                               "phone", "item_codes", "active")}


@bp.route("/new", methods=["GET", "POST"])
@roles(*WRITERS)
def new():
    form = ServicePointForm()
    _prepare(form)
    if request.method == "GET" and request.args.get("area_code"):
        form.area_code.data = request.args["area_code"]
    if request.method == "POST":
        point = save(form, lambda: services.create(_payload(form), current_user))
        if point is not None:
            flash(_("Service point %(name)s registered.", name=point.name), "success")
            return redirect(url_for("servicepoints.detail", point_id=point.id))
    return render_template("servicepoints/form.html", form=form, point=None), form_status(form)


@bp.route("/<int:point_id>/edit", methods=["GET", "POST"])
@roles(*WRITERS)
def edit(point_id: int):
    point = get_or_404(ServicePoint, point_id, current_user)
    if not services.can_edit(point, current_user):
        raise Forbidden(_("This service point is outside your areas."))
    form = ServicePointForm(obj=point) if request.method == "GET" else ServicePointForm()
    _prepare(form)
    if request.method == "GET":
        form.item_codes.data = point.item_codes
        form.version.data = point.version
    elif save(form, lambda: services.update(point, _payload(form) | {"version": form.version.data}, current_user),
              version_of=lambda: get_or_404(ServicePoint, point_id, current_user).version) is not None:
        flash(_("Saved."), "success")
        return redirect(url_for("servicepoints.detail", point_id=point.id))
    return render_template("servicepoints/form.html", form=form, point=point), form_status(form)
