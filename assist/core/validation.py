"""Field validation shared by the JSON API and the HTML forms.

Services validate plain dicts with :class:`Validator`; every message is translated and names the
field, and all errors are reported at once (:class:`~assist.core.errors.ValidationError`).
"""
from __future__ import annotations

import datetime as dt
import re
import unicodedata
from typing import Any, Callable

from flask_babel import gettext as _

from assist.core.errors import ValidationError
from assist.core.timeutil import local_today

MOBILE_RE = re.compile(r"^1[3-9][0-9]{9}$")
# Integers that every database column of ours can hold (a larger id or count is never valid input).
INT_MAX = 2**31 - 1
# Control characters other than tab/newline never belong in a text field.
CONTROL_RE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

MISSING = object()


def field_error(key: str, message, label=None) -> ValidationError:
    """The one way to refuse a single field: a translated message that names it (label or key)."""
    return ValidationError(fields={key: [_("%(field)s: %(message)s", field=str(label or key), message=str(message))]})


class Invalid(Exception):
    """Raised by a parser with a translated message (without the field name)."""


def ascii_fold(value: str) -> str:
    """Full-width digits and letters (what a Chinese input method types) as their ASCII forms.

    Without this, ``１３９…`` would pass a ``\\d`` check and be stored as a different number from
    ``139…``: duplicate checks and searches would miss it.
    """
    return unicodedata.normalize("NFKC", value)


def parse_mobile(value) -> str:
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise Invalid(_("must be an 11-digit mobile number starting with 1"))
    digits = re.sub(r"[\s-]", "", ascii_fold(str(value)))
    if digits.startswith("+86"):
        digits = digits[3:]
    if not MOBILE_RE.match(digits):
        raise Invalid(_("must be an 11-digit mobile number starting with 1"))
    return digits


def positive_decimal(maximum: int):
    """A parser for quantities: a finite number above zero and at most ``maximum``, to the cent."""
    import decimal

    def parse(raw) -> decimal.Decimal:
        if isinstance(raw, bool):
            raise Invalid(_("must be a number"))
        try:
            value = decimal.Decimal(str(raw).strip())
        except decimal.InvalidOperation:
            raise Invalid(_("must be a number"))
        if not value.is_finite() or value <= 0:
            raise Invalid(_("must be greater than zero"))
        if value > maximum:
            raise Invalid(_("must be at most %(n)s", n=maximum))
        return value.quantize(decimal.Decimal("0.01"))
    return parse


def coordinate(lo: float, hi: float):
    """A parser for a latitude or longitude: a number within ``lo``..``hi``."""
    def parse(raw) -> float:
        if isinstance(raw, bool) or not isinstance(raw, (int, float, str)):
            raise Invalid(_("must be a number"))
        try:
            value = float(raw)
        except ValueError:
            raise Invalid(_("must be a number"))
        if not lo <= value <= hi:
            raise Invalid(_("must be between %(lo)s and %(hi)s", lo=lo, hi=hi))
        return value
    return parse


def parse_date(value) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    # Only YYYY-MM-DD: Python also reads 20240501 or 2024-W18, which no form or client means.
    text = ascii_fold(value).strip() if isinstance(value, str) else ""
    if not re.fullmatch(r"[0-9]{4}-[0-9]{2}-[0-9]{2}", text):
        raise Invalid(_("must be a date written YYYY-MM-DD"))
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise Invalid(_("must be a date written YYYY-MM-DD"))


class Validator:
    """Collects cleaned values and errors for one input dict.

    ``partial=True`` (PATCH): absent keys are skipped instead of being required, but a key that is
    present is checked as usual, so ``required=True`` still refuses ``null`` or ``""`` for it (a
    PATCH may leave a required field alone, never empty it).
    """

    def __init__(self, data: Any, partial: bool = False):
        if not isinstance(data, dict):
            raise ValidationError(_("The request body must be a JSON object."))
        self.data = data
        self.partial = partial
        self.errors: dict[str, list[str]] = {}
        self.clean: dict[str, Any] = {}

    def error(self, key: str, label, message) -> None:
        self.errors.setdefault(key, []).append(_("%(field)s: %(message)s", field=str(label), message=str(message)))

    def field(self, key: str, label, parse: Callable[[Any], Any] | None = None, *, required=False,
              default=MISSING):
        """Validate ``data[key]`` with ``parse``; store and return the result (or None on error)."""
        raw = self.data.get(key, MISSING)
        if raw is MISSING:
            if self.partial:
                return None
            if required:
                self.error(key, label, _("is required"))
                return None
            if default is not MISSING:
                self.clean[key] = default
            return default if default is not MISSING else None
        if raw is None or (isinstance(raw, str) and not raw.strip()):
            if required:
                self.error(key, label, _("is required"))
                return None
            self.clean[key] = None if default is MISSING else default
            return self.clean[key]
        try:
            value = parse(raw) if parse else raw
        except Invalid as exc:
            self.error(key, label, str(exc))
            return None
        except (TypeError, ValueError):
            self.error(key, label, _("has the wrong type"))
            return None
        self.clean[key] = value
        return value

    def text(self, key, label, *, required=False, max_length=200, multiline=False):
        def parse(raw):
            # Whole numbers pass as their digits (a house number typed as 101); floats, booleans,
            # lists and objects are not text (json accepts NaN, which would become "nan").
            if not isinstance(raw, (str, int)) or isinstance(raw, bool):
                raise Invalid(_("must be text"))
            value = str(raw).strip()
            if len(value) > max_length:
                raise Invalid(_("must be at most %(n)d characters", n=max_length))
            if CONTROL_RE.search(value) or (not multiline and ("\n" in value or "\r" in value)):
                raise Invalid(_("contains characters that are not allowed"))
            return value
        return self.field(key, label, parse, required=required)

    def choice(self, key, label, choices, *, required=False, default=MISSING):
        def parse(raw):
            if raw not in choices:
                raise Invalid(_("must be one of: %(choices)s", choices=", ".join(map(str, choices))))
            return raw
        return self.field(key, label, parse, required=required, default=default)

    def integer(self, key, label, *, required=False, min_value=None, max_value=None, default=MISSING):
        def parse(raw):
            if isinstance(raw, bool):
                raise Invalid(_("must be a whole number"))
            if isinstance(raw, int):
                value = raw
            elif isinstance(raw, str) and re.fullmatch(r"\s*[+-]?[0-9]{1,12}\s*", ascii_fold(raw)):
                value = int(ascii_fold(raw))
            else:
                raise Invalid(_("must be a whole number"))
            if abs(value) > INT_MAX:
                raise Invalid(_("must be at most %(n)s", n=INT_MAX))
            if min_value is not None and value < min_value:
                raise Invalid(_("must be at least %(n)s", n=min_value))
            if max_value is not None and value > max_value:
                raise Invalid(_("must be at most %(n)s", n=max_value))
            return value
        return self.field(key, label, parse, required=required, default=default)

    def boolean(self, key, label, *, required=False, default=MISSING):
        def parse(raw):
            if isinstance(raw, bool):
                return raw
            if not isinstance(raw, (str, int)):
                raise Invalid(_("must be true or false"))
            text = str(raw).strip().lower()
            if text in ("1", "true", "yes", "y", "on", "是", "√", "✔"):
                return True
            if text in ("0", "false", "no", "n", "off", "否", ""):
                return False
            raise Invalid(_("must be true or false"))
        return self.field(key, label, parse, required=required, default=default)

    def date(self, key, label, *, required=False, not_future=False, default=MISSING):
        def parse(raw):
            value = parse_date(raw)
            if not_future and value > local_today():
                raise Invalid(_("may not be in the future"))
            return value
        return self.field(key, label, parse, required=required, default=default)

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ValidationError(fields=self.errors)

