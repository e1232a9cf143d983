"""Venue conflicts: two scheduled events never overlap in one room, unless an
administrator lets them share it.

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
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from models import Event, EventStatus, Role, User, Venue, db

from .errors import ClockTime, RoomSharingNotAllowed, VenueTaken, VenueTakenOnDays
from .locks import lock_venue


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
    params = dict(venue=venue.name, title=other.title, program=other.program.name, when=other.starts_at,
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
