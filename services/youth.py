"""Youth programs (青少年项目): parents' children, booking a place for a child — the age
checked on the class's date, a parent counted along when the program asks for it —
terms of weekly classes booked class by class or whole, and organizers' class lists."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from models import (
    Booking, BookingStatus, Child, Event, Gender, Program, ProgramKind, User, WeeklySchedule,
    YouthRules, db,
)
from models.youth import OLDEST_AGE, age_on

from . import audiences, capacity, schedules
from .booking import booking_refusal, ensure_bookable
from .dates import to_local
from .db import begin_write
from .errors import (
    ChildNotFound, ChildTooOld, ChildTooYoung, EventFull, TermClassFull, TermClassRefused,
    TermClassWaiting, TermOver, YouthError,
)

ACTIVE = (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)


# --- children -----------------------------------------------------------------------


def children_of(parent: User) -> list[Child]:
    """The parent's children (not removed), eldest first."""
    if not getattr(parent, "is_authenticated", False):
        return []
    return list(db.session.execute(
        sa.select(Child)
        .where(Child.parent_id == parent.id, Child.removed_at.is_(None))
        .order_by(Child.born_on, Child.id)
    ).scalars())


MAX_ID = 2**31 - 1  # what an integer column holds


def child_of(parent: User, child_id: int) -> Child | None:
    """The parent's child with ``child_id``, or None — also for someone else's child and
    for ids no row can have."""
    if not isinstance(child_id, int) or not 1 <= child_id <= MAX_ID:
        return None
    child = db.session.get(Child, child_id)
    if child is None or child.parent_id != parent.id or child.is_removed:
        return None
    return child


def _ensure_parent(child: Child, parent: User) -> None:
    if child.parent_id != parent.id or child.is_removed:
        raise ChildNotFound()


def add_child(parent: User, *, name: str, born_on: date, gender: Gender | None, now: datetime) -> Child:
    """Add a child to the parent's account."""
    begin_write()
    child = Child(parent_id=parent.id, name=name, born_on=born_on, gender=gender, created_at=now)
    db.session.add(child)
    db.session.flush()
    return child


def update_child(child: Child, parent: User, *, name: str, born_on: date, gender: Gender | None,
                 now: datetime) -> None:
    """Correct a child's details. A date of birth that would make the child too young or
    too old for a class they are booked into is refused.

    :raises ChildNotFound: when the child isn't the parent's.
    :raises ChildTooYoung, ChildTooOld: naming the class the new date doesn't fit.
    """
    begin_write()
    _ensure_parent(child, parent)
    if born_on != child.born_on:
        for booking in upcoming_bookings_of(child, now=now):
            rules = rules_of(booking.event.program)
            error = _age_refusal(rules, booking.event, born_on)
            if error is not None:
                raise error
    child.name = name
    child.born_on = born_on
    child.gender = gender
    db.session.flush()


def remove_child(child: Child, parent: User, *, now: datetime) -> int:
    """Remove a child from the parent's account: their places in classes still to come
    are given up (and go to the waiting lists); past classes keep them on record.

    Returns how many bookings were cancelled.

    :raises ChildNotFound: when the child isn't the parent's.
    """
    begin_write()
    _ensure_parent(child, parent)
    upcoming = sorted(upcoming_bookings_of(child, now=now), key=lambda b: b.quota_id)
    for booking in upcoming:
        capacity.release_booking(booking, now=now)
    child.removed_at = now
    db.session.flush()
    return len(upcoming)


def upcoming_bookings_of(child: Child, *, now: datetime) -> list[Booking]:
    """The child's places and waiting places in classes still to come, soonest first."""
    return list(db.session.execute(
        sa.select(Booking)
        .join(Booking.event)
        .where(Booking.child_id == child.id, Booking.status.in_(ACTIVE), Event.starts_at > now)
        .options(joinedload(Booking.event).joinedload(Event.program))
        .order_by(Event.starts_at)
    ).scalars())


# --- programs and their rules -------------------------------------------------------


def get_youth_program(slug: str) -> Program | None:
    """The youth program with ``slug`` (not archived), or None."""
    return db.session.execute(
        sa.select(Program).where(Program.slug == slug, Program.kind == ProgramKind.YOUTH, Program.is_listed())
    ).scalar_one_or_none()


def youth_programs() -> list[Program]:
    """Every youth program (not archived), in the order they were added."""
    return list(db.session.execute(
        sa.select(Program).where(Program.kind == ProgramKind.YOUTH, Program.is_listed()).order_by(Program.id)
    ).scalars())


def rules_of(program: Program) -> YouthRules | None:
    """The program's age range and parent rule, or None when it has none (any age)."""
    return db.session.get(YouthRules, program.id)


def rules_by_program(program_ids) -> dict[int, YouthRules]:
    """The rules of several programs, in one query."""
    ids = list(program_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(YouthRules).where(YouthRules.program_id.in_(ids))).scalars()
    return {rules.program_id: rules for rules in rows}


def places_per_booking(rules: YouthRules | None) -> int:
    """Places one booking takes: two when a parent comes along."""
    return rules.places if rules is not None else 1


def set_rules(program: Program, *, min_age: int, max_age: int, parent_attends: bool) -> YouthRules:
    """Set the ages a youth program takes and whether a parent comes along. Bookings
    already made keep the places they hold.

    :raises YouthError: when the range is empty or outside 0–18.
    """
    begin_write()
    if not 0 <= min_age <= max_age <= OLDEST_AGE:
        raise YouthError(_l("The youngest age must not be above the oldest, and both 0 to 18."))
    rules = db.session.get(YouthRules, program.id, with_for_update=True)
    if rules is None:
        rules = YouthRules(program_id=program.id)
        db.session.add(rules)
    rules.min_age, rules.max_age, rules.parent_attends = min_age, max_age, parent_attends
    db.session.flush()
    return rules


def class_day(event: Event) -> date:
    """The local calendar day of a class: the day a child's age is checked on."""
    return to_local(event.starts_at).date()


def _age_refusal(rules: YouthRules | None, event: Event, born_on: date) -> YouthError | None:
    if rules is None:
        return None
    age = age_on(born_on, class_day(event))
    params = dict(program=event.program.name, min=rules.min_age, max=rules.max_age, age=age,
                  when=event.starts_at)
    if age < rules.min_age:
        return ChildTooYoung(**params)
    if age > rules.max_age:
        return ChildTooOld(**params)
    return None


def age_refusal(rules: YouthRules | None, event: Event, child: Child) -> YouthError | None:
    """Why ``child`` can't join ``event`` because of their age on its day, or None."""
    return _age_refusal(rules, event, child.born_on)


# --- booking ------------------------------------------------------------------------


def book_class(event: Event, child: Child, parent: User, *, now: datetime, waitlist: bool = False,
               booked_by: User | None = None) -> Booking:
    """Book a place in one class for the parent's child (and the parent, when the program
    has a parent come along: both places or neither), or join the waiting list when
    ``waitlist``; ``booked_by`` is whoever books it for the family (a building leader).
    Booking again returns the child's booking.

    :raises ChildNotFound: when the child isn't the parent's.
    :raises ChildTooYoung, ChildTooOld: when the child's age on the class day is outside the range.
    :raises EventFull: when the class is full and ``waitlist`` is false.
    :raises EventCancelled, EventStarted, BookingNotOpen, BookingClosed: outside the window.
    :raises NotInAudience: when the class is for a group the family isn't in.
    """
    capacity.lock_quota(event.seat_quota_id)
    db.session.refresh(event)
    _ensure_parent(child, parent)
    existing = capacity.active_booking(event.seat_quota_id, parent.id, child.id)
    if existing is not None:
        return existing
    ensure_bookable(event, now)
    audiences.ensure_may_attend(event, parent)
    rules = rules_of(event.program)
    error = age_refusal(rules, event, child)
    if error is not None:
        raise error
    return capacity.request_places(
        quota_id=event.seat_quota_id, event_id=event.id, user=parent, now=now,
        places=places_per_booking(rules), waitlist=waitlist, child_id=child.id, booked_by=booked_by,
    )


def has_whole_term(term: WeeklySchedule, child: Child, booked: dict, *, now: datetime) -> bool:
    """Tell whether the child already has a place in every class of the term still to come
    (``booked`` as given by :func:`child_bookings`)."""
    classes = bookable_classes(term, now=now)
    return bool(classes) and all(
        (b := booked.get((event.id, child.id))) is not None and b.is_confirmed for event in classes
    )


def bookable_classes(term: WeeklySchedule, *, now: datetime) -> list[Event]:
    """The classes of the term a whole-term booking covers: those not cancelled whose
    booking hasn't closed."""
    return [
        event for event in term.events
        if not event.is_cancelled and now < event.booking_closes_at and not event.has_started(now)
    ]


def book_term(term: WeeklySchedule, child: Child, parent: User, *, now: datetime) -> list[Booking]:
    """Book the child a place in every remaining class of the term, or in none: if any
    class is full, can't be booked, or the child's age doesn't fit on its day, nothing
    is booked and the refusal names that class. Places the child already holds count.

    Returns the child's bookings for the term's remaining classes.

    :raises ChildNotFound: when the child isn't the parent's.
    :raises TermOver: when no class of the term can be booked any more.
    :raises TermClassFull, TermClassWaiting, TermClassRefused, ChildTooYoung, ChildTooOld:
        naming the first class that stops the booking.
    """
    begin_write()
    _ensure_parent(child, parent)
    classes = bookable_classes(term, now=now)
    if not classes:
        raise TermOver()
    # Lock every class's places up front, always in the same order, so two whole-term
    # bookings never wait on each other's locks (no deadlock on PostgreSQL).
    for quota_id in sorted(event.seat_quota_id for event in classes):
        capacity.lock_quota(quota_id)
    rules = rules_of(term.program)
    booked = []
    with db.session.begin_nested():  # any refusal below undoes every place taken so far
        for event in classes:
            db.session.refresh(event)
            existing = capacity.active_booking(event.seat_quota_id, parent.id, child.id)
            if existing is not None:
                if existing.is_waitlisted:
                    raise TermClassWaiting(when=event.starts_at)
                booked.append(existing)
                continue
            refusal = booking_refusal(event, now)
            if refusal is not None:
                raise TermClassRefused(when=event.starts_at, reason=refusal)
            error = age_refusal(rules, event, child)
            if error is not None:
                raise error
            try:
                booked.append(capacity.request_places(
                    quota_id=event.seat_quota_id, event_id=event.id, user=parent, now=now,
                    places=places_per_booking(rules), child_id=child.id,
                ))
            except EventFull:
                raise TermClassFull(when=event.starts_at) from None
    return booked


# --- what pages show ----------------------------------------------------------------


def get_class(event_id: int, *, viewer=audiences.ANYONE) -> Event | None:
    """The youth class with ``event_id`` (if ``viewer`` may see it), or None."""
    return db.session.execute(
        sa.select(Event)
        .join(Event.program)
        .where(Event.id == event_id, Program.kind == ProgramKind.YOUTH, audiences.visible_to(viewer))
        .options(joinedload(Event.venue), joinedload(Event.program))
    ).scalar_one_or_none()


def get_term(term_id: int) -> WeeklySchedule | None:
    """The term (weekly schedule of a youth program) with ``term_id``, or None."""
    return db.session.execute(
        sa.select(WeeklySchedule)
        .join(WeeklySchedule.program)
        .where(WeeklySchedule.id == term_id, Program.kind == ProgramKind.YOUTH)
        .options(joinedload(WeeklySchedule.program))
    ).scalar_one_or_none()


def terms_of(program: Program, *, now: datetime) -> list[WeeklySchedule]:
    """The program's terms that haven't ended, with their classes and venues loaded."""
    return schedules.schedules_of([program.id], now=now, with_events=True)


def single_classes(program: Program, *, now: datetime, viewer: User | None = None) -> list[Event]:
    """Coming classes of the program that belong to no term and that ``viewer`` may see
    (None: someone not logged in)."""
    return list(db.session.execute(
        sa.select(Event)
        .where(Event.program_id == program.id, Event.ends_at >= now, ~schedules.is_scheduled(),
               audiences.visible_to(viewer))
        .options(joinedload(Event.venue))
        .order_by(Event.starts_at, Event.id)
    ).scalars())


def child_bookings(parent: User, event_ids) -> dict[tuple[int, int], Booking]:
    """The parent's active bookings for their children at the given classes, keyed by
    (event id, child id), in one query."""
    ids = list(event_ids)
    if not ids or not getattr(parent, "is_authenticated", False):
        return {}
    rows = db.session.execute(
        sa.select(Booking).where(
            Booking.user_id == parent.id, Booking.event_id.in_(ids), Booking.child_id.is_not(None),
            Booking.status.in_(ACTIVE),
        )
    ).scalars()
    return {(booking.event_id, booking.child_id): booking for booking in rows}


@dataclass(frozen=True)
class ClassList:
    """Who has a place in a class and who waits, as its organizers see them."""

    day: date
    confirmed: list[Booking]
    waiting: list[Booking]

    def age(self, booking: Booking) -> int | None:
        """The booked child's age on the class day."""
        return booking.child.age_on(self.day) if booking.child is not None else None


def class_list(event: Event) -> ClassList:
    """The class's confirmed and waiting bookings with each child and parent, in one query."""
    rows = db.session.execute(
        sa.select(Booking)
        .where(Booking.quota_id == event.seat_quota_id, Booking.status.in_(ACTIVE))
        .options(joinedload(Booking.child), joinedload(Booking.user))
        .order_by(Booking.confirmed_at, Booking.id)
    ).scalars().all()
    return ClassList(
        day=class_day(event),
        confirmed=[b for b in rows if b.is_confirmed],
        waiting=sorted((b for b in rows if b.is_waitlisted), key=lambda b: (b.waitlisted_at, b.id)),
    )


def create_term(program: Program, plan: schedules.WeeklyPlan, *, actor: User | None,
                now: datetime) -> WeeklySchedule:
    """Lay out a term of weekly classes, each with ``plan.capacity`` places, titled with the
    term's name and numbered (read "寒假学期 · 第 3 课" or "Winter term · class 3").

    :raises ScheduleError: when the days or times make no sense.
    :raises VenueTaken: when the room is taken on any of the days.
    """
    term = schedules.create_schedule(program, plan, actor=actor, now=now)
    for number, event in enumerate(term.events, start=1):
        event.title, event.class_number = plan.title[:100], number
    db.session.flush()
    return term

