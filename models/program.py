"""Programs (lecture series, the lecture team, troupes, youth programs), their topic
series and the venues where their events happen."""
from __future__ import annotations

import enum
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, object_session, relationship

from . import db
from .types import UTCDateTime, enum_column

if TYPE_CHECKING:
    from .event import Event
    from .user import User


class ProgramKind(enum.Enum):
    """The four kinds of program the community runs."""

    LECTURE_SERIES = "lecture_series"  # 周三文史讲堂
    LECTURE_TEAM = "lecture_team"  # 蒲公英宣讲队
    TROUPE = "troupe"  # 文体队伍 / 民间艺术团体
    YOUTH = "youth"  # 青少年项目


program_organizers = sa.Table(
    "program_organizers",
    db.metadata,
    sa.Column("program_id", sa.ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("user_id", sa.ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
)


class Program(db.Model):
    """Something the community runs, with organizers and dated events."""

    __tablename__ = "programs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[ProgramKind] = mapped_column(enum_column(ProgramKind), index=True)
    slug: Mapped[str] = mapped_column(sa.String(60), unique=True)
    name: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    # Who residents ask about it, in the office's words (e.g. 李老师 138 0000 0001).
    contact: Mapped[str] = mapped_column(sa.String(120), default="", server_default="")
    # The colour its pages and cards are marked with ("#a61b1b"); empty: the site's own.
    cover_colour: Mapped[str] = mapped_column(sa.String(7), default="", server_default="")
    # Defaults for the booking window of new events (a lecture program's terms): booking
    # opens this many days before the start (None: as soon as the event is published)
    # and closes this many minutes before it.
    booking_opens_days_before: Mapped[int | None] = mapped_column()
    booking_closes_minutes_before: Mapped[int] = mapped_column(default=60, server_default="60")
    # An archived program is hidden from residents' lists, pages and feeds; its events,
    # bookings and attendance stay (see services.programs.archive_program).
    archived_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    organizers: Mapped[list[User]] = relationship(secondary=program_organizers)
    series: Mapped[list[Series]] = relationship(
        back_populates="program", order_by="Series.position", cascade="all, delete-orphan"
    )
    events: Mapped[list[Event]] = relationship(back_populates="program")

    @property
    def is_archived(self) -> bool:
        return self.archived_at is not None

    @classmethod
    def is_listed(cls):
        """SQL condition: the program is shown to residents (not archived)."""
        return cls.archived_at.is_(None)

    @property
    def current_series(self) -> list[Series]:
        """The topic series offered for new events and as filters (retired ones left out)."""
        return [series for series in self.series if series.retired_at is None]

    def is_organized_by(self, user: User) -> bool:
        """Tell whether ``user`` may manage this program (its organizers and admins).

        Asks the database one EXISTS question rather than loading every organizer.
        """
        from .user import Role

        if not getattr(user, "is_authenticated", False):
            return False
        if user.has_role(Role.ADMIN):
            return True
        if not user.has_role(Role.ORGANIZER):
            return False
        if "organizers" in self.__dict__:  # already loaded: no query needed
            return any(o.id == user.id for o in self.organizers)
        query = sa.select(
            sa.exists().where(
                program_organizers.c.program_id == self.id, program_organizers.c.user_id == user.id
            )
        )
        return bool(object_session(self).execute(query).scalar())

    def __repr__(self) -> str:
        return f"<Program {self.slug}>"


class Series(db.Model):
    """A topic series (专题) within a program, e.g. 齐国故城系 in the Wednesday lectures."""

    __tablename__ = "series"
    __table_args__ = (sa.UniqueConstraint("program_id", "slug", name="uq_series_program_slug"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    program_id: Mapped[int] = mapped_column(sa.ForeignKey("programs.id", ondelete="CASCADE"))
    slug: Mapped[str] = mapped_column(sa.String(60))
    name: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str] = mapped_column(sa.Text, default="")
    position: Mapped[int] = mapped_column(default=0)
    # A retired series keeps its past events but is offered for no new ones and shown as
    # no filter.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    program: Mapped[Program] = relationship(back_populates="series")

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def __repr__(self) -> str:
        return f"<Series {self.slug}>"


class Venue(db.Model):
    """A place where events happen, e.g. 社区文化服务中心 or 城市书房."""

    __tablename__ = "venues"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(80), unique=True)
    # Where it is: the building, the floor, the room (e.g. 文化服务中心 2 楼 201).
    address: Mapped[str] = mapped_column(sa.String(200), default="")
    # How many people it seats: the default capacity of events held there (None: not known).
    seats: Mapped[int | None] = mapped_column()
    # Getting in: stairs, a lift, a ramp, which door is open in the evening.
    access_notes: Mapped[str] = mapped_column(sa.String(300), default="", server_default="")
    # A venue no longer used is retired, not deleted: past events still name it.
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def is_retired(self) -> bool:
        return self.retired_at is not None

    def __repr__(self) -> str:
        return f"<Venue {self.name}>"
