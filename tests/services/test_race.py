"""Two people racing for the last seat must never both get it.

Runs against a file-based SQLite database, and against PostgreSQL when
``TEST_DATABASE_URL`` is set (CI does both).
"""
from __future__ import annotations

import threading
from collections import Counter

import pytest
import sqlalchemy as sa

from models import Booking, BookingStatus, Event, Quota, User, db
from services import capacity
from services.booking import book_seat
from services.dates import now_utc
from services.locks import lock_event
from tests.conftest import TEST_DATABASE_URL, make_event, make_user

RACERS = 30
SEATS = 5


def race(app, jobs):
    """Run each job in its own thread and app context, all starting together."""
    barrier = threading.Barrier(len(jobs))
    errors: list[BaseException] = []

    def run(job):
        with app.app_context():
            try:
                barrier.wait()
                job()
                db.session.commit()
            except BaseException as error:  # collected and re-raised below
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors


def booker(event_id: int, user_id: int):
    def job():
        book_seat(db.session.get(Event, event_id), db.session.get(User, user_id), now=now_utc(), waitlist=True)
    return job


def test_thirty_people_racing_for_five_seats(app):
    event = make_event(capacity=SEATS)
    users = [make_user(f"居民{i}") for i in range(RACERS)]
    db.session.remove()

    race(app, [booker(event.id, user.id) for user in users])

    counts = Counter(db.session.execute(
        sa.select(Booking.status).where(Booking.event_id == event.id)
    ).scalars())
    assert counts == {BookingStatus.CONFIRMED: SEATS, BookingStatus.WAITLISTED: RACERS - SEATS}
    assert db.session.get(Quota, event.seat_quota_id).taken == SEATS


def test_one_person_double_submitting_gets_one_booking(app):
    event = make_event(capacity=SEATS)
    user = make_user()
    db.session.remove()

    race(app, [booker(event.id, user.id) for _ in range(10)])

    rows = db.session.execute(sa.select(Booking).where(Booking.event_id == event.id)).scalars().all()
    assert len(rows) == 1 and rows[0].is_confirmed
    assert db.session.get(Quota, event.seat_quota_id).taken == 1


@pytest.mark.skipif(not TEST_DATABASE_URL,
                    reason="SQLite has one write lock for the whole database: nothing to deadlock")
def test_a_booking_goes_on_while_an_organizer_holds_the_event(app):
    """An organizer's edit locks the event, then wants its seats (``lock_event`` before
    ``lock_quota``); a booking holds the seats and inserts a row naming the event. The
    insert's foreign-key check must not wait for the event's lock, or the two deadlock."""
    event = make_event(capacity=5)
    user = make_user()
    event_id, quota_id, user_id = event.id, event.seat_quota_id, user.id
    db.session.remove()
    holding, booked = threading.Event(), threading.Event()
    errors: list[BaseException] = []

    def organizer():
        with app.app_context():
            try:
                lock_event(event_id)
                holding.set()
                booked.wait(timeout=10)
                capacity.set_capacity(quota_id, 6, now=now_utc())
                db.session.commit()
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    def resident():
        with app.app_context():
            try:
                holding.wait(timeout=10)
                book_seat(db.session.get(Event, event_id), db.session.get(User, user_id), now=now_utc())
                db.session.commit()
                booked.set()
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=organizer), threading.Thread(target=resident)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == [] and booked.is_set()
    assert db.session.get(Quota, quota_id).capacity == 6
