"""No-shows (爽约) and the booking pause they bring.

No-shows
    A confirmed booking at an event that has ended, was not cancelled, and whose
    attendance was taken (an organizer or a resident checked someone in or marked
    someone) is a no-show unless its row says present, late or excused. Events whose
    roster nobody touched produce no no-shows: nobody can tell who came. The rule is
    read straight from the data, so nothing waits for a job to run; ``mark_no_shows``
    writes the absences down (method ``automatic``) for the record, lazily whenever an
    ended event's attendance is changed, and from ``flask --app app mark-no-shows``.

The booking pause
    Missing ``NO_SHOW_LIMIT`` events within ``NO_SHOW_WINDOW_DAYS`` (a missed event
    counts for that many days after it ended; one that ended exactly that long ago no
    longer counts) pauses booking for ``NO_SHOW_PAUSE_DAYS`` from the end of the event
    that reached the limit. Excusing a no-show takes it out of the count, which lifts
    a pause the count no longer reaches. Missed volunteer shifts don't count (the lecture
    team records them as its own no-shows).

Telling people
    The pause is read from the data, so it becomes a fact at no one moment; people are
    told when a no-show is written down or attendance at an ended event changes
    (:func:`announce_pause`): a pause that began, once per pause, and a pause lifted
    early (an excuse, a correction). ``mark_no_shows`` over every ended event (the
    nightly command) also tells those whose pause began when an event ended with its
    absences already marked.
"""
from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from models.event import event_title
from models import (
    Attendance, AttendanceStatus, Booking, BookingStatus, CheckInMethod, Event, EventStatus, ShiftRole, User, db,
)

from . import notifications
from .db import begin_write
from .errors import BookingPaused
from .roster import record_change


# --- no-shows -------------------------------------------------------------------------------


def _attendance_taken(event_id_column):
    """SQL: someone (not the sweep) has checked in or been marked at the event."""
    other = aliased(Attendance)
    return sa.exists().where(other.event_id == event_id_column, other.method != CheckInMethod.AUTOMATIC)


def _no_show_query(now: datetime):
    """Confirmed bookings at ended, held events with attendance taken, not attended or excused."""
    return (
        sa.select(Booking)
        .join(Event, Event.id == Booking.event_id)
        .outerjoin(Attendance, Attendance.booking_id == Booking.id)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Event.status == EventStatus.SCHEDULED,
            Event.ends_at <= now,
            sa.or_(Attendance.id.is_(None), Attendance.status == AttendanceStatus.ABSENT),
            _attendance_taken(Event.id),
        )
    )


def mark_no_shows(*, now: datetime, event_ids: Iterable[int] | None = None) -> int:
    """Write an absence (method ``automatic``) for every booking that became a no-show and
    has no attendance row yet; running it again writes nothing. Returns how many.

    Limited to ``event_ids`` when given, else every ended event; then tells the people
    whose booking these no-shows paused (see :func:`announce_pause`).
    """
    begin_write()
    query = _no_show_query(now).where(Attendance.id.is_(None)).order_by(Booking.id)
    if event_ids is not None:
        query = query.where(Booking.event_id.in_(list(event_ids)))
    written = 0
    affected: set[int] = set()
    for booking in db.session.execute(query).scalars().all():
        row = Attendance(
            event_id=booking.event_id, booking_id=booking.id, user_id=booking.user_id,
            status=AttendanceStatus.ABSENT, method=CheckInMethod.AUTOMATIC,
            created_at=now, updated_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            continue  # an organizer just wrote this row
        record_change(row, None, actor=None, now=now)
        written += 1
        affected.add(booking.user_id)
    db.session.flush()
    if event_ids is None:
        # Everyone whose no-shows could pause them now, including absences an organizer
        # marked while the event was on (they became no-shows when it ended).
        policy = NoShowPolicy.from_config()
        affected.update(db.session.execute(
            _no_show_query(now).with_only_columns(Booking.user_id)
            .where(Event.ends_at > now - policy.pause, ~is_shift_booking()).distinct()
        ).scalars())
    for user_id in sorted(affected):
        announce_pause(user_id, now=now)
    return written


# --- the booking pause --------------------------------------------------------------------


@dataclass(frozen=True)
class NoShowPolicy:
    """How many no-shows within how many days pause booking for how long."""

    limit: int
    window: timedelta
    pause: timedelta

    @classmethod
    def from_config(cls, config: Mapping | None = None) -> NoShowPolicy:
        config = config if config is not None else current_app.config
        return cls(
            limit=int(config["NO_SHOW_LIMIT"]),
            window=timedelta(days=int(config["NO_SHOW_WINDOW_DAYS"])),
            pause=timedelta(days=int(config["NO_SHOW_PAUSE_DAYS"])),
        )


@dataclass(frozen=True)
class MissedEvent:
    event_id: int
    title: str
    starts_at: datetime
    ends_at: datetime
    class_number: int | None = None

    @property
    def display_title(self) -> str:
        return event_title(self.title, self.class_number)


@dataclass(frozen=True)
class NoShowRecord:
    """A person's recent no-shows and, if they reached the limit, until when booking is paused."""

    policy: NoShowPolicy
    missed: list[MissedEvent]  # within the window ending now, latest first
    paused_until: datetime | None
    reached: int  # no-shows counted when the pause began

    @property
    def is_paused(self) -> bool:
        return self.paused_until is not None

    def refusal(self) -> BookingPaused | None:
        """The message a paused person sees, or None."""
        if self.paused_until is None:
            return None
        return BookingPaused(count=self.reached, days=self.policy.window.days, until=self.paused_until)


def is_shift_booking():
    """SQL: the booking holds a volunteer shift (a slot of a :class:`~models.ShiftRole`)."""
    return Booking.quota_id.in_(sa.select(ShiftRole.quota_id))


@functools.cache
def _record_query():
    """``no_show_record``'s statement, built once: it runs before every booking, and
    building it cost more than running it. Its values are bound when it runs."""
    return (
        _no_show_query(sa.bindparam("now"))
        .with_only_columns(Event.id, Event.title, Event.starts_at, Event.ends_at, Event.class_number)
        .where(Booking.user_id == sa.bindparam("user_id"), Event.ends_at > sa.bindparam("since"), ~is_shift_booking())
        .distinct()
    )


def no_show_record(user: User, *, now: datetime, policy: NoShowPolicy | None = None) -> NoShowRecord:
    """The person's no-shows that matter at ``now`` and the pause they bring (one query).

    Missed volunteer shifts don't count: the lecture team records those itself
    (``ShiftOutcome``), and a volunteer who let a shift down shouldn't also lose their
    lecture seats. The roster still shows them as no-shows.

    Each missed event counts once (however many bookings the person held there), from
    its end for ``policy.window``. When a missed event brings the count within the window
    ending at it to ``policy.limit``, booking is paused until ``policy.pause`` after it.
    """
    policy = policy or NoShowPolicy.from_config()
    since = now - policy.window - policy.pause
    rows = db.session.execute(_record_query(), {"now": now, "user_id": user.id, "since": since}).all()
    missed = sorted(
        (MissedEvent(event_id=r[0], title=r[1], starts_at=r[2], ends_at=r[3], class_number=r[4]) for r in rows),
        key=lambda m: (m.ends_at, m.event_id),
    )
    paused_until, reached = None, 0
    for index, latest in enumerate(missed):
        in_window = [m for m in missed[: index + 1] if m.ends_at > latest.ends_at - policy.window]
        until = latest.ends_at + policy.pause
        if len(in_window) >= policy.limit and until > now and (paused_until is None or until > paused_until):
            paused_until, reached = until, len(in_window)
    recent = [m for m in reversed(missed) if m.ends_at > now - policy.window]
    return NoShowRecord(policy=policy, missed=recent, paused_until=paused_until, reached=reached)


def paused_until(user_id: int, *, now: datetime) -> datetime | None:
    """Until when the person's booking is paused at ``now``, or None."""
    return no_show_record(db.session.get(User, user_id), now=now).paused_until


def announce_pause(user_id: int, *, now: datetime, was_until: datetime | None = None) -> None:
    """Tell the person about a change of their booking pause: a pause that began (once per
    pause, whoever notices it first), or — given the pause before the change,
    ``was_until`` — one that was lifted early."""
    record = no_show_record(db.session.get(User, user_id), now=now)
    if record.paused_until is not None and record.paused_until != was_until:
        notifications.booking_paused(user_id, until=record.paused_until, count=record.reached,
                                     days=record.policy.window.days, now=now)
    elif record.paused_until is None and was_until is not None and was_until > now:
        notifications.pause_lifted(user_id, was_until=was_until, now=now)


def ensure_not_paused(user: User, *, now: datetime, policy: NoShowPolicy | None = None) -> None:
    """Refuse a booking while the person's booking is paused for no-shows.

    :raises BookingPaused: saying why and until when.
    """
    refusal = no_show_record(user, now=now, policy=policy).refusal()
    if refusal is not None:
        raise refusal
