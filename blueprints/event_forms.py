"""Form pieces every program kind's event pages share — an event's title, date, times,
venue and the administrators' "share the room", its places — and how a submitted form
becomes :class:`services.events.EventChanges`.

What differs between kinds is which pieces a kind's form takes: lectures add a speaker
and a topic series, performances and classes have places, rehearsals and talks have none
(see each blueprint's forms.py). That choice is the place to read a registry of program
kinds from, once there is one.
"""
from __future__ import annotations

from dataclasses import replace

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, StringField, TextAreaField, TimeField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from models import Event
from services.dates import local_datetime, to_local
from services.errors import (
    CapacityBelowTaken, EventAlreadyStarted, EventEndsBeforeStart, EventInThePast, LinliError,
    RoomSharingNotAllowed, ShiftsOverlapAfterMove, SlotsBelowTaken, VenueTaken,
)
from services.events import EventChanges, cutoff_minutes

from .common import WholeNumberField, clean_text
from .weekly_forms import SeatsFromVenue, choice_int, chosen_venue, fill_venue_choices, number_required, sane_date


def share_room_field():
    """The administrators' explicit choice to let an event overlap another in its room."""
    return BooleanField(
        _l("Share the room with the other event (administrators only; recorded)"),
        description=_l("Only when both groups have agreed to use the room at the same time."),
    )


class EventFields(FlaskForm):
    """What every event has: a title and summary, a date with start and end times, a place."""

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
    share_room = share_room_field()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        fill_venue_choices(self.venue_id)

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The end time must be after the start time."))


class PlaceFields(SeatsFromVenue, FlaskForm):
    """How many can book (left empty: the venue's seats), and when booking closes."""

    capacity = WholeNumberField(
        _l("Seats"), description=_l("Left empty: the venue's seats."),
        validators=[
            number_required(_l("Please enter the number of seats.")),
            NumberRange(min=1, max=2000, message=_l("Please enter a number from 1 to 2000.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    booking_cutoff_minutes = WholeNumberField(
        _l("Booking closes (minutes before the start)"), default=60,
        validators=[
            InputRequired(_l("Please enter a number of minutes.")),
            NumberRange(min=0, max=10080, message=_l("Please enter a number from 0 to 10080 (a week).")),
        ],
        render_kw={"inputmode": "numeric"},
    )


def fill_from_event(form, event: Event) -> None:
    """Show ``event`` as it is in the form's shared fields (for the edit page's GET)."""
    start = to_local(event.starts_at)
    form.title.data = event.title
    if hasattr(form, "summary"):
        form.summary.data = event.summary
    form.day.data = start.date()
    form.start_time.data = start.time()
    form.end_time.data = to_local(event.ends_at).time()
    form.venue_id.data = event.venue_id or 0
    if hasattr(form, "capacity"):
        form.capacity.data = event.seats.capacity
        form.booking_cutoff_minutes.data = cutoff_minutes(event)


def changes_from(form, event: Event, *, may_share: bool, **extra) -> EventChanges:
    """The event's details as the submitted form has them; fields a kind's form doesn't
    have (places, a speaker …) stay as they are, ``extra`` sets kind-specific ones."""
    changes = replace(
        EventChanges.of(event), title=form.title.data,
        starts_at=local_datetime(form.day.data, form.start_time.data),
        ends_at=local_datetime(form.day.data, form.end_time.data),
        venue=chosen_venue(form.venue_id), share_room=may_share and bool(form.share_room.data),
    )
    if hasattr(form, "summary"):
        changes = replace(changes, summary=form.summary.data or "")
    if hasattr(form, "capacity"):
        changes = replace(changes, capacity=form.capacity.data,
                          booking_cutoff_minutes=form.booking_cutoff_minutes.data)
    return replace(changes, **extra)


def show_error(form, error: LinliError) -> bool:
    """Put a refused change's message beside the field it is about; tell whether it found
    one (otherwise the view flashes it)."""
    if isinstance(error, (VenueTaken, RoomSharingNotAllowed)):
        field = form.venue_id
    elif isinstance(error, (CapacityBelowTaken, SlotsBelowTaken)) and hasattr(form, "capacity"):
        field = form.capacity
    elif isinstance(error, (ShiftsOverlapAfterMove, EventAlreadyStarted, EventEndsBeforeStart)):
        field = form.start_time
    elif isinstance(error, EventInThePast):
        field = form.day
    else:
        return False
    field.errors = [*field.errors, str(error)]
    return True
