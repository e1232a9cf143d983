"""A community with years of history, for measuring: ``flask --app app seed-scale``.

By default ~5,000 events over four years and the coming quarter, 20,000 residents and
200,000 bookings, added beside whatever the database already holds (usually the demo
community). Rows go in through the models in bulk (``insert(Model)`` with many rows), not
one service call per booking: the rules aren't what is being built here, the volume is.
What the rules keep true is kept true: every quota's ``taken`` is the number of places its
confirmed bookings hold, nobody holds two active bookings in one quota, waiting lists only
exist where the seats are full, ticket codes are random and unique like ``capacity.new_ticket_code``'s.
"""
from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from werkzeug.security import generate_password_hash

from models import (
    Booking, BookingStatus, Event, EventStatus, Program, ProgramKind, Quota, Role, User, UserRole,
    Venue, WeeklySchedule, db, weekly_schedule_events,
)
from services.capacity import TICKET_CODE_DIGITS
from services.dates import local_datetime, to_local
from services.db import begin_write

# Residents made here have numbers 150 0000 0000 upwards (the demo uses 138/139).
PHONE_BASE = 150_0000_0000
HISTORY = timedelta(days=4 * 365)
AHEAD = timedelta(days=90)
# Share of the events per kind of program: lectures, team talks, troupes, youth classes.
KIND_SHARES = (
    (ProgramKind.LECTURE_SERIES, 0.30), (ProgramKind.LECTURE_TEAM, 0.10),
    (ProgramKind.TROUPE, 0.35), (ProgramKind.YOUTH, 0.25),
)
REHEARSAL_SHARE = 0.6  # of a troupe's events: rehearsals (members only, no seats)
CANCELLED_SHARE = 0.03
BATCH = 5_000


@dataclass(frozen=True)
class ScaleCounts:
    """What :func:`seed_scale` added."""

    residents: int
    events: int
    bookings: int


def _programs(organizer: User | None) -> dict[ProgramKind, list[Program]]:
    """The programs to put the events in: those already there, or one of each kind."""
    found: dict[ProgramKind, list[Program]] = {kind: [] for kind, _ in KIND_SHARES}
    for program in db.session.execute(sa.select(Program).order_by(Program.id)).scalars():
        found.setdefault(program.kind, []).append(program)
    for kind, _ in KIND_SHARES:
        if not found[kind]:
            program = Program(kind=kind, slug=f"scale-{kind.value}", name=f"规模测试 {kind.value}",
                              organizers=[organizer] if organizer else [])
            db.session.add(program)
            found[kind].append(program)
    db.session.flush()
    return found


def _venues() -> list[Venue]:
    venues = list(db.session.execute(sa.select(Venue).order_by(Venue.id)).scalars())
    if not venues:
        venues = [Venue(name=f"规模测试场地 {n}", address=f"{n} 号楼", seats=60) for n in range(1, 6)]
        db.session.add_all(venues)
        db.session.flush()
    return venues


def _add_residents(count: int, *, now: datetime, password: str) -> list[int]:
    """``count`` residents sharing one password hash (hashing 20,000 times would take
    twenty minutes and prove nothing); returns their ids."""
    start = PHONE_BASE + (db.session.execute(
        sa.select(sa.func.count()).select_from(User).where(User.phone.like("150%"))
    ).scalar_one())
    password_hash = generate_password_hash(password, method="scrypt")
    phones = [str(start + n) for n in range(count)]
    for offset in range(0, count, BATCH):
        db.session.execute(sa.insert(User), [
            {"phone": phone, "display_name": f"居民{phone[-5:]}", "password_hash": password_hash,
             "created_at": now - HISTORY}
            for phone in phones[offset: offset + BATCH]
        ])
    # Same length, so the numbers sort as strings too.
    ids = list(db.session.execute(
        sa.select(User.id).where(User.phone >= phones[0], User.phone <= phones[-1]).order_by(User.id)
    ).scalars())
    for offset in range(0, len(ids), BATCH):
        db.session.execute(sa.insert(UserRole), [
            {"user_id": user_id, "role": Role.RESIDENT} for user_id in ids[offset: offset + BATCH]
        ])
    return ids


def seed_scale(*, now: datetime, events: int = 5_000, residents: int = 20_000, bookings: int = 200_000,
               password: str = "linli-demo-2026", seed: int = 13) -> ScaleCounts:
    """Add ``events`` events (four years back to a quarter ahead), ``residents`` residents
    and about ``bookings`` bookings to the database (flushed, not committed)."""
    begin_write()
    rng = random.Random(seed)
    organizer = db.session.execute(
        sa.select(User).join(UserRole).where(UserRole.role == Role.ORGANIZER).order_by(User.id).limit(1)
    ).scalar_one_or_none()
    programs = _programs(organizer)
    venues = _venues()
    people = _add_residents(residents, now=now, password=password)

    # Events, evenly spread from HISTORY ago to AHEAD from now, at local day times.
    first, span = now - HISTORY, HISTORY + AHEAD
    kinds = [kind for kind, share in KIND_SHARES for _ in range(round(share * 100))]
    planned = []
    for n in range(events):
        kind = kinds[n % len(kinds)]
        program = programs[kind][rng.randrange(len(programs[kind]))]
        day = to_local(first + span * n / events).date()
        start = local_datetime(day, time(rng.choice((9, 10, 14, 15, 19)), rng.choice((0, 30))))
        rehearsal = kind is ProgramKind.TROUPE and rng.random() < REHEARSAL_SHARE
        capacity = 0 if rehearsal else rng.choice((30, 40, 40, 50, 60, 80))
        planned.append((program, start, rehearsal, capacity))

    made: list[Event] = []
    for program, start, rehearsal, capacity in planned:
        cancelled = rng.random() < CANCELLED_SHARE
        event = Event(
            program=program, venue=venues[rng.randrange(len(venues))],
            title=("排练" if rehearsal else f"{program.name} 第 {len(made) + 1} 期"),
            speaker="" if rehearsal else rng.choice(("孙立民", "刘文华", "赵淑琴", "高明远", "")),
            summary="" if rehearsal else "规模测试用的活动介绍。" * rng.randint(1, 4),
            starts_at=start, ends_at=start + timedelta(minutes=rng.choice((60, 90, 120))),
            booking_closes_at=start - timedelta(hours=1),
            status=EventStatus.CANCELLED if cancelled else EventStatus.SCHEDULED,
            cancel_reason="场地维修" if cancelled else "", cancelled_at=start - timedelta(days=2) if cancelled else None,
            created_at=start - timedelta(days=30), updated_at=start - timedelta(days=30),
            seats=Quota(capacity=capacity, taken=0),
        )
        made.append(event)
    db.session.add_all(made)
    db.session.flush()

    # Rehearsals come from a weekly schedule per troupe (members only, kept out of feeds).
    schedules: dict[int, WeeklySchedule] = {}
    links = []
    for event, (program, start, rehearsal, _) in zip(made, planned):
        if not rehearsal:
            continue
        schedule = schedules.get(program.id)
        if schedule is None:
            schedule = schedules[program.id] = WeeklySchedule(
                program_id=program.id, title="排练", weekday_mask=0b111_1111, start_time=time(9, 0),
                end_time=time(11, 0), first_day=to_local(first).date(), last_day=to_local(now + AHEAD).date(),
                created_at=first,
            )
            db.session.add(schedule)
            db.session.flush()
        links.append({"event_id": event.id, "schedule_id": schedule.id})
    if links:
        db.session.execute(weekly_schedule_events.insert(), links)

    # Bookings: about ``bookings`` in all, spread over the events with seats.
    seated = [e for e in made if e.seats.capacity > 0]
    per_event = bookings / max(len(seated), 1)
    rows = []
    for event in seated:
        capacity = event.seats.capacity
        wanted = max(0, min(len(people), round(rng.gauss(per_event, per_event / 4))))
        holders = rng.sample(people, wanted)
        booked_at = event.starts_at - timedelta(days=rng.randint(2, 20))
        confirmed = 0
        for position, user_id in enumerate(holders):
            at = booked_at + timedelta(minutes=position)
            if confirmed < capacity:
                if rng.random() < 0.05:  # booked, then cancelled: frees nothing it holds now
                    rows.append(dict(quota_id=event.seat_quota_id, event_id=event.id, user_id=user_id,
                                     status=BookingStatus.CANCELLED, places=1, created_at=at,
                                     confirmed_at=at, cancelled_at=at + timedelta(days=1)))
                    continue
                confirmed += 1
                rows.append(dict(quota_id=event.seat_quota_id, event_id=event.id, user_id=user_id,
                                 status=BookingStatus.CONFIRMED, places=1, created_at=at, confirmed_at=at))
            else:
                rows.append(dict(quota_id=event.seat_quota_id, event_id=event.id, user_id=user_id,
                                 status=BookingStatus.WAITLISTED, places=1, created_at=at, waitlisted_at=at))
        event.seats.taken = confirmed
    db.session.flush()  # the quotas' counts, in one executemany
    for row, code in zip(rows, _ticket_codes(len(rows), rng)):
        row["ticket_code"] = code
    for offset in range(0, len(rows), BATCH):
        db.session.execute(sa.insert(Booking), rows[offset: offset + BATCH])
    db.session.flush()
    return ScaleCounts(residents=len(people), events=len(made), bookings=len(rows))


def _ticket_codes(count: int, rng: random.Random) -> list[str]:
    """``count`` random ticket codes unlike each other and every code already in use."""
    used = set(db.session.execute(sa.select(Booking.ticket_code).where(Booking.ticket_code.is_not(None))).scalars())
    codes: list[str] = []
    while len(codes) < count:
        code = f"{rng.randrange(10**TICKET_CODE_DIGITS):0{TICKET_CODE_DIGITS}d}"
        if code not in used:
            used.add(code)
            codes.append(code)
    return codes
