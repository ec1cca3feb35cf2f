"""The role × route matrix: every endpoint declares the roles that may call it; the rest is denied.

``@roles(...)`` and ``@public`` only annotate the view; :func:`enforce` runs before every request and
refuses any endpoint that declares nothing (deny by default), so a forgotten decorator fails closed.
"""
from __future__ import annotations

from flask import current_app, redirect, request, url_for
from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # lazy; named so that pybabel's default keywords extract it
from flask_login import current_user

from assist.core.errors import Forbidden, Unauthorized

ROLES = ("admin", "caseworker", "provider", "auditor", "unit")
ROLE_TITLES = {
    "admin": _l("Administrator"),
    "caseworker": _l("Caseworker"),
    "provider": _l("Service provider"),
    "auditor": _l("Auditor"),
    "unit": pgettext("role", "Partner unit"),  # the person, not the unit
}
STAFF = ("admin", "caseworker", "auditor")
ALL = ROLES
PUBLIC_ENDPOINTS = {"static", "bootstrap.static"}


def roles(*allowed: str):
    unknown = set(allowed) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def decorate(view):
        view._assist_roles = frozenset(allowed)
        return view
    return decorate


def public(view):
    view._assist_public = True
    return view


def allowed_roles(view) -> frozenset | None:
    return getattr(view, "_assist_roles", None)


def enforce():
    endpoint = request.endpoint
    if endpoint is None or endpoint in PUBLIC_ENDPOINTS:
        return None  # unknown URL: the 404 handler answers
    view = current_app.view_functions[endpoint]
    if getattr(view, "_assist_public", False):
        return None
    allowed = allowed_roles(view)
    if allowed is None:
        current_app.logger.error("endpoint %s declares no roles: denied", endpoint)
        raise Forbidden()
    if not current_user.is_authenticated:
        if request.path.startswith("/api/"):
            raise Unauthorized()
        return redirect(url_for("auth.login", next=request.full_path if request.query_string else request.path))
    if current_user.role not in allowed:
        raise Forbidden()
    return None


def route_matrix(app) -> list[tuple[str, str, str]]:
    """(rule, methods, roles) for every endpoint: the matrix an assessor asks for."""
    rows = []
    for rule in app.url_map.iter_rules():
        view = app.view_functions[rule.endpoint]
        if rule.endpoint in PUBLIC_ENDPOINTS or getattr(view, "_assist_public", False):
            who = "public"
        else:
            allowed = allowed_roles(view)
            who = ",".join(sorted(allowed)) if allowed else "DENIED"
        methods = ",".join(sorted(m for m in rule.methods if m not in ("HEAD", "OPTIONS")))
        rows.append((rule.rule, methods, who))
    return sorted(rows)
