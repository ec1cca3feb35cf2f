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
    """A same-site path to go back to, else the start page. Browsers read ``/\\evil.example`` and
    ``/<tab>/evil.example`` as ``//evil.example``: backslashes and control characters are refused."""
    if (target and target.startswith("/") and not target.startswith("//") and "\\" not in target
            and not any(ord(ch) < 32 or ord(ch) == 127 for ch in target) and not urlsplit(target).netloc):
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
            _fresh_session()  # no fixation
            login_user(user)
            commit()
            return redirect(_safe_next(request.args.get("next")))
    elif form.is_submitted():
        status = 422
    return render_template("auth/login.html", form=form), status


def _fresh_session(locale: str | None = None) -> None:
    """Clear the session, keeping the language the visitor chose (the login page's switch)."""
    locale = locale or session.get("locale")
    session.clear()
    if locale:
        session["locale"] = locale


@bp.post("/logout")
@roles(*ALL)
def logout():
    locale = normalise(current_user.locale)
    logout_user()
    _fresh_session(locale)  # the login page that follows stays in the user's language
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
    status = None
    if form.validate_on_submit():
        data = _form_data(form) | {"username": form.username.data}
        try:
            user = services.create_user(data, current_user)
            commit()
        except ValidationError as exc:
            apply_errors(form, exc)
        except AppError as exc:
            form.form_errors.append(str(exc.message))
            status = exc.status
        else:
            flash(_("User %(name)s created.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    return _form_page(form, None, status)


def _form_page(form: UserForm, user: User | None, status: int | None):
    """The user form again; a submission that failed answers 4xx (422 for invalid fields)."""
    if status is None:
        status = 422 if form.is_submitted() and form.errors else 200
    return render_template("auth/user_form.html", form=form, user=user), status


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
    status = None
    if form.validate_on_submit():
        try:
            services.update_user(user, _form_data(form) | {"version": request.form.get("version")}, current_user)
            commit()
        except ValidationError as exc:
            apply_errors(form, exc)
        except AppError as exc:
            db.session.rollback()
            user = db.session.get(User, user_id) or abort(404)
            form.form_errors.append(str(exc.message))
            status = exc.status
        else:
            flash(_("User %(name)s saved.", name=user.username), "success")
            return redirect(url_for("auth.users"))
    return _form_page(form, user, status)
