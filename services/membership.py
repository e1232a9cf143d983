"""Belonging to a program: applying with a note, an organizer's decision, leaving.

Built for the lecture team (蒲公英宣讲队), whose members are volunteers, but nothing here
is specific to it: any program with members can use the same rows and rules.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from models import (
    Booking, BookingStatus, Event, EventStatus, Membership, MembershipStatus, NotificationKind, Program,
    ProgramKind, Role, ShiftRole, User, db,
)

from . import notifications
from .errors import AlreadyDecided, AlreadyMember, NotMember, ReasonRequired, StillHoldsShifts
from .locks import lock_person

# The role an approved member is given, by kind of program.
GRANTED_ROLE = {ProgramKind.LECTURE_TEAM: Role.VOLUNTEER}

_OPEN = (MembershipStatus.PENDING, MembershipStatus.ACTIVE)


def open_membership(program_id: int, user_id: int) -> Membership | None:
    """The person's pending or active membership of the program, if any."""
    return db.session.execute(
        sa.select(Membership).where(
            Membership.program_id == program_id, Membership.user_id == user_id,
            Membership.status.in_(_OPEN),
        )
    ).scalar_one_or_none()


def latest_membership(program: Program, user: User) -> Membership | None:
    """The person's most recent membership row of the program (open, declined or left)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(
        sa.select(Membership)
        .where(Membership.program_id == program.id, Membership.user_id == user.id)
        .order_by(Membership.applied_at.desc(), Membership.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def is_active_member(program_id: int, user_id: int) -> bool:
    """Tell whether the person is an active member of the program."""
    membership = open_membership(program_id, user_id)
    return membership is not None and membership.is_active


def apply_to_join(program: Program, user: User, note: str, *, now: datetime) -> Membership:
    """Ask to join ``program`` with a short note; asking again while the first
    application waits returns that application.

    :raises AlreadyMember: when the person is already an active member.
    """
    lock_person(user.id)
    existing = open_membership(program.id, user.id)
    if existing is not None:
        if existing.is_active:
            raise AlreadyMember(program=program.name)
        return existing
    membership = Membership(
        program_id=program.id, user_id=user.id, status=MembershipStatus.PENDING, note=note, applied_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(membership)
            db.session.flush()
    except IntegrityError:
        # Only reachable if the person lock was bypassed; the partial unique index holds.
        existing = open_membership(program.id, user.id)
        if existing is None:
            raise
        return existing
    return membership


def _decide(membership: Membership) -> None:
    lock_person(membership.user_id)
    db.session.refresh(membership)
    if not membership.is_pending:
        raise AlreadyDecided()


def approve(membership: Membership, organizer: User, *, now: datetime) -> None:
    """Accept an application; the new member is given the program's role (volunteer).

    :raises AlreadyDecided: when the application was already approved or declined.
    """
    _decide(membership)
    membership.status = MembershipStatus.ACTIVE
    membership.decided_by_id = organizer.id
    membership.decided_at = now
    role = GRANTED_ROLE.get(membership.program.kind)
    if role is not None:
        membership.user.grant(role)
    db.session.flush()
    notifications.membership_decided(
        membership.user_id, membership.program, NotificationKind.MEMBERSHIP_APPROVED, now=now
    )


def decline(membership: Membership, organizer: User, reason: str, *, now: datetime) -> None:
    """Turn an application down with a reason the applicant will see.

    :raises ReasonRequired: without a reason.
    :raises AlreadyDecided: when the application was already approved or declined.
    """
    if not reason.strip():
        raise ReasonRequired()
    _decide(membership)
    membership.status = MembershipStatus.DECLINED
    membership.decided_by_id = organizer.id
    membership.decided_at = now
    membership.reason = reason.strip()
    db.session.flush()
    notifications.membership_decided(
        membership.user_id, membership.program, NotificationKind.MEMBERSHIP_DECLINED, now=now,
        reason=membership.reason,
    )


def coming_shift_count(user_id: int, *, now: datetime) -> int:
    """How many shifts (held or waited for) the person has at events not yet over."""
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(Booking)
        .join(ShiftRole, ShiftRole.quota_id == Booking.quota_id)
        .join(Event, Event.id == Booking.event_id)
        .where(
            Booking.user_id == user_id,
            Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]),
            Event.status == EventStatus.SCHEDULED,
            Event.ends_at > now,
        )
    ).scalar_one()


def leave(program: Program, user: User, *, now: datetime) -> Membership:
    """Leave ``program`` (or withdraw a waiting application). Leaving the last program
    that gave the person a role takes that role away.

    :raises NotMember: when the person has no open membership.
    :raises StillHoldsShifts: when a member still holds coming shifts.
    """
    lock_person(user.id)
    membership = open_membership(program.id, user.id)
    if membership is None:
        raise NotMember(program=program.name)
    if membership.is_active:
        count = coming_shift_count(user.id, now=now)
        if count:
            raise StillHoldsShifts(count=count)
    membership.status = MembershipStatus.LEFT
    membership.left_at = now
    db.session.flush()
    role = GRANTED_ROLE.get(program.kind)
    if role is not None and not _still_granted(user.id, role):
        user.revoke(role)
    db.session.flush()
    return membership


def _still_granted(user_id: int, role: Role) -> bool:
    """Tell whether another active membership still gives the person ``role``."""
    kinds = [kind for kind, granted in GRANTED_ROLE.items() if granted is role]
    return db.session.execute(
        sa.select(Membership.id)
        .join(Program, Program.id == Membership.program_id)
        .where(
            Membership.user_id == user_id, Membership.status == MembershipStatus.ACTIVE,
            Program.kind.in_(kinds),
        )
        .limit(1)
    ).first() is not None


def pending_applications(program: Program) -> list[Membership]:
    """Applications waiting for a decision, oldest first, with the applicants."""
    return list(db.session.execute(
        sa.select(Membership)
        .where(Membership.program_id == program.id, Membership.status == MembershipStatus.PENDING)
        .options(joinedload(Membership.user))
        .order_by(Membership.applied_at, Membership.id)
    ).scalars())


def active_members(program: Program) -> list[Membership]:
    """The program's active members with their accounts, by the date they joined."""
    return list(db.session.execute(
        sa.select(Membership)
        .where(Membership.program_id == program.id, Membership.status == MembershipStatus.ACTIVE)
        .options(joinedload(Membership.user))
        .order_by(Membership.decided_at, Membership.id)
    ).scalars())


def get_membership(program: Program, membership_id: int) -> Membership | None:
    """The membership row with ``membership_id`` if it belongs to ``program``."""
    membership = db.session.get(Membership, membership_id)
    if membership is None or membership.program_id != program.id:
        return None
    return membership
