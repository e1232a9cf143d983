"""Form pieces shared by every kind's weekly schedules (a lecture term, rehearsals, a
term of classes): weekdays, times, a place, the days to leave out or hold anyway, venue
choices and sane dates."""
from __future__ import annotations

import re
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, DateField, Field, HiddenField, SelectChoice, SelectField, SelectMultipleField, StringField,
    TextAreaField, TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, Optional, StopValidation, ValidationError
from wtforms.widgets import CheckboxInput, ListWidget

from models import Venue, db
from services.dates import format_weekdays

from .common import clean_text

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def sane_date(form, field):
    """Refuse dates no one means (a mistyped year)."""
    if field.data and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(_l("Please choose a date between the years 2000 and 2100."))


def choice_int(value):
    """Coerce a select's value to an int; anything else means "none chosen" (0)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def fill_venue_choices(field, keep_id: int | None = None) -> None:
    """Offer every venue in use (and the one ``keep_id`` names, even if retired), and "—"
    for none. Each option carries the venue's seats (``data-seats``, read by
    static/js/venue-seats.js), and ``field.seats_by_id`` keeps them for SeatsFromVenue."""
    venues = db.session.execute(
        sa.select(Venue).where(sa.or_(Venue.retired_at.is_(None), Venue.id == (keep_id or 0)))
        .order_by(Venue.name, Venue.id)
    ).scalars().all()
    field.seats_by_id = {v.id: v.seats for v in venues if v.seats}
    field.choices = [SelectChoice(0, "—")] + [
        SelectChoice(v.id, v.name, render_kw={"data-seats": v.seats} if v.seats else {}) for v in venues
    ]


def series_choices(program, keep_id: int | None = None) -> list[SelectChoice]:
    """The program's current topic series (and the one ``keep_id`` names, even if
    retired), and "—" for none."""
    return [SelectChoice(0, "—")] + [
        SelectChoice(s.id, s.name) for s in program.series if not s.is_retired or s.id == keep_id
    ]


def chosen_venue(field) -> Venue | None:
    """The venue picked in ``field``, or None."""
    return db.session.get(Venue, field.data) if field.data else None


def number_required(message):
    """A validator: a number must be there (0 counts; an empty field doesn't)."""

    def check(form, field):
        if field.data is None:
            raise StopValidation(message)

    return check


class SeatsFromVenue:
    """For a form with ``venue_id`` and ``capacity`` (the shared form pieces mix it in; a
    form lacking either is left alone): a capacity left empty is the chosen venue's seats
    (``Venue.seats``), filled in before the fields are validated. The page fills it in as
    the venue is picked too (static/js/venue-seats.js)."""

    def validate(self, extra_validators=None):
        capacity, venue = getattr(self, "capacity", None), getattr(self, "venue_id", None)
        if capacity is not None and venue is not None and capacity.data is None \
                and not capacity.process_errors and venue.data:
            capacity.data = getattr(venue, "seats_by_id", {}).get(venue.data)
        return super().validate(extra_validators)
def parse_days(text: str) -> tuple[set[date], list[str]]:
    """Read dates like 2026-10-01 (or 2026/10/1, 2026.10.1, 2026年10月1日) separated by
    commas, spaces or lines; return the dates and what couldn't be read."""
    days, bad = set(), []
    for token in re.split(r"[\s,，、;；]+", text or ""):
        if not token:
            continue
        normalized = re.sub(r"[./年月]", "-", token).rstrip("日")
        try:
            days.add(datetime.strptime(normalized, "%Y-%m-%d").date())
        except ValueError:
            bad.append(token)
    return days, bad


class DayListField(Field):
    """Days sent by tick boxes (``include_days``: holidays to hold anyway), as ISO dates;
    anything unreadable is left out (only our own tick boxes send them)."""

    MAX_DAYS = 400

    def process_formdata(self, valuelist):
        days = set()
        for value in valuelist[: self.MAX_DAYS]:
            try:
                days.add(date.fromisoformat(value))
            except (TypeError, ValueError):
                continue
        self.data = frozenset(days)

    def process_data(self, value):
        self.data = frozenset(value or ())


class WeekdaysField(SelectMultipleField):
    """Days of the week as tick boxes (Monday = 0), named in the reader's language."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WeeklyScheduleForm(SeatsFromVenue, FlaskForm):
    """Weekdays, times, a place and the first and last day of a weekly schedule."""

    title = StringField(
        _l("Event name"), filters=[clean_text],
        validators=[DataRequired(_l("Please enter a title.")), Length(max=120, message=_l("At most 120 characters."))],
        render_kw={"maxlength": 120},
    )
    weekdays = WeekdaysField(_l("Days of the week"), coerce=int)
    start_time = TimeField(_l("Starts at"), validators=[InputRequired(_l("Please choose a time."))])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired(_l("Please choose a time."))])
    first_day = DateField(_l("First day"), validators=[InputRequired(_l("Please choose a date.")), sane_date])
    last_day = DateField(_l("Last day"), validators=[InputRequired(_l("Please choose a date.")), sane_date])
    venue_id = SelectField(_l("Venue"), coerce=choice_int, validators=[Optional()])

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.weekdays.choices = [SelectChoice(day, format_weekdays([day])) for day in range(7)]
        fill_venue_choices(self.venue_id)

    def validate_weekdays(self, field):
        if not field.data:
            raise ValidationError(_l("Please choose at least one day of the week."))

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end time must be after the start time."))

    def validate_last_day(self, field):
        if self.first_day.data and field.data and field.data < self.first_day.data:
            raise ValidationError(_l("The last day must not be before the first day."))


class LayoutFields(FlaskForm):
    """What every layout of a schedule adds to its days and times: the organizer's own days
    to leave out, the holidays to hold anyway (ticked on the preview), the schedule it
    copies, the administrators' "share the room", and which button was pressed."""

    skip_days = TextAreaField(
        _l("Other days to leave out (optional)"),
        description=_l("Holidays are left out by themselves. One date per line or separated by commas, e.g. 2026-10-01"),
        validators=[Length(max=2000, message=_l("At most 2000 characters."))],
    )
    include_days = DayListField()
    copy_of = HiddenField()
    share_room = BooleanField(
        _l("Share the room with the other events (administrators only; recorded)"),
        description=_l("Only when both groups have agreed to use the room at the same time."),
    )
    action = HiddenField()

    def validate_skip_days(self, field):
        days, bad = parse_days(field.data)
        if bad:
            raise ValidationError(
                _l("These aren't dates: %(bad)s. Please write dates like 2026-10-01.", bad="、".join(bad[:5]))
            )
        self.parsed_skip_days = frozenset(days)

    @property
    def wants_to_create(self) -> bool:
        """Tell whether the organizer pressed "create" (else they asked to check the dates)."""
        return self.action.data == "create"


class ScheduleCancelForm(FlaskForm):
    """Cancel what is left of a term or schedule, with a reason people will see."""

    reason = StringField(
        _l("Reason (members and people who booked will see it)"), filters=[clean_text],
        validators=[DataRequired(_l("Please give a reason.")), Length(max=200, message=_l("At most 200 characters."))],
        render_kw={"maxlength": 200},
    )
