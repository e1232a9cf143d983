"""People as the community office looks after them: what the site knows of a person,
their roles, deactivating and reactivating an account, and merging an account made at
the door (a walk-in) into the person's own.

Every change is recorded in the audit trail in the same transaction.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from models import (
    ATTENDED_STATUSES, Attendance, AttendanceChange, Booking, BookingStatus, CalendarToken, Child, Event,
    Delivery, Login, Membership, MembershipStatus, Notification, NotificationSettings, PasswordResetCode, Program,
    Role, ServiceEntry, Troupe, TroupeMembership, User, UserRole, db, program_organizers,
)

from . import audit, capacity, notifications, points, troupes
from .accounts import end_all_sessions, is_claimed, set_roles as store_roles
from .booking import bookings_of
from .errors import CannotDeactivateSelf, CannotDropOwnAdmin, MergeRefused, NotAWalkIn
from .locks import lock_people, lock_person
from .reset_codes import void_codes

RECENT_BOOKINGS_SHOWN = 10


# --- reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class Person:
    """What the admin's page about one person shows."""

    user: User
    organizes: list[Program]
    leads: list[Program]
    memberships: list[Membership]
    troupe_memberships: list[TroupeMembership]
    coming: list[Booking]
    recent: list[Booking]
    children: list[Child]
    totals: points.Totals
    is_walk_in: bool = field(default=False)


def person(user: User, *, now: datetime) -> Person:
    """Everything the admin's person page shows, in a constant number of queries."""
    organizes = list(db.session.execute(
        sa.select(Program).join(program_organizers, program_organizers.c.program_id == Program.id)
        .where(program_organizers.c.user_id == user.id).order_by(Program.kind, Program.name)
    ).scalars())
    leads = list(db.session.execute(
        sa.select(Program).join(Troupe, Troupe.program_id == Program.id)
        .where(Troupe.leader_id == user.id).order_by(Program.name)
    ).scalars())
    memberships = list(db.session.execute(
        sa.select(Membership).where(Membership.user_id == user.id)
        .options(joinedload(Membership.program)).order_by(Membership.applied_at.desc(), Membership.id.desc())
    ).scalars())
    troupe_memberships = list(db.session.execute(
        sa.select(TroupeMembership).where(TroupeMembership.user_id == user.id)
        .options(joinedload(TroupeMembership.program))
        .order_by(TroupeMembership.applied_at.desc(), TroupeMembership.id.desc())
    ).scalars())
    children = list(db.session.execute(
        sa.select(Child).where(Child.parent_id == user.id, Child.removed_at.is_(None)).order_by(Child.id)
    ).scalars())
    return Person(
        user=user, organizes=organizes, leads=leads, memberships=memberships,
        troupe_memberships=troupe_memberships,
        coming=bookings_of(user, now=now),
        recent=bookings_of(user, now=now, past=True, limit=RECENT_BOOKINGS_SHOWN),
        children=children, totals=points.totals_of(user), is_walk_in=not is_claimed(user),
    )


def _coming_bookings_query(user: User, now: datetime):
    """The person's confirmed or waiting bookings (seats, children's places, shifts) at
    events that haven't started."""
    return (
        sa.select(Booking).join(Booking.event)
        .where(Booking.user_id == user.id, Event.starts_at > now,
               Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]))
        .options(joinedload(Booking.event).joinedload(Event.program))
        .order_by(Event.starts_at, Booking.id)
    )


def coming_bookings(user: User, *, now: datetime) -> list[Booking]:
    """What deactivating the person could release: their places at events still to come."""
    return list(db.session.execute(_coming_bookings_query(user, now)).unique().scalars())


# --- roles --------------------------------------------------------------------------


def set_roles(user: User, roles: set[Role], *, by: User, now: datetime) -> None:
    """Give ``user`` exactly ``roles`` (the resident role always stays).

    :raises CannotDropOwnAdmin: when an administrator unticks their own administrator role.
    """
    if user.id == by.id and Role.ADMIN in user.roles and Role.ADMIN not in roles:
        raise CannotDropOwnAdmin()
    before = sorted(role.value for role in user.roles)
    store_roles(user, roles)
    after = sorted(role.value for role in user.roles)
    if before != after:
        audit.record("user.roles", actor=by, now=now, subject_type="users", subject_id=user.id,
                     label=user.display_name, before={"roles": before}, after={"roles": after})


# --- deactivating -------------------------------------------------------------------


def deactivate(user: User, *, by: User, now: datetime, release_bookings: bool) -> list[Booking]:
    """Deactivate an account: the person can't log in, every session and remember
    cookie they hold stops working at once, and any reset code is void. With
    ``release_bookings`` their places at events still to come are given up through
    services.capacity, so the waiting lists move; otherwise they are kept.
    Memberships of teams and troupes stay as they are.

    Returns the bookings released.

    :raises CannotDeactivateSelf: for one's own account.
    """
    if user.id == by.id:
        raise CannotDeactivateSelf()
    lock_person(user.id)
    released: list[Booking] = []
    if release_bookings:
        for booking in coming_bookings(user, now=now):
            if booking.is_active:
                capacity.release_booking(booking, now=now)
                released.append(booking)
    if not user.is_active_account and not released:
        return released
    was_active = user.is_active_account
    user.is_active_account = False
    void_codes(user, now=now)
    db.session.flush()
    end_all_sessions(user, now=now)
    notifications.account_deactivated(user, now=now)
    audit.record(
        "user.deactivate", actor=by, now=now, subject_type="users", subject_id=user.id,
        label=user.display_name, before={"active": was_active},
        after={"active": False, "released_bookings": len(released)},
    )
    return released


def reactivate(user: User, *, by: User, now: datetime) -> None:
    """Let a deactivated person log in again (bookings released meanwhile stay released)."""
    lock_person(user.id)
    if user.is_active_account:
        return
    user.is_active_account = True
    db.session.flush()
    audit.record("user.reactivate", actor=by, now=now, subject_type="users", subject_id=user.id,
                 label=user.display_name, before={"active": False}, after={"active": True})


# --- merging a walk-in account ------------------------------------------------------


@dataclass
class MergeResult:
    """What merging moved, and the bookings it released because both accounts held one."""

    bookings: int = 0
    released: list[Booking] = field(default_factory=list)
    attendance: int = 0
    memberships: int = 0


def merge_preview(walk_in: User) -> dict[str, int]:
    """How many bookings, attendance records and memberships a merge would move."""
    count = lambda model, column: db.session.execute(  # noqa: E731
        sa.select(sa.func.count()).select_from(model).where(column == walk_in.id)
    ).scalar_one()
    return {
        "bookings": count(Booking, Booking.user_id),
        "attendance": count(Attendance, Attendance.user_id),
        "memberships": count(Membership, Membership.user_id) + count(TroupeMembership, TroupeMembership.user_id),
    }


def _keep_one_booking(mine: Booking, theirs: Booking, *, now: datetime) -> Booking | None:
    """Of two active bookings on one quota, release the walk-in's unless it is the only
    confirmed one; return the one released."""
    drop = theirs if mine.is_confirmed or not theirs.is_confirmed else mine
    capacity.release_booking(drop, now=now)
    return drop


def _merge_bookings(walk_in: User, into: User, result: MergeResult, *, now: datetime) -> None:
    theirs = db.session.execute(
        sa.select(Booking).where(Booking.user_id == walk_in.id,
                                 Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]))
        .order_by(Booking.quota_id)
    ).scalars().all()
    for booking in theirs:
        mine = capacity.active_booking(booking.quota_id, into.id, booking.child_id)
        if mine is not None:
            result.released.append(_keep_one_booking(mine, booking, now=now))
    result.bookings = db.session.execute(
        sa.update(Booking).where(Booking.user_id == walk_in.id).values(user_id=into.id)
        .execution_options(synchronize_session="fetch")
    ).rowcount


def _merge_attendance(walk_in: User, into: User, result: MergeResult) -> None:
    """Move the walk-in's attendance rows. A row without a booking joins the person's
    confirmed seat at that event when it has no row yet; where the person already has a
    row at the event, the two become one (it says "came" if either did) and its record
    of changes keeps both histories."""
    rows = db.session.execute(
        sa.select(Attendance).where(Attendance.user_id == walk_in.id, Attendance.booking_id.is_(None))
    ).scalars().all()
    for row in rows:
        existing = db.session.execute(
            sa.select(Attendance).outerjoin(Booking, Booking.id == Attendance.booking_id).where(
                Attendance.event_id == row.event_id, Attendance.user_id == into.id,
                sa.or_(Attendance.booking_id.is_(None), Booking.child_id.is_(None)),
            ).order_by(Attendance.booking_id.is_(None), Attendance.id).limit(1)
        ).scalar_one_or_none()
        if existing is None:
            seat = db.session.execute(
                sa.select(Booking).where(
                    Booking.event_id == row.event_id, Booking.user_id == into.id, Booking.child_id.is_(None),
                    Booking.status == BookingStatus.CONFIRMED,
                    ~sa.exists().where(Attendance.booking_id == Booking.id),
                ).limit(1)
            ).scalar_one_or_none()
            if seat is not None:
                row.booking_id = seat.id
            continue
        if row.status in ATTENDED_STATUSES and existing.status not in ATTENDED_STATUSES:
            existing.status, existing.method = row.status, row.method
            existing.checked_in_at = row.checked_in_at
            existing.updated_at, existing.updated_by_id = row.updated_at, row.updated_by_id
        db.session.execute(
            sa.update(AttendanceChange).where(AttendanceChange.attendance_id == row.id)
            .values(attendance_id=existing.id).execution_options(synchronize_session="fetch")
        )
        db.session.delete(row)
    db.session.flush()
    result.attendance = db.session.execute(
        sa.update(Attendance).where(Attendance.user_id == walk_in.id).values(user_id=into.id)
        .execution_options(synchronize_session="fetch")
    ).rowcount


def _merge_memberships(walk_in: User, into: User, result: MergeResult, *, now: datetime) -> None:
    """Move memberships; where both hold an open one in a program, the walk-in's ends."""
    for membership in db.session.execute(
        sa.select(Membership).where(Membership.user_id == walk_in.id,
                                    Membership.status.in_([MembershipStatus.PENDING, MembershipStatus.ACTIVE]))
    ).scalars().all():
        clash = db.session.execute(sa.select(Membership.id).where(
            Membership.user_id == into.id, Membership.program_id == membership.program_id,
            Membership.status.in_([MembershipStatus.PENDING, MembershipStatus.ACTIVE]),
        )).first()
        if clash is not None:
            membership.status, membership.left_at = MembershipStatus.LEFT, now
    for membership in db.session.execute(
        sa.select(TroupeMembership).where(TroupeMembership.user_id == walk_in.id,
                                          TroupeMembership.status.in_(troupes.ACTIVE))
    ).scalars().all():
        if troupes.active_membership(membership.program_id, into.id) is not None:
            troupes.leave(membership, now=now)
    db.session.flush()
    moved = 0
    for model in (Membership, TroupeMembership):
        moved += db.session.execute(
            sa.update(model).where(model.user_id == walk_in.id).values(user_id=into.id)
            .execution_options(synchronize_session="fetch")
        ).rowcount
    result.memberships = moved


# Tables a merge handles itself; every other reference to a person is checked below.
_HANDLED = {
    (Booking.__tablename__, "user_id"), (Attendance.__tablename__, "user_id"),
    (Membership.__tablename__, "user_id"), (TroupeMembership.__tablename__, "user_id"),
    (Child.__tablename__, "parent_id"), (program_organizers.name, "user_id"),
    (Troupe.__tablename__, "leader_id"), (UserRole.__tablename__, "user_id"),
    (CalendarToken.__tablename__, "user_id"), (PasswordResetCode.__tablename__, "user_id"),
    (Notification.__tablename__, "user_id"), (Delivery.__tablename__, "user_id"),
    # Nobody logs in to an account made at the door: it has no logins or settings to keep.
    (NotificationSettings.__tablename__, "user_id"), (Login.__tablename__, "user_id"),
}


def _move_other_references(walk_in: User, into: User) -> None:
    """Point every other "who did it" column at the person's account; refuse the merge
    when a table this code doesn't know of holds rows that would be deleted with the
    walk-in account (a table added later must be handled here first)."""
    for table in db.metadata.sorted_tables:
        for foreign_key in table.foreign_keys:
            if foreign_key.column.table.name != User.__tablename__:
                continue
            column = foreign_key.parent
            if (table.name, column.name) in _HANDLED:
                continue
            if (foreign_key.ondelete or "").upper() == "SET NULL":
                db.session.execute(sa.update(table).where(column == walk_in.id).values({column.name: into.id}))
                continue
            left = db.session.execute(
                sa.select(sa.func.count()).select_from(table).where(column == walk_in.id)
            ).scalar_one()
            if left:
                raise MergeRefused(reason=_l("the account made at the door has records (%(table)s) that can't be moved.", table=table.name))


def merge_walk_in(walk_in: User, into: User, *, by: User, now: datetime) -> MergeResult:
    """Merge an account made at the door into the person's own account, in one
    transaction: bookings, attendance, memberships and children move over; where both
    hold a booking on the same quota one is kept (the confirmed one; the person's own
    when both are) and the other released through services.capacity. The walk-in
    account is then deleted, which frees its number.

    :raises NotAWalkIn: when ``walk_in`` has a password (someone logged in to it).
    :raises MergeRefused: when ``into`` is not an active account with a password, or the
        walk-in has records that can't be moved (a service record).
    """
    if walk_in.id == into.id or is_claimed(walk_in):
        raise NotAWalkIn()
    if not is_claimed(into) or not into.is_active_account:
        raise MergeRefused(reason=_l("the person's own account must be active and have a password."))
    lock_people([walk_in.id, into.id])
    has_service = db.session.execute(
        sa.select(ServiceEntry.id).where(ServiceEntry.user_id == walk_in.id).limit(1)
    ).first()
    if has_service is not None:
        raise MergeRefused(reason=_l("the account made at the door has volunteer service records."))
    label = f"{walk_in.display_name} ({walk_in.phone}) → {into.display_name} ({into.phone})"
    result = MergeResult()
    _merge_bookings(walk_in, into, result, now=now)
    _merge_attendance(walk_in, into, result)
    _merge_memberships(walk_in, into, result, now=now)
    db.session.execute(sa.update(Child).where(Child.parent_id == walk_in.id).values(parent_id=into.id))
    db.session.execute(sa.update(Troupe).where(Troupe.leader_id == walk_in.id).values(leader_id=into.id))
    organized = sa.select(program_organizers.c.program_id).where(program_organizers.c.user_id == into.id)
    db.session.execute(sa.insert(program_organizers).from_select(
        ["program_id", "user_id"],
        sa.select(program_organizers.c.program_id, sa.literal(into.id))
        .where(program_organizers.c.user_id == walk_in.id, program_organizers.c.program_id.not_in(organized)),
    ))
    # The messages the walk-in account was sent (a place from a waiting list, a change) are
    # the person's: they read them from now on; an email already queued went to no address.
    for model in (Notification, Delivery):
        db.session.execute(sa.update(model).where(model.user_id == walk_in.id).values(user_id=into.id))
    _move_other_references(walk_in, into)
    db.session.flush()
    audit.record(
        "user.merge", actor=by, now=now, subject_type="users", subject_id=into.id, label=label,
        before={"walk_in": walk_in.phone},
        after={"bookings": result.bookings, "released": len(result.released),
               "attendance": result.attendance, "memberships": result.memberships},
    )
    db.session.delete(walk_in)
    db.session.flush()
    return result
