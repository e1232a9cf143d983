"""The waiting list is in the order of the quota lock, so the number told is the true place.

A booking request reads its clock before it gets the quota lock; on a busy server the
request that read its clock first may get the lock last. The list must still follow the
lock: whoever is told "number 3" is third.
"""
from __future__ import annotations

import multiprocessing
import warnings
from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from models import Booking, BookingStatus, Event, User, db
from services import capacity
from services.booking import book_seat
from services.dates import now_utc
from tests.conftest import make_event, make_user

PROCESSES = 12

with warnings.catch_warnings():
    # multiprocessing tries the Windows-only _winapi; pygal's import hook warns about it.
    warnings.simplefilter("ignore", ImportWarning)
    import multiprocessing.connection  # noqa: F401


def test_a_request_that_read_its_clock_earlier_but_got_the_lock_later_queues_behind(app, now):
    event = make_event(capacity=0)
    first, second = make_user("先到"), make_user("后到")

    early, late = now, now + timedelta(seconds=2)
    took_lock_first = book_seat(event, first, now=late, waitlist=True)
    db.session.commit()
    took_lock_second = book_seat(event, second, now=early, waitlist=True)
    db.session.commit()

    assert capacity.waitlist_position(took_lock_first) == 1
    assert capacity.waitlist_position(took_lock_second) == 2
    assert took_lock_second.waitlisted_at == took_lock_first.waitlisted_at
    assert capacity.promote_waitlist(event.seat_quota_id, now=late) == []
    capacity.set_capacity(event.seat_quota_id, 1, now=late)
    db.session.commit()
    assert db.session.get(Booking, took_lock_first.id).status is BookingStatus.CONFIRMED
    assert db.session.get(Booking, took_lock_second.id).status is BookingStatus.WAITLISTED


def test_a_frozen_clock_keeps_its_time_and_orders_by_arrival(app, now):
    event = make_event(capacity=0)
    people = [make_user(f"居民{i}") for i in range(3)]

    bookings = [book_seat(event, person, now=now, waitlist=True) for person in people]
    db.session.commit()

    assert [b.waitlisted_at for b in bookings] == [now] * 3
    assert [capacity.waitlist_position(b) for b in bookings] == [1, 2, 3]


def _join_waiting_list(database_url: str, event_id: int, user_id: int, barrier, results) -> None:
    """One server process: read the clock, wait for the others, then join the waiting list
    and say which number the person was told (as the booking view does, before commit)."""
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": database_url})
    with app.app_context():
        try:
            event, user = db.session.get(Event, event_id), db.session.get(User, user_id)
            db.session.commit()
            now = now_utc()
            barrier.wait(timeout=60)
            booking = book_seat(event, user, now=now, waitlist=True)
            told = capacity.waitlist_position(booking)
            db.session.commit()
            results.put((user_id, booking.id, told))
        except BaseException as error:  # reported to the test
            results.put((user_id, None, repr(error)))
        finally:
            db.session.remove()
            db.engine.dispose()


@pytest.mark.timeout(180)
def test_processes_joining_at_once_are_told_their_true_places(app):
    """Twelve processes read their clocks, then race for the lock: every number told is
    the person's place in the final list, and the list is in the order of booking ids
    (handed out under the lock)."""
    event = make_event(capacity=0)
    people = [make_user(f"候补{i}") for i in range(PROCESSES)]
    url = app.config["SQLALCHEMY_DATABASE_URI"]
    event_id, user_ids = event.id, [p.id for p in people]
    db.session.remove()
    db.engine.dispose()  # no connection crosses the fork

    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(PROCESSES), context.Queue()
    workers = [context.Process(target=_join_waiting_list, args=(url, event_id, user_id, barrier, results))
               for user_id in user_ids]
    for worker in workers:
        worker.start()
    answers = [results.get(timeout=150) for _ in workers]
    for worker in workers:
        worker.join(timeout=30)

    assert all(booking_id is not None for _, booking_id, _ in answers), answers
    waiting = db.session.execute(
        sa.select(Booking).where(Booking.quota_id == event.seat_quota_id, Booking.status == BookingStatus.WAITLISTED)
    ).scalars().all()
    true_places = capacity.waitlist_positions(waiting)
    told = {booking_id: position for _, booking_id, position in answers}
    assert len(waiting) == PROCESSES and told == true_places
    in_lock_order = sorted(true_places, key=true_places.get)
    assert in_lock_order == sorted(true_places)
