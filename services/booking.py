"""Booking seats at events: the event-level rules around :mod:`services.capacity`."""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from models import Booking, BookingStatus, Event, EventStatus, ShiftRole, User, db

from . import audiences, capacity, no_shows
from .db import begin_write
from .errors import (
    BookingClosed, BookingError, BookingNotOpen, CancellationClosed, EventCancelled, EventStarted,
    UndoExpired,
)

# How long after cancelling a seat the person can take the cancellation back, provided
# the seat is still free (see undo_cancellation).
UNDO_MINUTES = 10


def ensure_bookable(event: Event, now: datetime) -> None:
    """Check that seats at ``event`` can be booked at ``now``.

    :raises EventCancelled, EventStarted, BookingNotOpen, BookingClosed: with the reason.
    """
    if event.is_cancelled:
        raise EventCancelled()
    if event.has_started(now):
        raise EventStarted()
    if event.booking_opens_at is not None and now < event.booking_opens_at:
        raise BookingNotOpen(when=event.booking_opens_at)
    if now >= event.booking_closes_at:
        raise BookingClosed(when=event.booking_closes_at)


def booking_refusal(event: Event, now: datetime) -> BookingError | None:
    """Why seats at ``event`` can't be booked at ``now``, or None when they can."""
    try:
        ensure_bookable(event, now)
    except BookingError as error:
        return error
    return None


def book_seat(event: Event, user: User, *, now: datetime, waitlist: bool = False,
              booked_by: User | None = None) -> Booking:
    """Book a seat at ``event`` for ``user``, or join its waiting list when ``waitlist``;
    ``booked_by`` is whoever books it for them (a building leader).

    Booking again returns the booking the person already holds.

    :raises EventFull: when all seats are taken and ``waitlist`` is false.
    :raises EventCancelled, EventStarted, BookingNotOpen, BookingClosed: outside the window.
    :raises BookingPaused: while the person's booking is paused for no-shows.
    :raises NotInAudience: when the event is for a group the person isn't in.
    """

    def check_window() -> None:
        db.session.refresh(event)  # under the quota lock: the organizer may just have cancelled
        ensure_bookable(event, now)
        audiences.ensure_may_attend(event, user)
        no_shows.ensure_not_paused(user, now=now)

    return capacity.request_places(
        quota_id=event.seat_quota_id, event_id=event.id, user=user, now=now, waitlist=waitlist,
        check=check_window, booked_by=booked_by,
    )


def cancel_booking(booking: Booking, *, now: datetime) -> list[Booking]:
    """Cancel a seat or leave the waiting list; a freed seat goes to the next in line.

    Returns the bookings promoted from the waiting list.

    :raises CancellationClosed: once the event has started.
    """
    begin_write()
    event = booking.event
    if booking.status is BookingStatus.CONFIRMED and event.has_started(now):
        raise CancellationClosed()
    return capacity.release_booking(booking, now=now)


def held_or_cancelled_with_event():
    """A SQL condition on a booking joined with its event: the booking is confirmed or
    waiting, or it was cancelled together with its event — so the people who had booked
    still see the cancellation and its reason (my bookings, personal calendars)."""
    return sa.or_(
        Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]),
        sa.and_(Event.status == EventStatus.CANCELLED, Booking.cancelled_at >= Event.cancelled_at),
    )


def active_count(event: Event) -> int:
    """How many people hold a seat or place at ``event``, or wait for one (one query)."""
    return db.session.execute(
        sa.select(sa.func.count()).select_from(Booking).where(
            Booking.quota_id == event.seat_quota_id,
            Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]),
        )
    ).scalar_one()


def held_at_cancellation(event: Event) -> list[Booking]:
    """The seat or place bookings a cancelled event held when it was cancelled, in the
    order they were made, with each person and child loaded (who to phone)."""
    if not event.is_cancelled:
        return []
    return list(db.session.execute(
        sa.select(Booking)
        .join(Booking.event)
        .where(Booking.quota_id == event.seat_quota_id, held_or_cancelled_with_event())
        .options(joinedload(Booking.user), joinedload(Booking.child))
        .order_by(Booking.created_at, Booking.id)
    ).scalars())
@dataclass(frozen=True)
class CancelPreview:
    """What cancelling a booking would do, to say before the tap."""

    refusal: BookingError | None  # why it can't be cancelled now, if it can't
    next_in_line: int  # 0: the places are freed; n: they go at once to waiting-list number n…
    position: int | None  # the booking's own waiting-list number, when it waits
    undo_minutes: int = UNDO_MINUTES

    @property
    def gives_seat_away(self) -> bool:
        """Tell whether the places go straight to someone waiting (no undo then)."""
        return self.next_in_line > 0


def preview_cancellation(booking: Booking, *, now: datetime) -> CancelPreview:
    """Say what cancelling ``booking`` at ``now`` would do: who gets the places, or why it
    can't be cancelled."""
    refusal = None
    if booking.is_confirmed and booking.event.has_started(now):
        refusal = CancellationClosed()
    waiting = capacity.waiting_counts([booking.quota_id]).get(booking.quota_id, 0)
    return CancelPreview(
        refusal=refusal,
        next_in_line=1 if booking.is_confirmed and waiting else 0,
        position=capacity.waitlist_position(booking),
    )


def can_undo(booking: Booking, *, now: datetime, promoted: Iterable[Booking] = ()) -> bool:
    """Tell whether a cancellation just made may be offered for undoing: it gave up a
    confirmed seat, recently, and nobody was promoted into it."""
    return (
        booking.status is BookingStatus.CANCELLED and booking.confirmed_at is not None
        and booking.cancelled_at is not None and now - booking.cancelled_at < timedelta(minutes=UNDO_MINUTES)
        and not list(promoted) and not booking.event.is_cancelled and not booking.event.has_started(now)
    )


def undo_cancellation(booking: Booking, *, now: datetime) -> Booking:
    """Take back a cancellation made in the last few minutes while the seat is still free,
    keeping the same ticket.

    :raises UndoExpired: when it is too late, the booking wasn't a seat, or the event has
        been cancelled or has started.
    :raises SeatTaken: when the seat has gone to someone else meanwhile.
    """
    begin_write()
    db.session.refresh(booking)
    if booking.is_active:
        return booking
    if not can_undo(booking, now=now):
        raise UndoExpired()
    return capacity.restore_booking(booking, now=now)


def bookings_by_event(user: User, event_ids: Iterable[int]) -> dict[int, Booking]:
    """The person's active seat bookings for themselves (not for a child) at the given
    events, keyed by event id."""
    ids = list(event_ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return {}
    rows = db.session.execute(
        sa.select(Booking)
        .join(Event, Event.id == Booking.event_id)
        .where(
            Booking.user_id == user.id,
            Booking.event_id.in_(ids),
            Booking.quota_id == Event.seat_quota_id,
            Booking.child_id.is_(None),
            Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]),
        )
    ).scalars()
    return {booking.event_id: booking for booking in rows}


def _is_shift():
    """Bookings of volunteer slots, which have their own pages and rules (services.shifts)."""
    return sa.exists().where(ShiftRole.quota_id == Booking.quota_id)


def bookings_of(
    user: User, *, now: datetime, past: bool = False, limit: int | None = None, offset: int = 0,
) -> list[Booking]:
    """The person's bookings — their own and those for their children; volunteer shifts
    left out — upcoming (soonest first) or past (latest first, at most ``limit`` after
    skipping ``offset``), with their events, programs, venues and children loaded in the
    same query."""
    ends = Event.ends_at
    query = (
        sa.select(Booking)
        .join(Booking.event)
        .where(Booking.user_id == user.id, ~_is_shift())
        .options(
            contains_eager(Booking.event).joinedload(Event.program),
            contains_eager(Booking.event).joinedload(Event.venue),
            contains_eager(Booking.event).joinedload(Event.series),
            joinedload(Booking.child),
            joinedload(Booking.booked_by).lazyload(User.role_links),
        )
    )
    if past:
        query = query.where(ends < now).order_by(Event.starts_at.desc(), Booking.id.desc())
        if limit is not None:
            query = query.limit(limit)
        if offset:
            query = query.offset(offset)
    else:
        query = query.where(ends >= now, held_or_cancelled_with_event())
        query = query.order_by(Event.starts_at, Booking.id)
    return list(db.session.execute(query).unique().scalars())


def booking_for_user_or_none(booking_id: int, user: User) -> Booking | None:
    """The booking with ``booking_id`` if it belongs to ``user`` and isn't a volunteer
    shift (shifts are withdrawn under their own cutoff, in services.shifts)."""
    return db.session.execute(
        sa.select(Booking).where(Booking.id == booking_id, Booking.user_id == user.id, ~_is_shift())
    ).scalar_one_or_none()
