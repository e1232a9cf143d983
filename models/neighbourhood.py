"""Where people live: grids (网格), their buildings (楼栋), the building leaders (红色楼长)
and grid workers (网格员) who look after them, each person's home, and the neighbours
without a phone whom a leader books for."""
from __future__ import annotations

import re
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, utcnow

if TYPE_CHECKING:
    from .user import User


def natural_key(text: str) -> tuple:
    """Sort key that puts 2号楼 before 10号楼: runs of digits compare as numbers."""
    return tuple(int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text or ""))


class Grid(db.Model):
    """A grid (精微网格): a few buildings with their leaders and grid workers. The community
    numbers them (1 … 198); a name is optional."""

    __tablename__ = "grids"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(20), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80), default="", server_default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    buildings: Mapped[list[Building]] = relationship(back_populates="grid", order_by="Building.id")

    @property
    def sort_key(self) -> tuple:
        return natural_key(self.number)

    def __repr__(self) -> str:
        return f"<Grid {self.number}>"


class Building(db.Model):
    """A building (楼栋) in a grid, with the number of households living in it when the
    community office knows it (the dashboard's share of households reached uses it)."""

    __tablename__ = "buildings"
    __table_args__ = (
        sa.UniqueConstraint("grid_id", "name", name="uq_buildings_grid_name"),
        sa.CheckConstraint("households IS NULL OR households >= 0", name="households_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    grid_id: Mapped[int] = mapped_column(sa.ForeignKey("grids.id"), index=True)
    name: Mapped[str] = mapped_column(sa.String(40))
    households: Mapped[int | None] = mapped_column()
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grid: Mapped[Grid] = relationship(back_populates="buildings")

    @property
    def sort_key(self) -> tuple:
        return (natural_key(self.grid.number), natural_key(self.name), self.id)

    def __repr__(self) -> str:
        return f"<Building {self.id} {self.name}>"


class BuildingLeader(db.Model):
    """A building leader (红色楼长) of one building; a building may have several."""

    __tablename__ = "building_leaders"

    building_id: Mapped[int] = mapped_column(
        sa.ForeignKey("buildings.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    building: Mapped[Building] = relationship()
    user: Mapped[User] = relationship()


class GridWorker(db.Model):
    """A grid worker (网格员) responsible for one grid; a grid may have several."""

    __tablename__ = "grid_workers"

    grid_id: Mapped[int] = mapped_column(sa.ForeignKey("grids.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    grid: Mapped[Grid] = relationship()
    user: Mapped[User] = relationship()


class Residence(db.Model):
    """Where one person lives: a building from the list (never typed), and optionally the
    unit (单元) and room (室). One row per person; none when they haven't said."""

    __tablename__ = "residences"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    building_id: Mapped[int] = mapped_column(sa.ForeignKey("buildings.id"), index=True)
    unit: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    room: Mapped[str] = mapped_column(sa.String(10), default="", server_default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    user: Mapped[User] = relationship()
    building: Mapped[Building] = relationship()

    @property
    def household_key(self) -> tuple:
        """One household: the same building, unit and room; without a room, the person alone."""
        if self.room:
            return (self.building_id, self.unit, self.room)
        return ("person", self.user_id)

    def __repr__(self) -> str:
        return f"<Residence {self.user_id} in {self.building_id}>"


class OfflineResident(db.Model):
    """A neighbour without a login whom a building leader added and books for (无手机居民).

    The person is a :class:`User` like anyone else — bookings, tickets and check-in work
    unchanged — whose account nobody can log in to (an unclaimed password) and whose
    ``phone`` is a placeholder unless a number was given (``NO_PHONE_PREFIX``). This row
    records who added them and the consent they gave: the statement as the leader saw
    it, ticked, and when. When the person later has an account of their own, an
    administrator merges this one into it (``merged_into_id``)."""

    __tablename__ = "offline_residents"

    user_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    added_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"), index=True)
    consent_statement: Mapped[str] = mapped_column(sa.String(300))
    consent_at: Mapped[datetime] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(sa.String(200), default="", server_default="")
    merged_into_id: Mapped[int | None] = mapped_column(sa.ForeignKey("users.id", ondelete="SET NULL"))
    merged_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    user: Mapped[User] = relationship(foreign_keys=[user_id])
    added_by: Mapped[User | None] = relationship(foreign_keys=[added_by_id])
    merged_into: Mapped[User | None] = relationship(foreign_keys=[merged_into_id])

    @property
    def is_merged(self) -> bool:
        return self.merged_into_id is not None

    def __repr__(self) -> str:
        return f"<OfflineResident {self.user_id}>"
