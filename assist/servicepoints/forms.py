from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # lazy; named so that pybabel's default keywords extract it
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, SubmitField

from assist.servicepoints.services import KIND_TITLES


class ServicePointForm(FlaskForm):
    version = HiddenField()
    kind = SelectField(_l("Type"), choices=list(KIND_TITLES.items()))
    name = StringField(pgettext("organisation", "Name"), render_kw={"maxlength": 100})
    area_code = SelectField(_l("Community"), choices=[], validate_choice=False)
    address = StringField(_l("Address"), render_kw={"maxlength": 200})
    opening_hours = StringField(_l("Opening hours"), render_kw={"maxlength": 100,
                                                                "placeholder": "周一至周五 8:30–17:30"})
    contact = StringField(_l("Contact person"), render_kw={"maxlength": 60})
    phone = StringField(_l("Phone"), render_kw={"inputmode": "tel", "maxlength": 20})
    item_codes = SelectMultipleField(_l("Service items it provides"), choices=[], validate_choice=False,
                                     render_kw={"size": 8})
    active = BooleanField(_l("Open"), default=True)
    submit = SubmitField(_l("Save"))
