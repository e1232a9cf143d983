"""A community office sets Linli up from an empty database, in a real Chromium at phone
size (390×844): migrations and ``create-admin`` as on a server, then everything else
through the site's own pages — no seed-demo, nothing made behind the browser's back."""
from __future__ import annotations

import os
import re
from datetime import date, datetime

import flask_migrate
import pytest
import sqlalchemy as sa
from playwright.sync_api import expect

from app import create_app
from models import Attendance, AttendanceStatus, Booking, BookingStatus, Event, Program, db
from services.dates import LOCAL_TZ, to_local
from tests.conftest import RequestScopedClient

pytestmark = pytest.mark.e2e

OFFICE = ("13800000000", "王建国", "office-password-2026")
ORGANIZER = ("13800000001", "李秀兰")
RESIDENT = ("13900000001", "张桂芳")
LEADER = ("13700000003", "韩秀梅")
TEACHER = ("13700000004", "赵老师")
PASSWORD = "my-own-password-1"
# A Monday before National Day: the term's Wednesdays are 9/23 to 10/14, and 10/7 is a
# public holiday (国庆节) that the term leaves out.
MONDAY = datetime(2026, 9, 21, 10, 0, tzinfo=LOCAL_TZ)
FIRST_LECTURE_DOOR = datetime(2026, 9, 23, 18, 45, tzinfo=LOCAL_TZ)


@pytest.fixture
def app(tmp_path):
    """A site whose database was made by the migrations and holds nothing but the
    administrator that ``flask create-admin`` made (the password from standard input)."""
    uri = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    app = create_app({"TESTING": True, "SECRET_KEY": "set-up-test", "SQLALCHEMY_DATABASE_URI": uri})
    app.test_client_class = RequestScopedClient
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        flask_migrate.upgrade()
        result = app.test_cli_runner().invoke(
            args=["create-admin", "--mobile", OFFICE[0], "--name", OFFICE[1]], input=OFFICE[2] + "\n")
        assert result.exit_code == 0, result.output
        yield app
        db.session.remove()
        if db.engine.dialect.name == "postgresql":  # leave the shared database as the other tests expect it
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


def log_in(page, base, phone, password, name):
    page.goto(base + "/auth/login")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("密码").fill(password)
    page.get_by_role("button", name="登录").click()
    expect(page.locator(".alert")).to_contain_text(f"{name}，欢迎回来")


def register(page, base, phone, name):
    page.goto(base + "/auth/register")
    page.get_by_label("手机号").fill(phone)
    page.get_by_label("姓名").fill(name)
    page.get_by_label("密码", exact=True).fill(PASSWORD)
    page.get_by_label("再次输入密码").fill(PASSWORD)
    page.get_by_role("button", name="注册").click()
    expect(page.locator(".alert")).to_contain_text("账号已注册成功")


def add_runner(page, phone, *, label="添加：组织者"):
    page.get_by_label("手机号", exact=True).fill(phone)
    page.get_by_role("button", name=label).click()


def test_an_office_sets_up_its_community_from_an_empty_database(app, live_server, phone, shot, time_machine):
    time_machine.move_to(MONDAY, tick=True)
    with app.app_context():
        assert db.session.execute(sa.select(sa.func.count()).select_from(Program)).scalar_one() == 0

    # People who will run things register first, as the admin overview asks.
    organizer = phone()
    register(organizer, live_server, *ORGANIZER)
    leader = phone()
    register(leader, live_server, *LEADER)
    teacher = phone()
    register(teacher, live_server, *TEACHER)

    office = phone()
    log_in(office, live_server, OFFICE[0], OFFICE[2], OFFICE[1])
    office.get_by_role("link", name="管理后台").click()
    expect(office.get_by_role("heading", name="建立你的社区")).to_be_visible()
    shot(office, "01-admin-overview-empty")

    # A venue, with its seats and how to get in.
    office.get_by_role("link", name="场地", exact=True).first.click()
    office.get_by_role("link", name="添加场地").click()
    office.get_by_label("场地名称").fill("多功能厅")
    office.get_by_label("位置").fill("社区文化服务中心 2 楼")
    office.get_by_label("座位数").fill("60")
    office.get_by_label("出入提示").fill("电梯在东门；晚上请走正门")
    shot(office, "02-venue-form")
    office.get_by_role("button", name="添加").click()
    expect(office.locator(".alert")).to_contain_text("已添加 多功能厅")

    # The Wednesday lectures, with two topic series and an organizer.
    office.get_by_role("link", name="项目", exact=True).first.click()
    office.get_by_role("link", name="添加：讲堂").click()
    office.get_by_label("项目名称").fill("周三文史讲堂")
    office.get_by_label("网址").fill("wenshi-jiangtang")
    office.get_by_label("居民联系人").fill("李老师 138 0000 0001")
    shot(office, "03-program-form")
    office.get_by_role("button", name="创建").click()
    expect(office.locator(".alert")).to_contain_text("周三文史讲堂 已创建")
    office.locator("section", has_text="专题").get_by_role("link", name="修改").click()
    for name in ("齐国故城系", "文化名人"):
        office.get_by_label("系列名称").last.fill(name)
        office.get_by_role("button", name="添加", exact=True).click()
        expect(office.locator(".alert")).to_contain_text(f"已添加 {name}")
    shot(office, "04-series")
    office.get_by_role("link", name="周三文史讲堂").click()
    add_runner(office, ORGANIZER[0])
    expect(office.locator(".alert")).to_contain_text("李秀兰 现在负责 周三文史讲堂（组织者）")
    shot(office, "05-program-with-organizer")

    # The organizer lays out a term: the venue fills in the seats.
    organizer.reload()
    organizer.get_by_role("link", name="管理", exact=True).click()
    organizer.get_by_role("link", name="添加一期讲座").click()
    organizer.get_by_label("学期名称").fill("2026 秋季")
    organizer.get_by_label("开始日期").fill("2026-09-23")
    organizer.get_by_label("结束日期").fill("2026-10-14")
    organizer.get_by_label("开始时间").fill("19:00")
    organizer.get_by_label("结束时间").fill("20:30")
    organizer.get_by_label("地点").select_option(label="多功能厅")
    expect(organizer.get_by_label("名额")).to_have_value("60")
    organizer.get_by_label("专题").select_option(label="齐国故城系")
    shot(organizer, "06-term-form")
    organizer.get_by_role("button", name="下一步：核对日期").click()
    expect(organizer.locator("main")).to_contain_text("国庆")  # the check says which day is left out
    shot(organizer, "06b-term-checked")
    organizer.get_by_role("button", name="生成讲座").click()
    expect(organizer.locator(".alert").first).to_contain_text("已添加 3 场讲座")
    expect(organizer.locator(".alert").nth(1)).to_contain_text("国庆")

    # A resident registers and books the first lecture, and sees how to get in.
    resident = phone()
    register(resident, live_server, *RESIDENT)
    resident.goto(live_server + "/lectures/")
    resident.locator("article").first.get_by_role("link").click()
    expect(resident.get_by_text("出入提示：电梯在东门；晚上请走正门")).to_be_visible()
    resident.get_by_role("button", name="预约座位").click()
    expect(resident.locator(".alert")).to_contain_text("预约成功")
    shot(resident, "07-resident-booked")

    # On the evening, the organizer checks the resident in at the door.
    time_machine.move_to(FIRST_LECTURE_DOOR, tick=True)
    organizer.goto(live_server + "/lectures/manage")
    organizer.locator("article").first.get_by_role("link", name="签到名单").click()
    organizer.get_by_role("button", name=f"{RESIDENT[1]}：到场").click()
    expect(organizer.locator("#roster-counts")).to_contain_text("1 / 1 已签到")
    shot(organizer, "08-checked-in")

    # A troupe with a leader, and a youth program with a teacher.
    office.goto(live_server + "/admin/programs")
    office.get_by_role("link", name="添加：队伍").click()
    office.get_by_label("项目名称").fill("吕剧团")
    office.get_by_label("网址").fill("lvju")
    office.get_by_label("人数上限（不限请留空）").fill("30")
    office.get_by_role("button", name="创建").click()
    office.get_by_label("队长手机号").fill(LEADER[0])
    office.get_by_role("button", name="保存队长").click()
    expect(office.locator(".alert")).to_contain_text("韩秀梅 现在是吕剧团的队长")
    office.goto(live_server + "/admin/programs")
    office.get_by_role("link", name="添加：青少年项目").click()
    office.get_by_label("项目名称").fill("少儿诵读班")
    office.get_by_label("网址").fill("songdu")
    office.get_by_label("最小年龄").fill("6")
    office.get_by_label("最大年龄").fill("12")
    shot(office, "09-youth-form")
    office.get_by_role("button", name="创建").click()
    add_runner(office, TEACHER[0], label="添加：老师")
    expect(office.locator(".alert")).to_contain_text("赵老师 现在负责 少儿诵读班（老师）")
    office.goto(live_server + "/admin/programs")
    shot(office, "10-programs")

    leader.goto(live_server + "/troupes/lvju")
    leader.get_by_role("link", name=re.compile("管理")).first.click()
    expect(leader).to_have_url(re.compile(r"/troupes/lvju/manage$"))
    teacher.reload()
    teacher.get_by_role("link", name="管理", exact=True).click()
    teacher.get_by_role("link", name="少儿诵读班").click()
    expect(teacher).to_have_url(re.compile(r"/youth/songdu/manage$"))
    shot(teacher, "11-teacher-manages")

    office.goto(live_server + "/admin/")
    expect(office.get_by_role("heading", name="建立你的社区")).to_have_count(0)
    office.get_by_role("link", name="操作记录").first.click()
    expect(office.locator(".audit-entry").first).to_be_visible()
    shot(office, "12-audit")

    with app.app_context():
        lectures = db.session.execute(sa.select(Event).order_by(Event.starts_at)).scalars().all()
        # 9/23, 9/30 and 10/14: National Day's 10/7 was left out.
        assert [to_local(e.starts_at).date() for e in lectures] == [
            date(2026, 9, 23), date(2026, 9, 30), date(2026, 10, 14)]
        assert {e.seats.capacity for e in lectures} == {60}
        [booking] = db.session.execute(sa.select(Booking)).scalars().all()
        assert booking.status is BookingStatus.CONFIRMED and booking.event_id == lectures[0].id
        [came] = db.session.execute(sa.select(Attendance)).scalars().all()
        assert came.status is AttendanceStatus.PRESENT and came.booking_id == booking.id
