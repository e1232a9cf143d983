"""The service record: hours and points (积分) in an append-only ledger.

Every change is a new :class:`ServiceEntry` carrying the person's running totals: a
served shift's credit, a correction when an organizer changes that decision, an
adjustment with a reason, a redemption (积分兑换), community service beyond the team
credited by an organizer or grid worker, a refund of a reward request given up. Nothing
is edited or deleted.

Each write locks the person's row first (:func:`services.locks.lock_person`), reads the
last entry and appends the next one; the database backs this with a unique
``(user_id, seq)``, non-negative totals, and at most one credit entry per shift, so a
double submit credits a shift once and no balance goes below zero.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from models import (
    Booking, BookingStatus, Building, BuildingLeader, EntryKind, GridWorker, Membership, MembershipStatus,
    OutcomeStatus, Program, Residence, Role, ServiceActivity, ServiceEntry, ShiftOutcome, ShiftRole, User, db,
)

from . import shifts
from .dates import to_local
from .db import begin_write
from .errors import (
    BalanceBelowZero, EventCancelled, HoursBelowZero, NotAllowedToCredit, NotAShift, NotEnoughPoints,
    NothingToChange, OutcomeTooEarly, ReasonRequired,
)
from .locks import lock_person

HONOUR_BOARD_SIZE = 10


@dataclass(frozen=True)
class Totals:
    """A person's service hours (in minutes) and points balance."""

    minutes: int = 0
    points: int = 0


def _last_entry(user_id: int) -> ServiceEntry | None:
    return db.session.execute(
        sa.select(ServiceEntry).where(ServiceEntry.user_id == user_id).order_by(ServiceEntry.seq.desc()).limit(1)
    ).scalar_one_or_none()


def totals_of(user: User) -> Totals:
    """The person's total service minutes and points balance (from their last entry)."""
    last = _last_entry(user.id)
    return Totals(last.minutes_total, last.points_balance) if last else Totals()


def _hours(minutes: int) -> str:
    return f"{minutes / 60:.1f}".removesuffix(".0")


def _append(user: User, kind: EntryKind, *, minutes: int, points: int, served_at: datetime, now: datetime,
            booking_id: int | None = None, reason: str = "", recorded_by: User | None = None,
            activity: ServiceActivity | None = None) -> ServiceEntry:
    """Add the next line of ``user``'s ledger (the caller holds the person's lock).

    :raises NotEnoughPoints, BalanceBelowZero, HoursBelowZero: when a total would go below zero.
    """
    last = _last_entry(user.id)
    totals = Totals(last.minutes_total, last.points_balance) if last else Totals()
    minutes_total, points_balance = totals.minutes + minutes, totals.points + points
    if points_balance < 0:
        if kind is EntryKind.REDEMPTION:
            raise NotEnoughPoints(balance=totals.points, points=-points)
        raise BalanceBelowZero(name=user.display_name, balance=totals.points)
    if minutes_total < 0:
        raise HoursBelowZero(name=user.display_name, hours=_hours(totals.minutes))
    entry = ServiceEntry(
        user_id=user.id, seq=(last.seq if last else 0) + 1, kind=kind, minutes=minutes, points=points,
        minutes_total=minutes_total, points_balance=points_balance, booking_id=booking_id, reason=reason,
        recorded_by_id=recorded_by.id if recorded_by else None, served_at=served_at, created_at=now,
        activity=activity,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


def record_outcome(booking: Booking, status: OutcomeStatus, organizer: User, *, now: datetime,
                   minutes: int | None = None, reason: str = "") -> ServiceEntry | None:
    """Record after the event whether the holder served (crediting hours and points by
    the role's rule) or didn't show up. Recording the same again changes nothing;
    changing an earlier decision adds a correction entry.

    ``minutes`` defaults to the role's credited length; other minutes need a reason, and
    so does changing an earlier decision. Returns the ledger entry added, if any.

    :raises NotAShift: unless the booking is a confirmed shift.
    :raises OutcomeTooEarly: before the event has begun.
    :raises EventCancelled: for a cancelled event.
    :raises ReasonRequired: for other minutes or a changed decision without a reason.
    :raises BalanceBelowZero: when taking a credit back would leave the balance below zero.
    """
    if status not in (OutcomeStatus.SERVED, OutcomeStatus.NO_SHOW):
        raise ValueError(status)
    begin_write()
    role = shifts.role_for_booking(booking)
    if role is None:
        raise NotAShift()
    lock_person(booking.user_id)
    db.session.refresh(booking)
    event = booking.event
    if event.is_cancelled:  # its shifts were cancelled with it
        raise EventCancelled()
    if booking.status is not BookingStatus.CONFIRMED:
        raise NotAShift()
    if now < event.starts_at:
        raise OutcomeTooEarly()
    reason = reason.strip()
    default = role.default_minutes(event)
    if status is OutcomeStatus.SERVED:
        minutes = minutes or default
        if minutes != default and not reason:
            raise ReasonRequired()
    else:
        minutes = 0
    outcome = db.session.execute(
        sa.select(ShiftOutcome).where(ShiftOutcome.booking_id == booking.id)
    ).scalar_one_or_none()
    if outcome is not None and outcome.status is status and outcome.minutes == minutes:
        return None  # the same decision again (a double submit): nothing more to credit
    if outcome is not None and not reason:
        raise ReasonRequired()

    points = role.points_for(minutes) if status is OutcomeStatus.SERVED else 0
    credited_minutes, credited_points, credits = db.session.execute(
        sa.select(
            sa.func.coalesce(sa.func.sum(ServiceEntry.minutes), 0),
            sa.func.coalesce(sa.func.sum(ServiceEntry.points), 0),
            sa.func.count(ServiceEntry.id).filter(ServiceEntry.kind == EntryKind.SHIFT),
        ).where(
            ServiceEntry.booking_id == booking.id,
            ServiceEntry.kind.in_([EntryKind.SHIFT, EntryKind.CORRECTION]),
        )
    ).one()
    entry = None
    if (minutes, points) != (credited_minutes, credited_points):
        entry = _append(
            booking.user, EntryKind.CORRECTION if credits else EntryKind.SHIFT,
            minutes=minutes - credited_minutes, points=points - credited_points,
            served_at=event.starts_at, now=now, booking_id=booking.id, reason=reason, recorded_by=organizer,
        )
    if outcome is None:
        outcome = ShiftOutcome(booking_id=booking.id)
        db.session.add(outcome)
    outcome.status, outcome.minutes, outcome.reason = status, minutes, reason
    outcome.decided_by_id, outcome.decided_at = organizer.id, now
    db.session.flush()
    return entry


def adjust(user: User, *, minutes: int, points: int, reason: str, organizer: User, now: datetime) -> ServiceEntry:
    """Add or take away hours and points with a reason (e.g. preparing a talk at home).

    :raises NothingToChange: when both are zero.
    :raises ReasonRequired: without a reason.
    :raises BalanceBelowZero, HoursBelowZero: when a total would go below zero.
    """
    if minutes == 0 and points == 0:
        raise NothingToChange()
    if not reason.strip():
        raise ReasonRequired()
    lock_person(user.id)
    return _append(user, EntryKind.ADJUSTMENT, minutes=minutes, points=points, served_at=now, now=now,
                   reason=reason.strip(), recorded_by=organizer)


def redeem(user: User, *, points: int, reason: str, organizer: User, now: datetime) -> ServiceEntry:
    """Record points exchanged (积分兑换), e.g. for daily necessities, with what was given.

    :raises NotEnoughPoints: when the balance is smaller than ``points``.
    :raises ReasonRequired: without a reason.
    """
    if points <= 0:
        raise NothingToChange()
    if not reason.strip():
        raise ReasonRequired()
    lock_person(user.id)
    return _append(user, EntryKind.REDEMPTION, minutes=0, points=-points, served_at=now, now=now,
                   reason=reason.strip(), recorded_by=organizer)


def credit_service(user: User, *, minutes: int, points: int, activity: ServiceActivity, reason: str,
                   by: User, now: datetime, served_at: datetime | None = None) -> ServiceEntry:
    """Credit community service beyond the lecture team — a building leader's visits,
    helping at any program — with hours and/or points and what was done; only an
    organizer (anyone) or a grid worker (people of their grids) may.

    :raises NotAllowedToCredit: when ``by`` may not credit ``user``.
    :raises NothingToChange: unless some hours or points are credited (and none taken away).
    :raises ReasonRequired: without saying what was done.
    """
    if minutes < 0 or points < 0 or (minutes == 0 and points == 0):
        raise NothingToChange()
    if not reason.strip():
        raise ReasonRequired()
    lock_person(user.id)
    if not can_credit(by, user):
        raise NotAllowedToCredit()
    return _append(user, EntryKind.SERVICE, minutes=minutes, points=points, served_at=served_at or now, now=now,
                   reason=reason.strip(), recorded_by=by, activity=activity)


def can_credit(by: User, user: User) -> bool:
    """Tell whether ``by`` may credit service to ``user``: organizers and administrators
    anyone, grid workers the residents and building leaders of their grids."""
    if not getattr(by, "is_authenticated", False):
        return False
    if by.has_role(Role.ORGANIZER):
        return True
    if not by.has_role(Role.GRID_WORKER):
        return False
    return db.session.execute(sa.select(in_grids_of(by)).where(User.id == user.id)).scalar() or False


def in_grids_of(worker: User):
    """SQL condition on :class:`User`: the person lives in, or leads a building of, one of
    the grids ``worker`` works for."""
    grids = sa.select(GridWorker.grid_id).where(GridWorker.user_id == worker.id)
    buildings = sa.select(Building.id).where(Building.grid_id.in_(grids))
    return sa.or_(
        sa.exists().where(Residence.user_id == User.id, Residence.building_id.in_(buildings)),
        sa.exists().where(BuildingLeader.user_id == User.id, BuildingLeader.building_id.in_(buildings)),
    )


def people_to_credit(by: User, text: str, *, limit: int = 20) -> list[User]:
    """People ``by`` may credit whose name or mobile number contains ``text`` (active
    accounts, by name), in one query."""
    text = text.strip()[:40]
    if not text:
        return []
    query = (
        sa.select(User)
        .where(
            User.is_active_account.is_(True),
            sa.or_(User.display_name.contains(text, autoescape=True), User.phone.contains(text, autoescape=True)),
        )
        .order_by(User.display_name, User.id)
        .limit(limit)
    )
    if not by.has_role(Role.ORGANIZER):
        query = query.where(in_grids_of(by)) if by.has_role(Role.GRID_WORKER) else query.where(sa.false())
    return list(db.session.execute(query).scalars())


def refund(user: User, *, points: int, reason: str, by: User | None, now: datetime) -> ServiceEntry:
    """Give points back (a reward request cancelled or declined), with the reason."""
    if points <= 0:
        raise NothingToChange()
    lock_person(user.id)
    return _append(user, EntryKind.REFUND, minutes=0, points=points, served_at=now, now=now,
                   reason=reason.strip(), recorded_by=by)


def ledger_of(user: User, *, limit: int = 100):
    """The person's latest ledger lines as (entry, role name or None), newest first, with
    the shift's event loaded in the same query."""
    return db.session.execute(
        sa.select(ServiceEntry, ShiftRole.name)
        .outerjoin(Booking, Booking.id == ServiceEntry.booking_id)
        .outerjoin(ShiftRole, ShiftRole.quota_id == Booking.quota_id)
        .where(ServiceEntry.user_id == user.id)
        .options(joinedload(ServiceEntry.booking).joinedload(Booking.event), joinedload(ServiceEntry.recorded_by))
        .order_by(ServiceEntry.seq.desc())
        .limit(limit)
    ).all()


def members_with_totals(program: Program):
    """The program's active members as (membership, minutes total, points balance),
    by name, in one query."""
    last = (
        sa.select(ServiceEntry.user_id, sa.func.max(ServiceEntry.seq).label("seq"))
        .group_by(ServiceEntry.user_id)
        .subquery()
    )
    rows = db.session.execute(
        sa.select(Membership, ServiceEntry.minutes_total, ServiceEntry.points_balance)
        .join(User, User.id == Membership.user_id)
        .outerjoin(last, last.c.user_id == Membership.user_id)
        .outerjoin(ServiceEntry, sa.and_(ServiceEntry.user_id == last.c.user_id, ServiceEntry.seq == last.c.seq))
        .where(Membership.program_id == program.id, Membership.status == MembershipStatus.ACTIVE)
        .options(joinedload(Membership.user))
        .order_by(User.display_name, User.id)
    ).all()
    return [(membership, minutes or 0, points or 0) for membership, minutes, points in rows]


@dataclass(frozen=True)
class BoardLine:
    user_id: int
    display_name: str
    minutes: int


def _periods(now: datetime) -> dict[str, tuple[datetime, datetime]]:
    """This month and this year in the community's calendar, as [start, end) pairs."""
    month = to_local(now).replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    next_month = (month + timedelta(days=32)).replace(day=1)
    year = month.replace(month=1)
    return {"month": (month, next_month), "year": (year, year.replace(year=year.year + 1))}


def top_by_hours(since: datetime, until: datetime, *, limit: int = HONOUR_BOARD_SIZE) -> list[BoardLine]:
    """The people with the most service hours served in ``[since, until)``, in one query."""
    total = sa.func.sum(ServiceEntry.minutes)
    rows = db.session.execute(
        sa.select(User.id, User.display_name, total.label("minutes"))
        .join(ServiceEntry, ServiceEntry.user_id == User.id)
        .where(ServiceEntry.served_at >= since, ServiceEntry.served_at < until)
        .group_by(User.id, User.display_name)
        .having(total > 0)
        .order_by(total.desc(), User.id)
        .limit(limit)
    )
    return [BoardLine(user_id, name, minutes) for user_id, name, minutes in rows]


def honour_board(*, now: datetime) -> dict[str, list[BoardLine]]:
    """The honour board (光荣榜): top volunteers by hours served this month and this year
    (local calendar), in two queries."""
    return {name: top_by_hours(since, until) for name, (since, until) in _periods(now).items()}


def minutes_by_event(event_ids: list[int]) -> dict[int, int]:
    """The service minutes credited for shifts at each of the given events (credits and
    their corrections), by event id, in one aggregate query — the dashboard's volunteer
    hours."""
    if not event_ids:
        return {}
    total = sa.func.sum(ServiceEntry.minutes)
    rows = db.session.execute(
        sa.select(Booking.event_id, total)
        .join(ServiceEntry, ServiceEntry.booking_id == Booking.id)
        .where(
            Booking.event_id.in_(list(event_ids)),
            ServiceEntry.kind.in_([EntryKind.SHIFT, EntryKind.CORRECTION]),
        )
        .group_by(Booking.event_id)
    )
    return {event_id: int(minutes or 0) for event_id, minutes in rows}


def has_record(program: Program, user_id: int) -> bool:
    """Tell whether the person ever applied to ``program`` or has a service record."""
    applied = sa.exists().where(Membership.program_id == program.id, Membership.user_id == user_id)
    served = sa.exists().where(ServiceEntry.user_id == user_id)
    return db.session.execute(sa.select(sa.or_(applied, served))).scalar_one()
