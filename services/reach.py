"""Who we reach: bookings and attendance by grid and building, and the share of
households that took part in a month or quarter — for the organizers' dashboard and the
administrators' grid view (which buildings the programs don't reach).

A household is the people of one building, unit and room (someone who gave no room is a
household of their own). A household took part when anyone in it was checked in (present
or late) at an event in the period — a seat, a child's class, a volunteer shift, a walk-in.
The share is taken over the building's households as the community office counted them,
or, when it didn't, over the households known to Linli.

Bookings are confirmed places (seats and children's places; volunteer shifts are not
bookings here) at events in the period that weren't cancelled. People count where they
live now. Everything comes from three aggregate queries grouped by building (plus the
grids and buildings), whatever the number of residents.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa

from models import (
    ATTENDED_STATUSES, Attendance, Booking, BookingStatus, Building, Event, EventStatus, Grid, Residence, User, db,
)

from . import buildings as buildings_service
from .dates import local_datetime, to_local
from .no_shows import is_shift_booking

PERIODS = ("month", "last_month", "quarter", "last_quarter")


@dataclass(frozen=True)
class Period:
    key: str
    first_day: date
    end_day: date  # the day after the last

    @property
    def last_day(self) -> date:
        return self.end_day - timedelta(days=1)

    @property
    def since(self) -> datetime:
        return local_datetime(self.first_day, time(0, 0))

    @property
    def until(self) -> datetime:
        return local_datetime(self.end_day, time(0, 0))


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def period(key: str, *, now: datetime) -> Period:
    """This month, last month, this quarter or last quarter, in the community's calendar."""
    today = to_local(now).date()
    month = today.replace(day=1)
    quarter = date(today.year, (today.month - 1) // 3 * 3 + 1, 1)
    if key == "last_month":
        return Period(key, _add_months(month, -1), month)
    if key == "quarter":
        return Period(key, quarter, _add_months(quarter, 3))
    if key == "last_quarter":
        return Period(key, _add_months(quarter, -3), quarter)
    return Period("month", month, _add_months(month, 1))


@dataclass
class BuildingReach:
    """One building's figures for a period."""

    building: Building
    residents: int = 0
    known_households: int = 0
    bookings: int = 0
    attended: int = 0  # check-ins (a person at an event counts once per booking or walk-in)
    households_took_part: int = 0

    @property
    def households(self) -> int:
        """The households the share is taken over: the office's count, else those known."""
        return self.building.households if self.building.households is not None else self.known_households

    @property
    def share(self) -> float | None:
        return min(self.households_took_part / self.households, 1.0) if self.households else None

    @property
    def is_reached(self) -> bool:
        return self.households_took_part > 0


@dataclass
class GridReach:
    """One grid's buildings and their sums for a period."""

    grid: Grid
    buildings: list[BuildingReach] = field(default_factory=list)

    def _sum(self, name: str) -> int:
        return sum(getattr(b, name) for b in self.buildings)

    @property
    def residents(self) -> int:
        return self._sum("residents")

    @property
    def households(self) -> int:
        return self._sum("households")

    @property
    def bookings(self) -> int:
        return self._sum("bookings")

    @property
    def attended(self) -> int:
        return self._sum("attended")

    @property
    def households_took_part(self) -> int:
        return self._sum("households_took_part")

    @property
    def share(self) -> float | None:
        return min(self.households_took_part / self.households, 1.0) if self.households else None

    @property
    def unreached(self) -> list[BuildingReach]:
        return [b for b in self.buildings if not b.is_reached]


def _household_key():
    """SQL: the household a residence belongs to (see the module docstring)."""
    room_key = (
        sa.literal("r:") + sa.cast(Residence.building_id, sa.String) + sa.literal(":") + Residence.unit
        + sa.literal(":") + Residence.room
    )
    person_key = sa.literal("p:") + sa.cast(Residence.user_id, sa.String)
    return sa.case((Residence.room != "", room_key), else_=person_key)


def _in_period(since: datetime, until: datetime):
    return sa.and_(Event.status == EventStatus.SCHEDULED, Event.starts_at >= since, Event.starts_at < until)


def building_figures(buildings: Iterable[Building], *, since: datetime, until: datetime) -> dict[int, BuildingReach]:
    """The figures of the given buildings for ``[since, until)``, by building id (three
    aggregate queries)."""
    result = {b.id: BuildingReach(building=b) for b in buildings}
    ids = list(result)
    if not ids:
        return {}
    household = _household_key()
    for building_id, residents, households in db.session.execute(
        sa.select(Residence.building_id, sa.func.count(Residence.user_id), sa.func.count(sa.distinct(household)))
        .join(User, User.id == Residence.user_id)
        .where(Residence.building_id.in_(ids), User.is_active_account.is_(True))
        .group_by(Residence.building_id)
    ):
        result[building_id].residents, result[building_id].known_households = residents, households
    for building_id, bookings in db.session.execute(
        sa.select(Residence.building_id, sa.func.count(Booking.id))
        .join(Booking, Booking.user_id == Residence.user_id)
        .join(Event, Event.id == Booking.event_id)
        .where(
            Residence.building_id.in_(ids), Booking.status == BookingStatus.CONFIRMED, ~is_shift_booking(),
            _in_period(since, until),
        )
        .group_by(Residence.building_id)
    ):
        result[building_id].bookings = bookings
    for building_id, attended, households in db.session.execute(
        sa.select(Residence.building_id, sa.func.count(Attendance.id), sa.func.count(sa.distinct(household)))
        .join(Attendance, Attendance.user_id == Residence.user_id)
        .join(Event, Event.id == Attendance.event_id)
        .outerjoin(Booking, Booking.id == Attendance.booking_id)
        .where(
            Residence.building_id.in_(ids), Attendance.status.in_(ATTENDED_STATUSES), _in_period(since, until),
            # a booking cancelled after checking in no longer counts
            sa.or_(Attendance.booking_id.is_(None), Booking.status == BookingStatus.CONFIRMED),
        )
        .group_by(Residence.building_id)
    ):
        result[building_id].attended, result[building_id].households_took_part = attended, households
    return result


def reach(*, since: datetime, until: datetime, grids: list[Grid] | None = None) -> list[GridReach]:
    """Every grid (or the given ones) with its buildings' figures for ``[since, until)``,
    in the community's order, in a constant number of queries."""
    grids = buildings_service.grids() if grids is None else grids
    figures = building_figures([b for g in grids for b in g.buildings], since=since, until=until)
    return [GridReach(grid=g, buildings=[figures[b.id] for b in g.buildings if b.id in figures]) for g in grids]
