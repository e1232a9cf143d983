"""Form pieces shared by the troupes and youth areas: weekly schedules (rehearsals, a
term of classes), venue choices and sane dates."""
from __future__ import annotations

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, SelectChoice, SelectField, SelectMultipleField, StringField, TimeField
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
    """For a form with ``venue_id`` and ``capacity``: a capacity left empty is the chosen
    venue's seats (``Venue.seats``), filled in before the fields are validated. The page
    fills it in as the venue is picked too (static/js/venue-seats.js)."""

    def validate(self, extra_validators=None):
        capacity, venue = self.capacity, self.venue_id
        if capacity.data is None and not capacity.process_errors and venue.data:
            capacity.data = getattr(venue, "seats_by_id", {}).get(venue.data)
        return super().validate(extra_validators)


class WeekdaysField(SelectMultipleField):
    """Days of the week as tick boxes (Monday = 0), named in the reader's language."""

    widget = ListWidget(prefix_label=False)
    option_widget = CheckboxInput()


class WeeklyScheduleForm(FlaskForm):
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
