"""Glue between service validation errors and WTForms: errors land on the fields that caused them."""
from __future__ import annotations

from flask_babel import gettext as _
from wtforms.fields import FieldList, FormField, HiddenField

from assist.core.errors import ValidationError


def _visible_field(form, key: str):
    """The form field a service error key belongs to, or None.

    Service keys are the API's names: ``name``, ``conditions.lives_alone`` (a form may render the
    condition as its own top-level field), ``household`` (a FieldList). Hidden fields (``version``,
    the CSRF token) cannot show a message, so their errors go to the top of the form instead.
    """
    for candidate in (key, key.rsplit(".", 1)[-1], key.split(".", 1)[0]):
        field = form._fields.get(candidate) if hasattr(form, "_fields") else None
        if field is None:
            continue
        if isinstance(field, HiddenField) or field.type in ("CSRFTokenField", "HiddenField"):
            return None
        return field
    return None


def apply_errors(form, exc: ValidationError) -> None:
    """Attach ``exc.fields`` to the matching form fields (the rest to ``form.form_errors``)."""
    for key, messages in exc.fields.items():
        messages = [str(m) for m in messages]
        field = _visible_field(form, key)
        if field is None or isinstance(field, FormField):
            form.form_errors.extend(messages)
            continue
        if isinstance(field, FieldList):
            # A FieldList's errors are one entry per row after validate(); keep those and add ours as
            # plain strings, which the template shows above the rows.
            field.errors = [e for e in field.errors if e] + messages
            continue
        field.errors = list(field.errors) + messages
    if not exc.fields:
        form.form_errors.append(str(exc.message))


def flash_invalid() -> str:
    return _("Please correct the marked fields.")
