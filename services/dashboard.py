"""The organizers' dashboard: per program and month, what was held and who came.

Figures come from one aggregate query over the events of the period (one row per
event), grouped into months in Asia/Shanghai time here, so it works the same on SQLite
and PostgreSQL. Only events that have ended and were not cancelled count as held.
Seats and bookings are those of the events' seat quotas (a youth class's children's
places included); volunteers' shifts are counted as hours, not as bookings.

Rates are taken over the events whose attendance was taken: an event nobody checked in
says nothing about who came.

Volunteer hours come from the source registered with :func:`register_volunteer_minutes`
(the lecture team's served shifts); without one the dashboard shows "—".
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time

import sqlalchemy as sa
from sqlalchemy.orm import aliased

from models import (
    ATTENDED_STATUSES, Attendance, AttendanceStatus, Booking, BookingStatus, CheckInMethod, Event,
    EventStatus, Program, Quota, db,
)

from .dates import local_datetime, to_local

VolunteerMinutes = Callable[[list[int]], Mapping[int, int]]
_volunteer_minutes: VolunteerMinutes | None = None


def register_volunteer_minutes(source: VolunteerMinutes | None) -> None:
    """Declare where volunteer hours come from: ``source(event_ids)`` returns the minutes
    of service credited at each event, by event id, in one aggregate query. The lecture
    team registers its served shifts here; ``None`` removes the source."""
    global _volunteer_minutes
    _volunteer_minutes = source


@dataclass
class MonthFigures:
    """What one program did in one month."""

    month: date  # the first day of the month
    events_held: int = 0
    events_taken: int = 0  # events whose attendance was taken
    seats_offered: int = 0
    bookings: int = 0
    bookings_taken: int = 0  # bookings at events whose attendance was taken
    attended: int = 0
    no_shows: int = 0
    excused: int = 0
    walk_ins: int = 0
    volunteer_minutes: int | None = None

    @property
    def attendance_rate(self) -> float | None:
        return self.attended / self.bookings_taken if self.bookings_taken else None

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.bookings_taken if self.bookings_taken else None

    @property
    def volunteer_hours(self) -> float | None:
        return None if self.volunteer_minutes is None else round(self.volunteer_minutes / 60, 1)


@dataclass
class ProgramFigures:
    program: Program
    months: list[MonthFigures]

    @property
    def has_events(self) -> bool:
        return any(m.events_held for m in self.months)


def month_starts(now: datetime, months: int) -> list[date]:
    """The first days of the last ``months`` months up to the one of ``now`` (local time)."""
    today = to_local(now).date()
    year, month = today.year, today.month
    firsts = []
    for _ in range(months):
        firsts.append(date(year, month, 1))
        year, month = (year - 1, 12) if month == 1 else (year, month - 1)
    return list(reversed(firsts))


def _per_event(program_ids: list[int], since: datetime, now: datetime):
    """One row per held event: its program, start, seats and what happened to its bookings."""
    seat = sa.and_(Booking.quota_id == Event.seat_quota_id, Booking.status == BookingStatus.CONFIRMED)
    attended = sa.case((Attendance.status.in_(ATTENDED_STATUSES), 1), else_=0)
    missed = sa.case(
        (sa.or_(Attendance.id.is_(None), Attendance.status == AttendanceStatus.ABSENT), 1), else_=0
    )
    excused = sa.case((Attendance.status == AttendanceStatus.EXCUSED, 1), else_=0)
    bookings = (
        sa.select(
            Booking.event_id.label("event_id"),
            sa.func.count(Booking.id).label("booked"),
            sa.func.sum(attended).label("attended"),
            sa.func.sum(missed).label("missed"),
            sa.func.sum(excused).label("excused"),
        )
        .join(Event, Event.id == Booking.event_id)
        .outerjoin(Attendance, Attendance.booking_id == Booking.id)
        .where(seat, Event.program_id.in_(program_ids), Event.starts_at >= since)
        .group_by(Booking.event_id)
        .subquery()
    )
    people = aliased(Attendance)
    walk_ins = (
        sa.select(people.event_id.label("event_id"), sa.func.count(people.id).label("walk_ins"))
        .where(people.booking_id.is_(None), people.status.in_(ATTENDED_STATUSES))
        .group_by(people.event_id)
        .subquery()
    )
    marked = aliased(Attendance)
    taken = sa.exists().where(marked.event_id == Event.id, marked.method != CheckInMethod.AUTOMATIC)
    return db.session.execute(
        sa.select(
            Event.id, Event.program_id, Event.starts_at, Quota.capacity, taken.label("taken"),
            sa.func.coalesce(bookings.c.booked, 0), sa.func.coalesce(bookings.c.attended, 0),
            sa.func.coalesce(bookings.c.missed, 0), sa.func.coalesce(bookings.c.excused, 0),
            sa.func.coalesce(walk_ins.c.walk_ins, 0),
        )
        .join(Quota, Quota.id == Event.seat_quota_id)
        .outerjoin(bookings, bookings.c.event_id == Event.id)
        .outerjoin(walk_ins, walk_ins.c.event_id == Event.id)
        .where(
            Event.program_id.in_(program_ids), Event.status == EventStatus.SCHEDULED,
            Event.starts_at >= since, Event.ends_at <= now,
        )
    ).all()


def monthly_figures(programs: Iterable[Program], *, now: datetime, months: int = 6) -> list[ProgramFigures]:
    """Figures per program and month for the last ``months`` months, in two queries at most."""
    programs = list(programs)
    firsts = month_starts(now, months)
    result = {p.id: {first: MonthFigures(month=first) for first in firsts} for p in programs}
    if not programs:
        return []
    rows = _per_event([p.id for p in programs], local_datetime(firsts[0], time(0, 0)), now)
    minutes = _volunteer_minutes([row[0] for row in rows]) if _volunteer_minutes and rows else None
    for event_id, program_id, starts_at, seats, taken, booked, attended, missed, excused, walk_ins in rows:
        local = to_local(starts_at).date()
        figures = result[program_id][date(local.year, local.month, 1)]
        figures.events_held += 1
        figures.seats_offered += seats
        figures.bookings += booked
        figures.walk_ins += walk_ins
        if taken:
            figures.events_taken += 1
            figures.bookings_taken += booked
            figures.attended += attended
            figures.no_shows += missed
            figures.excused += excused
        if minutes is not None:
            figures.volunteer_minutes = (figures.volunteer_minutes or 0) + minutes.get(event_id, 0)
    if _volunteer_minutes is not None:
        for by_month in result.values():
            for figures in by_month.values():
                figures.volunteer_minutes = figures.volunteer_minutes or 0
    return [ProgramFigures(program=p, months=list(result[p.id].values())) for p in programs]
