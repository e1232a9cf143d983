"""My account on a phone: logging out on every device, my data, deleting the account —
and the Content-Security-Policy leaves every page and script working."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models import User, db
from tests.conftest import make_child, make_user
from tests.e2e.test_journeys import log_in

pytestmark = pytest.mark.e2e


def test_logging_out_everywhere_then_deleting_the_account(live_server, phone, shot):
    user = make_user("张桂芳", phone="13912345670")
    make_child(user, "王小明")
    page, tablet = phone(), phone()
    violations = []
    for browser_page in (page, tablet):
        browser_page.on("console", lambda message: violations.append(message.text)
                        if "Content Security Policy" in message.text else None)
    log_in(page, live_server, user.phone)
    log_in(tablet, live_server, user.phone)

    page.get_by_role("link", name="我的账号").click()
    expect(page.get_by_role("heading", name="在所有设备上退出")).to_be_visible()
    shot(page, "1-account")
    page.get_by_role("button", name="在所有设备上退出").click()
    expect(page.locator(".alert")).to_contain_text("已在所有设备上退出登录")
    tablet.goto(live_server + "/account/bookings")
    expect(tablet).to_have_url(live_server + "/auth/login?next=%2Faccount%2Fbookings")

    log_in(page, live_server, user.phone)
    page.goto(live_server + "/account/data")
    expect(page.get_by_text("孩子：1")).to_be_visible()
    shot(page, "2-my-data")
    with page.expect_download() as download:
        page.get_by_role("link", name="下载表格（CSV）").click()
    from pathlib import Path

    assert "王小明" in Path(download.value.path()).read_text(encoding="utf-8-sig")

    page.goto(live_server + "/account/delete")
    page.get_by_label("您的密码").fill("correct horse battery")
    page.get_by_role("button", name="确认注销账号").click()
    expect(page.locator(".invalid-feedback, .text-danger").first).to_contain_text("请勾选以确认")
    page.get_by_label("您的密码").fill("correct horse battery")
    page.get_by_label("我明白").check()
    shot(page, "3-delete")
    page.get_by_role("button", name="确认注销账号").click()
    expect(page.locator(".alert")).to_contain_text("您的账号已注销")
    db.session.expire_all()
    assert db.session.get(User, user.id).is_deleted
    assert violations == []


def test_the_account_page_in_english(live_server, phone, shot):
    user = make_user("Zhang Guifang")
    page = phone("en")
    page.goto(live_server + "/auth/login")
    page.get_by_label("Mobile number").fill(user.phone)
    page.get_by_label("Password").fill("correct horse battery")
    page.get_by_role("button", name="Log in").click()
    page.goto(live_server + "/account/")
    expect(page.get_by_role("button", name="Log out on all devices")).to_be_visible()
    box = page.get_by_role("button", name="Log out on all devices").bounding_box()
    assert box["height"] >= 44
    shot(page, "account-en")
