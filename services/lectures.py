"""The Wednesday culture & history lectures (周三文史讲堂): terms and the listing residents
browse. A lecture is changed and cancelled like any event (services.events)."""
from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from models import Event, Program, ProgramKind, Role, Series, User, WeeklySchedule, db, program_organizers

from . import audiences, schedules
from .schedules import WeeklyPlan

WEDNESDAY = 2


def create_term(program: Program, plan: WeeklyPlan, *, actor: User | None, now: datetime) -> WeeklySchedule:
    """Lay out a term of lectures: one on each chosen weekday (Wednesday, usually) between
    two days, titled "topic to be announced" unless the plan says otherwise, leaving out
    the community's days off and weeks that already have a lecture at that time.

    :raises ScheduleError: when the dates make no sense or leave no lecture to create.
    :raises VenueTaken: when the room is taken on any of the days.
    """
    # An empty title reads "to be announced" in each reader's language (Event.display_title).
    plan = replace(plan, event_title=plan.event_title or "")
    term = schedules.create_schedule(program, plan, actor=actor, now=now)
    if program.booking_opens_days_before:  # the program's booking window: opens so many days before
        for event in term.events:
            event.booking_opens_at = event.starts_at - timedelta(days=program.booking_opens_days_before)
        db.session.flush()
    return term


def terms_of(program_ids, *, now: datetime) -> list[WeeklySchedule]:
    """The lecture terms of the given programs that haven't ended or ended within the past
    year (to copy from), latest first."""
    return schedules.recent_schedules(program_ids, now=now)


def lecture_programs(*, organized_by: User | None = None) -> list[Program]:
    """The programs whose events are listed at /lectures/; with ``organized_by``, only
    those that person may manage (all of them for an admin)."""
    query = (
        sa.select(Program).where(Program.kind == ProgramKind.LECTURE_SERIES, Program.is_listed())
        .order_by(Program.id)
    )
    if organized_by is not None and not organized_by.has_role(Role.ADMIN):
        query = query.join(program_organizers).where(program_organizers.c.user_id == organized_by.id)
    return list(db.session.execute(query).scalars())


def lecture_series() -> list[Series]:
    """The current topic series of the lecture programs (not retired, of programs not
    archived), in their display order."""
    return list(
        db.session.execute(
            sa.select(Series)
            .join(Series.program)
            .where(Program.kind == ProgramKind.LECTURE_SERIES, Program.is_listed(), Series.retired_at.is_(None))
            .order_by(Series.position, Series.id)
        ).scalars()
    )


def upcoming_lectures_query(*, now: datetime, series: Series | None = None, viewer: User | None = None):
    """A select of lectures not yet over that ``viewer`` may see (events for a group only
    to its members and organizers; None: someone not logged in), soonest first, with what
    the list shows."""
    query = (
        sa.select(Event)
        .join(Event.program)
        .where(Program.kind == ProgramKind.LECTURE_SERIES, Program.is_listed(), Event.ends_at >= now,
               audiences.visible_to(viewer))
        .options(joinedload(Event.series), joinedload(Event.venue))
        .order_by(Event.starts_at, Event.id)
    )
    if series is not None:
        query = query.where(Event.series_id == series.id)
    return query


def get_lecture(event_id: int, *, viewer=audiences.ANYONE) -> Event | None:
    """The lecture with ``event_id`` (an event of a lecture-series program) if ``viewer``
    may see it, or None."""
    event = db.session.execute(
        sa.select(Event)
        .join(Event.program)
        .where(Event.id == event_id, Program.kind == ProgramKind.LECTURE_SERIES, audiences.visible_to(viewer))
        .options(joinedload(Event.series), joinedload(Event.venue), joinedload(Event.program))
    ).scalar_one_or_none()
    return event
