"""Dated happenings of a program: a lecture, a talk, a rehearsal, a class."""
from __future__ import annotations

import enum
import uuid
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import gettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .booking import Quota
    from .program import Program, Series, Venue


class EventStatus(enum.Enum):
    SCHEDULED = "scheduled"
    CANCELLED = "cancelled"


def new_calendar_uid() -> str:
    """A calendar UID for a new event: a random UUID, which says nothing about the event,
    the site or how many events there are (RFC 7986 §5.3)."""
    return str(uuid.uuid4())
def event_title(title: str, class_number: int | None = None) -> str:
    """An event's title in the reader's language. Placeholders are not stored as text: an
    empty title reads "Topic to be announced" (题目待定), and a youth class stores its
    term's name and its number, read "寒假学期 · 第 3 课" or "Winter term · class 3".
    Pages, exports and feeds (under ``force_locale``) all read titles through here."""
    if class_number is not None:
        return gettext("%(term)s · class %(number)s", term=title, number=class_number)
    return title or gettext("Topic to be announced")


class Event(db.Model):
    """One dated happening of a program, with its seats held in a :class:`Quota`."""

    __tablename__ = "events"
    __table_args__ = (
        sa.CheckConstraint("ends_at > starts_at", name="ends_after_start"),
        sa.Index("ix_events_program_starts", "program_id", "starts_at"),
        # "Not over yet" lists (upcoming lectures, openings) read a program's events by their
        # end: with this they touch only what is still to come, not the program's history.
        sa.Index("ix_events_program_ends", "program_id", "ends_at"),
        sa.Index("uq_events_calendar_uid", "calendar_uid", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id", ondelete="CASCADE"))
    series_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("series.id", ondelete="SET NULL"), index=True
    )
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id", ondelete="SET NULL"))
    seat_quota_id: Mapped[int] = mapped_column(sa.ForeignKey("quotas.id"), unique=True)

    # What the organizer called it; empty while the topic is to be announced. Read it
    # through ``display_title``.
    title: Mapped[str] = mapped_column(sa.String(120))
    # A youth class's number in its term (then ``title`` is the term's name).
    class_number: Mapped[int | None] = mapped_column()
    speaker: Mapped[str] = mapped_column(sa.String(80), default="")
    summary: Mapped[str] = mapped_column(sa.Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    booking_opens_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    booking_closes_at: Mapped[datetime] = mapped_column(UTCDateTime)

    status: Mapped[EventStatus] = mapped_column(
        enum_column(EventStatus), default=EventStatus.SCHEDULED
    )
    cancel_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An administrator let this event share its room with another at the same time
    # (services.venues); without that, two scheduled events never overlap in one venue.
    shares_room: Mapped[bool] = mapped_column(default=False, server_default="0")

    # The event's UID in every calendar feed: random, made once, never changed. Nullable
    # only in the schema (events made before it got theirs in migration 0012).
    calendar_uid: Mapped[str | None] = mapped_column(sa.String(36), default=new_calendar_uid)
    # Raised on every change a subscriber would notice (calendar SEQUENCE).
    sequence: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    program: Mapped[Program] = relationship(back_populates="events")
    series: Mapped[Series | None] = relationship()
    venue: Mapped[Venue | None] = relationship()
    seats: Mapped[Quota] = relationship(lazy="joined", innerjoin=True)

    @property
    def display_title(self) -> str:
        """The title in the reader's language (see :func:`event_title`)."""
        return event_title(self.title, self.class_number)

    @property
    def is_cancelled(self) -> bool:
        return self.status is EventStatus.CANCELLED

    def has_started(self, now: datetime) -> bool:
        """Tell whether the event has begun at ``now``."""
        return now >= self.starts_at

    def is_booking_open(self, now: datetime) -> bool:
        """Tell whether seats can be booked at ``now`` (scheduled and inside the window)."""
        if self.is_cancelled or now >= self.booking_closes_at or self.has_started(now):
            return False
        return self.booking_opens_at is None or now >= self.booking_opens_at

    def __repr__(self) -> str:
        return f"<Event {self.id} {self.title}>"
