"""HTML: login, logout, language, and the admin's user pages."""
from __future__ import annotations

from urllib.parse import urlsplit

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from assist.areas.models import Area
from assist.auth import services
from assist.auth.forms import LoginForm, UserForm
from assist.auth.models import User
from assist.core import audit
from assist.core.db import commit
from assist.core.errors import AppError, ValidationError
from assist.core.forms import apply_errors
from assist.core.i18n import normalise
from assist.core.pagination import keyset, parse_limit
from assist.core.permissions import ALL, public, roles
from assist.extensions import db
from assist.providers.models import Provider
from assist.units.models import PartnerUnit

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    if target and target.startswith("/") and not target.startswith("//") and not urlsplit(target).netloc:
        return target
    return url_for("main.index")


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    status = 200
    if form.validate_on_submit():
        try:
            user = services.authenticate(form.username.data, form.password.data, request.remote_addr)
        except AppError as exc:
            form.form_errors.append(str(exc.message))
            status = exc.status
        else:
            session.clear()  # a fresh session on login: no fixation
            login_user(user)
            commit()
            return redirect(_safe_next(request.args.get("next")))
    return render_template("auth/login.html", form=form), status


@bp.post("/logout")
@roles(*ALL)
def logout():
    logout_user()
    session.clear()
    flash(_("You have logged out."), "info")
    return redirect(url_for("auth.login"))


@bp.post("/language")
@public
def language():
    locale = normalise(request.form.get("locale")) or "zh_Hans_CN"
    session["locale"] = locale
    if current_user.is_authenticated:
        services.set_locale(current_user, locale)
        commit()
    return redirect(_safe_next(request.form.get("next")))


# --- admin: users ---------------------------------------------------------------------------------

def _fill_choices(form: UserForm) -> None:
    areas = db.session.scalars(sa.select(Area).order_by(Area.path)).all()
    form.area_codes.choices = [(a.code, ("　" * (a.path.count("/") - 1)) + a.name) for a in areas]
    form.provider_id.choices = [("", "—")] + [(str(p.id), p.name) for p in
                                              db.session.scalars(sa.select(Provider).order_by(Provider.name))]
    form.unit_id.choices = [("", "—")] + [(str(u.id), u.name) for u in
                                          db.session.scalars(sa.select(PartnerUnit).order_by(PartnerUnit.name))]


def _form_data(form: UserForm) -> dict:
    data = {"display_name": form.display_name.data, "role": form.role.data, "area_codes": form.area_codes.data or [],
            "provider_id": form.provider_id.data or None, "unit_id": form.unit_id.data or None,
            "active": form.active.data}
    if form.password.data:
        data["password"] = form.password.data
    return data


@bp.get("/admin/users")
@roles("admin")
def users():
    page = keyset(sa.select(User), [User.id], limit=parse_limit(request.args.get("limit")),
                  cursor=request.args.get("cursor"))
    return render_template("auth/users.html", page=page)


@bp.route("/admin/users/new", methods=["GET", "POST"])
@roles("admin")
def user_new():
    form = UserForm()
    _fill_choices(form)
    if form.validate_on_submit():
        data = _form_data(form) | {"username": form.username.data}
        try:
            user = services.create_user(data, current_user)
            commit()
        except ValidationError as exc:
            apply_errors(form, exc)
        except AppError as exc:
            form.form_errors.append(str(exc.message))
        else:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=None)


@bp.route("/admin/users/<int:user_id>", methods=["GET", "POST"])
@roles("admin")
def user_edit(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(obj=user) if request.method == "GET" else UserForm()
    _fill_choices(form)
    if request.method == "GET":
        form.area_codes.data = [a.code for a in user.areas]
        form.provider_id.data = str(user.provider_id or "")
        form.unit_id.data = str(user.unit_id or "")
    if form.validate_on_submit():
        try:
            services.update_user(user, _form_data(form) | {"version": request.form.get("version")}, current_user)
            commit()
        except ValidationError as exc:
            apply_errors(form, exc)
        except AppError as exc:
            form.form_errors.append(str(exc.message))
        else:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    return render_template("auth/user_form.html", form=form, user=user)
