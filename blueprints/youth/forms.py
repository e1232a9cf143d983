"""Forms for parents (their children, booking places) and for organizers of youth programs."""
from __future__ import annotations

from datetime import date

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, HiddenField, IntegerField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, ValidationError

from models import Gender
from models.youth import OLDEST_AGE
from services.dates import now_utc, to_local

from ..common import WholeNumberField, clean_text
from ..event_forms import EventFields, PlaceFields
from ..weekly_forms import LayoutFields, WeeklyScheduleForm, number_required, sane_date


class ChildForm(FlaskForm):
    """A child's name, date of birth and (optionally) gender."""

    name = StringField(
        _l("Child's name"), filters=[clean_text],
        validators=[DataRequired(_l("Please enter the child's name.")), Length(max=20, message=_l("A name can be at most 20 characters."))],
        render_kw={"maxlength": 20, "autocomplete": "off"},
    )
    born_on = DateField(
        _l("Date of birth"), validators=[InputRequired(_l("Please enter the date of birth.")), sane_date],
    )
    gender = RadioField(
        _l("Gender (optional)"), default="",
        choices=[SelectChoice("", _l("Not given")), SelectChoice(Gender.GIRL.value, _l("Girl")),
                 SelectChoice(Gender.BOY.value, _l("Boy"))],
    )

    def validate_born_on(self, field):
        today = to_local(now_utc()).date()
        if field.data and not (date(today.year - OLDEST_AGE - 1, today.month, 1) < field.data <= today):
            raise ValidationError(_l("Please enter a date of birth in the last 18 years."))

    @property
    def gender_value(self) -> Gender | None:
        return Gender(self.gender.data) if self.gender.data else None


class ChildBookForm(FlaskForm):
    """Book a place for one of my children; ``waitlist`` is set by the waiting-list button."""

    child_id = IntegerField(validators=[InputRequired()])
    waitlist = BooleanField()
    next = HiddenField()


class RulesForm(FlaskForm):
    """The ages a youth program takes and whether a parent comes along."""

    min_age = IntegerField(
        _l("Youngest age"),
        validators=[InputRequired(_l("Please enter an age.")), NumberRange(min=0, max=OLDEST_AGE, message=_l("Please enter an age from 0 to 18."))],
        render_kw={"inputmode": "numeric"},
    )
    max_age = IntegerField(
        _l("Oldest age"),
        validators=[InputRequired(_l("Please enter an age.")), NumberRange(min=0, max=OLDEST_AGE, message=_l("Please enter an age from 0 to 18."))],
        render_kw={"inputmode": "numeric"},
    )
    parent_attends = BooleanField(_l("A parent comes along (each booking holds two places)"))

    def validate_max_age(self, field):
        if self.min_age.data is not None and field.data is not None and field.data < self.min_age.data:
            raise ValidationError(_l("The oldest age can't be below the youngest."))


def _places_per_class():
    return WholeNumberField(
        _l("Places per class"), description=_l("Left empty: the venue's seats."),
        validators=[
            number_required(_l("Please enter the number of places.")),
            NumberRange(min=1, max=500, message=_l("Please enter a number from 1 to 500.")),
        ],
        render_kw={"inputmode": "numeric"},
    )


class TermForm(WeeklyScheduleForm, LayoutFields):
    """A term of weekly classes, each with its own places."""

    title = StringField(
        _l("Term name"), filters=[clean_text], description=_l("E.g. 2026 spring term"),
        validators=[DataRequired(_l("Please enter a title.")), Length(max=100, message=_l("At most 100 characters."))],
        render_kw={"maxlength": 100},
    )

    capacity = _places_per_class()
    booking_cutoff_minutes = WholeNumberField(
        _l("Booking closes (minutes before the start)"), default=60,
        validators=[
            InputRequired(_l("Please enter a number of minutes.")),
            NumberRange(min=0, max=10080, message=_l("Please enter a number from 0 to 10080 (a week).")),
        ],
        render_kw={"inputmode": "numeric"},
    )


class ClassForm(EventFields, PlaceFields):
    """Change one class: its time, place and places."""

    capacity = _places_per_class()


class CancelClassForm(FlaskForm):
    reason = StringField(
        _l("Reason (parents will see it)"), filters=[clean_text],
        validators=[DataRequired(_l("Please give a reason.")), Length(max=200, message=_l("At most 200 characters."))],
        render_kw={"maxlength": 200},
    )
