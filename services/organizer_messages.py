"""An organizer's short message to the people of one event ("bring your reading glasses",
"room changed to 101"): to the groups they choose, each person once, recorded with who
sent it and to how many."""
from __future__ import annotations

import enum
from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from models import (
    Booking, BookingStatus, Event, NotificationKind, OrganizerMessage, ShiftRole, User, db,
)

from . import audit, notifications
from .db import begin_write
from .errors import MessageAlreadySent, NoRecipients
from .roster import expected_without_booking

MAX_LENGTH = 500
# The same text sent again by the same person within this time is a double tap.
REPEAT_WINDOW = timedelta(minutes=10)


class Audience(enum.Enum):
    """A group of people at an event a message can go to."""

    SEATS = "seats"  # holding a seat for themselves
    WAITING = "waiting"  # on a waiting list: a seat, a child's place or a role
    VOLUNTEERS = "volunteers"  # holding a volunteer role
    PARENTS = "parents"  # holding a place for their child
    MEMBERS = "members"  # expected without a booking: a troupe's members at a rehearsal


AUDIENCE_LABELS = {
    Audience.SEATS: _l("People with a seat"),
    Audience.WAITING: _l("People on the waiting list"),
    Audience.VOLUNTEERS: _l("Volunteers"),
    Audience.PARENTS: _l("Parents of children with a place"),
    Audience.MEMBERS: _l("Troupe members"),
}


def audiences_of(event: Event) -> dict[Audience, set[int]]:
    """Who is in each group at ``event`` (people's ids), from one query for the bookings
    plus the roster's source of people expected without one."""
    groups: dict[Audience, set[int]] = {audience: set() for audience in Audience}
    rows = db.session.execute(
        sa.select(Booking.user_id, Booking.status, Booking.child_id, ShiftRole.id)
        .outerjoin(ShiftRole, ShiftRole.quota_id == Booking.quota_id)
        .where(Booking.event_id == event.id,
               Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]))
    ).all()
    for user_id, status, child_id, role_id in rows:
        if status is BookingStatus.WAITLISTED:
            groups[Audience.WAITING].add(user_id)
        elif role_id is not None:
            groups[Audience.VOLUNTEERS].add(user_id)
        elif child_id is not None:
            groups[Audience.PARENTS].add(user_id)
        else:
            groups[Audience.SEATS].add(user_id)
    groups[Audience.MEMBERS] = {user.id for user, _kind in expected_without_booking([event]).get(event.id, [])}
    return groups


def send_message(event: Event, sender: User, body: str, audiences: Iterable[Audience], *,
                 now: datetime) -> OrganizerMessage:
    """Send ``body`` to every person in the chosen groups of ``event`` — once each, however
    many groups they are in — into their messages and, where they chose it, their email.

    :raises NoRecipients: when the chosen groups are empty.
    :raises MessageAlreadySent: when the sender sent the same text about the event just now
        (a double tap), naming how many it reached.
    """
    begin_write()
    chosen = sorted(set(audiences), key=lambda a: list(Audience).index(a))
    body = body.strip()[:MAX_LENGTH]
    repeat = db.session.execute(
        sa.select(OrganizerMessage).where(
            OrganizerMessage.event_id == event.id, OrganizerMessage.sender_id == sender.id,
            OrganizerMessage.body == body, OrganizerMessage.created_at > now - REPEAT_WINDOW,
        ).limit(1)
    ).scalar_one_or_none()
    if repeat is not None:
        raise MessageAlreadySent(count=repeat.recipient_count, when=repeat.created_at)
    groups = audiences_of(event)
    people = set().union(*(groups[a] for a in chosen)) if chosen else set()
    if not people:
        raise NoRecipients()
    message = OrganizerMessage(
        event_id=event.id, sender_id=sender.id, body=body, audiences=",".join(a.value for a in chosen),
        recipient_count=len(people), created_at=now,
    )
    db.session.add(message)
    db.session.flush()
    params = notifications.event_params(event) | {"body": body, "sender": sender.display_name}
    notifications.notify(people, NotificationKind.ORGANIZER_MESSAGE, now=now, event=event, params=params,
                         message_id=message.id)
    audit.record("event.message", actor=sender, now=now, subject_type="event", subject_id=event.id,
                 label=event.display_title, program_id=event.program_id,
                 after={"audiences": message.audiences, "recipients": len(people)})
    return message


def messages_about(event: Event) -> list[OrganizerMessage]:
    """The messages sent about ``event``, newest first, with their senders."""
    return list(db.session.execute(
        sa.select(OrganizerMessage)
        .where(OrganizerMessage.event_id == event.id)
        .options(joinedload(OrganizerMessage.sender))
        .order_by(OrganizerMessage.created_at.desc(), OrganizerMessage.id.desc())
    ).scalars())
