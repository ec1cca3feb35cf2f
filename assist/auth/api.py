"""API: tokens and users (API.md "Conventions", "Providers and users")."""
from __future__ import annotations

import sqlalchemy as sa
from flask import request
from flask_login import current_user

from assist.auth import services
from assist.auth.models import User
from assist.core.api import blueprint, json_body, page_answer
from assist.core.db import commit
from assist.core.errors import NotFound
from assist.core.pagination import keyset, parse_limit
from assist.core.permissions import ALL, public, roles
from assist.core.timeutil import isoformat
from assist.extensions import db

bp = blueprint("auth_api", __name__)


@bp.post("/auth/token")
@public
def create_token():
    """Log in with username and password; answers a bearer token."""
    data = json_body()
    user = services.authenticate(str(data.get("username") or ""), str(data.get("password") or ""), request.remote_addr)
    token, expires = services.issue_token(user)
    commit()
    return {"token": token, "expires_at": isoformat(expires), "role": user.role, "user_id": user.id}


@bp.delete("/auth/token")
@roles(*ALL)
def revoke_token():
    """Revoke the bearer token of this request."""
    services.revoke_token(request.headers.get("Authorization", "")[7:].strip())
    commit()
    return "", 204


@bp.get("/me")
@roles(*ALL)
def me():
    """The caller's own account."""
    return current_user.to_dict()


@bp.post("/users")
@roles("admin")
def create_user():
    """Create a user (admin)."""
    user = services.create_user(json_body(), current_user)
    commit()
    return user.to_dict(), 201


@bp.get("/users")
@roles("admin")
def list_users():
    """Users, newest first."""
    stmt = sa.select(User)
    if request.args.get("role"):
        stmt = stmt.where(User.role == request.args["role"])
    page = keyset(stmt, [User.id], limit=parse_limit(request.args.get("limit")), cursor=request.args.get("cursor"))
    return page_answer(page, User.to_dict)


@bp.get("/users/<int:user_id>")
@roles("admin")
def get_user(user_id: int):
    """One user (admin)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    return user.to_dict()


@bp.patch("/users/<int:user_id>")
@roles("admin")
def update_user(user_id: int):
    """Change a user's role, areas, password or active flag (with ``version``)."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound()
    services.update_user(user, json_body(), current_user)
    commit()
    return user.to_dict()
