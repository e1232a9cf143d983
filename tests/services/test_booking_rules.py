"""When seats can be booked and cancelled, and what a refusal says."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from services import events as event_service
from services.booking import book_seat, booking_refusal, cancel_booking
from services.errors import (
    BookingClosed, BookingNotOpen, CancellationClosed, EventCancelled, EventStarted,
)
from models import db
from tests.conftest import make_event, make_user


def test_booking_closes_exactly_at_the_cutoff(app, now):
    event = make_event(starts_in=timedelta(days=1), cutoff=timedelta(hours=2))
    closes = event.booking_closes_at
    assert book_seat(event, make_user("甲"), now=closes - timedelta(seconds=1)).is_confirmed
    db.session.commit()
    with pytest.raises(BookingClosed) as refused:
        book_seat(event, make_user("乙"), now=closes)
    db.session.rollback()
    with force_locale("zh"):
        assert "预约已于" in str(refused.value) and "截止" in str(refused.value)


def test_booking_not_open_yet_says_when_it_opens(app, now):
    event = make_event()
    event.booking_opens_at = now + timedelta(days=2)
    db.session.commit()
    with pytest.raises(BookingNotOpen) as refused:
        book_seat(event, make_user(), now=now)
    db.session.rollback()
    with force_locale("zh"):
        assert "开放" in str(refused.value) and "月" in str(refused.value)
    assert book_seat(event, make_user("乙"), now=now + timedelta(days=2)).is_confirmed


def test_cancelled_events_cannot_be_booked(app, now):
    event = make_event()
    event_service.cancel_event(event, "讲师临时有事", actor=None, now=now)
    db.session.commit()
    with pytest.raises(EventCancelled):
        book_seat(event, make_user(), now=now)
    db.session.rollback()
    assert isinstance(booking_refusal(event, now), EventCancelled)


def test_started_and_past_events_cannot_be_booked(app, now):
    event = make_event(starts_in=timedelta(hours=1), cutoff=timedelta(0))
    with pytest.raises(EventStarted):
        book_seat(event, make_user(), now=event.starts_at)
    db.session.rollback()
    with pytest.raises(EventStarted):
        book_seat(event, make_user("乙"), now=event.ends_at + timedelta(days=1))
    db.session.rollback()


def test_open_event_has_no_refusal(app, now):
    assert booking_refusal(make_event(), now) is None


def test_a_seat_cannot_be_cancelled_once_the_event_started(app, now):
    event = make_event(starts_in=timedelta(hours=3))
    seat = book_seat(event, make_user(), now=now)
    db.session.commit()
    with pytest.raises(CancellationClosed):
        cancel_booking(seat, now=event.starts_at + timedelta(minutes=1))
    db.session.rollback()
    assert cancel_booking(seat, now=event.starts_at - timedelta(minutes=1)) == []


def test_refusals_read_in_english_too(app, now):
    event = make_event()
    event_service.cancel_event(event, "下雨", actor=None, now=now)
    db.session.commit()
    with force_locale("en"):
        assert str(EventCancelled()) == "This event has been cancelled."
    with force_locale("zh"):
        assert str(EventCancelled()) == "本场活动已取消。"
