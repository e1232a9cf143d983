"""The community's holiday list, used by every recurring schedule (lecture terms, youth
terms, troupe rehearsals): the official public holidays of China with their make-up
working days (调休) from the ``chinesecalendar`` package, and the office's own closed
days (:class:`models.ClosedDay`).

The package knows the years the State Council has announced: each year's list is
published around November and reaches the package in a new release, so the year after
next is never known. For a year it doesn't know, only the office's own closed days are
skipped and :class:`HolidayList` names the year, so pages can say so.

A make-up working day is a Saturday or Sunday on which schools and offices work: a weekend
class or rehearsal that day would clash with school and work, so layouts leave it out by
default too (the organizer can hold it anyway).
"""
from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

import chinese_calendar
import sqlalchemy as sa
from chinese_calendar.constants import Holiday
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l

from models import ClosedDay, Event, EventStatus, User, db

from . import audit
from .dates import LOCAL_TZ, local_datetime, weekly_days
from .db import begin_write
from .errors import HolidayError

MAX_CLOSED_DAYS = 366


class DayKind(enum.Enum):
    """Why a day is left out of a schedule."""

    HOLIDAY = "holiday"  # an official day off (国庆节 …)
    WORKDAY = "workday"  # an official make-up working day on a weekend (调休上班)
    CLOSED = "closed"  # the community office is closed
    SKIPPED = "skipped"  # the organizer asked to leave it out


@dataclass(frozen=True)
class OfficialName:
    """An official holiday's name, read in the reader's language (the package has both)."""

    english: str
    chinese: str

    def __str__(self) -> str:
        return self.chinese if getattr(get_locale(), "language", "zh") == "zh" else self.english


@dataclass(frozen=True)
class DayOff:
    """One day a schedule leaves out by default, and why."""

    day: date
    kind: DayKind
    name: OfficialName | str = ""

    @property
    def reason(self):
        """Why the day is left out, as the organizer reads it."""
        if self.kind is DayKind.HOLIDAY:
            return _l("%(name)s (public holiday)", name=self.name)
        if self.kind is DayKind.WORKDAY:
            return _l("Make-up working day for %(name)s (调休): schools and offices work", name=self.name)
        if self.kind is DayKind.CLOSED:
            return _l("The community office is closed: %(name)s", name=self.name)
        return _l("Left out at your request")

    @property
    def can_be_held(self) -> bool:
        """Tell whether the organizer may hold the day anyway (their own skipped days are
        simply taken off the list instead)."""
        return self.kind is not DayKind.SKIPPED


@dataclass(frozen=True)
class HolidayList:
    """The days off between two days, and the years whose official list isn't known."""

    days_off: dict[date, DayOff] = field(default_factory=dict)
    unknown_years: tuple[int, ...] = ()


def _official_name(english: str) -> OfficialName:
    try:
        holiday = Holiday(english)
    except ValueError:  # a name the package's enum doesn't list: show it as it comes
        return OfficialName(english, english)
    return OfficialName(holiday.value, holiday.chinese)


@cache
def is_year_known(year: int) -> bool:
    """Tell whether the installed ``chinesecalendar`` knows the official holidays of ``year``."""
    try:
        chinese_calendar.get_holiday_detail(date(year, 1, 1))
    except NotImplementedError:
        return False
    return True


def official_day_off(day: date) -> DayOff | None:
    """The official holiday or make-up working day on ``day``, or None (also for a year the
    package doesn't know: check :func:`is_year_known`)."""
    if not is_year_known(day.year):
        return None
    is_holiday, name = chinese_calendar.get_holiday_detail(day)
    if name is None:
        return None  # an ordinary day, or an ordinary weekend
    if is_holiday:
        return DayOff(day, DayKind.HOLIDAY, _official_name(name))
    if day.weekday() >= 5:
        return DayOff(day, DayKind.WORKDAY, _official_name(name))
    return None


def closed_days_between(first: date, last: date) -> list[ClosedDay]:
    """The office's closed days that touch ``first … last``, earliest first."""
    return list(db.session.execute(
        sa.select(ClosedDay)
        .where(ClosedDay.first_day <= last, ClosedDay.last_day >= first)
        .order_by(ClosedDay.first_day, ClosedDay.id)
    ).scalars())


def days_off(first: date, last: date) -> HolidayList:
    """Every official holiday, make-up working day and office closed day from ``first`` to
    ``last`` (one query). A day that is both an official holiday and an office closed day
    reads as the holiday."""
    found: dict[date, DayOff] = {}
    for closed in closed_days_between(first, last):
        day = max(closed.first_day, first)
        while day <= min(closed.last_day, last):
            found.setdefault(day, DayOff(day, DayKind.CLOSED, closed.name))
            day += timedelta(days=1)
    unknown = []
    for year in range(first.year, last.year + 1):
        if not is_year_known(year):
            unknown.append(year)
            continue
        day = max(first, date(year, 1, 1))
        while day <= min(last, date(year, 12, 31)):
            official = official_day_off(day)
            if official is not None:
                found[day] = official
            day += timedelta(days=1)
    return HolidayList(days_off=found, unknown_years=tuple(unknown))


@dataclass(frozen=True)
class DayLayout:
    """The days a weekly schedule falls on: those to use, those left out and why, the days
    off held anyway, and the years whose official holidays aren't known yet."""

    days: list[date]
    skipped: list[DayOff]
    held: list[DayOff]
    unknown_years: tuple[int, ...]


def layout_days(
    first: date, last: date, weekdays, *, skip_days=frozenset(), include_days=frozenset(),
) -> DayLayout:
    """The chosen weekdays from ``first`` to ``last``, less the community's days off (unless
    in ``include_days``) and the organizer's ``skip_days``."""
    holidays = days_off(first, last)
    days, skipped, held = [], [], []
    for day in weekly_days(first, last, weekdays):
        if day in skip_days:
            skipped.append(DayOff(day, DayKind.SKIPPED))
        elif day in holidays.days_off and day not in include_days:
            skipped.append(holidays.days_off[day])
        else:
            days.append(day)
            if day in holidays.days_off:
                held.append(holidays.days_off[day])
    return DayLayout(days=days, skipped=skipped, held=held, unknown_years=holidays.unknown_years)


# --- what the admin page shows ------------------------------------------------------


@dataclass(frozen=True)
class OfficialPeriod:
    """One official holiday of a year: its days off and its make-up working days."""

    name: OfficialName
    days: list[date]
    workdays: list[date]


def official_periods(year: int) -> list[OfficialPeriod] | None:
    """The official holidays of ``year`` in order, or None when the package doesn't know it."""
    if not is_year_known(year):
        return None
    periods: dict[str, OfficialPeriod] = {}
    day = date(year, 1, 1)
    while day.year == year:
        official = official_day_off(day)
        if official is not None:
            key = official.name.english
            period = periods.setdefault(key, OfficialPeriod(official.name, [], []))
            (period.days if official.kind is DayKind.HOLIDAY else period.workdays).append(day)
        day += timedelta(days=1)
    return sorted(periods.values(), key=lambda p: min(p.days + p.workdays))


def closed_days_from(day: date) -> list[ClosedDay]:
    """The office's closed days that end on or after ``day``, earliest first."""
    return list(db.session.execute(
        sa.select(ClosedDay).where(ClosedDay.last_day >= day).order_by(ClosedDay.first_day, ClosedDay.id)
    ).scalars())


def events_on(first: date, last: date) -> list[Event]:
    """Scheduled events starting on the local days ``first … last``, soonest first."""
    return list(db.session.execute(
        sa.select(Event)
        .where(
            Event.status == EventStatus.SCHEDULED,
            Event.starts_at >= local_datetime(first, datetime.min.time()),
            Event.starts_at < local_datetime(last + timedelta(days=1), datetime.min.time()),
        )
        .order_by(Event.starts_at, Event.id)
    ).scalars())


def add_closed_days(first: date, last: date | None, name: str, *, actor: User | None, now: datetime) -> ClosedDay:
    """Close the office from ``first`` to ``last`` (one day when ``last`` is None): layouts
    made from now on leave those days out. Events already planned on them stay as they
    are (:func:`events_on` lists them).

    :raises HolidayError: when the days are backwards, over a year long, already past, or unnamed.
    """
    begin_write()
    last = last or first
    name = name.strip()
    if not name:
        raise HolidayError(_l("Please say why the office is closed."))
    if last < first:
        raise HolidayError(_l("The last day must not be before the first day."))
    if (last - first).days >= MAX_CLOSED_DAYS:
        raise HolidayError(_l("Closed days can cover at most one year at a time."))
    if last < now.astimezone(LOCAL_TZ).date():
        raise HolidayError(_l("These days are already past."))
    closed = ClosedDay(first_day=first, last_day=last, name=name[:80], created_by_id=actor.id if actor else None,
                       created_at=now)
    db.session.add(closed)
    db.session.flush()
    audit.record("holiday.add", actor=actor, now=now, subject_type="closed_days", subject_id=closed.id,
                 label=closed.name, after=audit.snapshot(closed, ("first_day", "last_day", "name")))
    return closed


def remove_closed_days(closed: ClosedDay, *, actor: User | None, now: datetime) -> None:
    """Open the office again on days it was to be closed; layouts made from now on use them.
    Events that were left out of earlier layouts are not added back."""
    begin_write()
    before = audit.snapshot(closed, ("first_day", "last_day", "name"))
    audit.record("holiday.remove", actor=actor, now=now, subject_type="closed_days", subject_id=closed.id,
                 label=closed.name, before=before)
    db.session.delete(closed)
    db.session.flush()
