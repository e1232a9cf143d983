"""Youth programs (青少年项目): the children parents book places for, and each program's
age range."""
from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from . import db
from .types import UTCDateTime, enum_column, utcnow

if TYPE_CHECKING:
    from .program import Program
    from .user import User

OLDEST_AGE = 18


class Gender(enum.Enum):
    GIRL = "girl"
    BOY = "boy"


def age_on(born_on: date, day: date) -> int:
    """Whole years from ``born_on`` to ``day`` (周岁). In a common year a 29 February
    birthday is reached on 1 March."""
    return day.year - born_on.year - ((day.month, day.day) < (born_on.month, born_on.day))


# Two-character family names common enough to recognise in a child's name.
COMPOUND_SURNAMES = frozenset({"欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "夏侯", "长孙", "宇文", "司徒", "端木", "西门", "南宫"})


# What an erased child's name reads as, in class lists, rosters and exports.
ANONYMOUS_CHILD_NAME = "（已匿名）"


class Child(db.Model):
    """A parent's child, booked into youth programs. Removing a child keeps the row (past
    class lists still name them) but hides it from the parent and from booking."""

    __tablename__ = "children"

    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int] = mapped_column(sa.ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(sa.String(20))
    born_on: Mapped[date] = mapped_column(sa.Date)
    gender: Mapped[Gender | None] = mapped_column(enum_column(Gender))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # When the child's name was erased (no class for a long time, or the parent's account
    # was deleted): the name is then ANONYMOUS_NAME and the birthday only its year.
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    parent: Mapped[User] = relationship()

    @property
    def first_name(self) -> str:
        """The name a calendar shows: the given name without the family name — the first
        word of a spaced name, or a Chinese name of three or more characters without its
        first character (two for a compound surname such as 欧阳). Two-character names
        (小明, or a surname and a one-character given name) can't be told apart, so they
        are shown as entered."""
        name = self.name.strip()
        if self.is_anonymized:
            return name
        if " " in name:
            return name.split()[0]
        if len(name) >= 3:
            return name[2:] if name[:2] in COMPOUND_SURNAMES else name[1:]
        return name

    def age_on(self, day: date) -> int:
        """The child's age in whole years on ``day``."""
        return age_on(self.born_on, day)

    @property
    def is_removed(self) -> bool:
        return self.removed_at is not None

    @property
    def is_anonymized(self) -> bool:
        return self.anonymized_at is not None

    def __repr__(self) -> str:
        return f"<Child {self.id}>"


class YouthRules(db.Model):
    """Who a youth program takes: an age range, checked on each class's date, and whether
    a parent comes along (then a booking holds two places: the child's and the parent's)."""

    __tablename__ = "youth_rules"
    __table_args__ = (
        sa.CheckConstraint(
            f"min_age >= 0 AND min_age <= max_age AND max_age <= {OLDEST_AGE}", name="sane_ages"
        ),
    )

    program_id: Mapped[int] = mapped_column(
        sa.ForeignKey("programs.id", ondelete="CASCADE"), primary_key=True
    )
    min_age: Mapped[int] = mapped_column(default=0)
    max_age: Mapped[int] = mapped_column(default=OLDEST_AGE)
    parent_attends: Mapped[bool] = mapped_column(default=False)

    program: Mapped[Program] = relationship()

    @property
    def places(self) -> int:
        """Places one booking takes: the child, and the parent when one comes along."""
        return 2 if self.parent_attends else 1

    def __repr__(self) -> str:
        return f"<YouthRules {self.program_id} {self.min_age}-{self.max_age}>"
