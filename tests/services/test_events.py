"""The one edit path every kind of event goes through (services.events): moving keeps the
calendar UID and raises SEQUENCE, places go through the capacity engine, the venue and
the volunteers are checked, the audit trail records it; and the one cancel path."""
from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from models import AuditEntry, Booking, BookingStatus, Event, EventStatus, Quota, Role, db
from services import booking as booking_service
from services import events, feeds, shifts, troupes
from services.errors import (
    CancelReasonRequired, CapacityBelowTaken, EventAlreadyStarted, EventEndsBeforeStart, EventInThePast,
    EventIsCancelled, RoomSharingNotAllowed, ShiftsOverlapAfterMove, VenueTaken,
)
from tests.conftest import (
    make_event, make_member, make_program, make_role, make_talk, make_team, make_troupe, make_user, make_venue,
)


def organizer():
    return make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))


def admin():
    return make_user("王建国", roles=(Role.RESIDENT, Role.ORGANIZER, Role.ADMIN))


def at(event, **changes) -> events.EventChanges:
    return replace(events.EventChanges.of(event), **changes)


def placed(venue, *, starts_in, length=timedelta(hours=2), title="管仲与齐国的富国之道", program=None, **kwargs) -> Event:
    event = make_event(program, starts_in=starts_in, length=length, title=title, **kwargs)
    event.venue = venue
    db.session.commit()
    return event


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == action)
                                   .order_by(AuditEntry.id)).scalars())


def book(event, name, now, waitlist=False):
    booking = booking_service.book_seat(event, make_user(name), now=now, waitlist=waitlist)
    db.session.commit()
    return booking


# --- editing -------------------------------------------------------------------------------


def test_moving_an_event_keeps_its_id_its_bookings_and_raises_its_sequence(app, now):
    event = make_event(capacity=3)
    holder = book(event, "张桂芳", now)
    hall = make_venue("社区文化服务中心 多功能厅")
    before = (event.id, event.sequence)
    new_start = event.starts_at + timedelta(days=1, hours=2)

    edit = events.edit_event(event, at(event, starts_at=new_start, ends_at=new_start + timedelta(hours=1),
                                       venue=hall), actor=organizer(), now=now)
    db.session.commit()

    assert edit.is_moved and {"starts_at", "ends_at", "venue_id"} <= edit.changed
    assert (event.id, event.sequence) == (before[0], before[1] + 1)
    assert event.updated_at == now
    assert db.session.get(Booking, holder.id).is_confirmed
    assert db.session.get(Quota, event.seat_quota_id).taken == 1


def test_a_title_change_is_not_a_move_but_still_raises_the_sequence(app, now):
    event = make_event()

    edit = events.edit_event(event, at(event, title="稷下学宫"), actor=None, now=now)

    assert not edit.is_moved and edit.changed == {"title"}
    assert event.sequence == 1


def test_saving_unchanged_details_changes_nothing(app, now):
    event = make_event()

    edit = events.edit_event(event, at(event), actor=None, now=now)

    assert edit.changed == frozenset() and event.sequence == 0
    assert entries("event.edit") == []


def test_more_places_promote_the_waiting_list_in_order(app, now):
    event = make_event(capacity=1)
    book(event, "甲", now)
    waiting = [book(event, name, now + timedelta(seconds=i), waitlist=True) for i, name in enumerate("乙丙丁", 1)]

    edit = events.edit_event(event, at(event, capacity=3), actor=None, now=now)
    db.session.commit()

    assert [b.id for b in edit.promoted] == [waiting[0].id, waiting[1].id]
    assert db.session.get(Booking, waiting[2].id).is_waitlisted
    [entry] = entries("event.capacity")
    assert (entry.before, entry.after) == ({"capacity": 1, "promoted": None}, {"capacity": 3, "promoted": 2})


def test_fewer_places_than_are_taken_are_refused_with_the_number_and_nothing_changes(app, now):
    event = make_event(capacity=3, title="管仲与齐国")
    book(event, "甲", now)
    book(event, "乙", now)

    with pytest.raises(CapacityBelowTaken) as refused:
        events.edit_event(event, at(event, capacity=1, title="改了题目"), actor=None, now=now)
    db.session.rollback()

    with force_locale("zh"):
        assert str(refused.value) == "已有 2 人预约，名额不能少于 2 个。"
    saved = db.session.get(Event, event.id)
    assert (saved.title, saved.seats.capacity, saved.sequence) == ("管仲与齐国", 3, 0)


def test_a_new_time_must_make_sense(app, now):
    event = make_event(starts_in=timedelta(days=3))
    with pytest.raises(EventEndsBeforeStart):
        events.edit_event(event, at(event, ends_at=event.starts_at), actor=None, now=now)
    db.session.rollback()
    with pytest.raises(EventInThePast):
        events.edit_event(event, at(event, starts_at=now - timedelta(hours=2), ends_at=now - timedelta(hours=1)),
                          actor=None, now=now)
    db.session.rollback()


def test_a_started_event_keeps_its_time_but_can_get_a_new_title(app, now):
    event = make_event(starts_in=timedelta(hours=1))
    later = event.starts_at + timedelta(minutes=10)

    with pytest.raises(EventAlreadyStarted):
        events.edit_event(event, at(event, ends_at=event.ends_at + timedelta(hours=1)), actor=None, now=later)
    db.session.rollback()
    events.edit_event(event, at(event, title="改为现场答疑"), actor=None, now=later)

    assert event.title == "改为现场答疑"


def test_a_cancelled_event_cant_be_changed(app, now):
    event = make_event()
    events.cancel_event(event, "讲师生病", actor=None, now=now)

    with pytest.raises(EventIsCancelled):
        events.edit_event(event, at(event, title="新题目"), actor=None, now=now)


def test_volunteers_holding_a_role_keep_a_move_off_their_other_shifts(app, now):
    team = make_team()
    member = make_member(team)
    show = troupes.add_performance(make_troupe(), troupes.PerformancePlan(
        title="吕剧专场", summary="", starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2),
        capacity=50, booking_cutoff_minutes=60), actor=None, now=now)
    steward = make_role(show, "场务", 1)
    talk = make_talk(team, starts_in=timedelta(days=4))
    shifts.sign_up(steward, member, now=now)
    shifts.sign_up(shifts.roles_by_event([talk.id])[talk.id][0], member, now=now)
    db.session.commit()

    with pytest.raises(ShiftsOverlapAfterMove):
        events.edit_event(show, at(show, starts_at=talk.starts_at, ends_at=talk.ends_at), actor=None, now=now)


def test_the_audit_trail_records_an_edit_before_and_after(app, now):
    person = organizer()
    event = make_event(title="管仲与齐国")

    events.edit_event(event, at(event, title="稷下学宫", speaker="孙教授"), actor=person, now=now)
    db.session.commit()

    [entry] = entries("event.edit")
    assert (entry.actor_id, entry.subject_type, entry.subject_id, entry.program_id) == (
        person.id, "events", event.id, event.program_id)
    assert entry.before == {"speaker": "", "title": "管仲与齐国"}
    assert entry.after == {"speaker": "孙教授", "title": "稷下学宫"}
    assert entries("event.capacity") == []


# --- the venue --------------------------------------------------------------------------


def test_moving_onto_another_event_in_the_same_room_is_refused_naming_it(app, now):
    hall = make_venue("多功能厅")
    rehearsal = placed(hall, starts_in=timedelta(days=2), title="吕剧团排练", program=make_troupe("吕剧团"))
    lecture = placed(hall, starts_in=timedelta(days=5))

    with pytest.raises(VenueTaken) as refused:
        events.edit_event(lecture, at(lecture, starts_at=rehearsal.starts_at + timedelta(hours=1),
                                      ends_at=rehearsal.ends_at + timedelta(hours=1)), actor=organizer(), now=now)
    db.session.rollback()

    with force_locale("zh"):
        message = str(refused.value)
    assert message.startswith("多功能厅 在这个时间已被占用：吕剧团排练（吕剧团），")
    assert "请换一个时间或地点。" in message
    assert db.session.get(Event, lecture.id).starts_at == lecture.starts_at


def test_touching_ends_and_other_rooms_and_cancelled_events_are_no_clash(app, now):
    hall, library = make_venue("多功能厅"), make_venue("城市书房")
    first = placed(hall, starts_in=timedelta(days=2))
    elsewhere = placed(library, starts_in=timedelta(days=3))
    cancelled = placed(hall, starts_in=timedelta(days=4))
    events.cancel_event(cancelled, "停电", actor=None, now=now)
    lecture = placed(hall, starts_in=timedelta(days=6))

    for start in (first.ends_at, elsewhere.starts_at, cancelled.starts_at):
        events.edit_event(lecture, at(lecture, starts_at=start, ends_at=start + timedelta(hours=2)),
                          actor=None, now=now)

    assert lecture.starts_at == cancelled.starts_at


def test_an_administrator_may_let_two_events_share_the_room_and_it_is_recorded(app, now):
    hall = make_venue("多功能厅")
    other = placed(hall, starts_in=timedelta(days=2), title="书画笔会")
    lecture = placed(hall, starts_in=timedelta(days=5))
    boss = admin()

    with pytest.raises(RoomSharingNotAllowed):
        events.edit_event(lecture, at(lecture, starts_at=other.starts_at, ends_at=other.ends_at, share_room=True),
                          actor=organizer(), now=now)
    db.session.rollback()
    edit = events.edit_event(lecture, at(lecture, starts_at=other.starts_at, ends_at=other.ends_at, share_room=True),
                             actor=boss, now=now)
    db.session.commit()

    assert lecture.shares_room and [e.id for e in edit.shared_with] == [other.id]
    [entry] = entries("event.share_room")
    assert entry.actor_id == boss.id and entry.after["shares_with"] == [{"id": other.id, "title": "书画笔会"}]


def test_sharing_is_asked_again_when_a_shared_event_moves(app, now):
    hall = make_venue("多功能厅")
    other = placed(hall, starts_in=timedelta(days=2))
    lecture = placed(hall, starts_in=timedelta(days=5))
    events.edit_event(lecture, at(lecture, starts_at=other.starts_at, ends_at=other.ends_at, share_room=True),
                      actor=admin(), now=now)
    moved = lecture.starts_at + timedelta(days=3)

    events.edit_event(lecture, at(lecture, starts_at=moved, ends_at=moved + timedelta(hours=2)), actor=None, now=now)
    assert not lecture.shares_room
    with pytest.raises(VenueTaken):
        events.edit_event(lecture, at(lecture, starts_at=other.starts_at, ends_at=other.ends_at), actor=None, now=now)


def test_a_new_event_in_a_taken_room_is_refused(app, now):
    hall = make_venue("多功能厅")
    taken = placed(hall, starts_in=timedelta(days=2), title="书画笔会")

    with pytest.raises(VenueTaken):
        troupes.add_performance(make_troupe(), troupes.PerformancePlan(
            title="吕剧专场", summary="", starts_at=taken.starts_at + timedelta(minutes=30),
            ends_at=taken.ends_at + timedelta(hours=1), capacity=80, booking_cutoff_minutes=60, venue=hall,
        ), actor=None, now=now)
    db.session.rollback()

    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one() == 1


def test_adding_an_event_records_it(app, now):
    person = organizer()
    show = troupes.add_performance(make_troupe(), troupes.PerformancePlan(
        title="吕剧专场", summary="", starts_at=now + timedelta(days=3), ends_at=now + timedelta(days=3, hours=2),
        capacity=80, booking_cutoff_minutes=60), actor=person, now=now)
    db.session.commit()

    [entry] = entries("event.create")
    assert (entry.actor_id, entry.subject_id, entry.label) == (person.id, show.id, "吕剧专场")
    assert entry.after["capacity"] == 80


# --- cancelling --------------------------------------------------------------------------


def test_cancelling_cancels_every_booking_and_promotes_nobody(app, now):
    event = make_event(capacity=1)
    held = book(event, "甲", now)
    waiting = book(event, "乙", now, waitlist=True)
    team = make_team()
    volunteer = make_member(team)
    host = make_role(event, "主持", 1)
    shift = shifts.sign_up(host, volunteer, now=now)
    db.session.commit()

    cancellation = events.cancel_event(event, "讲师临时有事", actor=organizer(), now=now)
    db.session.commit()

    assert [e.id for e in cancellation.events] == [event.id]
    assert {b.id for b in cancellation.bookings} == {held.id, waiting.id, shift.id}
    statuses = db.session.execute(sa.select(Booking.status).where(Booking.event_id == event.id)).scalars().all()
    assert set(statuses) == {BookingStatus.CANCELLED}
    assert db.session.execute(sa.select(sa.func.sum(Quota.taken)).where(
        Quota.id.in_([event.seat_quota_id, host.quota_id]))).scalar_one() == 0
    assert (event.status, event.cancel_reason, event.sequence) == (EventStatus.CANCELLED, "讲师临时有事", 1)
    [entry] = entries("event.cancel")
    assert entry.after == {"status": "cancelled", "cancel_reason": "讲师临时有事", "bookings_cancelled": 3}


def test_people_who_had_booked_still_see_the_cancellation(app, now):
    event = make_event()
    held = book(event, "甲", now)
    person = held.user

    events.cancel_event(event, "讲师临时有事", actor=None, now=now)
    db.session.commit()

    [mine] = booking_service.bookings_of(person, now=now)
    assert mine.id == held.id and mine.event.is_cancelled
    [entry] = feeds.booked_entries(person, feeds.Window.at(now))
    assert entry.event.id == event.id
    assert [b.id for b in booking_service.held_at_cancellation(event)] == [held.id]


def test_a_booking_given_up_before_the_cancellation_stays_out_of_it(app, now):
    event = make_event()
    held = book(event, "甲", now)
    booking_service.cancel_booking(held, now=now)
    db.session.commit()

    cancellation = events.cancel_event(event, "讲师临时有事", actor=None, now=now + timedelta(minutes=5))

    assert cancellation.bookings == []
    assert booking_service.bookings_of(held.user, now=now) == []


def test_cancelling_needs_a_reason_and_twice_is_harmless(app, now):
    event = make_event()
    with pytest.raises(CancelReasonRequired):
        events.cancel_event(event, "  ", actor=None, now=now)
    db.session.rollback()

    events.cancel_event(event, "停电", actor=None, now=now)
    again = events.cancel_event(event, "又停电", actor=None, now=now)

    assert again.events == [] and event.cancel_reason == "停电" and event.sequence == 1


def test_a_cancelled_event_frees_its_room(app, now):
    hall = make_venue("多功能厅")
    first = placed(hall, starts_in=timedelta(days=2))
    events.cancel_event(first, "停电", actor=None, now=now)

    show = troupes.add_performance(make_program(), troupes.PerformancePlan(
        title="书画笔会", summary="", starts_at=first.starts_at, ends_at=first.ends_at, capacity=20,
        booking_cutoff_minutes=0, venue=hall), actor=None, now=now)

    assert show.venue_id == hall.id and not show.shares_room
