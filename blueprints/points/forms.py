"""Forms of the points pages: crediting community service, declining a reward request."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from models import ServiceActivity
from services.dates import now_utc, to_local

from ..common import clean_text
from ..lecture_team.forms import HoursField


class SearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or mobile number"), filters=[clean_text], validators=[Length(max=40)])


class CreditForm(FlaskForm):
    """Community service to credit: what kind, when, hours and/or points, and what was done."""

    activity = RadioField(
        _l("What kind of service"), default=ServiceActivity.VISIT.value,
        choices=[
            SelectChoice(ServiceActivity.VISIT.value, _l("Visiting households (走访)")),
            SelectChoice(ServiceActivity.HELPING.value, _l("Helping at a program")),
            SelectChoice(ServiceActivity.OTHER.value, _l("Other service to the community")),
        ],
    )
    served_on = DateField(_l("On"), validators=[DataRequired(_l("Please choose the day."))])
    hours = HoursField(
        _l("Hours"), places=1,
        validators=[Optional(), NumberRange(min=0, max=24, message=_l("Please enter a number from 0 to 24."))],
        render_kw={"inputmode": "decimal"},
    )
    points = IntegerField(
        _l("Points"),
        validators=[Optional(), NumberRange(min=0, max=1000, message=_l("Please enter a number from 0 to 1000."))],
        render_kw={"inputmode": "numeric"},
    )
    reason = StringField(
        _l("What was done (the person will see it)"), filters=[clean_text],
        validators=[DataRequired(_l("Please say what was done.")), Length(max=200, message=_l("At most 200 characters."))],
        render_kw={"maxlength": 200, "placeholder": _l("e.g. visited 12 households of building 3")},
    )

    def validate_served_on(self, field):
        today = to_local(now_utc()).date()
        if field.data and not (today - timedelta(days=366) <= field.data <= today):
            raise ValidationError(_l("Please choose a day in the past year, not in the future."))

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if not self.hours.data and not self.points.data:
            self.hours.errors.append(_l("Please enter hours, points or both."))
            return False
        return True


class DeclineForm(FlaskForm):
    reason = StringField(
        _l("Why not (the person will see it)"), filters=[clean_text],
        validators=[DataRequired(_l("Please give a reason.")), Length(max=200, message=_l("At most 200 characters."))],
        render_kw={"maxlength": 200},
    )
