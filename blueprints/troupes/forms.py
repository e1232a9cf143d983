"""Forms for joining troupes and for leaders managing them."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from services.accounts import is_valid_phone, normalize_phone

from ..common import WholeNumberField, clean_text
from ..weekly_forms import (
    SeatsFromVenue, WeeklyScheduleForm, choice_int, fill_venue_choices, number_required, sane_date,
)


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


class RehearsalScheduleForm(WeeklyScheduleForm):
    """Rehearsals on some weekdays between two days."""


class PerformanceForm(SeatsFromVenue, FlaskForm):
    """A performance or activity residents can book seats for."""

    title = StringField(
        _l("Title"), filters=[clean_text],
        validators=[DataRequired(_l("Please enter a title.")), Length(max=120, message=_l("At most 120 characters."))],
        render_kw={"maxlength": 120},
    )
    summary = TextAreaField(
        _l("Summary"), filters=[clean_text],
        validators=[Length(max=2000, message=_l("At most 2000 characters."))],
    )
    day = DateField(_l("Date"), validators=[InputRequired(_l("Please choose a date.")), sane_date])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired(_l("Please choose a time."))])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired(_l("Please choose a time."))])
    venue_id = SelectField(_l("Venue"), coerce=choice_int, validators=[Optional()])
    capacity = WholeNumberField(
        _l("Seats"), description=_l("Left empty: the venue's seats."),
        validators=[
            number_required(_l("Please enter the number of seats.")),
            NumberRange(min=1, max=2000, message=_l("Please enter a number from 1 to 2000.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    booking_cutoff_minutes = IntegerField(
        _l("Booking closes (minutes before the start)"), default=60,
        validators=[
            InputRequired(_l("Please enter a number of minutes.")),
            NumberRange(min=0, max=10080, message=_l("Please enter a number from 0 to 10080 (a week).")),
        ],
        render_kw={"inputmode": "numeric"},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fill_venue_choices(self.venue_id)

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end time must be after the start time."))


class CancelEventForm(FlaskForm):
    reason = StringField(
        _l("Reason (members and people who booked will see it)"), filters=[clean_text],
        validators=[DataRequired(_l("Please give a reason.")), Length(max=200, message=_l("At most 200 characters."))],
        render_kw={"maxlength": 200},
    )
