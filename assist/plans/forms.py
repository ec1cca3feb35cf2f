from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (DateField, HiddenField, IntegerField, SelectField, SelectMultipleField, StringField,
                     SubmitField, TextAreaField)
from wtforms.validators import Optional
from wtforms.widgets import CheckboxInput, ListWidget

WEEKDAY_CHOICES = [("MO", _l("Mon")), ("TU", _l("Tue")), ("WE", _l("Wed")), ("TH", _l("Thu")), ("FR", _l("Fri")),
                   ("SA", _l("Sat")), ("SU", _l("Sun"))]


class CheckboxList(SelectMultipleField):
    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class PlanForm(FlaskForm):
    version = HiddenField()
    resident_id = HiddenField()
    item_code = SelectField(_l("Service item"), choices=[], validate_choice=False)
    provider_id = SelectField(_l("Provider"), choices=[], validate_choice=False)
    pattern = SelectField(_l("Repeats"), choices=[("weekly", _l("Weekly on chosen days")),
                                                 ("monthly", _l("Monthly on chosen days")),
                                                 ("daily", _l("Daily")),
                                                 ("custom", _l("Custom rule (RFC 5545)"))])
    interval = IntegerField(_l("Every N weeks/months/days"), default=1, validators=[Optional()])
    weekdays = CheckboxList(_l("Weekdays"), choices=WEEKDAY_CHOICES, validate_choice=False)
    month_days = StringField(_l("Days of the month"), render_kw={"placeholder": "5,20"})
    rrule = StringField(_l("Custom rule"), render_kw={"placeholder": "FREQ=WEEKLY;BYDAY=MO,TH"})
    start_date = DateField(_l("Start date"), validators=[Optional()])
    end_date = DateField(_l("End date"), validators=[Optional()])
    start_time = StringField(_l("Start time"), render_kw={"placeholder": "09:00", "type": "time"})
    duration_minutes = StringField(_l("Duration (minutes)"), render_kw={"inputmode": "numeric"})
    quantity_per_visit = StringField(_l("Quantity per visit"), render_kw={"inputmode": "decimal"})
    monthly_cap = StringField(_l("Monthly cap (visits)"), render_kw={"inputmode": "numeric"})
    notes = TextAreaField(_l("Notes"), render_kw={"rows": 2})
    override_reason = TextAreaField(_l("Why grant this item although the rules do not (required when not eligible)"),
                                    render_kw={"rows": 2})
    submit = SubmitField(_l("Save plan"))


class DecisionForm(FlaskForm):
    item_code = HiddenField()
    kind = HiddenField()
    reason = TextAreaField(_l("Reason"), render_kw={"rows": 2})
    submit = SubmitField(_l("Record"))


class EndPlanForm(FlaskForm):
    reason = TextAreaField(_l("Why the plan ends"), render_kw={"rows": 2})
    end_date = DateField(_l("Last day"), validators=[Optional()])
    submit = SubmitField(_l("End plan"))
