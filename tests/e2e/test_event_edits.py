"""Changing what was made, in a real Chromium at phone size: a troupe leader moves a
performance to another room and time and the resident who booked keeps the seat; an
organizer lays out a term that leaves out 国庆节 and 春节, then copies it to the next term."""
from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from playwright.sync_api import expect

from models import Role, db
from services import troupes
from services.booking import book_seat
from services.dates import LOCAL_TZ, local_datetime, now_utc, to_local
from tests.conftest import make_program, make_troupe, make_user, make_venue
from tests.e2e.test_journeys import log_in

pytestmark = pytest.mark.e2e


def test_a_troupe_leader_moves_a_performance_and_the_booked_resident_keeps_the_seat(live_server, phone, shot):
    now = now_utc()
    leader = make_user("韩秀梅")
    program = make_troupe("吕剧团", leader=leader, slug="lvju")
    hall = make_venue("社区文化服务中心 多功能厅")
    make_venue("城市书房")
    day = to_local(now).date() + timedelta(days=5)
    show = troupes.add_performance(program, troupes.PerformancePlan(
        title="吕剧专场：《李二嫂改嫁》选段", summary="吕剧团汇报演出", starts_at=local_datetime(day, time(14)),
        ends_at=local_datetime(day, time(16)), capacity=60, booking_cutoff_minutes=60, venue=hall,
    ), actor=leader, now=now)
    resident = make_user("张桂芳")
    seat = book_seat(show, resident, now=now)
    db.session.commit()
    new_day = day + timedelta(days=2)

    page = phone()
    log_in(page, live_server, leader.phone)
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="文体队伍").click()
    page.get_by_role("link", name="吕剧团").first.click()
    page.get_by_role("link", name="管理队伍").click()
    page.locator(".event-card", has_text="吕剧专场").get_by_role("link", name="修改").click()
    expect(page.get_by_role("heading", name="修改本场演出")).to_be_visible()
    page.get_by_label("日期").fill(new_day.isoformat())
    page.get_by_label("开始时间").fill("15:00")
    page.get_by_label("结束时间").fill("17:00")
    page.get_by_label("地点").select_option(label="城市书房")
    shot(page, "1-change-the-performance")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".alert").first).to_contain_text("修改已保存")
    expect(page.get_by_text("已预约的 1 人保留名额。请把新的时间和地点告诉他们。")).to_be_visible()
    expect(page.get_by_text("城市书房").first).to_be_visible()
    shot(page, "2-saved")

    booker = phone()
    log_in(booker, live_server, resident.phone)
    booker.get_by_role("link", name="我的预约").click()
    card = booker.locator(".event-card", has_text="吕剧专场")
    expect(card).to_contain_text("城市书房")
    expect(card).to_contain_text(f"{new_day.month}月{new_day.day}日")
    expect(card).to_contain_text("15:00")
    expect(card.locator(".ticket")).to_have_text(seat.display_code)
    shot(booker, "3-the-seat-is-still-mine")


def test_an_organizer_lays_out_a_term_around_the_holidays_and_copies_it(live_server, phone, shot, time_machine):
    time_machine.move_to(datetime(2025, 8, 25, 9, 0, tzinfo=LOCAL_TZ), tick=True)
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    make_program(slug="wenshi-jiangtang", name="周三文史讲堂", organizers=[organizer], series=["齐国故城系", "文化名人"])
    make_venue("社区文化服务中心 多功能厅")

    page = phone()
    log_in(page, live_server, organizer.phone)
    page.get_by_role("link", name="管理", exact=True).click()
    page.get_by_role("link", name="添加一期讲座").click()
    page.get_by_label("学期名称").fill("2025 秋冬学期")
    page.get_by_label("开始日期").fill("2025-09-03")
    page.get_by_label("结束日期").fill("2026-02-25")
    page.get_by_label("开始时间").fill("09:30")
    page.get_by_label("结束时间").fill("11:00")
    page.get_by_label("地点").select_option(label="社区文化服务中心 多功能厅")
    page.get_by_label("名额").fill("40")
    page.get_by_role("button", name="下一步：核对日期").click()

    preview = page.locator(".layout-preview")
    expect(preview).to_contain_text("将在以下 23 天创建")
    expect(preview).to_contain_text("10月1日 周三 · 国庆节（法定节假日）")
    expect(preview).to_contain_text("10月8日 周三 · 国庆节（法定节假日）")
    expect(preview).to_contain_text("2月18日 周三 · 春节（法定节假日）")
    shot(page, "1-the-dates-checked")
    page.get_by_role("button", name="生成讲座").click()
    expect(page.locator(".alert").first).to_contain_text("已添加 23 场讲座")
    expect(page.locator(".alert").nth(1)).to_contain_text("10月1日 国庆节（法定节假日）")
    shot(page, "2-term-created")

    page.locator(".schedule-row", has_text="2025 秋冬学期").get_by_role("link", name="复制到新一期").click()
    expect(page.get_by_label("开始日期")).to_have_value("2026-03-04")
    expect(page.get_by_label("结束日期")).to_have_value("2026-08-26")
    expect(page.get_by_label("开始时间")).to_have_value("09:30")
    page.get_by_label("学期名称").fill("2026 春夏学期")
    page.get_by_role("button", name="下一步：核对日期").click()
    expect(page.locator(".layout-preview")).to_contain_text("将在以下 26 天创建")
    shot(page, "3-the-copy-checked")
    page.get_by_role("button", name="生成讲座").click()
    expect(page.locator(".alert").first).to_contain_text("已添加 26 场讲座")
    expect(page.locator(".schedule-row", has_text="2026 春夏学期")).to_contain_text("3月4日")
    shot(page, "4-both-terms")
