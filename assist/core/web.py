"""Request plumbing shared by all blueprints: authentication loaders, the route matrix, security
headers, template helpers."""
from __future__ import annotations

import datetime as dt
import decimal

from flask import current_app, g, request
from flask.json.provider import DefaultJSONProvider
from flask_babel import format_date, format_datetime, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.routing import IntegerConverter

from assist.core import permissions
from assist.core.errors import BadRequest, TooLarge, register_error_handlers
from assist.core.i18n import LOCALE_NAMES
from assist.extensions import db, login_manager

# Self-hosted assets only: the intranet has no CDN, and nothing else may inject script.
CSP = ("default-src 'self'; img-src 'self' data: blob:; style-src 'self' 'unsafe-inline'; "
       "script-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'")


class JSONProvider(DefaultJSONProvider):
    """API.md's formats: dates ``YYYY-MM-DD`` and ISO 8601 timestamps with offset (Flask's default
    writes RFC 822 dates), lazy translated strings in the request's language."""

    @staticmethod
    def default(o):
        if isinstance(o, dt.datetime):
            from assist.core.timeutil import isoformat
            return isoformat(o if o.tzinfo else o.replace(tzinfo=dt.timezone.utc))
        if isinstance(o, dt.date):
            return o.isoformat()
        if isinstance(o, decimal.Decimal):
            return str(o)
        if hasattr(o, "__html__"):
            return str(o)
        return DefaultJSONProvider.default(o)


class IdConverter(IntegerConverter):
    """``<int:...>`` of at most 9 digits, always within an integer column: a longer number is simply
    not a route (404 for every method) instead of an overflow deep in the database driver (500).
    (A ``max=`` would not do: werkzeug then answers 405 when another method has a rule there.)"""

    regex = r"\d{1,9}"


FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _has_nul(multidict) -> bool:
    return any("\x00" in k or "\x00" in v for k, v in multidict.items(multi=True))


def init_app(app) -> None:
    app.json = JSONProvider(app)
    app.url_map.converters["int"] = IdConverter
    register_error_handlers(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = None

    @login_manager.user_loader
    def load_session_user(user_id: str):
        # The JSON API authenticates by bearer token only: a session cookie must never authorise it.
        if request and request.path.startswith("/api/"):
            return None
        from assist.auth.models import User
        ident, _, nonce = user_id.partition(".")
        if not ident.isdigit():
            return None
        user = db.session.get(User, int(ident))
        return user if user and user.active and user.session_nonce == nonce else None

    @login_manager.request_loader
    def load_token_user(req):
        if not req.path.startswith("/api/"):
            return None
        header = req.headers.get("Authorization", "")
        if not header.lower().startswith("bearer "):
            return None
        from assist.auth.services import user_for_token
        return user_for_token(header[7:].strip())

    def forget_previous_user():
        # The user is cached on ``g``, which lives as long as the app context: when a caller keeps one
        # context across requests (tests, scripts), the next request must not inherit the last user —
        # nor the last request's language, which Flask-Babel caches there too.
        g.pop("_login_user", None)
        g.pop("_flask_babel", None)

    # First of all hooks: CSRFProtect's check (registered earlier) may already translate an error.
    app.before_request_funcs.setdefault(None, []).insert(0, forget_previous_user)

    @app.before_request
    def check_body_and_route():
        if request.path.startswith("/api/") and request.content_length and request.mimetype == "application/json" \
                and request.content_length > current_app.config["MAX_JSON_LENGTH"]:
            raise TooLarge()
        # PostgreSQL cannot hold or compare text with U+0000: refuse it at the door, on every route.
        if _has_nul(request.args) or (request.method in ("POST", "PUT", "PATCH")
                                      and request.mimetype in FORM_TYPES and _has_nul(request.form)):
            raise BadRequest(_("The request contains a NUL character."))
        return permissions.enforce()

    from assist.core import uploads
    app.teardown_request(uploads.cleanup_request)

    @app.after_request
    def security_headers(resp):
        resp.headers.setdefault("X-Content-Type-Options", "nosniff")
        resp.headers.setdefault("X-Frame-Options", "DENY")
        resp.headers.setdefault("Referrer-Policy", "same-origin")
        resp.headers.setdefault("Content-Security-Policy", CSP)
        if request.endpoint not in permissions.PUBLIC_ENDPOINTS:
            # Pages and answers hold personal information: never in a shared cache.
            resp.headers.setdefault("Cache-Control", "no-store")
        return resp

    @app.context_processor
    def template_globals():
        from assist.main.nav import navigation
        return {"nav_items": navigation(current_user), "locale_names": LOCALE_NAMES,
                "role_titles": permissions.ROLE_TITLES, "bureau_name": current_app.config["BUREAU_NAME"]}

    app.jinja_env.globals["get_locale"] = get_locale
    # "Label: value" — a full-width colon in Chinese text.
    app.jinja_env.globals["colon"] = lambda: ": " if str(get_locale()).startswith("en") else "："
    app.jinja_env.filters["datetime"] = lambda v, fmt="yyyy-MM-dd HH:mm": format_datetime(v, fmt) if v else ""
    app.jinja_env.filters["combine_page"] = lambda params, n: {**params, "page": n}
    app.jinja_env.filters["reject_cursor"] = lambda params: {k: v for k, v in params.items() if k != "cursor"}
    app.jinja_env.filters["date"] = lambda v, fmt="yyyy-MM-dd": format_date(v, fmt) if v else ""

    @app.get("/healthz")
    @permissions.public
    def healthz():
        return {"status": "ok"}
