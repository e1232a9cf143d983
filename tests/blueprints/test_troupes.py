"""Troupe pages through the test client: the directory, joining, the leader's pages and
their permissions, rehearsals and performances."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from models import Booking, BookingStatus, Event, TroupeMembership, TroupeMembershipStatus, Role, Troupe, db
from services import booking as booking_service
from services import schedules, troupes
from services.dates import local_datetime, to_local
from tests.conftest import every_day, fresh_client, login, make_event, make_troupe, make_user, make_venue


@pytest.fixture
def leader(app):
    return make_user("韩秀梅")


@pytest.fixture
def lvju(leader):
    return make_troupe("吕剧团", leader=leader)


def text(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture
def client(app):
    """Each request in its own app context, so two people on two clients stay apart."""
    return fresh_client(app)


def add_rehearsals(program, now, weeks=2):
    first = to_local(now).date() + timedelta(days=1)
    schedule = troupes.add_rehearsals(program, schedules.WeeklyPlan(
        title="排练", weekdays=frozenset({1, 3}), start_time=time(9), end_time=time(11),
        first_day=first, last_day=first + timedelta(weeks=weeks, days=-1),
        include_days=every_day(first, first + timedelta(weeks=weeks)),
    ), actor=None, now=now)
    db.session.commit()
    return schedule


def add_performance(program, now, capacity=2):
    # 14:00 local five days on: the edit form's day, start and end then make sense at any hour.
    start = local_datetime(to_local(now).date() + timedelta(days=5), time(14))
    event = troupes.add_performance(program, troupes.PerformancePlan(
        title="吕剧专场", summary="经典唱段", starts_at=start, ends_at=start + timedelta(hours=2),
        capacity=capacity, booking_cutoff_minutes=60,
    ), actor=None, now=now)
    db.session.commit()
    return event


# --- the directory and a troupe's page ----------------------------------------------


def queries_for(client, url: str, count_queries) -> int:
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(statements)


def populate(count: int, now, leader=None, member=None):
    """``count`` troupes, each with a leader, a member, rehearsals and a performance."""
    for i in range(count):
        program = make_troupe(f"队伍{i}", leader=leader or make_user(f"队长{i}"), member_limit=10 if i % 2 else None)
        add_rehearsals(program, now, weeks=1)
        add_performance(program, now)
        troupes.approve(troupes.apply(program, member or make_user(f"队员{i}"), note="", now=now), by=make_user("x"), now=now)
        troupes.apply(program, make_user(f"申请人{i}"), note="想加入", now=now)
    db.session.commit()
    return program


def test_the_directory_and_my_troupes_load_in_a_constant_number_of_queries(client, now, count_queries):
    leader, member = make_user("队长"), make_user("队员")
    populate(2, now, member=member)
    login(client, member)
    small = [queries_for(client, url, count_queries) for url in ("/troupes/", "/troupes/mine")]
    populate(6, now, member=member)
    assert [queries_for(client, url, count_queries) for url in ("/troupes/", "/troupes/mine")] == small
    page = text(client.get("/troupes/"))
    assert "队伍0" in page and "队长5" in page


def test_the_leaders_page_loads_in_a_constant_number_of_queries(client, now, count_queries, leader):
    program = make_troupe("吕剧团", leader=leader)
    login(client, leader)
    url = f"/troupes/{program.slug}/manage"
    add_rehearsals(program, now, weeks=1)
    add_performance(program, now)
    troupes.apply(program, make_user("甲"), note="", now=now)
    db.session.commit()
    small = queries_for(client, url, count_queries)
    add_rehearsals(program, now + timedelta(weeks=2), weeks=2)
    for i in range(5):
        add_performance(program, now + timedelta(days=i))
        troupes.approve(troupes.apply(program, make_user(f"队员{i}"), note="", now=now), by=leader, now=now)
        troupes.apply(program, make_user(f"申请人{i}"), note="", now=now)
    db.session.commit()
    assert queries_for(client, url, count_queries) == small


def test_a_troupe_page_shows_leader_rehearsals_members_and_performances(client, lvju, now):
    add_performance(lvju, now)
    troupes.approve(troupes.apply(lvju, make_user("张桂芳"), note="", now=now), by=make_user("x"), now=now)
    db.session.commit()
    page = text(client.get("/troupes/" + lvju.slug))
    assert "韩秀梅" in page and "每周二、四 9:00–11:00" in page and "社区文化服务中心" in page
    assert "1 名队员" in page and "吕剧专场" in page
    assert "登录后申请加入" in page


def test_unknown_troupes_and_other_programs_events_are_404(client, lvju):
    assert client.get("/troupes/no-such-troupe").status_code == 404
    assert client.get(f"/troupes/events/{make_event().id}").status_code == 404
    assert client.get("/troupes/events/99999999999").status_code == 404


# --- membership ---------------------------------------------------------------------


def test_a_resident_applies_and_the_leader_approves(client, app, lvju, leader):
    resident = make_user("刘建华")
    login(client, resident)
    response = client.post(f"/troupes/{lvju.slug}/apply", data={"note": "年轻时唱过《小姑贤》"}, follow_redirects=True)
    assert "申请已提交" in text(response)
    assert "等待队长审核" in text(response)
    membership = db.session.execute(sa.select(TroupeMembership)).scalar_one()

    leader_client = fresh_client(app)
    login(leader_client, leader)
    manage = text(leader_client.get(f"/troupes/{lvju.slug}/manage"))
    assert "刘建华" in manage and "年轻时唱过《小姑贤》" in manage and resident.phone in manage
    response = leader_client.post(f"/troupes/{lvju.slug}/members/{membership.id}/approve", follow_redirects=True)
    assert "刘建华 已成为队员" in text(response)

    page = text(client.get(f"/troupes/{lvju.slug}"))
    assert "您是吕剧团的队员" in page
    response = client.post(f"/troupes/{lvju.slug}/leave", follow_redirects=True)
    assert "您已退出吕剧团" in text(response)
    db.session.refresh(membership)
    assert membership.status is TroupeMembershipStatus.LEFT


def test_an_overlong_note_is_refused_beside_the_field(client, lvju):
    login(client, make_user())
    response = client.post(f"/troupes/{lvju.slug}/apply", data={"note": "长" * 201})
    assert response.status_code == 200
    assert "最多 200 个字" in text(response) and "is-invalid" in text(response)
    assert db.session.execute(sa.select(sa.func.count()).select_from(TroupeMembership)).scalar_one() == 0


def test_a_declined_applicant_sees_the_reason(client, app, lvju, leader):
    resident = make_user("陈玉兰")
    membership = troupes.apply(lvju, resident, note="", now=troupes_now())
    db.session.commit()
    leader_client = fresh_client(app)
    login(leader_client, leader)
    response = leader_client.post(f"/troupes/{lvju.slug}/members/{membership.id}/decline", data={"reason": ""})
    assert "请填写原因" in text(response)
    response = leader_client.post(f"/troupes/{lvju.slug}/members/{membership.id}/decline",
                                  data={"reason": "本期已满员，欢迎下期再报"}, follow_redirects=True)
    assert "已婉拒 陈玉兰 的申请" in text(response)

    login(client, resident)
    page = text(client.get(f"/troupes/{lvju.slug}"))
    assert "您上次的申请未获通过" in page and "本期已满员，欢迎下期再报" in page and "申请加入" in page


def troupes_now():
    from services.dates import now_utc
    return now_utc()


def test_at_the_member_limit_an_approved_applicant_waits_and_moves_up_when_a_member_leaves(client, app, leader, now):
    program = make_troupe("葫芦丝队", leader=leader, member_limit=1)
    first, second = make_user("甲"), make_user("乙")
    a = troupes.apply(program, first, note="", now=now)
    b = troupes.apply(program, second, note="", now=now + timedelta(seconds=1))
    db.session.commit()
    leader_client = fresh_client(app)
    login(leader_client, leader)
    leader_client.post(f"/troupes/{program.slug}/members/{a.id}/approve")
    response = leader_client.post(f"/troupes/{program.slug}/members/{b.id}/approve", follow_redirects=True)
    assert "候补第 1 位" in text(response)

    login(client, second)
    assert "候补第 1 位" in text(client.get(f"/troupes/{program.slug}"))
    member_client = fresh_client(app)
    login(member_client, first)
    member_client.post(f"/troupes/{program.slug}/leave")
    assert "您是葫芦丝队的队员" in text(client.get(f"/troupes/{program.slug}"))


def test_leaving_asks_first_and_says_where_the_place_goes(client, app, leader, now):
    program = make_troupe("葫芦丝队", leader=leader, member_limit=1)
    member, waiting = make_user("甲"), make_user("乙")
    for person in (member, waiting):
        troupes.approve(troupes.apply(program, person, note="", now=now), by=leader, now=now)
    db.session.commit()
    login(client, member)

    assert f'href="/troupes/{program.slug}/leave"' in text(client.get(f"/troupes/{program.slug}"))
    question = text(client.get(f"/troupes/{program.slug}/leave"))
    assert "退出葫芦丝队？" in question and "立即给队伍候补第 1 位" in question
    assert troupes.active_membership(program.id, member.id).is_member  # asking changes nothing


# --- a leader manages their own troupe only -----------------------------------------


def leader_pages(slug: str, event_id: int, membership_id: int):
    return [
        ("get", f"/troupes/{slug}/manage"), ("get", f"/troupes/{slug}/settings"),
        ("post", f"/troupes/{slug}/settings"), ("get", f"/troupes/{slug}/rehearsals/new"),
        ("get", f"/troupes/{slug}/performances/new"), ("post", f"/troupes/{slug}/members/{membership_id}/approve"),
        ("get", f"/troupes/{slug}/members/{membership_id}/decline"), ("get", f"/troupes/events/{event_id}/cancel"),
        ("post", f"/troupes/events/{event_id}/cancel"), ("get", f"/troupes/events/{event_id}/bookings"),
        ("get", f"/troupes/events/{event_id}/edit"), ("post", f"/troupes/events/{event_id}/edit"),
    ]


def test_a_leader_gets_403_on_another_troupes_pages(client, lvju, leader, now):
    other = make_troupe("京剧票友社", leader=make_user("杜文斌"))
    event = add_performance(other, now)
    membership = troupes.apply(other, make_user(), note="", now=now)
    db.session.commit()
    login(client, leader)
    for method, url in leader_pages(other.slug, event.id, membership.id):
        assert getattr(client, method)(url).status_code == 403, url
    assert db.session.get(TroupeMembership, membership.id).is_pending
    # …and 200 on their own.
    own_event = add_performance(lvju, now)
    own = troupes.apply(lvju, make_user(), note="", now=now)
    db.session.commit()
    for method, url in leader_pages(lvju.slug, own_event.id, own.id):
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_residents_get_403_and_visitors_are_sent_to_log_in(client, lvju, now):
    event = add_performance(lvju, now)
    membership = troupes.apply(lvju, make_user(), note="", now=now)
    db.session.commit()
    for method, url in leader_pages(lvju.slug, event.id, membership.id):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/auth/login" in response.headers["Location"], url
    login(client, make_user("路人"))
    for method, url in leader_pages(lvju.slug, event.id, membership.id):
        assert getattr(client, method)(url).status_code == 403, url


def test_an_organizer_manages_every_troupe_and_only_organizers_choose_the_leader(client, app, lvju, leader):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    lvju.organizers.append(organizer)
    new_leader = make_user("新队长", phone="13712345678")
    db.session.commit()

    login(client, leader)
    assert client.post(f"/troupes/{lvju.slug}/leader", data={"phone": "13712345678"}).status_code == 403

    org = fresh_client(app)
    login(org, organizer)
    assert org.get(f"/troupes/{lvju.slug}/manage").status_code == 200
    response = org.post(f"/troupes/{lvju.slug}/leader", data={"phone": "13700000000"})
    assert "这个手机号还没有注册" in text(response)
    response = org.post(f"/troupes/{lvju.slug}/leader", data={"phone": "abc"})
    assert "请输入以 1 开头的 11 位手机号" in text(response)
    response = org.post(f"/troupes/{lvju.slug}/leader", data={"phone": "137 1234 5678"}, follow_redirects=True)
    assert "新队长 现在是吕剧团的队长" in text(response)
    assert db.session.get(Troupe, lvju.id).leader_id == new_leader.id
    assert client.get(f"/troupes/{lvju.slug}/manage").status_code == 403  # the old leader is out


def test_another_troupes_membership_is_404(client, lvju, leader, now):
    other = make_troupe("京剧票友社")
    membership = troupes.apply(other, make_user(), note="", now=now)
    db.session.commit()
    login(client, leader)
    assert client.post(f"/troupes/{lvju.slug}/members/{membership.id}/approve").status_code == 404
    assert client.get(f"/troupes/{lvju.slug}/members/99999/decline").status_code == 404


def test_the_member_limit_form_explains_what_it_refuses(client, lvju, leader, now):
    for name in "甲乙丙":
        troupes.approve(troupes.apply(lvju, make_user(name), note="", now=now), by=leader, now=now)
    db.session.commit()
    login(client, leader)
    settings = f"/troupes/{lvju.slug}/settings"
    for value, message in (("abc", "不是有效的整数"), ("0", "请输入 1 到 500 之间的数字"), ("2", "本队已有 3 名队员")):
        response = client.post(settings, data={"rehearsal_times": "周二", "rehearsal_place": "", "member_limit": value})
        assert response.status_code == 200 and message in text(response), value
    assert db.session.get(Troupe, lvju.id).member_limit is None
    response = client.post(settings, data={"rehearsal_times": "每周二上午", "rehearsal_place": "城市书房", "member_limit": "3"},
                           follow_redirects=True)
    assert "已保存" in text(response)
    troupe = db.session.get(Troupe, lvju.id)
    assert troupe.member_limit == 3 and troupe.rehearsal_place == "城市书房"


# --- rehearsals and performances ----------------------------------------------------


def test_the_leader_lays_out_rehearsals_members_see_them_and_a_cancelled_one_shows_why(client, app, lvju, leader,
                                                                                       quiet_weeks):
    now = quiet_weeks
    member, outsider = make_user("队员"), make_user("路人")
    troupes.approve(troupes.apply(lvju, member, note="", now=now), by=leader, now=now)
    db.session.commit()
    login(client, leader)
    form = f"/troupes/{lvju.slug}/rehearsals/new"
    first = to_local(now).date() + timedelta(days=1)
    bad = client.post(form, data={"title": "排练", "start_time": "09:00", "end_time": "08:00",
                                  "first_day": first.isoformat(), "last_day": "not a date"})
    page = text(bad)
    assert "请至少选择一个星期几" in page and "结束时间必须晚于开始时间" in page and "不是有效的日期值" in page
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one() == 0
    response = client.post(form, data={"title": "排练", "weekdays": ["1", "3"], "start_time": "09:00", "end_time": "11:00",
                                       "first_day": first.isoformat(), "last_day": (first + timedelta(days=13)).isoformat(),
                                       "action": "create"},
                           follow_redirects=True)
    assert "已添加 4 次排练" in text(response)
    rehearsal = troupes.upcoming_rehearsals([lvju.id], now=now)[0]
    response = client.post(f"/troupes/events/{rehearsal.id}/cancel", data={"reason": "舞台检修"}, follow_redirects=True)
    assert "已取消" in text(response)

    member_client = fresh_client(app)
    login(member_client, member)
    mine = text(member_client.get("/troupes/mine"))
    assert mine.count("排练") >= 4 and "舞台检修" in mine
    assert "近期排练" in text(member_client.get(f"/troupes/{lvju.slug}"))
    outsider_client = fresh_client(app)
    login(outsider_client, outsider)
    assert "近期排练" not in text(outsider_client.get(f"/troupes/{lvju.slug}"))


def test_residents_book_performances_like_lectures_but_not_rehearsals(client, app, lvju, leader, now):
    show = add_performance(lvju, now, capacity=1)
    rehearsal = add_rehearsals(lvju, now).events[0]
    login(client, make_user("甲"))
    response = client.post(f"/troupes/events/{show.id}/book", data={}, follow_redirects=True)
    assert "预约成功" in text(response)
    late = fresh_client(app)
    login(late, make_user("乙"))
    assert "加入候补" in text(late.get(f"/troupes/events/{show.id}"))
    response = late.post(f"/troupes/events/{show.id}/book", data={"waitlist": "y"}, follow_redirects=True)
    assert "已加入候补，第 1 位" in text(response)
    response = late.post(f"/troupes/events/{rehearsal.id}/book", data={}, follow_redirects=True)
    assert "排练只面向本队队员" in text(response)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking).where(Booking.event_id == rehearsal.id)).scalar_one() == 0

    bookings = text(client.get("/account/bookings"))
    assert f"/troupes/events/{show.id}" in bookings

    leader_client = fresh_client(app)
    login(leader_client, leader)
    who = text(leader_client.get(f"/troupes/events/{show.id}/bookings"))
    assert "甲" in who and "乙" in who


def test_a_performance_form_refuses_what_makes_no_sense(client, lvju, leader, now):
    login(client, leader)
    form = f"/troupes/{lvju.slug}/performances/new"
    yesterday = (to_local(now).date() - timedelta(days=1)).isoformat()
    response = client.post(form, data={"title": "", "day": yesterday, "start_time": "14:00", "end_time": "13:00",
                                       "capacity": "x", "booking_cutoff_minutes": "60"})
    page = text(response)
    assert "请输入题目" in page and "结束时间必须晚于开始时间" in page
    response = client.post(form, data={"title": "书画笔会", "day": yesterday, "start_time": "14:00", "end_time": "16:00",
                                       "capacity": "50", "booking_cutoff_minutes": "60"})
    assert "活动时间不能早于现在" in text(response)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one() == 0
    tomorrow = (to_local(now).date() + timedelta(days=1)).isoformat()
    response = client.post(form, data={"title": "书画笔会", "day": tomorrow, "start_time": "14:00", "end_time": "16:00",
                                       "capacity": "50", "booking_cutoff_minutes": "60"}, follow_redirects=True)
    assert "演出已添加" in text(response) and "书画笔会" in text(response)


def test_the_home_page_links_troupes_and_youth_programs(client, lvju):
    from models import ProgramKind
    from tests.conftest import make_program

    youth = make_program(ProgramKind.YOUTH, slug="shaoer-songdu", name="少儿诵读班")
    page = text(client.get("/"))
    assert 'href="/troupes/"' in page and 'href="/youth/"' in page
    assert "1 支队伍欢迎加入" in page and "1 个少儿项目" in page


@pytest.mark.parametrize("weekdays", [["9"], ["abc"], ["-1"], ["99999999999999999999"]])
def test_odd_weekdays_are_refused_beside_the_field(client, lvju, leader, now, weekdays):
    login(client, leader)
    first = to_local(now).date() + timedelta(days=1)
    response = client.post(f"/troupes/{lvju.slug}/rehearsals/new", data={
        "title": "排练", "weekdays": weekdays, "start_time": "09:00", "end_time": "11:00",
        "first_day": first.isoformat(), "last_day": (first + timedelta(days=13)).isoformat(), "action": "create",
    })
    assert response.status_code == 200 and "invalid-feedback" in text(response)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one() == 0


def test_the_pages_forms_carry_their_csrf_tokens(client, app, lvju, leader, now):
    import re

    app.config["WTF_CSRF_ENABLED"] = True
    resident = make_user("刘建华")
    page = text(client.get("/auth/login"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    client.post("/auth/login", data={"phone": resident.phone, "password": "correct horse battery", "csrf_token": token})

    assert client.post(f"/troupes/{lvju.slug}/apply", data={"note": "无令牌"}).status_code == 400
    page = text(client.get(f"/troupes/{lvju.slug}"))
    token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    response = client.post(f"/troupes/{lvju.slug}/apply", data={"note": "有令牌", "csrf_token": token})
    assert response.status_code == 302
    assert db.session.execute(sa.select(TroupeMembership.note)).scalar_one() == "有令牌"


def test_a_performance_with_seats_left_empty_takes_the_venues_seats(client, lvju, leader, now):
    from tests.conftest import make_venue

    venue = make_venue("多功能厅")
    venue.seats = 120
    db.session.commit()
    login(client, leader)
    tomorrow = (to_local(now).date() + timedelta(days=1)).isoformat()
    client.post(f"/troupes/{lvju.slug}/performances/new", data={
        "title": "吕剧专场", "day": tomorrow, "start_time": "14:00", "end_time": "16:00", "capacity": "",
        "venue_id": str(venue.id), "booking_cutoff_minutes": "60"})
    event = db.session.execute(sa.select(Event)).scalar_one()
    assert event.seats.capacity == 120
# --- changing a rehearsal or a performance --------------------------------------------


def edit_data(event, **changes) -> dict:
    """The edit form as the leader would submit it unchanged, plus ``changes``."""
    start, end = to_local(event.starts_at), to_local(event.ends_at)
    data = {
        "title": event.title, "summary": event.summary, "day": start.date().isoformat(),
        "start_time": start.strftime("%H:%M"), "end_time": end.strftime("%H:%M"), "venue_id": str(event.venue_id or 0),
        "capacity": str(event.seats.capacity),
        "booking_cutoff_minutes": str(int((event.starts_at - event.booking_closes_at).total_seconds() // 60)),
    }
    return {**data, **changes}


def test_the_leader_moves_a_performance_and_its_bookers_keep_their_seats(client, app, lvju, leader, now):
    show = add_performance(lvju, now, capacity=1)
    hall = make_venue("社区文化服务中心 多功能厅")
    booker, waiting = make_user("张桂芳"), make_user("刘建华")
    for person, waitlist in ((booker, False), (waiting, True)):
        booking_service.book_seat(show, person, now=now, waitlist=waitlist)
    db.session.commit()
    login(client, leader)
    form = text(client.get(f"/troupes/events/{show.id}/edit"))
    assert 'value="吕剧专场"' in form and 'name="capacity"' in form
    new_day = to_local(now).date() + timedelta(days=9)

    response = client.post(f"/troupes/events/{show.id}/edit", data=edit_data(
        show, day=new_day.isoformat(), start_time="14:00", end_time="16:30", venue_id=str(hall.id), capacity="2",
    ), follow_redirects=True)

    page = text(response)
    assert "修改已保存。" in page and "已有 1 人从候补转为预约成功。" in page
    assert "已预约的 2 人保留名额。请把新的时间和地点告诉他们。" in page
    saved = db.session.get(Event, show.id)
    assert (saved.venue_id, saved.starts_at, saved.sequence) == (hall.id, local_datetime(new_day, time(14)), 1)
    statuses = db.session.execute(sa.select(Booking.status).where(Booking.event_id == show.id)).scalars().all()
    assert set(statuses) == {BookingStatus.CONFIRMED}


def test_a_rehearsal_is_changed_without_seats(client, lvju, leader, now):
    rehearsal = add_rehearsals(lvju, now).events[0]
    login(client, leader)

    form = text(client.get(f"/troupes/events/{rehearsal.id}/edit"))
    response = client.post(f"/troupes/events/{rehearsal.id}/edit", data=edit_data(
        rehearsal, start_time="14:00", end_time="16:00", title="排练：《小姑贤》"), follow_redirects=True)

    assert "修改本次排练" in form and 'name="capacity"' not in form
    assert "修改已保存。" in text(response)
    saved = db.session.get(Event, rehearsal.id)
    assert (saved.title, to_local(saved.starts_at).time(), saved.seats.capacity) == ("排练：《小姑贤》", time(14), 0)


@pytest.mark.parametrize("changes, message", [
    ({"end_time": "13:00", "start_time": "14:00"}, "结束时间必须晚于开始时间。"),
    ({"capacity": "0"}, "请输入 1 到 2000 之间的数字。"),
    ({"capacity": "几个"}, "请输入整数，例如 40。"),
    ({"day": "明天"}, "不是有效的日期值。"),
    ({"title": ""}, "请输入题目。"),
], ids=["ends-before-start", "no-seats", "seats-not-a-number", "day-not-a-date", "no-title"])
def test_a_change_that_makes_no_sense_is_refused_and_nothing_changes(client, lvju, leader, now, changes, message):
    show = add_performance(lvju, now)
    login(client, leader)

    response = client.post(f"/troupes/events/{show.id}/edit", data=edit_data(show, **changes))

    assert response.status_code == 200 and message in text(response)
    assert db.session.get(Event, show.id).sequence == 0


def test_fewer_seats_than_are_booked_is_refused_beside_the_seats(client, lvju, leader, now):
    show = add_performance(lvju, now, capacity=3)
    for name in ("甲", "乙"):
        booking_service.book_seat(show, make_user(name), now=now)
    db.session.commit()
    login(client, leader)

    response = client.post(f"/troupes/events/{show.id}/edit", data=edit_data(show, capacity="1"))

    assert 'id="capacity-error">已有 2 人预约，名额不能少于 2 个。' in text(response)
    assert db.session.get(Event, show.id).seats.capacity == 3


def test_moving_into_a_taken_room_is_refused_and_only_an_administrator_may_share_it(client, app, lvju, leader, now):
    hall = make_venue("社区文化服务中心 多功能厅")
    other = make_troupe("老干部书画学会", slug="shuhua")
    three_days_on = local_datetime(to_local(now).date() + timedelta(days=3), time(15))  # any hour of today
    taken = troupes.add_performance(other, troupes.PerformancePlan(
        title="书画笔会", summary="", starts_at=three_days_on, ends_at=three_days_on + timedelta(hours=2),
        capacity=30, booking_cutoff_minutes=60, venue=hall), actor=None, now=now)
    show = add_performance(lvju, now)
    db.session.commit()
    start = to_local(taken.starts_at)
    onto = edit_data(show, day=start.date().isoformat(), start_time=start.strftime("%H:%M"),
                     end_time=(start + timedelta(hours=1)).strftime("%H:%M"), venue_id=str(hall.id))
    login(client, leader)

    refused = text(client.post(f"/troupes/events/{show.id}/edit", data=onto))
    sneaky = client.post(f"/troupes/events/{show.id}/edit", data={**onto, "share_room": "y"})

    assert "多功能厅 在这个时间已被占用：书画笔会（老干部书画学会）" in refused
    assert 'name="share_room"' not in refused
    assert "只有管理员" not in text(sneaky) and "已被占用" in text(sneaky)
    assert db.session.get(Event, show.id).venue_id is None

    boss = fresh_client(app)
    login(boss, make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN)))
    offered = text(boss.post(f"/troupes/events/{show.id}/edit", data=onto))
    assert 'name="share_room"' in offered and "与另一活动共用场地（仅管理员，会记录在案）" in offered
    response = boss.post(f"/troupes/events/{show.id}/edit", data={**onto, "share_room": "y"}, follow_redirects=True)

    assert "与以下活动共用场地：书画笔会。" in text(response)
    saved = db.session.get(Event, show.id)
    assert (saved.venue_id, saved.shares_room) == (hall.id, True)


def test_the_leader_cancels_the_rest_of_a_rehearsal_schedule(client, app, lvju, leader, now):
    schedule = add_rehearsals(lvju, now)
    other = make_troupe("京剧票友社", leader=make_user("杜文斌"))
    login(client, leader)
    manage = text(client.get(f"/troupes/{lvju.slug}/manage"))
    assert f"/troupes/schedules/{schedule.id}/cancel" in manage and f"/troupes/{lvju.slug}/rehearsals/new?copy={schedule.id}" in manage

    response = client.post(f"/troupes/schedules/{schedule.id}/cancel", data={"reason": "剧场装修"}, follow_redirects=True)

    assert f"已取消 {len(schedule.events)} 场活动及其 0 个预约。" in text(response)
    assert all(e.is_cancelled for e in db.session.get(type(schedule), schedule.id).events)
    stranger = fresh_client(app)
    login(stranger, other.organizers[0] if other.organizers else make_user("杜文斌2"))
    assert stranger.post(f"/troupes/schedules/{schedule.id}/cancel", data={"reason": "捣乱"}).status_code == 403
    assert client.get("/troupes/schedules/999999/cancel").status_code == 404


def test_a_rehearsal_schedule_is_copied_with_its_days_times_and_place(client, lvju, leader, quiet_weeks):
    now = quiet_weeks
    hall = make_venue("社区文化服务中心 多功能厅")
    first = to_local(now).date() + timedelta(days=1)
    schedule = troupes.add_rehearsals(lvju, schedules.WeeklyPlan(
        title="春季排练", weekdays=frozenset({0, 3}), start_time=time(9), end_time=time(11),
        first_day=first, last_day=first + timedelta(days=13), venue=hall), actor=None, now=now)
    db.session.commit()
    login(client, leader)

    form = text(client.get(f"/troupes/{lvju.slug}/rehearsals/new?copy={schedule.id}"))

    assert 'value="春季排练"' in form and 'value="09:00"' in form and 'value="11:00"' in form
    assert f'<option selected value="{hall.id}">' in form
    assert form.count('checked') >= 2 and f'value="{schedule.id}"' in form
