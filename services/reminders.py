"""Reminders the day before: people holding a seat, a volunteer role or a child's place
are reminded of the event; people still on a waiting list are told their number.

``flask --app app reminders send`` runs :func:`send_reminders`; it is safe to run every
few minutes. Each reminder is written once: its key names the booking, the kind of
reminder and the event's start, and keys are unique among all messages — a second run,
or two runs at once, find the key taken. An event moved to another day gets a reminder
before its new time.

A booking made (or a place confirmed) within the day before the event gets no reminder:
the person has just been told.
"""
from __future__ import annotations

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from models import Booking, BookingStatus, Event, EventStatus, Notification, NotificationKind, ShiftRole, db

from . import capacity, notifications
from .db import begin_write

LEAD = timedelta(hours=24)


def reminder_key(booking: Booking, kind: NotificationKind) -> str:
    """The unique key of one reminder: booking, kind and the event's start."""
    return f"{kind.value}:{booking.id}:{booking.event.starts_at:%Y%m%dT%H%M}"


def due_bookings(*, now: datetime) -> list[tuple[Booking, str | None]]:
    """(booking, role name or None) for active bookings at scheduled events starting
    within ``LEAD``, held since before the reminder time, with events and venues loaded."""
    rows = db.session.execute(
        sa.select(Booking, ShiftRole.name)
        .join(Booking.event)
        .outerjoin(ShiftRole, ShiftRole.quota_id == Booking.quota_id)
        .where(
            Event.status == EventStatus.SCHEDULED,
            Event.starts_at > now,
            Event.starts_at <= now + LEAD,
            Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]),
        )
        .options(contains_eager(Booking.event).joinedload(Event.venue), joinedload(Booking.child))
        .order_by(Event.starts_at, Booking.id)
    ).unique().all()
    return [(booking, role) for booking, role in rows if _held_since(booking) < booking.event.starts_at - LEAD]


def _held_since(booking: Booking) -> datetime:
    """Since when the person has held what the reminder is about: the place, or the waiting place."""
    held = booking.confirmed_at if booking.is_confirmed else booking.waitlisted_at
    return held or booking.created_at


def send_reminders(*, now: datetime) -> int:
    """Write the reminders that are due and not yet written; returns how many."""
    begin_write()
    rows = due_bookings(now=now)
    keyed = [
        (booking, role, reminder_key(booking, NotificationKind.REMINDER if booking.is_confirmed
                                     else NotificationKind.WAITING_REMINDER))
        for booking, role in rows
    ]
    if not keyed:
        return 0
    written_before = set(db.session.execute(
        sa.select(Notification.dedupe_key).where(Notification.dedupe_key.in_([key for *_, key in keyed]))
    ).scalars())
    fresh = [(booking, role, key) for booking, role, key in keyed if key not in written_before]
    positions = capacity.waitlist_positions([booking for booking, _, _ in fresh])
    written = 0
    for booking, role, key in fresh:
        event = booking.event
        params = notifications.event_params(event)
        if role:
            params["role"] = role
        elif booking.child_id is not None:
            params["child"] = booking.child.name
        else:
            params["ticket"] = booking.display_code
        if booking.is_confirmed:
            kind = NotificationKind.REMINDER
        else:
            kind = NotificationKind.WAITING_REMINDER
            params["position"] = positions.get(booking.id, 1)
        if notifications.notify_once(booking.user_id, kind, key=key, now=now, event=event, params=params):
            written += 1
    return written
