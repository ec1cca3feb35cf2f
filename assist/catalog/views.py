"""HTML: the catalog with each item's eligibility rule; admins edit items."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from assist.catalog import services
from assist.catalog.models import ServiceItem
from assist.core.db import commit
from assist.core.errors import AppError
from assist.core.permissions import ALL, roles
from assist.extensions import db
from assist.plans import eligibility

bp = Blueprint("catalog", __name__, url_prefix="/catalog")


@bp.get("/")
@roles(*ALL)
def index():
    return render_template("catalog/index.html", categories=services.categories(), rules=eligibility.rule_texts(),
                           can_write=current_user.role == "admin")


@bp.route("/items/<code>", methods=["GET", "POST"])
@roles("admin")
def edit_item(code: str):
    item = db.session.get(ServiceItem, code.upper()[:4]) or abort(404)
    errors, values = {}, None
    if request.method == "POST":
        values = {k: request.form.get(k, "") for k in ("name_zh", "name_en", "unit_zh", "unit_en", "frequency_zh",
                                                       "frequency_en", "unit_price", "version")}
        values["active"] = bool(request.form.get("active"))
        try:
            services.update_item(item, values, current_user)
            commit()
        except AppError as exc:
            errors = {k: [str(m) for m in v] for k, v in exc.fields.items()} or {"_": [str(exc.message)]}
        else:
            flash(_("Saved."), "success")
            return redirect(url_for("catalog.index"))
    return render_template("catalog/edit.html", item=item, values=values or item.to_dict() | {
        "name_zh": item.name_zh, "unit_zh": item.unit_zh, "frequency_zh": item.frequency_zh}, errors=errors,
        labels=services.LABELS, rule=eligibility.rule_texts().get(item.code)), 422 if errors else 200
