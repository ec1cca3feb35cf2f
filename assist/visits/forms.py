"""Forms of the visit pages. Each has a prefix, so that several can share one page without clashing
ids, and the writing ones carry a one-time ``token`` (the idempotency key of the submission)."""
from __future__ import annotations

import secrets

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, MultipleFileField, SelectField, StringField, SubmitField, TextAreaField

from assist.visits.services import RATING_TITLES


def new_token() -> str:
    return secrets.token_urlsafe(18)


class OnceForm(FlaskForm):
    token = HiddenField()


class CheckInForm(OnceForm):
    lat = HiddenField()
    lng = HiddenField()
    submit = SubmitField(_l("Check in now"))


class CompleteForm(OnceForm):
    quantity = StringField(_l("Quantity"), render_kw={"inputmode": "decimal", "autocomplete": "off"})
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 3})
    over_cap_reason = TextAreaField(_l("Reason for exceeding the monthly cap"), render_kw={"rows": 2})
    photos = MultipleFileField(_l("Photos"))
    signature = HiddenField()
    submit = SubmitField(_l("Complete the visit"))


class PhotosForm(OnceForm):
    photos = MultipleFileField(_l("Photos"))
    submit = SubmitField(_l("Add photos"))


class AssignForm(OnceForm):
    staff_id = SelectField(_l("Worker"), choices=[], validate_choice=False)
    submit = SubmitField(_l("Assign"))


class RescheduleForm(OnceForm):
    scheduled_start = StringField(_l("New start"), render_kw={"type": "datetime-local"})
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 2})
    submit = SubmitField(_l("Reschedule"))


class CancelForm(OnceForm):
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 2})
    submit = SubmitField(_l("Cancel the visit"))


class AmendForm(OnceForm):
    quantity = StringField(_l("Quantity"), render_kw={"inputmode": "decimal"})
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 2})
    check_in_at = StringField(_l("Check-in time"), render_kw={"type": "datetime-local"})
    check_out_at = StringField(_l("Check-out time"), render_kw={"type": "datetime-local"})
    reason = TextAreaField(_l("Reason for the correction"), render_kw={"rows": 2})
    submit = SubmitField(_l("Record the correction"))


class RatingForm(OnceForm):
    rating = SelectField(_l("Rating"), choices=list(RATING_TITLES.items()), validate_choice=False)
    comment = TextAreaField(_l("Comment"), render_kw={"rows": 2})
    submit = SubmitField(_l("Record the rating"))


class GenerateForm(FlaskForm):
    until = StringField(_l("Generate visits up to"), render_kw={"type": "date"})
    submit = SubmitField(_l("Generate schedule"))
