"""The one place where places are counted: claiming, releasing, the waiting list.

Every booking of a seat (and later of a volunteer slot or a child's place) goes through
this module. Each operation runs inside one write transaction:

1. ``begin_write()`` — on SQLite the transaction holds the database's write lock;
2. the quota row is locked (``SELECT … FOR UPDATE`` on PostgreSQL), which serialises
   everything that touches one quota: duplicate checks, the waiting-list order;
3. places are claimed with a guarded ``UPDATE … SET taken = taken + n WHERE taken + n <=
   capacity``, and the database's CHECK constraint refuses any count outside
   ``0 … capacity`` even if a caller forgot the guard;
4. partial unique indexes allow one active booking per person per quota for themselves,
   and one per child a parent books for.

Waiting-list order is the order people joined it (``waitlisted_at``, then id), which is
the order they got the quota lock in: ``waitlisted_at`` is never earlier than that of
anyone already waiting. A freed place goes to the head of the list; nobody jumps the
queue while people are waiting.

Every promotion — from ``release_booking``, ``promote_waitlist`` or ``set_capacity`` —
passes through ``_promote``, which hands the promoted bookings to the listeners
registered with :func:`on_promotion` (``services.wiring`` registers the message that
tells each person), in the same transaction.
"""
from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from models import Booking, BookingStatus, Quota, User, db

from .db import begin_write
from .errors import CapacityBelowTaken, EventFull, SeatTaken

# Ticket codes are 8 random digits (from ``secrets``), stored with the booking and unique
# across the site (a unique constraint): nothing about them can be worked out from the
# booking, and a code that happens to be taken already is drawn again.
TICKET_CODE_DIGITS = 8
_TICKET_CODE_TRIES = 20


PromotionListener = Callable[[list[Booking], datetime], None]
_promotion_listeners: list[PromotionListener] = []


def on_promotion(listener: PromotionListener) -> None:
    """Call ``listener(bookings, now)`` whenever bookings move up from a waiting list;
    registering the same listener again changes nothing."""
    if listener not in _promotion_listeners:
        _promotion_listeners.append(listener)


def new_ticket_code() -> str:
    """A random 8-digit ticket code (not yet checked against the ones in use)."""
    return f"{secrets.randbelow(10**TICKET_CODE_DIGITS):0{TICKET_CODE_DIGITS}d}"


def lock_quota(quota_id: int) -> Quota:
    """Lock the quota row for the rest of the transaction and return it fresh."""
    begin_write()
    return db.session.execute(
        sa.select(Quota)
        .where(Quota.id == quota_id)
        .with_for_update(key_share=True)  # FOR NO KEY UPDATE: see services/locks.py
        .execution_options(populate_existing=True)
    ).scalar_one()


def _claim(quota_id: int, places: int) -> bool:
    """Take ``places`` from the quota if that many are free; tell whether it worked."""
    result = db.session.execute(
        sa.update(Quota)
        .where(Quota.id == quota_id, Quota.taken + places <= Quota.capacity)
        .values(taken=Quota.taken + places)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def _release(quota_id: int, places: int) -> None:
    """Give ``places`` back to the quota."""
    db.session.execute(
        sa.update(Quota)
        .where(Quota.id == quota_id, Quota.taken >= places)
        .values(taken=Quota.taken - places)
        .execution_options(synchronize_session="fetch")
    )


def active_booking(quota_id: int, user_id: int, child_id: int | None = None) -> Booking | None:
    """The person's confirmed or waiting booking in the quota — their own, or the one
    for ``child_id`` when given — if any."""
    for_whom = Booking.child_id.is_(None) if child_id is None else Booking.child_id == child_id
    return db.session.execute(
        sa.select(Booking).where(
            Booking.quota_id == quota_id,
            Booking.user_id == user_id,
            for_whom,
            Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]),
        )
    ).scalar_one_or_none()


def _waiting_query(quota_id: int):
    return (
        sa.select(Booking)
        .where(Booking.quota_id == quota_id, Booking.status == BookingStatus.WAITLISTED)
        .order_by(Booking.waitlisted_at, Booking.id)
    )


def _last_waitlisted_at(quota_id: int) -> datetime | None:
    """When the last person still waiting in the quota joined its list (None: nobody waits)."""
    return db.session.execute(
        sa.select(sa.func.max(Booking.waitlisted_at))
        .where(Booking.quota_id == quota_id, Booking.status == BookingStatus.WAITLISTED)
    ).scalar_one()


def _joining_time(now: datetime, last_waiting_since: datetime | None) -> datetime:
    """The time a newcomer joins the waiting list at: ``now``, but never before the last
    person already on it.

    The caller read ``now`` before the quota lock was held; on PostgreSQL a request that
    read its clock earlier can get the lock later than another. The list is ordered by
    (``waitlisted_at``, id) and ids are handed out under the lock, so taking the later of
    the two times keeps the list in the order of the lock — the place told to each person
    is their true place — and a frozen clock in tests still gives ``now`` itself.
    """
    if last_waiting_since is None or now >= last_waiting_since:
        return now
    return last_waiting_since


def request_places(
    *, quota_id: int, event_id: int, user: User, now: datetime, places: int = 1,
    waitlist: bool = False, check: Callable[[], None] | None = None, child_id: int | None = None,
    booked_by: User | None = None,
) -> Booking:
    """Confirm ``places`` in the quota for ``user`` (booking for their child ``child_id``
    when given), or put them on the waiting list when it is full and ``waitlist`` is
    true. The places are claimed together or not at all. Asking twice returns the
    existing booking. ``booked_by`` names who booked it for ``user`` (a building leader).

    ``check`` runs under the quota lock, after the duplicate check and before anything is
    claimed: the caller's own rules (booking window, eligibility) raise from there.

    :raises EventFull: when no places are free and ``waitlist`` is false.
    """
    lock_quota(quota_id)
    existing = active_booking(quota_id, user.id, child_id)
    if existing is not None:
        return existing
    if check is not None:
        check()

    last_waiting_since = _last_waitlisted_at(quota_id)
    if last_waiting_since is None and _claim(quota_id, places):
        status = BookingStatus.CONFIRMED
    elif waitlist:
        status = BookingStatus.WAITLISTED
    else:
        raise EventFull()

    for attempt in range(_TICKET_CODE_TRIES):
        booking = Booking(
            quota_id=quota_id, event_id=event_id, user_id=user.id, child_id=child_id, places=places,
            status=status, ticket_code=new_ticket_code(),
            booked_by_id=booked_by.id if booked_by is not None else None,
            created_at=now,
            confirmed_at=now if status is BookingStatus.CONFIRMED else None,
            waitlisted_at=_joining_time(now, last_waiting_since) if status is BookingStatus.WAITLISTED else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(booking)
                db.session.flush()
        except IntegrityError:
            existing = active_booking(quota_id, user.id, child_id)
            if existing is None and attempt + 1 < _TICKET_CODE_TRIES:
                continue  # the ticket code was taken (rare among 10^8): draw again
            # Only reachable if the lock above was bypassed; the unique index still holds.
            if status is BookingStatus.CONFIRMED:
                _release(quota_id, places)
            if existing is None:
                raise
            return existing
        return booking
    raise AssertionError("unreachable")


def release_booking(booking: Booking, *, now: datetime) -> list[Booking]:
    """Cancel an active booking, free its places and promote whoever is waiting.

    Returns the bookings promoted from the waiting list.
    """
    lock_quota(booking.quota_id)
    db.session.refresh(booking)
    if booking.status is BookingStatus.CANCELLED:
        return []
    was_confirmed = booking.status is BookingStatus.CONFIRMED
    booking.status = BookingStatus.CANCELLED
    booking.cancelled_at = now
    if not was_confirmed:
        db.session.flush()
        return []
    _release(booking.quota_id, booking.places)
    return _promote(booking.quota_id, now=now)


def restore_booking(booking: Booking, *, now: datetime) -> Booking:
    """Confirm a cancelled booking again with the same places and ticket, but only while
    its places are still free: nobody is waiting (anyone who was would have had them at
    once) and they fit. Restoring one already active returns it.

    :raises SeatTaken: when the places have gone to someone else or the person meanwhile
        holds another booking here.
    """
    lock_quota(booking.quota_id)
    db.session.refresh(booking)
    if booking.status is not BookingStatus.CANCELLED:
        return booking
    if active_booking(booking.quota_id, booking.user_id, booking.child_id) is not None:
        raise SeatTaken()
    if _last_waitlisted_at(booking.quota_id) is not None or not _claim(booking.quota_id, booking.places):
        raise SeatTaken()
    booking.status = BookingStatus.CONFIRMED
    booking.cancelled_at = None  # as if never cancelled: same ticket, same place in the class list
    db.session.flush()
    return booking


def promote_waitlist(quota_id: int, *, now: datetime) -> list[Booking]:
    """Move people from the head of the waiting list into free places, in order.

    Stops at the first person whose places don't fit, so nobody is skipped.
    """
    lock_quota(quota_id)
    return _promote(quota_id, now=now)


def _promote(quota_id: int, *, now: datetime) -> list[Booking]:
    """``promote_waitlist`` for a caller that already holds the quota lock."""
    promoted = []
    for booking in db.session.execute(_waiting_query(quota_id)).scalars().all():
        if not _claim(quota_id, booking.places):
            break
        booking.status = BookingStatus.CONFIRMED
        booking.confirmed_at = now
        promoted.append(booking)
    db.session.flush()
    if promoted:
        for listener in _promotion_listeners:
            listener(promoted, now)
    return promoted


def set_capacity(quota_id: int, capacity: int, *, now: datetime) -> list[Booking]:
    """Change how many places the quota has; raising it promotes waiting people.

    :raises CapacityBelowTaken: when fewer places than are already confirmed are asked for.
    """
    quota = lock_quota(quota_id)
    if capacity < quota.taken:
        raise CapacityBelowTaken(taken=quota.taken)
    db.session.execute(
        sa.update(Quota).where(Quota.id == quota_id).values(capacity=capacity)
        .execution_options(synchronize_session="fetch")
    )
    promoted = _promote(quota_id, now=now)
    db.session.refresh(quota)
    return promoted


def cancel_all(quota_ids: Iterable[int], *, now: datetime) -> list[Booking]:
    """Cancel every confirmed and waiting booking in the quotas, because their event is
    cancelled: the places are freed and nobody is promoted into them. The rows stay, so
    who had booked is still on record. Quotas are locked in ascending id.

    Returns the bookings cancelled, in the order they were made.
    """
    ids = sorted(set(quota_ids))
    if not ids:
        return []
    for quota_id in ids:
        lock_quota(quota_id)
    bookings = list(db.session.execute(
        sa.select(Booking)
        .where(Booking.quota_id.in_(ids), Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]))
        .order_by(Booking.created_at, Booking.id)
    ).scalars())
    for booking in bookings:
        booking.status = BookingStatus.CANCELLED
        booking.cancelled_at = now
    db.session.flush()
    db.session.execute(
        sa.update(Quota).where(Quota.id.in_(ids)).values(taken=0).execution_options(synchronize_session="fetch")
    )
    return bookings


def take_places(quota_id: int, places: int = 1) -> bool:
    """Take ``places`` from a quota that holds no bookings (a reward's stock): the
    guarded write, under the quota lock the caller took with :func:`lock_quota`. Tells
    whether that many were free."""
    return _claim(quota_id, places)


def give_back_places(quota_id: int, places: int = 1) -> None:
    """Return ``places`` taken with :func:`take_places` (under the quota lock)."""
    _release(quota_id, places)


def waitlist_position(booking: Booking) -> int | None:
    """The booking's place in its waiting list (1 = next in line), or None if not waiting."""
    if booking.status is not BookingStatus.WAITLISTED:
        return None
    ahead = db.session.execute(
        sa.select(sa.func.count()).select_from(Booking).where(
            Booking.quota_id == booking.quota_id,
            Booking.status == BookingStatus.WAITLISTED,
            sa.or_(
                Booking.waitlisted_at < booking.waitlisted_at,
                sa.and_(Booking.waitlisted_at == booking.waitlisted_at, Booking.id < booking.id),
            ),
        )
    ).scalar_one()
    return ahead + 1


def waitlist_positions(bookings: Iterable[Booking]) -> dict[int, int]:
    """Waiting-list places of many bookings at once, keyed by booking id (one query)."""
    waiting = [b for b in bookings if b.status is BookingStatus.WAITLISTED]
    if not waiting:
        return {}
    rank = sa.func.row_number().over(
        partition_by=Booking.quota_id, order_by=(Booking.waitlisted_at, Booking.id)
    )
    ranked = (
        sa.select(Booking.id.label("booking_id"), rank.label("position"))
        .where(
            Booking.quota_id.in_({b.quota_id for b in waiting}),
            Booking.status == BookingStatus.WAITLISTED,
        )
        .subquery()
    )
    rows = db.session.execute(
        sa.select(ranked.c.booking_id, ranked.c.position).where(
            ranked.c.booking_id.in_([b.id for b in waiting])
        )
    )
    return {booking_id: position for booking_id, position in rows}


def waiting_counts(quota_ids: Iterable[int]) -> dict[int, int]:
    """How many people wait in each quota, in one query."""
    ids = list(quota_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Booking.quota_id, sa.func.count())
        .where(Booking.quota_id.in_(ids), Booking.status == BookingStatus.WAITLISTED)
        .group_by(Booking.quota_id)
    )
    return {quota_id: count for quota_id, count in rows}
