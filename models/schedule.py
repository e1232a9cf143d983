"""Weekly schedules: the rule that generates a program's regular events — a troupe's
rehearsals, a youth program's term of classes."""
from __future__ import annotations

from datetime import date, datetime, time
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .event import Event
    from .program import Program, Venue

ALL_WEEKDAYS = 0b111_1111

# Which events a schedule generated; an event comes from at most one schedule.
weekly_schedule_events = sa.Table(
    "weekly_schedule_events",
    db.metadata,
    sa.Column("event_id", sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True),
    sa.Column(
        "schedule_id", sa.ForeignKey("weekly_schedules.id", ondelete="CASCADE"), nullable=False,
        index=True,
    ),
)


class WeeklySchedule(db.Model):
    """Events on some weekdays at one local time and place, between two local days.

    Days and times are wall-clock values in the community's time zone; the events it
    generated carry the aware instants.
    """

    __tablename__ = "weekly_schedules"
    __table_args__ = (
        sa.CheckConstraint("last_day >= first_day", name="last_not_before_first"),
        sa.CheckConstraint("end_time > start_time", name="ends_after_start"),
        sa.CheckConstraint(f"weekday_mask >= 1 AND weekday_mask <= {ALL_WEEKDAYS}", name="some_weekday"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programs.id", ondelete="CASCADE"), index=True
    )
    venue_id: Mapped[int | None] = mapped_column(sa.ForeignKey("venues.id", ondelete="SET NULL"))
    title: Mapped[str] = mapped_column(sa.String(120))
    # Bit n set = events on weekday n (Monday = 0), as in ``date.weekday()``.
    weekday_mask: Mapped[int] = mapped_column()
    start_time: Mapped[time] = mapped_column(sa.Time)
    end_time: Mapped[time] = mapped_column(sa.Time)
    first_day: Mapped[date] = mapped_column(sa.Date)
    last_day: Mapped[date] = mapped_column(sa.Date)
    # The places and booking cutoff each event was laid out with: what a copy repeats.
    capacity: Mapped[int] = mapped_column(default=0, server_default="0")
    booking_cutoff_minutes: Mapped[int] = mapped_column(default=0, server_default="0")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A whole term or schedule cancelled in one step (services.schedules.cancel_schedule).
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")

    program: Mapped[Program] = relationship()
    venue: Mapped[Venue | None] = relationship()
    events: Mapped[list[Event]] = relationship(
        secondary=weekly_schedule_events, order_by="Event.starts_at"
    )

    @property
    def is_cancelled(self) -> bool:
        return self.cancelled_at is not None

    @property
    def weekdays(self) -> list[int]:
        """The weekdays of the schedule, Monday = 0."""
        return [day for day in range(7) if self.weekday_mask & (1 << day)]

    @staticmethod
    def mask_of(weekdays) -> int:
        """The bit mask for an iterable of weekdays (Monday = 0)."""
        mask = 0
        for day in weekdays:
            mask |= 1 << day
        return mask

    def __repr__(self) -> str:
        return f"<WeeklySchedule {self.id} {self.title}>"
