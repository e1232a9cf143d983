"""The roster (名单) of an event: who is expected, what is known about them, and the
record of changes.

Who is expected at an event
    Everyone holding a confirmed booking whose ``event_id`` is the event, whatever its
    quota: the seats of a lecture, the slots of a volunteer role (岗位), the places of a
    youth class. A row's kind is read from the booking: a booking for a child is a
    child's place, a booking on the event's seat quota is a seat, a booking on any other
    quota of the event is a volunteer's shift. People expected *without* a booking (the
    members of a troupe at a rehearsal) come from the sources registered with
    :func:`register_expected_source`, one per program kind. Walk-ins added at the door
    are rows of their own.

What is known about them
    One :class:`~models.Attendance` row per booking (or per person, without a booking)
    holds the current status; every change adds an :class:`~models.AttendanceChange`
    through :func:`record_change`, and a roster shows the latest. Rosters load in a
    constant number of queries, whatever the number of people. Marking and checking in
    live in :mod:`services.attendance`, no-shows and the booking pause in
    :mod:`services.no_shows`; both write through :func:`record_change`.
"""
from __future__ import annotations

import enum
import hmac
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload, selectinload

from models import (
    ATTENDED_STATUSES, Attendance, AttendanceChange, AttendanceStatus, Booking, BookingStatus,
    CheckInMethod, Event, Program, ProgramKind, Role, User, db, program_organizers,
)

from .dates import local_datetime, to_local

CHANGES_SHOWN = 50


class RowKind(enum.Enum):
    """Why a person is on an event's roster."""

    SEAT = "seat"  # a seat booking
    VOLUNTEER = "volunteer"  # a volunteer's shift: a booking on another quota of the event
    CHILD = "child"  # a child's place booked by a parent
    MEMBER = "member"  # expected without a booking (a troupe member at a rehearsal)
    WALK_IN = "walk_in"  # came without a booking and was added at the door


STATUS_LABELS = {
    AttendanceStatus.PRESENT: _l("Present"),
    AttendanceStatus.LATE: _l("Late"),
    AttendanceStatus.ABSENT: _l("Absent"),
    AttendanceStatus.EXCUSED: _l("Excused"),
}
NOT_YET_LABEL = _l("Not checked in")
NO_SHOW_LABEL = _l("No-show")
KIND_LABELS = {
    RowKind.SEAT: _l("Seat"),
    RowKind.VOLUNTEER: _l("Volunteer"),
    RowKind.CHILD: _l("Child"),
    RowKind.MEMBER: _l("Member"),
    RowKind.WALK_IN: _l("Walk-in"),
}
METHOD_LABELS = {
    CheckInMethod.ORGANIZER: _l("marked by an organizer"),
    CheckInMethod.QR: _l("scanned the QR code"),
    CheckInMethod.TICKET: _l("ticket number"),
    CheckInMethod.WALK_IN: _l("added at the door"),
    CheckInMethod.AUTOMATIC: _l("recorded after the event"),
}


# --- who is expected ----------------------------------------------------------------

ExpectedSource = Callable[[list[Event]], Mapping[int, list[tuple[User, RowKind]]]]
_EXPECTED_SOURCES: dict[ProgramKind, ExpectedSource] = {}


def register_expected_source(kind: ProgramKind, source: ExpectedSource) -> None:
    """Declare who is expected *without a booking* at events of programs of ``kind``.

    ``source(events)`` gets events of that kind and returns, by event id, the people
    expected and the kind of their rows (e.g. troupe members at a rehearsal, as
    ``RowKind.MEMBER``). It must load them in a constant number of queries, whatever the
    number of events: rosters and exports promise that. Such people appear on the roster,
    can check themselves in by QR and are marked by organizers like anyone else; not
    coming isn't a no-show, since they booked nothing.
    """
    _EXPECTED_SOURCES[kind] = source


def expected_without_booking(events: Iterable[Event]) -> dict[int, list[tuple[User, RowKind]]]:
    """The people expected at each event without a booking, by event id."""
    by_kind: dict[ProgramKind, list[Event]] = {}
    for event in events:
        by_kind.setdefault(event.program.kind, []).append(event)
    expected: dict[int, list[tuple[User, RowKind]]] = {}
    for kind, kind_events in by_kind.items():
        source = _EXPECTED_SOURCES.get(kind)
        if source is not None:
            for event_id, people in source(kind_events).items():
                expected.setdefault(event_id, []).extend(people)
    return expected


def booking_kind(booking: Booking, event: Event) -> RowKind:
    """What a booking at ``event`` is for: a child's place, a seat or a volunteer's shift."""
    if getattr(booking, "child_id", None) is not None:  # youth programs: Booking.child_id
        return RowKind.CHILD
    if booking.quota_id == event.seat_quota_id:
        return RowKind.SEAT
    return RowKind.VOLUNTEER


def _booking_options():
    """Loader options for the bookings a roster shows: their people (and children); the
    people's roles, which a roster never shows, are not loaded."""
    options = [joinedload(Booking.user).lazyload(User.role_links)]
    if hasattr(Booking, "child"):  # youth programs: show the child's name on the row
        options.append(selectinload(Booking.child))
    return options

# --- what an organizer looks after ----------------------------------------------------------


def programs_organized_by(user: User) -> list[Program]:
    """The programs ``user`` organizes (every program for an administrator)."""
    query = sa.select(Program).order_by(Program.id)
    if not user.has_role(Role.ADMIN):
        query = query.join(program_organizers, program_organizers.c.program_id == Program.id).where(
            program_organizers.c.user_id == user.id
        )
    return list(db.session.execute(query).scalars())


def events_to_take(programs: Iterable[Program], *, now: datetime, days_back: int = 7,
                   days_ahead: int = 14) -> list[Event]:
    """The programs' events from ``days_back`` days ago to ``days_ahead`` days ahead, soonest first."""
    ids = [p.id for p in programs]
    if not ids:
        return []
    return list(
        db.session.execute(
            sa.select(Event)
            .where(
                Event.program_id.in_(ids),
                Event.ends_at >= now - timedelta(days=days_back),
                Event.starts_at <= now + timedelta(days=days_ahead),
            )
            .options(joinedload(Event.program), joinedload(Event.venue))
            .order_by(Event.starts_at, Event.id)
        ).scalars()
    )


def events_by_day(programs: Iterable[Program], first_day: date, last_day: date) -> dict[date, list[Event]]:
    """The programs' events from ``first_day`` to ``last_day`` (local days, both included),
    grouped by local day, soonest first (one query)."""
    ids = [p.id for p in programs]
    days: dict[date, list[Event]] = {}
    if not ids:
        return days
    rows = db.session.execute(
        sa.select(Event)
        .where(
            Event.program_id.in_(ids),
            Event.starts_at >= local_datetime(first_day, time(0)),
            Event.starts_at < local_datetime(last_day + timedelta(days=1), time(0)),
        )
        .options(joinedload(Event.program), joinedload(Event.venue))
        .order_by(Event.starts_at, Event.id)
    ).scalars()
    for event in rows:
        days.setdefault(to_local(event.starts_at).date(), []).append(event)
    return days


def checked_in_counts(event_ids: Iterable[int]) -> dict[int, int]:
    """How many people have checked in to each event (one aggregate query)."""
    ids = list(event_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Attendance.event_id, sa.func.count())
        .outerjoin(Booking, Booking.id == Attendance.booking_id)
        .where(
            Attendance.event_id.in_(ids), Attendance.status.in_(ATTENDED_STATUSES),
            # a booking cancelled after checking in no longer counts
            sa.or_(Attendance.booking_id.is_(None), Booking.status == BookingStatus.CONFIRMED),
        )
        .group_by(Attendance.event_id)
    )
    return {event_id: count for event_id, count in rows}


# --- the roster -----------------------------------------------------------------------


@dataclass
class RosterRow:
    """One person expected at (or come to) an event, and what is known about them."""

    key: str  # "b<booking id>" or "u<user id>": the row's anchor and its URL part
    user: User
    kind: RowKind
    booking: Booking | None = None
    attendance: Attendance | None = None
    counts_no_shows: bool = False  # the event ended and its attendance was taken

    @property
    def name(self) -> str:
        child = getattr(self.booking, "child", None) if self.booking is not None else None
        return child.name if child is not None else self.user.display_name

    @property
    def status(self) -> AttendanceStatus | None:
        return self.attendance.status if self.attendance is not None else None

    @property
    def has_attended(self) -> bool:
        return self.status in ATTENDED_STATUSES

    @property
    def is_no_show(self) -> bool:
        """A booked person who didn't come to an event that has ended."""
        return (
            self.booking is not None and self.counts_no_shows
            and self.status in (None, AttendanceStatus.ABSENT)
        )

    @property
    def can_excuse(self) -> bool:
        return self.booking is not None and (
            self.status is AttendanceStatus.ABSENT or self.is_no_show
        )

    @property
    def status_label(self):
        if self.is_no_show:
            return NO_SHOW_LABEL
        if self.status is None:
            return NOT_YET_LABEL
        return STATUS_LABELS[self.status]

    @property
    def status_class(self) -> str:
        """A CSS word for the status: present, late, absent, excused, no-show or none."""
        if self.is_no_show:
            return "no-show"
        return self.status.value if self.status is not None else "none"

    @property
    def kind_label(self):
        return KIND_LABELS[self.kind]

    @property
    def method_label(self):
        return METHOD_LABELS[self.attendance.method] if self.attendance is not None else ""

    @property
    def ticket_code(self) -> str:
        return self.booking.display_code if self.booking is not None else ""

    def matches(self, query: str) -> bool:
        """Tell whether the row matches a search: part of the name, or the phone's last digits."""
        query = (query or "").strip()
        if not query:
            return True
        if query.isdigit():
            return (self.user.has_phone and self.user.phone.endswith(query)) or (
                len(query) == 8 and query.isascii() and self.booking is not None and self.booking.ticket_code is not None
                and hmac.compare_digest(self.booking.ticket_code, query)
            )
        needle = query.casefold()
        return needle in self.name.casefold() or needle in self.user.display_name.casefold()


@dataclass
class RosterCounts:
    expected: int = 0
    present: int = 0
    late: int = 0
    absent: int = 0
    excused: int = 0
    no_shows: int = 0
    not_yet: int = 0
    walk_ins: int = 0

    @property
    def checked_in(self) -> int:
        return self.present + self.late


@dataclass
class Roster:
    """Everyone on an event's roster, the counts, and the latest changes."""

    event: Event
    rows: list[RosterRow]
    changes: list[AttendanceChange] = field(default_factory=list)
    is_taken: bool = False  # someone has checked in or been marked
    has_ended: bool = False

    @property
    def counts(self) -> RosterCounts:
        counts = RosterCounts(expected=len(self.rows))
        for row in self.rows:
            if row.kind is RowKind.WALK_IN and row.has_attended:
                counts.walk_ins += 1
            if row.is_no_show:
                counts.no_shows += 1
            elif row.status is None:
                counts.not_yet += 1
            else:
                setattr(counts, row.status.value, getattr(counts, row.status.value) + 1)
        return counts

    def row(self, key: str) -> RosterRow | None:
        return next((row for row in self.rows if row.key == key), None)

    def search(self, query: str) -> list[RosterRow]:
        return [row for row in self.rows if row.matches(query)]


def _is_taken(attendances: Iterable[Attendance]) -> bool:
    return any(a.method is not CheckInMethod.AUTOMATIC for a in attendances)


def _rows_for(
    event: Event, bookings: list[Booking], attendances: list[Attendance],
    expected: list[tuple[User, RowKind]], *, now: datetime,
) -> list[RosterRow]:
    """Assemble an event's roster rows from what was loaded (no queries)."""
    counts_no_shows = now >= event.ends_at and not event.is_cancelled and _is_taken(attendances)
    by_booking = {a.booking_id: a for a in attendances if a.booking_id is not None}
    by_person = {a.user_id: a for a in attendances if a.booking_id is None}
    rows = [
        RosterRow(
            key=f"b{b.id}", user=b.user, kind=booking_kind(b, event), booking=b,
            attendance=by_booking.get(b.id), counts_no_shows=counts_no_shows,
        )
        for b in bookings
    ]
    seen = set()
    for user, kind in expected:
        if user.id not in seen:
            seen.add(user.id)
            rows.append(RosterRow(key=f"u{user.id}", user=user, kind=kind, attendance=by_person.pop(user.id, None)))
    for attendance in by_person.values():  # walk-ins
        rows.append(RosterRow(key=f"u{attendance.user_id}", user=attendance.user, kind=RowKind.WALK_IN, attendance=attendance))
    rows.sort(key=lambda row: (row.name, row.key))
    return rows


def _confirmed_bookings(event_ids: list[int]) -> list[Booking]:
    if not event_ids:
        return []
    return list(
        db.session.execute(
            sa.select(Booking)
            .where(Booking.event_id.in_(event_ids), Booking.status == BookingStatus.CONFIRMED)
            .options(*_booking_options())
            .order_by(Booking.id)
        ).unique().scalars()
    )


def _attendances(event_ids: list[int]) -> list[Attendance]:
    if not event_ids:
        return []
    return list(
        db.session.execute(
            sa.select(Attendance)
            .where(Attendance.event_id.in_(event_ids))
            .options(
                joinedload(Attendance.user).lazyload(User.role_links),
                joinedload(Attendance.updated_by).lazyload(User.role_links),
            )
        ).unique().scalars()
    )


def roster(event: Event, *, now: datetime) -> Roster:
    """Everyone expected at ``event`` with their attendance, in a constant number of queries."""
    bookings = _confirmed_bookings([event.id])
    attendances = _attendances([event.id])
    expected = expected_without_booking([event]).get(event.id, [])
    changes = list(
        db.session.execute(
            sa.select(AttendanceChange)
            .where(AttendanceChange.event_id == event.id)
            .options(
                joinedload(AttendanceChange.actor).lazyload(User.role_links),
                joinedload(AttendanceChange.attendance).joinedload(Attendance.user).lazyload(User.role_links),
            )
            .order_by(AttendanceChange.changed_at.desc(), AttendanceChange.id.desc())
            .limit(CHANGES_SHOWN)
        ).unique().scalars()
    )
    return Roster(
        event=event, rows=_rows_for(event, bookings, attendances, expected, now=now),
        changes=changes, is_taken=_is_taken(attendances), has_ended=now >= event.ends_at,
    )


def rosters(events: list[Event], *, now: datetime) -> list[Roster]:
    """The rosters of many events (without their change logs), in a constant number of queries."""
    ids = [e.id for e in events]
    bookings, attendances = _confirmed_bookings(ids), _attendances(ids)
    expected = expected_without_booking(events)
    result = []
    for event in events:
        mine = [a for a in attendances if a.event_id == event.id]
        rows = _rows_for(
            event, [b for b in bookings if b.event_id == event.id], mine,
            expected.get(event.id, []), now=now,
        )
        result.append(Roster(event=event, rows=rows, is_taken=_is_taken(mine), has_ended=now >= event.ends_at))
    return result


# --- the record of changes ----------------------------------------------------------------


def record_change(attendance: Attendance, previous: AttendanceStatus | None, *, actor: User | None,
                  now: datetime, reason: str = "") -> None:
    """Add to the record that ``attendance`` changed from ``previous`` to its status now."""
    db.session.add(AttendanceChange(
        attendance=attendance, event_id=attendance.event_id, actor_id=actor.id if actor else None,
        from_status=previous, to_status=attendance.status, method=attendance.method,
        reason=reason, changed_at=now,
    ))


# --- attendance of bookings -------------------------------------------------------------------


def attendance_of_bookings(bookings: Iterable[Booking]) -> dict[int, Attendance]:
    """The attendance rows of the given bookings, keyed by booking id (one query)."""
    ids = [b.id for b in bookings]
    if not ids:
        return {}
    rows = db.session.execute(sa.select(Attendance).where(Attendance.booking_id.in_(ids))).scalars()
    return {row.booking_id: row for row in rows}


def attendance_taken_at(event_ids: Iterable[int]) -> set[int]:
    """Which of the events had their attendance taken (one query)."""
    ids = list(event_ids)
    if not ids:
        return set()
    return set(
        db.session.execute(
            sa.select(Attendance.event_id).where(
                Attendance.event_id.in_(ids), Attendance.method != CheckInMethod.AUTOMATIC
            ).distinct()
        ).scalars()
    )
