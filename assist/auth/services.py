"""Accounts: passwords, login throttling, API tokens, user management."""
from __future__ import annotations

import datetime as dt
import hashlib
import secrets

import sqlalchemy as sa
from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from werkzeug.security import check_password_hash, generate_password_hash

from assist.areas.models import Area
from assist.auth.models import ApiToken, LoginAttempt, User
from assist.core import audit
from assist.core.db import check_version, flush, touch, utcnow
from assist.core.errors import Conflict, Throttled, Unauthorized
from assist.core.permissions import ROLES
from assist.core.validation import Invalid, Validator
from assist.extensions import db
from assist.providers.models import Provider
from assist.units.models import PartnerUnit

USERNAME_CHARS = set("abcdefghijklmnopqrstuvwxyz0123456789._-")
# A dummy hash so that a login for an unknown user costs as much as one for a known user.
_DUMMY_HASH = generate_password_hash("not-a-real-password-" + secrets.token_hex(8))

L = {
    "username": _l("Username"), "password": _l("Password"), "role": _l("Role"), "area_codes": _l("Areas"),
    "provider_id": _l("Provider"), "unit_id": _l("Partner unit"), "display_name": _l("Display name"),
    "locale": _l("Language"), "active": _l("Active"),
}


def password_problem(password: str, username: str = "") -> str | None:
    minimum = current_app.config["PASSWORD_MIN_LENGTH"]
    if len(password) < minimum:
        return _("must be at least %(n)d characters", n=minimum)
    if len(password) > 200:
        return _("must be at most %(n)d characters", n=200)
    if len(set(password)) < 4 or (username and username.lower() in password.lower()):
        return _("is too easy to guess")
    return None


def _parse_password(raw) -> str:
    if not isinstance(raw, str):
        raise Invalid(_("must be text"))
    return raw


def _parse_username(raw) -> str:
    value = str(raw).strip().lower()
    if not 3 <= len(value) <= 40 or not set(value) <= USERNAME_CHARS:
        raise Invalid(_("must be 3–40 letters, digits, dots, dashes or underscores"))
    return value


# --- login and throttling -------------------------------------------------------------------------

def _throttle_wait(column, value, since, limit: int, window: int, *, reset_on_success: bool) -> int:
    """Seconds until a login for ``value`` is allowed again (0: allowed now).

    Failures count within the window; for a username only those since its last successful login (a
    user who finally types the right password starts afresh; an address does not, or one valid
    account would let it spray guesses at all the others). With ``limit`` failures in the window,
    the wait ends when the oldest of the last ``limit`` leaves the window.
    """
    last_ok = None
    if reset_on_success:
        last_ok = db.session.scalar(sa.select(sa.func.max(LoginAttempt.at)).where(
            column == value, LoginAttempt.success.is_(True), LoginAttempt.at >= since))
    stmt = sa.select(LoginAttempt.at).where(column == value, LoginAttempt.success.is_(False),
                                            LoginAttempt.at >= (last_ok or since))
    recent = list(db.session.scalars(stmt.order_by(LoginAttempt.at.desc()).limit(limit)))
    if len(recent) < limit:
        return 0
    oldest = min(recent)
    return max(1, int((oldest + dt.timedelta(seconds=window) - utcnow()).total_seconds()) + 1)


def authenticate(username: str, password: str, ip: str | None) -> User:
    """Check a login. Raises Throttled (429) after too many failures, Unauthorized (401) otherwise.

    The attempt is recorded whatever the outcome; the caller commits.
    """
    cfg = current_app.config
    username = (username or "").strip().lower()[:80]
    window = cfg["LOGIN_FAILURE_WINDOW"]
    since = utcnow() - dt.timedelta(seconds=window)
    wait = _throttle_wait(LoginAttempt.username, username, since, cfg["LOGIN_MAX_FAILURES"], window,
                          reset_on_success=True)
    if ip:
        wait = max(wait, _throttle_wait(LoginAttempt.ip, ip, since, cfg["LOGIN_MAX_FAILURES_PER_IP"], window,
                                        reset_on_success=False))
    if wait:
        raise Throttled(_("Too many failed logins. Try again in %(n)d minutes.", n=max(1, -(-wait // 60))),
                        retry_after=wait)
    user = db.session.scalars(sa.select(User).where(User.username == username)).first()
    ok = check_password_hash(user.password_hash if user else _DUMMY_HASH, password or "")
    ok = ok and user is not None and user.active
    db.session.add(LoginAttempt(username=username, ip=ip, success=ok))
    if not ok:
        audit.record("login", "user", user.id if user else None, {"success": False, "username": username})
        # Record the failure even though the caller answers with an error (and rolls back).
        db.session.commit()
        raise Unauthorized(_("Wrong username or password."))
    user.last_login_at = utcnow()
    audit.record("login", "user", user.id, {"success": True}, actor=user)
    return user


# --- API tokens -----------------------------------------------------------------------------------

def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(user: User) -> tuple[str, dt.datetime]:
    token = secrets.token_urlsafe(32)
    expires = utcnow() + dt.timedelta(seconds=current_app.config["API_TOKEN_LIFETIME"])
    db.session.add(ApiToken(user_id=user.id, token_hash=_token_hash(token), expires_at=expires))
    db.session.flush()
    return token, expires


def user_for_token(token: str) -> User | None:
    if not token or len(token) > 200:
        return None
    row = db.session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is None or row.revoked_at is not None or row.expires_at <= utcnow() or not row.user.active:
        return None
    return row.user


def revoke_token(token: str) -> bool:
    row = db.session.scalars(sa.select(ApiToken).where(ApiToken.token_hash == _token_hash(token))).first()
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at = utcnow()
    return True


# --- user management ------------------------------------------------------------------------------

def _validate(data: dict, *, partial: bool, existing: User | None = None) -> dict:
    v = Validator(data, partial=partial)
    if existing is None:
        v.field("username", L["username"], _parse_username, required=True)
    v.text("display_name", L["display_name"], max_length=60)
    role = v.choice("role", L["role"], ROLES, required=True)
    pw = v.field("password", L["password"], _parse_password, required=True)
    if pw is not None:
        problem = password_problem(pw, v.clean.get("username") or (existing.username if existing else ""))
        if problem:
            v.error("password", L["password"], problem)
    v.choice("locale", L["locale"], ("zh_Hans_CN", "en"))
    v.boolean("active", L["active"], required=partial)  # an update may switch it, never null it
    codes = v.field("area_codes", L["area_codes"], _parse_codes, default=[])
    if codes:
        found = set(db.session.scalars(sa.select(Area.code).where(Area.code.in_(codes))))
        missing = [c for c in codes if c not in found]
        if missing:
            v.error("area_codes", L["area_codes"], _("unknown area code %(code)s", code=", ".join(missing)))
    provider_id = v.integer("provider_id", L["provider_id"], min_value=1)
    unit_id = v.integer("unit_id", L["unit_id"], min_value=1)
    if provider_id and db.session.get(Provider, provider_id) is None:
        v.error("provider_id", L["provider_id"], _("no such provider"))
    if unit_id and db.session.get(PartnerUnit, unit_id) is None:
        v.error("unit_id", L["unit_id"], _("no such partner unit"))
    clean = v.clean
    role = role or (existing.role if existing else None)
    provider_id = clean.get("provider_id", existing.provider_id if existing else None)
    unit_id = clean.get("unit_id", existing.unit_id if existing else None)
    area_codes = clean.get("area_codes", [a.code for a in existing.areas] if existing else [])
    # Checked with the fields above, so that one answer names every problem at once.
    if role == "caseworker" and not area_codes and "area_codes" not in v.errors:
        v.error("area_codes", L["area_codes"], _("a caseworker needs at least one area"))
    if role == "provider" and not provider_id and "provider_id" not in v.errors:
        v.error("provider_id", L["provider_id"], _("a provider user belongs to a provider"))
    if role == "unit" and not unit_id and "unit_id" not in v.errors:
        v.error("unit_id", L["unit_id"], _("a partner-unit user belongs to a unit"))
    v.raise_if_errors()
    return clean


def _parse_codes(raw) -> list[str]:
    if isinstance(raw, str):
        raw = [c for c in raw.replace(",", " ").split() if c]
    if not isinstance(raw, list) or not all(isinstance(c, str) for c in raw):
        raise Invalid(_("must be a list of area codes"))
    return sorted(set(c.strip() for c in raw))


def create_user(data: dict, actor: User | None) -> User:
    clean = _validate(data, partial=False)
    if db.session.scalar(sa.select(sa.func.count()).select_from(User).where(User.username == clean["username"])):
        raise Conflict(_("The username %(name)s is taken.", name=clean["username"]), code="duplicate")
    user = User(username=clean["username"], display_name=clean.get("display_name") or "", role=clean["role"],
                password_hash=generate_password_hash(clean["password"], method=current_app.config["PASSWORD_HASH_METHOD"]), locale=clean.get("locale"),
                provider_id=clean.get("provider_id") if clean["role"] == "provider" else None,
                unit_id=clean.get("unit_id") if clean["role"] == "unit" else None)
    if clean["role"] == "caseworker":
        user.areas = list(db.session.scalars(sa.select(Area).where(Area.code.in_(clean.get("area_codes") or []))))
    db.session.add(user)
    db.session.flush()
    audit.record("create", "user", user.id, {k: v for k, v in user.to_dict().items() if k != "id"}, actor=actor)
    return user


def update_user(user: User, data: dict, actor: User) -> User:
    check_version(user, data.get("version"))
    before = user.to_dict()
    clean = _validate(data, partial=True, existing=user)
    for key in ("display_name", "role", "locale", "active", "provider_id", "unit_id"):
        if key in clean:
            setattr(user, key, clean[key] if clean[key] is not None or key != "display_name" else "")
    if "area_codes" in clean:
        user.areas = list(db.session.scalars(sa.select(Area).where(Area.code.in_(clean["area_codes"] or []))))
    changes = audit.diff(before, user.to_dict())
    if "password" in clean:
        user.password_hash = generate_password_hash(clean["password"], method=current_app.config["PASSWORD_HASH_METHOD"])
        changes["password"] = ["***", "***"]
    if "password" in clean or clean.get("active") is False:
        user.session_nonce = secrets.token_hex(8)
        db.session.execute(sa.update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
                           .values(revoked_at=utcnow()))
    if changes:
        touch(user)  # area changes alone must move the version on too
        flush()
        audit.record("update", "user", user.id, changes, actor=actor)
    return user


def set_locale(user: User, locale: str) -> None:
    """A user's own language choice (not audited as an account change)."""
    user.locale = locale
    db.session.flush()
