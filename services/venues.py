"""Venues (场地): the community's rooms and places — adding, editing, retiring them.

A venue's ``seats`` are the default capacity of events held there (the event forms fill
it in). Venues are never deleted: past events name them; a retired one is offered for
no new event.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from models import Event, EventStatus, User, Venue, db

from . import audit
from .db import begin_write
from .errors import VenueNameTaken

VENUE_FIELDS = ("name", "address", "seats", "access_notes")
# Events a calendar feed still shows (see services.feeds.Window): renaming or moving
# their venue changes what subscribers see, so they are touched.
FEED_PAST = timedelta(days=30)


@dataclass(frozen=True)
class VenueDetails:
    """What the venue form says."""

    name: str
    address: str = ""
    seats: int | None = None
    access_notes: str = ""


def all_venues(*, retired: bool = False) -> list[Venue]:
    """The venues in use (or the retired ones), by name."""
    condition = Venue.retired_at.is_not(None) if retired else Venue.retired_at.is_(None)
    return list(db.session.execute(sa.select(Venue).where(condition).order_by(Venue.name, Venue.id)).scalars())


def coming_event_counts(venue_ids, *, now: datetime) -> dict[int, int]:
    """How many scheduled events not yet over each venue holds, in one query."""
    ids = list(venue_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Event.venue_id, sa.func.count())
        .where(Event.venue_id.in_(ids), Event.ends_at > now, Event.status == EventStatus.SCHEDULED)
        .group_by(Event.venue_id)
    )
    return {venue_id: count for venue_id, count in rows}


def _check_name(name: str, venue: Venue | None = None) -> None:
    query = sa.select(Venue.id).where(Venue.name == name)
    if venue is not None and venue.id is not None:
        query = query.where(Venue.id != venue.id)
    if db.session.execute(query).first() is not None:
        raise VenueNameTaken(name=name)


def _save(venue: Venue) -> None:
    try:
        with db.session.begin_nested():
            db.session.add(venue)
            db.session.flush()
    except IntegrityError as error:  # the same name, added just now
        raise VenueNameTaken(name=venue.name) from error


def _record(action: str, venue: Venue, *, by: User, now: datetime, before=None, after=None) -> None:
    audit.record(action, actor=by, now=now, subject_type="venues", subject_id=venue.id, label=venue.name,
                 before=before, after=after)


def create_venue(details: VenueDetails, *, by: User, now: datetime) -> Venue:
    """Add a venue.

    :raises VenueNameTaken: when a venue (in use or retired) has that name.
    """
    begin_write()
    _check_name(details.name)
    venue = Venue(name=details.name, address=details.address, seats=details.seats,
                  access_notes=details.access_notes)
    _save(venue)
    _record("venue.create", venue, by=by, now=now, after=audit.snapshot(venue, VENUE_FIELDS))
    return venue


def update_venue(venue: Venue, details: VenueDetails, *, by: User, now: datetime) -> int:
    """Change a venue's details. A new name or address changes what calendars show for
    the events held there, so those still in the feeds get a new SEQUENCE. Events keep
    the capacity they have; the seats are a default for new ones.

    Returns the number of events touched.

    :raises VenueNameTaken: when another venue has that name.
    """
    begin_write()
    _check_name(details.name, venue)
    before = audit.snapshot(venue, VENUE_FIELDS)
    moved = (details.name, details.address) != (venue.name, venue.address)
    venue.name = details.name
    venue.address = details.address
    venue.seats = details.seats
    venue.access_notes = details.access_notes
    _save(venue)
    touched = 0
    if moved:
        # What services.lectures.touch does to one event, for every event a feed still
        # holds, in one statement.
        touched = db.session.execute(
            sa.update(Event)
            .where(Event.venue_id == venue.id, Event.ends_at > now - FEED_PAST)
            .values(sequence=Event.sequence + 1, updated_at=now)
            .execution_options(synchronize_session="fetch")
        ).rowcount
    _record("venue.edit", venue, by=by, now=now, before=before, after=audit.snapshot(venue, VENUE_FIELDS))
    return touched


def retire_venue(venue: Venue, *, by: User, now: datetime) -> None:
    """Retire a venue: no new event can be held there; events already there keep it."""
    begin_write()
    if venue.retired_at is not None:
        return
    venue.retired_at = now
    db.session.flush()
    _record("venue.retire", venue, by=by, now=now, before={"retired": False}, after={"retired": True})


def restore_venue(venue: Venue, *, by: User, now: datetime) -> None:
    """Offer a retired venue for new events again."""
    begin_write()
    if venue.retired_at is None:
        return
    venue.retired_at = None
    db.session.flush()
    _record("venue.restore", venue, by=by, now=now, before={"retired": True}, after={"retired": False})
