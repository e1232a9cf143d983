"""A building leader's work (红色楼长): the residents of their buildings and what each has
booked, neighbours without a phone, booking on their behalf (代约), the weekly sheet
handed out on visits, and merging a neighbour's record into their own account later.

Everything here is scoped: the acting leader must look after the resident's building
(:func:`services.buildings.cares_for`), else :class:`NotInYourCare` — the pages answer
404, so guessing ids shows nothing.

Booking on someone's behalf goes through the same rules as booking for oneself —
:func:`services.booking.book_seat` (window, capacity, waiting list, the group an event is
for, the no-show pause of the *resident*) and :func:`services.youth.book_class` for a
child's class — and the booking records who made it (``Booking.booked_by_id``).

Telling the resident
    Before the view commits it calls :func:`tell_resident`; the notifications area
    registers with :func:`register_listener` (services/wiring.py) to put it in the
    resident's messages, in the booking's transaction. Only
    people who can log in (a claimed account) are told; a neighbour without a phone hears
    it from the leader, on the weekly sheet.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import contains_eager, joinedload

from models import (
    ATTENDED_STATUSES, Attendance, Booking, BookingStatus, Building, CheckInMethod, Child, Event, EventStatus,
    Honour, OfflineResident, Program, ProgramKind, Quota, Redemption, Residence, User, db,
)
from models.neighbourhood import natural_key

from . import accounts, audiences, audit, buildings, capacity, feeds, no_shows, points, youth
from . import booking as booking_service
from .dates import local_datetime, to_local
from .db import begin_write
from .errors import (
    AlreadyHasPhone, ChildRequired, ConsentRequired, MergeIntoSelf, NotBookable, NotInYourCare, NotOffline,
    PhoneHasAccount,
)
from .locks import lock_people

ACTIVE = (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)
INACTIVE_AFTER = timedelta(days=91)  # "hasn't taken part in anything for 3 months"
BOOKABLE_AHEAD = timedelta(days=28)

# What the leader ticks, word for word, before adding a neighbour; kept with the record.
CONSENT_STATEMENT = _l(
    "The resident (or their family) agrees that the building leader keeps their name and "
    "home on Linli and books community events for them."
)


def _ensure_care(leader: User, resident: User) -> None:
    if not buildings.cares_for(leader, resident.id):
        raise NotInYourCare()


def resident_in_care(leader: User, resident_id: int) -> User | None:
    """The active person with ``resident_id`` if ``leader`` looks after them, else None
    (also for ids no row can have)."""
    if not isinstance(resident_id, int) or not 1 <= resident_id <= youth.MAX_ID:
        return None
    if not buildings.cares_for(leader, resident_id):
        return None
    user = db.session.get(User, resident_id)
    return user if user is not None and user.is_active_account else None


# --- the residents of a leader's buildings -------------------------------------------------


def week_start(day: date) -> date:
    """The Monday of the week ``day`` falls in."""
    return day - timedelta(days=day.weekday())


@dataclass
class ResidentLine:
    """One resident as their leader sees them."""

    user: User
    residence: Residence
    offline: OfflineResident | None = None
    bookings: list[Booking] = field(default_factory=list)
    last_took_part: datetime | None = None
    is_inactive: bool = False

    @property
    def is_offline(self) -> bool:
        return self.offline is not None

    @property
    def can_log_in(self) -> bool:
        return accounts.is_claimed(self.user)


def _sort_key(line: ResidentLine):
    r = line.residence
    return (r.building.sort_key, natural_key(r.unit), natural_key(r.room), line.user.display_name, line.user.id)


def _resident_rows(building_ids: list[int]) -> list[tuple[Residence, OfflineResident | None]]:
    return db.session.execute(
        sa.select(Residence, OfflineResident)
        .join(User, User.id == Residence.user_id)
        .outerjoin(OfflineResident, OfflineResident.user_id == Residence.user_id)
        .where(Residence.building_id.in_(building_ids), User.is_active_account.is_(True))
        .options(
            contains_eager(Residence.user).lazyload(User.role_links),
            joinedload(Residence.building).joinedload(Building.grid),
        )
    ).all()


def _bookings_between(user_ids, since: datetime, until: datetime) -> list[Booking]:
    """Active bookings (not volunteer shifts) of the people at events starting in
    ``[since, until)``, with what pages show (one query)."""
    query = (
        sa.select(Booking)
        .join(Booking.event)
        .where(
            Booking.user_id.in_(user_ids), Booking.status.in_(ACTIVE), ~no_shows.is_shift_booking(),
            Event.starts_at >= since, Event.starts_at < until,
        )
        .options(
            contains_eager(Booking.event).joinedload(Event.program),
            contains_eager(Booking.event).joinedload(Event.venue),
            joinedload(Booking.child),
            joinedload(Booking.booked_by).lazyload(User.role_links),
        )
        .order_by(Event.starts_at, Event.id, Booking.id)
    )
    return list(db.session.execute(query).unique().scalars())


def last_took_part(user_ids, *, now: datetime) -> dict[int, datetime]:
    """When each person last took part in something, by id (two aggregate queries): the
    start of the latest event they were checked in at, or — for ended events nobody took
    attendance of — held a confirmed place at."""
    attended = db.session.execute(
        sa.select(Attendance.user_id, sa.func.max(Event.starts_at))
        .join(Event, Event.id == Attendance.event_id)
        .where(Attendance.user_id.in_(user_ids), Attendance.status.in_(ATTENDED_STATUSES))
        .group_by(Attendance.user_id)
    ).all()
    taken = sa.exists().where(Attendance.event_id == Event.id, Attendance.method != CheckInMethod.AUTOMATIC)
    booked = db.session.execute(
        sa.select(Booking.user_id, sa.func.max(Event.starts_at))
        .join(Event, Event.id == Booking.event_id)
        .where(
            Booking.user_id.in_(user_ids), Booking.status == BookingStatus.CONFIRMED,
            Event.status == EventStatus.SCHEDULED, Event.ends_at <= now, ~taken,
        )
        .group_by(Booking.user_id)
    ).all()
    result: dict[int, datetime] = {}
    for user_id, when in [*attended, *booked]:
        if when is not None:
            result[user_id] = max(result.get(user_id, when), when)
    return result


def residents_of(building_ids: Iterable[int], *, now: datetime) -> list[ResidentLine]:
    """The active residents of the buildings with what they booked this week and next,
    and whether they took part in anything in the last three months — in a constant
    number of queries, whatever the number of residents."""
    ids = list(building_ids)
    if not ids:
        return []
    rows = _resident_rows(ids)
    lines = {residence.user_id: ResidentLine(user=residence.user, residence=residence, offline=offline)
             for residence, offline in rows}
    if not lines:
        return []
    people = sa.select(Residence.user_id).where(Residence.building_id.in_(ids))
    horizon = local_datetime(week_start(to_local(now).date()) + timedelta(days=14), time(0, 0))
    for booking in _bookings_between(people, now - timedelta(days=1), horizon):
        if booking.event.ends_at >= now and booking.user_id in lines:
            lines[booking.user_id].bookings.append(booking)
    taken_part = last_took_part(people, now=now)
    for user_id, line in lines.items():
        line.last_took_part = taken_part.get(user_id)
        line.is_inactive = (
            (line.last_took_part is None or line.last_took_part < now - INACTIVE_AFTER)
            and not any(b.is_confirmed for b in line.bookings)
        )
    return sorted(lines.values(), key=_sort_key)


def resident_line(resident: User, *, now: datetime) -> ResidentLine | None:
    """One resident's line (as in :func:`residents_of`), or None without a home on record."""
    residence = buildings.residence_of(resident)
    if residence is None:
        return None
    line = next((line for line in residents_of([residence.building_id], now=now) if line.user.id == resident.id), None)
    return line


def upcoming_bookings(resident: User, *, now: datetime) -> list[Booking]:
    """The resident's bookings still to come — their own and their children's, not
    volunteer shifts — soonest first."""
    return booking_service.bookings_of(resident, now=now)


# --- neighbours without a phone ---------------------------------------------------------------


def add_offline_resident(leader: User, *, name: str, building: Building, unit: str = "", room: str = "",
                         phone: str = "", consent: bool, note: str = "", now: datetime) -> User:
    """Add a neighbour who has no login (and maybe no phone) to one of the leader's
    buildings, with their consent recorded, so the leader can book for them.

    :raises ConsentRequired: unless the consent box was ticked.
    :raises NotInYourCare: when the building isn't one the leader looks after.
    :raises PhoneHasAccount: when the number given already has an account.
    """
    if not consent:
        raise ConsentRequired()
    begin_write()
    if building.id not in {b.id for b in buildings.care_of(leader)}:
        raise NotInYourCare()
    phone = phone.strip()
    if phone and accounts.find_by_phone(phone) is not None:
        raise PhoneHasAccount(phone=phone)
    user = accounts.create_unclaimed_account(phone=phone or None, display_name=name, now=now)
    buildings.set_residence(user, building, unit=unit, room=room, now=now)
    db.session.add(OfflineResident(
        user_id=user.id, added_by_id=leader.id, consent_statement=str(CONSENT_STATEMENT)[:300], consent_at=now,
        note=note.strip()[:200],
    ))
    db.session.flush()
    audit.record("resident.offline.add", actor=leader, now=now, subject_type="users", subject_id=user.id,
                 label=user.display_name, after={"building_id": building.id, "unit": unit, "room": room,
                                                 "has_phone": bool(phone), "consent_at": now})
    return user


def offline_record(user: User) -> OfflineResident | None:
    """The record of a neighbour a leader added (who added them, their consent), if any."""
    return db.session.get(OfflineResident, user.id)


def update_offline_resident(leader: User, resident: User, *, name: str, building: Building, unit: str,
                            room: str, now: datetime) -> None:
    """Correct a neighbour's name or home (only people a leader added; others keep their own).

    :raises NotInYourCare: when the resident or the new building isn't in the leader's care.
    :raises NotOffline: for a resident with their own account.
    """
    begin_write()
    _ensure_care(leader, resident)
    record = offline_record(resident)
    if record is None or record.is_merged or accounts.is_claimed(resident):
        raise NotOffline()
    if building.id not in {b.id for b in buildings.care_of(leader)}:
        raise NotInYourCare()
    resident.display_name = name.strip()
    buildings.set_residence(resident, building, unit=unit, room=room, now=now)
    audit.record("resident.offline.update", actor=leader, now=now, subject_type="users", subject_id=resident.id,
                 label=resident.display_name, after={"building_id": building.id, "unit": unit, "room": room})


def give_phone(leader: User, resident: User, phone: str, *, now: datetime) -> None:
    """Record the mobile number a neighbour now has; registering with it later makes the
    record their own account (with its bookings).

    :raises NotInYourCare: outside the leader's buildings.
    :raises NotOffline: for a resident with their own account.
    :raises AlreadyHasPhone: when a number is already on record.
    :raises PhoneHasAccount: when the number already has an account (an administrator merges).
    """
    begin_write()
    _ensure_care(leader, resident)
    record = offline_record(resident)
    if record is None or record.is_merged or accounts.is_claimed(resident):
        raise NotOffline()
    if resident.has_phone:
        raise AlreadyHasPhone()
    if accounts.find_by_phone(phone) is not None:
        raise PhoneHasAccount(phone=phone)
    resident.phone = phone
    db.session.flush()
    audit.record("resident.offline.phone", actor=leader, now=now, subject_type="users", subject_id=resident.id,
                 label=resident.display_name, after={"phone": phone})


def offline_residents(*, merged: bool = False) -> list[OfflineResident]:
    """Every neighbour added by a leader who has no login yet (or, with ``merged``, those
    merged into an account), newest first, with the person and who added them, in one
    query. Someone who registered with the number on their record has taken it over:
    they are neither."""
    query = (
        sa.select(OfflineResident)
        .join(User, User.id == OfflineResident.user_id)
        .options(
            contains_eager(OfflineResident.user).lazyload(User.role_links),
            joinedload(OfflineResident.added_by).lazyload(User.role_links),
        )
        .order_by(OfflineResident.consent_at.desc(), OfflineResident.user_id.desc())
    )
    if merged:
        query = query.where(OfflineResident.merged_into_id.is_not(None))
    else:
        query = query.where(OfflineResident.merged_into_id.is_(None),
                            User.password_hash.startswith(accounts.UNCLAIMED_PREFIX, autoescape=True))
    return list(db.session.execute(query).scalars())


# --- booking on a resident's behalf ------------------------------------------------------------


def bookable_events(resident: User, *, now: datetime, ahead: timedelta = BOOKABLE_AHEAD, limit: int = 60) -> list[Event]:
    """Lectures and performances with seats in the coming weeks that the resident may see
    and whose booking hasn't closed, soonest first (one query)."""
    return list(db.session.execute(
        sa.select(Event)
        .join(Event.program)
        .join(Quota, Quota.id == Event.seat_quota_id)
        .where(
            Program.kind.in_([ProgramKind.LECTURE_SERIES, ProgramKind.TROUPE]),
            Event.status == EventStatus.SCHEDULED, Event.starts_at > now, Event.starts_at < now + ahead,
            Event.booking_closes_at > now, Quota.capacity > 0, ~feeds.members_only(),
            audiences.visible_to(resident),
        )
        .options(contains_eager(Event.program), joinedload(Event.venue))
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    ).scalars())


def bookable_classes(resident: User, *, now: datetime, ahead: timedelta = BOOKABLE_AHEAD, limit: int = 60) -> list[Event]:
    """Youth classes in the coming weeks the resident's children might join (one query)."""
    return list(db.session.execute(
        sa.select(Event)
        .join(Event.program)
        .join(Quota, Quota.id == Event.seat_quota_id)
        .where(
            Program.kind == ProgramKind.YOUTH, Event.status == EventStatus.SCHEDULED, Event.starts_at > now,
            Event.starts_at < now + ahead, Event.booking_closes_at > now, Quota.capacity > 0,
            audiences.visible_to(resident),
        )
        .options(contains_eager(Event.program), joinedload(Event.venue))
        .order_by(Event.starts_at, Event.id)
        .limit(limit)
    ).scalars())


def book_for(leader: User, resident: User, event: Event, *, now: datetime, waitlist: bool = False,
             child: Child | None = None) -> tuple[Booking, bool]:
    """Book a seat (or a waiting-list place, or a child's place in a class) for a
    resident the leader looks after, by the same rules as booking for oneself, marked as
    booked by the leader. Returns the booking and whether it is new (False: the resident
    already held it).

    :raises NotInYourCare: outside the leader's buildings.
    :raises ChildRequired: for a children's class without a child, or someone else's child.
    :raises NotBookable: for a rehearsal or an event without seats.
    :raises EventFull, EventCancelled, EventStarted, BookingNotOpen, BookingClosed,
        BookingPaused, NotInAudience, ChildTooYoung, ChildTooOld: as for anyone.
    """
    begin_write()
    _ensure_care(leader, resident)
    if event.program.kind is ProgramKind.YOUTH:
        if child is None or child.parent_id != resident.id or child.is_removed:
            raise ChildRequired()
        existing = capacity.active_booking(event.seat_quota_id, resident.id, child.id)
        booking = youth.book_class(event, child, resident, now=now, waitlist=waitlist, booked_by=leader)
        return booking, existing is None
    if event.program.kind is ProgramKind.LECTURE_TEAM or event.seats.capacity == 0 or _is_members_only(event):
        raise NotBookable(_l("This event has no seats to book."))
    existing = capacity.active_booking(event.seat_quota_id, resident.id)
    booking = booking_service.book_seat(event, resident, now=now, waitlist=waitlist, booked_by=leader)
    return booking, existing is None


def _is_members_only(event: Event) -> bool:
    return db.session.execute(
        sa.select(Event.id).join(Event.program).where(Event.id == event.id, feeds.members_only())
    ).first() is not None


def booking_of_resident(resident: User, booking_id: int) -> Booking | None:
    """The resident's own booking (or their child's) with ``booking_id``, not a shift."""
    return booking_service.booking_for_user_or_none(booking_id, resident)


def cancel_for(leader: User, resident: User, booking: Booking, *, now: datetime) -> list[Booking]:
    """Cancel a resident's seat or waiting place on their behalf; a freed seat goes to the
    next in line. Returns the bookings promoted.

    :raises NotInYourCare: outside the leader's buildings.
    :raises CancellationClosed: once the event has started.
    """
    begin_write()
    _ensure_care(leader, resident)
    if booking.user_id != resident.id:
        raise NotInYourCare()
    return booking_service.cancel_booking(booking, now=now)


Listener = Callable[[Booking, User, str], None]
_listeners: list[Listener] = []


def register_listener(listener: Listener) -> None:
    """Be told, in the booking's transaction, when a leader booked or cancelled for a resident who
    can log in: ``listener(booking, leader, what)`` with ``what`` "booked" or
    "cancelled". The notifications area plugs in here to put it in the resident's
    messages."""
    if listener not in _listeners:
        _listeners.append(listener)


def tell_resident(booking: Booking, *, by: User, what: str) -> int:
    """Tell the holder of ``booking`` that ``by`` booked or cancelled it for them, if they
    have an account they log in to; call before the commit, so the message is written
    with the booking. Returns how many listeners were told."""
    if by.id == booking.user_id or not accounts.is_claimed(booking.user) or not booking.user.has_phone:
        return 0
    for listener in _listeners:
        listener(booking, by, what)
    return len(_listeners)


# --- the weekly sheet --------------------------------------------------------------------------


@dataclass
class SheetPart:
    """One resident's part of the weekly sheet."""

    user: User
    residence: Residence
    bookings: list[Booking]


@dataclass
class Sheet:
    """A week of the residents' bookings, to print and hand out on visits."""

    first_day: date
    last_day: date
    parts: list[SheetPart]
    positions: dict[int, int]
    without_bookings: int


def weekly_sheet(building_ids: Iterable[int], first_day: date) -> Sheet:
    """The bookings of the buildings' residents at events in the week from ``first_day``
    (seven days), grouped by resident in home order, in a constant number of queries."""
    ids = list(building_ids)
    since = local_datetime(first_day, time(0, 0))
    until = since + timedelta(days=7)
    rows = _resident_rows(ids) if ids else []
    residences = {residence.user_id: residence for residence, _offline in rows}
    booked: dict[int, list[Booking]] = {}
    if residences:
        people = sa.select(Residence.user_id).where(Residence.building_id.in_(ids))
        for booking in _bookings_between(people, since, until):
            if booking.user_id in residences:
                booked.setdefault(booking.user_id, []).append(booking)
    parts = [SheetPart(user=residences[user_id].user, residence=residences[user_id], bookings=bookings)
             for user_id, bookings in booked.items()]
    parts.sort(key=lambda p: (p.residence.building.sort_key, natural_key(p.residence.unit),
                              natural_key(p.residence.room), p.user.display_name, p.user.id))
    positions = capacity.waitlist_positions([b for part in parts for b in part.bookings])
    return Sheet(first_day=first_day, last_day=first_day + timedelta(days=6), parts=parts, positions=positions,
                 without_bookings=len(residences) - len(parts))


# --- merging a neighbour's record into their own account ---------------------------------------


@dataclass
class MergeResult:
    bookings: int = 0
    released: int = 0  # places the account already held: the record's duplicate is given up
    children: int = 0
    attendance: int = 0
    points: int = 0
    minutes: int = 0


def merge_offline_into(record_user: User, account: User, *, actor: User, now: datetime) -> MergeResult:
    """Move everything of a neighbour's record (added by a leader) into the account the
    person now has: bookings (a place the account already holds gives the record's
    duplicate up, to the next in line), children, attendance, service points and hours,
    reward requests, honours and their home when the account has none. The record is
    then closed (deactivated, marked merged) — it is never deleted.

    :raises NotOffline: when ``record_user`` isn't an unmerged record added by a leader.
    :raises MergeIntoSelf: when both are the same person.
    """
    begin_write()
    if record_user.id == account.id:
        raise MergeIntoSelf()
    lock_people([record_user.id, account.id])
    record = offline_record(record_user)
    if record is None or record.is_merged or accounts.is_claimed(record_user) or not account.is_active_account:
        raise NotOffline()
    result = MergeResult()

    for child in db.session.execute(sa.select(Child).where(Child.parent_id == record_user.id)).scalars():
        child.parent_id = account.id
        result.children += 1
    db.session.flush()

    held = db.session.execute(
        sa.select(Booking).where(Booking.user_id == record_user.id).order_by(Booking.quota_id, Booking.id)
    ).scalars().all()
    for booking in held:
        if booking.is_active and booking.child_id is None and capacity.active_booking(booking.quota_id, account.id):
            capacity.release_booking(booking, now=now)
            result.released += 1
            continue
        booking.user_id = account.id
        result.bookings += 1
        db.session.flush()

    rows = db.session.execute(sa.select(Attendance).where(Attendance.user_id == record_user.id)).scalars().all()
    for row in rows:
        if row.booking_id is not None:
            if row.booking.user_id == account.id:
                row.user_id = account.id
                result.attendance += 1
        elif db.session.execute(sa.select(Attendance.id).where(
            Attendance.event_id == row.event_id, Attendance.user_id == account.id, Attendance.booking_id.is_(None)
        )).first() is None:
            row.user_id = account.id
            result.attendance += 1
    db.session.flush()

    totals = points.totals_of(record_user)
    if totals.minutes or totals.points:
        points.adjust(record_user, minutes=-totals.minutes, points=-totals.points, organizer=actor, now=now,
                      reason=str(_l("Merged into the account of %(name)s", name=account.display_name)))
        points.adjust(account, minutes=totals.minutes, points=totals.points, organizer=actor, now=now,
                      reason=str(_l("Merged from the record of %(name)s", name=record_user.display_name)))
        result.points, result.minutes = totals.points, totals.minutes

    db.session.execute(sa.update(Redemption).where(Redemption.user_id == record_user.id).values(user_id=account.id))
    for honour in db.session.execute(sa.select(Honour).where(Honour.user_id == record_user.id)).scalars():
        duplicate = db.session.execute(sa.select(Honour.id).where(
            Honour.user_id == account.id, Honour.title == honour.title, Honour.year == honour.year
        )).first()
        if duplicate is None:
            honour.user_id = account.id

    residence = db.session.get(Residence, record_user.id)
    if residence is not None:
        if db.session.get(Residence, account.id) is None:
            buildings.set_residence(account, residence.building, unit=residence.unit, room=residence.room, now=now)
        db.session.delete(residence)

    record.merged_into_id, record.merged_at = account.id, now
    record_user.is_active_account = False
    db.session.flush()
    audit.record("resident.offline.merge", actor=actor, now=now, subject_type="users", subject_id=record_user.id,
                 label=record_user.display_name,
                 after={"merged_into": account.id, "bookings": result.bookings, "released": result.released,
                        "children": result.children, "attendance": result.attendance, "points": result.points})
    return result
