"""Events for a group (all building leaders, one grid's residents, a troupe's members).

An event with an :class:`EventAudience` row is for that group only: others don't see it
in lists or feeds (:func:`visible_to`, :func:`is_open`) and can't book it —
:func:`ensure_may_attend` refuses from the check hook of
:func:`services.capacity.request_places`, under the quota lock. The program's organizers
and administrators always see it. Who belongs is read from the data at that moment:

- building leaders: anyone named a building's leader;
- a grid's residents: people whose home is a building of the grid, its buildings'
  leaders and the grid's workers;
- a troupe's members: its current members and its leader.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l

from models import (
    AudienceKind, Building, BuildingLeader, Event, EventAudience, Grid, GridWorker, Program, ProgramKind,
    Residence, Role, Troupe, TroupeMembership, TroupeMembershipStatus, User, db, program_organizers,
)

from . import audit
from .db import begin_write
from .errors import AudienceError, NotInAudience


class _Anyone:
    """Stands for "no one in particular": code that isn't showing events to a person."""

    def __repr__(self) -> str:
        return "ANYONE"


# ``visible_to(ANYONE)`` filters nothing (the default of lookups that take a ``viewer``).
ANYONE = _Anyone()


def is_open():
    """SQL condition on :class:`Event`: the event is open to everyone (for public feeds)."""
    return ~sa.exists().where(EventAudience.event_id == Event.id)


def _belongs(user_id: int):
    """SQL condition on :class:`EventAudience`: the person belongs to its group."""
    a = EventAudience
    leader = sa.exists().where(BuildingLeader.user_id == user_id)
    in_grid = sa.or_(
        sa.exists().where(
            Residence.user_id == user_id, Building.id == Residence.building_id, Building.grid_id == a.grid_id
        ),
        sa.exists().where(
            BuildingLeader.user_id == user_id, Building.id == BuildingLeader.building_id,
            Building.grid_id == a.grid_id,
        ),
        sa.exists().where(GridWorker.user_id == user_id, GridWorker.grid_id == a.grid_id),
    )
    in_troupe = sa.or_(
        sa.exists().where(
            TroupeMembership.program_id == a.program_id, TroupeMembership.user_id == user_id,
            TroupeMembership.status == TroupeMembershipStatus.MEMBER,
        ),
        sa.exists().where(Troupe.program_id == a.program_id, Troupe.leader_id == user_id),
    )
    return sa.or_(
        sa.and_(a.kind == AudienceKind.BUILDING_LEADERS, leader),
        sa.and_(a.kind == AudienceKind.GRID, in_grid),
        sa.and_(a.kind == AudienceKind.TROUPE, in_troupe),
    )


def visible_to(user: User | None):
    """SQL condition on :class:`Event`: ``user`` may see the event — it is open to
    everyone, they belong to its group, or they organize its program (administrators
    see everything; someone not logged in sees open events only; ``ANYONE`` filters
    nothing)."""
    if user is ANYONE:
        return sa.true()
    if user is None or not getattr(user, "is_authenticated", False):
        return is_open()
    if user.has_role(Role.ADMIN):
        return sa.true()
    return _visible_to_member(user.id)


@functools.lru_cache(maxsize=256)
def _visible_to_member(user_id: int):
    """``visible_to`` for a person who isn't an administrator. Built once per person and
    process: SQL expressions never change once built, and building this one cost more
    than the database spends answering the query it is part of."""
    in_group = sa.exists().where(EventAudience.event_id == Event.id, _belongs(user_id))
    organizes = sa.exists().where(
        program_organizers.c.program_id == Event.program_id, program_organizers.c.user_id == user_id
    )
    return sa.or_(is_open(), in_group, organizes)


def may_see(event: Event, user: User | None) -> bool:
    """Tell whether ``user`` may see ``event`` (one query)."""
    return db.session.execute(
        sa.select(Event.id).where(Event.id == event.id, visible_to(user))
    ).first() is not None


def audience_of(event: Event) -> EventAudience | None:
    """The group ``event`` is for, or None when it is open to everyone."""
    return db.session.get(EventAudience, event.id)


def audiences_by_event(event_ids: Iterable[int]) -> dict[int, EventAudience]:
    """The groups of the given events that have one, by event id (one query)."""
    ids = list(event_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(EventAudience).where(EventAudience.event_id.in_(ids))).scalars()
    return {row.event_id: row for row in rows}


def describe(audience: EventAudience | None) -> str:
    """The group in words, e.g. "the residents of grid 3", for badges and refusals."""
    if audience is None:
        return str(_l("everyone"))
    if audience.kind is AudienceKind.BUILDING_LEADERS:
        return str(_l("building leaders"))
    if audience.kind is AudienceKind.GRID:
        grid = audience.grid or db.session.get(Grid, audience.grid_id)
        return str(_l("the residents of grid %(grid)s", grid=grid.number if grid else "?"))
    program = audience.program or db.session.get(Program, audience.program_id)
    return str(_l("the members of %(troupe)s", troupe=program.name if program else "?"))


def ensure_may_attend(event: Event, user: User) -> None:
    """Refuse a booking for someone outside the event's group (for ``check=`` hooks).

    :raises NotInAudience: naming the group.
    """
    audience = audience_of(event)
    if audience is None:
        return
    belongs = db.session.execute(
        sa.select(EventAudience.event_id).where(EventAudience.event_id == event.id, _belongs(user.id))
    ).first() is not None
    if not belongs and not event.program.is_organized_by(user):
        raise NotInAudience(group=describe(audience))


def set_audience(event: Event, kind: AudienceKind | None, *, grid: Grid | None = None,
                 troupe: Program | None = None, actor: User, now: datetime) -> EventAudience | None:
    """Open ``event`` to everyone (``kind`` None) or keep it for one group. Bookings
    already made stay; only new ones are checked.

    :raises AudienceError: when a grid or troupe group names none, or not a troupe.
    """
    begin_write()
    if kind is AudienceKind.GRID and grid is None:
        raise AudienceError(_l("Choose the grid whose residents the event is for."))
    if kind is AudienceKind.TROUPE and (troupe is None or troupe.kind is not ProgramKind.TROUPE):
        raise AudienceError(_l("Choose the troupe whose members the event is for."))
    grid_id = grid.id if kind is AudienceKind.GRID else None
    program_id = troupe.id if kind is AudienceKind.TROUPE else None
    row = db.session.get(EventAudience, event.id, with_for_update=True)
    before = audit.snapshot(row, ("kind", "grid_id", "program_id")) if row is not None else {"kind": None}
    if kind is None:
        if row is not None:
            db.session.delete(row)
            row = None
    else:
        if row is None:
            row = EventAudience(event_id=event.id)
            db.session.add(row)
        row.kind, row.grid_id, row.program_id = kind, grid_id, program_id
        row.set_by_id, row.set_at = actor.id, now
    db.session.flush()
    after = audit.snapshot(row, ("kind", "grid_id", "program_id")) if row is not None else {"kind": None}
    audit.record("event.audience", actor=actor, now=now, subject_type="events", subject_id=event.id,
                 label=event.display_title, program_id=event.program_id, before=before, after=after)
    return row
