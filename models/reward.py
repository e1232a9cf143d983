"""Points across the community: the reward list (积分兑换), people's redemptions, and the
honours (孝善之星, 身边榜样 …) the community awards."""
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
    from .service import ServiceEntry
    from .user import User


class RewardItem(db.Model):
    """Something on the reward list: a name, its price in points, and its stock.

    The stock is a :class:`Quota`: ``capacity`` is how many the office has had in all,
    ``taken`` how many are promised or handed over, so the database refuses to promise
    more than there are (``taken <= capacity``), and what is left is ``capacity − taken``.
    """

    __tablename__ = "reward_items"
    __table_args__ = (sa.CheckConstraint("points > 0", name="points_positive"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    description: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    points: Mapped[int] = mapped_column()
    stock_quota_id: Mapped[int] = mapped_column(sa.ForeignKey("quotas.id"), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Taken off the list (no new redemptions); requests already made can still be handed over.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    stock: Mapped[Quota] = relationship(lazy="joined", innerjoin=True)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    @property
    def left(self) -> int:
        return self.stock.left

    def __repr__(self) -> str:
        return f"<RewardItem {self.id} {self.name}>"


class RedemptionStatus(enum.Enum):
    REQUESTED = "requested"  # asked for: points spent, one item set aside
    HANDED_OVER = "handed_over"  # an organizer gave it to the person
    CANCELLED = "cancelled"  # the person changed their mind: points and item back
    DECLINED = "declined"  # an organizer said no, with a reason: points and item back


OPEN_REDEMPTION = "requested"


class Redemption(db.Model):
    """One person asking for one reward item: the points spent (the ledger line), and
    what became of it. The points leave the balance when the person asks, so two
    requests can't spend the same points; a cancelled or declined request gives them
    back with a refund line."""

    __tablename__ = "redemptions"
    __table_args__ = (
        sa.CheckConstraint("points > 0", name="points_positive"),
        sa.Index("ix_redemptions_status_requested", "status", "requested_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    item_id: Mapped[int] = mapped_column(sa.ForeignKey("reward_items.id"), index=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    points: Mapped[int] = mapped_column()  # the price when asked
    status: Mapped[RedemptionStatus] = mapped_column(enum_column(RedemptionStatus))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    spend_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_entries.id", ondelete="SET NULL"))
    refund_entry_id: Mapped[int | None] = mapped_column(sa.ForeignKey("service_entries.id", ondelete="SET NULL"))

    item: Mapped[RewardItem] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
    decided_by: Mapped[User | None] = relationship(foreign_keys=[decided_by_id])
    spend_entry: Mapped[ServiceEntry | None] = relationship(foreign_keys=[spend_entry_id])

    @property
    def is_open(self) -> bool:
        return self.status is RedemptionStatus.REQUESTED

    def __repr__(self) -> str:
        return f"<Redemption {self.id} {self.status.value}>"


class Honour(db.Model):
    """A named honour the community awarded a person in a year (孝善之星, 身边榜样,
    最美志愿者 …), with the citation read out; shown on the honour board (光荣榜)."""

    __tablename__ = "honours"
    __table_args__ = (
        sa.UniqueConstraint("user_id", "title", "year", name="uq_honours_user_title_year"),
        sa.CheckConstraint("year >= 2000 AND year <= 2100", name="sane_year"),
        sa.Index("ix_honours_year", "year"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(sa.String(40))
    year: Mapped[int] = mapped_column()
    citation: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    awarded_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    awarded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship(foreign_keys=[user_id])

    def __repr__(self) -> str:
        return f"<Honour {self.year} {self.title}>"
