"""Telling people what happened to them: one place that writes every message.

The rules that change a person's situation call the functions here in the same
transaction as the change, so a message exists exactly when the change was committed:

- a place from a waiting list — a seat, a child's place, a volunteer role
  (:func:`places_confirmed`, registered with :func:`services.capacity.on_promotion` by
  :mod:`services.wiring`, so every promotion path tells people exactly once);
- an event cancelled (:func:`event_cancelled`) or moved in time or place
  (:func:`where_and_when` before the edit, :func:`event_moved` after it);
- a shift released by an organizer (:func:`shift_released`);
- a membership approved, declined, waiting, or moved up (:func:`membership_decided`,
  :func:`memberships_promoted`);
- booking paused for no-shows and the pause lifted (:func:`booking_paused`,
  :func:`pause_lifted`, called by :mod:`services.no_shows`);
- a password reset and a deactivation (:func:`password_was_reset`, :func:`account_deactivated`);
- an organizer's message and reminders (:mod:`services.organizer_messages`,
  :mod:`services.reminders`).

Each message is a :class:`~models.Notification` row (the in-site message, always) plus a
:class:`~models.Delivery` row for every channel that reaches the person for the
message's topic (their email, when the site sends email) — the outbox the worker sends.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from flask_babel import get_locale
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from models import (
    Booking, BookingStatus, Delivery, DeliveryStatus, Event, Notification, NotificationKind,
    NotificationSettings, Program, ShiftRole, User, Venue, db,
)

from .capacity import waitlist_position
from .channels import configured_channels
from .db import begin_write
from .notification_texts import serialise
from .roster import expected_without_booking

K = NotificationKind


class Topic(enum.Enum):
    """What a message is about, for choosing what also goes by email."""

    PLACES = "places"  # a place from a waiting list, memberships, the booking pause
    CHANGES = "changes"  # events cancelled or moved, shifts released
    REMINDERS = "reminders"  # the day before
    MESSAGES = "messages"  # from organizers
    ACCOUNT = "account"  # password reset, deactivation: always sent


TOPIC_OF = {
    K.SEAT_CONFIRMED: Topic.PLACES, K.CHILD_PLACE_CONFIRMED: Topic.PLACES, K.ROLE_CONFIRMED: Topic.PLACES,
    K.MEMBERSHIP_APPROVED: Topic.PLACES, K.MEMBERSHIP_DECLINED: Topic.PLACES,
    K.MEMBERSHIP_WAITLISTED: Topic.PLACES, K.MEMBERSHIP_PROMOTED: Topic.PLACES,
    K.BOOKING_PAUSED: Topic.PLACES, K.PAUSE_LIFTED: Topic.PLACES,
    K.EVENT_CANCELLED: Topic.CHANGES, K.EVENT_MOVED: Topic.CHANGES, K.SHIFT_RELEASED: Topic.CHANGES,
    K.REMINDER: Topic.REMINDERS, K.WAITING_REMINDER: Topic.REMINDERS,
    K.ORGANIZER_MESSAGE: Topic.MESSAGES,
    K.BOOKED_FOR_YOU: Topic.PLACES, K.CANCELLED_FOR_YOU: Topic.CHANGES,
    K.PASSWORD_RESET: Topic.ACCOUNT, K.ACCOUNT_DEACTIVATED: Topic.ACCOUNT,
}
# Topics a person may turn off for email (account notices always go).
OPTIONAL_TOPICS = (Topic.PLACES, Topic.CHANGES, Topic.REMINDERS, Topic.MESSAGES)
# Sent by email even to an account that can no longer log in: it is the only way to tell them.
REACHES_INACTIVE = frozenset({K.ACCOUNT_DEACTIVATED})


# --- writing messages -------------------------------------------------------------------


def _deliveries(notifications: list[Notification], *, now: datetime) -> None:
    """Add the outbox rows for freshly flushed messages: one per configured channel that
    reaches each person for the message's topic, in one query for everyone's settings."""
    channels = configured_channels()
    if not channels or not notifications:
        return
    user_ids = {n.user_id for n in notifications}
    rows = db.session.execute(
        sa.select(NotificationSettings, User.is_active_account)
        .join(User, User.id == NotificationSettings.user_id)
        .where(NotificationSettings.user_id.in_(user_ids))
    ).all()
    settings = {row[0].user_id: (row[0], row[1]) for row in rows}
    for notification in notifications:
        found = settings.get(notification.user_id)
        if found is None:
            continue
        person, active = found
        if not active and notification.kind not in REACHES_INACTIVE:
            continue
        topic = TOPIC_OF[notification.kind].value
        for channel in channels:
            address = channel.address_for(person, topic)
            if address:
                db.session.add(Delivery(
                    notification_id=notification.id, user_id=notification.user_id, channel=channel.name,
                    address=address, status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now,
                    created_at=now,
                ))
    db.session.flush()


def notify(
    user_ids: Iterable[int], kind: NotificationKind, *, now: datetime, event: Event | None = None,
    program: Program | None = None, params: dict[str, Any] | None = None, message_id: int | None = None,
) -> list[Notification]:
    """Write the same message to each person (once each, however often they are named)
    with its deliveries; the caller commits."""
    stored = serialise(params or {})
    notifications = [
        Notification(
            user_id=user_id, kind=kind, params=dict(stored), event_id=event.id if event else None,
            program_id=program.id if program else None, message_id=message_id, created_at=now,
        )
        for user_id in sorted(set(user_ids))
    ]
    if not notifications:
        return []
    db.session.add_all(notifications)
    db.session.flush()
    _deliveries(notifications, now=now)
    return notifications


def notify_once(
    user_id: int, kind: NotificationKind, *, key: str, now: datetime, event: Event | None = None,
    program: Program | None = None, params: dict[str, Any] | None = None,
) -> Notification | None:
    """Write a message that must exist only once (``key`` is unique among all messages);
    None when it was already written — also by someone else at the same moment."""
    notification = Notification(
        user_id=user_id, kind=kind, params=serialise(params or {}), event_id=event.id if event else None,
        program_id=program.id if program else None, dedupe_key=key, created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(notification)
            db.session.flush()
    except IntegrityError:
        return None
    _deliveries([notification], now=now)
    return notification


def has_key(key: str) -> bool:
    """Tell whether the message with ``key`` was already written."""
    return db.session.execute(
        sa.select(Notification.id).where(Notification.dedupe_key == key)
    ).first() is not None


# --- what happened to people at events --------------------------------------------------


def event_params(event: Event) -> dict[str, Any]:
    """The values every message about an event shows: its title (as stored: the reader's
    language is chosen when the message is read), start and place."""
    params = {"title": event.title, "starts_at": event.starts_at, "place": event.venue.name if event.venue else ""}
    if event.class_number is not None:
        params["class_number"] = event.class_number
    return params


def places_confirmed(bookings: list[Booking], now: datetime) -> None:
    """Tell each person moved up from a waiting list that the place is theirs: a seat,
    their child's place, or a volunteer role (one query for the roles)."""
    if not bookings:
        return
    roles = dict(db.session.execute(
        sa.select(ShiftRole.quota_id, ShiftRole.name).where(ShiftRole.quota_id.in_({b.quota_id for b in bookings}))
    ).all())
    for booking in bookings:
        event = booking.event
        params = event_params(event)
        if booking.quota_id in roles:
            kind, params["role"] = K.ROLE_CONFIRMED, roles[booking.quota_id]
        elif booking.child_id is not None:
            kind, params["child"] = K.CHILD_PLACE_CONFIRMED, booking.child.name
        else:
            kind, params["ticket"] = K.SEAT_CONFIRMED, booking.display_code
        notify([booking.user_id], kind, now=now, event=event, params=params)


def people_at_event(event: Event) -> set[int]:
    """Everyone with a stake in ``event``: active bookings on any of its quotas (seats,
    waiting lists, volunteer roles, children's places) and the people expected without
    a booking (a troupe's members at a rehearsal)."""
    people = set(db.session.execute(
        sa.select(Booking.user_id).where(
            Booking.event_id == event.id,
            Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]),
        ).distinct()
    ).scalars())
    people.update(user.id for user, _kind in expected_without_booking([event]).get(event.id, []))
    return people


def event_cancelled(event: Event, *, now: datetime) -> list[Notification]:
    """Tell everyone with a stake in ``event`` that it is cancelled, with the reason;
    nobody is told about an event that is already over."""
    if event.ends_at <= now:
        return []
    params = event_params(event) | {"reason": event.cancel_reason}
    return notify(people_at_event(event), K.EVENT_CANCELLED, now=now, event=event, params=params)


@dataclass(frozen=True)
class WhereAndWhen:
    """An event's time and place before an edit, to tell whether it moved."""

    starts_at: datetime
    ends_at: datetime
    venue_id: int | None
    place: str


def where_and_when(event: Event) -> WhereAndWhen:
    """Remember ``event``'s time and place; pass it to :func:`event_moved` after the edit."""
    return WhereAndWhen(event.starts_at, event.ends_at, event.venue_id, event.venue.name if event.venue else "")


def event_moved(event: Event, before: WhereAndWhen, *, now: datetime) -> list[Notification]:
    """Tell everyone with a stake in ``event`` that its start or place changed (nothing
    when neither did, when it is cancelled, or when it is over)."""
    db.session.flush()
    venue = db.session.get(Venue, event.venue_id) if event.venue_id else None
    # A later end alone is no move: the message shows when and where it starts.
    moved = (event.starts_at, event.venue_id) != (before.starts_at, before.venue_id)
    if not moved or event.is_cancelled or max(event.ends_at, before.ends_at) <= now:
        return []
    params = event_params(event) | {
        "place": venue.name if venue else "", "was_starts_at": before.starts_at, "was_place": before.place,
    }
    return notify(people_at_event(event), K.EVENT_MOVED, now=now, event=event, params=params)


def done_for_resident(booking: Booking, by: User, what: str, *, now: datetime) -> None:
    """Tell a resident that their building leader booked (``what`` "booked") or cancelled
    ("cancelled") a seat, a waiting-list place or a child's place for them (代约); called
    through ``households.tell_resident`` in the booking's transaction."""
    event = booking.event
    params = event_params(event) | {"by": by.display_name}
    if booking.child is not None:
        params["child"] = booking.child.name
    if what == "cancelled":
        kind = K.CANCELLED_FOR_YOU
    else:
        kind = K.BOOKED_FOR_YOU
        if booking.is_waitlisted:
            params["position"] = waitlist_position(booking)
        else:
            params["ticket"] = booking.display_code
    notify([booking.user_id], kind, now=now, event=event, params=params)


def shift_released(booking: Booking, role: ShiftRole, reason: str, *, now: datetime) -> None:
    """Tell a volunteer that an organizer released them from a role, and why."""
    params = event_params(booking.event) | {"role": role.name, "reason": reason}
    notify([booking.user_id], K.SHIFT_RELEASED, now=now, event=booking.event, params=params)


# --- memberships ------------------------------------------------------------------------


def membership_decided(user_id: int, program: Program, kind: NotificationKind, *, now: datetime,
                       reason: str = "", position: int | None = None) -> None:
    """Tell an applicant what became of their application: approved, declined (with the
    reason) or accepted onto the waiting list (with their place in it)."""
    params: dict[str, Any] = {"program": program.name}
    if reason:
        params["reason"] = reason
    if position is not None:
        params["position"] = position
    notify([user_id], kind, now=now, program=program, params=params)


def memberships_promoted(user_ids: Iterable[int], program: Program, *, now: datetime) -> None:
    """Tell the people moved up from a troupe's waiting list that they are members now."""
    notify(user_ids, K.MEMBERSHIP_PROMOTED, now=now, program=program, params={"program": program.name})


# --- the booking pause and the account --------------------------------------------------


def booking_paused(user_id: int, *, until: datetime, count: int, days: int, now: datetime) -> None:
    """Tell a person that booking is paused for no-shows until ``until`` (once per pause)."""
    notify_once(user_id, K.BOOKING_PAUSED, key=f"paused:{user_id}:{until.isoformat()}", now=now,
                params={"until_at": until, "count": count, "days": days})


def pause_lifted(user_id: int, *, was_until: datetime, now: datetime) -> None:
    """Tell a person that the pause running until ``was_until`` was lifted early (once)."""
    notify_once(user_id, K.PAUSE_LIFTED, key=f"lifted:{user_id}:{was_until.isoformat()}", now=now)


def password_was_reset(user: User, *, now: datetime) -> None:
    """Tell a person that a new password was set with a reset code (call it from the reset)."""
    notify([user.id], K.PASSWORD_RESET, now=now, params={"at": now})


def account_deactivated(user: User, *, now: datetime) -> None:
    """Tell a person their account was deactivated; the email still goes out, as they
    can no longer log in to read it (call it from the deactivation)."""
    notify([user.id], K.ACCOUNT_DEACTIVATED, now=now, params={"at": now})


# --- reading and marking ----------------------------------------------------------------


def unread_count(user_id: int) -> int:
    """How many of the person's messages are unread (one query on a partial index)."""
    return db.session.execute(
        sa.select(sa.func.count()).select_from(Notification)
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
    ).scalar_one()


def messages_query(user: User):
    """A select of the person's messages, newest first, with what each links to."""
    return (
        sa.select(Notification)
        .where(Notification.user_id == user.id)
        .options(joinedload(Notification.event).joinedload(Event.program), joinedload(Notification.program))
        .order_by(Notification.created_at.desc(), Notification.id.desc())
    )


def message_of(user: User, notification_id: int) -> Notification | None:
    """The person's message with ``notification_id``, or None (also for someone else's)."""
    return db.session.execute(
        sa.select(Notification)
        .where(Notification.id == notification_id, Notification.user_id == user.id)
        .options(joinedload(Notification.event).joinedload(Event.program), joinedload(Notification.program))
    ).scalar_one_or_none()


def mark_read(notification: Notification, *, now: datetime) -> None:
    """Mark one message read (reading it again changes nothing)."""
    begin_write()
    db.session.execute(
        sa.update(Notification)
        .where(Notification.id == notification.id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session="fetch")
    )


def mark_all_read(user: User, *, now: datetime) -> int:
    """Mark every unread message of the person read; returns how many there were."""
    begin_write()
    result = db.session.execute(
        sa.update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


# --- a person's choices -----------------------------------------------------------------


def settings_of(user: User) -> NotificationSettings | None:
    """The person's choices, or None when they never made any."""
    return db.session.get(NotificationSettings, user.id)


def save_email_settings(user: User, *, email: str | None, topics_on: Iterable[str], language: str | None,
                        now: datetime) -> NotificationSettings:
    """Record the person's email address (None: none), the topics they want by email and
    the language of their emails. Messages waiting to be emailed follow a changed address
    and are dropped with a removed one."""
    begin_write()
    settings = _settings_for_update(user, now=now)
    wanted = {topic.value for topic in OPTIONAL_TOPICS} & set(topics_on)
    settings.email = email or None
    settings.email_topics_off = sorted(topic.value for topic in OPTIONAL_TOPICS if topic.value not in wanted)
    settings.language = language or str(get_locale() or "zh")
    settings.updated_at = now
    waiting = (
        sa.select(Delivery.id)
        .where(Delivery.user_id == user.id, Delivery.channel == "email", Delivery.status == DeliveryStatus.PENDING)
    )
    if settings.email:
        db.session.execute(
            sa.update(Delivery).where(Delivery.id.in_(waiting.scalar_subquery())).values(address=settings.email)
            .execution_options(synchronize_session=False)
        )
    else:
        db.session.execute(
            sa.delete(Delivery).where(Delivery.id.in_(waiting.scalar_subquery()))
            .execution_options(synchronize_session=False)
        )
    db.session.flush()
    return settings


def save_calendar_alarm(user: User, minutes: int | None, *, now: datetime) -> NotificationSettings:
    """Record how long before each booked event the personal calendar feed sets an
    alarm (None: no alarm)."""
    begin_write()
    settings = _settings_for_update(user, now=now)
    settings.calendar_alarm_minutes = minutes
    settings.updated_at = now
    db.session.flush()
    return settings


def _settings_for_update(user: User, *, now: datetime) -> NotificationSettings:
    """The person's settings row, made on first use (its language the one they read in)."""
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    settings = db.session.get(NotificationSettings, user.id, populate_existing=True)
    if settings is None:
        settings = NotificationSettings(
            user_id=user.id, email=None, email_topics_off=[], language=str(get_locale() or "zh"),
            updated_at=now,
        )
        db.session.add(settings)
    return settings
