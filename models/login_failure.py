"""Failed logins, kept for a while so that password guessing can be slowed down."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from . import db
from .types import UTCDateTime


class LoginFailure(db.Model):
    """One failed login for a mobile number (whether or not it is registered)."""

    __tablename__ = "login_failures"
    __table_args__ = (sa.Index("ix_login_failures_phone_failed_at", "phone", "failed_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone: Mapped[str] = mapped_column(sa.String(20))
    failed_at: Mapped[datetime] = mapped_column(UTCDateTime)
