"""Subscribing to calendars on a phone: the buttons, the personal link and its reset."""
from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from models import db
from services.booking import book_seat
from services.dates import now_utc
from tests.conftest import make_event, make_program, make_user
from tests.e2e.test_journeys import log_in

pytestmark = pytest.mark.e2e

PERSONAL_URL = re.compile(r"^http://127\.0\.0\.1:\d+/calendar/u/[A-Za-z0-9_-]{43}\.ics$")


def test_resident_subscribes_and_resets_the_personal_calendar_link(live_server, phone, shot):
    program = make_program(slug="wenshi-jiangtang", name="周三文史讲堂", series=["齐国故城系"])
    event = make_event(program, title="临淄齐国故城的城郭与街巷", series=program.series[0])
    resident = make_user("张桂芳")
    book_seat(event, resident, now=now_utc())
    db.session.commit()

    page = phone()
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server)
    page.goto(live_server + "/lectures/")
    page.get_by_text("订阅日历", exact=True).click()
    panel = page.locator("#subscribe-wenshi-jiangtang")
    feed = f"{live_server}/calendar/wenshi-jiangtang.ics"
    expect(panel.get_by_role("link", name="订阅到手机日历")).to_have_attribute("href", feed.replace("http://", "webcal://"))
    expect(panel.get_by_role("link", name="添加到 Google 日历")).to_have_attribute(
        "href", re.compile(r"^https://calendar\.google\.com/calendar/r\?cid=webcal%3A%2F%2F127\.0\.0\.1")
    )
    expect(panel.get_by_role("textbox")).to_have_value(feed)
    panel.get_by_role("button", name="复制").click()
    expect(panel.get_by_role("button", name="已复制")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == feed
    shot(page, "1-lectures-subscribe")

    page.get_by_role("link", name="临淄齐国故城的城郭与街巷").click()
    download = page.get_by_role("link", name="添加到我的日历")
    expect(download).to_have_attribute("href", f"/calendar/events/{event.id}.ics")
    assert page.request.get(live_server + f"/calendar/events/{event.id}.ics").headers["content-type"] == "text/calendar; charset=utf-8"

    log_in(page, live_server, resident.phone)
    page.get_by_role("link", name="我的预约").click()
    page.get_by_role("link", name="把我的预约放进手机日历").click()
    expect(page.get_by_role("heading", name="我的日历", exact=True)).to_be_visible()
    shot(page, "2-no-link-yet")
    page.get_by_role("button", name="生成我的日历链接").click()
    expect(page.locator(".alert-success")).to_contain_text("您的日历链接已生成")
    old_url = page.locator("#personal-feed-url").input_value()
    assert PERSONAL_URL.match(old_url)
    expect(page.locator("#my-calendar-link").get_by_role("link", name="订阅到手机日历")).to_have_attribute(
        "href", old_url.replace("http://", "webcal://")
    )
    shot(page, "3-link-shown-once")
    feed_response = page.request.get(old_url)
    assert feed_response.status == 200
    assert "临淄齐国故城的城郭与街巷" in feed_response.text()

    page.reload()
    expect(page.locator("#personal-feed-url")).to_have_count(0)
    shot(page, "3b-link-made-earlier")
    page.get_by_role("button", name="生成新的日历链接").click()
    expect(page.locator(".alert-success")).to_contain_text("旧链接已失效")
    new_url = page.locator("#personal-feed-url").input_value()
    assert PERSONAL_URL.match(new_url) and new_url != old_url
    shot(page, "4-new-link")
    assert page.request.get(old_url).status == 404
    assert page.request.get(new_url).status == 200


def test_the_calendar_page_reads_in_english_too(live_server, phone, shot):
    resident = make_user("Zhang")
    page = phone("en")
    log_in_en(page, live_server, resident.phone)
    page.goto(live_server + "/account/calendar")
    page.get_by_role("button", name="Make my calendar link").click()
    expect(page.get_by_role("link", name="Subscribe in my calendar app")).to_be_visible()
    page.get_by_text("Subscribe to the community calendar").click()
    expect(page.locator("#all-events-feed")).to_have_value(live_server + "/calendar/all.ics")
    shot(page, "english")


def log_in_en(page, base: str, phone_number: str) -> None:
    from tests.conftest import PASSWORD

    page.goto(base + "/auth/login")
    page.locator("#phone").fill(phone_number)
    page.locator("#password").fill(PASSWORD)
    page.locator("button[type=submit]").last.click()
    expect(page.locator(".alert")).to_be_visible()
