"""A building leader's work: residents, neighbours without a phone, booking on their
behalf by the usual rules, the weekly sheet, and merging a record into an account."""
from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
import sqlalchemy as sa

from models import (
    Attendance, AttendanceStatus, Booking, BookingStatus, Child, OfflineResident, ProgramKind, Redemption, Residence,
    Role, User, db,
)
from models.user import NO_PHONE_PREFIX
from services import accounts, attendance, booking, households, points
from services.dates import LOCAL_TZ, to_local
from services.errors import (
    BookingPaused, ChildRequired, ChildTooYoung, ConsentRequired, EventFull, MergeIntoSelf, NotBookable,
    NotInYourCare, NotOffline, PhoneHasAccount,
)
from tests.conftest import (
    make_building, make_child, make_event, make_program, make_resident, make_troupe, make_user, make_youth_program,
)


@pytest.fixture
def leader(app):
    return make_user("刘建华")


@pytest.fixture
def building(leader):
    return make_building("3号楼", leaders=[leader])


def neighbour(leader, building, now, name="王桂英", **kwargs):
    user = households.add_offline_resident(leader, name=name, building=building, consent=True, now=now, **kwargs)
    db.session.commit()
    return user


def test_a_neighbour_without_a_phone_is_a_resident_nobody_can_log_in_as(app, leader, building, now):
    person = neighbour(leader, building, now, unit="1单元", room="102", note="耳背，请大声说")

    assert not person.has_phone and person.phone.startswith(NO_PHONE_PREFIX) and len(person.phone) == 11
    assert person.masked_phone == ""
    assert not accounts.is_claimed(person) and person.roles == {Role.RESIDENT}
    record = db.session.get(OfflineResident, person.id)
    assert record.added_by_id == leader.id and record.consent_at == now
    assert "agrees" in record.consent_statement or "同意" in record.consent_statement
    home = db.session.get(Residence, person.id)
    assert (home.building_id, home.unit, home.room) == (building.id, "1单元", "102")
    # Nobody can log in with the placeholder, whatever they type.
    assert accounts.authenticate(person.phone, "anything", now=now) is None


def test_consent_is_required_and_only_for_the_leaders_own_buildings(app, leader, building, now):
    with pytest.raises(ConsentRequired):
        households.add_offline_resident(leader, name="王桂英", building=building, consent=False, now=now)
    other = make_building("9号楼")
    with pytest.raises(NotInYourCare):
        households.add_offline_resident(leader, name="王桂英", building=other, consent=True, now=now)
    db.session.rollback()
    make_user("李四", phone="13912345678")
    with pytest.raises(PhoneHasAccount):
        households.add_offline_resident(leader, name="王桂英", building=building, phone="13912345678",
                                        consent=True, now=now)
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(OfflineResident)).scalar_one() == 0


def test_a_neighbour_given_a_number_claims_the_record_by_registering(app, leader, building, now):
    person = neighbour(leader, building, now)
    event = make_event(capacity=5)
    households.book_for(leader, person, event, now=now)
    households.give_phone(leader, person, "13955556666", now=now)
    db.session.commit()

    claimed = accounts.register_user(phone="13955556666", display_name="王桂英", password="a long password", now=now)
    db.session.commit()
    assert claimed.id == person.id
    assert [b.event_id for b in booking.bookings_of(claimed, now=now)] == [event.id]


def test_booking_on_behalf_follows_the_usual_rules_and_records_who_booked(app, leader, building, now):
    person = neighbour(leader, building, now)
    full = make_event(capacity=1)
    booking.book_seat(full, make_user("张桂芳"), now=now)
    db.session.commit()

    with pytest.raises(EventFull):
        households.book_for(leader, person, full, now=now)
    db.session.rollback()
    waiting, new = households.book_for(leader, person, full, now=now, waitlist=True)
    db.session.commit()
    assert new and waiting.is_waitlisted and waiting.booked_by_id == leader.id and waiting.user_id == person.id
    again, new = households.book_for(leader, person, full, now=now, waitlist=True)
    assert again.id == waiting.id and not new


def test_booking_on_behalf_honours_the_residents_no_show_pause(app, leader, building, now, time_machine):
    person = neighbour(leader, building, now)
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program = make_program(organizers=[organizer])
    for days_ago in (20, 15, 10):
        past = make_event(program, starts_in=timedelta(days=7))
        households.book_for(leader, person, past, now=now)
        db.session.commit()
        time_machine.move_to(past.ends_at + timedelta(minutes=1), tick=False)
        # attendance was taken (someone else came), she didn't
        walk_in = make_user("路人")
        attendance.add_walk_in(past, name=walk_in.display_name, phone=walk_in.phone, actor=organizer,
                               now=past.starts_at)
        db.session.commit()
        now = past.ends_at + timedelta(minutes=1)
    coming = make_event(program, now=now)

    with pytest.raises(BookingPaused):
        households.book_for(leader, person, coming, now=now)


def test_a_childs_class_needs_the_residents_child_of_the_right_age(app, leader, building, now):
    parent = make_resident(building, "冯晓梅")
    child = make_child(parent, "小明", age=8)
    young = make_child(parent, "小雨", age=3)
    stranger_child = make_child(make_user("别人"), "小军", age=8)
    program = make_youth_program(min_age=6, max_age=12)
    event = make_event(program, capacity=5)

    with pytest.raises(ChildRequired):
        households.book_for(leader, parent, event, now=now)
    with pytest.raises(ChildRequired):
        households.book_for(leader, parent, event, now=now, child=stranger_child)
    with pytest.raises(ChildTooYoung):
        households.book_for(leader, parent, event, now=now, child=young)
    db.session.rollback()
    place, _ = households.book_for(leader, parent, event, now=now, child=child)
    db.session.commit()
    assert (place.child_id, place.user_id, place.booked_by_id) == (child.id, parent.id, leader.id)


def test_rehearsals_and_talks_have_no_seats_to_book_for_anyone(app, leader, building, now):
    person = neighbour(leader, building, now)
    talk = make_event(make_program(ProgramKind.LECTURE_TEAM, slug="pugongying"), capacity=0)
    with pytest.raises(NotBookable):
        households.book_for(leader, person, talk, now=now)


def test_a_leader_cant_book_or_cancel_for_anyone_outside_their_buildings(app, leader, building, now):
    other_building = make_building("9号楼")
    outsider = make_resident(other_building, "外楼居民")
    homeless = make_user("没登记住址")
    event = make_event()

    for person in (outsider, homeless):
        with pytest.raises(NotInYourCare):
            households.book_for(leader, person, event, now=now)
        db.session.rollback()
        assert households.resident_in_care(leader, person.id) is None
    theirs = booking.book_seat(event, outsider, now=now)
    db.session.commit()
    with pytest.raises(NotInYourCare):
        households.cancel_for(leader, outsider, theirs, now=now)
    assert households.resident_in_care(leader, 10**12) is None
    assert db.session.get(Booking, theirs.id).is_confirmed


def test_cancelling_on_behalf_gives_the_seat_to_the_next_in_line(app, leader, building, now):
    person = neighbour(leader, building, now)
    event = make_event(capacity=1)
    seat, _ = households.book_for(leader, person, event, now=now)
    waiting = booking.book_seat(event, make_user("候补者"), now=now, waitlist=True)
    db.session.commit()

    promoted = households.cancel_for(leader, person, seat, now=now)
    db.session.commit()
    assert [b.id for b in promoted] == [waiting.id]


def test_the_resident_is_told_only_if_they_can_log_in(app, leader, building, now):
    told = []
    households.register_listener(lambda b, by, what: told.append((b.user_id, by.id, what)))
    person = neighbour(leader, building, now)
    member = make_resident(building, "张桂芳")
    event = make_event()
    for resident in (person, member):
        seat, _ = households.book_for(leader, resident, event, now=now)
        db.session.commit()
        households.tell_resident(seat, by=leader, what="booked")
    assert told == [(member.id, leader.id, "booked")]
    households._listeners.clear()


def test_the_residents_list_shows_bookings_and_who_has_been_away_for_three_months(
    app, leader, building, now, count_queries, time_machine,
):
    time_machine.move_to(datetime(2026, 5, 13, 10, 0, tzinfo=LOCAL_TZ), tick=False)
    now = datetime(2026, 5, 13, 10, 0, tzinfo=LOCAL_TZ)
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program = make_program(organizers=[organizer])
    active, away, new = (make_resident(building, name, room=room) for name, room in
                         (("甲", "101"), ("乙", "102"), ("丙", "103")))
    neighbour(leader, building, now, name="丁", room="104")
    long_ago = make_event(program, starts_in=timedelta(days=-120), now=now)
    lately = make_event(program, starts_in=timedelta(days=-20), now=now)
    for event, person in ((long_ago, away), (lately, active)):
        seat = Booking(quota_id=event.seat_quota_id, event_id=event.id, user_id=person.id,
                       status=BookingStatus.CONFIRMED, created_at=now, confirmed_at=now)
        db.session.add(seat)
        db.session.flush()
        db.session.add(Attendance(event_id=event.id, booking_id=seat.id, user_id=person.id,
                                  status=AttendanceStatus.PRESENT, method=attendance.CheckInMethod.ORGANIZER))
    next_week = make_event(program, starts_in=timedelta(days=8), now=now)
    far = make_event(program, starts_in=timedelta(days=30), now=now)
    booking.book_seat(next_week, new, now=now)
    booking.book_seat(far, new, now=now)
    db.session.commit()
    db.session.expire_all()

    with count_queries() as queries:
        lines = households.residents_of([building.id], now=now)
        names = [(line.user.display_name, line.is_inactive, [b.event_id for b in line.bookings], line.is_offline)
                 for line in lines]
    assert names == [
        ("甲", False, [], False), ("乙", True, [], False), ("丙", False, [next_week.id], False), ("丁", True, [], True),
    ]
    assert len(queries) <= 5


def test_the_weekly_sheet_holds_the_weeks_bookings_with_tickets_and_waiting_places(
    app, leader, building, now, count_queries, time_machine,
):
    time_machine.move_to(datetime(2026, 5, 11, 9, 0, tzinfo=LOCAL_TZ), tick=False)  # a Monday
    now = datetime(2026, 5, 11, 9, 0, tzinfo=LOCAL_TZ)
    a = neighbour(leader, building, now, name="王桂英", room="201")
    b = make_resident(building, "张桂芳", room="101")
    make_resident(building, "没预约", room="301")
    wed = make_event(capacity=1, starts_in=timedelta(days=2), now=now)
    sun = make_event(capacity=5, starts_in=timedelta(days=6, hours=10), now=now)
    next_mon = make_event(capacity=5, starts_in=timedelta(days=7, hours=1), now=now)
    households.book_for(leader, b, wed, now=now)
    households.book_for(leader, a, wed, now=now, waitlist=True)
    households.book_for(leader, a, sun, now=now)
    households.book_for(leader, a, next_mon, now=now)
    db.session.commit()
    db.session.expire_all()

    with count_queries() as queries:
        sheet = households.weekly_sheet([building.id], date(2026, 5, 11))
    assert [(p.user.display_name, [x.event_id for x in p.bookings]) for p in sheet.parts] == [
        ("张桂芳", [wed.id]), ("王桂英", [wed.id, sun.id]),
    ]
    waiting = sheet.parts[1].bookings[0]
    assert sheet.positions == {waiting.id: 1}
    assert sheet.without_bookings == 1 and sheet.last_day == date(2026, 5, 17)
    assert len(queries) <= 4


def test_merging_a_record_moves_its_bookings_children_points_and_home(app, leader, building, now):
    admin = make_user("王建国", roles=(Role.RESIDENT, Role.ORGANIZER, Role.ADMIN))
    record = neighbour(leader, building, now)
    account = make_user("王桂英", phone="13911112222")
    both = make_event(capacity=1)
    only_record = make_event(capacity=5)
    waiting = make_user("候补者")
    child = Child(parent_id=record.id, name="小宝", born_on=date(2018, 3, 1))
    db.session.add(child)
    db.session.commit()
    duplicate, _ = households.book_for(leader, record, both, now=now)
    booking.book_seat(both, account, now=now, waitlist=True)
    booking.book_seat(both, waiting, now=now, waitlist=True)
    kept, _ = households.book_for(leader, record, only_record, now=now)
    points.adjust(record, minutes=90, points=30, reason="帮忙包饺子", organizer=admin, now=now)
    db.session.commit()

    result = households.merge_offline_into(record, account, actor=admin, now=now)
    db.session.commit()

    assert (result.bookings, result.released, result.children, result.points, result.minutes) == (1, 1, 1, 30, 90)
    assert db.session.get(Booking, kept.id).user_id == account.id
    assert db.session.get(Booking, duplicate.id).status is BookingStatus.CANCELLED
    # the record's seat went to the first in line: the account itself
    assert booking.bookings_by_event(account, [both.id])[both.id].is_confirmed
    assert db.session.get(Child, child.id).parent_id == account.id
    assert points.totals_of(account) == points.Totals(90, 30) and points.totals_of(record) == points.Totals(0, 0)
    assert db.session.get(Residence, account.id).building_id == building.id
    assert db.session.get(Residence, record.id) is None
    assert not db.session.get(User, record.id).is_active_account
    assert db.session.get(OfflineResident, record.id).merged_into_id == account.id

    with pytest.raises(NotOffline):
        households.merge_offline_into(record, account, actor=admin, now=now)
    db.session.rollback()
    with pytest.raises(MergeIntoSelf):
        households.merge_offline_into(account, account, actor=admin, now=now)
    with pytest.raises(NotOffline):
        households.merge_offline_into(account, make_user("别人"), actor=admin, now=now)


def test_a_record_its_person_took_over_by_registering_leaves_the_merge_list(app, leader, building, now):
    admin = make_user("王建国", roles=(Role.RESIDENT, Role.ORGANIZER, Role.ADMIN))
    person, other = neighbour(leader, building, now), neighbour(leader, building, now, name="李长顺")
    households.give_phone(leader, person, "13955556666", now=now)
    db.session.commit()
    accounts.register_user(phone="13955556666", display_name="王桂英", password="a long password", now=now)
    db.session.commit()

    assert [r.user_id for r in households.offline_residents()] == [other.id]
    with pytest.raises(NotOffline):
        households.merge_offline_into(person, make_user("别人"), actor=admin, now=now)
