"""Events for a group: who may see and book an event that isn't open to everyone."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .neighbourhood import Grid
    from .program import Program


class AudienceKind(enum.Enum):
    BUILDING_LEADERS = "building_leaders"  # every building leader (e.g. a training for 楼长)
    GRID = "grid"  # the residents of one grid (and its leaders and workers)
    TROUPE = "troupe"  # the members of one troupe (and its leader)


class EventAudience(db.Model):
    """The group an event is for. An event without a row is open to everyone; with one,
    only the group (and the program's organizers) see it in lists and feeds and can
    book it."""

    __tablename__ = "event_audiences"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'building_leaders' AND grid_id IS NULL AND program_id IS NULL)"
            " OR (kind = 'grid' AND grid_id IS NOT NULL AND program_id IS NULL)"
            " OR (kind = 'troupe' AND program_id IS NOT NULL AND grid_id IS NULL)",
            name="names_its_group",
        ),
    )

    event_id: Mapped[int] = mapped_column(sa.ForeignKey("events.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[AudienceKind] = mapped_column(enum_column(AudienceKind))
    grid_id: Mapped[int | None] = mapped_column(sa.ForeignKey("grids.id", ondelete="CASCADE"), index=True)
    program_id: Mapped[int | None] = mapped_column(sa.ForeignKey("programs.id", ondelete="CASCADE"), index=True)
    set_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grid: Mapped[Grid | None] = relationship()
    program: Mapped[Program | None] = relationship()

    def __repr__(self) -> str:
        return f"<EventAudience {self.event_id} {self.kind.value}>"
