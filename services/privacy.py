"""People's own data: downloading everything the site holds about them, deleting their
account, and erasing the names of children whose classes ended long ago.

Deleting an account (注销账号) removes what identifies the person — name, mobile number,
password, children's names, calendar link, logins — and keeps the rows that the
community's figures are made of (bookings, attendance, the service ledger), now pointing
at an anonymous account, so that every count and total stays what it was.
"""
from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.orm import joinedload

from models import (
    AuditEntry, Attendance, Booking, BookingStatus, CalendarToken, Child, Event, Login, Membership,
    Program, Role, ServiceEntry, ShiftOutcome, ShiftRole, Troupe, TroupeMembership, User, UserRole, db,
    program_organizers,
)
from models.membership import MembershipStatus
from models.troupe import ACTIVE_MEMBERSHIP_STATUSES
from models.youth import ANONYMOUS_CHILD_NAME

from . import audit, capacity, troupes
from .accounts import end_all_sessions
from .dates import to_local
from .db import begin_write
from .errors import LastAdministrator
from .locks import lock_person

# The name a deleted account goes by wherever its past still shows (the honour board,
# old rosters, the ledger).
ANONYMOUS_USER_NAME = "已注销用户"
# No password matches it, and it is neither a werkzeug hash nor an unclaimed account.
DELETED_PASSWORD = "!deleted"


def _when(moment: datetime | None) -> str:
    return to_local(moment).isoformat() if moment is not None else ""


def _value(value) -> str | int | bool | None:
    if isinstance(value, datetime):
        return _when(value)
    if isinstance(value, date):
        return value.isoformat()
    if hasattr(value, "value"):  # enums
        return value.value
    return value


@dataclass
class Section:
    """One kind of thing held about the person: its rows, each a dict of plain values."""

    name: str
    title: object
    rows: list[dict] = field(default_factory=list)

    def add(self, **values) -> None:
        self.rows.append({key: _value(value) for key, value in values.items()})


def personal_data(user: User, *, now: datetime) -> list[Section]:
    """Everything the site holds about ``user`` and their children, section by section
    (one query per section)."""
    sections = []

    account = Section("account", _l("Account"))
    account.add(
        mobile_number=user.phone, name=user.display_name, registered_at=user.created_at,
        roles=", ".join(sorted(role.value for role in user.roles)),
        children_in_calendar=user.children_in_calendar, active=user.is_active_account,
    )
    sections.append(account)

    children = Section("children", _l("Children"))
    for child in db.session.execute(
        sa.select(Child).where(Child.parent_id == user.id).order_by(Child.id)
    ).scalars():
        children.add(id=child.id, name=child.name, born_on=child.born_on, gender=child.gender,
                     added_at=child.created_at, removed_at=child.removed_at)
    sections.append(children)

    bookings = Section("bookings", _l("Bookings"))
    rows = db.session.execute(
        sa.select(Booking, ShiftRole.name)
        .outerjoin(ShiftRole, ShiftRole.quota_id == Booking.quota_id)
        .where(Booking.user_id == user.id)
        .options(joinedload(Booking.event).joinedload(Event.program), joinedload(Booking.child))
        .order_by(Booking.id)
    ).unique().all()
    for booking, role_name in rows:
        bookings.add(
            id=booking.id, event=booking.event.display_title, program=booking.event.program.name,
            starts_at=booking.event.starts_at, volunteer_role=role_name or "",
            child=booking.child.name if booking.child else "", places=booking.places,
            status=booking.status, ticket_number=booking.ticket_code or "",
            booked_at=booking.created_at, waitlisted_at=booking.waitlisted_at,
            confirmed_at=booking.confirmed_at, cancelled_at=booking.cancelled_at,
        )
    sections.append(bookings)

    attendance = Section("attendance", _l("Attendance"))
    for row in db.session.execute(
        sa.select(Attendance).where(Attendance.user_id == user.id)
        .options(joinedload(Attendance.event)).order_by(Attendance.id)
    ).scalars():
        attendance.add(event=row.event.display_title, starts_at=row.event.starts_at, booking_id=row.booking_id,
                       status=row.status, method=row.method, checked_in_at=row.checked_in_at,
                       excuse_reason=row.excuse_reason)
    sections.append(attendance)

    memberships = Section("memberships", _l("Memberships"))
    for row in db.session.execute(
        sa.select(Membership).where(Membership.user_id == user.id)
        .options(joinedload(Membership.program)).order_by(Membership.id)
    ).scalars():
        memberships.add(program=row.program.name, status=row.status, note=row.note, reason=row.reason,
                        applied_at=row.applied_at, decided_at=row.decided_at, left_at=row.left_at)
    for row in db.session.execute(
        sa.select(TroupeMembership).where(TroupeMembership.user_id == user.id)
        .options(joinedload(TroupeMembership.program)).order_by(TroupeMembership.id)
    ).scalars():
        memberships.add(program=row.program.name, status=row.status, note=row.note, reason=row.decline_reason,
                        applied_at=row.applied_at, decided_at=row.decided_at, left_at=row.ended_at)
    sections.append(memberships)

    shifts = Section("shift_outcomes", _l("Volunteer shifts recorded"))
    for outcome in db.session.execute(
        sa.select(ShiftOutcome).join(ShiftOutcome.booking).where(Booking.user_id == user.id)
        .options(joinedload(ShiftOutcome.booking).joinedload(Booking.event)).order_by(ShiftOutcome.id)
    ).scalars():
        shifts.add(event=outcome.booking.event.display_title, booking_id=outcome.booking_id, status=outcome.status,
                   minutes=outcome.minutes, reason=outcome.reason, decided_at=outcome.decided_at)
    sections.append(shifts)

    ledger = Section("service_ledger", _l("Service hours and points"))
    for entry in db.session.execute(
        sa.select(ServiceEntry).where(ServiceEntry.user_id == user.id).order_by(ServiceEntry.seq)
    ).scalars():
        ledger.add(number=entry.seq, kind=entry.kind, minutes=entry.minutes, points=entry.points,
                   minutes_total=entry.minutes_total, points_balance=entry.points_balance,
                   reason=entry.reason, served_at=entry.served_at, recorded_at=entry.created_at)
    sections.append(ledger)

    organizing = Section("organizing", _l("Programs I organize or lead"))
    for program in db.session.execute(
        sa.select(Program).join(program_organizers, program_organizers.c.program_id == Program.id)
        .where(program_organizers.c.user_id == user.id).order_by(Program.id)
    ).scalars():
        organizing.add(program=program.name, as_="organizer")
    for troupe in db.session.execute(
        sa.select(Troupe).where(Troupe.leader_id == user.id).options(joinedload(Troupe.program))
    ).scalars():
        organizing.add(program=troupe.program.name, as_="leader")
    sections.append(organizing)

    calendar = Section("calendar_link", _l("Personal calendar link"))
    token = db.session.get(CalendarToken, user.id)
    if token is not None:
        calendar.add(made_at=token.created_at, note="the link itself is not stored, only its hash")
    sections.append(calendar)

    logins = Section("logins", _l("Logins"))
    for login in db.session.execute(
        sa.select(Login).where(Login.user_id == user.id).order_by(Login.id)
    ).scalars():
        logins.add(logged_in_at=login.created_at, logged_out_at=login.ended_at)
    sections.append(logins)

    records = Section("records", _l("Records of changes about me or made by me"))
    for entry in db.session.execute(
        sa.select(AuditEntry).where(sa.or_(
            AuditEntry.actor_id == user.id,
            sa.and_(AuditEntry.subject_type == "users", AuditEntry.subject_id == user.id),
        )).order_by(AuditEntry.id)
    ).scalars():
        records.add(at=entry.at, action=entry.action, by_me=entry.actor_id == user.id,
                    subject=f"{entry.subject_type}:{entry.subject_id}", label=entry.label)
    sections.append(records)
    return sections


def to_json(sections: list[Section], *, now: datetime) -> bytes:
    """The sections as one JSON document (UTF-8, readable Chinese)."""
    document = {
        "generated_at": _when(now),
        "sections": {section.name: section.rows for section in sections},
    }
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8")


def _safe(value):
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text


def to_csv(sections: list[Section]) -> bytes:
    """The sections as one CSV file: each section's title, its header row and rows, then a
    blank line. UTF-8 with a byte-order mark, as Excel expects."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for section in sections:
        writer.writerow([_safe(str(section.title))])
        if section.rows:
            headers = list(section.rows[0])
            writer.writerow(headers)
            for row in section.rows:
                writer.writerow([_safe(row.get(key)) for key in headers])
        writer.writerow([])
    return buffer.getvalue().encode("utf-8-sig")


# --- deleting an account ---------------------------------------------------------------


def is_last_administrator(user: User) -> bool:
    """Tell whether ``user`` is the only active administrator left."""
    if Role.ADMIN not in user.roles:
        return False
    others = db.session.execute(
        sa.select(sa.func.count()).select_from(UserRole).join(User, User.id == UserRole.user_id)
        .where(UserRole.role == Role.ADMIN, User.id != user.id, User.is_active_account.is_(True))
    ).scalar_one()
    return others == 0


def _erase_child(child: Child, *, now: datetime) -> None:
    child.name = ANONYMOUS_CHILD_NAME
    child.born_on = date(child.born_on.year, 1, 1)  # the year keeps age figures roughly right
    child.gender = None
    child.anonymized_at = now
    if child.removed_at is None:
        child.removed_at = now


def delete_account(user: User, *, now: datetime) -> None:
    """Delete the person's account (注销账号).

    Places at events still to come are given up (and go to the waiting lists), open
    memberships end, and the person stops organizing or leading anything. Then their
    name, mobile number and password, their children's names and birthdays (the year is
    kept), calendar link and logins are removed; every session ends. Bookings, attendance
    and the service ledger stay, under the anonymous account, so the figures don't
    change. The mobile number is free to register again.

    :raises LastAdministrator: when the person is the only administrator.
    """
    begin_write()
    if is_last_administrator(user):
        raise LastAdministrator()
    lock_person(user.id)

    coming = db.session.execute(
        sa.select(Booking).join(Booking.event)
        .where(Booking.user_id == user.id, Booking.status.in_([BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]),
               Event.starts_at > now)
        .order_by(Booking.quota_id, Booking.id)
    ).scalars().all()
    for booking in coming:
        capacity.release_booking(booking, now=now)

    # Ended here rather than by membership.leave, which refuses a member with a shift at
    # an event under way; the roles that membership gave go with the account's below.
    db.session.execute(
        sa.update(Membership)
        .where(Membership.user_id == user.id,
               Membership.status.in_([MembershipStatus.PENDING, MembershipStatus.ACTIVE]))
        .values(status=MembershipStatus.LEFT, left_at=now)
    )
    for troupe_membership in db.session.execute(
        sa.select(TroupeMembership).where(
            TroupeMembership.user_id == user.id, TroupeMembership.status.in_(ACTIVE_MEMBERSHIP_STATUSES),
        ).options(joinedload(TroupeMembership.program))
    ).scalars().all():
        troupes.leave(troupe_membership, now=now)

    db.session.execute(sa.update(Troupe).where(Troupe.leader_id == user.id).values(leader_id=None))
    db.session.execute(sa.delete(program_organizers).where(program_organizers.c.user_id == user.id))
    for child in db.session.execute(sa.select(Child).where(Child.parent_id == user.id)).scalars():
        _erase_child(child, now=now)
    db.session.execute(sa.delete(CalendarToken).where(CalendarToken.user_id == user.id))
    db.session.execute(sa.delete(Login).where(Login.user_id == user.id))

    audit.record("user.delete", actor=user, now=now, subject_type="users", subject_id=user.id,
                 label=ANONYMOUS_USER_NAME)
    user.display_name = ANONYMOUS_USER_NAME
    user.phone = f"0{user.id:010d}"  # unique, and never a mobile number (they start with 1)
    user.password_hash = DELETED_PASSWORD
    user.is_active_account = False
    user.children_in_calendar = False
    user.deleted_at = now
    user.role_links = [link for link in user.role_links if link.role is Role.RESIDENT]
    db.session.flush()
    end_all_sessions(user, now=now)


# --- erasing children's names -----------------------------------------------------------


def anonymize_children(*, now: datetime, kept_days: int) -> int:
    """Erase the names (and birthdays, but the year) of children whose last class ended
    more than ``kept_days`` days ago and who have nothing booked since; they leave their
    parent's list of children (the parent adds them again to book). Children already
    erased are left alone. Returns how many were erased. Meant for a nightly cron job.
    """
    begin_write()
    cutoff = now - timedelta(days=kept_days)
    last_class = (
        sa.select(Booking.child_id, sa.func.max(Event.ends_at).label("last_ended_at"))
        .join(Event, Event.id == Booking.event_id)
        .where(Booking.child_id.is_not(None))
        .group_by(Booking.child_id)
        .subquery()
    )
    children = db.session.execute(
        sa.select(Child).join(last_class, last_class.c.child_id == Child.id)
        .where(Child.anonymized_at.is_(None), last_class.c.last_ended_at < cutoff)
    ).scalars().all()
    for child in children:
        _erase_child(child, now=now)
    db.session.flush()
    return len(children)


def forget_old_logins(*, now: datetime, kept: timedelta) -> int:
    """Delete the records of logins that ended, or began, longer than ``kept`` ago (a
    remember cookie lasts no longer). Returns how many were deleted."""
    begin_write()
    cutoff = now - kept
    result = db.session.execute(
        sa.delete(Login).where(sa.or_(Login.ended_at < cutoff, Login.created_at < cutoff))
    )
    return result.rowcount
