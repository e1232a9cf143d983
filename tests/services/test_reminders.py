"""Reminders the day before: who gets one, what it says, and each exactly once."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask_babel import force_locale

from models import Notification, NotificationKind, Role, db
from services import events as event_service
from services import booking, lectures, reminders, shifts, youth
from services.notification_texts import render
from tests.conftest import (
    make_child, make_event, make_role, make_user, make_venue, make_youth_program,
)

K = NotificationKind


def reminders_written() -> list[Notification]:
    return list(db.session.execute(
        sa.select(Notification).where(Notification.kind.in_([K.REMINDER, K.WAITING_REMINDER]))
        .order_by(Notification.user_id, Notification.id)
    ).scalars())


def test_seats_roles_children_and_waiting_places_are_reminded_once(app, now, time_machine):
    event = make_event(capacity=1, starts_in=timedelta(days=3), title="管仲与齐国的富国之道")
    event.venue = make_venue("城市书房")
    youth_program = make_youth_program(min_age=0, max_age=18)
    lesson = make_event(youth_program, capacity=1, starts_in=timedelta(days=3, hours=1), title="少儿诵读班 · 第 2 课")
    seat, first_wait, second_wait = make_user("张桂芳"), make_user("刘建华"), make_user("王德顺")
    volunteer = make_user("陈玉兰", roles=(Role.RESIDENT, Role.VOLUNTEER))
    parent, late = make_user("冯晓梅"), make_user("临时报名的人")
    booking.book_seat(event, seat, now=now)
    booking.book_seat(event, first_wait, now=now, waitlist=True)
    booking.book_seat(event, second_wait, now=now, waitlist=True)
    shifts.sign_up(make_role(event, "签到", 1), volunteer, now=now)
    youth.book_class(lesson, make_child(parent, "小明"), parent, now=now)
    db.session.commit()

    assert reminders.send_reminders(now=now) == 0  # three days ahead: too early
    time_machine.move_to(event.starts_at - timedelta(hours=20), tick=True)
    from services.dates import now_utc

    booking.book_seat(lesson, late, now=now_utc(), waitlist=True)  # joined within the day: no reminder
    db.session.commit()
    assert reminders.send_reminders(now=now_utc()) == 5
    db.session.commit()
    assert reminders.send_reminders(now=now_utc()) == 0  # the second run writes nothing
    db.session.commit()

    written = {m.user_id: m for m in reminders_written()}
    assert set(written) == {seat.id, first_wait.id, second_wait.id, volunteer.id, parent.id}
    with force_locale("zh"):
        assert "城市书房" in render(written[seat.id]).body and "管仲" in render(written[seat.id]).title
        assert written[first_wait.id].kind is K.WAITING_REMINDER and "第 1 位" in render(written[first_wait.id]).body
        assert "第 2 位" in render(written[second_wait.id]).body
        assert "签到" in render(written[volunteer.id]).body
        assert "小明" in render(written[parent.id]).body
    with force_locale("en"):
        assert "number 2" in render(written[second_wait.id]).body


def test_the_command_run_twice_reminds_once(app, now, time_machine):
    event = make_event(capacity=5, starts_in=timedelta(days=2))
    booking.book_seat(event, make_user(), now=now)
    db.session.commit()
    time_machine.move_to(event.starts_at - timedelta(hours=23), tick=True)
    runner = app.test_cli_runner()
    assert runner.invoke(args=["reminders", "send"]).output.strip() == "1 reminders written."
    assert runner.invoke(args=["reminders", "send"]).output.strip() == "0 reminders written."
    assert len(reminders_written()) == 1


def test_two_runs_at_once_write_each_reminder_once(app, now, time_machine):
    import threading

    event = make_event(capacity=40, starts_in=timedelta(days=2))
    for index in range(15):
        booking.book_seat(event, make_user(f"居民{index}"), now=now)
    db.session.commit()
    time_machine.move_to(event.starts_at - timedelta(hours=12), tick=True)
    barrier, counts, errors = threading.Barrier(2), [], []

    def run():
        try:
            with app.app_context():
                barrier.wait()
                from services.dates import now_utc

                counts.append(reminders.send_reminders(now=now_utc()))
                db.session.commit()
        except Exception as error:
            errors.append(error)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert sum(counts) == 15 and len(reminders_written()) == 15


def test_cancelled_events_and_cancelled_bookings_get_no_reminder_and_a_moved_event_gets_a_new_one(app, now, time_machine):
    cancelled = make_event(capacity=5, starts_in=timedelta(days=2))
    moved = make_event(capacity=5, starts_in=timedelta(days=2))
    person, gave_up = make_user(), make_user()
    booking.book_seat(cancelled, person, now=now)
    booking.book_seat(moved, person, now=now)
    dropped = booking.book_seat(moved, gave_up, now=now)
    booking.cancel_booking(dropped, now=now)
    event_service.cancel_event(cancelled, "停电", actor=None, now=now)
    db.session.commit()
    time_machine.move_to(moved.starts_at - timedelta(hours=10), tick=True)
    from services.dates import now_utc

    assert reminders.send_reminders(now=now_utc()) == 1
    [first] = reminders_written()
    assert first.event_id == moved.id and first.user_id == person.id

    later = moved.starts_at + timedelta(days=7)
    event_service.edit_event(moved, event_service.EventChanges(
        title=moved.title, speaker="", summary="", series=None, venue=None, starts_at=later,
        ends_at=later + timedelta(hours=1), capacity=5, booking_cutoff_minutes=60,
    ), actor=None, now=now_utc())
    db.session.commit()
    assert reminders.send_reminders(now=now_utc()) == 0
    time_machine.move_to(later - timedelta(hours=10), tick=True)
    assert reminders.send_reminders(now=now_utc()) == 1  # the day before its new date
    assert len(reminders_written()) == 2
