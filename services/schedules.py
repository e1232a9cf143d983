"""Weekly schedules: lay out a program's regular events — a lecture term, a troupe's
rehearsals, a youth program's term of classes — from weekdays, times and a place between
two days; copy a term's layout to new dates; cancel a whole term in one step.

Every layout skips the community's days off (:mod:`services.holidays`: official holidays,
make-up working days and the office's closed days) unless the organizer holds a day
anyway, leaves out days on which the program already has an event at that time, and
refuses days on which the venue is taken (:mod:`services.venues`).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from itertools import cycle

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from models import (
    Event, EventStatus, Program, Series, User, Venue, WeeklySchedule, db, weekly_schedule_events,
)

from . import audit, events as event_service
from .dates import local_datetime, to_local
from .db import begin_write
from .errors import ScheduleError
from .holidays import DayOff, layout_days
from .venues import Clash, Slot, clashes, ensure_free

MAX_SCHEDULE_DAYS = 366


@dataclass(frozen=True)
class WeeklyPlan:
    """What a leader or organizer asks for: events on ``weekdays`` (Monday = 0) from
    ``start_time`` to ``end_time``, local time, between two local days."""

    title: str
    weekdays: frozenset[int]
    start_time: time
    end_time: time
    first_day: date
    last_day: date
    capacity: int = 0
    booking_cutoff_minutes: int = 0
    venue: Venue | None = None
    summary: str = ""
    # The organizer's own days to leave out, and days off (holidays) to hold anyway.
    skip_days: frozenset[date] = frozenset()
    include_days: frozenset[date] = frozenset()
    # Each event's title when it isn't the schedule's: a lecture term's lecture title, ""
    # while the topic is to be announced (read per reader, Event.display_title).
    event_title: str | None = None
    speaker: str = ""
    # The events' topic series in turn, e.g. copied from last term's lectures.
    series_pattern: tuple[Series | None, ...] = ()
    # An administrator's explicit choice to let the events share the room where it is taken.
    share_room: bool = False


@dataclass(frozen=True)
class Layout:
    """What a plan would create, before anything is written: the days, the days left out
    (and why), the days off held anyway, the days the program already has an event then,
    the days the venue is taken, and the years whose official holidays aren't known yet."""

    plan: WeeklyPlan
    days: list[date]
    skipped: list[DayOff]
    held: list[DayOff]
    existing: list[date]
    clashes: list[Clash]
    unknown_years: tuple[int, ...]

    def slots(self) -> list[Slot]:
        return [_slot(day, self.plan) for day in self.days]


def _slot(day: date, plan: WeeklyPlan) -> Slot:
    return Slot(local_datetime(day, plan.start_time), local_datetime(day, plan.end_time))


def _check(plan: WeeklyPlan, now: datetime) -> None:
    if not plan.weekdays or not all(0 <= day <= 6 for day in plan.weekdays):
        raise ScheduleError(_l("Please choose at least one day of the week."))
    if plan.end_time <= plan.start_time:
        raise ScheduleError(_l("The end time must be after the start time."))
    if plan.last_day < plan.first_day:
        raise ScheduleError(_l("The last day must not be before the first day."))
    if (plan.last_day - plan.first_day).days > MAX_SCHEDULE_DAYS:
        raise ScheduleError(_l("A schedule can be at most one year long."))
    if plan.first_day < to_local(now).date():
        raise ScheduleError(_l("The first day can't be in the past."))


def _days(program: Program, plan: WeeklyPlan):
    """The days to create events on, and the layout's other lists (see :class:`Layout`)."""
    laid = layout_days(plan.first_day, plan.last_day, plan.weekdays, skip_days=plan.skip_days,
                       include_days=plan.include_days)
    starts = {local_datetime(day, plan.start_time): day for day in laid.days}
    taken = set(db.session.execute(
        sa.select(Event.starts_at).where(
            Event.program_id == program.id, Event.status == EventStatus.SCHEDULED,
            Event.starts_at.in_(list(starts)),
        )
    ).scalars()) if starts else set()
    existing = [day for start, day in starts.items() if start in taken]
    days = [day for start, day in starts.items() if start not in taken]
    return days, laid, existing


def plan_layout(program: Program, plan: WeeklyPlan, *, now: datetime) -> Layout:
    """What :func:`create_schedule` would do with ``plan``, without writing anything.

    :raises ScheduleError: when the days or times make no sense.
    """
    _check(plan, now)
    days, laid, existing = _days(program, plan)
    found = clashes(plan.venue, [_slot(day, plan) for day in days])
    return Layout(plan=plan, days=days, skipped=laid.skipped, held=laid.held, existing=existing, clashes=found,
                  unknown_years=laid.unknown_years)


def create_schedule(program: Program, plan: WeeklyPlan, *, actor: User | None, now: datetime) -> WeeklySchedule:
    """Record a weekly schedule and generate one event of ``program`` per day of it, each
    with its own ``plan.capacity`` places, leaving out the community's days off (unless held
    anyway), the organizer's skipped days and days that already have an event of the
    program at that time.

    :raises ScheduleError: when the days or times make no sense or leave nothing to create.
    :raises VenueTaken: when the venue is taken on any of the days (unless an administrator
        chose to share the room).
    :raises RoomSharingNotAllowed: when someone other than an administrator asks to share.
    """
    begin_write()
    _check(plan, now)
    days, laid, existing = _days(program, plan)
    skipped = laid.skipped
    if not days:
        if existing:
            raise ScheduleError(_l("Every day of this schedule already has an event at that time."))
        if skipped:
            raise ScheduleError(_l("Every chosen day between the first and the last day is a holiday or left out."))
        raise ScheduleError(_l("None of the chosen weekdays falls between the first and the last day."))
    slots = [_slot(day, plan) for day in days]
    found = ensure_free(plan.venue, slots, actor=actor, share=plan.share_room)
    shared_starts = {clash.slot.starts_at for clash in found}
    cutoff = timedelta(minutes=plan.booking_cutoff_minutes)
    pattern = cycle(plan.series_pattern) if plan.series_pattern else None
    title = plan.title if plan.event_title is None else plan.event_title
    events = [
        event_service.new_event(
            program, title=title, starts_at=slot.starts_at, ends_at=slot.ends_at,
            capacity=plan.capacity, booking_cutoff=cutoff, venue=plan.venue, summary=plan.summary,
            speaker=plan.speaker, series=next(pattern) if pattern else None, now=now,
            shares_room=slot.starts_at in shared_starts,
        )
        for slot in slots
    ]
    schedule = WeeklySchedule(
        program=program, venue=plan.venue, title=plan.title,
        weekday_mask=WeeklySchedule.mask_of(plan.weekdays), start_time=plan.start_time,
        end_time=plan.end_time, first_day=plan.first_day, last_day=plan.last_day,
        capacity=plan.capacity, booking_cutoff_minutes=plan.booking_cutoff_minutes,
        created_at=now, events=events,
    )
    db.session.add(schedule)
    db.session.flush()
    audit.record(
        "schedule.create", actor=actor, now=now, subject_type="weekly_schedules", subject_id=schedule.id,
        label=schedule.title, program_id=program.id,
        after={
            **audit.snapshot(schedule, ("weekdays", "start_time", "end_time", "first_day", "last_day",
                                        "venue_id", "capacity", "booking_cutoff_minutes")),
            "events": len(events), "skipped": [off.day for off in skipped], "held_anyway": plan.include_days,
        },
    )
    if found:
        audit.record(
            "schedule.share_room", actor=actor, now=now, subject_type="weekly_schedules",
            subject_id=schedule.id, label=schedule.title, program_id=program.id,
            after={"venue_id": plan.venue.id if plan.venue else None,
                   "shares_with": [{"id": c.other.id, "title": c.other.title, "starts_at": c.other.starts_at}
                                   for c in found]},
        )
    return schedule


def series_pattern(schedule: WeeklySchedule) -> tuple[Series | None, ...]:
    """The topic series of the schedule's events in order (cancelled ones too: a copy
    repeats the plan, not what happened), or nothing when none has a series."""
    pattern = tuple(event.series for event in schedule.events)
    return pattern if any(series is not None for series in pattern) else ()


def copy_plan(schedule: WeeklySchedule, first_day: date) -> WeeklyPlan:
    """A plan for a new term with the layout of ``schedule`` — weekdays, times, venue, places,
    booking cutoff, the events' topic series in turn — moved to start on ``first_day`` and
    last as long."""
    return WeeklyPlan(
        title=schedule.title, weekdays=frozenset(schedule.weekdays), start_time=schedule.start_time,
        end_time=schedule.end_time, first_day=first_day,
        last_day=first_day + (schedule.last_day - schedule.first_day), capacity=schedule.capacity,
        booking_cutoff_minutes=schedule.booking_cutoff_minutes, venue=schedule.venue,
        series_pattern=series_pattern(schedule),
    )


def next_term_start(schedule: WeeklySchedule, *, now: datetime) -> date:
    """Where a copy of ``schedule`` starts unless the organizer says otherwise: the same
    weekday as its first day, a week after it ends (and not in the past)."""
    earliest = max(schedule.last_day + timedelta(days=1), to_local(now).date())
    weekday = schedule.first_day.weekday()
    return earliest + timedelta(days=(weekday - earliest.weekday()) % 7)


def cancel_schedule(schedule: WeeklySchedule, reason: str, *, actor: User | None, now: datetime):
    """Cancel every event of the schedule that hasn't begun, with a reason the people who
    booked will see; their bookings are cancelled (see :func:`services.events.cancel_events`).
    Events that took place stay as they were.

    Returns the :class:`services.events.Cancellation`.

    :raises ScheduleError: when nothing of the schedule is left to cancel.
    :raises CancelReasonRequired: without a reason.
    """
    begin_write()
    coming = [event for event in schedule.events if not event.is_cancelled and not event.has_started(now)]
    if not coming:
        raise ScheduleError(_l("Nothing of this schedule is left to cancel: its events have taken place or are cancelled."))
    cancellation = event_service.cancel_events(coming, reason, actor=actor, now=now, audit_each=False)
    schedule.cancelled_at = now
    schedule.cancel_reason = reason.strip()[:200]
    db.session.flush()
    audit.record(
        "schedule.cancel", actor=actor, now=now, subject_type="weekly_schedules", subject_id=schedule.id,
        label=schedule.title, program_id=schedule.program_id,
        after={"cancel_reason": schedule.cancel_reason, "events": [e.id for e in cancellation.events],
               "bookings_cancelled": len(cancellation.bookings)},
    )
    return cancellation


def schedules_of(program_ids, *, now: datetime, with_events: bool = False) -> list[WeeklySchedule]:
    """The schedules of the given programs that haven't ended, soonest first, with their
    venues (and their events, when asked) loaded in a constant number of queries."""
    ids = list(program_ids)
    if not ids:
        return []
    query = (
        sa.select(WeeklySchedule)
        .where(WeeklySchedule.program_id.in_(ids), WeeklySchedule.last_day >= to_local(now).date())
        .options(joinedload(WeeklySchedule.venue), joinedload(WeeklySchedule.program))
        .order_by(WeeklySchedule.first_day, WeeklySchedule.id)
    )
    if with_events:
        query = query.options(selectinload(WeeklySchedule.events).joinedload(Event.venue))
    return list(db.session.execute(query).scalars())


RECENT = timedelta(days=366)


def recent_schedules(program_ids, *, now: datetime) -> list[WeeklySchedule]:
    """The programs' schedules that haven't ended or ended within the past year (what a new
    term is copied from), latest first, with their programs and venues (one query)."""
    ids = list(program_ids)
    if not ids:
        return []
    return list(db.session.execute(
        sa.select(WeeklySchedule)
        .where(WeeklySchedule.program_id.in_(ids), WeeklySchedule.last_day >= to_local(now - RECENT).date())
        .options(joinedload(WeeklySchedule.venue), joinedload(WeeklySchedule.program))
        .order_by(WeeklySchedule.first_day.desc(), WeeklySchedule.id.desc())
    ).scalars())


def get_schedule(schedule_id: int) -> WeeklySchedule | None:
    """The schedule with ``schedule_id`` with its program, or None."""
    return db.session.execute(
        sa.select(WeeklySchedule).where(WeeklySchedule.id == schedule_id)
        .options(joinedload(WeeklySchedule.program), joinedload(WeeklySchedule.venue))
    ).scalar_one_or_none()


def schedule_of_event(event_id: int) -> WeeklySchedule | None:
    """The schedule that generated the event, if any."""
    return db.session.execute(
        sa.select(WeeklySchedule)
        .join(weekly_schedule_events, weekly_schedule_events.c.schedule_id == WeeklySchedule.id)
        .where(weekly_schedule_events.c.event_id == event_id)
    ).scalar_one_or_none()


def is_scheduled():
    """A SQL condition: the event was generated by a weekly schedule."""
    return Event.id.in_(sa.select(weekly_schedule_events.c.event_id))
