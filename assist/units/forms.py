from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # lazy; named so that pybabel's default keywords extract it
from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, SelectField, SelectMultipleField, StringField, SubmitField

from assist.units.services import KIND_TITLES


class UnitForm(FlaskForm):
    version = HiddenField()
    name = StringField(pgettext("organisation", "Name"), render_kw={"maxlength": 100})
    kind = SelectField(_l("Type"), choices=list(KIND_TITLES.items()))
    contact = StringField(_l("Contact person"), render_kw={"maxlength": 60})
    phone = StringField(_l("Phone"), render_kw={"inputmode": "tel", "maxlength": 20})
    address = StringField(_l("Address"), render_kw={"maxlength": 200})
    area_codes = SelectMultipleField(_l("Paired areas"), choices=[], validate_choice=False,
                                     render_kw={"size": 8})
    active = BooleanField(_l("Active (receives new dispatches)"), default=True)
    submit = SubmitField(_l("Save"))
