"""The audit trail: who changed what in the running of the community, and when."""
from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime

if TYPE_CHECKING:
    from .program import Program
    from .user import User


class AuditEntry(db.Model):
    """One action of an administrator or organizer (or a command run on the server):
    what was done, to what, by whom and when, with the values before and after.

    Append-only: the ORM refuses to change or delete a row, and no page offers to.
    Written by :func:`services.audit.record` in the same transaction as the change, so
    an action that was rolled back leaves no entry and one that was committed always has one.
    """

    __tablename__ = "audit_entries"
    __table_args__ = (
        sa.Index("ix_audit_entries_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    # None for a command run on the server (create-admin, a cron job).
    actor_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # A dotted verb phrase, e.g. "program.create", "event.move", "user.deactivate".
    action: Mapped[str] = mapped_column(sa.String(60), index=True)
    # What it was done to: a table name and a row id (the row may since be gone).
    subject_type: Mapped[str] = mapped_column(sa.String(40))
    subject_id: Mapped[int | None] = mapped_column()
    # The program concerned, when there is one, so organizers' actions can be filtered by it.
    program_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("programs.id", ondelete="SET NULL"), index=True
    )
    # A short human reading of the subject at the time (its name or title), kept as text
    # so the entry still reads right after the subject is renamed.
    label: Mapped[str] = mapped_column(sa.String(200), default="")
    before: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(sa.JSON)

    actor: Mapped[User | None] = relationship()
    program: Mapped[Program | None] = relationship()

    def __repr__(self) -> str:
        return f"<AuditEntry {self.id} {self.action} {self.subject_type}:{self.subject_id}>"


@sa.event.listens_for(AuditEntry, "before_update")
@sa.event.listens_for(AuditEntry, "before_delete")
def _refuse_rewriting_the_trail(mapper, connection, target) -> None:
    raise RuntimeError("the audit trail is append-only")
