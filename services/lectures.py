"""The Wednesday culture & history lectures (周三文史讲堂): terms, edits, cancellations and
the listing residents browse."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from models import (
    Event, EventStatus, Program, ProgramKind, Quota, Role, Series, User, Venue, db, program_organizers,
)

from .capacity import set_capacity
from .dates import local_datetime, to_local, weekly_days
from .db import begin_write
from .errors import TermError
from .shifts import ensure_holders_free

WEDNESDAY = 2
MAX_TERM_DAYS = 366


@dataclass(frozen=True)
class TermPlan:
    """What an organizer asks for when laying out a term of weekly lectures."""

    first_day: date
    last_day: date
    start_time: time
    duration_minutes: int
    capacity: int
    booking_cutoff_minutes: int
    venue: Venue | None = None
    series: Series | None = None
    title: str = ""
    speaker: str = ""
    skip_days: frozenset[date] = frozenset()
    weekday: int = WEDNESDAY


def term_days(plan: TermPlan) -> list[date]:
    """The days of the term: every ``plan.weekday`` from first to last day, less skipped days."""
    return weekly_days(plan.first_day, plan.last_day, [plan.weekday], plan.skip_days)


def new_event(
    program: Program, *, title: str, starts_at: datetime, ends_at: datetime, capacity: int,
    booking_cutoff: timedelta, venue: Venue | None = None, series: Series | None = None,
    speaker: str = "", summary: str = "", now: datetime,
) -> Event:
    """Add one event with its own seat quota to the session (not flushed)."""
    event = Event(
        program=program, series=series, venue=venue, title=title, speaker=speaker,
        summary=summary, starts_at=starts_at, ends_at=ends_at,
        booking_closes_at=starts_at - booking_cutoff, seats=Quota(capacity=capacity, taken=0),
        created_at=now, updated_at=now,
    )
    db.session.add(event)
    return event


def create_term(program: Program, plan: TermPlan, *, now: datetime) -> list[Event]:
    """Generate one lecture for each week of the term, leaving out skipped days and days
    that already have a lecture at that time.

    :raises TermError: when the dates make no sense or leave no lecture to create.
    """
    begin_write()
    if plan.last_day < plan.first_day:
        raise TermError(_l("The last day must not be before the first day."))
    if (plan.last_day - plan.first_day).days > MAX_TERM_DAYS:
        raise TermError(_l("A term can be at most one year long."))
    if plan.first_day < to_local(now).date():
        raise TermError(_l("A term can't start in the past."))
    days = term_days(plan)
    if not days:
        raise TermError(_l("There is no Wednesday left in this term after the skipped days."))

    starts = [local_datetime(day, plan.start_time) for day in days]
    taken = set(
        db.session.execute(
            sa.select(Event.starts_at).where(
                Event.program_id == program.id, Event.starts_at.in_(starts)
            )
        ).scalars()
    )
    duration = timedelta(minutes=plan.duration_minutes)
    cutoff = timedelta(minutes=plan.booking_cutoff_minutes)
    title = plan.title  # empty: "to be announced", in each reader's language (Event.display_title)
    created = [
        new_event(
            program, title=title, starts_at=start, ends_at=start + duration,
            capacity=plan.capacity, booking_cutoff=cutoff, venue=plan.venue,
            series=plan.series, speaker=plan.speaker, now=now,
        )
        for start in starts
        if start not in taken
    ]
    if not created:
        raise TermError(_l("Every week of this term already has a lecture."))
    db.session.flush()
    return created


@dataclass(frozen=True)
class LectureChanges:
    """The editable details of one lecture."""

    title: str
    speaker: str
    summary: str
    series: Series | None
    venue: Venue | None
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booking_cutoff_minutes: int


def update_lecture(event: Event, changes: LectureChanges, *, now: datetime) -> list:
    """Apply an organizer's edits; a larger capacity promotes waiting people in order.

    Returns the bookings promoted from the waiting list.

    :raises CapacityBelowTaken: when the new capacity is below the seats already booked.
    :raises TermError: when the lecture would end before it starts.
    :raises ShiftsOverlapAfterMove: when a volunteer holding a role at the lecture has
        another shift at the new time.
    """
    begin_write()
    if changes.ends_at <= changes.starts_at:
        raise TermError(_l("The lecture must end after it starts."))
    ensure_holders_free(event, changes.starts_at, changes.ends_at)
    promoted = []
    if changes.capacity != event.seats.capacity:
        promoted = set_capacity(event.seat_quota_id, changes.capacity, now=now)
    event.title = changes.title
    event.speaker = changes.speaker
    event.summary = changes.summary
    event.series = changes.series
    event.venue = changes.venue
    event.starts_at = changes.starts_at
    event.ends_at = changes.ends_at
    event.booking_closes_at = changes.starts_at - timedelta(minutes=changes.booking_cutoff_minutes)
    touch(event, now)
    db.session.flush()
    return promoted


def cancel_lecture(event: Event, reason: str, *, now: datetime) -> None:
    """Cancel one lecture with a reason its bookers will see; bookings stay on record."""
    begin_write()
    if event.is_cancelled:
        return
    event.status = EventStatus.CANCELLED
    event.cancel_reason = reason
    event.cancelled_at = now
    touch(event, now)
    db.session.flush()


def touch(event: Event, now: datetime) -> None:
    """Record a change subscribers should see: raise the sequence, stamp the time."""
    event.sequence = (event.sequence or 0) + 1
    event.updated_at = now


def lecture_programs(*, organized_by: User | None = None) -> list[Program]:
    """The programs whose events are listed at /lectures/; with ``organized_by``, only
    those that person may manage (all of them for an admin)."""
    query = sa.select(Program).where(Program.kind == ProgramKind.LECTURE_SERIES).order_by(Program.id)
    if organized_by is not None and not organized_by.has_role(Role.ADMIN):
        query = query.join(program_organizers).where(program_organizers.c.user_id == organized_by.id)
    return list(db.session.execute(query).scalars())


def lecture_series() -> list[Series]:
    """All topic series of the lecture programs, in their display order."""
    return list(
        db.session.execute(
            sa.select(Series)
            .join(Series.program)
            .where(Program.kind == ProgramKind.LECTURE_SERIES)
            .order_by(Series.position, Series.id)
        ).scalars()
    )


def upcoming_lectures_query(*, now: datetime, series: Series | None = None):
    """A select of lectures not yet over, soonest first, with what the list shows."""
    query = (
        sa.select(Event)
        .join(Event.program)
        .where(Program.kind == ProgramKind.LECTURE_SERIES, Event.ends_at >= now)
        .options(joinedload(Event.series), joinedload(Event.venue))
        .order_by(Event.starts_at, Event.id)
    )
    if series is not None:
        query = query.where(Event.series_id == series.id)
    return query


def get_lecture(event_id: int) -> Event | None:
    """The lecture with ``event_id`` (an event of a lecture-series program), or None."""
    event = db.session.execute(
        sa.select(Event)
        .join(Event.program)
        .where(Event.id == event_id, Program.kind == ProgramKind.LECTURE_SERIES)
        .options(joinedload(Event.series), joinedload(Event.venue), joinedload(Event.program))
    ).scalar_one_or_none()
    return event
