"""Forms for joining troupes and for leaders managing them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, NumberRange, Optional, ValidationError

from services.accounts import is_valid_phone, normalize_phone

from ..common import clean_text
from ..event_forms import EventFields, PlaceFields
from ..weekly_forms import LayoutFields, WeeklyScheduleForm


class ApplyForm(FlaskForm):
    """Apply to join a troupe, with an optional note for the leader."""

    note = TextAreaField(
        _l("A note for the leader (optional)"), filters=[clean_text],
        description=_l("E.g. what you have learned before, or when you can come."),
        validators=[Length(max=200, message=_l("At most 200 characters."))],
        render_kw={"maxlength": 200},
    )


class DeclineForm(FlaskForm):
    reason = StringField(
        _l("Reason (the applicant will see it)"), filters=[clean_text],
        validators=[DataRequired(_l("Please give a reason.")), Length(max=200, message=_l("At most 200 characters."))],
        render_kw={"maxlength": 200},
    )


class SettingsForm(FlaskForm):
    """What the directory says about rehearsals, and the member limit."""

    rehearsal_times = StringField(
        _l("Rehearsal times"), filters=[clean_text],
        description=_l("In your own words, e.g. every Tuesday and Thursday 9:00–11:00"),
        validators=[Length(max=120, message=_l("At most 120 characters."))], render_kw={"maxlength": 120},
    )
    rehearsal_place = StringField(
        _l("Rehearsal place"), filters=[clean_text],
        validators=[Length(max=120, message=_l("At most 120 characters."))], render_kw={"maxlength": 120},
    )
    member_limit = IntegerField(
        _l("Member limit (leave empty for no limit)"),
        validators=[Optional(), NumberRange(min=1, max=500, message=_l("Please enter a number from 1 to 500."))],
        render_kw={"inputmode": "numeric"},
    )


class LeaderForm(FlaskForm):
    """The leader's mobile number (organizers only); empty means no leader."""

    phone = StringField(
        _l("Leader's mobile number"), filters=[normalize_phone],
        description=_l("The leader needs an account. Leave empty for no leader."),
        render_kw={"inputmode": "numeric", "maxlength": 20},
    )

    def validate_phone(self, field):
        if field.data and not is_valid_phone(field.data):
            raise ValidationError(_l("Please enter an 11-digit mobile number starting with 1."))


class RehearsalScheduleForm(WeeklyScheduleForm, LayoutFields):
    """Rehearsals on some weekdays between two days."""


class PerformanceForm(EventFields, PlaceFields):
    """A performance or activity residents can book seats for."""


class RehearsalForm(EventFields):
    """One rehearsal: members come, nobody books."""


class CancelEventForm(FlaskForm):
    reason = StringField(
        _l("Reason (members and people who booked will see it)"), filters=[clean_text],
        validators=[DataRequired(_l("Please give a reason.")), Length(max=200, message=_l("At most 200 characters."))],
        render_kw={"maxlength": 200},
    )
