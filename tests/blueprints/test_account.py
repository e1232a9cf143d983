"""A resident's own bookings through the client."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from models import Booking, BookingStatus, CalendarToken, Quota, db
from services import feeds
from services.booking import cancel_booking
from tests.blueprints.conftest import alerts, page, seat, visible_text
from tests.conftest import login, make_event, make_program, make_user


def past_lecture(program, title: str, now, *, days_ago: int = 3):
    return make_event(program, title=title, starts_in=-timedelta(days=days_ago), now=now)


def booked_before_it_began(event, person) -> Booking:
    return seat(event, person, event.starts_at - timedelta(days=1))


def status_of(booking) -> BookingStatus:
    return db.session.get(Booking, booking.id).status


def cancel(client, booking, **query):
    return client.post(f"/account/bookings/{booking.id}/cancel", query_string=query, follow_redirects=True)


# --- my bookings ----------------------------------------------------------------------


def test_my_bookings_needs_a_login(client):
    response = client.get("/account/bookings")

    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert (target.path, parse_qs(target.query)["next"]) == ("/auth/login", ["/account/bookings"])
    assert "请先登录。" in alerts(client.get(response.headers["Location"]))


def test_my_bookings_shows_the_ticket_number_of_a_seat(client, now):
    event = make_event(title="管仲与齐国", now=now)
    resident = make_user()
    booking = seat(event, resident, now)
    login(client, resident)

    body = visible_text(client.get("/account/bookings"))

    assert "管仲与齐国" in body
    assert f"预约号 {booking.display_code}" in body
    assert "已预约" in body


def test_my_bookings_shows_the_place_on_the_waiting_list(client, now):
    event = make_event(capacity=1, title="管仲与齐国", now=now)
    resident = make_user("丙")
    seat(event, make_user("甲"), now)
    seat(event, make_user("乙"), now + timedelta(seconds=1), waitlist=True)
    seat(event, resident, now + timedelta(seconds=2), waitlist=True)
    login(client, resident)

    body = visible_text(client.get("/account/bookings"))

    assert "候补第 2 位" in body
    assert "退出候补" in body
    assert "预约号:" not in body


def test_my_bookings_lists_the_soonest_first(client, now):
    program = make_program()
    resident = make_user()
    for title, days in [("两周后", 14), ("明天", 1), ("下周", 7)]:
        seat(make_event(program, title=title, starts_in=timedelta(days=days), now=now), resident, now)
    login(client, resident)

    body = page(client.get("/account/bookings"))

    assert body.index("明天") < body.index("下周") < body.index("两周后")


def test_my_bookings_puts_past_lectures_under_past(client, now):
    program = make_program()
    resident = make_user()
    seat(make_event(program, title="下周的讲座", now=now), resident, now)
    booked_before_it_began(past_lecture(program, "上周的讲座", now), resident)
    login(client, resident)

    coming, past = page(client.get("/account/bookings")).split("<h2>往期</h2>")

    assert "下周的讲座" in coming and "上周的讲座" not in coming
    assert "上周的讲座" in past


def test_my_bookings_leaves_out_bookings_i_cancelled(client, now):
    event = make_event(title="管仲与齐国", now=now)
    resident = make_user()
    booking = seat(event, resident, now)
    login(client, resident)
    cancel(client, booking)

    body = page(client.get("/account/bookings"))

    assert "管仲与齐国" not in body
    assert "您近期没有预约。" in body


def test_my_bookings_shows_only_my_own(client, now):
    event = make_event(title="管仲与齐国", now=now)
    seat(event, make_user("邻居"), now)
    login(client, make_user())

    body = page(client.get("/account/bookings"))

    assert "管仲与齐国" not in body
    assert "您近期没有预约。" in body
    assert "往期" not in body


# --- cancelling -----------------------------------------------------------------------


def test_cancelling_a_seat_gives_it_to_the_first_in_line(client, now):
    event = make_event(capacity=1, now=now)
    holder = make_user("甲")
    seat_of_holder = seat(event, holder, now)
    first = seat(event, make_user("乙"), now + timedelta(seconds=1), waitlist=True)
    second = seat(event, make_user("丙"), now + timedelta(seconds=2), waitlist=True)
    login(client, holder)

    response = cancel(client, seat_of_holder)

    assert response.request.path == "/account/bookings"
    assert "已取消预约。座位已经给了候补的下一位。" in alerts(response)
    assert "撤销：保留我的座位" not in page(response)  # the seat is gone: no undo offered
    assert [status_of(b) for b in (seat_of_holder, first, second)] == [
        BookingStatus.CANCELLED, BookingStatus.CONFIRMED, BookingStatus.WAITLISTED]
    assert db.session.get(Quota, event.seat_quota_id).taken == 1


def test_cancelling_a_seat_with_nobody_waiting_frees_it(client, now):
    event = make_event(capacity=2, now=now)
    resident = make_user()
    booking = seat(event, resident, now)
    login(client, resident)

    cancel(client, booking)

    assert status_of(booking) is BookingStatus.CANCELLED
    assert db.session.get(Quota, event.seat_quota_id).taken == 0


def test_leaving_the_waiting_list_keeps_the_seats_as_they_are(client, now):
    event = make_event(capacity=1, now=now)
    holder = seat(event, make_user("甲"), now)
    resident = make_user("乙")
    waiting = seat(event, resident, now, waitlist=True)
    login(client, resident)

    response = cancel(client, waiting)

    assert "您已退出候补。" in alerts(response)
    assert (status_of(holder), status_of(waiting)) == (BookingStatus.CONFIRMED, BookingStatus.CANCELLED)
    assert db.session.get(Quota, event.seat_quota_id).taken == 1


def test_cancelling_someone_elses_booking_is_404_and_changes_nothing(client, now):
    event = make_event(capacity=1, now=now)
    theirs = seat(event, make_user("邻居"), now)
    waiting = seat(event, make_user("候补"), now, waitlist=True)
    login(client, make_user("捣乱者"))

    response = client.post(f"/account/bookings/{theirs.id}/cancel")

    assert response.status_code == 404
    assert (status_of(theirs), status_of(waiting)) == (BookingStatus.CONFIRMED, BookingStatus.WAITLISTED)


def test_cancelling_an_unknown_booking_is_404(client):
    login(client, make_user())
    assert client.post("/account/bookings/999999/cancel").status_code == 404


def test_cancelling_needs_a_login(client, now):
    booking = seat(make_event(now=now), make_user(), now)

    response = client.post(f"/account/bookings/{booking.id}/cancel")

    assert urlsplit(response.headers["Location"]).path == "/auth/login"
    assert status_of(booking) is BookingStatus.CONFIRMED


def test_cancelling_by_get_only_asks(client, now):
    resident = make_user()
    booking = seat(make_event(now=now), resident, now)
    login(client, resident)

    response = client.get(f"/account/bookings/{booking.id}/cancel")

    assert response.status_code == 200 and "取消您的座位？" in page(response)
    assert status_of(booking) is BookingStatus.CONFIRMED


def test_cancelling_after_the_lecture_began_is_refused_with_the_reason(client, now):
    event = make_event(starts_in=-timedelta(minutes=10), now=now)
    resident = make_user()
    booking = booked_before_it_began(event, resident)
    login(client, resident)

    response = cancel(client, booking)

    assert "活动已经开始，不能再取消预约。" in alerts(response)
    assert status_of(booking) is BookingStatus.CONFIRMED
    assert db.session.get(Quota, event.seat_quota_id).taken == 1


def test_a_lecture_under_way_offers_no_cancel_button(client, now):
    event = make_event(starts_in=-timedelta(minutes=10), title="正在进行的讲座", now=now)
    resident = make_user()
    booked_before_it_began(event, resident)
    login(client, resident)

    body = page(client.get("/account/bookings"))

    assert "正在进行的讲座" in body
    assert "取消预约" not in body


def test_cancelling_twice_says_it_was_already_cancelled(client, now):
    resident = make_user()
    booking = seat(make_event(now=now), resident, now)
    login(client, resident)
    cancel(client, booking)

    response = cancel(client, booking)

    assert "这个预约已经取消了。" in alerts(response)


@pytest.mark.parametrize("target, expected", [
    ("/lectures/{event_id}", "/lectures/{event_id}"),
    ("//evil.com", "/account/bookings"),
    ("https://evil.com/", "/account/bookings"),
])
def test_cancelling_returns_to_a_local_next_only(client, now, target, expected):
    event = make_event(now=now)
    resident = make_user()
    booking = seat(event, resident, now)
    login(client, resident)

    response = client.post(f"/account/bookings/{booking.id}/cancel",
                           query_string={"next": target.format(event_id=event.id)})

    assert response.headers["Location"] == expected.format(event_id=event.id)


# --- queries per page -----------------------------------------------------------------


def add_bookings(viewer, count: int, now, *, waiting_every: int | None = None) -> None:
    """``count`` coming lectures the viewer booked; every ``waiting_every``-th one is full
    and the viewer waits behind someone else. Also one past booking per call."""
    program = make_program()
    someone = make_user("邻居")
    for i in range(count):
        event = make_event(program, capacity=1, title=f"讲座{i}", starts_in=timedelta(days=i + 1), now=now)
        if waiting_every and i % waiting_every == 0:
            seat(event, someone, now)
            seat(event, viewer, now, waitlist=True)
        else:
            seat(event, viewer, now)
    booked_before_it_began(past_lecture(program, "往期讲座", now), viewer)


def queries_for_my_bookings(client, count_queries, expected_upcoming: int) -> int:
    with count_queries() as statements:
        response = client.get("/account/bookings")
    assert response.status_code == 200
    assert page(response).count('class="event-card') == expected_upcoming
    return len(statements)


def test_my_bookings_runs_as_many_queries_for_15_bookings_as_for_2(client, count_queries, now):
    viewer = make_user("看客")
    login(client, viewer)

    add_bookings(viewer, 2, now, waiting_every=2)
    few = queries_for_my_bookings(client, count_queries, 2)
    add_bookings(viewer, 13, now, waiting_every=2)
    many = queries_for_my_bookings(client, count_queries, 15)

    assert many == few


def test_my_bookings_shows_every_waiting_position_right(client, now):
    """The positions come from one query over many waiting lists: each must be its own."""
    viewer = make_user("看客")
    program = make_program()
    for ahead in range(3):
        event = make_event(program, capacity=1, title=f"前面有{ahead}人", starts_in=timedelta(days=ahead + 1), now=now)
        seat(event, make_user("占座"), now)
        for n in range(ahead):
            seat(event, make_user(f"候补{n}"), now + timedelta(seconds=n), waitlist=True)
        seat(event, viewer, now + timedelta(minutes=1), waitlist=True)
    login(client, viewer)

    cards = page(client.get("/account/bookings")).split('class="event-card')[1:]

    for ahead, card in enumerate(cards):
        assert f"前面有{ahead}人" in card
        assert f"候补第 {ahead + 1} 位" in card


def test_my_bookings_shows_past_bookings_ten_at_a_time(client, now):
    viewer = make_user()
    program = make_program()
    for days_ago in range(2, 14):
        booked_before_it_began(past_lecture(program, f"第{days_ago}天前", now, days_ago=days_ago), viewer)
    login(client, viewer)

    first = page(client.get("/account/bookings")).split("<h2>往期</h2>")[1]
    second = page(client.get("/account/bookings?past=2")).split("<h2>往期</h2>")[1]

    assert '<details class="panel quiet" id="past">' in first  # folded away at first
    assert first.count("list-group-item") == 10 and "第2天前" in first and "第11天前" in first
    assert "第12天前" not in first and "?past=2#past" in first
    assert '<details class="panel quiet" id="past" open>' in second
    assert second.count("list-group-item") == 2 and "第13天前" in second and "?past=1#past" in second
    assert "?past=3" not in second
    assert client.get("/account/bookings?past=-4").status_code == 200


# --- the personal calendar link ------------------------------------------------------

FEED_URL = re.compile(r"http://localhost/calendar/u/([A-Za-z0-9_-]{43})\.ics")


def test_the_calendar_page_needs_a_login(client):
    response = client.get("/account/calendar")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post("/account/calendar/reset").status_code == 302
    assert db.session.query(CalendarToken).count() == 0


def test_making_a_link_shows_it_once_with_subscribe_buttons(client):
    user = make_user()
    login(client, user)
    first = client.get("/account/calendar").get_data(as_text=True)
    assert "您还没有日历链接" in first and "生成我的日历链接" in first
    assert not FEED_URL.search(first)

    response = client.post("/account/calendar/reset")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/calendar")
    shown = client.get("/account/calendar")
    assert shown.headers["Cache-Control"] == "no-store"
    page = shown.get_data(as_text=True)
    assert "您的日历链接已生成" in page and "只显示这一次" in page
    token = FEED_URL.search(page).group(1)
    assert f'href="webcal://localhost/calendar/u/{token}.ics"' in page
    assert "calendar.google.com/calendar/r?cid=webcal%3A%2F%2Flocalhost%2Fcalendar%2Fu%2F" + token in page
    assert feeds.user_for_feed_token(token) == user
    assert "生成新的日历链接" not in page  # no reset button beside a link just made

    later = client.get("/account/calendar").get_data(as_text=True)
    assert token not in later
    assert "生成新的日历链接" in later and "旧链接会立即失效" in later


def test_a_new_link_replaces_the_old_one(client):
    user = make_user()
    login(client, user)
    client.post("/account/calendar/reset")
    old = FEED_URL.search(client.get("/account/calendar").get_data(as_text=True)).group(1)
    client.post("/account/calendar/reset")
    page = client.get("/account/calendar").get_data(as_text=True)
    assert "新的日历链接已生成，旧链接已失效" in page
    new = FEED_URL.search(page).group(1)
    assert new != old
    assert feeds.user_for_feed_token(old) is None and feeds.user_for_feed_token(new) == user


def test_a_link_replaced_from_another_phone_is_not_shown(client, now):
    user = make_user()
    login(client, user)
    client.post("/account/calendar/reset")
    feeds.reset_feed_token(user, now=now)  # meanwhile, on another phone
    db.session.commit()
    assert not FEED_URL.search(client.get("/account/calendar").get_data(as_text=True))


def test_the_reset_is_a_post_with_csrf(app, client):
    user = make_user()
    login(client, user)
    assert client.get("/account/calendar/reset").status_code == 405
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/account/calendar/reset").status_code == 400
    assert feeds.feed_token_of(user) is None
    page = client.get("/account/calendar").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/account/calendar/reset", data={"csrf_token": csrf}).status_code == 302
    assert feeds.feed_token_of(user) is not None


def test_my_bookings_links_to_the_calendar_page(client):
    login(client, make_user())
    assert 'href="/account/calendar"' in client.get("/account/bookings").get_data(as_text=True)


def test_a_parent_chooses_whether_children_appear_in_their_calendar(client, now):
    from tests.conftest import make_child

    parent, other = make_user("王德顺"), make_user("赵秀英")
    login(client, other)
    assert 'id="children"' not in client.get("/account/calendar").get_data(as_text=True)  # no children
    client.post("/auth/logout")
    make_child(parent, "王小明")
    login(client, parent)
    html = client.get("/account/calendar").get_data(as_text=True)
    assert 'id="children"' in html and re.search(r'<input[^>]*checked[^>]*id="show"|<input[^>]*id="show"[^>]*checked', html)

    response = client.post("/account/calendar/children", data={})  # unticked
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/calendar#children")
    db.session.refresh(parent)
    assert parent.children_in_calendar is False
    client.post("/account/calendar/children", data={"show": "y"})
    db.session.refresh(parent)
    assert parent.children_in_calendar is True


# --- my account: my data, deleting the account -------------------------------------------


def test_the_account_page_links_my_data_logging_out_everywhere_and_deleting(client):
    login(client, make_user("张桂芳"))
    text = page(client.get("/account/"))
    for words in ("我的账号", "下载我的数据", "在所有设备上退出", "注销账号"):
        assert words in text
    assert "张桂芳" in text and "139****" in text


def test_my_data_downloads_as_json_and_csv_and_is_never_cached(client, now):
    from tests.conftest import make_child

    user = make_user("冯晓梅")
    make_child(user, "王小明")
    seat(make_event(title="齐国故城"), user, now)
    login(client, user)
    assert "孩子" in page(client.get("/account/data"))
    as_json = client.get("/account/data.json")
    assert as_json.headers["Cache-Control"] == "no-store"
    assert as_json.headers["Content-Disposition"].startswith('attachment; filename="linli-my-data-')
    sections = as_json.get_json()["sections"]
    assert sections["children"][0]["name"] == "王小明" and sections["bookings"][0]["event"] == "齐国故城"
    as_csv = client.get("/account/data.csv")
    assert as_csv.mimetype == "text/csv" and as_csv.data.startswith(b"\xef\xbb\xbf")
    assert "王小明" in as_csv.data.decode("utf-8-sig")
    assert client.get("/account/data.xml").status_code == 404


def test_deleting_my_account_asks_for_the_password_and_a_tick_then_logs_me_out(client, now):
    user = make_user("张桂芳", phone="13912340002")
    login(client, user)
    response = client.post("/account/delete", data={"password": "correct horse battery"})
    assert "请勾选以确认。" in page(response)
    response = client.post("/account/delete", data={"password": "wrong one", "understood": "y"})
    assert "密码不正确。" in page(response)
    assert not db.session.get(type(user), user.id).is_deleted

    response = client.post("/account/delete", data={"password": "correct horse battery", "understood": "y"},
                           follow_redirects=True)
    assert "您的账号已注销" in page(response)
    assert client.get("/account/bookings").status_code == 302
    assert db.session.get(type(user), user.id).is_deleted
    response = client.post("/auth/login", data={"phone": "13912340002", "password": "correct horse battery"})
    assert response.status_code == 200


def test_a_childs_name_never_travels_in_the_session_cookie(app, client, now):
    from flask import json as flask_json

    from tests.conftest import make_child, make_youth_program

    parent = make_user("冯晓梅")
    child = make_child(parent, "王小明")
    event = make_event(make_youth_program(slug="songdu"), title="经典诗文诵读")
    login(client, parent)
    response = client.post(f"/youth/classes/{event.id}/book", data={"child_id": child.id})
    assert response.status_code == 302
    cookie = client.get_cookie("session").value
    stored = app.session_interface.get_signing_serializer(app).loads(cookie)
    assert stored["_flashes"] and "小明" not in flask_json.dumps(stored, ensure_ascii=False)
    assert "预约成功" in page(client.get(response.headers["Location"]))


def test_the_anonymize_children_command_erases_old_names(app, now):
    from models import Child
    from services import youth
    from tests.conftest import make_child, make_youth_program

    parent = make_user("冯晓梅")
    child = make_child(parent, "王小明")
    long_ago = now - timedelta(days=30)
    youth.book_class(make_event(make_youth_program(slug="songdu"), now=long_ago), child, parent, now=long_ago)
    db.session.commit()
    runner = app.test_cli_runner()
    assert "0 children" in runner.invoke(args=["anonymize-children"]).output
    result = runner.invoke(args=["anonymize-children", "--days", "7"])
    assert result.exit_code == 0 and "1 children" in result.output
    db.session.expire_all()
    assert db.session.get(Child, child.id).is_anonymized
    assert "old login records deleted" in runner.invoke(args=["forget-old-logins"]).output
# --- my details and password ------------------------------------------------------------

from tests.blueprints.conftest import field_errors  # noqa: E402
from tests.conftest import PASSWORD, fresh_client  # noqa: E402


def test_my_details_and_password_pages_need_a_login(client):
    for url in ("/account/profile", "/account/password"):
        assert urlsplit(client.get(url).headers["Location"]).path == "/auth/login"


def test_changing_my_password_keeps_me_logged_in_here_and_logs_out_my_other_phone(app):
    me = make_user("张桂芳")
    here, there = fresh_client(app), fresh_client(app)
    here.post("/auth/login", data={"phone": me.phone, "password": PASSWORD, "remember": "y"})
    login(there, me)

    response = here.post("/account/password", data={
        "current_password": PASSWORD, "password": "a brand new secret", "confirm": "a brand new secret"})

    assert response.status_code == 302
    assert here.get("/account/bookings").status_code == 200
    assert there.get("/account/bookings").status_code == 302
    assert "remember_token" in {c.key for c in here._cookies.values()}


def test_a_wrong_current_password_changes_nothing(client):
    me = make_user("张桂芳")
    login(client, me)
    response = client.post("/account/password", data={
        "current_password": "not mine", "password": "a brand new secret", "confirm": "a brand new secret"})
    assert field_errors(response, "current_password") == ["当前密码不对。"]
    assert db.session.get(type(me), me.id).check_password(PASSWORD)
    response = client.post("/account/password", data={"current_password": "", "password": "x", "confirm": "y"})
    assert field_errors(response, "current_password") == ["请输入当前密码。"]


def test_my_name_changes_without_a_password_and_my_number_with_one(client):
    me = make_user("张桂芳", phone="13911110001")
    login(client, me)
    assert 'value="13911110001"' in page(client.get("/account/profile"))

    client.post("/account/profile", data={"display_name": "张阿姨", "phone": "13911110001"})
    assert db.session.get(type(me), me.id).display_name == "张阿姨"

    response = client.post("/account/profile", data={"display_name": "张阿姨", "phone": "139 1111 0002"})
    assert field_errors(response, "current_password") == ["当前密码不对。"]
    client.post("/account/profile", data={"display_name": "张阿姨", "phone": "139 1111 0002",
                                          "current_password": PASSWORD})
    assert db.session.get(type(me), me.id).phone == "13911110002"


@pytest.mark.parametrize("phone,message", [
    ("12345", "请输入以 1 开头的 11 位手机号。"),
    ("", "请输入手机号。"),
    ("taken", "已有其他人用这个手机号注册。"),
])
def test_a_bad_or_taken_number_is_refused(client, phone, message):
    other = make_user("刘建华")
    me = make_user("张桂芳")
    login(client, me)
    response = client.post("/account/profile", data={
        "display_name": "张桂芳", "phone": other.phone if phone == "taken" else phone, "current_password": PASSWORD})
    assert field_errors(response, "phone") == [message]
# --- asking before cancelling, and taking it back -----------------------------------


def test_cancelling_with_nobody_waiting_offers_an_undo_that_restores_the_seat(client, now):
    event = make_event(capacity=1, now=now)
    resident = make_user()
    booking = seat(event, resident, now)
    ticket = booking.ticket_code
    login(client, resident)

    question = page(client.get(f"/account/bookings/{booking.id}/cancel?next=/lectures/{event.id}"))
    assert "您的座位会空出来，其他人可以预约。" in question and "10 分钟内可以撤销" in question
    assert f'action="/account/bookings/{booking.id}/cancel?next=/lectures/{event.id}"' in question
    response = client.post(f"/account/bookings/{booking.id}/cancel?next=/lectures/{event.id}", follow_redirects=True)
    assert response.request.path == f"/lectures/{event.id}"
    assert f'action="/account/bookings/{booking.id}/undo' in page(response)

    response = client.post(f"/account/bookings/{booking.id}/undo", follow_redirects=True)
    assert f"座位已为您保留。预约号：{booking.display_code}" in alerts(response)
    db.session.expire_all()
    assert status_of(booking) is BookingStatus.CONFIRMED and booking.ticket_code == ticket


def test_nobody_undoes_someone_elses_cancellation(client, now):
    booking = seat(make_event(now=now), make_user("甲"), now)
    cancel_booking(booking, now=now)
    db.session.commit()
    login(client, make_user("乙"))
    assert client.post(f"/account/bookings/{booking.id}/undo").status_code == 404
    assert client.get(f"/account/bookings/{booking.id}/cancel").status_code == 404
    assert status_of(booking) is BookingStatus.CANCELLED


def test_leaving_a_waiting_list_asks_first_with_the_place_that_is_lost(client, now):
    event = make_event(capacity=1, now=now)
    seat(event, make_user("甲"), now)
    waiting = seat(event, make_user("乙"), now, waitlist=True)
    login(client, waiting.user)
    question = page(client.get(f"/account/bookings/{waiting.id}/cancel"))
    assert "退出候补？" in question and "您会失去候补位置（第 1 位）。再次报名要排到最后。" in question
