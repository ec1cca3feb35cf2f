"""Helpers for the JSON API edge: parse the body, answer lists, commit."""
from __future__ import annotations

import json

from flask import Blueprint, current_app, request
from flask_babel import gettext as _

from assist.core.errors import BadRequest, TooLarge
from assist.core.pagination import Page

API_PREFIX = "/api/v1"


def blueprint(name: str, import_name: str) -> Blueprint:
    return Blueprint(name, import_name, url_prefix=API_PREFIX)


def _refuse_constant(name):
    # Python's json reads NaN and Infinity; RFC 8259 JSON has neither.
    raise ValueError(f"{name} is not JSON")


def json_body() -> dict:
    """The request's JSON object; 400 for malformed JSON or a body that is not an object, 413 when
    larger than ``MAX_JSON_LENGTH`` (also for chunked bodies, which carry no Content-Length)."""
    mimetype = request.mimetype
    if mimetype and mimetype != "application/json" and not mimetype.endswith("+json"):
        # Checked before reading: a form body may already have been parsed (and the stream consumed).
        raise BadRequest(_("Send the body as application/json."))
    raw = request.get_data(cache=True)
    if not raw:
        return {}
    if len(raw) > current_app.config["MAX_JSON_LENGTH"]:
        raise TooLarge()
    if not mimetype:
        raise BadRequest(_("Send the body as application/json."))
    try:
        data = json.loads(raw.decode("utf-8"), parse_constant=_refuse_constant)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise BadRequest(_("The request body is not valid JSON."))
    if not isinstance(data, dict):
        raise BadRequest(_("The request body must be a JSON object."))
    if _has_nul(data):  # PostgreSQL cannot store or even compare text holding U+0000
        raise BadRequest(_("The request contains a NUL character."))
    return data


def _has_nul(value) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def page_answer(page: Page, serialise) -> dict:
    return {"items": [serialise(o) for o in page.items], "next_cursor": page.next_cursor}
