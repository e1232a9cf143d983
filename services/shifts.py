"""Volunteer shifts: roles (岗位) at events, signing up, withdrawing, releasing.

A role's slots are a quota, and a shift is a booking on it, so counting slots, the
role's waiting list and promotion are :mod:`services.capacity`'s work; this module adds
the rules around them:

- who may take a shift (active members of the lecture team for its talks; volunteers
  for roles at any other event);
- nobody holds two shifts that overlap in time, anywhere on the site — a place on a
  waiting list counts, since it turns into a shift without its holder doing anything;
- a holder withdraws until the role's cutoff (24 hours before the start by default);
  after it only an organizer can release them, with a reason.

The overlap rule is checked inside the write transaction after the person's row is
locked (:mod:`services.locks`): on SQLite the write transaction holds the only write
lock; on PostgreSQL two sign-ups by one person queue on that row lock, and the second
sees the first's shift. Moving an event locks the event and then all its holders, so a
move and a sign-up can't pass each other either.
"""
from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from models import (
    Booking, BookingStatus, Event, EventStatus, OutcomeStatus, PointsRule, ProgramKind, Quota, Role,
    ShiftOutcome, ShiftRole, User, db,
)
from models.shift import DEFAULT_WITHDRAW_CUTOFF_MINUTES

from . import capacity, notifications
from .booking import held_or_cancelled_with_event
from .db import begin_write
from .errors import (
    CapacityBelowTaken, EventCancelled, EventFull, EventStarted, NotAMember, NotAVolunteer,
    ReasonRequired, ReleaseTooLate, RoleClosed, RoleFull, RoleInUse, RoleNameTaken, ShiftOverlap,
    ShiftsOverlapAfterMove, SlotsBelowTaken, WithdrawalClosed,
)
from .locks import lock_event, lock_people, lock_person
from .membership import is_active_member

ACTIVE = (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)


@dataclass(frozen=True)
class RoleSpec:
    """What an organizer says about a role: its name, slots and earning rule."""

    name: str
    slots: int
    points_rule: PointsRule = PointsRule.PER_HOUR
    points: int = 10
    credit_minutes: int | None = None
    withdraw_cutoff_minutes: int = DEFAULT_WITHDRAW_CUTOFF_MINUTES


# The roles a new talk starts with (editable per talk).
DEFAULT_ROLES = (
    RoleSpec("主讲", 1), RoleSpec("主持", 1), RoleSpec("摄影", 1), RoleSpec("场务", 2), RoleSpec("签到", 1),
)


# --- roles ----------------------------------------------------------------------------


def _name_taken(event_id: int, name: str, *, other_than: int | None = None) -> bool:
    query = sa.select(ShiftRole.id).where(ShiftRole.event_id == event_id, ShiftRole.name == name)
    if other_than is not None:
        query = query.where(ShiftRole.id != other_than)
    return db.session.execute(query.limit(1)).first() is not None


def add_role(event: Event, spec: RoleSpec, *, now: datetime) -> ShiftRole:
    """Add a role with its own slots to ``event`` (any event: a talk, a lecture, a show).

    :raises RoleNameTaken: when the event already has a role of that name.
    """
    begin_write()
    if _name_taken(event.id, spec.name):
        raise RoleNameTaken(name=spec.name)
    position = db.session.execute(
        sa.select(sa.func.coalesce(sa.func.max(ShiftRole.position), -1)).where(ShiftRole.event_id == event.id)
    ).scalar_one() + 1
    role = ShiftRole(
        event_id=event.id, name=spec.name, position=position, slots=Quota(capacity=spec.slots, taken=0),
        points_rule=spec.points_rule, points=spec.points, credit_minutes=spec.credit_minutes,
        withdraw_cutoff_minutes=spec.withdraw_cutoff_minutes, created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(role)
            db.session.flush()
    except IntegrityError as error:  # two organizers adding the same name at once
        raise RoleNameTaken(name=spec.name) from error
    return role


def update_role(role: ShiftRole, spec: RoleSpec, *, now: datetime) -> list[Booking]:
    """Change a role's name, slots or earning rule; more slots promote waiting people.

    The earning rule applies to shifts confirmed from now on; credits already in the
    ledger stay as they were. Returns the bookings promoted from the waiting list.

    :raises RoleNameTaken: when another role of the event has that name.
    :raises SlotsBelowTaken: when fewer slots than holders are asked for.
    """
    begin_write()
    if spec.name != role.name and _name_taken(role.event_id, spec.name, other_than=role.id):
        raise RoleNameTaken(name=spec.name)
    promoted = []
    if spec.slots != role.slots.capacity:
        try:
            promoted = capacity.set_capacity(role.quota_id, spec.slots, now=now)
        except CapacityBelowTaken as error:
            raise SlotsBelowTaken(taken=error.params["taken"]) from error
    role.name = spec.name
    role.points_rule = spec.points_rule
    role.points = spec.points
    role.credit_minutes = spec.credit_minutes
    role.withdraw_cutoff_minutes = spec.withdraw_cutoff_minutes
    db.session.flush()
    return promoted


def remove_role(role: ShiftRole) -> None:
    """Remove a role nobody ever signed up for.

    :raises RoleInUse: when anyone holds, waits for or once held a slot (their record
        refers to it; set the slots to 0 instead).
    """
    capacity.lock_quota(role.quota_id)
    used = db.session.execute(
        sa.select(Booking.id).where(Booking.quota_id == role.quota_id).limit(1)
    ).first()
    if used is not None:
        raise RoleInUse()
    quota = role.slots
    db.session.delete(role)
    db.session.flush()
    db.session.delete(quota)
    db.session.flush()


def roles_by_event(event_ids: Iterable[int]) -> dict[int, list[ShiftRole]]:
    """The roles of each event, in their order, with their slots, in one query."""
    ids = list(event_ids)
    if not ids:
        return {}
    roles: dict[int, list[ShiftRole]] = {event_id: [] for event_id in ids}
    for role in db.session.execute(
        sa.select(ShiftRole).where(ShiftRole.event_id.in_(ids)).order_by(ShiftRole.position, ShiftRole.id)
    ).scalars():
        roles[role.event_id].append(role)
    return roles


def role_for_booking(booking: Booking) -> ShiftRole | None:
    """The role a booking holds a slot in, or None for a seat booking."""
    return db.session.execute(
        sa.select(ShiftRole).where(ShiftRole.quota_id == booking.quota_id)
    ).scalar_one_or_none()


# --- signing up -------------------------------------------------------------------------


def can_take_shifts_at(event: Event, user: User) -> bool:
    """Tell whether ``user`` may take shifts at ``event`` (without checking times)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if event.program.kind is ProgramKind.LECTURE_TEAM:
        return is_active_member(event.program_id, user.id)
    return user.has_role(Role.VOLUNTEER)


def ensure_may_take(event: Event, user: User) -> None:
    """:raises NotAMember, NotAVolunteer: when ``user`` may not take shifts at ``event``."""
    if can_take_shifts_at(event, user):
        return
    if event.program.kind is ProgramKind.LECTURE_TEAM:
        raise NotAMember(program=event.program.name)
    raise NotAVolunteer()


def ensure_open(event: Event, now: datetime) -> None:
    """:raises EventCancelled, EventStarted: when shifts at ``event`` can no longer be taken."""
    if event.is_cancelled:
        raise EventCancelled()
    if event.has_started(now):
        raise EventStarted()


def _overlapping(user_ids: Iterable[int], starts_at: datetime, ends_at: datetime, *,
                 except_event_id: int | None = None):
    """A select of (booking, event) for the people's active shifts at scheduled events that
    overlap ``[starts_at, ends_at)``. Touching ends don't overlap: 8–10 and 10–12 are fine."""
    query = (
        sa.select(Booking, Event)
        .join(ShiftRole, ShiftRole.quota_id == Booking.quota_id)
        .join(Event, Event.id == Booking.event_id)
        .where(
            Booking.user_id.in_(list(user_ids)),
            Booking.status.in_(ACTIVE),
            Event.status == EventStatus.SCHEDULED,
            Event.starts_at < ends_at,
            Event.ends_at > starts_at,
        )
        .order_by(Event.starts_at, Booking.id)
    )
    if except_event_id is not None:
        query = query.where(Event.id != except_event_id)
    return query


def overlapping_shift(user_id: int, starts_at: datetime, ends_at: datetime) -> tuple[Booking, Event] | None:
    """The person's first active shift overlapping ``[starts_at, ends_at)``, if any."""
    row = db.session.execute(_overlapping([user_id], starts_at, ends_at).limit(1)).first()
    return (row[0], row[1]) if row else None


def sign_up(role: ShiftRole, user: User, *, now: datetime, waitlist: bool = False) -> Booking:
    """Take a slot in ``role``, or join the role's waiting list when ``waitlist``.
    Signing up again returns the shift the person already holds.

    :raises RoleFull: when all slots are taken and ``waitlist`` is false.
    :raises RoleClosed: when the role has no slots at all (an organizer closed it).
    :raises ShiftOverlap: when the person holds (or waits for) a shift at the same time.
    :raises NotAMember, NotAVolunteer: when the person may not take the shift.
    :raises EventCancelled, EventStarted: when the event is cancelled or has begun.
    """
    lock_event(role.event_id)
    lock_person(user.id)
    event = role.event
    db.session.refresh(event)
    existing = capacity.active_booking(role.quota_id, user.id)
    if existing is not None:
        return existing
    ensure_may_take(event, user)
    ensure_open(event, now)
    if capacity.lock_quota(role.quota_id).capacity == 0:
        raise RoleClosed()
    clash = overlapping_shift(user.id, event.starts_at, event.ends_at)
    if clash is not None:
        other = clash[1]
        raise ShiftOverlap(title=other.display_title, when=other.starts_at)
    try:
        return capacity.request_places(
            quota_id=role.quota_id, event_id=event.id, user=user, now=now, waitlist=waitlist
        )
    except EventFull as error:
        raise RoleFull() from error


def withdraw(booking: Booking, *, now: datetime) -> list[Booking]:
    """Give up one's own shift (until the role's cutoff) or waiting place (any time);
    a freed slot goes to the next in the role's waiting list.

    Returns the bookings promoted from the waiting list.

    :raises WithdrawalClosed: for a held shift once the cutoff has passed.
    """
    begin_write()
    role = role_for_booking(booking)
    if role is None:
        raise ValueError("not a shift booking")
    closes = role.withdraw_closes_at(booking.event)
    if booking.status is BookingStatus.CONFIRMED and now >= closes:
        raise WithdrawalClosed(when=closes)
    return capacity.release_booking(booking, now=now)


def preview_withdrawal(booking: Booking, *, now: datetime):
    """Say what withdrawing from a shift (or leaving a role's waiting list) at ``now``
    would do: who gets the slot, or why it can't be done any more."""
    from .booking import CancelPreview

    role = role_for_booking(booking)
    closes = role.withdraw_closes_at(booking.event)
    refusal = WithdrawalClosed(when=closes) if booking.is_confirmed and now >= closes else None
    waiting = capacity.waiting_counts([booking.quota_id]).get(booking.quota_id, 0)
    return CancelPreview(
        refusal=refusal, next_in_line=1 if booking.is_confirmed and waiting else 0,
        position=capacity.waitlist_position(booking),
    )


def release(booking: Booking, organizer: User, reason: str, *, now: datetime) -> list[Booking]:
    """Let a holder (or a waiting person) go before the event, with a reason they will
    see — also after the cutoff. The next in the waiting list takes the slot.

    Returns the bookings promoted from the waiting list.

    :raises ReasonRequired: without a reason.
    :raises ReleaseTooLate: once the event has begun.
    """
    reason = reason.strip()
    if not reason:
        raise ReasonRequired()
    begin_write()
    if booking.event.has_started(now):
        raise ReleaseTooLate()
    capacity.lock_quota(booking.quota_id)
    db.session.refresh(booking)
    if not booking.is_active:
        return []
    db.session.add(ShiftOutcome(
        booking_id=booking.id, status=OutcomeStatus.RELEASED, minutes=0, reason=reason,
        decided_by_id=organizer.id, decided_at=now,
    ))
    db.session.flush()
    notifications.shift_released(booking, role_for_booking(booking), reason, now=now)
    return capacity.release_booking(booking, now=now)


def ensure_holders_free(event: Event, starts_at: datetime, ends_at: datetime) -> None:
    """Before ``event`` moves to ``[starts_at, ends_at)``: check that none of the people
    holding or waiting for its shifts has another shift at the new time.

    :raises ShiftsOverlapAfterMove: naming the people whose shifts would overlap.
    """
    if (starts_at, ends_at) == (event.starts_at, event.ends_at) or event.is_cancelled:
        return
    lock_event(event.id)
    holders = list(db.session.execute(
        sa.select(Booking.user_id)
        .join(ShiftRole, ShiftRole.quota_id == Booking.quota_id)
        .where(ShiftRole.event_id == event.id, Booking.status.in_(ACTIVE))
        .distinct()
    ).scalars())
    if not holders:
        return
    lock_people(holders)
    clashing = db.session.execute(
        sa.select(User.display_name)
        .where(User.id.in_(
            _overlapping(holders, starts_at, ends_at, except_event_id=event.id)
            .with_only_columns(Booking.user_id).order_by(None).scalar_subquery()
        ))
        .order_by(User.id)
    ).scalars().all()
    if clashing:
        raise ShiftsOverlapAfterMove(names="、".join(clashing))


# --- what the pages show -------------------------------------------------------------------


def holders_by_quota(quota_ids: Iterable[int]) -> dict[int, tuple[list[Booking], list[Booking]]]:
    """For each role quota: (confirmed holders by sign-up order, waiting list in order),
    with the people loaded, in one query."""
    ids = list(quota_ids)
    result: dict[int, tuple[list[Booking], list[Booking]]] = {quota_id: ([], []) for quota_id in ids}
    if not ids:
        return result
    rows = db.session.execute(
        sa.select(Booking)
        .where(Booking.quota_id.in_(ids), Booking.status.in_(ACTIVE))
        .options(joinedload(Booking.user))
        .order_by(Booking.confirmed_at, Booking.waitlisted_at, Booking.id)
    ).scalars()
    for booking in rows:
        confirmed, waiting = result[booking.quota_id]
        (confirmed if booking.is_confirmed else waiting).append(booking)
    for confirmed, waiting in result.values():
        waiting.sort(key=lambda b: (b.waitlisted_at, b.id))
    return result


def my_shifts_by_quota(user: User, quota_ids: Iterable[int]) -> dict[int, Booking]:
    """The person's active bookings among the given role quotas, keyed by quota id."""
    ids = list(quota_ids)
    if not ids or not getattr(user, "is_authenticated", False):
        return {}
    rows = db.session.execute(
        sa.select(Booking).where(
            Booking.user_id == user.id, Booking.quota_id.in_(ids), Booking.status.in_(ACTIVE)
        )
    ).scalars()
    return {booking.quota_id: booking for booking in rows}


def shifts_of(user: User, *, now: datetime, past: bool = False, limit: int | None = None):
    """The person's shifts as (booking, role, outcome) rows: coming ones (held, waited
    for, or released by an organizer; soonest first) or past ones (held to the end or
    decided; latest first), with events, programs and venues loaded in the same query."""
    query = (
        sa.select(Booking, ShiftRole, ShiftOutcome)
        .join(ShiftRole, ShiftRole.quota_id == Booking.quota_id)
        .join(Event, Event.id == Booking.event_id)
        .outerjoin(ShiftOutcome, ShiftOutcome.booking_id == Booking.id)
        .where(Booking.user_id == user.id)
        .options(
            joinedload(Booking.event).joinedload(Event.program),
            joinedload(Booking.event).joinedload(Event.venue),
        )
    )
    if past:
        query = query.where(
            Event.ends_at < now,
            sa.or_(Booking.status == BookingStatus.CONFIRMED, ShiftOutcome.id.is_not(None)),
        ).order_by(Event.starts_at.desc(), Booking.id.desc())
    else:
        query = query.where(
            Event.ends_at >= now,
            sa.or_(held_or_cancelled_with_event(), ShiftOutcome.status == OutcomeStatus.RELEASED),
        ).order_by(Event.starts_at, Booking.id)
    if limit is not None:
        query = query.limit(limit)
    return db.session.execute(query).unique().all()


def get_role(role_id: int) -> ShiftRole | None:
    """The role with ``role_id`` with its event and program, or None."""
    return db.session.execute(
        sa.select(ShiftRole).where(ShiftRole.id == role_id)
        .options(joinedload(ShiftRole.event).joinedload(Event.program))
    ).scalar_one_or_none()


def get_shift(booking_id: int) -> tuple[Booking, ShiftRole] | None:
    """The shift booking with ``booking_id`` and its role, or None (also for seat bookings)."""
    row = db.session.execute(
        sa.select(Booking, ShiftRole)
        .join(ShiftRole, ShiftRole.quota_id == Booking.quota_id)
        .where(Booking.id == booking_id)
        .options(joinedload(Booking.event).joinedload(Event.program), joinedload(Booking.user))
    ).first()
    return (row[0], row[1]) if row else None


def outcomes_by_booking(booking_ids: Iterable[int]) -> dict[int, ShiftOutcome]:
    """The recorded outcome of each shift booking that has one, in one query."""
    ids = list(booking_ids)
    if not ids:
        return {}
    rows = db.session.execute(sa.select(ShiftOutcome).where(ShiftOutcome.booking_id.in_(ids))).scalars()
    return {outcome.booking_id: outcome for outcome in rows}


def unconfirmed_counts(event_ids: Iterable[int]) -> dict[int, int]:
    """For each event: how many held shifts have no served/no-show record yet, in one query."""
    ids = list(event_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Booking.event_id, sa.func.count())
        .join(ShiftRole, ShiftRole.quota_id == Booking.quota_id)
        .outerjoin(ShiftOutcome, ShiftOutcome.booking_id == Booking.id)
        .where(Booking.event_id.in_(ids), Booking.status == BookingStatus.CONFIRMED, ShiftOutcome.id.is_(None))
        .group_by(Booking.event_id)
    )
    return dict(rows.all())


def released_by_quota(quota_ids: Iterable[int]) -> dict[int, list[tuple[Booking, ShiftOutcome]]]:
    """For each role quota: the people an organizer released, with the reasons, in one query."""
    ids = list(quota_ids)
    result: dict[int, list[tuple[Booking, ShiftOutcome]]] = {quota_id: [] for quota_id in ids}
    if not ids:
        return result
    rows = db.session.execute(
        sa.select(Booking, ShiftOutcome)
        .join(ShiftOutcome, ShiftOutcome.booking_id == Booking.id)
        .where(Booking.quota_id.in_(ids), ShiftOutcome.status == OutcomeStatus.RELEASED)
        .options(joinedload(Booking.user))
        .order_by(ShiftOutcome.decided_at, Booking.id)
    )
    for booking, outcome in rows:
        result[booking.quota_id].append((booking, outcome))
    return result
