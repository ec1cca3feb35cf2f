"""Locale and time-zone selection: Simplified Chinese unless the user chose English."""
from __future__ import annotations

from flask import current_app, request, session
from flask_login import current_user

LOCALE_NAMES = {"zh_Hans_CN": "简体中文", "en": "English"}


def normalise(value: str | None) -> str | None:
    if not value:
        return None
    value = value.replace("-", "_")
    if value.lower().startswith("zh"):
        return "zh_Hans_CN"
    if value.lower().startswith("en"):
        return "en"
    return None


def select_locale() -> str:
    chosen = None
    if request:
        chosen = normalise(request.args.get("lang")) if request.path.startswith("/api/") else None
        if not chosen:
            try:
                if getattr(current_user, "is_authenticated", False):
                    chosen = normalise(current_user.locale)
            except Exception:  # loading the user failed (database down): still answer, in the default
                current_app.logger.warning("locale: the current user could not be loaded", exc_info=True)
        if not chosen and not request.path.startswith("/api/"):
            chosen = normalise(session.get("locale"))
        if not chosen and request.path.startswith("/api/"):
            chosen = normalise(request.accept_languages.best_match(["zh", "zh-CN", "en"]))
    return chosen or current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    return current_app.config["BABEL_DEFAULT_TIMEZONE"]
