"""One error format: exceptions raised by services, rendered as JSON under /api/ and as pages elsewhere."""
from __future__ import annotations

import logging
import uuid

from flask import current_app, g, jsonify, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm.exc import StaleDataError
from werkzeug.exceptions import HTTPException

log = logging.getLogger(__name__)


class AppError(Exception):
    """A failure the caller can act on. ``message`` may be a lazy string; ``fields`` maps field → messages."""

    status = 400
    code = "bad_request"
    default_message = _l("The request could not be understood.")

    def __init__(self, message=None, fields: dict | None = None, **extra):
        super().__init__(str(message or self.default_message))
        self.message = message or self.default_message
        self.fields = fields or {}
        self.extra = extra

    def to_dict(self) -> dict:
        body = {"code": self.code, "message": str(self.message)}
        if self.fields:
            body["fields"] = {str(k): [str(m) for m in v] for k, v in self.fields.items()}
        # Extras may hold lazy strings: resolve them now, in the request's language.
        body.update({k: str(v) if hasattr(v, "__html__") else v for k, v in self.extra.items()})
        return {"error": body}


class BadRequest(AppError):
    status, code = 400, "bad_request"


class Unauthorized(AppError):
    status, code = 401, "unauthorized"
    default_message = _l("Please log in.")


class Forbidden(AppError):
    status, code = 403, "forbidden"
    default_message = _l("Your role may not do this.")


class NotFound(AppError):
    status, code = 404, "not_found"
    default_message = _l("Not found.")


class Conflict(AppError):
    status, code = 409, "conflict"
    default_message = _l("This conflicts with the current state of the record.")


class StaleVersion(Conflict):
    code = "stale_version"
    default_message = _l("Someone else changed this record meanwhile. Reload it and apply your change again.")


class ValidationError(AppError):
    status, code = 422, "invalid"
    default_message = _l("Some fields are not valid.")


class TooLarge(AppError):
    status, code = 413, "too_large"
    default_message = _l("The request is too large.")


class Throttled(AppError):
    status, code = 429, "throttled"
    default_message = _l("Too many attempts. Try again later.")

    def __init__(self, message=None, retry_after: int = 60, **extra):
        super().__init__(message, **extra)
        self.retry_after = retry_after


HTTP_MESSAGES = {
    400: _l("The request could not be understood."),
    401: _l("Please log in."),
    403: _l("You may not open this page."),
    404: _l("The page or record was not found."),
    405: _l("This method is not allowed here."),
    409: _l("This conflicts with the current state of the record."),
    413: _l("The request is too large."),
    415: _l("This content type is not supported."),
    422: _l("Some fields are not valid."),
    429: _l("Too many attempts. Try again later."),
    500: _l("Something went wrong on our side."),
}
HTTP_CODES = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found",
              405: "method_not_allowed", 409: "conflict", 413: "too_large", 415: "unsupported_media_type",
              422: "invalid", 429: "throttled", 500: "internal_error"}


_BARE_PAGE = ("<!doctype html><html><head><meta charset=\"utf-8\"><title>{status}</title></head>"
              "<body><h1>{status}</h1><p>{message}</p><p>{ref}</p></body></html>")


def is_unique_violation(exc: IntegrityError) -> bool:
    """A UNIQUE constraint refused the row: another request got there first (a conflict, not a bug)."""
    orig = getattr(exc, "orig", None)
    if getattr(orig, "sqlstate", None) == "23505" or getattr(orig, "pgcode", None) == "23505":
        return True
    return "UNIQUE constraint failed" in str(orig)


def wants_json() -> bool:
    return request.path.startswith("/api/")


def _render(status: int, payload: dict, headers=None):
    if wants_json():
        resp = jsonify(payload)
    else:
        err = payload["error"]
        try:
            page = render_template("errors/error.html", status=status, message=err["message"],
                                   correlation_id=err.get("correlation_id"))
        except Exception:  # the layout itself failed (e.g. the database is down): a bare page, never a traceback
            log.exception("error page for %s could not be rendered", status)
            page = _BARE_PAGE.format(status=status, message=escape(err["message"]),
                                     ref=escape(err.get("correlation_id") or ""))
        resp = current_app.make_response((page, status))
    resp.status_code = status
    for k, v in (headers or {}).items():
        resp.headers[k] = v
    return resp


def register_error_handlers(app) -> None:
    @app.errorhandler(AppError)
    def handle_app_error(exc: AppError):
        from assist.extensions import db
        db.session.rollback()
        headers = {"Retry-After": str(exc.retry_after)} if isinstance(exc, Throttled) else None
        return _render(exc.status, exc.to_dict(), headers)

    @app.errorhandler(StaleDataError)
    def handle_stale(exc: StaleDataError):
        # Two writers raced between the version check and the flush: the loser gets the same 409.
        return handle_app_error(StaleVersion())

    @app.errorhandler(IntegrityError)
    def handle_integrity(exc: IntegrityError):
        if is_unique_violation(exc):
            return handle_app_error(Conflict())
        return handle_unexpected(exc)

    @app.errorhandler(HTTPException)
    def handle_http(exc: HTTPException):
        status = exc.code or 500
        message = HTTP_MESSAGES.get(status, exc.description)
        payload = {"error": {"code": HTTP_CODES.get(status, "error"), "message": str(message)}}
        headers = {}
        if status == 405 and getattr(exc, "valid_methods", None):
            headers["Allow"] = ", ".join(exc.valid_methods)
        return _render(status, payload, headers)

    @app.errorhandler(Exception)
    def handle_unexpected(exc: Exception):
        from assist.extensions import db
        try:
            db.session.rollback()
        except Exception:  # the session itself may be broken; the error page must still render
            pass
        correlation_id = uuid.uuid4().hex[:12]
        g.correlation_id = correlation_id
        log.exception("unhandled error [%s] %s %s", correlation_id, request.method, request.path)
        payload = {"error": {"code": "internal_error", "message": _("Something went wrong on our side."),
                             "correlation_id": correlation_id}}
        return _render(500, payload)
