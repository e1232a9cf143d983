"""Belonging to a program: an application, the organizer's decision, leaving."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .program import Program
    from .user import User


class MembershipStatus(enum.Enum):
    PENDING = "pending"  # applied, waiting for an organizer
    ACTIVE = "active"
    DECLINED = "declined"
    LEFT = "left"


OPEN_STATUSES = (MembershipStatus.PENDING.value, MembershipStatus.ACTIVE.value)


class Membership(db.Model):
    """One person's membership of one program, from the application on.

    A row is never reused: applying again after a decline or after leaving makes a new
    row, so the history stays. A person has at most one open (pending or active)
    membership per program.
    """

    __tablename__ = "memberships"
    __table_args__ = (
        sa.Index(
            "uq_memberships_open_per_person",
            "program_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("status IN ('pending', 'active')"),
            postgresql_where=sa.text("status IN ('pending', 'active')"),
        ),
        sa.Index("ix_memberships_program_status", "program_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[MembershipStatus] = mapped_column(enum_column(MembershipStatus))
    note: Mapped[str] = mapped_column(sa.String(300), default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(200), default="")

    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    left_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    program: Mapped[Program] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_pending(self) -> bool:
        return self.status is MembershipStatus.PENDING

    @property
    def is_active(self) -> bool:
        return self.status is MembershipStatus.ACTIVE

    @property
    def is_declined(self) -> bool:
        return self.status is MembershipStatus.DECLINED

    def __repr__(self) -> str:
        return f"<Membership {self.id} {self.status.value}>"
