"""The building leader's pages through the client: residents, booking on their behalf,
neighbours without a phone, the weekly sheet — and nothing outside their own buildings,
whatever id is typed."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import Booking, BookingStatus, OfflineResident, Role, User, db
from services import booking, households
from services.dates import to_local
from tests.blueprints.conftest import alerts, field_errors, page, visible_text
from tests.conftest import (
    fresh_client, login, make_building, make_child, make_event, make_resident, make_user, make_youth_program,
)


@pytest.fixture
def leader(app):
    return make_user("刘建华")


@pytest.fixture
def building(leader):
    return make_building("3号楼", leaders=[leader])


@pytest.fixture
def as_leader(client, leader, building):
    login(client, leader)
    return client


def add_neighbour(client, building, **data):
    form = {"name": "王桂英", "building_id": building.id, "unit": "1单元", "room": "102", "consent": "y"}
    form.update(data)
    return client.post("/buildings/residents/new", data=form)


def test_only_leaders_grid_workers_and_admins_use_the_pages(app, client, building):
    assert client.get("/buildings/").status_code == 302  # to the login page
    login(client, make_user("张桂芳"))
    assert client.get("/buildings/").status_code == 403
    assert client.get("/buildings/sheet").status_code == 403


def test_the_leader_sees_residents_with_their_bookings_and_masked_phones(app, as_leader, building, now):
    resident = make_resident(building, "张桂芳", room="101", phone="13912345678")
    event = make_event(title="管仲与齐国的富国之道", starts_in=timedelta(days=2))
    booking.book_seat(event, resident, now=now)
    make_resident(make_building("9号楼"), "外楼居民")
    db.session.commit()

    text = visible_text(as_leader.get("/buildings/"))
    assert "张桂芳" in text and "139****5678" in text and "13912345678" not in text
    assert "管仲与齐国的富国之道" in text
    assert "外楼居民" not in text


def test_adding_a_neighbour_needs_consent_and_then_she_can_be_booked_for(app, as_leader, building, now):
    refused = add_neighbour(as_leader, building, consent="")
    assert refused.status_code == 400 and field_errors(refused, "consent")
    assert db.session.execute(sa.select(sa.func.count()).select_from(OfflineResident)).scalar_one() == 0

    response = add_neighbour(as_leader, building)
    assert response.status_code == 302
    person = db.session.execute(sa.select(User).where(User.display_name == "王桂英")).scalar_one()
    assert not person.has_phone
    record = db.session.get(OfflineResident, person.id)
    assert record.added_by_id is not None and record.consent_statement

    event = make_event(capacity=1, title="临淄齐国故城的城郭与街巷")
    booking.book_seat(event, make_user("先来的"), now=now)
    db.session.commit()
    resident_page = visible_text(as_leader.get(f"/buildings/residents/{person.id}"))
    assert "临淄齐国故城的城郭与街巷" in resident_page and "无手机" in resident_page

    done = as_leader.post(f"/buildings/residents/{person.id}/events/{event.id}/book", data={"waitlist": "y"},
                          follow_redirects=True)
    assert any("候补名单上排第 1 位" in message for message in alerts(done))
    held = db.session.execute(sa.select(Booking).where(Booking.user_id == person.id)).scalar_one()
    assert held.status is BookingStatus.WAITLISTED and held.booked_by_id is not None


def test_a_full_event_without_waitlist_flag_is_refused_with_the_reason(app, as_leader, building, now):
    person = make_resident(building, "张桂芳")
    event = make_event(capacity=1)
    booking.book_seat(event, make_user("先来的"), now=now)
    db.session.commit()
    response = as_leader.post(f"/buildings/residents/{person.id}/events/{event.id}/book", follow_redirects=True)
    assert any("候补" in message for message in alerts(response))
    assert db.session.execute(sa.select(Booking).where(Booking.user_id == person.id)).first() is None


def test_the_neighbour_form_refuses_a_number_that_has_an_account(app, as_leader, building):
    make_user("已注册", phone="13911112222")
    response = add_neighbour(as_leader, building, phone="139 1111 2222")
    assert response.status_code == 400 and field_errors(response, "phone")


def test_a_leader_cant_see_or_book_for_residents_outside_their_buildings(app, as_leader, leader, building, now):
    outsider = make_resident(make_building("9号楼"), "外楼居民")
    homeless = make_user("没登记住址")
    other_leader = make_user("别的楼长")
    elsewhere = make_building("1号楼", grid="99", leaders=[other_leader])
    their_neighbour = make_resident(elsewhere, "别楼邻居")
    event = make_event()
    theirs = booking.book_seat(event, their_neighbour, now=now)
    db.session.commit()

    for person in (outsider, homeless, their_neighbour):
        assert as_leader.get(f"/buildings/residents/{person.id}").status_code == 404
        assert as_leader.post(f"/buildings/residents/{person.id}/events/{event.id}/book").status_code == 404
        assert as_leader.get(f"/buildings/residents/{person.id}/edit").status_code == 404
        assert as_leader.post(f"/buildings/residents/{person.id}/phone", data={"phone": "13900001111"}).status_code == 404
    assert as_leader.post(f"/buildings/residents/{their_neighbour.id}/bookings/{theirs.id}/cancel").status_code == 404
    # an id no row can have, and a booking of someone else through one's own resident
    assert as_leader.get("/buildings/residents/99999999999").status_code == 404
    mine = make_resident(building, "本楼居民")
    assert as_leader.post(f"/buildings/residents/{mine.id}/bookings/{theirs.id}/cancel").status_code == 404
    assert as_leader.get(f"/buildings/?building={elsewhere.id}").status_code == 404
    assert as_leader.get(f"/buildings/sheet?building={elsewhere.id}").status_code == 404
    assert db.session.get(Booking, theirs.id).is_confirmed
    assert db.session.execute(
        sa.select(sa.func.count()).select_from(Booking).where(Booking.booked_by_id == leader.id)
    ).scalar_one() == 0


def test_cancelling_for_a_resident_frees_the_seat_for_the_next(app, as_leader, leader, building, now):
    person = make_resident(building, "张桂芳")
    event = make_event(capacity=1)
    seat, _ = households.book_for(leader, person, event, now=now)
    waiting = booking.book_seat(event, make_user("候补者"), now=now, waitlist=True)
    db.session.commit()

    response = as_leader.post(f"/buildings/residents/{person.id}/bookings/{seat.id}/cancel", follow_redirects=True)
    assert response.status_code == 200
    assert db.session.get(Booking, seat.id).status is BookingStatus.CANCELLED
    assert db.session.get(Booking, waiting.id).is_confirmed


def test_a_childs_class_is_booked_for_the_residents_child(app, as_leader, building, now):
    parent = make_resident(building, "冯晓梅")
    child = make_child(parent, "小明", age=8)
    other = make_child(make_user("别家"), "小军", age=8)
    event = make_event(make_youth_program(min_age=6, max_age=12), capacity=5, title="少儿诵读 第1课")

    assert "少儿诵读 第1课" in visible_text(as_leader.get(f"/buildings/residents/{parent.id}"))
    assert as_leader.post(f"/buildings/residents/{parent.id}/events/{event.id}/book",
                          data={"child_id": other.id}).status_code == 404
    as_leader.post(f"/buildings/residents/{parent.id}/events/{event.id}/book", data={"child_id": child.id})
    held = db.session.execute(sa.select(Booking).where(Booking.child_id == child.id)).scalar_one()
    assert held.is_confirmed and held.user_id == parent.id


def test_a_resident_with_an_account_sees_who_booked_for_them(app, client, leader, building, now):
    person = make_resident(building, "张桂芳")
    event = make_event(title="晏婴的智慧与担当")
    households.book_for(leader, person, event, now=now)
    db.session.commit()
    resident_client = fresh_client(app)
    login(resident_client, person)
    text = visible_text(resident_client.get("/account/bookings"))
    assert "晏婴的智慧与担当" in text and "刘建华" in text


def test_the_weekly_sheet_lists_tickets_and_waiting_places_and_prints(app, as_leader, leader, building, now):
    person = households.add_offline_resident(leader, name="王桂英", building=building, consent=True, now=now)
    seat_event = make_event(capacity=5, title="书画鉴赏", starts_in=timedelta(hours=30))
    full = make_event(capacity=1, title="京剧票友会", starts_in=timedelta(hours=30))
    booking.book_seat(full, make_user("先来的"), now=now)
    seat, _ = households.book_for(leader, person, seat_event, now=now)
    households.book_for(leader, person, full, now=now, waitlist=True)
    db.session.commit()
    week = households.week_start(to_local(seat_event.starts_at).date())

    response = as_leader.get(f"/buildings/sheet?week={week.isoformat()}")
    text = visible_text(response)
    assert response.status_code == 200
    assert "王桂英" in text and "书画鉴赏" in text and seat.display_code in text and "京剧票友会" in text
    assert 'data-print' in page(response) and "@page" not in page(response)  # the print rules live in the CSS
    assert as_leader.get("/buildings/sheet?week=not-a-day").status_code == 200
    assert as_leader.get("/buildings/sheet?week=1999-01-01").status_code == 200


def test_a_neighbour_given_a_number_later_is_told_to_register(app, as_leader, leader, building, now):
    person = households.add_offline_resident(leader, name="王桂英", building=building, consent=True, now=now)
    db.session.commit()
    make_user("已注册", phone="13911112222")
    taken = as_leader.post(f"/buildings/residents/{person.id}/phone", data={"phone": "13911112222"})
    assert taken.status_code == 400 and field_errors(taken, "phone")
    assert as_leader.post(f"/buildings/residents/{person.id}/phone", data={"phone": "13955556666"}).status_code == 302
    assert db.session.get(User, person.id).phone == "13955556666"
    assert as_leader.get(f"/buildings/residents/{person.id}/phone").status_code == 404  # has one now


def test_a_resident_is_told_in_their_messages_when_the_leader_books_or_cancels_for_them(
    app, as_leader, leader, building, now,
):
    """代约 is written to the resident's messages with the booking; a neighbour without a
    login hears it from the leader instead."""
    from models import Notification, NotificationKind

    person = make_resident(building, "张桂芳")
    offline = households.add_offline_resident(leader, name="王桂英", building=building, consent=True, now=now)
    event = make_event(title="晏婴的智慧与担当", capacity=1)
    db.session.commit()

    as_leader.post(f"/buildings/residents/{person.id}/events/{event.id}/book", data={})
    as_leader.post(f"/buildings/residents/{offline.id}/events/{event.id}/book", data={"waitlist": "y"})
    seat = db.session.execute(sa.select(Booking).where(Booking.user_id == person.id)).scalar_one()
    as_leader.post(f"/buildings/residents/{person.id}/bookings/{seat.id}/cancel")

    kinds = db.session.execute(
        sa.select(Notification.user_id, Notification.kind).order_by(Notification.id)).all()
    assert [(k.user_id, k.kind) for k in kinds if k.kind in (NotificationKind.BOOKED_FOR_YOU, NotificationKind.CANCELLED_FOR_YOU)] == [
        (person.id, NotificationKind.BOOKED_FOR_YOU), (person.id, NotificationKind.CANCELLED_FOR_YOU)]
    resident = fresh_client(app)
    login(resident, person)
    text = visible_text(resident.get("/messages/"))
    assert "刘建华 为您预约了：晏婴的智慧与担当" in text and "刘建华 为您取消了：晏婴的智慧与担当" in text
