"""Attendance (出勤): marking the people on a roster and checking them in.

Checking in
    One :class:`~models.Attendance` row per booking (or per person, without a booking)
    holds the current status; every change adds an :class:`~models.AttendanceChange`.
    Writes begin with ``begin_write()``; the unique constraints make a second check-in
    of the same person find the first row instead of adding one, so checking in twice
    is harmless. Self check-in (QR) is open from ``CHECKIN_OPENS_BEFORE`` before the
    start until the end; organizers may take and correct attendance from the same
    moment on, also after the end.

Who is on a roster is :mod:`services.roster`. Before an ended event's attendance
changes, its no-shows are written down (:func:`services.no_shows.mark_no_shows`).
"""
from __future__ import annotations

import hmac
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from models import (
    ATTENDED_STATUSES, Attendance, AttendanceStatus, Booking, BookingStatus, CheckInMethod, Event, User, db,
)

from . import accounts
from .db import begin_write
from .errors import (
    AttendanceError, CheckInCancelled, CheckInClosed, CheckInNotOpen, NoBookingToCheckIn, NotAnAbsence,
    NotOnRoster, TicketNotConfirmed, TicketNotFound,
)
from . import no_shows
from .no_shows import mark_no_shows
from .roster import expected_without_booking, record_change

CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
# What an organizer can tap on a roster row.
MARKABLE = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT)


# --- when -----------------------------------------------------------------------------


def checkin_opens_at(event: Event) -> datetime:
    """When check-in for ``event`` opens: half an hour before the start."""
    return event.starts_at - CHECKIN_OPENS_BEFORE


def self_checkin_refusal(event: Event, now: datetime) -> AttendanceError | None:
    """Why a resident can't check in to ``event`` by QR at ``now``, or None when they can."""
    if event.is_cancelled:
        return CheckInCancelled()
    if now < checkin_opens_at(event):
        return CheckInNotOpen(when=checkin_opens_at(event))
    if now >= event.ends_at:
        return CheckInClosed()
    return None


def roster_refusal(event: Event, now: datetime) -> AttendanceError | None:
    """Why organizers can't take attendance of ``event`` at ``now`` yet, or None.

    Unlike self check-in there is no end: organizers may correct attendance afterwards.
    """
    if event.is_cancelled:
        return CheckInCancelled()
    if now < checkin_opens_at(event):
        return CheckInNotOpen(when=checkin_opens_at(event))
    return None


def _ensure(refusal: AttendanceError | None) -> None:
    if refusal is not None:
        raise refusal


# --- writing attendance -----------------------------------------------------------------


@dataclass
class Marked:
    """What a check-in or mark did: the row, whether it changed, and its roster key."""

    attendance: Attendance
    changed: bool
    key: str
    name: str = ""


def _find_row(event_id: int, *, booking_id: int | None, user_id: int) -> Attendance | None:
    query = sa.select(Attendance).where(Attendance.event_id == event_id)
    if booking_id is not None:
        query = query.where(Attendance.booking_id == booking_id)
    else:
        query = query.where(Attendance.booking_id.is_(None), Attendance.user_id == user_id)
    return db.session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()


def _apply(attendance: Attendance, status: AttendanceStatus, *, method: CheckInMethod,
           actor: User | None, now: datetime, reason: str = "") -> bool:
    """Give an existing row a new status, recording the change; tell whether it changed."""
    previous = attendance.status
    if previous is status and (status is not AttendanceStatus.EXCUSED or attendance.excuse_reason == reason):
        return False
    if status in ATTENDED_STATUSES:
        if previous not in ATTENDED_STATUSES:
            attendance.checked_in_at = now
    else:
        attendance.checked_in_at = None
    attendance.status = status
    attendance.method = method
    attendance.excuse_reason = reason if status is AttendanceStatus.EXCUSED else ""
    attendance.updated_at = now
    attendance.updated_by_id = actor.id if actor else None
    record_change(attendance, previous, actor=actor, now=now, reason=reason)
    return True


def _set_status(
    event: Event, *, booking: Booking | None, user_id: int, status: AttendanceStatus,
    method: CheckInMethod, actor: User | None, now: datetime, reason: str = "",
    keep_attended: bool = False,
) -> tuple[Attendance, bool]:
    """Create or update the attendance row of a booking (or of a person without one).

    With ``keep_attended`` a row already present or late stays as it is: checking in
    twice changes nothing. After the event has ended a booking's row decides whether it
    is a no-show, so the holder is told when that pauses their booking or lifts a pause.
    """
    ended = now >= event.ends_at
    watched = booking is not None and ended
    was_until = no_shows.paused_until(user_id, now=now) if watched else None
    row, changed = _write_status(
        event, booking=booking, user_id=user_id, status=status, method=method, actor=actor, now=now,
        reason=reason, keep_attended=keep_attended,
    )
    if ended and changed:
        # The first mark after the end takes attendance: everyone unmarked became a no-show.
        mark_no_shows(now=now, event_ids=[event.id])
    if watched and changed:
        no_shows.announce_pause(user_id, now=now, was_until=was_until)
    return row, changed


def _write_status(
    event: Event, *, booking: Booking | None, user_id: int, status: AttendanceStatus,
    method: CheckInMethod, actor: User | None, now: datetime, reason: str = "",
    keep_attended: bool = False,
) -> tuple[Attendance, bool]:
    """:func:`_set_status` without telling anyone."""
    booking_id = booking.id if booking is not None else None
    row = _find_row(event.id, booking_id=booking_id, user_id=user_id)
    if row is None:
        row = Attendance(
            event_id=event.id, booking_id=booking_id, user_id=user_id, status=status, method=method,
            checked_in_at=now if status in ATTENDED_STATUSES else None,
            excuse_reason=reason if status is AttendanceStatus.EXCUSED else "",
            created_at=now, updated_at=now, updated_by_id=actor.id if actor else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            # Someone else wrote this row between our look and our insert: use theirs.
            row = _find_row(event.id, booking_id=booking_id, user_id=user_id)
            if row is None:
                raise
        else:
            record_change(row, None, actor=actor, now=now, reason=reason)
            db.session.flush()
            return row, True
    if keep_attended and row.status in ATTENDED_STATUSES:
        return row, False
    changed = _apply(row, status, method=method, actor=actor, now=now, reason=reason)
    db.session.flush()
    return row, changed


def _roster_booking(event: Event, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.event_id != event.id or booking.status is not BookingStatus.CONFIRMED:
        raise NotOnRoster()
    return booking


def _settle(event: Event, now: datetime) -> None:
    """Write down the no-shows of an ended event before its attendance changes."""
    if now >= event.ends_at:
        mark_no_shows(now=now, event_ids=[event.id])


def mark_booking(event: Event, booking_id: int, status: AttendanceStatus, *, actor: User,
                 now: datetime) -> Marked:
    """An organizer marks the holder of a booking present, late or absent.

    :raises NotOnRoster: when the booking isn't a confirmed booking of ``event``.
    :raises CheckInNotOpen, CheckInCancelled: before check-in opens or at a cancelled event.
    """
    begin_write()
    _ensure(roster_refusal(event, now))
    booking = _roster_booking(event, booking_id)
    _settle(event, now)
    row, changed = _set_status(
        event, booking=booking, user_id=booking.user_id, status=status,
        method=CheckInMethod.ORGANIZER, actor=actor, now=now,
    )
    return Marked(row, changed, f"b{booking.id}", booking.user.display_name)


def mark_person(event: Event, user_id: int, status: AttendanceStatus, *, actor: User,
                now: datetime) -> Marked:
    """An organizer marks someone without a booking (a walk-in, a troupe member).

    :raises NotOnRoster: when the person is neither expected nor already on the roster.
    :raises CheckInNotOpen, CheckInCancelled: before check-in opens or at a cancelled event.
    """
    begin_write()
    _ensure(roster_refusal(event, now))
    row = _find_row(event.id, booking_id=None, user_id=user_id)
    expected = {user.id for user, _kind in expected_without_booking([event]).get(event.id, [])}
    if row is None and user_id not in expected:
        raise NotOnRoster()
    row, changed = _set_status(
        event, booking=None, user_id=user_id, status=status,
        method=row.method if row is not None and row.method is CheckInMethod.WALK_IN else CheckInMethod.ORGANIZER,
        actor=actor, now=now,
    )
    return Marked(row, changed, f"u{user_id}", row.user.display_name)


def normalize_ticket_code(raw: str) -> str:
    """The digits of a typed ticket number: spaces, dashes and full-width digits allowed."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-–—")


def _booking_with_ticket(event: Event, code: str) -> Booking | None:
    """The booking of ``event`` whose ticket number is ``code``, compared in constant time:
    every code of the event is compared in full (``hmac.compare_digest``), so how long the
    answer takes says nothing about how close a guess came."""
    typed = code.encode("ascii", "replace")
    found = None
    for booking_id, ticket_code in db.session.execute(
        sa.select(Booking.id, Booking.ticket_code).where(Booking.event_id == event.id, Booking.ticket_code.is_not(None))
    ):
        if hmac.compare_digest(ticket_code.encode("ascii"), typed):
            found = booking_id
    if found is None:
        return None
    return db.session.execute(
        sa.select(Booking).where(Booking.id == found).options(joinedload(Booking.user))
    ).scalar_one()


def check_in_ticket(event: Event, code: str, *, actor: User, now: datetime) -> Marked:
    """Check in the holder of the booking with ticket number ``code`` (8 digits).

    Checking in someone already present or late changes nothing.

    :raises TicketNotFound: when no booking of ``event`` has this number.
    :raises TicketNotConfirmed: when the booking is waiting or cancelled.
    :raises CheckInNotOpen, CheckInCancelled: before check-in opens or at a cancelled event.
    """
    begin_write()
    _ensure(roster_refusal(event, now))
    booking = _booking_with_ticket(event, code)
    shown = f"{code[:4]} {code[4:]}"
    if booking is None:
        raise TicketNotFound(code=shown)
    if booking.status is not BookingStatus.CONFIRMED:
        raise TicketNotConfirmed(code=shown, name=booking.user.display_name)
    _settle(event, now)
    row, changed = _set_status(
        event, booking=booking, user_id=booking.user_id, status=AttendanceStatus.PRESENT,
        method=CheckInMethod.TICKET, actor=actor, now=now, keep_attended=True,
    )
    return Marked(row, changed, f"b{booking.id}", booking.user.display_name)


def check_in_self(event: Event, user: User, *, now: datetime) -> list[Marked]:
    """A resident who scanned the check-in code checks in: every confirmed booking they
    hold at ``event`` (their seat, a shift, their children's places), or their place as
    an expected member, becomes present. Checking in twice changes nothing.

    :raises NoBookingToCheckIn: when they hold no confirmed booking and aren't expected.
    :raises CheckInNotOpen, CheckInClosed, CheckInCancelled: outside the check-in window.
    """
    begin_write()
    _ensure(self_checkin_refusal(event, now))
    bookings = db.session.execute(
        sa.select(Booking).where(
            Booking.event_id == event.id, Booking.user_id == user.id,
            Booking.status == BookingStatus.CONFIRMED,
        ).order_by(Booking.id)
    ).scalars().all()
    expected = any(u.id == user.id for u, _kind in expected_without_booking([event]).get(event.id, []))
    if not bookings and not expected:
        raise NoBookingToCheckIn()
    marked = []
    for booking in bookings:
        row, changed = _set_status(
            event, booking=booking, user_id=user.id, status=AttendanceStatus.PRESENT,
            method=CheckInMethod.QR, actor=user, now=now, keep_attended=True,
        )
        marked.append(Marked(row, changed, f"b{booking.id}", user.display_name))
    if expected:
        row, changed = _set_status(
            event, booking=None, user_id=user.id, status=AttendanceStatus.PRESENT,
            method=CheckInMethod.QR, actor=user, now=now, keep_attended=True,
        )
        marked.append(Marked(row, changed, f"u{user.id}", user.display_name))
    return marked


@dataclass(frozen=True)
class SelfCheckIn:
    """What a resident who scanned the code sees: can they check in, or are they done?"""

    refusal: AttendanceError | None  # why they can't, or None
    attended: list[Attendance]  # their rows already present or late
    can_check_in: bool


def self_checkin_state(event: Event, user: User, *, now: datetime) -> SelfCheckIn:
    """Tell a resident who scanned the code where they stand (reads only)."""
    bookings = db.session.execute(
        sa.select(Booking.id).where(
            Booking.event_id == event.id, Booking.user_id == user.id,
            Booking.status == BookingStatus.CONFIRMED,
        )
    ).scalars().all()
    rows = db.session.execute(
        sa.select(Attendance).where(Attendance.event_id == event.id, Attendance.user_id == user.id)
    ).scalars().all()
    attended = [r for r in rows if r.has_attended and (r.booking_id is None or r.booking_id in bookings)]
    expected = any(u.id == user.id for u, _kind in expected_without_booking([event]).get(event.id, []))
    refusal = self_checkin_refusal(event, now)
    if refusal is None and not bookings and not expected:
        refusal = NoBookingToCheckIn()
    pending = len(bookings) + (1 if expected else 0) > len(attended)
    return SelfCheckIn(refusal=refusal, attended=attended, can_check_in=refusal is None and pending)


def add_walk_in(event: Event, *, name: str, phone: str, actor: User, now: datetime) -> Marked:
    """Check in someone who came without a booking, found by mobile number.

    A known number is that resident: if they do hold a confirmed booking, the booking is
    checked in. An unknown number gets a new resident account without a usable password
    (see :func:`services.accounts.create_unclaimed_account`), so the person is counted
    and can register with the number later to use the account.

    :raises CheckInNotOpen, CheckInCancelled: before check-in opens or at a cancelled event.
    """
    begin_write()
    _ensure(roster_refusal(event, now))
    _settle(event, now)
    user = accounts.find_by_phone(phone)
    if user is None:
        user = accounts.create_unclaimed_account(phone=phone, display_name=name, now=now)
    booking = db.session.execute(
        sa.select(Booking).where(
            Booking.event_id == event.id, Booking.user_id == user.id,
            Booking.status == BookingStatus.CONFIRMED,
        ).order_by(Booking.id).limit(1)
    ).scalar_one_or_none()
    if booking is not None:
        row, changed = _set_status(
            event, booking=booking, user_id=user.id, status=AttendanceStatus.PRESENT,
            method=CheckInMethod.ORGANIZER, actor=actor, now=now, keep_attended=True,
        )
        return Marked(row, changed, f"b{booking.id}", user.display_name)
    expected = any(u.id == user.id for u, _kind in expected_without_booking([event]).get(event.id, []))
    row, changed = _set_status(
        event, booking=None, user_id=user.id, status=AttendanceStatus.PRESENT,
        method=CheckInMethod.ORGANIZER if expected else CheckInMethod.WALK_IN,
        actor=actor, now=now, keep_attended=True,
    )
    return Marked(row, changed, f"u{user.id}", user.display_name)


def excuse(event: Event, booking_id: int, reason: str, *, actor: User, now: datetime) -> Marked:
    """Excuse the absence or no-show of a booking's holder, with a reason for the record.

    An excused absence isn't a no-show, so this can lift a booking pause.

    :raises NotAnAbsence: when the person is present, late, or not yet marked before the end.
    :raises NotOnRoster: when the booking isn't a confirmed booking of ``event``.
    """
    begin_write()
    _ensure(roster_refusal(event, now))
    booking = _roster_booking(event, booking_id)
    _settle(event, now)
    row = _find_row(event.id, booking_id=booking.id, user_id=booking.user_id)
    if row is None or row.status not in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED):
        raise NotAnAbsence()
    row, changed = _set_status(
        event, booking=booking, user_id=booking.user_id, status=AttendanceStatus.EXCUSED,
        method=CheckInMethod.ORGANIZER, actor=actor, now=now, reason=reason,
    )
    return Marked(row, changed, f"b{booking.id}", booking.user.display_name)
