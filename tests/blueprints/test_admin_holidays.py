"""The community's holiday list at /admin/holidays, through the client: what it shows,
adding and removing the office's closed days, who may, and what it refuses."""
from __future__ import annotations

from datetime import date, datetime, time

import pytest
import sqlalchemy as sa

from models import AuditEntry, ClosedDay, Role, db
from services.dates import LOCAL_TZ, local_datetime, now_utc
from tests.blueprints.conftest import alerts, field_errors, page, visible_text
from tests.conftest import login, make_event, make_user


@pytest.fixture
def august(time_machine):
    """Holidays are date-bound: the page is looked at in August 2026, when 2026's list is
    known and 2027's not yet."""
    time_machine.move_to(datetime(2026, 8, 24, 9, 0, tzinfo=LOCAL_TZ), tick=True)
    return now_utc()


def admin():
    return make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN))


def test_the_page_shows_this_years_holidays_and_says_next_years_isnt_known(client, august):
    login(client, admin())

    text = visible_text(client.get("/admin/holidays"))

    assert "2026 年法定节假日" in text and "国庆节 放假：10月1日–10月7日 调休上班：9月20日、10月10日" in text
    assert "2027 年的法定节假日安排尚未公布" in text
    assert "暂无闭馆安排。" in text


@pytest.mark.parametrize("roles", [(Role.RESIDENT,), (Role.RESIDENT, Role.ORGANIZER)], ids=["resident", "organizer"])
def test_only_administrators_see_or_change_the_list(client, august, roles):
    login(client, make_user("李秀兰", roles=roles))
    assert client.get("/admin/holidays").status_code == 403
    assert client.post("/admin/holidays", data={"first_day": "2026-09-15", "name": "检修"}).status_code == 403
    assert db.session.execute(sa.select(ClosedDay)).first() is None


def test_visitors_are_sent_to_log_in(client):
    response = client.get("/admin/holidays")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]


def test_an_administrator_closes_the_office_and_is_told_what_was_already_planned(client, august):
    person = admin()
    make_event(title="管仲与齐国的富国之道", starts_in=local_datetime(date(2026, 9, 16), time(9, 30)) - august)
    login(client, person)

    response = client.post("/admin/holidays", data={"first_day": "2026-09-15", "last_day": "2026-09-17",
                                                     "name": "文化中心年度检修"}, follow_redirects=True)

    messages = alerts(response)
    assert "9月15日–9月17日 闭馆：文化中心年度检修。今后安排的活动会跳过这些日子。" in messages
    assert any("已安排了 1 场活动" in m and "管仲与齐国的富国之道（9月16日）" in m for m in messages)
    assert "9月15日–9月17日" in visible_text(response)
    [closed] = db.session.execute(sa.select(ClosedDay)).scalars().all()
    assert (closed.first_day, closed.last_day, closed.created_by_id) == (date(2026, 9, 15), date(2026, 9, 17), person.id)
    assert db.session.execute(sa.select(AuditEntry.action)).scalars().all() == ["holiday.add"]


def test_a_single_day_needs_no_last_day_and_removing_it_opens_the_office_again(client, august):
    login(client, admin())
    client.post("/admin/holidays", data={"first_day": "2026-09-15", "last_day": "", "name": "停电检修"})
    [closed] = db.session.execute(sa.select(ClosedDay)).scalars().all()
    assert closed.first_day == closed.last_day == date(2026, 9, 15)
    closed_id = closed.id

    response = client.post(f"/admin/holidays/{closed_id}/remove", follow_redirects=True)

    assert "9月15日（停电检修）恢复为开放日。" in alerts(response)
    assert db.session.execute(sa.select(ClosedDay)).first() is None
    assert client.post("/admin/holidays/999999/remove").status_code == 404
    assert client.get(f"/admin/holidays/{closed_id}/remove").status_code == 405


@pytest.mark.parametrize("data, field, message", [
    ({"first_day": "", "name": "检修"}, "first_day", "请选择日期。"),
    ({"first_day": "下周一", "name": "检修"}, "first_day", "不是有效的日期值。"),
    ({"first_day": "2026-09-17", "last_day": "2026-09-15", "name": "检修"}, "last_day", "结束日期不能早于开始日期。"),
    ({"first_day": "2026-09-15", "name": "  "}, "name", "请填写闭馆原因。"),
    ({"first_day": "2026-09-15", "name": "修" * 81}, "name", "最多 80 个字。"),
], ids=["no-day", "not-a-date", "backwards", "no-reason", "too-long"])
def test_what_makes_no_sense_is_refused_beside_the_field(client, august, data, field, message):
    login(client, admin())

    response = client.post("/admin/holidays", data=data)

    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert db.session.execute(sa.select(ClosedDay)).first() is None


def test_days_already_past_are_refused_with_a_message(client, august):
    login(client, admin())

    response = client.post("/admin/holidays", data={"first_day": "2026-08-01", "name": "检修"})

    assert "这些日子已经过去了。" in alerts(response)
    assert db.session.execute(sa.select(ClosedDay)).first() is None


def test_the_page_reads_in_english_too(client, august):
    login(client, admin())
    client.set_cookie("lang", "en")

    text = page(client.get("/admin/holidays"))

    assert "Official public holidays 2026" in text and "National Day" in text
    assert "Make-up working days (调休)" in text
