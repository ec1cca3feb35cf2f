"""``GET /api/v1/openapi.json``: built from the routes themselves, so it cannot drift from them."""
from __future__ import annotations

import re

from flask import current_app

from assist.core.api import API_PREFIX, blueprint
from assist.core.permissions import allowed_roles, public

bp = blueprint("openapi", __name__)

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"error": {"type": "object", "properties": {
        "code": {"type": "string"}, "message": {"type": "string"},
        "fields": {"type": "object", "additionalProperties": {"type": "array", "items": {"type": "string"}}}}}},
}
_PARAM = re.compile(r"<(?:(\w+):)?(\w+)>")


def build_spec(app) -> dict:
    paths: dict = {}
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API_PREFIX):
            continue
        view = app.view_functions[rule.endpoint]
        path = _PARAM.sub(lambda m: "{" + m.group(2) + "}", rule.rule)
        params = [{"name": name, "in": "path", "required": True,
                   "schema": {"type": "integer" if conv == "int" else "string"}}
                  for conv, name in _PARAM.findall(rule.rule)]
        doc = (view.__doc__ or rule.endpoint).strip()
        roles = allowed_roles(view)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            op = {
                "operationId": f"{rule.endpoint}.{method.lower()}",
                "summary": doc.splitlines()[0],
                "description": doc,
                "parameters": params,
                "responses": {
                    "200": {"description": "OK"},
                    "4XX": {"description": "Error", "content": {"application/json": {"schema": ERROR_SCHEMA}}},
                },
                "x-roles": sorted(roles) if roles else [],
            }
            if method in ("POST", "PATCH", "PUT"):
                op["requestBody"] = {"required": False, "content": {"application/json": {"schema": {"type": "object"}}}}
            if getattr(view, "_assist_public", False):
                op["security"] = []
            paths.setdefault(path, {})[method.lower()] = op
    return {
        "openapi": "3.1.0",
        "info": {"title": "assist API", "version": "1", "description": "服务类社会救助 case management"},
        "servers": [{"url": "/"}],
        "components": {"securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}}},
        "security": [{"bearer": []}],
        "paths": dict(sorted(paths.items())),
    }


@bp.get("/openapi.json")
@public
def spec():
    """This description of the API."""
    return build_spec(current_app)
