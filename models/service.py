"""The service record: an append-only ledger of volunteer hours and points (积分)."""
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
    from .user import User


class EntryKind(enum.Enum):
    SHIFT = "shift"  # credit for a served shift (at most one per shift)
    CORRECTION = "correction"  # a later change to a shift's credit (e.g. served → no-show)
    ADJUSTMENT = "adjustment"  # hours or points given or taken by an organizer, with a reason
    REDEMPTION = "redemption"  # points exchanged (积分兑换), with a reason
    SERVICE = "service"  # community service beyond the team (a leader's visits, helping at a program)
    REFUND = "refund"  # points given back: a reward request cancelled or declined


class ServiceActivity(enum.Enum):
    """What a ``service`` line was for."""

    VISIT = "visit"  # a building leader's or grid worker's visits to households (走访)
    HELPING = "helping"  # helping at a program's event (活动帮忙)
    OTHER = "other"  # other service to the community


class ServiceEntry(db.Model):
    """One line of a person's service ledger. Lines are only ever added, never changed:
    a mistake is put right by a new line.

    Each line carries the person's running totals after it (``minutes_total``,
    ``points_balance``) and its number in the person's ledger (``seq``). The database
    refuses a negative total and two lines with the same number, so two writers who both
    read the same last line can't both append after it; the services lock the person's
    row first so that this never has to happen.
    """

    __tablename__ = "service_entries"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "seq", name="uq_service_entries_user_seq"),
        sa.Index(
            "uq_service_entries_one_credit_per_shift",
            "booking_id",
            unique=True,
            sqlite_where=sa.text("kind = 'shift'"),
            postgresql_where=sa.text("kind = 'shift'"),
        ),
        sa.CheckConstraint("seq >= 1", name="seq_positive"),
        sa.CheckConstraint("minutes_total >= 0", name="minutes_total_not_negative"),
        sa.CheckConstraint("points_balance >= 0", name="points_balance_not_negative"),
        sa.CheckConstraint("minutes <> 0 OR points <> 0", name="changes_something"),
        sa.CheckConstraint("kind <> 'shift' OR (minutes > 0 AND points >= 0 AND booking_id IS NOT NULL)",
                           name="shift_credits"),
        sa.CheckConstraint("kind <> 'redemption' OR (points < 0 AND minutes = 0)", name="redemption_spends"),
        sa.Index("ix_service_entries_served_at", "served_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"))
    seq: Mapped[int] = mapped_column()
    kind: Mapped[EntryKind] = mapped_column(enum_column(EntryKind))
    minutes: Mapped[int] = mapped_column(default=0)
    points: Mapped[int] = mapped_column(default=0)
    minutes_total: Mapped[int] = mapped_column()
    points_balance: Mapped[int] = mapped_column()
    booking_id: Mapped[int | None] = mapped_column(sa.ForeignKey("bookings.id", ondelete="SET NULL"), index=True)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    # For a ``service`` line: what kind of service it was.
    activity: Mapped[ServiceActivity | None] = mapped_column(enum_column(ServiceActivity))
    recorded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    # When the service happened (the shift's start; the entry's own time otherwise):
    # the honour board counts hours by this.
    served_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    recorded_by: Mapped[User | None] = relationship(foreign_keys=[recorded_by_id])
    booking: Mapped[Booking | None] = relationship()

    def __repr__(self) -> str:
        return f"<ServiceEntry {self.user_id}#{self.seq} {self.kind.value} {self.minutes}m {self.points}p>"


@sa.event.listens_for(ServiceEntry, "before_update")
@sa.event.listens_for(ServiceEntry, "before_delete")
def _refuse_rewriting_the_ledger(mapper, connection, target) -> None:
    raise RuntimeError("the service ledger is append-only: add a correcting entry instead")
