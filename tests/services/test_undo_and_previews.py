"""Saying what a cancellation will do before it happens, taking a cancelled seat back while
nobody has it, and text rendered in the reader's language rather than stored in one."""
from __future__ import annotations

from datetime import timedelta

import pytest
from flask_babel import force_locale

from models import BookingStatus, Quota, db
from models.event import event_title
from models.shift import role_title
from services import capacity, shifts
from services.booking import (
    UNDO_MINUTES, book_seat, can_undo, cancel_booking, preview_cancellation, undo_cancellation,
)
from services.errors import CancellationClosed, SeatTaken, UndoExpired, WithdrawalClosed
from services.events import cancel_event
from tests.conftest import make_event, make_member, make_role, make_talk, make_team, make_user


def taken(event) -> int:
    return db.session.get(Quota, event.seat_quota_id).taken


def test_the_preview_says_the_seat_goes_to_the_first_in_line_only_when_someone_waits(app, now):
    event = make_event(capacity=1, now=now)
    holder = book_seat(event, make_user("甲"), now=now)
    assert preview_cancellation(holder, now=now).next_in_line == 0  # nobody waits: the seat is freed
    waiting = book_seat(event, make_user("乙"), now=now, waitlist=True)
    db.session.commit()

    preview = preview_cancellation(holder, now=now)
    assert preview.gives_seat_away and preview.next_in_line == 1 and preview.refusal is None
    mine = preview_cancellation(waiting, now=now)
    assert not mine.gives_seat_away and mine.position == 1
    assert isinstance(preview_cancellation(holder, now=event.starts_at).refusal, CancellationClosed)


def test_undo_gives_back_the_same_seat_and_ticket_while_nobody_has_taken_it(app, now):
    event = make_event(capacity=1, now=now)
    booking = book_seat(event, make_user(), now=now)
    ticket, confirmed_at = booking.ticket_code, booking.confirmed_at
    db.session.commit()

    promoted = cancel_booking(booking, now=now)
    db.session.commit()
    assert can_undo(booking, now=now, promoted=promoted) and taken(event) == 0

    undo_cancellation(booking, now=now + timedelta(minutes=UNDO_MINUTES - 1))
    db.session.commit()
    assert booking.status is BookingStatus.CONFIRMED and booking.cancelled_at is None
    assert booking.ticket_code == ticket and booking.confirmed_at == confirmed_at
    assert taken(event) == 1
    # Undoing twice (a double tap) changes nothing.
    assert undo_cancellation(booking, now=now).status is BookingStatus.CONFIRMED and taken(event) == 1


def test_undo_is_refused_once_someone_booked_the_freed_seat(app, now):
    event = make_event(capacity=1, now=now)
    booking = book_seat(event, make_user("甲"), now=now)
    db.session.commit()
    cancel_booking(booking, now=now)
    db.session.commit()
    book_seat(event, make_user("乙"), now=now + timedelta(minutes=1))
    db.session.commit()

    with pytest.raises(SeatTaken) as refused:
        undo_cancellation(booking, now=now + timedelta(minutes=2))
    db.session.rollback()
    assert booking.status is BookingStatus.CANCELLED and taken(event) == 1
    with force_locale("zh"):
        assert "座位已经被别人订走" in str(refused.value)


def test_no_undo_when_the_seat_went_straight_to_the_waiting_list(app, now):
    event = make_event(capacity=1, now=now)
    booking = book_seat(event, make_user("甲"), now=now)
    book_seat(event, make_user("乙"), now=now, waitlist=True)
    db.session.commit()

    promoted = cancel_booking(booking, now=now)
    db.session.commit()

    assert len(promoted) == 1 and not can_undo(booking, now=now, promoted=promoted)
    with pytest.raises(SeatTaken):  # even if asked directly: the seat is full again
        undo_cancellation(booking, now=now)
    db.session.rollback()


def test_a_family_waiting_ahead_keeps_a_freed_seat_from_being_undone(app, now):
    """A seat can be free while people wait (a family of two needs two): the list goes first."""
    event = make_event(capacity=2, now=now)
    mine = book_seat(event, make_user("甲"), now=now)
    book_seat(event, make_user("乙"), now=now)
    family = capacity.request_places(quota_id=event.seat_quota_id, event_id=event.id, user=make_user("家长"),
                                     now=now, places=2, waitlist=True)
    db.session.commit()
    assert cancel_booking(mine, now=now) == []  # one seat free, the family still waits
    db.session.commit()
    assert family.status is BookingStatus.WAITLISTED and taken(event) == 1
    with pytest.raises(SeatTaken):
        undo_cancellation(mine, now=now)
    db.session.rollback()


def test_undo_ends_after_ten_minutes_at_the_start_and_when_the_event_is_cancelled(app, now):
    event = make_event(capacity=3, starts_in=timedelta(minutes=30), cutoff=timedelta(0), now=now)
    late, started, called_off = (book_seat(event, make_user(name), now=now) for name in "甲乙丙")
    db.session.commit()
    for booking in (late, started, called_off):
        cancel_booking(booking, now=now)
    db.session.commit()

    with pytest.raises(UndoExpired):
        undo_cancellation(late, now=now + timedelta(minutes=UNDO_MINUTES))
    db.session.rollback()
    with pytest.raises(UndoExpired):
        undo_cancellation(started, now=event.starts_at)
    db.session.rollback()
    cancel_event(event, "停电", actor=None, now=now)
    db.session.commit()
    with pytest.raises(UndoExpired):
        undo_cancellation(called_off, now=now + timedelta(minutes=1))
    db.session.rollback()


def test_leaving_a_waiting_list_has_no_undo(app, now):
    event = make_event(capacity=1, now=now)
    book_seat(event, make_user("甲"), now=now)
    waiting = book_seat(event, make_user("乙"), now=now, waitlist=True)
    db.session.commit()
    cancel_booking(waiting, now=now)
    db.session.commit()
    assert not can_undo(waiting, now=now)
    with pytest.raises(UndoExpired):
        undo_cancellation(waiting, now=now)
    db.session.rollback()


def test_restore_keeps_a_familys_two_places_together(app, now):
    event = make_event(capacity=3, now=now)
    parent = make_user("家长")
    family = capacity.request_places(quota_id=event.seat_quota_id, event_id=event.id, user=parent, now=now, places=2)
    db.session.commit()
    cancel_booking(family, now=now)
    book_seat(event, make_user("甲"), now=now)
    book_seat(event, make_user("乙"), now=now)  # two of three places taken: one is not enough
    db.session.commit()
    with pytest.raises(SeatTaken):
        undo_cancellation(family, now=now)
    db.session.rollback()
    assert taken(event) == 2


def test_the_withdrawal_preview_names_the_deadline_and_who_gets_the_slot(app, now):
    team = make_team()
    member, other = make_member(team, "陈玉兰"), make_member(team, "王德顺")
    talk = make_talk(team, roles=(), starts_in=timedelta(days=3))
    role = make_role(talk, "主持", slots=1)
    shift = shifts.sign_up(role, member, now=now)
    db.session.commit()
    assert shifts.preview_withdrawal(shift, now=now).next_in_line == 0
    shifts.sign_up(role, other, now=now, waitlist=True)
    db.session.commit()

    assert shifts.preview_withdrawal(shift, now=now).next_in_line == 1
    late = shifts.preview_withdrawal(shift, now=role.withdraw_closes_at(talk))
    assert isinstance(late.refusal, WithdrawalClosed)


def test_placeholders_and_role_names_are_read_in_the_readers_language(app):
    with force_locale("zh"):
        assert event_title("") == "题目待定"
        assert event_title("寒假学期", 3) == "寒假学期 · 第 3 课"
        assert role_title("主持") == "主持" and role_title("讲解员") == "讲解员"
    with force_locale("en"):
        assert event_title("") == "Topic to be announced"
        assert event_title("Winter term", 3) == "Winter term · class 3"
        assert event_title("管仲与齐国") == "管仲与齐国"
        assert [role_title(n) for n in ("主讲", "主持", "摄影", "场务", "签到")] == [
            "Speaker", "Host", "Photographer", "Stage crew", "Check-in desk"]
        assert role_title("讲解员") == "讲解员"  # a name an organizer typed is shown as typed
