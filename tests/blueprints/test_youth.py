"""Youth pages through the test client: children, booking for a child class by class or
for a whole term, other parents' children, and organizers' pages."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
import sqlalchemy as sa

from models import Booking, BookingStatus, Child, Event, Role, YouthRules, db
from services import events as event_service
from services import schedules, youth
from services.dates import to_local
from tests.conftest import (
    every_day, fresh_client, login, make_child, make_event, make_user, make_venue, make_youth_program,
)


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def client(app):
    """Each request in its own app context, so two people on two clients stay apart."""
    return fresh_client(app)


@pytest.fixture
def organizer(app):
    return make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))


@pytest.fixture
def songdu(organizer):
    return make_youth_program("少儿诵读班", min_age=6, max_age=12, organizers=[organizer])


@pytest.fixture
def parent(app):
    return make_user("冯晓梅")


def make_term(program, now, *, capacity=10, weeks=3):
    first = to_local(now).date() + timedelta(days=3)
    term = youth.create_term(program, schedules.WeeklyPlan(
        title="寒假学期", weekdays=frozenset({5}), start_time=time(10, 30), end_time=time(11, 30),
        first_day=first, last_day=first + timedelta(weeks=weeks, days=-1), capacity=capacity,
        booking_cutoff_minutes=60, include_days=every_day(first, first + timedelta(weeks=weeks)),
    ), actor=None, now=now)
    db.session.commit()
    return term


# --- children -----------------------------------------------------------------------


def test_a_parent_adds_edits_and_removes_a_child(client, parent, now):
    login(client, parent)
    born = to_local(now).date().replace(year=to_local(now).year - 8, day=1)
    response = client.post("/youth/children/new", data={"name": "小明", "born_on": born.isoformat(), "gender": "boy"},
                           follow_redirects=True)
    assert "孩子已添加" in text(response) and "小明" in text(response)
    child = db.session.execute(sa.select(Child)).scalar_one()
    assert child.parent_id == parent.id and child.gender.value == "boy"
    assert "8 岁" in text(client.get("/youth/children"))

    response = client.post(f"/youth/children/{child.id}/edit", data={"name": "王小明", "born_on": born.isoformat(), "gender": ""},
                           follow_redirects=True)
    assert "孩子的信息已保存" in text(response)
    db.session.refresh(child)
    assert child.name == "王小明" and child.gender is None

    assert "王小明目前没有预约的课" in text(client.get(f"/youth/children/{child.id}/remove"))
    response = client.post(f"/youth/children/{child.id}/remove", follow_redirects=True)
    assert "已将孩子从您的账号中移除" in text(response)
    assert client.get(f"/youth/children/{child.id}/edit").status_code == 404


@pytest.mark.parametrize("data, message", [
    ({"name": "", "born_on": "2018-05-01"}, "请填写孩子的姓名"),
    ({"name": "名" * 21, "born_on": "2018-05-01"}, "姓名最多 20 个字"),
    ({"name": "小明", "born_on": ""}, "请填写出生日期"),
    ({"name": "小明", "born_on": "2018-02-30"}, "不是有效的日期值"),
    ({"name": "小明", "born_on": "3018-01-01"}, "请选择 2000 年到 2100 年之间的日期"),
    ({"name": "小明", "born_on": "2001-01-01"}, "请填写最近 18 年内的出生日期"),
    ({"name": "小明", "born_on": "2018-05-01", "gender": "cat"}, "不是有效的选择"),
])
def test_a_childs_details_that_make_no_sense_are_refused_beside_the_field(client, parent, data, message):
    login(client, parent)
    response = client.post("/youth/children/new", data=data)
    assert response.status_code == 200
    assert "invalid-feedback" in text(response)
    assert message in text(response)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Child)).scalar_one() == 0


def test_a_future_date_of_birth_is_refused(client, parent, now):
    login(client, parent)
    tomorrow = to_local(now).date() + timedelta(days=1)
    response = client.post("/youth/children/new", data={"name": "小明", "born_on": tomorrow.isoformat()})
    assert "请填写最近 18 年内的出生日期" in text(response)


def test_another_parent_can_neither_see_nor_book_someone_elses_child(client, app, songdu, parent, now):
    child = make_child(parent)
    event = make_event(songdu)
    term = make_term(songdu, now)
    stranger = make_user("别的家长")
    make_child(stranger, "小红")
    login(client, stranger)
    assert client.get(f"/youth/children/{child.id}/edit").status_code == 404
    assert client.get(f"/youth/children/{child.id}/remove").status_code == 404
    assert client.post(f"/youth/children/{child.id}/remove").status_code == 404
    assert client.post(f"/youth/classes/{event.id}/book", data={"child_id": child.id}).status_code == 404
    assert client.post(f"/youth/terms/{term.id}/book", data={"child_id": child.id}).status_code == 404
    assert client.post(f"/youth/classes/{event.id}/book", data={"child_id": "x"}).status_code == 400
    assert "小明" not in text(client.get("/youth/children"))
    assert "小明" not in text(client.get(f"/youth/{songdu.slug}?child={child.id}"))
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one() == 0
    assert db.session.get(Child, child.id).removed_at is None


# --- booking ------------------------------------------------------------------------


def test_a_parent_books_a_class_for_a_child_and_cancels_it(client, songdu, parent, now):
    child = make_child(parent)
    event = make_event(songdu, capacity=1)
    login(client, parent)
    page = text(client.get(f"/youth/{songdu.slug}"))
    assert "6–12 岁" in page and "小明" in page
    response = client.post(f"/youth/classes/{event.id}/book", data={"child_id": child.id}, follow_redirects=True)
    assert "预约成功！预约号" in text(response)
    booking = db.session.execute(sa.select(Booking)).scalar_one()
    assert booking.child_id == child.id and booking.user_id == parent.id and booking.places == 1

    mine = text(client.get("/account/bookings"))
    assert "为小明预约" in mine and f"/youth/classes/{event.id}" in mine
    response = client.post(f"/account/bookings/{booking.id}/cancel", follow_redirects=True)
    assert "已取消预约" in text(response)
    db.session.refresh(booking)
    assert booking.status is BookingStatus.CANCELLED


def test_a_child_too_young_on_the_class_day_is_refused_with_the_reason(client, songdu, parent, now):
    event = make_event(songdu, starts_in=timedelta(days=20))
    day = to_local(event.starts_at).date()
    child = make_child(parent, "小雨", born_on=date(day.year - 6, day.month, day.day) + timedelta(days=1) if not (day.month == 2 and day.day == 29) else date(day.year - 6, 3, 2))
    login(client, parent)
    response = client.post(f"/youth/classes/{event.id}/book", data={"child_id": child.id}, follow_redirects=True)
    assert "少儿诵读班面向 6–12 岁的孩子" in text(response) and "孩子才 5 岁" in text(response)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one() == 0
    # The program page says so beside the class instead of offering a button.
    page = text(client.get(f"/youth/{songdu.slug}?child={child.id}"))
    assert "孩子才 5 岁" in page


def test_a_full_class_offers_the_waiting_list(client, app, songdu, parent, now):
    event = make_event(songdu, capacity=1)
    other = make_user("周国庆")
    youth.book_class(event, make_child(other, "周子涵"), other, now=now)
    db.session.commit()
    child = make_child(parent)
    login(client, parent)
    assert "加入候补" in text(client.get(f"/youth/classes/{event.id}"))
    response = client.post(f"/youth/classes/{event.id}/book", data={"child_id": child.id}, follow_redirects=True)
    assert "名额已满" in text(response)
    response = client.post(f"/youth/classes/{event.id}/book", data={"child_id": child.id, "waitlist": "y"}, follow_redirects=True)
    assert "孩子排在候补第 1 位" in text(response)


def test_a_family_program_books_the_parent_along(client, parent, now):
    family = make_youth_program("家庭教育读书会", parent_attends=True)
    event = make_event(family, capacity=4)
    child = make_child(parent)
    login(client, parent)
    assert "每份预约占两个名额" in text(client.get(f"/youth/{family.slug}"))
    client.post(f"/youth/classes/{event.id}/book", data={"child_id": child.id})
    booking = db.session.execute(sa.select(Booking)).scalar_one()
    assert booking.places == 2 and event.seats.taken == 2
    assert "家长陪同（2 个名额）" in text(client.get("/account/bookings"))


def test_a_whole_term_booking_takes_every_class_or_says_which_class_stopped_it(client, app, songdu, parent, now):
    term = make_term(songdu, now, capacity=1)
    child = make_child(parent)
    other = make_user("周国庆")
    youth.book_class(term.events[1], make_child(other, "周子涵"), other, now=now)
    db.session.commit()
    login(client, parent)
    page = text(client.get(f"/youth/{songdu.slug}"))
    assert "为小明预约整学期（共 3 节课）" in page
    response = client.post(f"/youth/terms/{term.id}/book", data={"child_id": child.id}, follow_redirects=True)
    assert "已满，整学期预约未成功" in text(response)
    assert to_local(term.events[1].starts_at).strftime("%-m月%-d日") in text(response)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking).where(Booking.child_id == child.id)).scalar_one() == 0

    event_service.cancel_event(term.events[1], "老师外出", actor=None, now=now)
    db.session.commit()
    response = client.post(f"/youth/terms/{term.id}/book", data={"child_id": child.id}, follow_redirects=True)
    assert "孩子已预约寒假学期的全部 2 节课" in text(response)
    assert "小明已预约本学期剩余的全部课程" in text(client.get(f"/youth/{songdu.slug}"))


def test_the_program_page_guides_visitors_and_parents_without_children(client, songdu, parent, now):
    make_term(songdu, now)
    assert "登录后预约" in text(client.get(f"/youth/{songdu.slug}"))
    login(client, parent)
    page = text(client.get(f"/youth/{songdu.slug}"))
    assert "请先添加孩子" in page and f"/youth/children/new?next=/youth/{songdu.slug}" in page


# --- organizers ---------------------------------------------------------------------


@pytest.mark.parametrize("families", [1, 6])
def test_the_class_list_shows_names_ages_and_phones_in_constant_queries(client, songdu, organizer, now, count_queries, families):
    event = make_event(songdu, capacity=10)
    day = to_local(event.starts_at).date()
    for i in range(families):
        parent = make_user(f"家长{i}")
        born = date(day.year - 7, day.month, 1) if day.day > 1 else date(day.year - 8, day.month, 2)
        youth.book_class(event, make_child(parent, f"孩子{i}", born_on=born), parent, now=now)
    db.session.commit()
    login(client, organizer)
    url = f"/youth/classes/{event.id}/list"
    with count_queries() as statements:
        response = client.get(url)
    page = text(response)
    assert f"孩子{families - 1}" in page and "13900" in page and ">7<" in page
    # who is logged in with their roles (one query), the class, its organizers, the bookings
    # with children and parents, the parents' roles, the header's unread count: the same
    # for one family or six
    assert len(statements) == 6, statements


def test_only_the_programs_organizers_see_class_lists_and_manage(client, songdu, parent, now):
    event = make_event(songdu)
    youth.book_class(event, make_child(parent), parent, now=now)
    db.session.commit()
    other_organizer = make_user("别的组织者", roles=(Role.RESIDENT, Role.ORGANIZER))
    for who in (parent, other_organizer):
        login(client, who)
        for url in (f"/youth/classes/{event.id}/list", f"/youth/{songdu.slug}/manage", f"/youth/{songdu.slug}/rules",
                    f"/youth/{songdu.slug}/terms/new", f"/youth/classes/{event.id}/cancel",
                    f"/youth/classes/{event.id}/edit"):
            assert client.get(url).status_code == 403, url
        client.post("/auth/logout")


def test_the_organizer_sets_the_ages_and_lays_out_a_term(client, songdu, organizer, quiet_weeks):
    now = quiet_weeks
    login(client, organizer)
    response = client.post(f"/youth/{songdu.slug}/rules", data={"min_age": "12", "max_age": "6"})
    assert "最大年龄不能小于最小年龄" in text(response)
    response = client.post(f"/youth/{songdu.slug}/rules", data={"min_age": "7", "max_age": "13", "parent_attends": "y"},
                           follow_redirects=True)
    assert "已保存" in text(response)
    rules = db.session.get(YouthRules, songdu.id)
    assert (rules.min_age, rules.max_age, rules.parent_attends) == (7, 13, True)

    first = to_local(now).date() + timedelta(days=1)
    form = f"/youth/{songdu.slug}/terms/new"
    response = client.post(form, data={"title": "春季学期", "weekdays": ["5"], "start_time": "10:00", "end_time": "11:00",
                                       "first_day": first.isoformat(), "last_day": (first - timedelta(days=1)).isoformat(),
                                       "capacity": "0", "booking_cutoff_minutes": "60"})
    page = text(response)
    assert "结束日期不能早于开始日期" in page and "请输入 1 到 500 之间的数字" in page
    response = client.post(form, data={"title": "春季学期", "weekdays": ["5"], "start_time": "10:00", "end_time": "11:00",
                                       "first_day": first.isoformat(), "last_day": (first + timedelta(days=27)).isoformat(),
                                       "capacity": "15", "booking_cutoff_minutes": "60", "action": "create"},
                           follow_redirects=True)
    assert "已添加 4 节课" in text(response)
    classes = db.session.execute(sa.select(Event).order_by(Event.starts_at)).scalars().all()
    # The term's name and the number are stored; "第 n 课" / "class n" is the reader's language.
    assert [(e.title, e.class_number) for e in classes] == [("春季学期", n) for n in range(1, 5)]
    assert [e.display_title for e in classes] == [f"春季学期 · 第 {n} 课" for n in range(1, 5)]
    client.set_cookie("lang", "en")
    assert "春季学期 · class 1" in text(client.get(f"/youth/classes/{classes[0].id}"))


def test_the_youth_index_shows_each_programs_ages(client, songdu, count_queries):
    make_youth_program("国学讲堂", min_age=7, max_age=12)
    with count_queries() as statements:
        page = text(client.get("/youth/"))
    assert "少儿诵读班" in page and "国学讲堂" in page and "7–12 岁" in page
    few = len(statements)
    for i in range(5):
        make_youth_program(f"项目{i}", min_age=i, max_age=12)
    with count_queries() as statements:
        client.get("/youth/")
    assert len(statements) == few


def test_a_programs_page_loads_in_a_constant_number_of_queries(client, songdu, parent, now, count_queries):
    child = make_child(parent)
    make_child(parent, "小雨", age=4)
    make_term(songdu, now, weeks=2)
    login(client, parent)
    url = f"/youth/{songdu.slug}?child={child.id}"
    with count_queries() as statements:
        client.get(url)
    few = len(statements)
    term = make_term(songdu, now + timedelta(weeks=3), weeks=6)
    youth.book_term(term, child, parent, now=now)
    make_event(songdu)
    db.session.commit()
    with count_queries() as statements:
        page = text(client.get(url))
    assert len(statements) == few
    assert "小明已预约本学期剩余的全部课程" in page


@pytest.mark.parametrize("child_id", ["99999999999999999999", "-1", "0", "2147483648", "1e3", ""])
def test_odd_child_ids_are_refused_without_an_error(client, songdu, parent, now, child_id):
    event = make_event(songdu)
    term = make_term(songdu, now)
    login(client, parent)
    for url in (f"/youth/classes/{event.id}/book", f"/youth/terms/{term.id}/book"):
        assert client.post(url, data={"child_id": child_id}).status_code in (400, 404), url
    assert client.get(f"/youth/{songdu.slug}?child={child_id}").status_code == 200


def test_a_term_with_places_left_empty_takes_the_venues_seats(client, songdu, organizer, quiet_weeks):
    from tests.conftest import make_venue

    venue = make_venue("城市书房")
    venue.seats = 18
    db.session.commit()
    login(client, organizer)
    first = to_local(quiet_weeks).date() + timedelta(days=1)
    client.post(f"/youth/{songdu.slug}/terms/new", data={
        "title": "春季学期", "weekdays": ["5"], "start_time": "10:00", "end_time": "11:00",
        "first_day": first.isoformat(), "last_day": (first + timedelta(days=13)).isoformat(),
        "venue_id": str(venue.id), "capacity": "", "booking_cutoff_minutes": "60", "action": "create"})
    assert {e.seats.capacity for e in db.session.execute(sa.select(Event)).scalars()} == {18}


# --- changing a class, copying and cancelling a term ------------------------------------


def class_data(event, **changes) -> dict:
    start, end = to_local(event.starts_at), to_local(event.ends_at)
    data = {
        "title": event.title, "summary": event.summary, "day": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M"), "venue_id": str(event.venue_id or 0),
        "capacity": str(event.seats.capacity), "booking_cutoff_minutes": "60",
    }
    return {**data, **changes}


def test_the_organizer_moves_a_class_and_the_child_keeps_the_place(client, app, songdu, organizer, parent, now):
    event = make_term(songdu, now, capacity=2).events[0]
    child = make_child(parent)
    booking = youth.book_class(event, child, parent, now=now)
    db.session.commit()
    room = make_venue("青年夜校教室")
    login(client, organizer)
    new_day = to_local(event.starts_at).date() + timedelta(days=1)

    response = client.post(f"/youth/classes/{event.id}/edit", data=class_data(
        event, day=new_day.isoformat(), start_time="15:00", end_time="16:00", venue_id=str(room.id)),
        follow_redirects=True)

    assert "修改已保存。" in text(response) and "已预约的 1 人保留名额。" in text(response)
    saved = db.session.get(Event, event.id)
    assert (to_local(saved.starts_at).date(), saved.venue_id) == (new_day, room.id)
    assert db.session.get(Booking, booking.id).is_confirmed
    parent_client = fresh_client(app)
    login(parent_client, parent)
    assert "青年夜校教室" in text(parent_client.get(f"/youth/classes/{event.id}"))


def test_fewer_places_than_children_booked_is_refused(client, songdu, organizer, parent, now):
    event = make_term(songdu, now, capacity=3).events[0]
    for name in ("小明", "小红"):
        youth.book_class(event, make_child(parent, name), parent, now=now)
    db.session.commit()
    login(client, organizer)

    response = client.post(f"/youth/classes/{event.id}/edit", data=class_data(event, capacity="1"))

    assert "已有 2 人预约，名额不能少于 2 个。" in text(response)
    assert db.session.get(Event, event.id).seats.capacity == 3


def test_a_term_is_copied_into_a_new_term(client, songdu, organizer, quiet_weeks):
    now = quiet_weeks
    term = make_term(songdu, now, capacity=12, weeks=2)
    login(client, organizer)
    manage = text(client.get(f"/youth/{songdu.slug}/manage"))
    assert f"/youth/{songdu.slug}/terms/new?copy={term.id}" in manage

    form = text(client.get(f"/youth/{songdu.slug}/terms/new?copy={term.id}"))
    assert 'value="12"' in form and 'value="10:30"' in form and 'value="寒假学期"' in form
    first = term.last_day + timedelta(days=7)
    response = client.post(f"/youth/{songdu.slug}/terms/new", data={
        "title": "春季学期", "weekdays": ["5"], "start_time": "10:30", "end_time": "11:30",
        "first_day": first.isoformat(), "last_day": (first + timedelta(days=13)).isoformat(),
        "capacity": "12", "booking_cutoff_minutes": "60", "copy_of": str(term.id), "action": "create",
    }, follow_redirects=True)

    assert "已添加 2 节课。" in text(response)
    copied = db.session.execute(
        sa.select(Event).where(Event.starts_at > term.events[-1].starts_at).order_by(Event.starts_at)).scalars().all()
    assert [(e.title, e.class_number) for e in copied] == [("春季学期", 1), ("春季学期", 2)]
    assert "春季学期 · 第 1 课" in text(client.get(f"/youth/classes/{copied[0].id}"))


def test_the_organizer_cancels_the_rest_of_a_term_and_parents_see_why(client, app, songdu, organizer, parent, now):
    term = make_term(songdu, now)
    child = make_child(parent)
    youth.book_term(term, child, parent, now=now)
    db.session.commit()
    login(client, organizer)

    page = text(client.get(f"/youth/terms/{term.id}/cancel"))
    assert "已预约 3 个名额。这些预约将一并取消" in page
    response = client.post(f"/youth/terms/{term.id}/cancel", data={"reason": "教室装修"}, follow_redirects=True)

    assert "已取消 3 场活动及其 3 个预约。" in text(response)
    parent_client = fresh_client(app)
    login(parent_client, parent)
    mine = text(parent_client.get("/account/bookings"))
    assert mine.count("原因：教室装修") == 3
    roll = text(client.get(f"/youth/classes/{term.events[0].id}/list"))
    assert "取消时已预约的人" in roll and "为小明" in roll


def test_only_the_programs_organizers_cancel_its_terms(client, songdu, parent, now):
    term = make_term(songdu, now)
    login(client, make_user("别的组织者", roles=(Role.RESIDENT, Role.ORGANIZER)))
    assert client.post(f"/youth/terms/{term.id}/cancel", data={"reason": "捣乱"}).status_code == 403
    assert client.get("/youth/terms/999999/cancel").status_code == 404
    assert not any(e.is_cancelled for e in term.events)
