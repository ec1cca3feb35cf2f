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


def save(form, write, *, version_of=None):
    """Run ``write()`` (a service call) and commit. On a refusal the transaction is rolled back and
    the messages land on the form, which keeps everything typed; returns ``write``'s result, or
    None when the form is to be shown again. ``version_of()`` gives the record's current version
    after a stale edit, so that saving again applies the user's input over it."""
    from flask import flash

    from assist.core.db import commit
    from assist.core.errors import AppError, StaleVersion
    from assist.extensions import db
    try:
        result = write()
        commit()
        return result
    except ValidationError as exc:
        db.session.rollback()
        apply_errors(form, exc)
        flash(flash_invalid(), "danger")
    except StaleVersion as exc:
        db.session.rollback()
        if version_of is not None and hasattr(form, "version"):
            form.version.data = version_of()
        form.form_errors.append(str(exc.message))
    except AppError as exc:
        db.session.rollback()
        form.form_errors.append(str(exc.message))
    return None


def status(form) -> int:
    """422 when the form is shown again with messages, 200 otherwise."""
    return 422 if form.errors or form.form_errors else 200
