"""Glue between service validation errors and WTForms: errors land on the fields that caused them."""
from __future__ import annotations

from flask_babel import gettext as _

from assist.core.errors import ValidationError


def apply_errors(form, exc: ValidationError) -> None:
    """Attach ``exc.fields`` to the matching form fields (the rest to ``form.form_errors``)."""
    for key, messages in exc.fields.items():
        field = getattr(form, key.split(".")[0], None)
        target = field.errors if field is not None and hasattr(field, "errors") else None
        if target is None:
            form.form_errors.extend(str(m) for m in messages)
            continue
        if isinstance(target, tuple):
            field.errors = list(target)
            target = field.errors
        elif isinstance(target, dict):  # FormField / FieldList
            form.form_errors.extend(str(m) for m in messages)
            continue
        target.extend(str(m) for m in messages)
    if not exc.fields:
        form.form_errors.append(str(exc.message))


def flash_invalid() -> str:
    return _("Please correct the marked fields.")
