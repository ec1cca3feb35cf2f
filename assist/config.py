"""Configuration: defaults → instance/assist.cfg → ASSIST_* environment variables.

Environment variables override the file; `ASSIST_DATABASE_URL` maps to `SQLALCHEMY_DATABASE_URI`.
"""
from __future__ import annotations

import os

# Keys a caller may never run with outside development/testing.
WEAK_SECRETS = {"", "dev", "secret", "changeme", "change-me", "development", "test", "testing"}
MIN_SECRET_LENGTH = 16  # with at least 8 distinct characters: ~80 bits when random


class Defaults:
    ENV_NAME = "production"  # production | development | testing
    SECRET_KEY = None
    # A separate key for field encryption and blind indexes; derived from SECRET_KEY when unset.
    DATA_KEY = None
    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SQLALCHEMY_TRACK_MODIFICATIONS = False
    MAX_CONTENT_LENGTH = 16 * 1024 * 1024  # uploads: photos, import files
    MAX_JSON_LENGTH = 1 * 1024 * 1024
    # Form fields held in memory: large enough that an absurd entry (a 100,000-character name, 900 KB
    # URL-encoded) comes back as a 422 form with the input kept, not as a 413 page that loses it.
    MAX_FORM_MEMORY_SIZE = 4 * 1024 * 1024
    BABEL_DEFAULT_LOCALE = "zh_Hans_CN"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh_Hans_CN", "en")
    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None
    WTF_CSRF_TIME_LIMIT = 8 * 3600
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    PERMANENT_SESSION_LIFETIME = 8 * 3600
    API_TOKEN_LIFETIME = 12 * 3600
    LOGIN_MAX_FAILURES = 5  # per username within the window
    LOGIN_MAX_FAILURES_PER_IP = 200  # many users behind one gateway (or one test client) share an address
    LOGIN_FAILURE_WINDOW = 15 * 60
    PASSWORD_MIN_LENGTH = 10
    PASSWORD_HASH_METHOD = "scrypt"
    BUREAU_NAME = "乌海市海南区民政局"
    DISTRICT_CODE = "150303"
    PUBLIC_URL = None  # e.g. https://assist.bureau.local — printed in QR codes when no request is at hand
    UPLOAD_DIR = None
    IMPORT_MAX_ROWS = 20000
    IMPORT_MAX_BYTES = 10 * 1024 * 1024  # a resident spreadsheet; below MAX_CONTENT_LENGTH
    IMPORT_SYNC_ROWS = 200  # files up to this many rows are imported within the upload request
    IMPORT_BATCH_SIZE = 50  # rows per commit (and progress step) of a background import
    IMPORT_STALL_SECONDS = 300  # a running import without progress for this long was interrupted


def load(app, overrides: dict | None = None) -> None:
    """Apply the configuration layers to ``app`` and check that it is safe to run."""
    app.config.from_object(Defaults)
    app.config.from_pyfile("assist.cfg", silent=True)
    app.config.from_prefixed_env("ASSIST")
    if "DATABASE_URL" in app.config:
        app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if overrides:
        app.config.update(overrides)
        if "DATABASE_URL" in overrides:
            app.config["SQLALCHEMY_DATABASE_URI"] = overrides["DATABASE_URL"]
    if app.config.get("TESTING"):
        app.config["ENV_NAME"] = "testing"
    if not app.config.get("SQLALCHEMY_DATABASE_URI"):
        os.makedirs(app.instance_path, exist_ok=True)
        app.config["SQLALCHEMY_DATABASE_URI"] = "sqlite:///" + os.path.join(app.instance_path, "assist.db")
    if not app.config.get("UPLOAD_DIR"):
        app.config["UPLOAD_DIR"] = os.path.join(app.instance_path, "uploads")
    _check_secret(app)
    if not app.config.get("DATA_KEY"):
        app.config["DATA_KEY"] = app.config["SECRET_KEY"]
    if app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        # SQLite: one file, a connection per thread; the busy timeout lets writers queue.
        opts = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        opts.setdefault("connect_args", {"timeout": 30})
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = opts


def is_weak_secret(key) -> bool:
    if isinstance(key, bytes):
        key = key.decode("utf-8", "replace")
    key = key if isinstance(key, str) else ""
    return key.strip().lower() in WEAK_SECRETS or len(key) < MIN_SECRET_LENGTH or len(set(key)) < 8


def schema_command(argv=None) -> bool:
    """Is this process ``flask [--app X] db …``? Migrating or checking the schema signs no session
    and touches no encrypted field, so it may run before the operator has set a secret key."""
    import sys
    argv = sys.argv if argv is None else argv
    if not argv or not (os.path.basename(argv[0]) in ("flask", "flask.exe")
                        or argv[0].replace("\\", "/").endswith("flask/__main__.py")):
        return False
    args, skip = [], False
    for arg in argv[1:]:
        if skip:
            skip = False
        elif arg in ("--app", "-A", "--env-file", "-e"):
            skip = True
        elif not arg.startswith("-"):
            args.append(arg)
    return bool(args) and args[0] == "db"


def _check_secret(app) -> None:
    key = app.config.get("SECRET_KEY") or ""
    relaxed = app.config["ENV_NAME"] in ("development", "testing")
    if not relaxed and is_weak_secret(key) and schema_command():
        app.logger.warning("no strong ASSIST_SECRET_KEY: allowed for `flask db` only; the app will not serve")
        relaxed = True
    if relaxed and not key:
        app.config["SECRET_KEY"] = key = "insecure-development-key-" + "x" * 16
    if relaxed:
        return
    advice = (f"set it to a random value of at least {MIN_SECRET_LENGTH} characters, "
              "e.g. python -c 'import secrets; print(secrets.token_urlsafe(48))'")
    if is_weak_secret(key):
        raise RuntimeError(f"ASSIST_SECRET_KEY is missing or weak: {advice}")
    # The field-encryption key, when given separately, protects the ID and phone numbers at rest.
    if app.config.get("DATA_KEY") and is_weak_secret(app.config["DATA_KEY"]):
        raise RuntimeError(f"ASSIST_DATA_KEY is weak: {advice}")
