"""Journeys people make, in a real Chromium at phone size."""
from __future__ import annotations

import re
from datetime import timedelta

import pytest
from playwright.sync_api import expect

from models import Role
from services.booking import book_seat
from models import db
from tests.conftest import PASSWORD, make_event, make_program, make_user

pytestmark = pytest.mark.e2e


def log_in(page, base: str, phone: str, password: str = PASSWORD) -> None:
    page.goto(base + "/auth/login")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".alert")).to_contain_text("欢迎回来")


def test_new_resident_books_cancels_and_the_waiting_resident_gets_the_seat(live_server, phone, shot):
    program = make_program(series=["齐国故城系"])
    event = make_event(program, capacity=1, title="临淄齐国故城的城郭与街巷", series=program.series[0])
    waiting = make_user("刘建华")

    page = phone()
    page.goto(live_server + "/lectures/")
    expect(page.get_by_text("剩余名额 1 / 1")).to_be_visible()
    shot(page, "1-lectures")

    page.get_by_role("link", name="临淄齐国故城的城郭与街巷").click()
    page.get_by_role("link", name="登录后预约").click()
    page.get_by_role("link", name="注册").last.click()
    page.get_by_label("手机号").fill("139 1234 5678")
    page.get_by_label("姓名").fill("张桂芳")
    page.get_by_label("密码", exact=True).fill("my-secret-pw")
    page.get_by_label("再次输入密码").fill("my-secret-pw")
    shot(page, "2-register")
    page.get_by_role("button", name="注册").click()
    expect(page.locator(".alert")).to_contain_text("账号已注册成功")

    page.goto(live_server + f"/lectures/{event.id}")
    page.get_by_role("button", name="预约座位").click()
    expect(page.locator(".alert")).to_contain_text("预约成功")
    shot(page, "3-booked")

    # Meanwhile the lecture is full, so 刘建华 joins the waiting list on her own phone.
    other = phone()
    log_in(other, live_server, waiting.phone)
    other.goto(live_server + f"/lectures/{event.id}")
    other.get_by_role("button", name="加入候补").click()
    expect(other.locator(".alert")).to_contain_text("已加入候补，第 1 位")

    page.get_by_role("link", name="我的预约").click()
    card = page.locator("article", has_text="临淄齐国故城的城郭与街巷")
    expect(card.get_by_text("预约号")).to_be_visible()
    shot(page, "4-my-bookings")
    card.get_by_role("link", name="取消预约").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("您的座位会立即给候补第 1 位，取消后无法恢复。")
    shot(page, "4b-asked-first")
    dialog.get_by_role("button", name="确定取消预约").click()
    expect(page.locator(".alert")).to_contain_text("已取消预约。座位已经给了候补的下一位。")
    expect(page.get_by_role("button", name="撤销：保留我的座位")).to_have_count(0)
    expect(page.get_by_text("您近期没有预约")).to_be_visible()

    other.get_by_role("link", name="我的预约").click()
    expect(other.locator("article", has_text="临淄齐国故城的城郭与街巷").get_by_text("已预约")).to_be_visible()
    expect(other.get_by_text(re.compile(r"预约号"))).to_be_visible()
    shot(other, "5-waiting-resident-got-the-seat")


def test_organizer_lays_out_a_term_and_cancels_a_lecture(live_server, phone, shot, quiet_weeks):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program = make_program(organizers=[organizer], slug="wenshi-jiangtang")
    resident = make_user("王德顺")
    today = quiet_weeks  # four Wednesdays without a holiday ahead
    first = make_event(program, starts_in=timedelta(days=200), title="管仲与齐国的富国之道")
    book_seat(first, resident, now=today)
    db.session.commit()

    page = phone()
    log_in(page, live_server, organizer.phone)
    page.get_by_role("link", name="管理").click()
    shot(page, "0-manage")
    page.get_by_role("link", name="添加一期讲座").click()
    start = (today + timedelta(days=7)).date()
    page.get_by_label("学期名称").fill("冬季学期")
    page.get_by_label("开始日期").fill(start.isoformat())
    page.get_by_label("结束日期").fill((start + timedelta(days=27)).isoformat())
    page.get_by_label("开始时间").fill("09:30")
    page.get_by_label("结束时间").fill("11:00")
    page.get_by_label("名额").fill("0")
    page.get_by_role("button", name="下一步：核对日期").click()
    expect(page.locator(".invalid-feedback")).to_have_text("请输入 1 到 2000 之间的数字。")
    shot(page, "1-term-error")
    page.get_by_label("名额").fill("40")
    page.get_by_role("button", name="下一步：核对日期").click()
    expect(page.locator(".layout-preview")).to_contain_text("将在以下 4 天创建")
    page.get_by_role("button", name="生成讲座").click()
    expect(page.locator(".alert")).to_contain_text("已添加 4 场讲座")
    shot(page, "2-manage")

    page.goto(live_server + f"/lectures/{first.id}")
    page.get_by_role("link", name="取消本场讲座").click()
    page.get_by_label("原因（居民会看到）").fill("主讲老师临时外出，改期另行通知")
    page.get_by_role("button", name="取消本场讲座").click()
    expect(page.locator(".alert")).to_contain_text("本场讲座已取消，已预约的居民会看到原因")

    other = phone()
    log_in(other, live_server, resident.phone)
    other.get_by_role("link", name="我的预约").click()
    expect(other.get_by_text("主办方已取消")).to_be_visible()
    expect(other.get_by_text("主讲老师临时外出")).to_be_visible()
    shot(other, "3-resident-sees-cancellation")


def test_the_site_reads_in_english_after_the_switch(live_server, phone, shot):
    make_event(title="管仲与齐国的富国之道")
    page = phone()
    page.goto(live_server + "/lectures/")
    page.get_by_role("link", name="English").click()
    expect(page.get_by_role("heading", name="Wednesday culture & history lectures")).to_be_visible()
    page.get_by_role("link", name="管仲与齐国的富国之道").click()
    expect(page.get_by_role("link", name="Log in to book")).to_be_visible()
    shot(page, "english-detail")
    page.get_by_role("link", name="中文").click()
    expect(page.get_by_role("link", name="登录后预约")).to_be_visible()
