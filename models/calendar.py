"""The secret behind a person's personal calendar feed."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .user import User


class CalendarToken(db.Model):
    """A person's personal-feed token (``/calendar/u/<token>.ics``), one per person.

    Only the SHA-256 of the token is stored, so a copy of the database can't be turned
    into working feed URLs; the plain token is shown to its owner once, when it is made.
    Making a new one replaces the hash, which retires the old URL.
    """

    __tablename__ = "calendar_tokens"

    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    # Hex SHA-256 of the token; looked up on every feed request.
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True, index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()

    def __repr__(self) -> str:
        return f"<CalendarToken of user {self.user_id}>"


class FeedVersion(db.Model):
    """A counter raised by every commit that changes what some calendar feeds show:
    ``events`` for all of them, ``person:<id>`` for one person's own feed
    (see :mod:`services.feed_cache`). Feeds are answered from cache while it stands."""

    __tablename__ = "feed_versions"

    scope: Mapped[str] = mapped_column(sa.String(40), primary_key=True)
    version: Mapped[int] = mapped_column(default=1)

    def __repr__(self) -> str:
        return f"<FeedVersion {self.scope} {self.version}>"
