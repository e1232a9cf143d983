"""Telling people what happened: in-site messages (消息), their deliveries by other
channels (the outbox), organizers' messages and each person's choices."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .event import Event
    from .program import Program
    from .user import User


class NotificationKind(enum.Enum):
    """What happened to the person; the text is written from it when the message is read."""

    SEAT_CONFIRMED = "seat_confirmed"  # waiting list → seat
    CHILD_PLACE_CONFIRMED = "child_place_confirmed"  # waiting list → a child's place
    ROLE_CONFIRMED = "role_confirmed"  # a role's waiting list → the role
    EVENT_CANCELLED = "event_cancelled"
    EVENT_MOVED = "event_moved"  # new time or place
    SHIFT_RELEASED = "shift_released"  # an organizer let a volunteer go
    MEMBERSHIP_APPROVED = "membership_approved"
    MEMBERSHIP_DECLINED = "membership_declined"
    MEMBERSHIP_WAITLISTED = "membership_waitlisted"  # approved, waiting for a place
    MEMBERSHIP_PROMOTED = "membership_promoted"  # waiting list → member
    BOOKING_PAUSED = "booking_paused"  # too many no-shows
    PAUSE_LIFTED = "pause_lifted"
    PASSWORD_RESET = "password_reset"
    ACCOUNT_DEACTIVATED = "account_deactivated"
    ORGANIZER_MESSAGE = "organizer_message"
    REMINDER = "reminder"  # the day before: a seat, a role or a child's place
    WAITING_REMINDER = "waiting_reminder"  # the day before: still number N on the waiting list
    BOOKED_FOR_YOU = "booked_for_you"  # a building leader booked a seat or place for the person (代约)
    CANCELLED_FOR_YOU = "cancelled_for_you"  # … or cancelled one for them


class Notification(db.Model):
    """One message to one person (消息). It stores what happened — a kind and its
    parameters (titles, times, reasons as they were then) — and the text is written in
    the reader's language when it is shown or sent.

    ``dedupe_key`` makes a message that must go out once (a reminder for one booking, a
    booking pause) unique: a second attempt to write it fails on the unique index.
    """

    __tablename__ = "notifications"
    __table_args__ = (
        # The header's unread count reads only this index.
        sa.Index(
            "ix_notifications_unread", "user_id",
            sqlite_where=sa.text("read_at IS NULL"), postgresql_where=sa.text("read_at IS NULL"),
        ),
        sa.Index("ix_notifications_user_created", "user_id", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    kind: Mapped[NotificationKind] = mapped_column(enum_column(NotificationKind, length=30))
    # Values the text needs, as they were when it happened; keys ending in ``_at`` hold
    # ISO timestamps (see services.notification_texts).
    params: Mapped[dict[str, Any]] = mapped_column(sa.JSON, default=dict)
    # What the message is about, for its link.
    event_id: Mapped[int | None] = mapped_column(sa.ForeignKey("events.id", ondelete="SET NULL"), index=True)
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id", ondelete="SET NULL"), index=True)
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("organizer_messages.id", ondelete="CASCADE"), index=True
    )
    dedupe_key: Mapped[str | None] = mapped_column(sa.String(120), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()
    event: Mapped[Event | None] = relationship()
    program: Mapped[Program | None] = relationship()
    message: Mapped[OrganizerMessage | None] = relationship()

    @property
    def is_read(self) -> bool:
        return self.read_at is not None

    def __repr__(self) -> str:
        return f"<Notification {self.id} {self.kind.value}>"


class DeliveryStatus(enum.Enum):
    PENDING = "pending"  # waiting for a worker (again, after a failed try)
    SENDING = "sending"  # claimed by a worker
    SENT = "sent"
    FAILED = "failed"  # gave up after the last try


class Delivery(db.Model):
    """The outbox: one message to be sent to one address by one channel (email). Written
    in the same transaction as the message, sent afterwards by a worker
    (``flask --app app notifications run``), retried with backoff, finally failed."""

    __tablename__ = "deliveries"
    __table_args__ = (
        sa.UniqueConstraint("notification_id", "channel", name="uq_deliveries_notification_channel"),
        sa.CheckConstraint("attempts >= 0", name="attempts_not_negative"),
        sa.Index("ix_deliveries_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(sa.ForeignKey("notifications.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(sa.String(20))
    address: Mapped[str] = mapped_column(sa.String(254))
    status: Mapped[DeliveryStatus] = mapped_column(enum_column(DeliveryStatus), default=DeliveryStatus.PENDING)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The worker holding the claim, and since when (a claim older than the lease is stale).
    claimed_by: Mapped[str] = mapped_column(sa.String(40), default="")
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str] = mapped_column(sa.String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    notification: Mapped[Notification] = relationship()
    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<Delivery {self.id} {self.channel} {self.status.value}>"


class OrganizerMessage(db.Model):
    """A short message an organizer sent to the people of one event: who sent it, to
    which groups (seats, waiting list, volunteers, parents, members) and to how many."""

    __tablename__ = "organizer_messages"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    sender_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(sa.Text)
    # The groups chosen, comma-separated (services.organizer_messages.Audience values).
    audiences: Mapped[str] = mapped_column(sa.String(100))
    recipient_count: Mapped[int] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    sender: Mapped[User | None] = relationship()

    @property
    def audience_list(self) -> list[str]:
        return [value for value in self.audiences.split(",") if value]

    def __repr__(self) -> str:
        return f"<OrganizerMessage {self.id} to {self.recipient_count}>"


class NotificationSettings(db.Model):
    """A person's choices about being told things: an optional email address (the mobile
    number stays the login), which topics also go by email, the language of those
    emails, and a reminder (VALARM) in their personal calendar feed. No row: in-site
    messages only, no calendar reminder."""

    __tablename__ = "notification_settings"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    email: Mapped[str | None] = mapped_column(sa.String(254))
    # Topics (services.notifications.Topic values) the person does NOT want by email.
    email_topics_off: Mapped[list[str]] = mapped_column(sa.JSON, default=list)
    language: Mapped[str] = mapped_column(sa.String(5), default="zh")
    # Minutes before each booked event that the personal calendar feed sets an alarm.
    calendar_alarm_minutes: Mapped[int | None] = mapped_column()
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<NotificationSettings {self.user_id}>"
