"""Logins: one row per device a person logged in on, so that logging out there ends it."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime

if TYPE_CHECKING:
    from .user import User


class Login(db.Model):
    """One login of one person on one device, from the moment the password was accepted
    until that device logs out.

    The session cookie and the remember cookie of the device carry a random token; only
    its SHA-256 is stored here. A cookie is honoured while its login has not ended (and
    the person's session version still matches, see ``User.get_id``), so logging out on a
    device makes a copy of its cookies worthless without touching the person's other
    devices.
    """

    __tablename__ = "logins"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship()

    @property
    def has_ended(self) -> bool:
        return self.ended_at is not None

    def __repr__(self) -> str:
        return f"<Login {self.id} of {self.user_id}>"
