"""Attendance (出勤): the roster of an event, checking people in, no-shows and the pause
they bring.

Who is expected at an event
    Everyone holding a confirmed booking whose ``event_id`` is the event, whatever its
    quota: the seats of a lecture, the slots of a volunteer role (岗位), the places of a
    youth class. A row's kind is read from the booking: a booking for a child is a
    child's place, a booking on the event's seat quota is a seat, a booking on any other
    quota of the event is a volunteer's shift. People expected *without* a booking (the
    members of a troupe at a rehearsal) come from the sources registered with
    :func:`register_expected_source`, one per program kind. Walk-ins added at the door
    are rows of their own.

Checking in
    One :class:`~models.Attendance` row per booking (or per person, without a booking)
    holds the current status; every change adds an :class:`~models.AttendanceChange`.
    Writes begin with ``begin_write()``; the unique constraints make a second check-in
    of the same person find the first row instead of adding one, so checking in twice
    is harmless. Self check-in (QR) is open from ``CHECKIN_OPENS_BEFORE`` before the
    start until the end; organizers may take and correct attendance from the same
    moment on, also after the end.

No-shows (爽约)
    A confirmed booking at an event that has ended, was not cancelled, and whose
    attendance was taken (an organizer or a resident checked someone in or marked
    someone) is a no-show unless its row says present, late or excused. Events whose
    roster nobody touched produce no no-shows: nobody can tell who came. The rule is
    read straight from the data, so nothing waits for a job to run; ``mark_no_shows``
    writes the absences down (method ``automatic``) for the record, lazily whenever an
    ended event's attendance is changed, and from ``flask --app app mark-no-shows``.

The booking pause
    Missing ``NO_SHOW_LIMIT`` events within ``NO_SHOW_WINDOW_DAYS`` (a missed event
    counts for that many days after it ended; one that ended exactly that long ago no
    longer counts) pauses booking for ``NO_SHOW_PAUSE_DAYS`` from the end of the event
    that reached the limit. Excusing a no-show takes it out of the count, which lifts
    a pause the count no longer reaches. Missed volunteer shifts don't count (the lecture
    team records them as its own no-shows).
"""
from __future__ import annotations

import enum
import unicodedata
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, joinedload, selectinload

from models import (
    ATTENDED_STATUSES, Attendance, AttendanceChange, AttendanceStatus, Booking, BookingStatus,
    CheckInMethod, Event, EventStatus, Program, ProgramKind, Role, ShiftRole, User, db, program_organizers,
)

from . import accounts
from .db import begin_write
from .errors import (
    AttendanceError, BookingPaused, CheckInCancelled, CheckInClosed, CheckInNotOpen, NoBookingToCheckIn,
    NotAnAbsence, NotOnRoster, TicketNotConfirmed, TicketNotFound,
)

CHECKIN_OPENS_BEFORE = timedelta(minutes=30)
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
# What an organizer can tap on a roster row.
MARKABLE = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.ABSENT)


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


# --- when -----------------------------------------------------------------------------


def checkin_opens_at(event: Event) -> datetime:
    """When check-in for ``event`` opens: half an hour before the start."""
    return event.starts_at - CHECKIN_OPENS_BEFORE


def self_checkin_refusal(event: Event, now: datetime) -> AttendanceError | None:
    """Why a resident can't check in to ``event`` by QR at ``now``, or None when they can."""
    if event.is_cancelled:
        return CheckInCancelled()
    if now < checkin_opens_at(event):
        return CheckInNotOpen(when=checkin_opens_at(event))
    if now >= event.ends_at:
        return CheckInClosed()
    return None


def roster_refusal(event: Event, now: datetime) -> AttendanceError | None:
    """Why organizers can't take attendance of ``event`` at ``now`` yet, or None.

    Unlike self check-in there is no end: organizers may correct attendance afterwards.
    """
    if event.is_cancelled:
        return CheckInCancelled()
    if now < checkin_opens_at(event):
        return CheckInNotOpen(when=checkin_opens_at(event))
    return None


def _ensure(refusal: AttendanceError | None) -> None:
    if refusal is not None:
        raise refusal


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
            return self.user.phone.endswith(query) or (
                len(query) == 8 and self.booking is not None and self.booking.ticket_code == query
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


# --- writing attendance -----------------------------------------------------------------


@dataclass
class Marked:
    """What a check-in or mark did: the row, whether it changed, and its roster key."""

    attendance: Attendance
    changed: bool
    key: str
    name: str = ""


def _find_row(event_id: int, *, booking_id: int | None, user_id: int) -> Attendance | None:
    query = sa.select(Attendance).where(Attendance.event_id == event_id)
    if booking_id is not None:
        query = query.where(Attendance.booking_id == booking_id)
    else:
        query = query.where(Attendance.booking_id.is_(None), Attendance.user_id == user_id)
    return db.session.execute(query.execution_options(populate_existing=True)).scalar_one_or_none()


def _record(attendance: Attendance, previous: AttendanceStatus | None, *, actor: User | None,
            now: datetime, reason: str = "") -> None:
    db.session.add(AttendanceChange(
        attendance=attendance, event_id=attendance.event_id, actor_id=actor.id if actor else None,
        from_status=previous, to_status=attendance.status, method=attendance.method,
        reason=reason, changed_at=now,
    ))


def _apply(attendance: Attendance, status: AttendanceStatus, *, method: CheckInMethod,
           actor: User | None, now: datetime, reason: str = "") -> bool:
    """Give an existing row a new status, recording the change; tell whether it changed."""
    previous = attendance.status
    if previous is status and (status is not AttendanceStatus.EXCUSED or attendance.excuse_reason == reason):
        return False
    if status in ATTENDED_STATUSES:
        if previous not in ATTENDED_STATUSES:
            attendance.checked_in_at = now
    else:
        attendance.checked_in_at = None
    attendance.status = status
    attendance.method = method
    attendance.excuse_reason = reason if status is AttendanceStatus.EXCUSED else ""
    attendance.updated_at = now
    attendance.updated_by_id = actor.id if actor else None
    _record(attendance, previous, actor=actor, now=now, reason=reason)
    return True


def _set_status(
    event: Event, *, booking: Booking | None, user_id: int, status: AttendanceStatus,
    method: CheckInMethod, actor: User | None, now: datetime, reason: str = "",
    keep_attended: bool = False,
) -> tuple[Attendance, bool]:
    """Create or update the attendance row of a booking (or of a person without one).

    With ``keep_attended`` a row already present or late stays as it is: checking in
    twice changes nothing.
    """
    booking_id = booking.id if booking is not None else None
    row = _find_row(event.id, booking_id=booking_id, user_id=user_id)
    if row is None:
        row = Attendance(
            event_id=event.id, booking_id=booking_id, user_id=user_id, status=status, method=method,
            checked_in_at=now if status in ATTENDED_STATUSES else None,
            excuse_reason=reason if status is AttendanceStatus.EXCUSED else "",
            created_at=now, updated_at=now, updated_by_id=actor.id if actor else None,
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            # Someone else wrote this row between our look and our insert: use theirs.
            row = _find_row(event.id, booking_id=booking_id, user_id=user_id)
            if row is None:
                raise
        else:
            _record(row, None, actor=actor, now=now, reason=reason)
            db.session.flush()
            return row, True
    if keep_attended and row.status in ATTENDED_STATUSES:
        return row, False
    changed = _apply(row, status, method=method, actor=actor, now=now, reason=reason)
    db.session.flush()
    return row, changed


def _roster_booking(event: Event, booking_id: int) -> Booking:
    booking = db.session.get(Booking, booking_id)
    if booking is None or booking.event_id != event.id or booking.status is not BookingStatus.CONFIRMED:
        raise NotOnRoster()
    return booking


def _settle(event: Event, now: datetime) -> None:
    """Write down the no-shows of an ended event before its attendance changes."""
    if now >= event.ends_at:
        mark_no_shows(now=now, event_ids=[event.id])


def mark_booking(event: Event, booking_id: int, status: AttendanceStatus, *, actor: User,
                 now: datetime) -> Marked:
    """An organizer marks the holder of a booking present, late or absent.

    :raises NotOnRoster: when the booking isn't a confirmed booking of ``event``.
    :raises CheckInNotOpen, CheckInCancelled: before check-in opens or at a cancelled event.
    """
    begin_write()
    _ensure(roster_refusal(event, now))
    booking = _roster_booking(event, booking_id)
    _settle(event, now)
    row, changed = _set_status(
        event, booking=booking, user_id=booking.user_id, status=status,
        method=CheckInMethod.ORGANIZER, actor=actor, now=now,
    )
    return Marked(row, changed, f"b{booking.id}", booking.user.display_name)


def mark_person(event: Event, user_id: int, status: AttendanceStatus, *, actor: User,
                now: datetime) -> Marked:
    """An organizer marks someone without a booking (a walk-in, a troupe member).

    :raises NotOnRoster: when the person is neither expected nor already on the roster.
    :raises CheckInNotOpen, CheckInCancelled: before check-in opens or at a cancelled event.
    """
    begin_write()
    _ensure(roster_refusal(event, now))
    row = _find_row(event.id, booking_id=None, user_id=user_id)
    expected = {user.id for user, _kind in expected_without_booking([event]).get(event.id, [])}
    if row is None and user_id not in expected:
        raise NotOnRoster()
    row, changed = _set_status(
        event, booking=None, user_id=user_id, status=status,
        method=row.method if row is not None and row.method is CheckInMethod.WALK_IN else CheckInMethod.ORGANIZER,
        actor=actor, now=now,
    )
    return Marked(row, changed, f"u{user_id}", row.user.display_name)


def normalize_ticket_code(raw: str) -> str:
    """The digits of a typed ticket number: spaces, dashes and full-width digits allowed."""
    text = unicodedata.normalize("NFKC", raw or "")
    return "".join(ch for ch in text if not ch.isspace() and ch not in "-–—")


def check_in_ticket(event: Event, code: str, *, actor: User, now: datetime) -> Marked:
    """Check in the holder of the booking with ticket number ``code`` (8 digits).

    Checking in someone already present or late changes nothing.

    :raises TicketNotFound: when no booking of ``event`` has this number.
    :raises TicketNotConfirmed: when the booking is waiting or cancelled.
    :raises CheckInNotOpen, CheckInCancelled: before check-in opens or at a cancelled event.
    """
    begin_write()
    _ensure(roster_refusal(event, now))
    booking = db.session.execute(
        sa.select(Booking).where(Booking.ticket_code == code, Booking.event_id == event.id)
        .options(joinedload(Booking.user))
    ).scalar_one_or_none()
    shown = f"{code[:4]} {code[4:]}"
    if booking is None:
        raise TicketNotFound(code=shown)
    if booking.status is not BookingStatus.CONFIRMED:
        raise TicketNotConfirmed(code=shown, name=booking.user.display_name)
    _settle(event, now)
    row, changed = _set_status(
        event, booking=booking, user_id=booking.user_id, status=AttendanceStatus.PRESENT,
        method=CheckInMethod.TICKET, actor=actor, now=now, keep_attended=True,
    )
    return Marked(row, changed, f"b{booking.id}", booking.user.display_name)


def check_in_self(event: Event, user: User, *, now: datetime) -> list[Marked]:
    """A resident who scanned the check-in code checks in: every confirmed booking they
    hold at ``event`` (their seat, a shift, their children's places), or their place as
    an expected member, becomes present. Checking in twice changes nothing.

    :raises NoBookingToCheckIn: when they hold no confirmed booking and aren't expected.
    :raises CheckInNotOpen, CheckInClosed, CheckInCancelled: outside the check-in window.
    """
    begin_write()
    _ensure(self_checkin_refusal(event, now))
    bookings = db.session.execute(
        sa.select(Booking).where(
            Booking.event_id == event.id, Booking.user_id == user.id,
            Booking.status == BookingStatus.CONFIRMED,
        ).order_by(Booking.id)
    ).scalars().all()
    expected = any(u.id == user.id for u, _kind in expected_without_booking([event]).get(event.id, []))
    if not bookings and not expected:
        raise NoBookingToCheckIn()
    marked = []
    for booking in bookings:
        row, changed = _set_status(
            event, booking=booking, user_id=user.id, status=AttendanceStatus.PRESENT,
            method=CheckInMethod.QR, actor=user, now=now, keep_attended=True,
        )
        marked.append(Marked(row, changed, f"b{booking.id}", user.display_name))
    if expected:
        row, changed = _set_status(
            event, booking=None, user_id=user.id, status=AttendanceStatus.PRESENT,
            method=CheckInMethod.QR, actor=user, now=now, keep_attended=True,
        )
        marked.append(Marked(row, changed, f"u{user.id}", user.display_name))
    return marked


@dataclass(frozen=True)
class SelfCheckIn:
    """What a resident who scanned the code sees: can they check in, or are they done?"""

    refusal: AttendanceError | None  # why they can't, or None
    attended: list[Attendance]  # their rows already present or late
    can_check_in: bool


def self_checkin_state(event: Event, user: User, *, now: datetime) -> SelfCheckIn:
    """Tell a resident who scanned the code where they stand (reads only)."""
    bookings = db.session.execute(
        sa.select(Booking.id).where(
            Booking.event_id == event.id, Booking.user_id == user.id,
            Booking.status == BookingStatus.CONFIRMED,
        )
    ).scalars().all()
    rows = db.session.execute(
        sa.select(Attendance).where(Attendance.event_id == event.id, Attendance.user_id == user.id)
    ).scalars().all()
    attended = [r for r in rows if r.has_attended and (r.booking_id is None or r.booking_id in bookings)]
    expected = any(u.id == user.id for u, _kind in expected_without_booking([event]).get(event.id, []))
    refusal = self_checkin_refusal(event, now)
    if refusal is None and not bookings and not expected:
        refusal = NoBookingToCheckIn()
    pending = len(bookings) + (1 if expected else 0) > len(attended)
    return SelfCheckIn(refusal=refusal, attended=attended, can_check_in=refusal is None and pending)


def add_walk_in(event: Event, *, name: str, phone: str, actor: User, now: datetime) -> Marked:
    """Check in someone who came without a booking, found by mobile number.

    A known number is that resident: if they do hold a confirmed booking, the booking is
    checked in. An unknown number gets a new resident account without a usable password
    (see :func:`services.accounts.create_unclaimed_account`), so the person is counted
    and can register with the number later to use the account.

    :raises CheckInNotOpen, CheckInCancelled: before check-in opens or at a cancelled event.
    """
    begin_write()
    _ensure(roster_refusal(event, now))
    _settle(event, now)
    user = accounts.find_by_phone(phone)
    if user is None:
        user = accounts.create_unclaimed_account(phone=phone, display_name=name, now=now)
    booking = db.session.execute(
        sa.select(Booking).where(
            Booking.event_id == event.id, Booking.user_id == user.id,
            Booking.status == BookingStatus.CONFIRMED,
        ).order_by(Booking.id).limit(1)
    ).scalar_one_or_none()
    if booking is not None:
        row, changed = _set_status(
            event, booking=booking, user_id=user.id, status=AttendanceStatus.PRESENT,
            method=CheckInMethod.ORGANIZER, actor=actor, now=now, keep_attended=True,
        )
        return Marked(row, changed, f"b{booking.id}", user.display_name)
    expected = any(u.id == user.id for u, _kind in expected_without_booking([event]).get(event.id, []))
    row, changed = _set_status(
        event, booking=None, user_id=user.id, status=AttendanceStatus.PRESENT,
        method=CheckInMethod.ORGANIZER if expected else CheckInMethod.WALK_IN,
        actor=actor, now=now, keep_attended=True,
    )
    return Marked(row, changed, f"u{user.id}", user.display_name)


def excuse(event: Event, booking_id: int, reason: str, *, actor: User, now: datetime) -> Marked:
    """Excuse the absence or no-show of a booking's holder, with a reason for the record.

    An excused absence isn't a no-show, so this can lift a booking pause.

    :raises NotAnAbsence: when the person is present, late, or not yet marked before the end.
    :raises NotOnRoster: when the booking isn't a confirmed booking of ``event``.
    """
    begin_write()
    _ensure(roster_refusal(event, now))
    booking = _roster_booking(event, booking_id)
    _settle(event, now)
    row = _find_row(event.id, booking_id=booking.id, user_id=booking.user_id)
    if row is None or row.status not in (AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED):
        raise NotAnAbsence()
    row, changed = _set_status(
        event, booking=booking, user_id=booking.user_id, status=AttendanceStatus.EXCUSED,
        method=CheckInMethod.ORGANIZER, actor=actor, now=now, reason=reason,
    )
    return Marked(row, changed, f"b{booking.id}", booking.user.display_name)


# --- no-shows and the booking pause --------------------------------------------------------


def _attendance_taken(event_id_column):
    """SQL: someone (not the sweep) has checked in or been marked at the event."""
    other = aliased(Attendance)
    return sa.exists().where(other.event_id == event_id_column, other.method != CheckInMethod.AUTOMATIC)


def _no_show_query(now: datetime):
    """Confirmed bookings at ended, held events with attendance taken, not attended or excused."""
    return (
        sa.select(Booking)
        .join(Event, Event.id == Booking.event_id)
        .outerjoin(Attendance, Attendance.booking_id == Booking.id)
        .where(
            Booking.status == BookingStatus.CONFIRMED,
            Event.status == EventStatus.SCHEDULED,
            Event.ends_at <= now,
            sa.or_(Attendance.id.is_(None), Attendance.status == AttendanceStatus.ABSENT),
            _attendance_taken(Event.id),
        )
    )


def mark_no_shows(*, now: datetime, event_ids: Iterable[int] | None = None) -> int:
    """Write an absence (method ``automatic``) for every booking that became a no-show and
    has no attendance row yet; running it again writes nothing. Returns how many.

    Limited to ``event_ids`` when given, else every ended event.
    """
    begin_write()
    query = _no_show_query(now).where(Attendance.id.is_(None)).order_by(Booking.id)
    if event_ids is not None:
        query = query.where(Booking.event_id.in_(list(event_ids)))
    written = 0
    for booking in db.session.execute(query).scalars().all():
        row = Attendance(
            event_id=booking.event_id, booking_id=booking.id, user_id=booking.user_id,
            status=AttendanceStatus.ABSENT, method=CheckInMethod.AUTOMATIC,
            created_at=now, updated_at=now,
        )
        try:
            with db.session.begin_nested():
                db.session.add(row)
                db.session.flush()
        except IntegrityError:
            continue  # an organizer just wrote this row
        _record(row, None, actor=None, now=now)
        written += 1
    db.session.flush()
    return written


@dataclass(frozen=True)
class NoShowPolicy:
    """How many no-shows within how many days pause booking for how long."""

    limit: int
    window: timedelta
    pause: timedelta

    @classmethod
    def from_config(cls, config: Mapping | None = None) -> NoShowPolicy:
        config = config if config is not None else current_app.config
        return cls(
            limit=int(config["NO_SHOW_LIMIT"]),
            window=timedelta(days=int(config["NO_SHOW_WINDOW_DAYS"])),
            pause=timedelta(days=int(config["NO_SHOW_PAUSE_DAYS"])),
        )


@dataclass(frozen=True)
class MissedEvent:
    event_id: int
    title: str
    starts_at: datetime
    ends_at: datetime


@dataclass(frozen=True)
class NoShowRecord:
    """A person's recent no-shows and, if they reached the limit, until when booking is paused."""

    policy: NoShowPolicy
    missed: list[MissedEvent]  # within the window ending now, latest first
    paused_until: datetime | None
    reached: int  # no-shows counted when the pause began

    @property
    def is_paused(self) -> bool:
        return self.paused_until is not None

    def refusal(self) -> BookingPaused | None:
        """The message a paused person sees, or None."""
        if self.paused_until is None:
            return None
        return BookingPaused(count=self.reached, days=self.policy.window.days, until=self.paused_until)


def is_shift_booking():
    """SQL: the booking holds a volunteer shift (a slot of a :class:`~models.ShiftRole`)."""
    return Booking.quota_id.in_(sa.select(ShiftRole.quota_id))


def no_show_record(user: User, *, now: datetime, policy: NoShowPolicy | None = None) -> NoShowRecord:
    """The person's no-shows that matter at ``now`` and the pause they bring (one query).

    Missed volunteer shifts don't count: the lecture team records those itself
    (``ShiftOutcome``), and a volunteer who let a shift down shouldn't also lose their
    lecture seats. The roster still shows them as no-shows.

    Each missed event counts once (however many bookings the person held there), from
    its end for ``policy.window``. When a missed event brings the count within the window
    ending at it to ``policy.limit``, booking is paused until ``policy.pause`` after it.
    """
    policy = policy or NoShowPolicy.from_config()
    since = now - policy.window - policy.pause
    rows = db.session.execute(
        _no_show_query(now)
        .with_only_columns(Event.id, Event.title, Event.starts_at, Event.ends_at)
        .where(Booking.user_id == user.id, Event.ends_at > since, ~is_shift_booking())
        .distinct()
    ).all()
    missed = sorted(
        (MissedEvent(event_id=r[0], title=r[1], starts_at=r[2], ends_at=r[3]) for r in rows),
        key=lambda m: (m.ends_at, m.event_id),
    )
    paused_until, reached = None, 0
    for index, latest in enumerate(missed):
        in_window = [m for m in missed[: index + 1] if m.ends_at > latest.ends_at - policy.window]
        until = latest.ends_at + policy.pause
        if len(in_window) >= policy.limit and until > now and (paused_until is None or until > paused_until):
            paused_until, reached = until, len(in_window)
    recent = [m for m in reversed(missed) if m.ends_at > now - policy.window]
    return NoShowRecord(policy=policy, missed=recent, paused_until=paused_until, reached=reached)


def ensure_not_paused(user: User, *, now: datetime, policy: NoShowPolicy | None = None) -> None:
    """Refuse a booking while the person's booking is paused for no-shows.

    :raises BookingPaused: saying why and until when.
    """
    refusal = no_show_record(user, now=now, policy=policy).refusal()
    if refusal is not None:
        raise refusal


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

