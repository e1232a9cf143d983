"""Counted places and the bookings that claim them."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .event import Event
    from .user import User
    from .youth import Child


class Quota(db.Model):
    """A counted set of places (名额): the seats of a lecture, later the slots of a
    volunteer role or the places of a youth class.

    ``taken`` is the number of places held by confirmed bookings. It is only ever changed
    by a guarded UPDATE in :mod:`services.capacity`, and the database refuses any value
    outside ``0 … capacity``.
    """

    __tablename__ = "quotas"
    __table_args__ = (
        sa.CheckConstraint("capacity >= 0", name="capacity_not_negative"),
        sa.CheckConstraint("taken >= 0 AND taken <= capacity", name="taken_within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    capacity: Mapped[int] = mapped_column()
    taken: Mapped[int] = mapped_column(default=0)

    @property
    def left(self) -> int:
        """Places still free (剩余名额)."""
        return max(self.capacity - self.taken, 0)

    @property
    def is_full(self) -> bool:
        return self.taken >= self.capacity

    def __repr__(self) -> str:
        return f"<Quota {self.id} {self.taken}/{self.capacity}>"


class BookingStatus(enum.Enum):
    CONFIRMED = "confirmed"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


ACTIVE_STATUSES = (BookingStatus.CONFIRMED.value, BookingStatus.WAITLISTED.value)


class Booking(db.Model):
    """One person's claim on places in a quota: confirmed, on the waiting list, or
    cancelled. A booking made by a parent for a child names the child.

    A person holds at most one active booking per quota for themselves, and one per
    child: two partial unique indexes, because NULL ``child_id`` values never collide in
    a unique index."""

    __tablename__ = "bookings"
    __table_args__ = (
        sa.CheckConstraint("places >= 1", name="places_positive"),
        sa.Index(
            "uq_bookings_active_per_person",
            "quota_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("status IN ('confirmed', 'waitlisted') AND child_id IS NULL"),
            postgresql_where=sa.text("status IN ('confirmed', 'waitlisted') AND child_id IS NULL"),
        ),
        sa.Index(
            "uq_bookings_active_per_child",
            "quota_id",
            "user_id",
            "child_id",
            unique=True,
            sqlite_where=sa.text("status IN ('confirmed', 'waitlisted') AND child_id IS NOT NULL"),
            postgresql_where=sa.text("status IN ('confirmed', 'waitlisted') AND child_id IS NOT NULL"),
        ),
        sa.Index("ix_bookings_quota_status", "quota_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quota_id: Mapped[int] = mapped_column(sa.ForeignKey("quotas.id"))
    # Indexed: rosters, exports and the dashboard read an event's bookings by it.
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    # The child the place is for, when a parent books for a child; None for one's own seat.
    child_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("children.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[BookingStatus] = mapped_column(enum_column(BookingStatus))
    places: Mapped[int] = mapped_column(default=1)
    # Who made the booking when it wasn't the holder: a building leader booking for a
    # neighbour (代约). None when the holder booked it themselves. No ON DELETE rule: SQLite
    # can add a referencing column in place but not read such a rule back, and rebuilding
    # ``bookings`` would cascade into attendance (see migration 0016); accounts are
    # deactivated, not deleted, so the plain reference only has to keep the record honest.
    booked_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id"))
    # Short number a person can read aloud at the door; random, see services.capacity.new_ticket_code.
    ticket_code: Mapped[str | None] = mapped_column(sa.String(8), unique=True)

    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    event: Mapped[Event] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    booked_by: Mapped[User | None] = relationship(foreign_keys=[booked_by_id])
    quota: Mapped[Quota] = relationship()
    child: Mapped[Child | None] = relationship()

    @property
    def is_active(self) -> bool:
        return self.status is not BookingStatus.CANCELLED

    @property
    def is_confirmed(self) -> bool:
        return self.status is BookingStatus.CONFIRMED

    @property
    def is_waitlisted(self) -> bool:
        return self.status is BookingStatus.WAITLISTED

    @property
    def display_code(self) -> str:
        """The ticket code split in two for reading aloud, e.g. ``2741 0936``."""
        code = self.ticket_code or ""
        return f"{code[:4]} {code[4:]}".strip()

    def __repr__(self) -> str:
        return f"<Booking {self.id} {self.status.value}>"
