"""Forms for administrators."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, StringField
from wtforms.validators import DataRequired, InputRequired, Length, Optional, ValidationError

from ..common import clean_text
from ..weekly_forms import sane_date


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or mobile number"), filters=[clean_text], validators=[Length(max=40)])


class RolesForm(FlaskForm):
    volunteer = BooleanField(_l("Volunteer"))
    organizer = BooleanField(_l("Organizer"))
    admin = BooleanField(_l("Administrator"))


class ClosedDaysForm(FlaskForm):
    """Days the community office closes: one day, or several in a row, and why."""

    first_day = DateField(_l("First closed day"), validators=[InputRequired(_l("Please choose a date.")), sane_date])
    last_day = DateField(
        _l("Last closed day (optional)"), description=_l("Leave empty for a single day."),
        validators=[Optional(), sane_date],
    )
    name = StringField(
        _l("Why the office is closed"), filters=[clean_text], description=_l("E.g. 文化中心年度检修"),
        validators=[DataRequired(_l("Please say why the office is closed.")), Length(max=80, message=_l("At most 80 characters."))],
        render_kw={"maxlength": 80},
    )

    def validate_last_day(self, field):
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day must not be before the first day."))
