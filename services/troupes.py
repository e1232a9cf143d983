"""Troupes (文体队伍): membership with an optional member limit and waiting list, the
leader's rehearsal schedules and cancellations, and performances residents book seats for.

Members are not ``Booking`` rows: a booking is a place at one dated event (``event_id``
is required, and "my bookings", ticket codes and calendar feeds all read bookings that
way), while a membership has no date and starts as an application that the leader
decides on. The member limit is still a :class:`~models.Quota`, locked and claimed with
a guarded write, so the database refuses more members than the limit; see
docs/ARCHITECTURE.md, "Troupes".
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, lazyload

from models import (
    Booking, BookingStatus, Event, NotificationKind, TroupeMembership, TroupeMembershipStatus, Program, ProgramKind, Quota, Troupe, User, Venue,
    WeeklySchedule, db, weekly_schedule_events,
)

from . import booking as booking_service
from . import audiences, capacity, notifications, schedules
from .roster import RowKind
from .feeds import Entry, Window
from .accounts import find_by_phone
from .db import begin_write
from .errors import (
    ApplicationDecided, LeaderNotFound, MemberLimitBelowMembers, NotBookable,
)
from .events import EventChanges, add_event

ACTIVE = (TroupeMembershipStatus.APPLIED, TroupeMembershipStatus.MEMBER, TroupeMembershipStatus.WAITLISTED)


# --- reading ------------------------------------------------------------------------


def get_troupe_program(slug: str) -> Program | None:
    """The troupe program with ``slug`` (not archived), or None."""
    return db.session.execute(
        sa.select(Program).where(Program.slug == slug, Program.kind == ProgramKind.TROUPE, Program.is_listed())
    ).scalar_one_or_none()


def troupe_of(program: Program) -> Troupe:
    """The troupe details of ``program``; blank and unsaved when none were recorded yet."""
    troupe = db.session.get(Troupe, program.id)
    if troupe is None:
        troupe = Troupe(program_id=program.id, rehearsal_times="", rehearsal_place="")
    return troupe


def can_manage(user: User, program: Program, troupe: Troupe) -> bool:
    """Tell whether ``user`` may manage the troupe: its leader, its organizers, admins."""
    return troupe.is_led_by(user) or program.is_organized_by(user)


def active_membership(program_id: int, user_id: int) -> TroupeMembership | None:
    """The person's application, membership or waiting place in the troupe, if any."""
    return db.session.execute(
        sa.select(TroupeMembership).where(
            TroupeMembership.program_id == program_id, TroupeMembership.user_id == user_id,
            TroupeMembership.status.in_(ACTIVE),
        )
    ).scalar_one_or_none()


def latest_membership(program: Program, user: User) -> TroupeMembership | None:
    """The person's most recent membership record in the troupe (to show a decline reason)."""
    if not getattr(user, "is_authenticated", False):
        return None
    return db.session.execute(
        sa.select(TroupeMembership)
        .where(TroupeMembership.program_id == program.id, TroupeMembership.user_id == user.id)
        .order_by(TroupeMembership.applied_at.desc(), TroupeMembership.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def member_counts(program_ids) -> dict[int, int]:
    """How many members each troupe has, in one query."""
    ids = list(program_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(TroupeMembership.program_id, sa.func.count())
        .where(TroupeMembership.program_id.in_(ids), TroupeMembership.status == TroupeMembershipStatus.MEMBER)
        .group_by(TroupeMembership.program_id)
    )
    return {program_id: count for program_id, count in rows}


@dataclass(frozen=True)
class DirectoryEntry:
    """One troupe as the directory shows it."""

    program: Program
    troupe: Troupe
    members: int
    schedules: list[WeeklySchedule]


def directory(*, now: datetime) -> list[DirectoryEntry]:
    """Every troupe with its leader, member count and current rehearsal schedules, in a
    constant number of queries."""
    rows = db.session.execute(
        sa.select(Program, Troupe)
        .outerjoin(Troupe, Troupe.program_id == Program.id)
        .where(Program.kind == ProgramKind.TROUPE, Program.is_listed())
        .options(joinedload(Troupe.leader), joinedload(Troupe.member_quota))
        .order_by(Program.id)
    ).all()
    ids = [program.id for program, _ in rows]
    counts = member_counts(ids)
    by_program: dict[int, list[WeeklySchedule]] = {}
    for schedule in schedules.schedules_of(ids, now=now):
        by_program.setdefault(schedule.program_id, []).append(schedule)
    return [
        DirectoryEntry(
            program=program,
            troupe=troupe or Troupe(program_id=program.id, rehearsal_times="", rehearsal_place=""),
            members=counts.get(program.id, 0), schedules=by_program.get(program.id, []),
        )
        for program, troupe in rows
    ]


def _troupe_events(program_ids, *, now: datetime, rehearsals: bool):
    """A select of troupe events not yet over — rehearsals or performances — of the
    given troupes (all troupes when ``program_ids`` is None), soonest first."""
    query = (
        sa.select(Event)
        .join(Event.program)
        .where(
            Program.kind == ProgramKind.TROUPE, Program.is_listed(), Event.ends_at >= now,
            schedules.is_scheduled() if rehearsals else ~schedules.is_scheduled(),
        )
        .options(joinedload(Event.venue), joinedload(Event.program))
        .order_by(Event.starts_at, Event.id)
    )
    if program_ids is not None:
        query = query.where(Event.program_id.in_(list(program_ids)))
    return query


def upcoming_performances(*, now: datetime, program: Program | None = None, limit: int = 20,
                          viewer: User | None = None) -> list[Event]:
    """Coming performances and activities (events not generated by a rehearsal schedule)
    of one troupe or of all troupes that ``viewer`` may see (None: someone not logged
    in), soonest first."""
    ids = [program.id] if program is not None else None
    query = _troupe_events(ids, now=now, rehearsals=False).where(audiences.visible_to(viewer))
    return list(db.session.execute(query.limit(limit)).scalars())


def upcoming_rehearsals(program_ids, *, now: datetime, limit: int = 12) -> list[Event]:
    """Coming rehearsals (cancelled ones too, so members see the reason) of the troupes."""
    ids = list(program_ids)
    if not ids:
        return []
    return list(db.session.execute(_troupe_events(ids, now=now, rehearsals=True).limit(limit)).scalars())


def is_rehearsal(event: Event) -> bool:
    """Tell whether the event is a rehearsal (generated by a rehearsal schedule)."""
    return schedules.schedule_of_event(event.id) is not None


def rehearsal_entries(user: User, window: Window) -> list[Entry]:
    """The rehearsals in ``window`` of the troupes the person is a member of, for their
    personal calendar feed, in one query."""
    events = db.session.execute(
        sa.select(Event)
        .join(Event.program)
        .join(TroupeMembership, TroupeMembership.program_id == Event.program_id)
        .where(
            TroupeMembership.user_id == user.id, TroupeMembership.status == TroupeMembershipStatus.MEMBER,
            Program.kind == ProgramKind.TROUPE, schedules.is_scheduled(), window.clause(),
        )
        .options(joinedload(Event.program), joinedload(Event.venue), joinedload(Event.series))
        .order_by(Event.starts_at, Event.id)
    ).scalars()
    return [Entry(event=event) for event in events]


def members_at_rehearsals(events: list[Event]) -> dict[int, list[tuple[User, RowKind]]]:
    """Who is expected at each of the given troupe events without a booking: at a
    rehearsal, the people who were members of the troupe when it took place (joined before
    it ended, hadn't left before it began); nobody at a performance. One query.
    """
    ids = [event.id for event in events]
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(weekly_schedule_events.c.event_id, User)
        .select_from(weekly_schedule_events)
        .join(Event, Event.id == weekly_schedule_events.c.event_id)
        .join(TroupeMembership, TroupeMembership.program_id == Event.program_id)
        .join(User, User.id == TroupeMembership.user_id)
        .where(
            weekly_schedule_events.c.event_id.in_(ids),
            TroupeMembership.status.in_([TroupeMembershipStatus.MEMBER, TroupeMembershipStatus.LEFT]),
            TroupeMembership.joined_at < Event.ends_at,
            sa.or_(TroupeMembership.ended_at.is_(None), TroupeMembership.ended_at > Event.starts_at),
        )
        .order_by(User.display_name, User.id)
        .options(lazyload(User.role_links))  # a roster never shows people's roles
    ).all()
    expected: dict[int, list[tuple[User, RowKind]]] = {}
    for event_id, user in rows:
        expected.setdefault(event_id, []).append((user, RowKind.MEMBER))
    return expected


def get_troupe_event(event_id: int, *, viewer=audiences.ANYONE) -> Event | None:
    """The rehearsal or performance with ``event_id`` (an event of a troupe) if ``viewer``
    may see it, or None."""
    return db.session.execute(
        sa.select(Event)
        .join(Event.program)
        .where(Event.id == event_id, Program.kind == ProgramKind.TROUPE, audiences.visible_to(viewer))
        .options(joinedload(Event.venue), joinedload(Event.program))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class Roster:
    """A troupe's people, as its leader sees them."""

    applications: list[TroupeMembership]
    members: list[TroupeMembership]
    waiting: list[TroupeMembership]


def roster(program: Program) -> Roster:
    """Pending applications (oldest first), members and the waiting list (in order), with
    each person loaded in the same query."""
    rows = db.session.execute(
        sa.select(TroupeMembership)
        .where(TroupeMembership.program_id == program.id, TroupeMembership.status.in_(ACTIVE))
        .options(joinedload(TroupeMembership.user))
        .order_by(TroupeMembership.applied_at, TroupeMembership.id)
    ).scalars().all()
    return Roster(
        applications=[m for m in rows if m.is_pending],
        members=sorted((m for m in rows if m.is_member), key=lambda m: (m.joined_at, m.id)),
        waiting=sorted((m for m in rows if m.is_waitlisted), key=lambda m: (m.waitlisted_at, m.id)),
    )


def waiting_position(membership: TroupeMembership) -> int | None:
    """The membership's place on the troupe's waiting list (1 = next), or None."""
    if not membership.is_waitlisted:
        return None
    ahead = db.session.execute(
        sa.select(sa.func.count()).select_from(TroupeMembership).where(
            TroupeMembership.program_id == membership.program_id,
            TroupeMembership.status == TroupeMembershipStatus.WAITLISTED,
            sa.or_(
                TroupeMembership.waitlisted_at < membership.waitlisted_at,
                sa.and_(TroupeMembership.waitlisted_at == membership.waitlisted_at, TroupeMembership.id < membership.id),
            ),
        )
    ).scalar_one()
    return ahead + 1


def who_booked(event: Event) -> tuple[list[Booking], list[Booking]]:
    """The confirmed bookings of a performance and its waiting list in order, with each
    person loaded in the same query."""
    rows = db.session.execute(
        sa.select(Booking)
        .where(Booking.quota_id == event.seat_quota_id, Booking.status.in_((BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)))
        .options(joinedload(Booking.user))
        .order_by(Booking.confirmed_at, Booking.id)
    ).scalars().all()
    confirmed = [b for b in rows if b.is_confirmed]
    waiting = sorted((b for b in rows if b.is_waitlisted), key=lambda b: (b.waitlisted_at, b.id))
    return confirmed, waiting


@dataclass(frozen=True)
class MyTroupes:
    """A person's troupes: the memberships they hold and the rehearsals coming up."""

    memberships: list[TroupeMembership]
    led: list[Program]
    rehearsals: list[Event]


def my_troupes(user: User, *, now: datetime) -> MyTroupes:
    """The person's applications, memberships and waiting places, the troupes they lead,
    and the coming rehearsals of the troupes they belong to or lead."""
    memberships = list(db.session.execute(
        sa.select(TroupeMembership)
        .where(TroupeMembership.user_id == user.id, TroupeMembership.status.in_(ACTIVE))
        .options(joinedload(TroupeMembership.program))
        .order_by(TroupeMembership.applied_at)
    ).scalars())
    led = list(db.session.execute(
        sa.select(Program).join(Troupe, Troupe.program_id == Program.id)
        .where(Troupe.leader_id == user.id).order_by(Program.id)
    ).scalars())
    ids = {m.program_id for m in memberships if m.is_member} | {p.id for p in led}
    return MyTroupes(memberships=memberships, led=led, rehearsals=upcoming_rehearsals(ids, now=now, limit=30))


# --- membership ---------------------------------------------------------------------


def _locked_troupe(program: Program) -> Troupe:
    """Lock the troupe's row (creating it when missing) and its member quota for the rest
    of the transaction; every membership change of one troupe is serialised by this."""
    begin_write()
    select_troupe = (
        sa.select(Troupe).where(Troupe.program_id == program.id)
        .with_for_update().execution_options(populate_existing=True)
    )
    troupe = db.session.execute(select_troupe).scalar_one_or_none()
    if troupe is None:
        try:
            with db.session.begin_nested():
                db.session.add(Troupe(program_id=program.id, rehearsal_times="", rehearsal_place=""))
                db.session.flush()
        except IntegrityError:
            pass  # someone else created it meanwhile
        troupe = db.session.execute(select_troupe).scalar_one()
    if troupe.member_quota_id is not None:
        capacity.lock_quota(troupe.member_quota_id)
    return troupe


def _claim_member_place(troupe: Troupe) -> bool:
    """Take one place under the member limit if one is free (always, without a limit)."""
    if troupe.member_quota_id is None:
        return True
    # The guarded write of services.capacity, on the member quota; the quota's CHECK
    # constraint refuses more members than the limit even without the guard.
    result = db.session.execute(
        sa.update(Quota)
        .where(Quota.id == troupe.member_quota_id, Quota.taken + 1 <= Quota.capacity)
        .values(taken=Quota.taken + 1)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount == 1


def _release_member_place(troupe: Troupe) -> None:
    if troupe.member_quota_id is not None:
        db.session.execute(
            sa.update(Quota)
            .where(Quota.id == troupe.member_quota_id, Quota.taken >= 1)
            .values(taken=Quota.taken - 1)
            .execution_options(synchronize_session="fetch")
        )


def gives_place_away(membership: TroupeMembership) -> bool:
    """Tell whether a member leaving now would hand their place straight to someone waiting."""
    return membership.is_member and bool(_waiting(membership.program_id))


def _waiting(program_id: int) -> list[TroupeMembership]:
    return list(db.session.execute(
        sa.select(TroupeMembership)
        .where(TroupeMembership.program_id == program_id, TroupeMembership.status == TroupeMembershipStatus.WAITLISTED)
        .order_by(TroupeMembership.waitlisted_at, TroupeMembership.id)
    ).scalars())


def _promote(troupe: Troupe, *, now: datetime) -> list[TroupeMembership]:
    """Give free places to the waiting list in the order people joined it."""
    promoted = []
    for membership in _waiting(troupe.program_id):
        if not _claim_member_place(troupe):
            break
        membership.status = TroupeMembershipStatus.MEMBER
        membership.joined_at = now
        promoted.append(membership)
    db.session.flush()
    if promoted:
        notifications.memberships_promoted([m.user_id for m in promoted], troupe.program, now=now)
    return promoted


def apply(program: Program, user: User, *, note: str, now: datetime) -> TroupeMembership:
    """Apply to join the troupe with a note for the leader. Applying again while an
    application, membership or waiting place is active returns that one."""
    _locked_troupe(program)
    existing = active_membership(program.id, user.id)
    if existing is not None:
        return existing
    membership = TroupeMembership(
        program_id=program.id, user_id=user.id, status=TroupeMembershipStatus.APPLIED, note=note,
        applied_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(membership)
            db.session.flush()
    except IntegrityError:
        # Only reachable if the lock above was bypassed; the unique index still holds.
        existing = active_membership(program.id, user.id)
        if existing is None:
            raise
        return existing
    return membership


def approve(membership: TroupeMembership, *, by: User, now: datetime) -> TroupeMembership:
    """Accept an application: the applicant becomes a member, or joins the waiting list
    when the troupe is at its member limit (or others already wait). Approving twice is
    harmless.

    :raises ApplicationDecided: when the application was declined or withdrawn.
    """
    troupe = _locked_troupe(membership.program)
    db.session.refresh(membership)
    if membership.is_member or membership.is_waitlisted:
        return membership
    if not membership.is_pending:
        raise ApplicationDecided()
    membership.decided_at = now
    membership.decided_by_id = by.id
    if not _waiting(troupe.program_id) and _claim_member_place(troupe):
        membership.status = TroupeMembershipStatus.MEMBER
        membership.joined_at = now
    else:
        membership.status = TroupeMembershipStatus.WAITLISTED
        membership.waitlisted_at = now
    db.session.flush()
    if membership.is_member:
        notifications.membership_decided(membership.user_id, membership.program,
                                         NotificationKind.MEMBERSHIP_APPROVED, now=now)
    else:
        notifications.membership_decided(membership.user_id, membership.program,
                                         NotificationKind.MEMBERSHIP_WAITLISTED, now=now,
                                         position=waiting_position(membership))
    return membership


def decline(membership: TroupeMembership, *, reason: str, by: User, now: datetime) -> None:
    """Turn an application down with a reason the applicant will see.

    :raises ApplicationDecided: when the application was already accepted or withdrawn.
    """
    _locked_troupe(membership.program)
    db.session.refresh(membership)
    if membership.status is TroupeMembershipStatus.DECLINED:
        return
    if not membership.is_pending:
        raise ApplicationDecided()
    membership.status = TroupeMembershipStatus.DECLINED
    membership.decline_reason = reason
    membership.decided_at = now
    membership.decided_by_id = by.id
    membership.ended_at = now
    db.session.flush()
    notifications.membership_decided(membership.user_id, membership.program,
                                     NotificationKind.MEMBERSHIP_DECLINED, now=now, reason=reason)


def leave(membership: TroupeMembership, *, now: datetime) -> list[TroupeMembership]:
    """Leave the troupe, give up a waiting place, or withdraw an application. A member's
    freed place goes to the head of the waiting list.

    Returns the memberships promoted from the waiting list.
    """
    troupe = _locked_troupe(membership.program)
    db.session.refresh(membership)
    if not membership.is_active:
        return []
    was_member = membership.is_member
    membership.status = TroupeMembershipStatus.LEFT if was_member else TroupeMembershipStatus.WITHDRAWN
    membership.ended_at = now
    db.session.flush()
    if not was_member:
        return []
    _release_member_place(troupe)
    return _promote(troupe, now=now)


def set_member_limit(program: Program, limit: int | None, *, now: datetime) -> list[TroupeMembership]:
    """Set the most members the troupe takes (None: no limit). A higher limit, or none,
    gives the new places to the waiting list in order.

    Returns the memberships promoted from the waiting list.

    :raises MemberLimitBelowMembers: when the troupe already has more members.
    """
    troupe = _locked_troupe(program)
    members = member_counts([program.id]).get(program.id, 0)
    if limit is None:
        if troupe.member_quota_id is not None:
            old = troupe.member_quota
            troupe.member_quota = None
            db.session.flush()
            db.session.delete(old)
    else:
        if limit < members:
            raise MemberLimitBelowMembers(count=members)
        if troupe.member_quota_id is None:
            troupe.member_quota = Quota(capacity=limit, taken=members)
            db.session.flush()
        else:
            capacity.set_capacity(troupe.member_quota_id, limit, now=now)
    db.session.flush()
    return _promote(troupe, now=now)


def update_settings(program: Program, *, times: str, place: str, member_limit: int | None,
                    now: datetime) -> list[TroupeMembership]:
    """Set the rehearsal times and place the directory shows (in the leader's words) and
    the member limit.

    Returns the memberships promoted from the waiting list.

    :raises MemberLimitBelowMembers: when the troupe already has more members.
    """
    troupe = _locked_troupe(program)
    troupe.rehearsal_times = times
    troupe.rehearsal_place = place
    return set_member_limit(program, member_limit, now=now)


def set_leader(program: Program, phone: str | None) -> User | None:
    """Make the person registered with ``phone`` the troupe's leader (None: no leader).

    :raises LeaderNotFound: when nobody is registered with that number.
    """
    troupe = _locked_troupe(program)
    leader = None
    if phone:
        leader = find_by_phone(phone)
        if leader is None:
            raise LeaderNotFound()
    troupe.leader_id = leader.id if leader else None
    db.session.flush()
    return leader


# --- rehearsals and performances ----------------------------------------------------


def add_rehearsals(program: Program, plan: schedules.WeeklyPlan, *, actor: User | None,
                   now: datetime) -> WeeklySchedule:
    """Lay out a rehearsal schedule: one rehearsal per chosen weekday between two days.
    Rehearsals are for members, so they have no seats to book.

    :raises ScheduleError: when the days or times make no sense.
    :raises VenueTaken: when the place is taken on any of the days.
    """
    return schedules.create_schedule(program, replace(plan, capacity=0), actor=actor, now=now)


@dataclass(frozen=True)
class PerformancePlan:
    """A performance or activity residents book seats for, e.g. 书画笔会 or 社区篮球赛."""

    title: str
    summary: str
    starts_at: datetime
    ends_at: datetime
    capacity: int
    booking_cutoff_minutes: int
    venue: Venue | None = None
    share_room: bool = False


def add_performance(program: Program, plan: PerformancePlan, *, actor: User | None, now: datetime) -> Event:
    """Add a performance of the troupe with its own seats.

    :raises EventEndsBeforeStart, EventInThePast: when the times make no sense.
    :raises VenueTaken: when the place is taken then.
    """
    return add_event(program, EventChanges(
        title=plan.title, summary=plan.summary, starts_at=plan.starts_at, ends_at=plan.ends_at,
        venue=plan.venue, capacity=plan.capacity, booking_cutoff_minutes=plan.booking_cutoff_minutes,
        share_room=plan.share_room,
    ), actor=actor, now=now)


def book_performance(event: Event, user: User, *, now: datetime, waitlist: bool = False) -> Booking:
    """Book a seat at a troupe's performance, by the same rules as a lecture.

    :raises NotBookable: for a rehearsal.
    :raises EventFull, EventCancelled, EventStarted, BookingNotOpen, BookingClosed: as for lectures.
    """
    begin_write()
    if is_rehearsal(event):
        raise NotBookable()
    return booking_service.book_seat(event, user, now=now, waitlist=waitlist)
