"""Resident forms: rendering and CSRF; the rules themselves live in residents/services.py."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import (BooleanField, DateField, FieldList, FormField, HiddenField, SelectField, StringField,
                     SubmitField, TextAreaField)
from wtforms import Form
from wtforms.validators import Optional

from assist.residents.conditions import (ASSISTANCE_TITLES, CHILD_STATUS_TITLES, CONDITIONS, DISABILITY_TITLES,
                                         SELF_CARE_TITLES, STATUS_REASON_TITLES, STATUS_TITLES)


class HouseholdRow(Form):
    relation = StringField(_l("Relation"))
    name = StringField(_l("Name"))
    id_number = StringField(_l("ID number (optional)"))
    phone = StringField(_l("Phone (optional)"))


class ResidentForm(FlaskForm):
    version = HiddenField()
    id_number = StringField(_l("ID number"), render_kw={"autocomplete": "off", "maxlength": 22,
                                                        "inputmode": "text"})
    name = StringField(_l("Name"), render_kw={"maxlength": 50})
    phone = StringField(_l("Phone"), render_kw={"inputmode": "tel", "maxlength": 20})
    address = StringField(_l("Address"), render_kw={"maxlength": 200})
    area_code = SelectField(_l("Area"), choices=[], validate_choice=False)
    assistance_type = SelectField(_l("Target group"), choices=[("", "—")] + [(k, v) for k, v in ASSISTANCE_TITLES.items()])
    assistance_since = DateField(_l("Target group since"), validators=[Optional()])
    emergency_contact_name = StringField(_l("Emergency contact"), render_kw={"maxlength": 50})
    emergency_contact_phone = StringField(_l("Emergency contact phone"), render_kw={"inputmode": "tel"})
    assessed_on = DateField(_l("Assessment date"), validators=[Optional()])
    household = FieldList(FormField(HouseholdRow), min_entries=3, max_entries=20)
    submit = SubmitField(_l("Save"))


# The condition fields are generated from the one definition in conditions.py.
for _cond in CONDITIONS:
    if _cond.kind == "bool":
        setattr(ResidentForm, _cond.key, BooleanField(_cond.label))
    elif _cond.kind == "child":
        setattr(ResidentForm, _cond.key, SelectField(_cond.label, choices=list(CHILD_STATUS_TITLES.items())))
    else:
        titles = SELF_CARE_TITLES if _cond.key == "self_care_level" else DISABILITY_TITLES
        setattr(ResidentForm, _cond.key, SelectField(_cond.label, choices=[(str(k), v) for k, v in titles.items()]))


class StatusForm(FlaskForm):
    version = HiddenField()
    status = SelectField(_l("New status"), choices=list(STATUS_TITLES.items()))
    reason_kind = SelectField(_l("Reason kind"), choices=[("", "—")] + list(STATUS_REASON_TITLES.items()))
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 2, "maxlength": 500})
    effective_on = DateField(_l("Effective date"), validators=[Optional()])
    submit = SubmitField(_l("Change status"))


class ImportForm(FlaskForm):
    file = FileField(_l("File (xlsx or csv)"), render_kw={"accept": ".xlsx,.csv,.txt"})
    check_only = BooleanField(_l("Only check the file, import nothing"))
    submit = SubmitField(_l("Check and import"))
