"""Attendance at the door, in a real Chromium at phone size (390×844)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import Attendance, AttendanceStatus, CheckInMethod, Role, db
from services.booking import book_seat
from tests.conftest import make_event, make_program, make_user
from tests.e2e.conftest import PHONE
from tests.e2e.test_journeys import log_in

pytestmark = pytest.mark.e2e

NAMES = ["张桂芳", "刘建华", "陈玉兰", "王德顺", "李淑珍", "赵志刚"]


def lecture_at_the_door():
    """A lecture starting in ten minutes with six residents booked, and its organizer."""
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program = make_program(organizers=[organizer], slug="wenshi-jiangtang")
    event = make_event(program, capacity=40, starts_in=timedelta(minutes=10), title="管仲与齐国的富国之道")
    residents = [make_user(name, phone=f"1370000{index:04d}") for index, name in enumerate(NAMES, start=1)]
    bookings = [book_seat(event, r, now=event.starts_at - timedelta(days=1)) for r in residents]
    db.session.commit()
    return organizer, event, residents, bookings


def attendance_rows():
    db.session.expire_all()
    return db.session.execute(sa.select(Attendance).order_by(Attendance.id)).scalars().all()


def test_an_organizer_checks_in_five_people_in_under_ten_taps(live_server, phone, shot):
    organizer, event, residents, bookings = lecture_at_the_door()
    page = phone()
    log_in(page, live_server, organizer.phone)
    taps = 0

    def tap(locator):
        nonlocal taps
        taps += 1
        locator.click()

    page.goto(live_server + "/")
    tap(page.get_by_role("link", name="管理"))
    shot(page, "1-manage")
    tap(page.locator("article", has_text="管仲与齐国的富国之道").get_by_role("link", name="签到名单"))
    expect(page.get_by_role("heading", name="管仲与齐国的富国之道")).to_be_visible()
    expect(page.locator("#roster-counts")).to_contain_text("0 / 6 已签到")
    shot(page, "2-roster")

    for booking, name in zip(bookings[:5], NAMES):
        tap(page.get_by_role("button", name=f"{name}：到场"))
        expect(page.locator(f"#row-b{booking.id} .status-label")).to_have_text("到场")
    expect(page.locator("#roster-counts")).to_contain_text("5 / 6 已签到")
    expect(page.locator("#roster-message")).to_contain_text("李淑珍：到场")
    expect(page.locator("#roster-changes li")).to_have_count(5)
    assert page.url.endswith(f"/attendance/{event.id}/")  # never left the page
    shot(page, "3-five-checked-in")

    assert taps == 7 < 10
    rows = attendance_rows()
    assert len(rows) == 5 and {r.status for r in rows} == {AttendanceStatus.PRESENT}
    assert {r.updated_by_id for r in rows} == {organizer.id}

    # Searching by the last four digits of the phone finds the sixth at once.
    page.get_by_label("按姓名或手机尾号查找").fill("0006")
    expect(page.locator(".roster-row:visible")).to_have_count(1)
    tap(page.get_by_role("button", name="赵志刚：迟到"))
    expect(page.locator(f"#row-b{bookings[5].id} .status-label")).to_have_text("迟到")
    shot(page, "4-search-and-late")


def test_the_roster_works_without_javascript(browser, live_server, shot):
    organizer, event, residents, bookings = lecture_at_the_door()
    context = browser.new_context(viewport=PHONE, java_script_enabled=False)
    context.add_cookies([{"name": "lang", "value": "zh", "url": live_server}])
    try:
        page = context.new_page()
        log_in(page, live_server, organizer.phone)
        page.goto(live_server + f"/attendance/{event.id}/")
        page.get_by_role("button", name="王德顺：迟到").click()
        expect(page.locator(".alert")).to_contain_text("王德顺：迟到")
        assert page.url.endswith(f"#row-b{bookings[3].id}")
        expect(page.locator(f"#row-b{bookings[3].id} .status-label")).to_have_text("迟到")
        page.get_by_label("按预约号签到").fill(bookings[0].display_code)
        page.get_by_role("button", name="签到", exact=True).click()
        expect(page.locator(".alert")).to_contain_text("张桂芳 已签到")
        shot(page, "no-js-roster")
    finally:
        context.close()
    assert {(r.booking_id, r.status) for r in attendance_rows()} == {
        (bookings[3].id, AttendanceStatus.LATE), (bookings[0].id, AttendanceStatus.PRESENT),
    }


def test_a_resident_scans_the_screen_logs_in_and_checks_in(live_server, phone, shot):
    organizer, event, residents, bookings = lecture_at_the_door()
    screen = phone()
    log_in(screen, live_server, organizer.phone)
    screen.goto(live_server + f"/attendance/{event.id}/screen")
    expect(screen.get_by_text("请用手机扫码签到")).to_be_visible()
    expect(screen.locator(".qr-box svg")).to_be_visible()
    shot(screen, "1-screen")
    scanned = screen.locator(".qr-box").get_attribute("data-url")  # what the camera reads

    resident = phone()
    resident.goto(scanned)
    expect(resident.locator(".alert")).to_contain_text("请先登录再签到")
    resident.get_by_label("手机号").fill(residents[2].phone)
    resident.get_by_label("密码").fill("correct horse battery")
    resident.get_by_role("button", name="登录").click()
    expect(resident.get_by_role("heading", name="管仲与齐国的富国之道")).to_be_visible()
    shot(resident, "2-check-in-page")
    resident.get_by_role("button", name="立即签到").click()
    expect(resident.get_by_text("您已签到")).to_be_visible()
    shot(resident, "3-checked-in")

    [row] = attendance_rows()
    assert row.booking_id == bookings[2].id and row.method is CheckInMethod.QR
    screen.reload()
    expect(screen.locator(".checkin-count")).to_contain_text("已签到 1 人")

    resident.goto(live_server + "/account/bookings")
    expect(resident.locator("article", has_text="管仲与齐国的富国之道").locator(".ticket-row")).to_contain_text("已签到")
