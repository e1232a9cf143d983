"""Parents racing for the last places: a family's two places are taken together or not
at all, and a whole-term booking gets every class or none — also under a race.

Runs against a file-based SQLite database, and against PostgreSQL when
``TEST_DATABASE_URL`` is set (CI does both).
"""
from __future__ import annotations

from collections import Counter
from datetime import time, timedelta

import sqlalchemy as sa

from models import Booking, BookingStatus, Child, Event, Quota, User, WeeklySchedule, db
from services import schedules, youth
from services.dates import now_utc, to_local
from services.errors import EventFull, LinliError
from tests.conftest import every_day, make_child, make_event, make_user, make_youth_program
from tests.services.test_race import race

RACERS = 30


def attempt(outcomes: list, action):
    """A race job that records what happened instead of failing the race."""
    def job():
        try:
            action()
            outcomes.append("booked")
        except LinliError as error:
            db.session.rollback()
            outcomes.append(type(error).__name__)
    return job


def families(count: int) -> list[tuple[int, int]]:
    pairs = []
    for i in range(count):
        parent = make_user(f"家长{i}")
        pairs.append((parent.id, make_child(parent, f"孩子{i}").id))
    return pairs


def book_family(event_id: int, parent_id: int, child_id: int, *, waitlist: bool):
    def action():
        youth.book_class(db.session.get(Event, event_id), db.session.get(Child, child_id),
                         db.session.get(User, parent_id), now=now_utc(), waitlist=waitlist)
    return action


def test_thirty_families_racing_for_seven_places_never_split_a_family(app):
    program = make_youth_program("家庭教育读书会", parent_attends=True)
    event = make_event(program, capacity=7)
    pairs = families(RACERS)
    db.session.remove()

    outcomes: list[str] = []
    race(app, [attempt(outcomes, book_family(event.id, p, c, waitlist=True)) for p, c in pairs])

    rows = db.session.execute(sa.select(Booking).where(Booking.event_id == event.id)).scalars().all()
    assert Counter(b.status for b in rows) == {BookingStatus.CONFIRMED: 3, BookingStatus.WAITLISTED: RACERS - 3}
    assert all(b.places == 2 for b in rows)
    assert db.session.get(Quota, event.seat_quota_id).taken == 6  # the seventh place is never half a family


def test_thirty_families_racing_without_the_waiting_list(app):
    program = make_youth_program("家庭教育读书会", parent_attends=True)
    event = make_event(program, capacity=7)
    pairs = families(RACERS)
    db.session.remove()

    outcomes: list[str] = []
    race(app, [attempt(outcomes, book_family(event.id, p, c, waitlist=False)) for p, c in pairs])

    assert Counter(outcomes) == {"booked": 3, EventFull.__name__: RACERS - 3}
    taken = db.session.get(Quota, event.seat_quota_id).taken
    confirmed = db.session.execute(
        sa.select(sa.func.sum(Booking.places)).where(Booking.event_id == event.id, Booking.status == BookingStatus.CONFIRMED)
    ).scalar_one()
    assert taken == confirmed == 6


def test_whole_term_bookings_racing_with_single_classes_are_all_or_nothing(app):
    """20 parents book a whole term while 10 others book only its smallest class."""
    now = now_utc()
    program = make_youth_program("少儿诵读班")
    first = to_local(now).date() + timedelta(days=2)
    term = youth.create_term(program, schedules.WeeklyPlan(
        title="秋季学期", weekdays=frozenset({5}), start_time=time(9, 30), end_time=time(10, 30),
        first_day=first, last_day=first + timedelta(days=20), capacity=10, booking_cutoff_minutes=60,
        include_days=every_day(first, first + timedelta(days=20)),
    ), actor=None, now=now)
    db.session.commit()
    assert len(term.events) == 3
    small = term.events[1]
    db.session.execute(sa.update(Quota).where(Quota.id == small.seat_quota_id).values(capacity=6))
    db.session.commit()
    term_id, small_id = term.id, small.id
    whole, single = families(20), families(10)
    db.session.remove()

    def book_whole(parent_id, child_id):
        def action():
            youth.book_term(db.session.get(WeeklySchedule, term_id), db.session.get(Child, child_id),
                            db.session.get(User, parent_id), now=now_utc())
        return action

    outcomes: list[str] = []
    jobs = [attempt(outcomes, book_whole(p, c)) for p, c in whole]
    jobs += [attempt(outcomes, book_family(small_id, p, c, waitlist=False)) for p, c in single]
    race(app, jobs)

    term = db.session.get(WeeklySchedule, term_id)
    per_child = Counter(db.session.execute(
        sa.select(Booking.child_id).where(Booking.status == BookingStatus.CONFIRMED,
                                          Booking.child_id.in_([c for _, c in whole]))
    ).scalars())
    assert set(per_child.values()) <= {3}  # every class of the term, or no class at all
    small_taken = db.session.get(Quota, db.session.get(Event, small_id).seat_quota_id).taken
    assert small_taken == 6
    assert Counter(outcomes)["booked"] == 6  # term bookings and single bookings share the six places
    for event in term.events:
        confirmed = db.session.execute(
            sa.select(sa.func.count()).select_from(Booking)
            .where(Booking.event_id == event.id, Booking.status == BookingStatus.CONFIRMED)
        ).scalar_one()
        assert confirmed == event.seats.taken
        if event.id != small_id:
            assert confirmed == len(per_child)
