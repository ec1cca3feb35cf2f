"""API.md "Providers and users": providers."""
from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_login import current_user

from assist.core.api import blueprint, json_body, page_answer
from assist.core.db import commit
from assist.core.pagination import keyset, parse_limit
from assist.core.permissions import roles
from assist.core.scoping import get_or_404, scoped
from assist.providers import services
from assist.providers.models import Provider, provider_area

bp = blueprint("providers_api", __name__)


@bp.post("/providers")
@roles("admin")
def create():
    """Create a provider organisation (USCC validated)."""
    provider = services.create(json_body(), current_user)
    commit()
    return provider.to_dict(), 201


@bp.get("/providers")
@roles("admin", "caseworker", "auditor", "provider")
def index():
    """Providers; filter by ``item_code`` offered and ``area_code`` served."""
    stmt = scoped(sa.select(Provider), Provider, current_user)
    if request.args.get("item_code"):
        from assist.providers.models import ProviderItem
        stmt = stmt.where(Provider.id.in_(sa.select(ProviderItem.provider_id)
                                          .where(ProviderItem.item_code == request.args["item_code"].upper())))
    if request.args.get("area_code"):
        stmt = stmt.where(Provider.id.in_(sa.select(provider_area.c.provider_id)
                                          .where(provider_area.c.area_code == request.args["area_code"])))
    page = keyset(stmt, [Provider.id], limit=parse_limit(request.args.get("limit")), cursor=request.args.get("cursor"))
    return page_answer(page, Provider.to_dict)


@bp.get("/providers/<int:provider_id>")
@roles("admin", "caseworker", "auditor", "provider")
def detail(provider_id: int):
    """One provider organisation."""
    return get_or_404(Provider, provider_id, current_user).to_dict()


@bp.patch("/providers/<int:provider_id>")
@roles("admin")
def update(provider_id: int):
    """Change a provider (with ``version``)."""
    provider = get_or_404(Provider, provider_id, current_user)
    services.update(provider, json_body(), current_user)
    commit()
    return provider.to_dict()
