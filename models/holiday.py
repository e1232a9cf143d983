"""The community office's own closed days, beside the official public holidays."""
from __future__ import annotations

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .user import User


class ClosedDay(db.Model):
    """One or more days in a row on which the community office closes (e.g. 社区文化中心
    年度检修), skipped by every recurring schedule like the official public holidays.

    The official holidays themselves come from the ``chinesecalendar`` package
    (services.holidays); only the office's own days are stored.
    """

    __tablename__ = "closed_days"
    __table_args__ = (sa.CheckConstraint("last_day >= first_day", name="last_not_before_first"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    first_day: Mapped[date] = mapped_column(sa.Date, index=True)
    last_day: Mapped[date] = mapped_column(sa.Date)
    # Why the office is closed, as residents and organizers read it.
    name: Mapped[str] = mapped_column(sa.String(80))
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    created_by: Mapped[User | None] = relationship()

    def covers(self, day: date) -> bool:
        """Tell whether ``day`` is one of the closed days."""
        return self.first_day <= day <= self.last_day

    def __repr__(self) -> str:
        return f"<ClosedDay {self.first_day}–{self.last_day} {self.name}>"
