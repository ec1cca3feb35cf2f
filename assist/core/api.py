"""Helpers for the JSON API edge: parse the body, answer lists, commit."""
from __future__ import annotations

from flask import Blueprint, request
from flask_babel import gettext as _

from assist.core.errors import BadRequest
from assist.core.pagination import Page

API_PREFIX = "/api/v1"


def blueprint(name: str, import_name: str) -> Blueprint:
    return Blueprint(name, import_name, url_prefix=API_PREFIX)


def json_body() -> dict:
    """The request's JSON object; 400 for malformed JSON or a body that is not an object."""
    if not request.data:
        return {}
    if request.mimetype != "application/json":
        raise BadRequest(_("Send the body as application/json."))
    data = request.get_json(silent=True)
    if data is None:
        raise BadRequest(_("The request body is not valid JSON."))
    if not isinstance(data, dict):
        raise BadRequest(_("The request body must be a JSON object."))
    return data


def page_answer(page: Page, serialise) -> dict:
    return {"items": [serialise(o) for o in page.items], "next_cursor": page.next_cursor}
