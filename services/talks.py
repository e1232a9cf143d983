"""The lecture team's talks (宣讲活动) and the openings volunteers browse.

A talk is an :class:`Event` of the lecture-team program. Its theme (理论知识, 爱国教育,
精神文明 …) is one of the program's topic series, its place a venue (a building or grid,
the culture centre, a school). Talks are open to everyone without booking, so the
event's seat quota has no seats; the volunteers' roles are what is booked.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from models import Event, Program, ProgramKind, Series, ShiftRole, User, Venue, db

from . import audiences
from . import events as event_service
from . import shifts
from .db import begin_write
from .shifts import RoleSpec


def team_program() -> Program | None:
    """The lecture team (蒲公英宣讲队): the first program of its kind that isn't archived."""
    return db.session.execute(
        sa.select(Program).where(Program.kind == ProgramKind.LECTURE_TEAM, Program.is_listed())
        .order_by(Program.id).limit(1)
    ).scalar_one_or_none()


@dataclass(frozen=True)
class TalkDetails:
    """What an organizer says about a talk. ``new_place`` names a place not yet listed."""

    title: str
    theme: Series | None
    venue: Venue | None
    starts_at: datetime
    ends_at: datetime
    summary: str = ""
    new_place: str = ""
    share_room: bool = False


def _place(details: TalkDetails) -> Venue | None:
    """The chosen venue, or the typed place (found by name, else added to the list)."""
    name = details.new_place.strip()
    if not name:
        return details.venue
    found = db.session.execute(sa.select(Venue).where(Venue.name == name)).scalar_one_or_none()
    if found is not None:
        return found
    venue = Venue(name=name, address="")
    try:
        with db.session.begin_nested():
            db.session.add(venue)
            db.session.flush()
    except IntegrityError:  # added by someone else just now
        return db.session.execute(sa.select(Venue).where(Venue.name == name)).scalar_one()
    return venue


def _changes(details: TalkDetails, venue: Venue | None) -> event_service.EventChanges:
    # Talks are open to everyone without booking: no seats, and "booking" closes at the start.
    return event_service.EventChanges(
        title=details.title, series=details.theme, venue=venue, summary=details.summary,
        starts_at=details.starts_at, ends_at=details.ends_at, capacity=0, booking_cutoff_minutes=0,
        share_room=details.share_room,
    )


def create_talk(program: Program, details: TalkDetails, roles: list[RoleSpec], *, actor: User | None,
                now: datetime) -> Event:
    """Create a talk with its roles (those with at least one slot).

    :raises EventEndsBeforeStart, EventInThePast: when the times make no sense.
    :raises VenueTaken: when the place is taken then.
    :raises RoleNameTaken: when two roles share a name.
    """
    begin_write()
    event = event_service.add_event(program, _changes(details, _place(details)), actor=actor, now=now)
    for spec in roles:
        if spec.slots > 0:
            shifts.add_role(event, spec, now=now)
    return event


def update_talk(event: Event, details: TalkDetails, *, actor: User | None, now: datetime) -> event_service.EventEdit:
    """Change a talk's details through the one edit path (services.events), with a typed
    place added to the list first.

    :raises EventEndsBeforeStart, EventInThePast, EventAlreadyStarted: when the times make no sense.
    :raises VenueTaken: when the new time or place is taken.
    :raises ShiftsOverlapAfterMove: naming holders who have another shift at the new time.
    """
    begin_write()
    changes = _changes(details, _place(details))
    return event_service.edit_event(event, changes, actor=actor, now=now)


def is_talk(event: Event) -> bool:
    """Tell whether ``event`` is a lecture-team talk."""
    return event.program.kind is ProgramKind.LECTURE_TEAM


def get_event(event_id: int) -> Event | None:
    """A talk, or another event that has volunteer roles; None otherwise."""
    event = db.session.execute(
        sa.select(Event).where(Event.id == event_id)
        .options(joinedload(Event.program), joinedload(Event.venue), joinedload(Event.series))
    ).scalar_one_or_none()
    if event is None or is_talk(event):
        return event
    has_roles = db.session.execute(
        sa.select(ShiftRole.id).where(ShiftRole.event_id == event.id).limit(1)
    ).first()
    return event if has_roles else None


def get_any_event(event_id: int) -> Event | None:
    """Any event (for organizers adding roles to it), with its program."""
    return db.session.execute(
        sa.select(Event).where(Event.id == event_id).options(joinedload(Event.program))
    ).scalar_one_or_none()


OTHER = "other"


def openings_query(program: Program, *, now: datetime, theme: Series | None = None, other: bool = False):
    """A select of events not yet over that volunteers can look at: the team's talks and
    any other event with roles, soonest first (``theme`` or ``other`` narrow it down)."""
    has_roles = sa.exists().where(ShiftRole.event_id == Event.id)
    query = (
        sa.select(Event)
        .where(Event.ends_at >= now)
        .options(joinedload(Event.program), joinedload(Event.venue), joinedload(Event.series))
        .order_by(Event.starts_at, Event.id)
    )
    if theme is not None:
        return query.where(Event.program_id == program.id, Event.series_id == theme.id)
    if other:
        return query.where(Event.program_id != program.id, has_roles)
    return query.where(sa.or_(Event.program_id == program.id, has_roles))


def past_events_with_shifts(programs: list[Program], *, now: datetime, days: int = 60):
    """Events of ``programs`` that began in the last ``days`` days and have roles, latest first."""
    if not programs:
        return []
    return list(db.session.execute(
        sa.select(Event)
        .where(
            Event.program_id.in_([p.id for p in programs]),
            Event.starts_at <= now, Event.starts_at >= now - timedelta(days=days),
            sa.exists().where(ShiftRole.event_id == Event.id),
        )
        .options(joinedload(Event.program))
        .order_by(Event.starts_at.desc(), Event.id.desc())
    ).scalars())


def coming_events(programs: list[Program], *, now: datetime, limit: int = 50, viewer=audiences.ANYONE):
    """Events of ``programs`` not yet over that ``viewer`` may see (every one unless a
    viewer is given; None: someone not logged in), soonest first."""
    if not programs:
        return []
    return list(db.session.execute(
        sa.select(Event)
        .where(Event.program_id.in_([p.id for p in programs]), Event.ends_at >= now, audiences.visible_to(viewer))
        .options(joinedload(Event.program), joinedload(Event.venue))
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    ).scalars())


def venues() -> list[Venue]:
    """Every place, by name."""
    return list(db.session.execute(sa.select(Venue).order_by(Venue.name)).scalars())


def programs_organized_by(user) -> list[Program]:
    """The programs ``user`` may manage (all of them for an administrator)."""
    programs = db.session.execute(
        sa.select(Program).options(selectinload(Program.organizers)).order_by(Program.kind, Program.id)
    ).scalars()
    return [program for program in programs if program.is_organized_by(user)]
