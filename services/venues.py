"""Venues (场地): the community's rooms and places — adding, editing, retiring them — and
venue conflicts: two scheduled events never overlap in one room, unless an administrator
lets them share it.

A venue's ``seats`` are the default capacity of events held there (the event forms fill
it in). Venues are never deleted: past events name them; a retired one is offered for
no new event.

Every write that gives an event a time and a place — adding one, moving one, laying out a
term or a schedule — calls :func:`ensure_free` inside its write transaction. It locks the
venue's row first (:func:`services.locks.lock_venue`; on SQLite the write transaction is
already the only writer), then looks for overlapping events, so two organizers adding
events to one room at the same moment queue on that lock and the second sees the first's
event. Times overlap as ``[start, end)``: an event ending at 10:00 and one starting at 10:00
don't clash. Cancelled events free their room.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from models import Event, EventStatus, Role, User, Venue, db

from . import audit
from .db import begin_write
from .errors import ClockTime, RoomSharingNotAllowed, VenueNameTaken, VenueTaken, VenueTakenOnDays
from .locks import lock_venue

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


# --- conflicts: one event at a time in a room ---------------------------------------------


@dataclass(frozen=True)
class Slot:
    """A stretch of time an event would take, ``[starts_at, ends_at)``."""

    starts_at: datetime
    ends_at: datetime

    def overlaps(self, event: Event) -> bool:
        return self.starts_at < event.ends_at and event.starts_at < self.ends_at


@dataclass(frozen=True)
class Clash:
    """A slot that overlaps another scheduled event in the same venue."""

    slot: Slot
    other: Event


def clashes(venue: Venue | None, slots: Sequence[Slot], *, except_ids: Iterable[int] = ()) -> list[Clash]:
    """The slots that overlap scheduled events in ``venue`` (other than ``except_ids``), each
    with the first event it overlaps, in the order of the slots; one query."""
    if venue is None or not slots:
        return []
    skip = set(except_ids)
    query = (
        sa.select(Event)
        .where(
            Event.venue_id == venue.id,
            Event.status == EventStatus.SCHEDULED,
            Event.starts_at < max(slot.ends_at for slot in slots),
            Event.ends_at > min(slot.starts_at for slot in slots),
        )
        .options(joinedload(Event.program))
        .order_by(Event.starts_at, Event.id)
    )
    if skip:
        query = query.where(Event.id.not_in(skip))
    events = db.session.execute(query).scalars().all()
    found = []
    for slot in slots:
        other = next((event for event in events if slot.overlaps(event)), None)
        if other is not None:
            found.append(Clash(slot, other))
    return found


def refusal(venue: Venue, found: Sequence[Clash]) -> VenueTaken:
    """The message that names the first event in the way (and how many more days clash)."""
    other = found[0].other
    params = dict(venue=venue.name, title=other.display_title, program=other.program.name, when=other.starts_at,
                  until=ClockTime(other.ends_at))
    if len(found) > 1:
        return VenueTakenOnDays(more=len(found) - 1, **params)
    return VenueTaken(**params)


def can_share_rooms(user: User | None) -> bool:
    """Tell whether ``user`` may let two events share a room (administrators)."""
    return user is not None and getattr(user, "is_authenticated", False) and user.has_role(Role.ADMIN)


def ensure_free(
    venue: Venue | None, slots: Sequence[Slot], *, actor: User | None, share: bool = False,
    except_ids: Iterable[int] = (),
) -> list[Clash]:
    """Lock ``venue`` and check that none of ``slots`` overlaps another scheduled event there.

    With ``share`` an administrator lets the events share the room: the clashes are
    returned for the caller to record instead of refused.

    :raises VenueTaken: naming the first event in the way, and how many more slots clash.
    :raises RoomSharingNotAllowed: when someone other than an administrator asks to share.
    """
    if venue is None:
        return []
    lock_venue(venue.id)
    found = clashes(venue, slots, except_ids=except_ids)
    if not found:
        return []
    if not share:
        raise refusal(venue, found)
    if not can_share_rooms(actor):
        raise RoomSharingNotAllowed()
    return found


def overlaps_in(events: Sequence[Event]) -> list[tuple[Event, Event]]:
    """Pairs of the given scheduled events that overlap in one venue while neither was let
    share the room (for checking data such as the demo), in one pass."""
    by_venue: dict[int, list[Event]] = {}
    for event in events:
        if event.venue_id is not None and event.status is EventStatus.SCHEDULED and not event.shares_room:
            by_venue.setdefault(event.venue_id, []).append(event)
    pairs = []
    for group in by_venue.values():
        group.sort(key=lambda e: (e.starts_at, e.id))
        for index, event in enumerate(group):
            for later in group[index + 1:]:
                if later.starts_at >= event.ends_at:
                    break
                pairs.append((event, later))
    return pairs
