"""A building leader's journey in a real Chromium at phone size (390×844): she adds a
neighbour without a phone, books her onto a full lecture's waiting list, prints the
week's sheet; a seat frees, the neighbour moves up and is checked in at the door by name."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import Attendance, AttendanceStatus, Booking, BookingStatus, OfflineResident, Role, User, db
from services.booking import book_seat
from tests.conftest import make_building, make_event, make_program, make_user
from tests.e2e.conftest import PHONE, SHOTS
from tests.e2e.test_journeys import log_in

pytestmark = pytest.mark.e2e


def test_a_leader_books_a_neighbour_without_a_phone_who_is_checked_in_by_name(live_server, phone, shot):
    leader = make_user("刘建华", phone="13900000021")
    building = make_building("3号楼", grid="12", grid_name="幸福里", leaders=[leader])
    organizer = make_user("李秀兰", phone="13800000001", roles=(Role.RESIDENT, Role.ORGANIZER))
    program = make_program(organizers=[organizer], slug="wenshi-jiangtang")
    # Starts in 25 minutes: booking is still open (it closes 5 minutes before) and the
    # door's check-in has opened (half an hour before).
    lecture = make_event(program, capacity=1, starts_in=timedelta(minutes=25), cutoff=timedelta(minutes=5),
                         title="管仲与齐国的富国之道")
    first = make_user("张桂芳", phone="13900000001")
    book_seat(lecture, first, now=lecture.starts_at - timedelta(days=1))
    db.session.commit()

    # The leader adds her neighbour, who has no phone, with her consent.
    page = phone()
    log_in(page, live_server, leader.phone)
    page.get_by_role("link", name="我的楼栋").click()
    expect(page.get_by_role("heading", name="我的楼栋")).to_be_visible()
    shot(page, "1-my-buildings")
    page.get_by_role("link", name="添加无手机的居民").click()
    page.get_by_label("居民姓名").fill("王桂英")
    page.get_by_label("单元（选填）").fill("1单元")
    page.get_by_label("房号（选填）").fill("102")
    shot(page, "2-add-neighbour")
    page.get_by_role("button", name="添加居民").click()
    expect(page.locator("#consent-error")).to_contain_text("请先征得居民")  # the consent box was not ticked
    page.get_by_label("居民（或家属）同意").check()
    page.get_by_role("button", name="添加居民").click()
    expect(page.get_by_role("heading", name="王桂英", exact=True)).to_be_visible()
    expect(page.locator(".panel", has_text="手机")).to_contain_text("无手机")

    # The lecture is full: she goes on its waiting list, booked by the leader.
    card = page.locator("article", has_text="管仲与齐国的富国之道")
    expect(card).to_contain_text("已满")
    card.get_by_role("button", name="代约候补").click()
    expect(page.locator(".alert")).to_contain_text("候补名单上排第 1 位")
    shot(page, "3-booked-on-waiting-list")

    # The week's sheet, on screen and as printed on A4.
    page.get_by_role("link", name="← 我的楼栋").click()
    page.get_by_role("link", name="打印本周预约单").click()
    slip = page.locator(".sheet-slip", has_text="王桂英")
    expect(slip).to_contain_text("管仲与齐国的富国之道")
    expect(slip).to_contain_text("候补第 1 位")
    shot(page, "4-weekly-sheet")
    page.emulate_media(media="print")
    expect(page.locator(".site-nav")).to_be_hidden()
    expect(page.get_by_role("button", name="打印")).to_be_hidden()
    shot(page, "5-weekly-sheet-printed")
    SHOTS.mkdir(parents=True, exist_ok=True)
    pdf = page.pdf(path=str(SHOTS / "test_buildings-weekly-sheet.pdf"), format="A4", print_background=True)
    assert pdf.startswith(b"%PDF")
    page.set_viewport_size({"width": 794, "height": 1123})  # an A4 page at 96 dpi, to look at
    shot(page, "5-weekly-sheet-a4")
    page.set_viewport_size(PHONE)
    page.emulate_media(media="screen")

    neighbour = db.session.execute(sa.select(User).where(User.display_name == "王桂英")).scalar_one()
    assert not neighbour.has_phone and db.session.get(OfflineResident, neighbour.id).added_by_id == leader.id
    waiting = db.session.execute(sa.select(Booking).where(Booking.user_id == neighbour.id)).scalar_one()
    assert waiting.status is BookingStatus.WAITLISTED and waiting.booked_by_id == leader.id

    # 张桂芳 can't come after all and cancels: the seat goes to the neighbour.
    resident = phone()
    log_in(resident, live_server, first.phone)
    resident.goto(live_server + "/account/bookings")
    resident.get_by_role("link", name="取消预约").click()
    resident.get_by_role("dialog").get_by_role("button", name="确定取消预约").click()
    expect(resident.locator(".alert")).to_contain_text("已取消预约")
    db.session.rollback()  # end the test's snapshot: read what the server wrote
    assert db.session.get(Booking, waiting.id).status is BookingStatus.CONFIRMED

    # The leader's page now shows her ticket number.
    page.goto(live_server + f"/buildings/residents/{neighbour.id}")
    expect(page.locator(".booked-card")).to_contain_text("已预约")
    expect(page.locator(".booked-card")).to_contain_text(waiting.display_code)
    shot(page, "6-promoted")

    # At the door the organizer finds her by name and checks her in.
    door = phone()
    log_in(door, live_server, organizer.phone)
    door.goto(live_server + f"/attendance/{lecture.id}/")
    door.get_by_label("按姓名或手机尾号查找").fill("王桂英")
    expect(door.locator(".roster-row:visible")).to_have_count(1)
    expect(door.locator(".roster-row:visible")).to_contain_text("无手机")
    door.get_by_role("button", name="王桂英：到场").click()
    expect(door.locator(f"#row-b{waiting.id} .status-label")).to_have_text("到场")
    shot(door, "7-checked-in-by-name")

    db.session.rollback()  # end the test's snapshot: read what the server wrote
    row = db.session.execute(sa.select(Attendance).where(Attendance.booking_id == waiting.id)).scalar_one()
    assert row.status is AttendanceStatus.PRESENT and row.user_id == neighbour.id
