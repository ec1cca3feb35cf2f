"""Needs-diary forms: rendering and CSRF; the rules themselves live in diary/services.py."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import MultipleFileField
from wtforms import (FieldList, Form, FormField, HiddenField, RadioField, SelectField, StringField, SubmitField,
                     TextAreaField)

from assist.diary.services import KIND_TITLES

PHOTO_ATTRS = {"accept": "image/jpeg,image/png", "multiple": True}


class NeedRow(Form):
    kind = SelectField(_l("Kind"), choices=list(KIND_TITLES.items()), default="service")
    description = TextAreaField(_l("What is needed"), render_kw={"rows": 2, "maxlength": 1000})


class DiaryForm(FlaskForm):
    area_code = SelectField(_l("Community or grid"), choices=[], validate_choice=False)
    visited_at = StringField(_l("Visit time"), render_kw={"type": "datetime-local"})
    resident_id = SelectField(_l("Resident (if registered)"), choices=[], validate_choice=False)
    household = StringField(_l("Household visited"), render_kw={"maxlength": 100})
    address = StringField(_l("Address"), render_kw={"maxlength": 200})
    visitors = StringField(_l("Visited by"), render_kw={"maxlength": 200})
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 3, "maxlength": 2000})
    needs = FieldList(FormField(NeedRow), min_entries=2, max_entries=20)
    photos = MultipleFileField(_l("Photos (JPEG or PNG)"), render_kw=PHOTO_ATTRS)
    submit = SubmitField(_l("Save visit"))


class DispatchForm(FlaskForm):
    version = HiddenField()
    unit_id = SelectField(_l("Partner unit"), choices=[], validate_choice=False)
    due_date = StringField(_l("Due date"), render_kw={"type": "date"})
    note = TextAreaField(_l("Instructions for the unit"), render_kw={"rows": 2, "maxlength": 500})
    submit = SubmitField(_l("Dispatch"))


class AcceptForm(FlaskForm):
    version = HiddenField()
    note = StringField(_l("Note (optional)"), render_kw={"maxlength": 500})
    submit = SubmitField(_l("Accept"))


class ReturnForm(FlaskForm):
    version = HiddenField()
    reason = TextAreaField(_l("Why the unit returns it"), render_kw={"rows": 2, "maxlength": 500})
    submit = SubmitField(_l("Return to the community"))


class ResolveForm(FlaskForm):
    version = HiddenField()
    result = TextAreaField(_l("What was done"), render_kw={"rows": 3, "maxlength": 2000})
    photos = MultipleFileField(_l("Photos (JPEG or PNG)"), render_kw=PHOTO_ATTRS)
    submit = SubmitField(_l("Report resolved"))


class FeedbackForm(FlaskForm):
    version = HiddenField()
    satisfied = RadioField(_l("The resident's answer"), choices=[("1", _l("Satisfied")), ("0", _l("Not satisfied"))])
    comment = TextAreaField(_l("What the resident said"), render_kw={"rows": 2, "maxlength": 500})
    due_date = StringField(_l("New due date (when not satisfied)"), render_kw={"type": "date"})
    submit = SubmitField(_l("Record the answer"))


class PhotoForm(FlaskForm):
    photos = MultipleFileField(_l("Add photos"), render_kw=PHOTO_ATTRS)
    submit = SubmitField(_l("Upload"))
