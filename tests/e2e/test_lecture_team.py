"""The lecture team in a real Chromium at phone size: joining, signing up, withdrawing,
and, after the talk, hours and points."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from models import Event, Role, ShiftRole, db
from services import shifts
from services.dates import LOCAL_TZ, now_utc, to_local
from tests.conftest import make_member, make_talk, make_team, make_user

from .test_journeys import log_in

pytestmark = pytest.mark.e2e


def test_a_new_volunteer_joins_signs_up_withdraws_and_later_sees_hours_and_points(live_server, phone, shot, time_machine):
    # Mid-month: the talk served "three hours ago" must count in this month's honour board.
    time_machine.move_to(datetime(2026, 11, 18, 10, 0, tzinfo=LOCAL_TZ), tick=True)
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    team = make_team(organizers=[organizer])
    busy = make_talk(team, title="学习贯彻党的二十大精神", starts_in=timedelta(days=3),
                     roles=[("主讲", 1), ("主持", 1), ("摄影", 1)])
    speaker = db.session.execute(
        sa.select(ShiftRole).where(ShiftRole.event_id == busy.id, ShiftRole.name == "主讲")
    ).scalar_one()
    shifts.sign_up(speaker, make_member(team, "孙立民"), now=now_utc())
    db.session.commit()

    # The organizer plans a talk with the usual roles.
    boss = phone()
    log_in(boss, live_server, organizer.phone)
    boss.get_by_role("link", name="宣讲队").click()
    boss.get_by_role("link", name="管理").last.click()
    boss.get_by_role("link", name="新建宣讲活动").click()
    boss.get_by_label("题目").fill("垃圾分类新时尚")
    boss.get_by_label("主题").select_option(label="精神文明")
    boss.get_by_label("或填写列表中没有的地点").fill("3号楼前小广场（第12网格）")
    day = to_local(now_utc()).date() + timedelta(days=6)
    boss.get_by_label("日期").fill(day.isoformat())
    boss.get_by_label("开始时间").fill("15:00")
    boss.get_by_label("结束时间").fill("16:30")
    shot(boss, "0-organizer-new-talk")
    boss.get_by_role("button", name="创建宣讲活动").click()
    expect(boss.locator(".alert[role]")).to_contain_text("宣讲活动已创建")

    # A new resident registers and asks to join.
    page = phone()
    page.goto(live_server + "/lecture-team/")
    expect(page.get_by_role("link", name="登录后申请加入")).to_be_visible()
    page.goto(live_server + "/auth/register")
    page.get_by_label("手机号").fill("139 8765 4321")
    page.get_by_label("姓名").fill("王德顺")
    page.get_by_label("密码", exact=True).fill("my-secret-pw")
    page.get_by_label("再次输入密码").fill("my-secret-pw")
    page.get_by_role("button", name="注册").click()
    page.get_by_role("link", name="宣讲队").click()
    shot(page, "1-team-before-joining")
    page.get_by_role("link", name="申请加入宣讲队").click()
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".invalid-feedback")).to_have_text("请简单写几句话。")
    page.get_by_label("简单介绍一下自己").fill("退休前是摄影师，可以帮忙拍照。")
    page.get_by_role("button", name="提交申请").click()
    expect(page.locator(".alert[role]")).to_contain_text("申请已提交")

    # The organizer approves.
    boss.goto(live_server + "/lecture-team/manage")
    boss.get_by_role("link", name="入队申请").click()
    expect(boss.get_by_text("退休前是摄影师")).to_be_visible()
    shot(boss, "2-organizer-applications")
    boss.get_by_role("button", name="同意入队").click()
    expect(boss.locator(".alert[role]")).to_contain_text("王德顺 已成为宣讲队队员")

    # The new member sees the open roles and signs up for the photos.
    page.reload()
    card = page.locator("article", has_text="学习贯彻党的二十大精神")
    expect(card.get_by_text("已满")).to_be_visible()  # the speaker's slot
    expect(card.locator("li", has_text="摄影")).to_contain_text("剩余 1 / 1")
    shot(page, "3-open-roles")
    card.get_by_role("link", name="学习贯彻党的二十大精神").click()
    expect(page.locator("#role-%d" % speaker.id)).to_contain_text("孙立民")
    page.get_by_role("button", name="报名“摄影”").click()
    expect(page.locator(".alert[role]")).to_contain_text("您已报名“摄影”岗位")
    shot(page, "4-signed-up")

    # Plans change: withdrawing is open until 24 hours before the start.
    page.get_by_role("link", name="我的服务").click()
    shift = page.locator("article", has_text="学习贯彻党的二十大精神")
    expect(shift.get_by_text("我的岗位：摄影")).to_be_visible()
    shot(page, "5-my-service-coming")
    shift.get_by_role("link", name="退出岗位").click()
    page.get_by_role("dialog").get_by_role("button", name="确定退出岗位").click()
    expect(page.locator(".alert[role]")).to_contain_text("您已退出“摄影”岗位")
    expect(page.get_by_text("您近期没有岗位")).to_be_visible()

    # Instead the member takes the sign-in desk at the new talk.
    page.get_by_role("link", name="查看可报名的岗位").click()
    page.get_by_role("link", name="垃圾分类新时尚").click()
    page.get_by_role("button", name="报名“签到”").click()
    expect(page.locator(".alert[role]")).to_contain_text("您已报名“签到”岗位")

    # The talk takes place (moved into the past here), and the organizer records who served.
    talk = db.session.execute(sa.select(Event).where(Event.title == "垃圾分类新时尚")).scalar_one()
    talk.starts_at, talk.ends_at = now_utc() - timedelta(hours=3), now_utc() - timedelta(hours=1, minutes=30)
    db.session.commit()
    boss.goto(live_server + "/lecture-team/manage")
    boss.get_by_role("link", name="垃圾分类新时尚").click()
    line = boss.locator(".roster-line", has_text="王德顺")
    expect(line.get_by_text("待确认")).to_be_visible()
    shot(boss, "6-organizer-roster")
    line.get_by_role("button", name="到岗").click()
    expect(boss.locator(".alert[role]")).to_contain_text("服务记录：时长 +1.5 小时，积分 +15")

    # Later the member sees the hours and the points.
    page.get_by_role("link", name="我的服务").click()
    expect(page.locator(".totals")).to_contain_text("1.5")
    expect(page.locator(".totals")).to_contain_text("15")
    expect(page.locator(".ledger")).to_contain_text("担任签到：垃圾分类新时尚")
    shot(page, "7-my-service-hours-and-points")
    page.get_by_role("link", name="光荣榜").click()
    expect(page.locator(".honour-list").first).to_contain_text("王德顺")
    shot(page, "8-honour-board")


def test_the_team_pages_read_in_english(live_server, phone, shot):
    team = make_team()
    member = make_member(team, "陈玉兰")
    make_talk(team, title="学习贯彻党的二十大精神", roles=[("主讲", 1), ("场务", 2)])
    page = phone("en")
    log_in_en(page, live_server, member.phone)
    page.goto(live_server + "/lecture-team/")
    expect(page.get_by_role("link", name="My service")).to_be_visible()
    expect(page.get_by_text("2 of 2 left")).to_be_visible()
    shot(page, "english-openings")
    page.get_by_role("link", name="学习贯彻党的二十大精神").click()
    expect(page.get_by_role("button", name="Sign up as Stage crew")).to_be_visible()
    shot(page, "english-talk")


def log_in_en(page, base: str, phone_number: str) -> None:
    from tests.conftest import PASSWORD

    page.goto(base + "/auth/login")
    page.get_by_label("Mobile number").fill(phone_number)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
