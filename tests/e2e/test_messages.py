"""Messages (消息) at phone size: a resident is told her seat came free, an organizer writes
to the people booked, a resident chooses email."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models import Role, db
from services import booking, notifications
from services.dates import now_utc
from tests.conftest import make_event, make_program, make_user
from tests.e2e.test_journeys import log_in

pytestmark = pytest.mark.e2e


def tap_targets_are_big_enough(page, selector: str = "main .btn, main .form-check-input + label") -> None:
    for box in (element.bounding_box() for element in page.locator(selector).all()):
        if box is not None:
            assert box["height"] >= 40, box  # a label beside a 1.4 rem box, or a ≥ 44 px button


def test_the_waiting_resident_is_told_her_seat_came_free(live_server, phone, shot):
    event = make_event(capacity=1, title="临淄齐国故城的城郭与街巷")
    holder, resident = make_user("刘建华"), make_user("张桂芳")
    now = now_utc()
    first = booking.book_seat(event, holder, now=now)
    booking.book_seat(event, resident, now=now, waitlist=True)
    notifications.notify([resident.id], notifications.K.PAUSE_LIFTED, now=now)
    db.session.commit()
    page = phone()
    log_in(page, live_server, resident.phone)
    expect(page.locator("#messages-link .unread-count")).to_have_text("1")

    booking.cancel_booking(first, now=now_utc())
    db.session.commit()
    page.reload()
    expect(page.locator("#messages-link .unread-count")).to_have_text("2")
    page.locator("#messages-link").click()
    card = page.locator("article.message").first
    expect(card).to_contain_text("您有座位了：临淄齐国故城的城郭与街巷")
    expect(card).to_contain_text("预约号")
    tap_targets_are_big_enough(page)
    shot(page, "1-messages")
    card.get_by_role("button", name="查看详情").click()
    expect(page.get_by_role("heading", name="临淄齐国故城的城郭与街巷")).to_be_visible()
    expect(page.locator("#messages-link .unread-count")).to_have_text("1")

    page.locator("#messages-link").click()
    page.get_by_role("button", name="全部标为已读").click()
    expect(page.locator(".alert")).to_contain_text("所有消息已标为已读")
    expect(page.locator("#messages-link .unread-count")).to_have_count(0)

    english = phone("en")
    log_in_en = english.goto
    log_in_en(live_server + "/auth/login")
    english.get_by_label("Mobile number").fill(resident.phone)
    english.get_by_label("Password").fill("correct horse battery")
    english.get_by_role("button", name="Log in").click()
    english.get_by_role("link", name="Messages").click()
    expect(english.locator("article.message").first).to_contain_text("You have a seat: 临淄齐国故城的城郭与街巷")
    shot(english, "2-messages-en")


def test_an_organizer_writes_to_the_people_booked(live_server, phone, shot):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    event = make_event(make_program(organizers=[organizer]), capacity=5, title="稷下学宫：百家争鸣的讲堂")
    resident = make_user("张桂芳")
    booking.book_seat(event, resident, now=now_utc())
    db.session.commit()

    page = phone()
    log_in(page, live_server, organizer.phone)
    page.goto(live_server + f"/lectures/{event.id}")
    page.get_by_role("link", name="发消息").click()
    page.get_by_label("消息内容").fill("今天改在 101 教室，请带上老花镜。")
    page.get_by_label("已预约座位的人").check()
    tap_targets_are_big_enough(page)
    shot(page, "1-compose")
    page.get_by_role("button", name="看看能发给多少人").click()
    expect(page.locator("#preview")).to_contain_text("将发给 1 人")
    shot(page, "2-check")
    page.get_by_role("button", name="发送给 1 人").click()
    expect(page.locator(".alert")).to_contain_text("消息已发给 1 人")
    expect(page.get_by_text("今天改在 101 教室，请带上老花镜。")).to_be_visible()
    shot(page, "3-sent")

    reader = phone()
    log_in(reader, live_server, resident.phone)
    reader.locator("#messages-link").click()
    expect(reader.locator("article.message").first).to_contain_text("今天改在 101 教室")


def test_a_resident_chooses_email_and_a_calendar_reminder(live_server, phone, shot):
    resident = make_user("张桂芳")
    page = phone()
    log_in(page, live_server, resident.phone)
    page.goto(live_server + "/messages/")
    expect(page.get_by_text("还没有消息")).to_be_visible()
    shot(page, "1-no-messages")
    page.get_by_role("link", name="也发到我的邮箱").click()
    page.get_by_label("邮箱（选填）").fill("zhang@example")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".invalid-feedback")).to_contain_text("请填写正确的邮箱地址")
    page.get_by_label("邮箱（选填）").fill("zhang@example.org")
    page.get_by_label("活动前一天的提醒").uncheck()
    tap_targets_are_big_enough(page)
    shot(page, "2-email-settings")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text("已保存。您选择的消息也会发到 zhang@example.org")

    page.get_by_role("link", name="在手机日历里提前提醒我").click()
    page.get_by_label("日历提醒").select_option(label="提前 1 小时")
    page.locator("#alarm").get_by_role("button", name="保存").click()
    expect(page.locator(".alert-success")).to_contain_text("日历会在您预约的每场活动前提醒您")
    shot(page, "3-calendar-alarm")
