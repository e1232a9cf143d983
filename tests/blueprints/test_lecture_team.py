"""The lecture team's pages through the test client: who sees what, the forms, the flows."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa

from models import (
    Booking, BookingStatus, EntryKind, Event, Membership, MembershipStatus, OutcomeStatus, Role, ServiceEntry,
    ShiftRole, db,
)
from services import booking as booking_service
from services import points, shifts
from services.dates import local_datetime, now_utc, to_local
from tests.conftest import (
    fresh_client, login, make_event, make_member, make_program, make_role, make_talk, make_team, make_user,
    make_venue,
)


@pytest.fixture
def organizer(app):
    return make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))


@pytest.fixture
def team(organizer):
    return make_team(organizers=[organizer])


def role_of(event, name=None) -> ShiftRole:
    roles = shifts.roles_by_event([event.id])[event.id]
    return next(r for r in roles if name is None or r.name == name)


def text(response) -> str:
    return response.get_data(as_text=True)


def active_bookings(role):
    return db.session.execute(
        sa.select(Booking).where(Booking.quota_id == role.quota_id, Booking.status != BookingStatus.CANCELLED)
    ).scalars().all()


# --- browsing ---------------------------------------------------------------------------


def test_the_team_pages_live_at_a_stable_url(client, team):
    response = client.get("/lecture-team/")
    assert response.status_code == 200
    assert "蒲公英宣讲队" in text(response)
    assert 'href="/lecture-team/"' in client.get("/lectures/").get_data(as_text=True)  # the nav link


def test_without_a_lecture_team_the_pages_are_not_found(client):
    assert client.get("/lecture-team/").status_code == 404


def test_openings_at_other_events_appear_beside_the_talks(client, team):
    make_talk(team, title="学习贯彻党的二十大精神", roles=[("主讲", 1), ("场务", 2)])
    staffed = make_event(title="管仲与齐国的富国之道", starts_in=timedelta(days=8))
    make_role(staffed, "主持", 1)
    make_event(title="没有岗位的讲座", starts_in=timedelta(days=9))
    page = text(client.get("/lecture-team/"))
    assert "学习贯彻党的二十大精神" in page and "管仲与齐国的富国之道" in page
    assert "没有岗位的讲座" not in page
    assert "剩余 2 / 2" in page  # 场务
    other = text(client.get("/lecture-team/?theme=other"))
    assert "管仲与齐国的富国之道" in other and "学习贯彻党的二十大精神" not in other
    theme = text(client.get(f"/lecture-team/?theme={team.series[0].slug}"))
    assert "管仲与齐国的富国之道" not in theme


def test_the_openings_list_loads_in_a_constant_number_of_queries(client, team, count_queries):
    member = make_member(team)
    login(client, member)

    def add_talks(count):
        for i in range(count):
            talk = make_talk(team, title=f"宣讲{i}", roles=[("主讲", 1), ("场务", 2)],
                             starts_in=timedelta(days=3 + i))
            shifts.sign_up(role_of(talk, "场务"), make_member(team, f"队员{i}"), now=now_utc())
            db.session.commit()

    add_talks(2)
    db.session.expire_all()
    with count_queries() as few:
        assert client.get("/lecture-team/").status_code == 200
    add_talks(6)
    db.session.expire_all()
    with count_queries() as many:
        assert client.get("/lecture-team/").status_code == 200
    assert len(few) == len(many)


def test_members_see_names_and_only_organizers_see_phone_numbers(client, team, organizer):
    talk = make_talk(team, roles=[("摄影", 1)])
    holder = make_member(team, "赵志刚", phone="13912345678")
    shifts.sign_up(role_of(talk), holder, now=now_utc())
    db.session.commit()

    anonymous = text(client.get(f"/lecture-team/events/{talk.id}"))
    assert "赵志刚" not in anonymous and "已有 1 人报名" in anonymous

    login(client, make_member(team, "陈玉兰"))
    as_member = text(client.get(f"/lecture-team/events/{talk.id}"))
    assert "赵志刚" in as_member and "13912345678" not in as_member
    client.post("/auth/logout")

    login(client, organizer)
    as_organizer = text(client.get(f"/lecture-team/events/{talk.id}"))
    assert "赵志刚" in as_organizer and "13912345678" in as_organizer


def test_an_event_without_roles_has_no_openings_page(client, team):
    lecture = make_event()
    assert client.get(f"/lecture-team/events/{lecture.id}").status_code == 404
    make_role(lecture, "签到", 2)
    assert client.get(f"/lecture-team/events/{lecture.id}").status_code == 200
    assert client.get("/lecture-team/events/999999").status_code == 404


# --- signing up and withdrawing ----------------------------------------------------------------


def test_a_member_signs_up_then_the_next_one_waits(client, team):
    talk = make_talk(team, roles=[("主持", 1)])
    role = role_of(talk)
    first, second = make_member(team, "陈玉兰"), make_member(team, "王德顺")
    login(client, first)
    page = text(client.get(f"/lecture-team/events/{talk.id}"))
    assert "报名“主持”" in page
    response = client.post(f"/lecture-team/roles/{role.id}/sign-up", follow_redirects=True)
    assert "您已报名“主持”岗位" in text(response)
    client.post("/auth/logout")

    login(client, second)
    assert "候补“主持”" in text(client.get(f"/lecture-team/events/{talk.id}"))
    response = client.post(f"/lecture-team/roles/{role.id}/sign-up", data={"waitlist": "y"}, follow_redirects=True)
    assert "候补第 1 位" in text(response)
    assert [b.status for b in active_bookings(role)] == [BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]


def test_signing_up_needs_a_login_and_membership(client, team):
    role = role_of(make_talk(team))
    response = client.post(f"/lecture-team/roles/{role.id}/sign-up")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    login(client, make_user("张桂芳"))
    response = client.post(f"/lecture-team/roles/{role.id}/sign-up", follow_redirects=True)
    assert "只有蒲公英宣讲队的队员才能报名这个岗位" in text(response)
    assert active_bookings(role) == []
    assert client.post("/lecture-team/roles/424242/sign-up").status_code == 404


def test_an_overlapping_sign_up_is_refused_with_the_other_shift_named(client, team):
    member = make_member(team)
    first = make_talk(team, title="第一场", starts_in=timedelta(days=3))
    second = make_talk(team, title="同时的第二场", starts_in=timedelta(days=3, minutes=30))
    shifts.sign_up(role_of(first), member, now=now_utc())
    db.session.commit()
    login(client, member)
    response = client.post(f"/lecture-team/roles/{role_of(second).id}/sign-up", follow_redirects=True)
    assert "您在这个时间已有岗位：第一场" in text(response)


def test_a_member_withdraws_before_the_cutoff_but_not_after(client, team):
    member = make_member(team)
    soon = make_talk(team, title="明天的宣讲", starts_in=timedelta(hours=20))
    later = make_talk(team, title="下周的宣讲", starts_in=timedelta(days=7))
    held_soon = shifts.sign_up(role_of(soon), member, now=now_utc() - timedelta(days=2))
    held_later = shifts.sign_up(role_of(later), member, now=now_utc())
    db.session.commit()
    login(client, member)

    me = text(client.get("/lecture-team/me"))
    assert "退出岗位已于" in me  # for tomorrow's talk
    response = client.post(f"/lecture-team/shifts/{held_soon.id}/withdraw", follow_redirects=True)
    assert "请联系组织者" in text(response)
    assert db.session.get(Booking, held_soon.id).is_confirmed

    response = client.post(f"/lecture-team/shifts/{held_later.id}/withdraw", follow_redirects=True)
    assert "您已退出“摄影”岗位" in text(response)
    db.session.expire_all()
    assert db.session.get(Booking, held_later.id).status is BookingStatus.CANCELLED


def test_nobody_withdraws_someone_elses_shift_or_a_seat_here(client, team):
    holder, other = make_member(team, "甲"), make_member(team, "乙")
    held = shifts.sign_up(role_of(make_talk(team)), holder, now=now_utc())
    seat = booking_service.book_seat(make_event(), other, now=now_utc())
    db.session.commit()
    login(client, other)
    assert client.post(f"/lecture-team/shifts/{held.id}/withdraw").status_code == 404
    assert client.post(f"/lecture-team/shifts/{seat.id}/withdraw").status_code == 404


def test_shifts_are_not_in_my_seat_bookings_nor_cancellable_there(client, team):
    member = make_member(team)
    held = shifts.sign_up(role_of(make_talk(team, title="学习贯彻党的二十大精神")), member, now=now_utc())
    db.session.commit()
    login(client, member)
    assert "学习贯彻党的二十大精神" not in text(client.get("/account/bookings"))
    assert client.post(f"/account/bookings/{held.id}/cancel").status_code == 404


def test_posts_need_a_csrf_token(app, team):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    member = make_member(team)
    role = role_of(make_talk(team))
    page = client.get("/auth/login")
    token = text(page).split('name="csrf_token" type="hidden" value="')[1].split('"')[0]
    client.post("/auth/login", data={"phone": member.phone, "password": "correct horse battery", "csrf_token": token})
    assert client.post(f"/lecture-team/roles/{role.id}/sign-up").status_code == 400
    assert active_bookings(role) == []


# --- joining ------------------------------------------------------------------------------------


def test_a_resident_applies_and_an_organizer_approves(client, team, organizer):
    resident = make_user("冯晓梅")
    login(client, resident)
    response = client.post("/lecture-team/join", data={"note": "  "})
    assert response.status_code == 200 and "请简单写几句话" in text(response)
    response = client.post("/lecture-team/join", data={"note": "退休教师，想讲讲好人好事"}, follow_redirects=True)
    assert "申请已提交" in text(response)
    assert "您的入队申请正在等待组织者处理" in text(client.get("/lecture-team/"))
    client.post("/auth/logout")

    login(client, organizer)
    application = db.session.execute(sa.select(Membership)).scalar_one()
    page = text(client.get("/lecture-team/applications"))
    assert "冯晓梅" in page and "退休教师，想讲讲好人好事" in page and resident.phone in page
    response = client.post(f"/lecture-team/applications/{application.id}/approve", follow_redirects=True)
    assert "冯晓梅 已成为宣讲队队员" in text(response)
    db.session.expire_all()
    assert db.session.get(Membership, application.id).is_active
    assert Role.VOLUNTEER in db.session.get(type(resident), resident.id).roles


def test_a_decline_needs_a_reason_shown_beside_the_field(client, team, organizer):
    resident = make_user("褚卫东")
    db.session.add(Membership(program_id=team.id, user_id=resident.id, status=MembershipStatus.PENDING, note="想参加"))
    db.session.commit()
    application = db.session.execute(sa.select(Membership)).scalar_one()
    login(client, organizer)
    response = client.post(f"/lecture-team/applications/{application.id}/decline", data={f"m{application.id}-reason": ""})
    assert response.status_code == 200 and "请填写原因" in text(response)
    client.post(f"/lecture-team/applications/{application.id}/decline",
                data={f"m{application.id}-reason": "本季度名额已满"})
    client.post("/auth/logout")
    login(client, resident)
    assert "原因：本季度名额已满" in text(client.get("/lecture-team/"))


def test_withdrawing_asks_first_and_says_who_gets_the_slot(client, team):
    talk = make_talk(team, roles=[("主持", 1)], starts_in=timedelta(days=5))
    role = role_of(talk)
    member, next_one = make_member(team, "陈玉兰"), make_member(team, "王德顺")
    held = shifts.sign_up(role, member, now=now_utc())
    shifts.sign_up(role, next_one, now=now_utc(), waitlist=True)
    db.session.commit()
    login(client, member)

    event_page = text(client.get(f"/lecture-team/events/{talk.id}"))
    assert f'href="/lecture-team/shifts/{held.id}/withdraw?next=' in event_page and "data-confirm" in event_page
    question = text(client.get(f"/lecture-team/shifts/{held.id}/withdraw"))
    assert "退出“主持”岗位？" in question and "会立即给候补第 1 位" in question
    assert f'action="/lecture-team/shifts/{held.id}/withdraw' in question
    assert db.session.get(Booking, held.id).is_confirmed  # asking changes nothing


def test_a_sign_up_after_the_withdrawal_deadline_asks_first(client, team):
    soon = make_talk(team, roles=[("摄影", 1)], starts_in=timedelta(hours=20))
    later = make_talk(team, roles=[("摄影", 1)], title="下周的宣讲", starts_in=timedelta(days=7))
    member = make_member(team)
    login(client, member)

    later_page = text(client.get(f"/lecture-team/events/{later.id}"))
    assert "前可以退出岗位" in later_page  # the rule, next to the button
    soon_page = text(client.get(f"/lecture-team/events/{soon.id}"))
    role = role_of(soon)
    assert f'href="/lecture-team/roles/{role.id}/sign-up"' in soon_page and "报名后只有组织者能为您取消" in soon_page
    question = text(client.get(f"/lecture-team/roles/{role.id}/sign-up"))
    assert "报名“摄影”？" in question and "报名后您不能自己退出" in question
    assert active_bookings(role) == []
    response = client.post(f"/lecture-team/roles/{role.id}/sign-up", follow_redirects=True)
    assert "您已报名“摄影”岗位" in text(response)


def test_leaving_the_team_asks_first(client, team):
    member = make_member(team)
    login(client, member)
    assert 'href="/lecture-team/leave"' in text(client.get("/lecture-team/me"))
    question = text(client.get("/lecture-team/leave"))
    assert "退出蒲公英宣讲队？" in question and "服务时长和积分都会保留" in question


def test_role_names_read_in_english_for_english_readers(client, team):
    talk = make_talk(team, roles=[("主讲", 1), ("场务", 2)])
    client.set_cookie("lang", "en")
    page = text(client.get(f"/lecture-team/events/{talk.id}"))
    assert "Speaker" in page and "Stage crew" in page and "主讲" not in page


def test_a_member_leaves_the_team(client, team):
    member = make_member(team)
    login(client, member)
    response = client.post("/lecture-team/leave", follow_redirects=True)
    assert "您已退出蒲公英宣讲队" in text(response)
    db.session.expire_all()
    assert Role.VOLUNTEER not in db.session.get(type(member), member.id).roles


# --- permissions ----------------------------------------------------------------------------------


def test_organizer_pages_are_for_the_programs_organizers(client, team):
    resident = make_user("张桂芳")
    other_organizer = make_user("别的组织者", roles=(Role.RESIDENT, Role.ORGANIZER))
    talk = make_talk(team)
    login(client, resident)
    for path in ("/lecture-team/manage", "/lecture-team/applications", "/lecture-team/talks/new",
                 f"/lecture-team/events/{talk.id}/roles", f"/lecture-team/events/{talk.id}/shifts"):
        assert client.get(path).status_code == 403, path
    client.post("/auth/logout")
    login(client, other_organizer)
    assert client.get("/lecture-team/manage").status_code == 200  # shows nothing of the team
    for path in ("/lecture-team/applications", "/lecture-team/talks/new", f"/lecture-team/events/{talk.id}/roles",
                 f"/lecture-team/events/{talk.id}/shifts", f"/lecture-team/events/{talk.id}/edit"):
        assert client.get(path).status_code == 403, path


def test_an_organizers_record_pages_are_only_for_people_with_a_record(client, team, organizer):
    stranger = make_user("路人")
    login(client, organizer)
    assert client.get(f"/lecture-team/people/{stranger.id}").status_code == 404
    member = make_member(team)
    assert client.get(f"/lecture-team/people/{member.id}").status_code == 200


# --- talks and roles ------------------------------------------------------------------------------------


def _talk_data(day, **overrides):
    data = {"title": "学习贯彻党的二十大精神", "theme_id": "0", "venue_id": "0",
            "new_place": "7号楼单元活动室（第25网格）", "day": day.isoformat(), "start_time": "15:00",
            "end_time": "16:30", "summary": ""}
    data.update(overrides)
    return data


def test_an_organizer_creates_a_talk_with_the_default_roles(client, team, organizer):
    login(client, organizer)
    page = text(client.get("/lecture-team/talks/new"))
    for name in ("主讲", "主持", "摄影", "场务", "签到"):
        assert f'value="{name}"' in page
    day = to_local(now_utc()).date() + timedelta(days=5)
    data = _talk_data(day, theme_id=str(team.series[1].id))
    defaults = [("主讲", 1), ("主持", 1), ("摄影", 1), ("场务", 2), ("签到", 1), ("讲解员", 1), ("", 0)]
    for i, (name, slots) in enumerate(defaults):
        data[f"roles-{i}-name"], data[f"roles-{i}-slots"] = name, str(slots)
    response = client.post("/lecture-team/talks/new", data=data, follow_redirects=True)
    assert "宣讲活动已创建" in text(response)
    talk = db.session.execute(sa.select(ShiftRole.event_id)).scalars().first()
    roles = shifts.roles_by_event([talk])[talk]
    assert [(r.name, r.slots.capacity) for r in roles] == defaults[:6]


@pytest.mark.parametrize("overrides, message", [
    ({"end_time": "14:00"}, "结束时间必须晚于开始时间"),
    ({"new_place": ""}, "请选择地点，或填写一个新地点"),
    ({"title": ""}, "请输入题目"),
    ({"day": "2026-13-45"}, "日期"),
    ({"roles-0-slots": "abc"}, "不是有效的整数"),
    ({"roles-0-slots": "99"}, "请输入 0 到 50 之间的数字"),
    ({"roles-1-name": "主讲"}, "有两个岗位名称相同"),
    ({"roles-5-slots": "2"}, "请填写岗位名称"),
])
def test_a_talk_form_with_mistakes_says_what_is_wrong(client, team, organizer, overrides, message):
    login(client, organizer)
    day = to_local(now_utc()).date() + timedelta(days=5)
    data = _talk_data(day)
    for i, (name, slots) in enumerate([("主讲", 1), ("主持", 1), ("摄影", 1), ("场务", 2), ("签到", 1), ("", 0), ("", 0)]):
        data[f"roles-{i}-name"], data[f"roles-{i}-slots"] = name, str(slots)
    data.update(overrides)
    response = client.post("/lecture-team/talks/new", data=data)
    assert response.status_code == 200
    assert message in text(response)
    assert db.session.execute(sa.select(sa.func.count()).select_from(ShiftRole)).scalar_one() == 0


def test_a_talk_in_the_past_is_refused_beside_the_date(client, team, organizer):
    login(client, organizer)
    day = to_local(now_utc()).date() - timedelta(days=1)
    response = client.post("/lecture-team/talks/new", data=_talk_data(day))
    assert "活动时间不能早于现在" in text(response)


def test_moving_a_talk_onto_a_holders_other_shift_is_refused(client, team, organizer):
    member = make_member(team, "陈玉兰")
    talk = make_talk(team, title="要改时间的宣讲", starts_in=timedelta(days=3))
    # At ten in the morning, whatever the hour now: moved there, the talk ends the same day.
    ten_o_clock = local_datetime(to_local(now_utc()).date() + timedelta(days=5), time(10))
    other = make_talk(team, title="另一场", starts_in=ten_o_clock - now_utc())
    shifts.sign_up(role_of(talk), member, now=now_utc())
    shifts.sign_up(role_of(other), member, now=now_utc())
    db.session.commit()
    login(client, organizer)
    start = to_local(other.starts_at)
    data = _talk_data(start.date(), title="要改时间的宣讲", start_time=start.strftime("%H:%M"),
                      end_time=(start + timedelta(minutes=30)).strftime("%H:%M"))
    response = client.post(f"/lecture-team/events/{talk.id}/edit", data=data)
    assert response.status_code == 200 and "陈玉兰 在新的时间已有其他岗位" in text(response)


def test_roles_can_be_added_to_a_wednesday_lecture(client, team, organizer):
    lectures = make_program(organizers=[organizer])
    lecture = make_event(lectures, title="管仲与齐国的富国之道")
    login(client, organizer)
    assert f"/lecture-team/events/{lecture.id}/roles" in text(client.get(f"/lectures/{lecture.id}"))
    data = {"new-name": "主持", "new-slots": "1", "new-points": "10", "new-points_rule": "per_hour",
            "new-credit_hours": "", "new-withdraw_cutoff_hours": "24"}
    response = client.post(f"/lecture-team/events/{lecture.id}/roles", data=data, follow_redirects=True)
    assert "已添加“主持”岗位" in text(response)
    response = client.post(f"/lecture-team/events/{lecture.id}/roles", data=data)
    assert "本场活动已有名为“主持”的岗位" in text(response)
    data.update({"new-name": "签到", "new-slots": "两个", "new-points_rule": "weekly"})
    response = client.post(f"/lecture-team/events/{lecture.id}/roles", data=data)
    assert "不是有效的整数" in text(response)
    assert [r.name for r in shifts.roles_by_event([lecture.id])[lecture.id]] == ["主持"]


def test_editing_a_roles_slots_below_its_holders_is_refused_beside_the_field(client, team, organizer):
    talk = make_talk(team, roles=[("场务", 2)])
    role = role_of(talk)
    for name in ("甲", "乙"):
        shifts.sign_up(role, make_member(team, name), now=now_utc())
    db.session.commit()
    login(client, organizer)
    data = {f"r{role.id}-name": "场务", f"r{role.id}-slots": "1", f"r{role.id}-points": "10",
            f"r{role.id}-points_rule": "per_shift", f"r{role.id}-credit_hours": "2",
            f"r{role.id}-withdraw_cutoff_hours": "48"}
    response = client.post(f"/lecture-team/roles/{role.id}/edit", data=data)
    assert "这个岗位已有 2 人报名，名额不能少于 2 个" in text(response)
    data[f"r{role.id}-slots"] = "3"
    client.post(f"/lecture-team/roles/{role.id}/edit", data=data)
    db.session.expire_all()
    role = db.session.get(ShiftRole, role.id)
    assert (role.slots.capacity, role.points_rule.value, role.credit_minutes, role.withdraw_cutoff_minutes) == (
        3, "per_shift", 120, 48 * 60)
    response = client.post(f"/lecture-team/roles/{role.id}/remove", follow_redirects=True)
    assert "已有人报名过这个岗位，不能删除" in text(response)


# --- who served, points ------------------------------------------------------------------------------------


def _past_shift(team, member):
    start_from = now_utc() - timedelta(days=3)
    talk = make_talk(team, starts_in=timedelta(days=2, hours=-2), now=start_from)
    held = shifts.sign_up(role_of(talk), member, now=start_from)
    db.session.commit()
    return talk, held


def test_an_organizer_releases_a_holder_with_a_reason(client, team, organizer):
    talk = make_talk(team, starts_in=timedelta(hours=10))
    held = shifts.sign_up(role_of(talk), make_member(team, "陈玉兰"), now=now_utc() - timedelta(days=1))
    waiting = shifts.sign_up(role_of(talk), make_member(team, "王德顺"), now=now_utc(), waitlist=True)
    db.session.commit()
    login(client, organizer)
    response = client.post(f"/lecture-team/shifts/{held.id}/release", data={f"b{held.id}-reason": ""})
    assert response.status_code == 200 and "请填写原因" in text(response)
    response = client.post(f"/lecture-team/shifts/{held.id}/release", data={f"b{held.id}-reason": "身体不适"},
                           follow_redirects=True)
    assert "已让 陈玉兰 退出“摄影”岗位" in text(response) and "王德顺 已由候补转为正式" in text(response)
    db.session.expire_all()
    assert db.session.get(Booking, waiting.id).is_confirmed


def test_served_is_credited_once_even_when_posted_twice(client, team, organizer):
    member = make_member(team)
    talk, held = _past_shift(team, member)
    login(client, organizer)
    roster = text(client.get(f"/lecture-team/events/{talk.id}/shifts"))
    assert "登记到岗" in roster and member.phone in roster
    form = {f"o{held.id}-status": "served", f"o{held.id}-hours": "1.5", f"o{held.id}-reason": ""}
    response = client.post(f"/lecture-team/shifts/{held.id}/outcome", data=form, follow_redirects=True)
    assert "服务记录：时长 +1.5 小时，积分 +15" in text(response)
    response = client.post(f"/lecture-team/shifts/{held.id}/outcome", data=form, follow_redirects=True)
    assert "已经登记过了" in text(response)
    entries = db.session.execute(sa.select(ServiceEntry)).scalars().all()
    assert [(e.kind, e.minutes, e.points) for e in entries] == [(EntryKind.SHIFT, 90, 15)]


@pytest.mark.parametrize("form, message", [
    ({"status": "served", "hours": "2", "reason": ""}, "请填写原因"),
    ({"status": "served", "hours": "很久", "reason": ""}, "不是有效的小数"),
    ({"status": "served", "hours": "sNaN", "reason": ""}, "不是有效的小数"),
    ({"status": "served", "hours": "Infinity", "reason": ""}, "不是有效的小数"),
    ({"status": "served", "hours": "30", "reason": ""}, "请输入 0.5 到 24 之间的数字"),
    ({"status": "maybe", "hours": "", "reason": ""}, "请使用页面上的按钮"),
])
def test_a_bad_attendance_record_says_what_is_wrong(client, team, organizer, form, message):
    member = make_member(team)
    talk, held = _past_shift(team, member)
    login(client, organizer)
    response = client.post(f"/lecture-team/shifts/{held.id}/outcome",
                           data={f"o{held.id}-{key}": value for key, value in form.items()})
    assert response.status_code == 200 and message in text(response)
    assert db.session.execute(sa.select(sa.func.count()).select_from(ServiceEntry)).scalar_one() == 0


def test_an_organizer_records_an_exchange_and_an_adjustment(client, team, organizer):
    member = make_member(team, "陈玉兰")
    points.adjust(member, minutes=0, points=20, reason="期初", organizer=organizer, now=now_utc())
    db.session.commit()
    login(client, organizer)
    url = f"/lecture-team/people/{member.id}"
    response = client.post(url + "/redeem", data={"redeem-points": "25", "redeem-reason": "兑换洗衣液"})
    assert response.status_code == 200 and "积分余额只有 20 分，不能兑换 25 分" in text(response)
    response = client.post(url + "/redeem", data={"redeem-points": "二十", "redeem-reason": "兑换洗衣液"})
    assert "不是有效的整数" in text(response)
    response = client.post(url + "/redeem", data={"redeem-points": "20", "redeem-reason": "兑换洗衣液"},
                           follow_redirects=True)
    assert "已兑换 20 积分" in text(response)
    response = client.post(url + "/adjust", data={"adjust-hours": "", "adjust-points": "", "adjust-reason": "补记"})
    assert "请填写时长或积分" in text(response)
    response = client.post(url + "/adjust", data={"adjust-hours": "-1", "adjust-points": "", "adjust-reason": "更正"})
    assert "低于零" in text(response)
    response = client.post(url + "/adjust", data={"adjust-hours": "2.5", "adjust-points": "10",
                                                  "adjust-reason": "协助制作展板"}, follow_redirects=True)
    assert "调整已记录" in text(response)
    assert points.totals_of(member) == points.Totals(minutes=150, points=10)


def test_my_service_page_shows_shifts_hours_and_points(client, team, organizer, count_queries):
    member = make_member(team)
    talk, held = _past_shift(team, member)
    points.record_outcome(held, OutcomeStatus.SERVED, organizer, now=now_utc())
    points.redeem(member, points=5, reason="兑换毛巾一条", organizer=organizer, now=now_utc())
    coming = make_talk(team, title="下周的宣讲", starts_in=timedelta(days=7))
    shifts.sign_up(role_of(coming), member, now=now_utc())
    db.session.commit()
    login(client, member)
    page = text(client.get("/lecture-team/me"))
    assert "下周的宣讲" in page and "1.5 小时" in page and "兑换毛巾一条" in page
    assert ">10<" in page  # the balance: 15 earned, 5 exchanged

    db.session.expire_all()
    with count_queries() as few:
        client.get("/lecture-team/me")
    for i in range(4):
        later = make_talk(team, title=f"再下周{i}", starts_in=timedelta(days=10 + i))
        shifts.sign_up(role_of(later), member, now=now_utc())
        points.adjust(member, minutes=30, points=1, reason=f"补记{i}", organizer=organizer, now=now_utc())
    db.session.commit()
    db.session.expire_all()
    with count_queries() as many:
        client.get("/lecture-team/me")
    assert len(few) == len(many)


def test_the_honour_board_ranks_by_hours(client, team, organizer, count_queries):
    first, second = make_member(team, "孙秀英"), make_member(team, "李淑珍")
    points.adjust(first, minutes=300, points=1, reason="宣讲", organizer=organizer, now=now_utc())
    points.adjust(second, minutes=120, points=1, reason="宣讲", organizer=organizer, now=now_utc())
    db.session.commit()
    assert client.get("/lecture-team/honour-board").status_code == 302  # log in first
    login(client, second)
    client.get("/lecture-team/honour-board")  # shows the welcome message
    with count_queries() as statements:
        page = text(client.get("/lecture-team/honour-board"))
    assert page.index("孙秀英") < page.index("李淑珍") and "5 小时" in page
    assert len(statements) <= 6  # the person, their roles, the team, two board queries, the unread count


def test_the_organizer_overview_lists_what_needs_doing(client, team, organizer):
    member = make_member(team)
    talk, held = _past_shift(team, member)
    db.session.add(Membership(program_id=team.id, user_id=make_user("冯晓梅").id, status=MembershipStatus.PENDING))
    db.session.commit()
    login(client, organizer)
    page = text(client.get("/lecture-team/manage"))
    assert "1 人待确认" in page and talk.title in page and "入队申请" in page


def test_pages_read_in_english(client, team):
    make_talk(team, title="学习贯彻党的二十大精神")
    client.set_cookie("lang", "en")
    page = text(client.get("/lecture-team/"))
    assert "Lecture team" in page and "of 1 left" in page



def test_a_retired_theme_is_no_longer_a_filter(client, now):
    from tests.conftest import make_team

    team = make_team()
    team.series[2].retired_at = now
    db.session.commit()
    chips = client.get("/lecture-team/").get_data(as_text=True).split('class="chips"', 1)[1].split("</nav>", 1)[0]
    assert "理论知识" in chips and "精神文明" not in chips
def test_a_talk_in_a_taken_place_is_refused_and_an_administrator_can_share_it(client, app, team, organizer):
    hall = make_venue("社区党群服务中心 会议室")
    day = to_local(now_utc()).date() + timedelta(days=6)
    taken = make_event(title="书画笔会", starts_in=local_datetime(day, time(15)) - now_utc())
    taken.venue = hall
    db.session.commit()
    data = _talk_data(day, venue_id=str(hall.id), new_place="")
    login(client, organizer)

    refused = text(client.post("/lecture-team/talks/new", data=data))

    assert "在这个时间已被占用：书画笔会" in refused and 'name="share_room"' not in refused
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one() == 1
    boss = fresh_client(app)
    login(boss, make_user("王建国", roles=(Role.RESIDENT, Role.ORGANIZER, Role.ADMIN)))
    response = boss.post("/lecture-team/talks/new", data={**data, "share_room": "y"}, follow_redirects=True)
    assert "宣讲活动已创建" in text(response)
    talk = db.session.execute(sa.select(Event).where(Event.title == "学习贯彻党的二十大精神")).scalar_one()
    assert talk.shares_room and talk.venue_id == hall.id
