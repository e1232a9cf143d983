"""Volunteer roles (岗位) at events, and what became of each shift."""
from __future__ import annotations

import enum
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import sqlalchemy as sa
from flask_babel import lazy_pgettext
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .booking import Booking, Quota
    from .event import Event
    from .user import User

DEFAULT_WITHDRAW_CUTOFF_MINUTES = 24 * 60


class PointsRule(enum.Enum):
    """How a served shift earns points: so many per hour served, or a fixed sum per shift."""

    PER_HOUR = "per_hour"
    PER_SHIFT = "per_shift"


# The roles a talk starts with are stored by their Chinese names; readers see them in their
# own language. (Names an organizer types are shown as typed.)
_ROLE_NAMES = {
    "主讲": lazy_pgettext("volunteer role", "Speaker"), "主持": lazy_pgettext("volunteer role", "Host"),
    "摄影": lazy_pgettext("volunteer role", "Photographer"), "场务": lazy_pgettext("volunteer role", "Stage crew"),
    "签到": lazy_pgettext("volunteer role", "Check-in desk"),
}


def role_title(name: str) -> str:
    """A volunteer role's name in the reader's language."""
    known = _ROLE_NAMES.get(name)
    return str(known) if known is not None else name


class ShiftRole(db.Model):
    """A role at an event (主讲, 主持, 摄影, 场务, 签到 …) with its own slots.

    The slots are a :class:`Quota`; claiming one is a :class:`Booking` on that quota
    (``booking.event_id`` is the event), so slots, the role's waiting list and promotion
    all go through :mod:`services.capacity`. A shift lasts as long as its event.
    """

    __tablename__ = "shift_roles"
    __table_args__ = (
        sa.UniqueConstraint("event_id", "name", name="uq_shift_roles_event_name"),
        sa.CheckConstraint("points >= 0", name="points_not_negative"),
        sa.CheckConstraint("credit_minutes IS NULL OR credit_minutes > 0", name="credit_minutes_positive"),
        sa.CheckConstraint("withdraw_cutoff_minutes >= 0", name="withdraw_cutoff_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), index=True)
    quota_id: Mapped[int] = mapped_column(sa.ForeignKey("quotas.id"), unique=True)
    name: Mapped[str] = mapped_column(sa.String(20))
    position: Mapped[int] = mapped_column(default=0)

    # Earning rule: ``points`` per hour served, or ``points`` for the whole shift.
    points_rule: Mapped[PointsRule] = mapped_column(enum_column(PointsRule), default=PointsRule.PER_HOUR)
    points: Mapped[int] = mapped_column(default=10)
    # Service time credited for a served shift when it isn't the event's length
    # (e.g. the speaker's preparation counts too).
    credit_minutes: Mapped[int | None] = mapped_column()
    # A holder may withdraw until this long before the start; after it only an organizer.
    withdraw_cutoff_minutes: Mapped[int] = mapped_column(default=DEFAULT_WITHDRAW_CUTOFF_MINUTES)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    event: Mapped[Event] = relationship()
    slots: Mapped[Quota] = relationship(lazy="joined", innerjoin=True)

    def default_minutes(self, event: Event | None = None) -> int:
        """Minutes a served shift is credited with unless an organizer says otherwise."""
        if self.credit_minutes:
            return self.credit_minutes
        event = event or self.event
        return int((event.ends_at - event.starts_at).total_seconds() // 60)

    def points_for(self, minutes: int) -> int:
        """Points earned by serving ``minutes`` in this role (per hour: rounded half up)."""
        if self.points_rule is PointsRule.PER_SHIFT:
            return self.points
        return (self.points * minutes + 30) // 60

    @property
    def display_name(self) -> str:
        """The role's name in the reader's language (see :func:`role_title`)."""
        return role_title(self.name)

    def withdraw_closes_at(self, event: Event | None = None) -> datetime:
        """From this moment only an organizer can release a holder."""
        event = event or self.event
        return event.starts_at - timedelta(minutes=self.withdraw_cutoff_minutes)

    def __repr__(self) -> str:
        return f"<ShiftRole {self.id} {self.name}>"


class OutcomeStatus(enum.Enum):
    SERVED = "served"
    NO_SHOW = "no_show"  # 爽约
    RELEASED = "released"  # an organizer let the holder go, with a reason


class ShiftOutcome(db.Model):
    """What an organizer recorded about one shift: served (with the minutes credited),
    no-show, or released before the event. One row per shift booking; changing the
    decision updates this row, while the service ledger only ever gains entries."""

    __tablename__ = "shift_outcomes"
    __table_args__ = (
        sa.CheckConstraint("minutes >= 0", name="minutes_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(sa.ForeignKey("bookings.id", ondelete="CASCADE"), unique=True)
    status: Mapped[OutcomeStatus] = mapped_column(enum_column(OutcomeStatus))
    minutes: Mapped[int] = mapped_column(default=0)
    reason: Mapped[str] = mapped_column(sa.String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    booking: Mapped[Booking] = relationship()
    decided_by: Mapped[User | None] = relationship()

    @property
    def is_served(self) -> bool:
        return self.status is OutcomeStatus.SERVED

    def __repr__(self) -> str:
        return f"<ShiftOutcome {self.booking_id} {self.status.value}>"
