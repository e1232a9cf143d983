"""Troupes (文体队伍): what a troupe program has beyond a program — its leader, where and
when it rehearses, an optional member limit — and the people who belong to it."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .booking import Quota
    from .program import Program
    from .user import User


class Troupe(db.Model):
    """The troupe details of a program of kind ``troupe`` (one row per program).

    ``member_quota`` counts members when the troupe has a member limit: its ``capacity``
    is the limit and ``taken`` the number of members, so the database refuses more
    members than the limit. No quota means no limit.
    """

    __tablename__ = "troupes"

    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    leader_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    rehearsal_times: Mapped[str] = mapped_column(sa.String(120), default="")
    rehearsal_place: Mapped[str] = mapped_column(sa.String(120), default="")
    member_quota_id: Mapped[int | None] = mapped_column(sa.ForeignKey("quotas.id"), unique=True)

    program: Mapped[Program] = relationship()
    leader: Mapped[User | None] = relationship()
    member_quota: Mapped[Quota | None] = relationship()

    @property
    def member_limit(self) -> int | None:
        """The most members the troupe takes, or None when there is no limit."""
        return self.member_quota.capacity if self.member_quota is not None else None

    def is_led_by(self, user) -> bool:
        """Tell whether ``user`` is this troupe's leader."""
        return bool(getattr(user, "is_authenticated", False)) and self.leader_id == user.id

    def __repr__(self) -> str:
        return f"<Troupe {self.program_id}>"


class TroupeMembershipStatus(enum.Enum):
    APPLIED = "applied"  # waiting for the leader's decision
    MEMBER = "member"
    WAITLISTED = "waitlisted"  # approved, waiting for a place under the member limit
    DECLINED = "declined"
    WITHDRAWN = "withdrawn"  # the applicant gave up the application or waiting place
    LEFT = "left"


ACTIVE_MEMBERSHIP_STATUSES = ("applied", "member", "waitlisted")


class TroupeMembership(db.Model):
    """One person's application to a troupe and what became of it. A person holds at most
    one active (applied, member or waiting) membership per troupe."""

    __tablename__ = "troupe_memberships"
    __table_args__ = (
        sa.Index(
            "uq_troupe_memberships_active",
            "program_id",
            "user_id",
            unique=True,
            sqlite_where=sa.text("status IN ('applied', 'member', 'waitlisted')"),
            postgresql_where=sa.text("status IN ('applied', 'member', 'waitlisted')"),
        ),
        sa.Index("ix_troupe_memberships_program_status", "program_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id", ondelete="CASCADE"))
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    status: Mapped[TroupeMembershipStatus] = mapped_column(enum_column(TroupeMembershipStatus))
    note: Mapped[str] = mapped_column(sa.String(200), default="")
    decline_reason: Mapped[str] = mapped_column(sa.String(200), default="")
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))

    applied_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    waitlisted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    joined_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    program: Mapped[Program] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])

    @property
    def is_active(self) -> bool:
        return self.status.value in ACTIVE_MEMBERSHIP_STATUSES

    @property
    def is_member(self) -> bool:
        return self.status is TroupeMembershipStatus.MEMBER

    @property
    def is_pending(self) -> bool:
        return self.status is TroupeMembershipStatus.APPLIED

    @property
    def is_waitlisted(self) -> bool:
        return self.status is TroupeMembershipStatus.WAITLISTED

    def __repr__(self) -> str:
        return f"<TroupeMembership {self.id} {self.status.value}>"
