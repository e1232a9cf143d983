"""Forms of the lecture team: joining, signing up, talks and roles, the service record."""
from __future__ import annotations

from decimal import Decimal

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.i18n import translations as wtforms_translations
from wtforms import (
    BooleanField, DateField, DecimalField, FieldList, Form, FormField, HiddenField, IntegerField,
    SelectChoice, SelectField, StringField, TextAreaField, TimeField,
)
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from models import PointsRule
from services.shifts import DEFAULT_ROLES

from ..common import clean_text
from ..event_forms import share_room_field

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _sane_date(form, field):
    if field.data and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(_l("Please choose a date between the years 2000 and 2100."))


def _choice_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _reason(label, *, required: bool = True, description: str = "") -> StringField:
    validators = [Length(max=200, message=_l("At most 200 characters."))]
    if required:
        validators.insert(0, DataRequired(_l("Please give a reason.")))
    return StringField(label, description=description, filters=[clean_text], validators=validators,
                       render_kw={"maxlength": 200})


# WTForms' own message, translated in WTForms' catalog (kept out of ours on purpose).
NOT_A_DECIMAL = "Not a valid decimal value."


class HoursField(DecimalField):
    """A number of hours such as 1.5; "NaN", "Infinity" and the like are not numbers here."""

    def process_formdata(self, valuelist):
        super().process_formdata(valuelist)
        if self.data is not None and not self.data.is_finite():
            self.data = None
            raise ValueError(self.gettext(NOT_A_DECIMAL))


def to_minutes(hours: Decimal | None) -> int | None:
    """Hours as typed (e.g. 1.5) in whole minutes."""
    return None if hours is None else int((hours * 60).to_integral_value())


class ApplyForm(FlaskForm):
    """Ask to join the lecture team."""

    note = TextAreaField(
        _l("A few words about yourself"),
        description=_l("For example what you would like to talk about, or how you would like to help."),
        filters=[clean_text],
        validators=[
            DataRequired(_l("Please write a short note.")),
            Length(max=300, message=_l("At most 300 characters.")),
        ],
        render_kw={"maxlength": 300},
    )


class DeclineForm(FlaskForm):
    """Turn an application down with a reason."""

    reason = _reason(_l("Reason (the applicant will see it)"))


class CancelTalkForm(FlaskForm):
    """Cancel a talk with a reason."""

    reason = _reason(_l("Reason (volunteers will see it)"))


class SignUpForm(FlaskForm):
    """Take a slot; ``waitlist`` is set by the "join the waiting list" button."""

    waitlist = BooleanField()
    next = HiddenField()


class ReleaseForm(FlaskForm):
    """Let a volunteer go from a shift, with a reason."""

    reason = _reason(_l("Reason (the volunteer will see it)"))


class OutcomeForm(FlaskForm):
    """After the event: served (with the hours) or no-show. The two buttons send ``status``."""

    status = HiddenField(validators=[AnyOf(["served", "no_show"], message=_l("Please use the buttons on the page."))])
    hours = HoursField(
        _l("Hours"), places=1,
        validators=[Optional(), NumberRange(min=Decimal("0.5"), max=24, message=_l("Please enter a number from 0.5 to 24."))],
        render_kw={"inputmode": "decimal", "step": "0.5"},
    )
    reason = _reason(_l("Note"), required=False, description=_l("Needed for other hours or a changed record."))


class AdjustForm(FlaskForm):
    """Add or take away hours and points with a reason."""

    hours = HoursField(
        _l("Hours (a minus sign takes away)"), places=1,
        validators=[Optional(), NumberRange(min=-200, max=200, message=_l("Please enter a number from -200 to 200."))],
        render_kw={"inputmode": "decimal"},
    )
    points = IntegerField(
        _l("Points (a minus sign takes away)"),
        validators=[Optional(), NumberRange(min=-10000, max=10000, message=_l("Please enter a number from -10000 to 10000."))],
        render_kw={"inputmode": "numeric"},
    )
    reason = _reason(_l("Reason (the volunteer will see it)"))

    def validate(self, extra_validators=None):
        if not super().validate(extra_validators):
            return False
        if not self.hours.data and not self.points.data:
            self.hours.errors.append(_l("Please enter hours, points or both."))
            return False
        return True


class RedeemForm(FlaskForm):
    """Record points exchanged (积分兑换)."""

    points = IntegerField(
        _l("Points exchanged"),
        validators=[
            InputRequired(_l("Please enter a number of points.")),
            NumberRange(min=1, max=100000, message=_l("Please enter a number from 1 to 100000.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    reason = _reason(_l("What was given (e.g. two bottles of detergent)"))


def _role_name(required: bool):
    validators = [Length(max=20, message=_l("At most 20 characters."))]
    if required:
        validators.insert(0, DataRequired(_l("Please name the role.")))
    return StringField(_l("Role"), filters=[clean_text], validators=validators, render_kw={"maxlength": 20})


def _slots(required: bool):
    return IntegerField(
        _l("Slots"), default=0,
        validators=[
            InputRequired(_l("Please enter the number of slots.")) if required else Optional(),
            NumberRange(min=0, max=50, message=_l("Please enter a number from 0 to 50.")),
        ],
        render_kw={"inputmode": "numeric"},
    )


class RoleSlotsForm(Form):
    """One line of a new talk's roles: a name and its slots (0 leaves the role out)."""

    class Meta:
        def get_translations(self, form):
            # WTForms' own messages ("not a valid integer") in the reader's language, as in FlaskForm.
            return wtforms_translations

    name = _role_name(required=False)
    slots = _slots(required=False)

    def validate_name(self, field):
        if (self.slots.data or 0) > 0 and not field.data:
            raise ValidationError(_l("Please name the role."))


class TalkForm(FlaskForm):
    """A talk's details."""

    title = StringField(
        _l("Title"), filters=[clean_text],
        validators=[DataRequired(_l("Please enter a title.")), Length(max=120, message=_l("At most 120 characters."))],
        render_kw={"maxlength": 120},
    )
    theme_id = SelectField(_l("Theme"), coerce=_choice_int, validators=[Optional()])
    venue_id = SelectField(_l("Place"), coerce=_choice_int, validators=[Optional()])
    new_place = StringField(
        _l("Or a place not in the list"), description=_l("A building or grid, a school …"),
        filters=[clean_text], validators=[Length(max=80, message=_l("At most 80 characters."))],
        render_kw={"maxlength": 80},
    )
    day = DateField(_l("Date"), validators=[InputRequired(_l("Please choose a date.")), _sane_date])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired(_l("Please choose a time."))])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired(_l("Please choose a time."))])
    summary = TextAreaField(
        _l("What the talk is about"), filters=[clean_text],
        validators=[Length(max=2000, message=_l("At most 2000 characters."))],
    )
    share_room = share_room_field()

    def validate_new_place(self, field):
        if not field.data and not self.venue_id.data:
            raise ValidationError(_l("Please choose a place or type a new one."))

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The talk must end after it starts."))


EXTRA_ROLE_LINES = 2


class NewTalkForm(TalkForm):
    """A new talk with its roles (the usual five, and room for more)."""

    roles = FieldList(FormField(RoleSlotsForm), min_entries=len(DEFAULT_ROLES) + EXTRA_ROLE_LINES,
                      max_entries=len(DEFAULT_ROLES) + EXTRA_ROLE_LINES)

    def fill_default_roles(self) -> None:
        for line, spec in zip(self.roles, DEFAULT_ROLES):
            line.form.name.data, line.form.slots.data = spec.name, spec.slots

    def validate_roles(self, field):
        names = [line.form.name.data for line in field if line.form.name.data and (line.form.slots.data or 0) > 0]
        if len(names) != len(set(names)):
            raise ValidationError(_l("Two roles have the same name."))


POINTS_RULES = [
    SelectChoice(PointsRule.PER_HOUR.value, _l("per hour served")),
    SelectChoice(PointsRule.PER_SHIFT.value, _l("per shift")),
]


class RoleForm(FlaskForm):
    """A role at an event with its slots and earning rule."""

    name = _role_name(required=True)
    slots = _slots(required=True)
    points = IntegerField(
        _l("Points"), default=10,
        validators=[
            InputRequired(_l("Please enter a number of points.")),
            NumberRange(min=0, max=1000, message=_l("Please enter a number from 0 to 1000.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    points_rule = SelectField(_l("Points are given"), choices=POINTS_RULES, default=PointsRule.PER_HOUR.value,
                              validators=[AnyOf([r.value for r in PointsRule])])
    credit_hours = HoursField(
        _l("Hours credited (empty: the event's length)"), places=1,
        validators=[Optional(), NumberRange(min=Decimal("0.5"), max=24, message=_l("Please enter a number from 0.5 to 24."))],
        render_kw={"inputmode": "decimal", "step": "0.5"},
    )
    withdraw_cutoff_hours = IntegerField(
        _l("Volunteers may withdraw until (hours before the start)"), default=24,
        validators=[
            InputRequired(_l("Please enter a number of hours.")),
            NumberRange(min=0, max=720, message=_l("Please enter a number from 0 to 720.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
