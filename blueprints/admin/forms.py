"""Forms for administrators: people, programs of every kind, topic series, venues, the
audit trail's filters. They check shape; the services decide."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, HiddenField, SelectChoice, SelectField, StringField, TextAreaField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from models.youth import OLDEST_AGE
from services.accounts import is_valid_phone, normalize_phone
from services.program_kinds import KindSpec
from services.programs import is_valid_slug

from ..common import WholeNumberField, clean_text
from ..weekly_forms import number_required, sane_date


def _lower(value):
    return value.strip().lower() if isinstance(value, str) else value


def _valid_phone(form, field):
    if field.data and not is_valid_phone(field.data):
        raise ValidationError(_l("Please enter an 11-digit mobile number starting with 1."))


def phone_field(label, description=None, required: bool = True) -> StringField:
    """A mobile number, normalised as at registration."""
    validators = [DataRequired(_l("Please enter a mobile number."))] if required else [Optional()]
    return StringField(
        label, filters=[normalize_phone], description=description,
        validators=validators + [_valid_phone],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )


# --- people -----------------------------------------------------------------------------


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or mobile number"), filters=[clean_text], validators=[Length(max=40)])


class RolesForm(FlaskForm):
    volunteer = BooleanField(_l("Volunteer"))
    organizer = BooleanField(_l("Organizer"))
    admin = BooleanField(_l("Administrator"))
    next = HiddenField()


class DeactivateForm(FlaskForm):
    """Deactivate an account; whether to give up the person's coming places."""

    release_bookings = BooleanField(_l("Also give up their places at coming events, so people on the waiting lists move up"), default=True)


class MergeLookupForm(FlaskForm):
    """The mobile number of the person's own account, to merge a walk-in account into."""

    class Meta:
        csrf = False

    phone = phone_field(_l("Mobile number of the person's own account"))


class MergeForm(FlaskForm):
    """Confirm merging into the account with this number."""

    phone = HiddenField(filters=[normalize_phone])


# --- programs -----------------------------------------------------------------------------

# The colours a program can be marked with: dark enough to read white text on, and told
# apart by name as well as by colour.
COVER_COLOURS = [
    ("", _l("The site's red")),
    ("#a61b1b", _l("Red")),
    ("#1d5c3a", _l("Green")),
    ("#1d3f6e", _l("Blue")),
    ("#0f5f66", _l("Teal")),
    ("#5b2a86", _l("Purple")),
    ("#8a4b08", _l("Ochre")),
    ("#444444", _l("Ink grey")),
]


class ProgramForm(FlaskForm):
    """A program's details; the kind's own fields are kept and the others removed
    (``KindSpec.program_fields``)."""

    name = StringField(
        _l("Program name"), filters=[clean_text],
        validators=[DataRequired(_l("Please enter a name.")), Length(max=80, message=_l("At most 80 characters."))],
        render_kw={"maxlength": 80},
    )
    slug = StringField(
        _l("Web address"), filters=[clean_text, _lower],
        description=_l("Small letters, digits and dashes, e.g. lvju-tuan. It is part of the program's links and calendar address, so change it only if you must."),
        validators=[DataRequired(_l("Please enter a web address."))],
        render_kw={"maxlength": 60, "autocapitalize": "none", "autocomplete": "off", "spellcheck": "false"},
    )
    description = TextAreaField(
        _l("Description"), filters=[clean_text],
        validators=[Length(max=2000, message=_l("At most 2000 characters."))],
    )
    contact = StringField(
        _l("Contact for residents"), filters=[clean_text],
        description=_l("Shown on the program's page, e.g. 李老师 138 0000 0001."),
        validators=[Length(max=120, message=_l("At most 120 characters."))], render_kw={"maxlength": 120},
    )
    cover_colour = SelectField(_l("Colour"), default="", choices=[SelectChoice(v, l) for v, l in COVER_COLOURS])

    # lecture series: the booking window of new lectures
    booking_opens_days_before = WholeNumberField(
        _l("Booking opens (days before the lecture)"),
        description=_l("Leave empty to open booking as soon as a lecture is added."),
        validators=[Optional(), NumberRange(min=1, max=365, message=_l("Please enter a number from 1 to 365."))],
        render_kw={"inputmode": "numeric"},
    )
    booking_closes_minutes_before = WholeNumberField(
        _l("Booking closes (minutes before the start)"), default=60,
        validators=[number_required(_l("Please enter a number of minutes.")),
                    NumberRange(min=0, max=10080, message=_l("Please enter a number from 0 to 10080 (a week)."))],
        render_kw={"inputmode": "numeric"},
    )
    # troupes
    rehearsal_times = StringField(
        _l("Rehearsal times"), filters=[clean_text],
        description=_l("In your own words, e.g. every Tuesday and Thursday 9:00–11:00"),
        validators=[Length(max=120, message=_l("At most 120 characters."))], render_kw={"maxlength": 120},
    )
    rehearsal_place = StringField(
        _l("Rehearsal place"), filters=[clean_text],
        validators=[Length(max=120, message=_l("At most 120 characters."))], render_kw={"maxlength": 120},
    )
    member_limit = WholeNumberField(
        _l("Member limit (leave empty for no limit)"),
        validators=[Optional(), NumberRange(min=1, max=500, message=_l("Please enter a number from 1 to 500."))],
        render_kw={"inputmode": "numeric"},
    )
    # youth programs
    min_age = WholeNumberField(
        _l("Youngest age"), default=0,
        validators=[number_required(_l("Please enter an age.")),
                    NumberRange(min=0, max=OLDEST_AGE, message=_l("Please enter an age from 0 to 18."))],
        render_kw={"inputmode": "numeric"},
    )
    max_age = WholeNumberField(
        _l("Oldest age"), default=OLDEST_AGE,
        validators=[number_required(_l("Please enter an age.")),
                    NumberRange(min=0, max=OLDEST_AGE, message=_l("Please enter an age from 0 to 18."))],
        render_kw={"inputmode": "numeric"},
    )
    parent_attends = BooleanField(_l("A parent comes along (each booking holds two places)"))

    KIND_FIELDS = ("booking_opens_days_before", "booking_closes_minutes_before", "rehearsal_times",
                   "rehearsal_place", "member_limit", "min_age", "max_age", "parent_attends")

    def __init__(self, spec: KindSpec, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.spec = spec
        for name in self.KIND_FIELDS:
            if name not in spec.program_fields:
                del self[name]

    @property
    def kind_fields(self):
        """The kind's own fields, in the order the kind lists them."""
        return [self[name] for name in self.spec.program_fields]

    @property
    def settings(self) -> dict:
        return {name: self[name].data for name in self.spec.program_fields}

    def validate_slug(self, field):
        if field.data and not is_valid_slug(field.data):
            raise ValidationError(_l("Please use 2 to 60 small letters (a–z), digits and single dashes, e.g. lvju-tuan."))

    def validate_max_age(self, field):
        low = self["min_age"].data if "min_age" in self else None
        if low is not None and field.data is not None and field.data < low:
            raise ValidationError(_l("The oldest age can't be below the youngest."))


class RunnerForm(FlaskForm):
    """Add an organizer (or teacher) by mobile number."""

    phone = phone_field(_l("Mobile number"), description=_l("The person needs an account on the site."))


class LeaderForm(FlaskForm):
    """A troupe's leader by mobile number; empty means no leader."""

    phone = phone_field(_l("Leader's mobile number"), required=False,
                        description=_l("The leader needs an account. Leave empty for no leader."))


class SeriesForm(FlaskForm):
    name = StringField(
        _l("Series name"), filters=[clean_text],
        validators=[DataRequired(_l("Please enter a name.")), Length(max=80, message=_l("At most 80 characters."))],
        render_kw={"maxlength": 80},
    )


# --- venues -----------------------------------------------------------------------------


class VenueForm(FlaskForm):
    name = StringField(
        _l("Venue name"), filters=[clean_text],
        validators=[DataRequired(_l("Please enter a name.")), Length(max=80, message=_l("At most 80 characters."))],
        render_kw={"maxlength": 80},
    )
    address = StringField(
        _l("Where it is"), filters=[clean_text], description=_l("Building, floor and room, e.g. 文化服务中心 2 楼 201"),
        validators=[Length(max=200, message=_l("At most 200 characters."))], render_kw={"maxlength": 200},
    )
    seats = WholeNumberField(
        _l("Seats in the room"), description=_l("How many people it seats: new events held here get this many places unless the organizer says otherwise."),
        validators=[Optional(), NumberRange(min=1, max=5000, message=_l("Please enter a number from 1 to 5000."))],
        render_kw={"inputmode": "numeric"},
    )
    access_notes = TextAreaField(
        _l("Getting in"), filters=[clean_text],
        description=_l("Stairs, a lift, a ramp, which door is open in the evening. Residents see this on event pages."),
        validators=[Length(max=300, message=_l("At most 300 characters."))], render_kw={"maxlength": 300},
    )


# --- the audit trail --------------------------------------------------------------------


class TrailFilterForm(FlaskForm):
    class Meta:
        csrf = False

    person = StringField(_l("Person (name or mobile number)"), filters=[clean_text], validators=[Length(max=40)])
    action = SelectField(_l("Action"), validate_choice=False)
    program = SelectField(_l("Program"), validate_choice=False)
    since = DateField(_l("From"), validators=[Optional(), sane_date])
    until = DateField(_l("To"), validators=[Optional(), sane_date])


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
