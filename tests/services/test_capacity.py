"""The capacity and waiting-list rules, tested as functions (no HTTP)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from models import Booking, BookingStatus, Quota, db
from services import capacity
from services.booking import book_seat, cancel_booking
from services.errors import CapacityBelowTaken, EventFull
from tests.conftest import make_event, make_user


def statuses(event):
    rows = db.session.execute(
        sa.select(Booking.user_id, Booking.status).where(Booking.event_id == event.id).order_by(Booking.id)
    )
    return [(user_id, status) for user_id, status in rows]


def test_seats_are_confirmed_until_full_then_refused_without_waitlist(app, now):
    event = make_event(capacity=2)
    first, second, third = make_user("甲"), make_user("乙"), make_user("丙")
    assert book_seat(event, first, now=now).is_confirmed
    assert book_seat(event, second, now=now).is_confirmed
    db.session.commit()
    with pytest.raises(EventFull) as refused:
        book_seat(event, third, now=now)
    db.session.rollback()
    assert "候补" in str(refused.value)
    assert db.session.get(Quota, event.seat_quota_id).taken == 2
    assert len(statuses(event)) == 2


def test_full_event_puts_people_on_the_waiting_list_in_order(app, now):
    event = make_event(capacity=1)
    people = [make_user(f"居民{i}") for i in range(4)]
    bookings = [book_seat(event, person, now=now + timedelta(seconds=i), waitlist=True)
                for i, person in enumerate(people)]
    db.session.commit()
    assert [b.status for b in bookings] == [BookingStatus.CONFIRMED] + [BookingStatus.WAITLISTED] * 3
    assert [capacity.waitlist_position(b) for b in bookings] == [None, 1, 2, 3]
    assert capacity.waiting_counts([event.seat_quota_id]) == {event.seat_quota_id: 3}


def test_cancelling_a_seat_promotes_the_first_waiting_person(app, now):
    event = make_event(capacity=1)
    holder, first_waiting, second_waiting = make_user("甲"), make_user("乙"), make_user("丙")
    seat = book_seat(event, holder, now=now)
    waiting_1 = book_seat(event, first_waiting, now=now + timedelta(seconds=1), waitlist=True)
    waiting_2 = book_seat(event, second_waiting, now=now + timedelta(seconds=2), waitlist=True)
    db.session.commit()

    promoted = cancel_booking(seat, now=now + timedelta(minutes=5))
    db.session.commit()

    assert promoted == [waiting_1]
    assert seat.status is BookingStatus.CANCELLED
    assert waiting_1.status is BookingStatus.CONFIRMED and waiting_1.confirmed_at is not None
    assert waiting_2.status is BookingStatus.WAITLISTED
    assert capacity.waitlist_position(waiting_2) == 1
    assert db.session.get(Quota, event.seat_quota_id).taken == 1


def test_leaving_the_waiting_list_frees_nothing_and_keeps_the_order(app, now):
    event = make_event(capacity=1)
    a, b, c = make_user("甲"), make_user("乙"), make_user("丙")
    book_seat(event, a, now=now)
    wb = book_seat(event, b, now=now + timedelta(seconds=1), waitlist=True)
    wc = book_seat(event, c, now=now + timedelta(seconds=2), waitlist=True)
    db.session.commit()
    assert cancel_booking(wb, now=now) == []
    db.session.commit()
    assert wb.status is BookingStatus.CANCELLED
    assert capacity.waitlist_position(wc) == 1
    assert db.session.get(Quota, event.seat_quota_id).taken == 1


def test_booking_twice_returns_the_existing_booking(app, now):
    event = make_event(capacity=3)
    person = make_user()
    first = book_seat(event, person, now=now)
    db.session.commit()
    again = book_seat(event, person, now=now, waitlist=True)
    db.session.commit()
    assert again.id == first.id
    assert len(statuses(event)) == 1
    assert db.session.get(Quota, event.seat_quota_id).taken == 1


def test_a_cancelled_booking_can_be_made_again(app, now):
    event = make_event(capacity=3)
    person = make_user()
    first = book_seat(event, person, now=now)
    cancel_booking(first, now=now)
    second = book_seat(event, person, now=now)
    db.session.commit()
    assert second.id != first.id and second.is_confirmed
    assert db.session.get(Quota, event.seat_quota_id).taken == 1


def test_nobody_jumps_the_queue_while_people_wait(app, now):
    """A seat freed by an organizer's edit goes to the waiting list, not a newcomer."""
    event = make_event(capacity=1)
    a, b, newcomer = make_user("甲"), make_user("乙"), make_user("新")
    book_seat(event, a, now=now)
    waiting = book_seat(event, b, now=now, waitlist=True)
    db.session.commit()
    # Simulate a free seat while someone waits (e.g. a two-place booking at the head).
    db.session.execute(sa.update(Quota).where(Quota.id == event.seat_quota_id).values(capacity=2))
    db.session.commit()
    late = book_seat(event, newcomer, now=now, waitlist=True)
    db.session.commit()
    assert late.is_waitlisted
    assert waiting.is_waitlisted


def test_raising_capacity_promotes_waiting_people_in_order(app, now):
    event = make_event(capacity=1)
    people = [make_user(f"居民{i}") for i in range(4)]
    bookings = [book_seat(event, p, now=now + timedelta(seconds=i), waitlist=True) for i, p in enumerate(people)]
    db.session.commit()
    promoted = capacity.set_capacity(event.seat_quota_id, 3, now=now)
    db.session.commit()
    assert promoted == bookings[1:3]
    assert [b.status for b in bookings] == [BookingStatus.CONFIRMED] * 3 + [BookingStatus.WAITLISTED]
    assert db.session.get(Quota, event.seat_quota_id).taken == 3


def test_capacity_cannot_drop_below_the_seats_booked(app, now):
    event = make_event(capacity=3)
    for name in ("甲", "乙"):
        book_seat(event, make_user(name), now=now)
    db.session.commit()
    with pytest.raises(CapacityBelowTaken) as refused:
        capacity.set_capacity(event.seat_quota_id, 1, now=now)
    db.session.rollback()
    assert "2" in str(refused.value)
    assert db.session.get(Quota, event.seat_quota_id).capacity == 3


def test_database_refuses_more_taken_than_capacity(app):
    event = make_event(capacity=1)
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(Quota).where(Quota.id == event.seat_quota_id).values(taken=2))
        db.session.flush()
    db.session.rollback()


def test_database_refuses_a_second_active_booking(app, now):
    event = make_event(capacity=3)
    person = make_user()
    book_seat(event, person, now=now)
    db.session.commit()
    duplicate = Booking(quota_id=event.seat_quota_id, event_id=event.id, user_id=person.id,
                        status=BookingStatus.WAITLISTED, waitlisted_at=now)
    db.session.add(duplicate)
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_ticket_codes_are_eight_unique_digits(app, now):
    event = make_event(capacity=30)
    codes = {book_seat(event, make_user(f"居民{i}"), now=now).ticket_code for i in range(30)}
    assert len(codes) == 30
    assert all(len(code) == 8 and code.isdigit() for code in codes)


def test_ticket_codes_are_random_and_stored_not_worked_out_from_the_booking(app, now, monkeypatch):
    event = make_event(capacity=3)
    drawn = iter(["11111111", "22222222"])
    monkeypatch.setattr(capacity, "new_ticket_code", lambda: next(drawn))
    first = book_seat(event, make_user("居民甲"), now=now)
    db.session.commit()
    assert first.ticket_code == "11111111"
    # A code already taken is drawn again (the unique constraint tells).
    drawn = iter(["11111111", "33333333"])
    second = book_seat(event, make_user("居民乙"), now=now)
    db.session.commit()
    assert second.ticket_code == "33333333"
    db.session.expire_all()
    assert db.session.get(Booking, first.id).ticket_code == "11111111"


def test_two_sites_give_the_same_booking_different_ticket_numbers(tmp_path, now):
    from app import create_app
    from tests.conftest import TEST_HASH_METHOD

    codes = []
    for site in ("one", "two"):
        other = create_app({"TESTING": True, "SECRET_KEY": site, "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
                            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / site}.sqlite3"})
        with other.app_context():
            db.create_all()
            event = make_event(capacity=5)
            booking = book_seat(event, make_user("张桂芳"), now=now)
            db.session.commit()
            codes.append((booking.id, booking.ticket_code))
            db.session.remove()
            db.engine.dispose()
    assert codes[0][0] == codes[1][0] == 1
    assert codes[0][1] != codes[1][1]
