"""The attendance pages through the test client: rosters, check-in, exports, dashboard."""
from __future__ import annotations

import csv
import io
import re
from datetime import datetime, timedelta
from urllib.parse import quote

import openpyxl
import pytest
import sqlalchemy as sa

from models import Attendance, AttendanceStatus, Booking, CheckInMethod, ProgramKind, Role, User, db
from services import attendance, checkin
from services.booking import book_seat
from services.dates import LOCAL_TZ, now_utc, to_local
from tests.blueprints.conftest import page
from tests.conftest import login, make_event, make_program, make_user


@pytest.fixture
def organizer(app):
    return make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))


@pytest.fixture
def program(organizer):
    return make_program(organizers=[organizer], slug="wenshi-jiangtang", name="周三文史讲堂")


@pytest.fixture
def event(program):
    """A lecture starting in ten minutes: check-in is open."""
    return make_event(program, capacity=50, starts_in=timedelta(minutes=10), title="管仲与齐国的富国之道")


def quick_users(count: int, prefix: str = "居民") -> list[User]:
    """Many residents at once (no password hashing: they never log in)."""
    users = [
        User(phone=f"137{index:08d}", display_name=f"{prefix}{index:03d}", password_hash="!test")
        for index in range(count)
    ]
    db.session.add_all(users)
    db.session.commit()
    return users


def book(event, *people):
    bookings = [book_seat(event, person, now=event.starts_at - timedelta(days=2)) for person in people]
    db.session.commit()
    return bookings


def row_html(html: str, key: str) -> str:
    match = re.search(rf'<li class="roster-row[^"]*" id="row-{key}".*?</li>', html, re.S)
    assert match, f"row {key} not on the page"
    return match.group(0)


def status_of(booking) -> AttendanceStatus | None:
    return db.session.execute(
        sa.select(Attendance.status).where(Attendance.booking_id == booking.id)
    ).scalar_one_or_none()


# --- who may see a roster ---------------------------------------------------------------


def test_rosters_are_for_the_events_organizers_only(client, event):
    other_organizer = make_user("赵志刚", roles=(Role.RESIDENT, Role.ORGANIZER))
    make_program(organizers=[other_organizer], name="吕剧团", kind=ProgramKind.TROUPE)
    [booking] = book(event, make_user("张桂芳"))
    urls = [
        f"/attendance/{event.id}/", f"/attendance/{event.id}/screen",
        f"/attendance/{event.id}/export.csv", f"/attendance/{event.id}/export.xlsx",
        "/attendance/programs/wenshi-jiangtang/export",
    ]
    assert client.get(urls[0]).status_code == 302  # anonymous: log in first
    login(client, other_organizer)
    for url in urls:
        assert client.get(url).status_code == 403, url
    posts = {
        f"/attendance/{event.id}/bookings/{booking.id}/mark": {"status": "present"},
        f"/attendance/{event.id}/ticket": {"code": booking.ticket_code},
        f"/attendance/{event.id}/walk-in": {"name": "王", "phone": "13600000999"},
        f"/attendance/{event.id}/bookings/{booking.id}/excuse": {"reason": "病假"},
    }
    for url, data in posts.items():
        assert client.post(url, data=data).status_code == 403, url
    assert status_of(booking) is None

    client.post("/auth/logout")
    login(client, make_user("普通居民"))
    assert client.get(urls[0]).status_code == 403
    assert client.get("/attendance/").status_code == 403


def test_late_in_the_evening_the_first_event_after_midnight_is_ready_at_the_door(
        client, organizer, program, time_machine):
    time_machine.move_to(datetime(2026, 12, 31, 23, 50, tzinfo=LOCAL_TZ), tick=False)
    soon = make_event(program, starts_in=timedelta(minutes=20), title="跨年诵读会")
    later = make_event(program, starts_in=timedelta(hours=10), title="新年第一讲")
    login(client, organizer)
    html = client.get("/attendance/").get_data(as_text=True)
    # Check-in for the midnight event is open: it has its card with the QR screen …
    assert f"/attendance/{soon.id}/screen" in html
    # … while tomorrow morning's lecture waits in the folded list of its day.
    assert f"/attendance/{later.id}/" in html and f"/attendance/{later.id}/screen" not in html


def test_unknown_events_and_programs_are_404(client, organizer):
    login(client, organizer)
    assert client.get("/attendance/999/").status_code == 404
    assert client.get("/attendance/99999999999/").status_code == 404
    assert client.get("/attendance/programs/nope/export").status_code == 404


def test_the_lecture_and_manage_pages_link_to_the_roster(client, organizer, event):
    login(client, organizer)
    roster_url = f"/attendance/{event.id}/"
    assert roster_url in client.get(f"/lectures/{event.id}").get_data(as_text=True)
    assert roster_url in client.get("/lectures/manage").get_data(as_text=True)
    page = client.get("/attendance/").get_data(as_text=True)
    assert roster_url in page and f"/attendance/{event.id}/screen" in page
    resident_view = make_user("张桂芳")
    client.post("/auth/logout")
    login(client, resident_view)
    assert roster_url not in client.get(f"/lectures/{event.id}").get_data(as_text=True)


def test_the_attendance_page_opens_on_today_and_the_coming_week_of_my_programs(client, organizer, program, event, count_queries):
    other = make_program(organizers=[organizer], slug="lvju", name="吕剧团")
    not_mine = make_program(slug="jingju", name="京剧社")
    next_week = make_event(other, starts_in=timedelta(days=3), title="吕剧排练")
    later = make_event(program, starts_in=timedelta(days=10), title="十天后的讲座")
    make_event(not_mine, starts_in=timedelta(days=1), title="别人的活动")
    gone = make_event(program, starts_in=-timedelta(days=2), title="前天的讲座")
    login(client, organizer)

    with count_queries() as statements:
        body = page(client.get("/attendance/"))
    assert body.index('id="exports"') < body.index("管仲与齐国的富国之道")  # exports at the top
    assert "管仲与齐国的富国之道" in body and "吕剧排练" in body
    assert "十天后的讲座" not in body and "别人的活动" not in body
    assert '<details class="panel quiet compact-list">' in body and "前天的讲座" in body.split("最近一周")[1]

    for index in range(6):  # more events, same number of queries
        make_event(other, starts_in=timedelta(days=1, hours=index), title=f"排练{index}")
    with count_queries() as more:
        client.get("/attendance/")
    assert len(more) == len(statements)

    # One program, from a chosen day.
    day = to_local(later.starts_at).date() - timedelta(days=1)
    body = page(client.get(f"/attendance/?program=wenshi-jiangtang&day={day.isoformat()}"))
    assert "十天后的讲座" in body and "吕剧排练" not in body and "管仲与齐国的富国之道" not in body
    assert "最近一周" not in body
    assert client.get("/attendance/?program=nope&day=not-a-day").status_code == 200
    assert gone and next_week


# --- the roster -------------------------------------------------------------------------------


def test_the_roster_loads_in_a_constant_number_of_queries(client, organizer, program, count_queries):
    small = make_event(program, capacity=300, starts_in=timedelta(minutes=5), title="小场")
    large = make_event(program, capacity=300, starts_in=timedelta(minutes=5), title="大场")
    people = quick_users(200)
    book(small, *people[:20])
    big = book(large, *people)
    for index, booking in enumerate(big[:30]):
        attendance.mark_booking(large, booking.id, AttendanceStatus.PRESENT if index % 3 else AttendanceStatus.LATE,
                                actor=organizer, now=now_utc())
    small_bookings = db.session.execute(sa.select(Booking).where(Booking.event_id == small.id)).scalars().all()
    attendance.mark_booking(small, small_bookings[0].id, AttendanceStatus.PRESENT, actor=organizer, now=now_utc())
    attendance.add_walk_in(large, name="路人甲", phone="13600000777", actor=organizer, now=now_utc())
    db.session.commit()
    targets = [(small.id, small.title), (large.id, large.title)]
    login(client, organizer)

    counts = {}
    for event_id, title in targets:
        db.session.expunge_all()
        with count_queries() as statements:
            response = client.get(f"/attendance/{event_id}/")
        assert response.status_code == 200
        counts[title] = len(statements)
    assert counts["小场"] == counts["大场"] <= 8, counts  # with the header's unread count
    page = response.get_data(as_text=True)
    assert page.count('class="roster-row') == 201
    assert "路人甲" in page and "现场" in page


def test_one_tap_marks_and_comes_back_to_the_row(client, organizer, event):
    [first, second] = book(event, make_user("张桂芳", phone="13600001234"), make_user("刘建华"))
    login(client, organizer)
    response = client.post(f"/attendance/{event.id}/bookings/{first.id}/mark", data={"status": "present"})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/attendance/{event.id}/#row-b{first.id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "张桂芳：到场" in page
    row = row_html(page, f"b{first.id}")
    assert 'value="present" class="mark mark-present" aria-pressed="true"' in row
    assert "李秀兰" in row  # who marked it
    assert status_of(first) is AttendanceStatus.PRESENT

    # With the page's script: JSON with the new row and counts, the page stays.
    response = client.post(
        f"/attendance/{event.id}/bookings/{second.id}/mark", data={"status": "late"},
        headers={"Accept": "application/json"},
    )
    reply = response.get_json()
    assert reply["ok"] and reply["key"] == f"b{second.id}"
    assert 'aria-pressed="true"' in reply["row"] and "迟到" in reply["row"]
    assert "<strong>2</strong> / 2" in reply["counts"]

    # Searching keeps the search when coming back.
    response = client.post(f"/attendance/{event.id}/bookings/{first.id}/mark", data={"status": "absent", "q": "1234"})
    assert response.headers["Location"].endswith(f"/attendance/{event.id}/?q=1234#row-b{first.id}")


def test_marking_refuses_bad_input_without_a_500(client, organizer, event):
    [booking] = book(event, make_user())
    other = make_event(event.program, starts_in=timedelta(minutes=10))
    [elsewhere] = book(other, make_user("刘建华"))
    login(client, organizer)
    assert client.post(f"/attendance/{event.id}/bookings/{booking.id}/mark", data={"status": "excused"}).status_code == 400
    assert client.post(f"/attendance/{event.id}/bookings/{booking.id}/mark", data={}).status_code == 400
    response = client.post(f"/attendance/{event.id}/bookings/{elsewhere.id}/mark", data={"status": "present"}, follow_redirects=True)
    assert "不在本场活动的名单上" in response.get_data(as_text=True)
    response = client.post(
        f"/attendance/{event.id}/people/{booking.user_id}/mark", data={"status": "present"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 409 and "名单" in response.get_json()["message"]
    assert status_of(booking) is None and status_of(elsewhere) is None


def test_before_check_in_opens_the_roster_shows_when(client, organizer, program):
    later = make_event(program, starts_in=timedelta(days=2))
    [booking] = book(later, make_user())
    login(client, organizer)
    page = client.get(f"/attendance/{later.id}/").get_data(as_text=True)
    assert "签到将于" in page and 'class="roster-marks' not in page
    response = client.post(f"/attendance/{later.id}/bookings/{booking.id}/mark", data={"status": "present"}, follow_redirects=True)
    assert "签到将于" in response.get_data(as_text=True)
    assert status_of(booking) is None


def test_search_by_name_or_last_four_digits(client, organizer, event):
    book(event, make_user("张桂芳", phone="13600001234"), make_user("刘建华", phone="13600005678"))
    login(client, organizer)
    page = client.get(f"/attendance/{event.id}/?q=5678").get_data(as_text=True)
    assert "刘建华" in page and "张桂芳" not in page
    page = client.get(f"/attendance/{event.id}/?q=桂芳").get_data(as_text=True)
    assert "张桂芳" in page and "刘建华" not in page
    page = client.get(f"/attendance/{event.id}/?q=" + "x" * 500).get_data(as_text=True)
    assert "没有找到" in page
    # A control character in a query is refused in one place, before any view (security).
    assert client.get(f"/attendance/{event.id}/?q=x%00").status_code == 400


def test_ticket_number_box(client, organizer, event):
    [booking] = book(event, make_user("张桂芳"))
    login(client, organizer)
    url = f"/attendance/{event.id}/ticket"
    for typed, message in (("", "请输入 8 位预约号"), ("1234", "预约号是 8 位数字"), ("abcdefgh", "预约号是 8 位数字"),
                           ("0000 0000", "没有预约号为 0000 0000 的预约")):
        response = client.post(url, data={"code": typed})
        assert response.status_code == 400
        page = response.get_data(as_text=True)
        assert message in page and 'id="code-error"' in page, typed
    typed = f"{booking.ticket_code[:4]} {booking.ticket_code[4:]}"
    response = client.post(url, data={"code": typed})
    assert response.headers["Location"].endswith(f"/attendance/{event.id}/?next_ticket=1")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "张桂芳 已签到" in page and 'autofocus' in page  # ready for the next number
    assert "到场" in row_html(page, f"b{booking.id}")
    response = client.post(url, data={"code": booking.ticket_code}, follow_redirects=True)
    assert "张桂芳 已经签到过了" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attendance)).scalar_one() == 1


def test_walk_ins_by_name_and_phone(client, organizer, event):
    login(client, organizer)
    url = f"/attendance/{event.id}/walk-in"
    response = client.post(url, data={"name": "", "phone": "123"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "请输入来访者的姓名" in page and "请输入以 1 开头的 11 位手机号" in page
    assert '<details class="panel no-print" id="walk-in" open>' in page
    response = client.post(url, data={"name": "王德顺", "phone": "136 0000 0888"})
    assert response.status_code == 302
    user = db.session.execute(sa.select(User).where(User.phone == "13600000888")).scalar_one()
    assert user.display_name == "王德顺"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "王德顺 已签到" in page and "现场" in row_html(page, f"u{user.id}")
    # The new account can't log in until the person registers the number.
    client.post("/auth/logout")
    assert client.post("/auth/login", data={"phone": "13600000888", "password": "!unclaimed:"}).status_code == 200
    response = client.post("/auth/register", data={
        "phone": "13600000888", "display_name": "王德顺", "password": "my-secret-pw", "confirm": "my-secret-pw",
    })
    assert response.status_code == 302
    assert db.session.execute(sa.select(sa.func.count()).select_from(User).where(User.phone == "13600000888")).scalar_one() == 1


def test_excusing_a_no_show_needs_a_reason_and_is_on_the_record(client, organizer, program):
    past = make_event(program, starts_in=-timedelta(days=1), title="上周的讲座")
    came, missed = book(past, make_user("张桂芳"), make_user("刘建华"))
    attendance.mark_booking(past, came.id, AttendanceStatus.PRESENT, actor=organizer, now=now_utc())
    db.session.commit()
    login(client, organizer)
    page = client.get(f"/attendance/{past.id}/").get_data(as_text=True)
    assert "爽约 1" in page and "爽约" in row_html(page, f"b{missed.id}")
    url = f"/attendance/{past.id}/bookings/{missed.id}/excuse"
    response = client.post(url, data={"reason": "  "})
    assert response.status_code == 400
    assert "请填写原因" in row_html(response.get_data(as_text=True), f"b{missed.id}")
    response = client.post(url, data={"reason": "提前打电话请过假"}, follow_redirects=True)
    page = response.get_data(as_text=True)
    assert "刘建华 的缺席已准假" in page
    assert "已请假" in row_html(page, f"b{missed.id}") and "提前打电话请过假" in page
    assert "缺席 → 已请假" in page  # the record of changes
    assert client.post(f"/attendance/{past.id}/bookings/{came.id}/excuse", data={"reason": "?"}, follow_redirects=True) \
        .get_data(as_text=True).count("只有缺席才能准假") == 1


# --- the QR screen and self check-in -----------------------------------------------------------


def test_the_check_in_screen_shows_a_qr_code_that_reloads_with_the_code(client, organizer, event, program):
    login(client, organizer)
    response = client.get(f"/attendance/{event.id}/screen")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 1 <= int(response.headers["Refresh"]) <= 30
    assert '<svg viewBox' in page and "/attendance/checkin/" in page
    url = re.search(r'data-url="([^"]+)"', page).group(1)
    assert url.startswith("http://localhost/attendance/checkin/")
    later = make_event(program, starts_in=timedelta(days=1))
    page = client.get(f"/attendance/{later.id}/screen").get_data(as_text=True)
    assert "签到将于" in page and "<svg" not in page


def test_a_resident_scans_logs_in_and_checks_in(client, app, event):
    resident = make_user("张桂芳")
    book(event, resident)
    code = checkin.checkin_code(event.id, now=now_utc(), secret=app.config["SECRET_KEY"])
    url = f"/attendance/checkin/{code}"
    response = client.get(url)
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    response = client.post("/auth/login?next=" + quote(url), data={
        "phone": resident.phone, "password": "correct horse battery", "next": url,
    })
    assert response.headers["Location"] == url
    page = client.get(url).get_data(as_text=True)
    assert "立即签到" in page and event.title in page
    response = client.post(url, data={})
    assert response.status_code == 302
    page = client.get(url).get_data(as_text=True)
    assert "您已签到" in page and "立即签到" not in page
    row = db.session.execute(sa.select(Attendance)).scalar_one()
    assert row.method is CheckInMethod.QR and row.updated_by_id == resident.id
    client.post(url, data={})  # twice is harmless
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attendance)).scalar_one() == 1


def test_a_scan_stays_good_while_logging_in_but_a_stale_link_alone_does_not(client, app, event):
    resident = make_user("张桂芳")
    book(event, resident)
    secret = app.config["SECRET_KEY"]
    fresh = f"/attendance/checkin/{checkin.checkin_code(event.id, now=now_utc(), secret=secret)}"
    stale = f"/attendance/checkin/{checkin.checkin_code(event.id, now=now_utc() - timedelta(minutes=2), secret=secret)}"

    response = client.get(stale)
    assert response.status_code == 400 and "二维码已过期" in response.get_data(as_text=True)
    client.get(fresh)  # scanned in time, then logging in took a while
    login(client, resident)
    assert "立即签到" in client.get(stale).get_data(as_text=True)

    other_browser = app.test_client()
    login(other_browser, resident)
    assert other_browser.get(stale).status_code == 400


def test_forged_codes_and_people_without_a_booking_are_refused(client, app, event):
    stranger = make_user("陌生人")
    login(client, stranger)
    for code in ("forged", checkin.checkin_code(event.id, now=now_utc(), secret="not our key"), "x" * 5000):
        response = client.get(f"/attendance/checkin/{code}")
        assert response.status_code in (400, 404)
        if response.status_code == 400:
            assert "二维码无效" in response.get_data(as_text=True)
    code = checkin.checkin_code(event.id, now=now_utc(), secret=app.config["SECRET_KEY"])
    page = client.get(f"/attendance/checkin/{code}").get_data(as_text=True)
    assert "您没有本场活动的预约" in page and "立即签到" not in page
    response = client.post(f"/attendance/checkin/{code}", data={}, follow_redirects=True)
    assert "您没有本场活动的预约" in response.get_data(as_text=True)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Attendance)).scalar_one() == 0


# --- exports ------------------------------------------------------------------------------------


def _past_lecture_with_attendance(program, organizer):
    past = make_event(program, starts_in=-timedelta(days=3), title="临淄齐国故城的城郭与街巷")
    bookings = book(past, make_user("张桂芳"), make_user("刘建华"), make_user("陈玉兰"), make_user("=HYPERLINK(1)"))
    now = now_utc()
    attendance.mark_booking(past, bookings[0].id, AttendanceStatus.PRESENT, actor=organizer, now=now)
    attendance.mark_booking(past, bookings[1].id, AttendanceStatus.LATE, actor=organizer, now=now)
    attendance.add_walk_in(past, name="王德顺", phone="13600000888", actor=organizer, now=now)
    db.session.commit()
    return past


def test_an_events_attendance_as_csv_and_excel(client, organizer, program):
    past = _past_lecture_with_attendance(program, organizer)
    login(client, organizer)
    response = client.get(f"/attendance/{past.id}/export.csv")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    day = to_local(past.starts_at).strftime("%Y-%m-%d")
    name = f"出勤_{day}_临淄齐国故城的城郭与街巷.csv"
    assert f"filename*=UTF-8''{quote(name)}" in response.headers["Content-Disposition"]
    body = response.get_data()
    assert body.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0] == ["姓名", "手机号", "类型", "预约号", "状态", "签到时间", "签到方式", "说明"]
    statuses = {row[0]: row[4] for row in rows[1:]}
    assert statuses == {"张桂芳": "到场", "刘建华": "迟到", "陈玉兰": "爽约", "'=HYPERLINK(1)": "爽约", "王德顺": "到场"}
    assert {row[0]: row[2] for row in rows[1:]}["王德顺"] == "现场"

    response = client.get(f"/attendance/{past.id}/export.xlsx")
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    assert quote(f"出勤_{day}_临淄齐国故城的城郭与街巷.xlsx") in response.headers["Content-Disposition"]
    sheet = openpyxl.load_workbook(io.BytesIO(response.get_data())).active
    values = list(sheet.values)
    assert values[0][:5] == ("姓名", "手机号", "类型", "预约号", "状态")
    assert len(values) == 6 and sum(1 for v in values if v[4] == "爽约") == 2
    assert all(not str(v[0]).startswith("=") for v in values)


def test_a_programs_attendance_over_a_date_range(client, organizer, program):
    past = _past_lecture_with_attendance(program, organizer)
    older = make_event(program, starts_in=-timedelta(days=40), title="管仲与齐国的富国之道")
    book(older, make_user("孙秀英"))
    login(client, organizer)
    url = "/attendance/programs/wenshi-jiangtang/export"
    page = client.get(url).get_data(as_text=True)
    assert 'name="start"' in page and 'name="end"' in page

    day = to_local(past.starts_at).date()
    response = client.get(url, query_string={"start": day.isoformat(), "end": day.isoformat(), "format": "xlsx"})
    assert response.status_code == 200
    workbook = openpyxl.load_workbook(io.BytesIO(response.get_data()))
    assert workbook.sheetnames == ["出勤", "汇总"]
    detail = list(workbook["出勤"].values)
    assert detail[0][:3] == ("日期", "活动", "姓名") and len(detail) == 6
    assert {row[1] for row in detail[1:]} == {"临淄齐国故城的城郭与街巷"}
    summary = list(workbook["汇总"].values)
    assert summary[0] == ("日期", "活动", "应到", "到场", "迟到", "缺席", "爽约", "已请假", "现场登记")
    assert summary[1][2:] == (5, 2, 1, 0, 2, 0, 1)  # the walk-in is expected and present too

    both = {"start": (day - timedelta(days=60)).isoformat(), "end": day.isoformat(), "format": "csv"}
    response = client.get(url, query_string=both)
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8-sig"))))
    assert len(rows) == 1 + 5 + 1 and rows[1][1] == "管仲与齐国的富国之道" and rows[1][6] == "未签到"
    assert "filename*=UTF-8''" in response.headers["Content-Disposition"]
    assert quote("周三文史讲堂") in response.headers["Content-Disposition"]

    for query, message in (
        ({"start": "2026-05-01", "end": "2026-04-01", "format": "csv"}, "结束日期不能早于开始日期"),
        ({"start": "2020-01-01", "end": "2026-01-01", "format": "csv"}, "一次最多导出一年"),
        ({"start": "nonsense", "end": "", "format": "xlsx"}, "请选择日期"),
        ({"start": "1900-01-01", "end": "1900-01-02", "format": "csv"}, "请选择 2000 年到 2100 年之间的日期"),
    ):
        response = client.get(url, query_string=query)
        assert response.status_code == 200 and response.mimetype == "text/html"
        assert message in response.get_data(as_text=True), query


# --- dashboard ------------------------------------------------------------------------------------


def test_the_dashboard_draws_charts_with_the_numbers_beneath(client, organizer, program, count_queries, time_machine):
    # Mid-month, so that "three days ago" falls in the month the last row of the table shows.
    time_machine.move_to(datetime(2026, 11, 18, 10, 0, tzinfo=LOCAL_TZ), tick=True)
    _past_lecture_with_attendance(program, organizer)
    login(client, organizer)
    with count_queries() as few:
        response = client.get("/attendance/dashboard")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert page.count('<figure class="chart"><svg') == 2
    assert "<script" not in page.split("<footer")[0].replace('<script src="/static/', "")
    assert "kozea.github.io" not in page and "//" not in re.sub(r'(xmlns(:\w+)?|href)="[^"]*"', "", page.split('<figure class="chart">')[1])
    table = page[page.index("<tbody>"):page.index("</tbody>")]
    last_month = table[table.rindex("<tr>"):]
    # held 1 · 5 seats · 4 bookings · 2 came · 1 walk-in · 50% · 50% · volunteer hours —
    cells = re.findall(r"<td[^>]*>([^<]*)", last_month)
    assert cells[1:] == ["5", "4", "2", "1", "50%", "50%", "0.0"] and cells[0].strip() == "1"

    for index in range(3):
        more = make_event(program, starts_in=-timedelta(days=5 + index), title=f"讲座{index}")
        book(more, make_user(f"居民{index}"))
    with count_queries() as more_events:
        client.get("/attendance/dashboard")
    assert len(more_events) == len(few)
    assert client.get("/attendance/dashboard?months=999&program=nope").status_code == 200


# --- my bookings and the booking pause ----------------------------------------------------------


def test_my_bookings_show_the_ticket_qr_and_how_i_did(client, organizer, program, event):
    resident = make_user("张桂芳")
    [booking] = book(event, resident)
    past = make_event(program, starts_in=-timedelta(days=2), title="上周的讲座")
    book(past, resident, make_user("刘建华"))
    other = db.session.execute(sa.select(Booking).where(Booking.event_id == past.id, Booking.user_id != resident.id)).scalar_one()
    attendance.mark_booking(past, other.id, AttendanceStatus.PRESENT, actor=organizer, now=now_utc())
    db.session.commit()
    login(client, resident)
    page = client.get("/account/bookings").get_data(as_text=True)
    assert booking.display_code in page and '<div class="ticket-qr" role="img"' in page and "<svg" in page
    assert "爽约" in page and "最近 90 天内有 1 次" in page


def test_a_paused_resident_sees_why_and_until_when(client, organizer, program):
    resident = make_user("王德顺")
    ends = []
    for days in (40, 20, 5):
        past = make_event(program, starts_in=-timedelta(days=days), title=f"{days}天前的讲座")
        came, _missed = book(past, make_user("到场的人"), resident)
        attendance.mark_booking(past, came.id, AttendanceStatus.PRESENT, actor=organizer, now=now_utc())
        ends.append(past.ends_at)
    db.session.commit()
    coming = make_event(program, starts_in=timedelta(days=3))
    login(client, resident)
    response = client.post(f"/lectures/{coming.id}/book", data={}, follow_redirects=True)
    page = response.get_data(as_text=True)
    until = to_local(ends[-1] + timedelta(days=30))
    assert f"{until.month}月{until.day}日" in page and "3 次" in page
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking).where(Booking.event_id == coming.id)).scalar_one() == 0
    page = client.get("/account/bookings").get_data(as_text=True)
    assert "暂停预约" in page and "40天前的讲座" in page and f"{until.month}月{until.day}日" in page


def test_mark_no_shows_command(app, organizer, program):
    past = make_event(program, starts_in=-timedelta(days=1))
    came, missed = book(past, make_user("甲"), make_user("乙"))
    # Taken while the event was on: the absence became a no-show at its end, unwritten.
    attendance.mark_booking(past, came.id, AttendanceStatus.PRESENT, actor=organizer,
                            now=past.starts_at + timedelta(minutes=5))
    db.session.commit()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["mark-no-shows"]).output.strip() == "1 no-shows recorded."
    assert runner.invoke(args=["mark-no-shows"]).output.strip() == "0 no-shows recorded."
    assert status_of(missed) is AttendanceStatus.ABSENT
