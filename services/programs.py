"""Programs of every kind as the community office runs them: creating, editing,
archiving, and who runs them (organizers, a youth program's teachers, a troupe's leader).

What a kind has beyond the shared fields is read from :mod:`services.program_kinds`;
each change is recorded in the audit trail in the same transaction.
"""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import selectinload

from models import (
    Event, EventStatus, Program, ProgramKind, Role, Troupe, User, db, program_organizers,
)

from . import audit, troupes, youth
from .accounts import find_by_phone, is_claimed
from .db import begin_write
from .errors import (
    CannotRun, OnlyOneLectureTeam, PersonNotFound, ProgramHasComingEvents, SlugReserved, SlugTaken,
)
from .program_kinds import SHARED_PROGRAM_FIELDS, spec_of

SLUG_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
# Words the site's own addresses use where a program's slug also goes (/troupes/mine,
# /youth/children, /calendar/all.ics …): a program with one of them would be unreachable.
RESERVED_SLUGS = frozenset({
    "all", "mine", "children", "manage", "new", "events", "classes", "terms", "programs", "u",
    "admin", "static", "auth", "account", "calendar",
})


@dataclass(frozen=True)
class ProgramDetails:
    """What the program form says: the shared fields, and the kind's own ``settings``
    (named as in ``KindSpec.program_fields``; others are ignored)."""

    name: str
    slug: str
    description: str = ""
    contact: str = ""
    cover_colour: str = ""
    settings: Mapping[str, Any] = field(default_factory=dict)


def is_valid_slug(slug: str) -> bool:
    """Tell whether ``slug`` can be a program's web address: lower-case letters, digits
    and single dashes, 2 to 60 characters."""
    return 2 <= len(slug) <= 60 and bool(SLUG_PATTERN.match(slug))


# --- reading ------------------------------------------------------------------------


def get_program(program_id: int) -> Program | None:
    """The program with ``program_id`` (archived or not), with its organizers and series."""
    return db.session.execute(
        sa.select(Program).where(Program.id == program_id)
        .options(selectinload(Program.organizers), selectinload(Program.series))
    ).scalar_one_or_none()


@dataclass(frozen=True)
class ProgramLine:
    """One program as the admin list shows it."""

    program: Program
    leader: User | None
    coming_events: int


def program_lines(*, now: datetime, archived: bool = False) -> list[ProgramLine]:
    """Every program (the archived ones, when asked), by kind and name, with who runs it
    and how many events are coming — in a constant number of queries."""
    rows = db.session.execute(
        sa.select(Program, Troupe)
        .outerjoin(Troupe, Troupe.program_id == Program.id)
        .where(Program.archived_at.is_not(None) if archived else Program.is_listed())
        .options(selectinload(Program.organizers), selectinload(Troupe.leader))
        .order_by(Program.kind, Program.name, Program.id)
    ).all()
    counts = coming_event_counts([program.id for program, _ in rows], now=now)
    return [
        ProgramLine(program=program, leader=troupe.leader if troupe else None,
                    coming_events=counts.get(program.id, 0))
        for program, troupe in rows
    ]


def coming_event_counts(program_ids, *, now: datetime) -> dict[int, int]:
    """How many scheduled events of each program haven't ended at ``now``, in one query."""
    ids = list(program_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Event.program_id, sa.func.count())
        .where(Event.program_id.in_(ids), Event.ends_at > now, Event.status == EventStatus.SCHEDULED)
        .group_by(Event.program_id)
    )
    return {program_id: count for program_id, count in rows}


def settings_of(program: Program) -> dict[str, Any]:
    """The kind's own settings of ``program``, as the program form shows them."""
    kind = program.kind
    if kind is ProgramKind.LECTURE_SERIES:
        return {
            "booking_opens_days_before": program.booking_opens_days_before,
            "booking_closes_minutes_before": program.booking_closes_minutes_before,
        }
    if kind is ProgramKind.TROUPE:
        troupe = troupes.troupe_of(program)
        return {
            "rehearsal_times": troupe.rehearsal_times, "rehearsal_place": troupe.rehearsal_place,
            "member_limit": troupe.member_limit,
        }
    if kind is ProgramKind.YOUTH:
        rules = youth.rules_of(program)
        return {
            "min_age": rules.min_age if rules else 0,
            "max_age": rules.max_age if rules else 18,
            "parent_attends": rules.parent_attends if rules else False,
        }
    return {}


def _snapshot(program: Program) -> dict[str, Any]:
    return audit.snapshot(program, SHARED_PROGRAM_FIELDS) | settings_of(program)


def live_team(excluding: Program | None = None) -> Program | None:
    """The lecture team the site runs now (not archived), if any."""
    query = sa.select(Program).where(Program.kind == ProgramKind.LECTURE_TEAM, Program.is_listed())
    if excluding is not None and excluding.id is not None:
        query = query.where(Program.id != excluding.id)
    return db.session.execute(query.order_by(Program.id).limit(1)).scalar_one_or_none()


def programs_run_by(user: User) -> list[Program]:
    """The programs (not archived) ``user`` organizes or leads, by kind and name."""
    led = sa.select(Troupe.program_id).where(Troupe.leader_id == user.id)
    organized = sa.select(program_organizers.c.program_id).where(program_organizers.c.user_id == user.id)
    return list(db.session.execute(
        sa.select(Program)
        .where(Program.is_listed(), sa.or_(Program.id.in_(organized), Program.id.in_(led)))
        .order_by(Program.kind, Program.name, Program.id)
    ).scalars())


# --- creating and editing -----------------------------------------------------------


def _check_slug(slug: str, program: Program | None = None) -> None:
    if slug in RESERVED_SLUGS:
        raise SlugReserved(slug=slug)
    query = sa.select(Program.id).where(Program.slug == slug)
    if program is not None and program.id is not None:
        query = query.where(Program.id != program.id)
    if db.session.execute(query).first() is not None:
        raise SlugTaken(slug=slug)


def _write_settings(program: Program, settings: Mapping[str, Any], *, now: datetime) -> list:
    """Store the kind's own settings where they live: on the program, its troupe row or
    its youth rules. Returns the troupe memberships a higher member limit promoted."""
    wanted = {name: settings[name] for name in spec_of(program.kind).program_fields if name in settings}
    if not wanted:
        return []
    kind = program.kind
    if kind is ProgramKind.LECTURE_SERIES:
        program.booking_opens_days_before = wanted.get("booking_opens_days_before")
        program.booking_closes_minutes_before = wanted.get("booking_closes_minutes_before") or 0
    elif kind is ProgramKind.TROUPE:
        return troupes.update_settings(
            program, times=wanted.get("rehearsal_times") or "", place=wanted.get("rehearsal_place") or "",
            member_limit=wanted.get("member_limit"), now=now,
        )
    elif kind is ProgramKind.YOUTH:
        youth.set_rules(
            program, min_age=wanted.get("min_age") or 0, max_age=wanted.get("max_age") or 0,
            parent_attends=bool(wanted.get("parent_attends")),
        )
    return []


def create_program(kind: ProgramKind, details: ProgramDetails, *, by: User, now: datetime) -> Program:
    """Create a program of ``kind`` with its kind's settings.

    :raises SlugTaken, SlugReserved: when the web address can't be used.
    :raises OnlyOneLectureTeam: for a second lecture team while one is running.
    :raises MemberLimitBelowMembers, YouthError: as the kind's settings can.
    """
    begin_write()
    if spec_of(kind).only_one and (team := live_team()) is not None:
        raise OnlyOneLectureTeam(program=team.name)
    _check_slug(details.slug)
    program = Program(
        kind=kind, slug=details.slug, name=details.name, description=details.description,
        contact=details.contact, cover_colour=details.cover_colour,
    )
    try:
        with db.session.begin_nested():
            db.session.add(program)
            db.session.flush()
    except IntegrityError as error:  # the same slug, taken just now
        raise SlugTaken(slug=details.slug) from error
    _write_settings(program, details.settings, now=now)
    db.session.flush()
    audit.record(
        "program.create", actor=by, now=now, subject_type="programs", subject_id=program.id,
        label=program.name, program_id=program.id, after={"kind": kind.value} | _snapshot(program),
    )
    return program


def update_program(program: Program, details: ProgramDetails, *, by: User, now: datetime) -> list:
    """Change a program's details and its kind's settings; returns the people a higher
    troupe member limit moved up from the waiting list.

    Renaming a program changes no event's calendar entry: feeds show the event's own title.

    :raises SlugTaken, SlugReserved: when the web address can't be used.
    :raises MemberLimitBelowMembers, YouthError: as the kind's settings can.
    """
    begin_write()
    before = _snapshot(program)
    _check_slug(details.slug, program)
    program.name = details.name
    program.slug = details.slug
    program.description = details.description
    program.contact = details.contact
    program.cover_colour = details.cover_colour
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # the same slug, taken just now
        raise SlugTaken(slug=details.slug) from error
    promoted = _write_settings(program, details.settings, now=now)
    db.session.flush()
    audit.record(
        "program.edit", actor=by, now=now, subject_type="programs", subject_id=program.id,
        label=program.name, program_id=program.id, before=before, after=_snapshot(program),
    )
    return promoted


def archive_program(program: Program, *, by: User, now: datetime) -> None:
    """Archive a program: residents no longer see it in lists, pages or feeds; its
    events, bookings and attendance stay on record.

    :raises ProgramHasComingEvents: while events of it are still to come (cancel them first).
    """
    begin_write()
    if program.is_archived:
        return
    coming = db.session.execute(
        sa.select(sa.func.count(), sa.func.min(Event.starts_at))
        .where(Event.program_id == program.id, Event.ends_at > now, Event.status == EventStatus.SCHEDULED)
    ).one()
    if coming[0]:
        raise ProgramHasComingEvents(program=program.name, count=coming[0], when=coming[1])
    program.archived_at = now
    db.session.flush()
    audit.record(
        "program.archive", actor=by, now=now, subject_type="programs", subject_id=program.id,
        label=program.name, program_id=program.id, before={"archived": False}, after={"archived": True},
    )


def unarchive_program(program: Program, *, by: User, now: datetime) -> None:
    """Show an archived program to residents again.

    :raises OnlyOneLectureTeam: for a lecture team while another one is running.
    """
    begin_write()
    if not program.is_archived:
        return
    if spec_of(program.kind).only_one and (team := live_team(excluding=program)) is not None:
        raise OnlyOneLectureTeam(program=team.name)
    program.archived_at = None
    db.session.flush()
    audit.record(
        "program.unarchive", actor=by, now=now, subject_type="programs", subject_id=program.id,
        label=program.name, program_id=program.id, before={"archived": True}, after={"archived": False},
    )


# --- who runs what ------------------------------------------------------------------


def find_runner(phone: str) -> User:
    """The account that can be given a program to run, found by mobile number.

    :raises PersonNotFound: when nobody is registered with the number.
    :raises CannotRun: for a deactivated account or one made at the door.
    """
    user = find_by_phone(phone)
    if user is None:
        raise PersonNotFound()
    if not user.is_active_account or not is_claimed(user):
        raise CannotRun(name=user.display_name)
    return user


def _organizer_names(program: Program) -> list[str]:
    return sorted(user.display_name for user in program.organizers)


def add_organizer(program: Program, user: User, *, by: User, now: datetime) -> bool:
    """Make ``user`` an organizer of ``program`` (a teacher, for a youth program), giving
    them the organizer role if they lack it. Returns False when they already were one.

    :raises CannotRun: for a deactivated account or one made at the door.
    """
    begin_write()
    if not user.is_active_account or not is_claimed(user):
        raise CannotRun(name=user.display_name)
    if any(o.id == user.id for o in program.organizers):
        return False
    before = _organizer_names(program)
    granted = not user.has_role(Role.ORGANIZER)  # an administrator holds every role already
    if granted:
        user.grant(Role.ORGANIZER)
    program.organizers.append(user)
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError:  # added by someone else just now
        db.session.refresh(program)
        return False
    audit.record(
        "program.organizer_add", actor=by, now=now, subject_type="programs", subject_id=program.id,
        label=f"{program.name} · {user.display_name}", program_id=program.id,
        before={"organizers": before}, after={"organizers": _organizer_names(program)},
    )
    if granted:
        audit.record(
            "user.roles", actor=by, now=now, subject_type="users", subject_id=user.id,
            label=user.display_name, before={"roles": sorted(r.value for r in user.roles - {Role.ORGANIZER})},
            after={"roles": sorted(r.value for r in user.roles)},
        )
    return True


def remove_organizer(program: Program, user: User, *, by: User, now: datetime) -> bool:
    """Stop ``user`` organizing ``program``; their organizer role stays (they may run
    other programs — the person's page says when they run none). Returns False when
    they weren't one."""
    begin_write()
    if not any(o.id == user.id for o in program.organizers):
        return False
    before = _organizer_names(program)
    program.organizers = [o for o in program.organizers if o.id != user.id]
    db.session.flush()
    audit.record(
        "program.organizer_remove", actor=by, now=now, subject_type="programs", subject_id=program.id,
        label=f"{program.name} · {user.display_name}", program_id=program.id,
        before={"organizers": before}, after={"organizers": _organizer_names(program)},
    )
    return True


def set_leader(program: Program, user: User | None, *, by: User, now: datetime) -> None:
    """Make ``user`` the troupe's leader (None: no leader). A leader manages that troupe
    without needing the organizer role.

    :raises CannotRun: for a deactivated account or one made at the door.
    """
    begin_write()
    if user is not None and (not user.is_active_account or not is_claimed(user)):
        raise CannotRun(name=user.display_name)
    troupe = troupes.troupe_of(program)
    before = troupe.leader.display_name if troupe.leader_id and troupe.leader else None
    if (troupe.leader_id or None) == (user.id if user else None):
        return
    troupes.set_leader(program, user.phone if user else None)
    audit.record(
        "program.leader", actor=by, now=now, subject_type="programs", subject_id=program.id,
        label=program.name, program_id=program.id,
        before={"leader": before}, after={"leader": user.display_name if user else None},
    )
