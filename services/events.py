"""Every event's one path for being added, changed and cancelled, whatever its program's
kind: a Wednesday lecture, a talk, a performance, a rehearsal, a youth class.

The rules of a change are the same for all of them:

- moving keeps the event's calendar UID and raises its SEQUENCE
  (:func:`touch`), so subscribed calendars move it instead of adding a second copy;
- the new time and place must not overlap another scheduled event in the venue
  (:mod:`services.venues`), unless an administrator lets them share the room;
- volunteers holding a role at the event must be free at the new time
  (:func:`services.shifts.ensure_holders_free`);
- places change through :func:`services.capacity.set_capacity`: more places promote the
  waiting list in order, fewer than are taken are refused with the number;
- the audit trail records each change, before → after.

Locks are taken in the documented order (services.locks): the venue, then the event and
its volunteers, then the quota.

People are told in the change's own transaction (services.notifications): a move of time
or place by :func:`edit_event`, a cancellation by :func:`cancel_events` before the bookings
it cancels stop saying who held a place; places freed for a waiting list through
capacity's promotion listener.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from models import Booking, Event, EventStatus, Program, Quota, Series, ShiftRole, User, Venue, db

from . import audit, capacity, notifications
from .db import begin_write
from .errors import (
    CancelReasonRequired, EventAlreadyStarted, EventEndsBeforeStart, EventInThePast, EventIsCancelled,
)
from .locks import lock_events
from .shifts import ensure_holders_free
from .venues import Clash, Slot, ensure_free

# What the audit trail keeps of an event (every change of them raises its SEQUENCE).
AUDITED_FIELDS = (
    "title", "speaker", "summary", "series_id", "venue_id", "starts_at", "ends_at", "booking_closes_at",
    "shares_room",
)
MOVING_FIELDS = frozenset({"starts_at", "ends_at", "venue_id"})


def new_event(
    program: Program, *, title: str, starts_at: datetime, ends_at: datetime, capacity: int,
    booking_cutoff: timedelta, venue: Venue | None = None, series: Series | None = None,
    speaker: str = "", summary: str = "", now: datetime, shares_room: bool = False,
) -> Event:
    """Add one event with its own quota of places to the session (not flushed; no checks:
    callers check the venue with :func:`services.venues.ensure_free` first)."""
    event = Event(
        program=program, series=series, venue=venue, title=title, speaker=speaker,
        summary=summary, starts_at=starts_at, ends_at=ends_at,
        booking_closes_at=starts_at - booking_cutoff, seats=Quota(capacity=capacity, taken=0),
        shares_room=shares_room, created_at=now, updated_at=now,
    )
    db.session.add(event)
    return event


def touch(event: Event, now: datetime) -> None:
    """Record a change subscribers should see: raise the sequence, stamp the time."""
    event.sequence = (event.sequence or 0) + 1
    event.updated_at = now


def cutoff_minutes(event: Event) -> int:
    """How many minutes before the start booking closes."""
    return max(int((event.starts_at - event.booking_closes_at).total_seconds() // 60), 0)


@dataclass(frozen=True)
class EventChanges:
    """An event's details as they should be after a change (start from :meth:`of`)."""

    title: str
    starts_at: datetime
    ends_at: datetime
    venue: Venue | None
    capacity: int
    booking_cutoff_minutes: int
    summary: str = ""
    speaker: str = ""
    series: Series | None = None
    # An administrator's explicit choice to let the event share its room at the new time.
    share_room: bool = False

    @classmethod
    def of(cls, event: Event) -> EventChanges:
        """The event's details as they are now."""
        return cls(
            title=event.title, starts_at=event.starts_at, ends_at=event.ends_at, venue=event.venue,
            capacity=event.seats.capacity, booking_cutoff_minutes=cutoff_minutes(event),
            summary=event.summary, speaker=event.speaker, series=event.series,
        )


@dataclass(frozen=True)
class EventEdit:
    """What an edit changed: the audited fields and the number of places before and after
    (plain values: datetimes, ids), the bookings promoted from the waiting list by more
    places, and the events it was let share the room with."""

    event: Event
    before: dict[str, Any]
    after: dict[str, Any]
    promoted: list[Booking] = field(default_factory=list)
    shared_with: list[Event] = field(default_factory=list)

    @property
    def changed(self) -> frozenset[str]:
        return frozenset(key for key in self.after if self.before.get(key) != self.after.get(key))

    @property
    def is_moved(self) -> bool:
        """Tell whether the time or the place changed: what people who booked must hear."""
        return bool(self.changed & MOVING_FIELDS)


def _state(event: Event) -> dict[str, Any]:
    """The audited fields of an event and its number of places, as they are now."""
    state = {name: getattr(event, name) for name in AUDITED_FIELDS}
    state["capacity"] = event.seats.capacity
    return state


def _check_times(starts_at: datetime, ends_at: datetime) -> None:
    if ends_at <= starts_at:
        raise EventEndsBeforeStart()


def _record_sharing(event: Event, found: list[Clash], *, actor: User | None, now: datetime) -> list[Event]:
    others = list({clash.other.id: clash.other for clash in found}.values())
    audit.record(
        "event.share_room", actor=actor, now=now, subject_type="events", subject_id=event.id,
        label=event.display_title, program_id=event.program_id,
        after={"venue_id": event.venue_id, "starts_at": event.starts_at, "ends_at": event.ends_at,
               "shares_with": [{"id": other.id, "title": other.title} for other in others]},
    )
    return others


def add_event(program: Program, details: EventChanges, *, actor: User | None, now: datetime) -> Event:
    """Add one event (a performance, a talk, a class) with its own places, in a free room.

    :raises EventEndsBeforeStart, EventInThePast: when the times make no sense.
    :raises VenueTaken: when it overlaps another event in the venue (unless an
        administrator chose to share the room).
    :raises RoomSharingNotAllowed: when someone other than an administrator asks to share.
    """
    begin_write()
    _check_times(details.starts_at, details.ends_at)
    if details.starts_at <= now:
        raise EventInThePast()
    found = ensure_free(details.venue, [Slot(details.starts_at, details.ends_at)], actor=actor,
                        share=details.share_room)
    event = new_event(
        program, title=details.title, starts_at=details.starts_at, ends_at=details.ends_at,
        capacity=details.capacity, booking_cutoff=timedelta(minutes=details.booking_cutoff_minutes),
        venue=details.venue, series=details.series, speaker=details.speaker, summary=details.summary,
        now=now, shares_room=bool(found),
    )
    db.session.flush()
    audit.record(
        "event.create", actor=actor, now=now, subject_type="events", subject_id=event.id, label=event.display_title,
        program_id=program.id, after=_state(event),
    )
    if found:
        _record_sharing(event, found, actor=actor, now=now)
    return event


def edit_event(event: Event, changes: EventChanges, *, actor: User | None, now: datetime) -> EventEdit:
    """Change an event's details — time, place, places, title and the rest — keeping its
    bookings, its calendar UID and its volunteers.

    :raises EventIsCancelled: for a cancelled event.
    :raises EventEndsBeforeStart: when it would end before it starts.
    :raises EventInThePast, EventAlreadyStarted: when a new time is past, or the event has begun.
    :raises VenueTaken: when the new time or place overlaps another event in the venue.
    :raises RoomSharingNotAllowed: when someone other than an administrator asks to share.
    :raises ShiftsOverlapAfterMove: when a volunteer holding a role has another shift then.
    :raises CapacityBelowTaken: when fewer places than are taken are asked for.
    """
    begin_write()
    if event.is_cancelled:
        raise EventIsCancelled()
    _check_times(changes.starts_at, changes.ends_at)
    new_time = (changes.starts_at, changes.ends_at) != (event.starts_at, event.ends_at)
    new_place = (changes.venue.id if changes.venue else None) != event.venue_id
    if new_time:
        if event.has_started(now):
            raise EventAlreadyStarted()
        if changes.starts_at <= now:
            raise EventInThePast()

    before = _state(event)
    was = notifications.where_and_when(event)
    found: list[Clash] = []
    if new_time or new_place or changes.share_room:
        found = ensure_free(changes.venue, [Slot(changes.starts_at, changes.ends_at)], actor=actor,
                            share=changes.share_room, except_ids=[event.id])
    ensure_holders_free(event, changes.starts_at, changes.ends_at)
    promoted = []
    if changes.capacity != event.seats.capacity:
        promoted = capacity.set_capacity(event.seat_quota_id, changes.capacity, now=now)

    event.title = changes.title
    event.speaker = changes.speaker
    event.summary = changes.summary
    event.series = changes.series
    event.venue = changes.venue
    event.starts_at = changes.starts_at
    event.ends_at = changes.ends_at
    event.booking_closes_at = changes.starts_at - timedelta(minutes=changes.booking_cutoff_minutes)
    if new_time or new_place or changes.share_room:
        event.shares_room = bool(found)
    db.session.flush()

    after = _state(event)
    changed = {key for key in after if before[key] != after[key]}
    if changed:
        touch(event, now)
    details = sorted(changed - {"capacity"})
    if details:
        audit.record("event.edit", actor=actor, now=now, subject_type="events", subject_id=event.id,
                     label=event.display_title, program_id=event.program_id,
                     before={key: before[key] for key in details}, after={key: after[key] for key in details})
    if "capacity" in changed:
        audit.record("event.capacity", actor=actor, now=now, subject_type="events", subject_id=event.id,
                     label=event.display_title, program_id=event.program_id,
                     before={"capacity": before["capacity"]},
                     after={"capacity": after["capacity"], "promoted": len(promoted)})
    shared_with = _record_sharing(event, found, actor=actor, now=now) if found else []
    db.session.flush()
    notifications.event_moved(event, was, now=now)
    return EventEdit(event=event, before=before, after=after, promoted=promoted, shared_with=shared_with)


@dataclass(frozen=True)
class Cancellation:
    """Events cancelled in one step, and every booking cancelled with them — seats, places
    and volunteer shifts — so the people who held them can be told."""

    events: list[Event]
    bookings: list[Booking]


def quotas_of(event_ids: Iterable[int]) -> list[int]:
    """Every quota of the events: their places and their volunteer roles' slots (one query)."""
    ids = list(event_ids)
    if not ids:
        return []
    seat_quotas = sa.select(Event.seat_quota_id).where(Event.id.in_(ids))
    role_quotas = sa.select(ShiftRole.quota_id).where(ShiftRole.event_id.in_(ids))
    return sorted(db.session.execute(sa.union(seat_quotas, role_quotas)).scalars())


def cancel_events(
    events: Iterable[Event], reason: str, *, actor: User | None, now: datetime, audit_each: bool = True,
) -> Cancellation:
    """Cancel events with a reason the people who booked will see. Their bookings are
    cancelled too — the rows stay, so everyone who had booked is still on record — and
    nobody is promoted from a waiting list into a cancelled event. Events already
    cancelled are left as they are.

    :raises CancelReasonRequired: without a reason.
    """
    reason = reason.strip()
    if not reason:
        raise CancelReasonRequired()
    begin_write()
    events = sorted({event.id: event for event in events}.values(), key=lambda e: e.id)
    lock_events(event.id for event in events)
    cancelled = []
    for event in events:
        db.session.refresh(event)
        if event.is_cancelled:
            continue
        event.status = EventStatus.CANCELLED
        event.cancel_reason = reason[:200]
        event.cancelled_at = now
        touch(event, now)
        cancelled.append(event)
    db.session.flush()
    for event in cancelled:  # while their bookings still say who holds a place
        notifications.event_cancelled(event, now=now)
    bookings = capacity.cancel_all(quotas_of(e.id for e in cancelled), now=now)
    if audit_each:
        for event in cancelled:
            audit.record(
                "event.cancel", actor=actor, now=now, subject_type="events", subject_id=event.id,
                label=event.display_title, program_id=event.program_id,
                before={"status": EventStatus.SCHEDULED.value},
                after={"status": EventStatus.CANCELLED.value, "cancel_reason": event.cancel_reason,
                       "bookings_cancelled": sum(1 for b in bookings if b.event_id == event.id)},
            )
    return Cancellation(events=cancelled, bookings=bookings)


def cancel_event(event: Event, reason: str, *, actor: User | None, now: datetime) -> Cancellation:
    """Cancel one event with a reason (see :func:`cancel_events`).

    :raises CancelReasonRequired: without a reason.
    """
    return cancel_events([event], reason, actor=actor, now=now)
