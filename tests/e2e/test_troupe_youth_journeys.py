"""Troupes and youth programs as people use them, in a real Chromium at phone size:
a new parent adds a child and books classes; a resident applies to a troupe and its
leader approves them."""
from __future__ import annotations

from datetime import date, time, timedelta

import pytest
from playwright.sync_api import expect

from models import db
from services import schedules, troupes, youth
from services.dates import now_utc, to_local
from tests.conftest import every_day, make_troupe, make_user, make_youth_program
from tests.e2e.test_journeys import log_in

pytestmark = pytest.mark.e2e


def years_ago(day: date, years: int, days: int = 0) -> date:
    return date(day.year - years, day.month, min(day.day, 28)) - timedelta(days=days)


def test_a_new_parent_adds_a_child_and_books_classes(live_server, phone, shot):
    now = now_utc()
    program = make_youth_program("少儿诵读班", min_age=6, max_age=12, slug="shaoer-songdu")
    first = to_local(now).date() + timedelta(days=3)
    youth.create_term(program, schedules.WeeklyPlan(
        title="寒假学期", weekdays=frozenset({5}), start_time=time(10, 30), end_time=time(11, 30),
        first_day=first, last_day=first + timedelta(weeks=4, days=-1), capacity=15, booking_cutoff_minutes=120,
        include_days=every_day(first, first + timedelta(weeks=4)),
    ), actor=None, now=now)
    db.session.commit()
    today = to_local(now).date()

    page = phone()
    page.goto(live_server + "/")
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="青少年").click()
    expect(page.get_by_text("6–12 岁")).to_be_visible()
    shot(page, "1-youth-programs")
    page.get_by_role("link", name="少儿诵读班").first.click()
    page.get_by_role("link", name="登录后预约").click()
    page.get_by_role("link", name="注册").last.click()
    page.get_by_label("手机号").fill("139 2222 3333")
    page.get_by_label("姓名").fill("冯晓梅")
    page.get_by_label("密码", exact=True).fill("my-secret-pw")
    page.get_by_label("再次输入密码").fill("my-secret-pw")
    page.get_by_role("button", name="注册").click()
    expect(page.get_by_role("heading", name="少儿诵读班")).to_be_visible()
    expect(page.get_by_text("预约前，请先添加孩子到您的账号。")).to_be_visible()
    shot(page, "2-no-child-yet")

    page.get_by_role("link", name="添加我的孩子").click()
    page.get_by_role("button", name="添加").click()
    expect(page.get_by_text("请填写孩子的姓名。")).to_be_visible()
    page.get_by_label("孩子姓名").fill("小明")
    page.get_by_label("出生日期").fill(years_ago(today, 8, 40).isoformat())
    page.get_by_text("男孩").click()
    shot(page, "3-add-child")
    page.get_by_role("button", name="添加").click()
    expect(page.locator(".alert")).to_contain_text("孩子已添加")
    expect(page.get_by_role("heading", name="少儿诵读班")).to_be_visible()  # back where the parent was
    shot(page, "4-program-for-xiaoming")

    page.locator(".class-row").first.get_by_role("button", name="预约").click()
    expect(page.locator(".alert")).to_contain_text("预约成功")
    page.get_by_role("button", name="为小明预约整学期（共 4 节课）").click()
    expect(page.locator(".alert")).to_contain_text("孩子已预约寒假学期的全部 4 节课")
    expect(page.get_by_text("小明已预约本学期剩余的全部课程。")).to_be_visible()
    shot(page, "5-whole-term-booked")

    # A younger child is refused, and told why.
    page.goto(live_server + "/youth/children/new")
    page.get_by_label("孩子姓名").fill("小雨")
    page.get_by_label("出生日期").fill(years_ago(today, 4).isoformat())
    page.get_by_role("button", name="添加").click()
    page.goto(live_server + "/youth/shaoer-songdu")
    page.get_by_role("link", name="小雨").click()
    expect(page.locator(".refusal-note")).to_contain_text("少儿诵读班面向 6–12 岁的孩子")
    expect(page.locator(".refusal-note")).to_contain_text("孩子才 4 岁")
    expect(page.get_by_role("button", name="为小雨预约整学期（共 4 节课）")).to_have_count(0)
    expect(page.locator(".class-row").first).to_contain_text("小雨年龄不符")
    shot(page, "6-too-young")

    page.get_by_role("link", name="我的预约").click()
    expect(page.get_by_text("为小明预约").first).to_be_visible()
    shot(page, "7-my-bookings")


def test_a_resident_applies_to_a_troupe_and_its_leader_approves(live_server, phone, shot):
    now = now_utc()
    leader = make_user("韩秀梅")
    program = make_troupe("吕剧团", leader=leader, slug="lvju")
    first = to_local(now).date() + timedelta(days=1)
    troupes.add_rehearsals(program, schedules.WeeklyPlan(
        title="排练", weekdays=frozenset({1, 3}), start_time=time(9), end_time=time(11),
        first_day=first, last_day=first + timedelta(weeks=3), include_days=every_day(first, first + timedelta(weeks=3)),
    ), actor=None, now=now)
    db.session.commit()
    resident = make_user("刘建华")

    page = phone()
    log_in(page, live_server, resident.phone)
    page.get_by_role("navigation", name="主菜单").get_by_role("link", name="文体队伍").click()
    shot(page, "1-directory")
    page.get_by_role("link", name="吕剧团").click()
    expect(page.get_by_text("韩秀梅")).to_be_visible()
    page.get_by_label("给队长的留言（选填）").fill("年轻时唱过《小姑贤》，想重新学起来。")
    shot(page, "2-apply")
    page.get_by_role("button", name="申请加入").click()
    expect(page.locator(".alert")).to_contain_text("申请已提交")
    expect(page.get_by_text("您的申请正在等待队长审核。")).to_be_visible()
    shot(page, "3-applied")

    boss = phone()
    log_in(boss, live_server, leader.phone)
    boss.get_by_role("navigation", name="主菜单").get_by_role("link", name="文体队伍").click()
    boss.get_by_role("link", name="吕剧团").click()
    boss.get_by_role("link", name="管理队伍").click()
    expect(boss.get_by_text("年轻时唱过《小姑贤》")).to_be_visible()
    shot(boss, "4-leader-sees-the-application")
    boss.get_by_role("button", name="同意入队 刘建华").click()
    expect(boss.locator(".alert")).to_contain_text("刘建华 已成为队员")
    shot(boss, "5-leader-approved")

    page.reload()
    expect(page.get_by_text("您是吕剧团的队员。")).to_be_visible()
    page.get_by_role("link", name="我的预约").click()
    page.get_by_role("link", name="我的队伍").click()
    expect(page.get_by_text("近期排练")).to_be_visible()
    expect(page.locator(".class-row").first).to_contain_text("吕剧团 · 排练")
    shot(page, "6-member-sees-rehearsals")
