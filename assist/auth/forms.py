from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, SelectField, SelectMultipleField, StringField, SubmitField
from wtforms.validators import DataRequired, Length, Optional

from assist.core.permissions import ROLE_TITLES


class LoginForm(FlaskForm):
    username = StringField(_l("Username"), validators=[DataRequired(), Length(max=80)],
                           render_kw={"autocomplete": "username", "autofocus": True})
    password = PasswordField(_l("Password"), validators=[DataRequired(), Length(max=200)],
                             render_kw={"autocomplete": "current-password"})
    submit = SubmitField(_l("Log in"))


class UserForm(FlaskForm):
    username = StringField(_l("Username"), validators=[Optional(), Length(max=40)])
    display_name = StringField(_l("Display name"), validators=[Optional(), Length(max=60)])
    role = SelectField(_l("Role"), choices=[(k, v) for k, v in ROLE_TITLES.items()])
    area_codes = SelectMultipleField(_l("Areas"), choices=[], validate_choice=False)
    provider_id = SelectField(_l("Provider"), choices=[], validate_choice=False)
    unit_id = SelectField(_l("Partner unit"), choices=[], validate_choice=False)
    password = PasswordField(_l("Password"), validators=[Optional(), Length(max=200)],
                             render_kw={"autocomplete": "new-password"})
    active = BooleanField(_l("Active"), default=True)
    submit = SubmitField(_l("Save"))
