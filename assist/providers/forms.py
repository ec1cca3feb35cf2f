from flask_babel import lazy_gettext as _l
from flask_babel import lazy_pgettext as pgettext  # lazy; named so that pybabel's default keywords extract it
from flask_wtf import FlaskForm
from wtforms import (BooleanField, DateField, HiddenField, IntegerField, SelectField, SelectMultipleField,
                     StringField, SubmitField, TextAreaField)
from wtforms.validators import Optional


class ProviderForm(FlaskForm):
    version = HiddenField()
    name = StringField(pgettext("organisation", "Name"), render_kw={"maxlength": 100})
    uscc = StringField(_l("Unified social credit code"), render_kw={"maxlength": 20})
    kind = SelectField(_l("Type"), choices=[])
    contact = StringField(_l("Contact person"))
    phone = StringField(_l("Phone"))
    address = StringField(_l("Address"))
    weekly_capacity = IntegerField(_l("Weekly capacity"), validators=[Optional()])
    contract_start = DateField(_l("Contract start"), validators=[Optional()])
    contract_end = DateField(_l("Contract end"), validators=[Optional()])
    item_codes = SelectMultipleField(_l("Service items"), choices=[], validate_choice=False)
    area_codes = SelectMultipleField(_l("Areas served"), choices=[], validate_choice=False)
    unit_prices = TextAreaField(_l("Contract prices (one per line: item code and price, e.g. A1 18.00)"),
                                render_kw={"rows": 3})
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))
