"""HTML: provider organisations."""
from __future__ import annotations

import re

import sqlalchemy as sa
from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from assist.areas import services as area_services
from assist.catalog.models import ServiceItem
from assist.core.forms import save
from assist.core.forms import status as form_status  # 422 when shown again with messages
from assist.core.pagination import keyset, parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404, scoped
from assist.extensions import db
from assist.providers import services
from assist.providers.forms import ProviderForm
from assist.providers.models import Provider

bp = Blueprint("providers", __name__, url_prefix="/providers")


@bp.get("/")
@roles("admin", "caseworker", "auditor", "provider")
def index():
    page = keyset(scoped(sa.select(Provider), Provider, current_user), [Provider.id],
                  limit=parse_limit(request.args.get("limit")), cursor=request.args.get("cursor"))
    return render_template("providers/index.html", page=page, kinds=services.KIND_TITLES,
                           can_write=current_user.role == "admin")


@bp.get("/<int:provider_id>")
@roles("admin", "caseworker", "auditor", "provider")
def detail(provider_id: int):
    provider = get_or_404(Provider, provider_id, current_user)
    return render_template("providers/detail.html", p=provider, kinds=services.KIND_TITLES,
                           can_write=current_user.role == "admin")


def _prepare(form: ProviderForm) -> None:
    form.kind.choices = list(services.KIND_TITLES.items())
    items = db.session.scalars(sa.select(ServiceItem).order_by(ServiceItem.code))
    form.item_codes.choices = [(i.code, f"{i.code} {i.name}") for i in items]
    form.area_codes.choices = area_services.choices()


def _payload(form: ProviderForm) -> dict:
    prices = {}
    for line in (form.unit_prices.data or "").splitlines():
        parts = re.split(r"[\s,，:：=]+", line.strip())
        if len(parts) >= 2:
            prices[parts[0].upper()] = parts[1]
        elif parts and parts[0]:
            prices[parts[0].upper()] = "?"
    data = {k: getattr(form, k).data for k in ("name", "uscc", "kind", "contact", "phone", "address",
                                               "item_codes", "area_codes", "active")}
    data["weekly_capacity"] = request.form.get("weekly_capacity") or 0
    for key in ("contract_start", "contract_end"):
        data[key] = request.form.get(key) or None
    data["unit_prices"] = prices
    return data


@bp.route("/new", methods=["GET", "POST"])
@roles("admin")
def new():
    form = ProviderForm()
    _prepare(form)
    if request.method == "POST":
        provider = save(form, lambda: services.create(_payload(form), current_user))
        if provider is not None:
            flash(_("Provider %(name)s created.", name=provider.name), "success")
            return redirect(url_for("providers.detail", provider_id=provider.id))
    return render_template("providers/form.html", form=form, provider=None), form_status(form)


@bp.route("/<int:provider_id>/edit", methods=["GET", "POST"])
@roles("admin")
def edit(provider_id: int):
    provider = get_or_404(Provider, provider_id, current_user)
    form = ProviderForm(obj=provider) if request.method == "GET" else ProviderForm()
    _prepare(form)
    if request.method == "GET":
        form.item_codes.data = provider.item_codes
        form.area_codes.data = [a.code for a in provider.areas]
        form.unit_prices.data = "\n".join(f"{i.item_code} {i.unit_price}" for i in provider.items if i.unit_price is not None)
    elif save(form, lambda: services.update(provider, _payload(form) | {"version": form.version.data}, current_user),
              version_of=lambda: get_or_404(Provider, provider_id, current_user).version) is not None:
        flash(_("Saved."), "success")
        return redirect(url_for("providers.detail", provider_id=provider.id))
    return render_template("providers/form.html", form=form, provider=provider), form_status(form)
