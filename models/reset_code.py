"""One-time codes an administrator or organizer hands a person who forgot their password."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime

if TYPE_CHECKING:
    from .user import User


class PasswordResetCode(db.Model):
    """A password reset code: issued for one person, good once, for a limited time.

    Only a scrypt hash of the code is stored; the code itself is shown once to whoever
    issued it, to hand over in person or by phone. A code is spent when used, and void
    when a newer one is issued, after too many wrong tries, or when the account is
    deactivated. A partial unique index allows one live (neither spent nor void) code per
    person.
    """

    __tablename__ = "password_reset_codes"
    __table_args__ = (
        sa.Index(
            "uq_password_reset_codes_live_per_person",
            "user_id",
            unique=True,
            sqlite_where=sa.text("used_at IS NULL AND voided_at IS NULL"),
            postgresql_where=sa.text("used_at IS NULL AND voided_at IS NULL"),
        ),
        sa.CheckConstraint("failed_attempts >= 0", name="failed_attempts_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    code_hash: Mapped[str] = mapped_column(sa.String(255))
    issued_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    voided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_attempts: Mapped[int] = mapped_column(default=0)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    issued_by: Mapped[User | None] = relationship(foreign_keys=[issued_by_id])

    def is_live(self, now: datetime) -> bool:
        """Tell whether the code can still be used at ``now``."""
        return self.used_at is None and self.voided_at is None and now < self.expires_at

    def __repr__(self) -> str:
        return f"<PasswordResetCode {self.id} of user {self.user_id}>"
