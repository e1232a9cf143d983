"""Attendance (出勤): who came to an event, and the record of every change to it."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .booking import Booking
    from .event import Event
    from .user import User


class AttendanceStatus(enum.Enum):
    PRESENT = "present"  # 到场
    LATE = "late"  # 迟到
    ABSENT = "absent"  # 缺席; at an event that has ended, a booking left absent is a no-show (爽约)
    EXCUSED = "excused"  # 已请假: an organizer excused the absence, with a reason


ATTENDED_STATUSES = (AttendanceStatus.PRESENT, AttendanceStatus.LATE)


class CheckInMethod(enum.Enum):
    """How an attendance row got its current status."""

    ORGANIZER = "organizer"  # an organizer tapped it on the roster
    QR = "qr"  # the person scanned the check-in screen's QR code
    TICKET = "ticket"  # an organizer typed the person's ticket number
    WALK_IN = "walk_in"  # added at the door by name and phone, without a booking
    AUTOMATIC = "automatic"  # written by the no-show sweep after the event ended


class Attendance(db.Model):
    """Whether one person came to one event.

    A row belongs either to a booking (a seat, a volunteer's shift, a child's place) —
    at most one row per booking — or, when there is no booking (a walk-in, a troupe
    member at a rehearsal), to the person: at most one such row per person and event.
    Rows are changed in place; :class:`AttendanceChange` keeps every change.
    """

    __tablename__ = "attendance"
    __table_args__ = (
        sa.Index(
            "uq_attendance_person_without_booking",
            "event_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("booking_id IS NULL"),
            postgresql_where=sa.text("booking_id IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    booking_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("bookings.id", ondelete="CASCADE"), unique=True
    )
    # The person who came (for a booking: the person who holds it).
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus))
    method: Mapped[CheckInMethod] = mapped_column(enum_column(CheckInMethod))
    # When the person was first checked in (present or late); None while not checked in.
    checked_in_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    excuse_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Who made the last change (None: the no-show sweep).
    updated_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    event: Mapped[Event] = relationship()
    booking: Mapped[Booking | None] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])

    @property
    def has_attended(self) -> bool:
        return self.status in ATTENDED_STATUSES

    def __repr__(self) -> str:
        return f"<Attendance {self.id} {self.status.value}>"


class AttendanceChange(db.Model):
    """One change of one attendance row: who made it, when, from which status to which.
    Rows are only ever added."""

    __tablename__ = "attendance_changes"

    id: Mapped[int] = mapped_column(primary_key=True)
    attendance_id: Mapped[int] = mapped_column(
        sa.ForeignKey("attendance.id", ondelete="CASCADE"), index=True
    )
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    # None: the change was made by the no-show sweep, not by a person.
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    from_status: Mapped[AttendanceStatus | None] = mapped_column(enum_column(AttendanceStatus))
    to_status: Mapped[AttendanceStatus] = mapped_column(enum_column(AttendanceStatus))
    method: Mapped[CheckInMethod] = mapped_column(enum_column(CheckInMethod))
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    changed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    attendance: Mapped[Attendance] = relationship()
    actor: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<AttendanceChange {self.attendance_id} {self.from_status} → {self.to_status}>"
