"""The admin area through the client: people and their roles, programs of every kind,
topic series, venues, deactivating and merging accounts, the audit trail — and that
nobody but an administrator gets in."""
from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import sqlalchemy as sa

from models import (
    AuditEntry, Booking, BookingStatus, Program, ProgramKind, Role, Series, Troupe, User, Venue, YouthRules, db,
)
from services import accounts, programs as program_service
from services.booking import book_seat
from services.dates import LOCAL_TZ, now_utc
from tests.blueprints.conftest import alerts, field_errors, page, visible_text
from tests.conftest import (
    PASSWORD, fresh_client, login, make_child, make_event, make_program, make_team, make_troupe, make_user, make_venue,
)


def admin(name: str = "王建国"):
    return make_user(name, roles=(Role.RESIDENT, Role.ADMIN))


def roles_of(user) -> set[Role]:
    return db.session.get(User, user.id).roles


def set_roles(client, user, *roles: str, **query):
    data = {f"u{user.id}-{role}": "y" for role in roles}
    return client.post(f"/admin/users/{user.id}/roles", data=data, query_string=query, follow_redirects=True)


def people_listed(response) -> str:
    """The part of the people page below the search box."""
    return page(response).split('role="search"', 1)[1]


# --- who may come in ------------------------------------------------------------------


@pytest.mark.parametrize("roles", [(Role.RESIDENT,), (Role.RESIDENT, Role.VOLUNTEER, Role.ORGANIZER)],
                         ids=["resident", "organizer"])
def test_people_page_is_403_for_anyone_but_admins(client, roles):
    login(client, make_user(roles=roles))
    response = client.get("/admin/users")
    assert response.status_code == 403
    assert "没有权限" in page(response)


def test_people_page_sends_visitors_to_log_in(client):
    response = client.get("/admin/users")
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


def test_a_non_admin_cannot_grant_roles_by_post(client):
    resident = make_user()
    login(client, resident)

    assert client.post(f"/admin/users/{resident.id}/roles", data={f"u{resident.id}-admin": "y"}).status_code == 403
    assert roles_of(resident) == {Role.RESIDENT}


# --- finding people -------------------------------------------------------------------


def test_people_page_lists_people_with_their_phones(client):
    make_user("张桂芳", phone="13811110001")
    login(client, admin())

    body = people_listed(client.get("/admin/users"))

    assert "张桂芳" in body and "13811110001" in body
    assert "王建国" in body


@pytest.mark.parametrize("query", ["桂芳", "1111000", "13811110001"])
def test_search_finds_people_by_name_or_phone(client, query):
    make_user("张桂芳", phone="13811110001")
    make_user("刘建华", phone="13922220002")
    login(client, admin())

    body = people_listed(client.get("/admin/users", query_string={"q": query}))

    assert "张桂芳" in body
    assert "刘建华" not in body


@pytest.mark.parametrize("query", ["%", "_", "\\", "无此人"])
def test_search_takes_wildcards_literally(client, query):
    make_user("张桂芳")
    login(client, admin())

    response = client.get("/admin/users", query_string={"q": query})

    assert response.status_code == 200
    assert "没有找到相符的人。" in page(response)


def test_search_with_an_overlong_or_odd_query_does_not_fail(client):
    login(client, admin())
    for query in ["张" * 500, "   "]:
        assert client.get("/admin/users", query_string={"q": query}).status_code == 200
    # A control character is refused before any view (security.refuse_control_characters).
    assert client.get("/admin/users", query_string={"q": "\x00张"}).status_code == 400


def ticked(response, field_id: str) -> bool:
    [tag] = re.findall(rf'<input[^>]*id="{field_id}"[^>]*>', page(response))
    return " checked" in tag


def test_people_page_ticks_the_roles_each_person_holds(client):
    person = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    login(client, admin())

    response = client.get("/admin/users")

    assert ticked(response, f"u{person.id}-organizer")
    assert not ticked(response, f"u{person.id}-volunteer")
    assert not ticked(response, f"u{person.id}-admin")


# --- giving roles ---------------------------------------------------------------------


def test_granting_the_organizer_role_lets_the_person_manage_their_program(app, client, now):
    person = make_user("李秀兰")
    make_program(organizers=[person])
    login(client, admin())

    response = set_roles(client, person, "organizer")

    assert "已保存 李秀兰 的角色。" in alerts(response)
    assert roles_of(person) == {Role.RESIDENT, Role.ORGANIZER}
    their_phone = app.test_client()
    login(their_phone, person)
    assert their_phone.get("/lectures/manage").status_code == 200


def test_unticking_a_role_takes_it_away_but_keeps_the_resident_role(client):
    person = make_user("李秀兰", roles=(Role.RESIDENT, Role.VOLUNTEER, Role.ORGANIZER))
    login(client, admin())

    set_roles(client, person, "volunteer")

    assert roles_of(person) == {Role.RESIDENT, Role.VOLUNTEER}


def test_an_admin_cannot_take_away_their_own_admin_role(client):
    me = admin()
    login(client, me)

    response = set_roles(client, me, "organizer")

    assert "不能取消自己的管理员角色。" in alerts(response)
    assert roles_of(me) == {Role.RESIDENT, Role.ADMIN}


def test_an_admin_can_take_the_admin_role_from_another_admin(client):
    other = admin("赵主任")
    login(client, admin())

    set_roles(client, other)

    assert roles_of(other) == {Role.RESIDENT}


def test_saving_roles_returns_to_the_same_search(client):
    person = make_user("张桂芳")
    login(client, admin())

    response = client.post(f"/admin/users/{person.id}/roles", query_string={"q": "桂芳"})

    assert response.status_code == 302
    assert response.headers["Location"].endswith("/admin/users?q=%E6%A1%82%E8%8A%B3")


def test_roles_of_an_unknown_person_is_404(client):
    login(client, admin())
    assert client.post("/admin/users/999999/roles").status_code == 404


# --- queries per page -----------------------------------------------------------------


def test_people_page_runs_as_many_queries_for_25_people_as_for_3(client, count_queries):
    login(client, admin())
    make_user("甲", roles=(Role.RESIDENT, Role.ORGANIZER))
    make_user("乙")

    with count_queries() as few:
        client.get("/admin/users")
    for n in range(22):
        make_user(f"居民{n}", roles=(Role.RESIDENT, Role.VOLUNTEER))
    with count_queries() as many:
        response = client.get("/admin/users")

    assert page(response).count('class="panel"') == 25
    assert len(many) == len(few)


# --- every admin page: who gets in ----------------------------------------------------


@pytest.fixture
def site(app):
    """One of everything the admin pages show: a program with a series, a troupe, a venue,
    a walk-in account."""
    program = make_program(series=["齐国故城系"], slug="wenshi")
    troupe = make_troupe(slug="lvju")
    venue = make_venue("多功能厅")
    walk_in = accounts.create_unclaimed_account(phone="13712345678", display_name="门口登记", now=now_utc())
    db.session.commit()
    return {"program": program, "troupe": troupe, "venue": venue, "series": program.series[0], "walk_in": walk_in}


def admin_pages(site) -> list[tuple[str, str]]:
    p, t, v, s, w = site["program"].id, site["troupe"].id, site["venue"].id, site["series"].id, site["walk_in"].id
    return [
        ("GET", "/admin/"), ("GET", "/admin/programs"), ("GET", "/admin/programs?archived=1"),
        ("GET", "/admin/programs/new/troupe"), ("POST", "/admin/programs/new/troupe"),
        ("GET", f"/admin/programs/{p}"), ("GET", f"/admin/programs/{p}/edit"), ("POST", f"/admin/programs/{p}/edit"),
        ("POST", f"/admin/programs/{p}/archive"), ("POST", f"/admin/programs/{p}/unarchive"),
        ("POST", f"/admin/programs/{p}/organizers"), ("POST", f"/admin/programs/{p}/organizers/1/remove"),
        ("POST", f"/admin/programs/{t}/leader"),
        ("GET", f"/admin/programs/{p}/series"), ("POST", f"/admin/programs/{p}/series"),
        ("POST", f"/admin/series/{s}/rename"), ("POST", f"/admin/series/{s}/move/up"),
        ("POST", f"/admin/series/{s}/retire"), ("POST", f"/admin/series/{s}/restore"),
        ("GET", "/admin/venues"), ("GET", "/admin/venues/new"), ("POST", "/admin/venues/new"),
        ("GET", f"/admin/venues/{v}"), ("POST", f"/admin/venues/{v}"),
        ("POST", f"/admin/venues/{v}/retire"), ("POST", f"/admin/venues/{v}/restore"),
        ("GET", "/admin/users"), ("GET", f"/admin/users/{w}"), ("POST", f"/admin/users/{w}/roles"),
        ("GET", f"/admin/users/{w}/deactivate"), ("POST", f"/admin/users/{w}/deactivate"),
        ("POST", f"/admin/users/{w}/reactivate"),
        ("GET", f"/admin/users/{w}/merge"), ("POST", f"/admin/users/{w}/merge"),
        ("GET", "/admin/audit"),
    ]


@pytest.mark.parametrize("roles", [(Role.RESIDENT,), (Role.RESIDENT, Role.VOLUNTEER, Role.ORGANIZER)],
                         ids=["resident", "organizer"])
def test_every_admin_page_is_403_for_non_admins_and_changes_nothing(app, site, roles):
    person = make_user("李秀兰", roles=roles)
    site["program"].organizers.append(person)  # an organizer of the program is still no admin
    db.session.commit()
    client = fresh_client(app)
    login(client, person)
    before = db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one()

    for method, url in admin_pages(site):
        response = client.open(url, method=method, data={"name": "改名", "slug": "x-y", "phone": person.phone, "runner-phone": person.phone, "leader-phone": person.phone})
        assert response.status_code == 403, (method, url)

    assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one() == before
    assert db.session.get(Program, site["program"].id).archived_at is None


def test_every_admin_page_sends_visitors_to_log_in(app, site):
    client = fresh_client(app)
    for method, url in admin_pages(site):
        response = client.open(url, method=method)
        assert response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/auth/login", url


def test_every_admin_page_opens_for_an_admin(client, site):
    login(client, admin())
    for method, url in admin_pages(site):
        if method == "GET":
            assert client.get(url).status_code == 200, url


def test_the_header_takes_admins_to_the_admin_overview(client):
    login(client, admin())
    assert 'href="/admin/"' in page(client.get("/lectures/"))


# --- the overview ---------------------------------------------------------------------


def test_a_new_site_shows_the_first_steps_and_they_tick_off(client):
    login(client, admin())
    body = visible_text(client.get("/admin/"))
    assert "建立你的社区" in body and "添加场地" in body

    make_venue("多功能厅")
    make_program(organizers=[make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))])
    assert "建立你的社区" not in visible_text(client.get("/admin/"))


# --- programs -------------------------------------------------------------------------


def new_program(client, kind="troupe", **fields):
    data = {"name": "吕剧团", "slug": "lvju-tuan", "description": "传统吕剧", "contact": "韩老师", "cover_colour": "#1d5c3a"}
    return client.post(f"/admin/programs/new/{kind}", data={**data, **fields})


def test_each_kind_of_program_form_has_that_kinds_fields(client):
    login(client, admin())
    fields = {kind: set(re.findall(r'name="([a-z_]+)"', page(client.get(f"/admin/programs/new/{kind}"))))
              for kind in ("lecture_series", "lecture_team", "troupe", "youth")}
    assert {"booking_opens_days_before", "booking_closes_minutes_before"} <= fields["lecture_series"]
    assert {"rehearsal_times", "member_limit"} <= fields["troupe"] and "member_limit" not in fields["youth"]
    assert {"min_age", "max_age", "parent_attends"} <= fields["youth"] and "min_age" not in fields["troupe"]
    assert not {"member_limit", "min_age", "booking_opens_days_before"} & fields["lecture_team"]
    assert client.get("/admin/programs/new/choir").status_code == 404


def test_creating_a_troupe_through_the_form(client):
    login(client, admin())
    response = new_program(client, member_limit="20", rehearsal_times="每周二 9:00")
    program = db.session.execute(sa.select(Program)).scalar_one()
    assert response.headers["Location"] == f"/admin/programs/{program.id}"
    assert (program.kind, program.slug, program.contact, program.cover_colour) == (
        ProgramKind.TROUPE, "lvju-tuan", "韩老师", "#1d5c3a")
    assert db.session.get(Troupe, program.id).member_limit == 20
    assert "吕剧团 已创建。接下来请选择负责的人。" in alerts(client.get(response.headers["Location"]))


def test_creating_a_youth_program_through_the_form(client):
    login(client, admin())
    new_program(client, "youth", name="家庭教育读书会", slug="dushu", min_age="6", max_age="12", parent_attends="y")
    rules = db.session.execute(sa.select(YouthRules)).scalar_one()
    assert (rules.min_age, rules.max_age, rules.parent_attends) == (6, 12, True)


@pytest.mark.parametrize("fields,field_id,message", [
    ({"name": ""}, "name", "请输入名称。"),
    ({"slug": "吕剧"}, "slug", "请用 2 到 60 个小写字母（a–z）、数字和单个连字符，例如 lvju-tuan。"),
    ({"slug": "mine"}, "slug", "“mine”是网站自己地址里用的词，请换一个。"),
    ({"member_limit": "很多"}, "member_limit", "请输入整数，例如 40。"),
    ({"member_limit": "0"}, "member_limit", "请输入 1 到 500 之间的数字。"),
    ({"cover_colour": "#ffffff"}, "cover_colour", "不是有效的选择。"),
])
def test_bad_program_input_is_shown_beside_its_field_and_nothing_is_made(client, fields, field_id, message):
    login(client, admin())
    response = new_program(client, **fields)
    assert response.status_code == 200
    assert field_errors(response, field_id) == [message]
    assert db.session.execute(sa.select(Program)).first() is None


def test_an_upper_case_slug_is_made_lower_case(client):
    login(client, admin())
    new_program(client, slug=" LvJu ")
    assert db.session.execute(sa.select(Program.slug)).scalar_one() == "lvju"


def test_a_taken_slug_is_refused_beside_the_field(client, site):
    login(client, admin())
    response = new_program(client, slug="lvju")
    assert field_errors(response, "slug") == ["已有项目使用网址“lvju”，请换一个。"]


def test_youth_ages_the_wrong_way_round_are_refused(client):
    login(client, admin())
    response = new_program(client, "youth", slug="songdu", min_age="12", max_age="6")
    assert field_errors(response, "max_age") == ["最大年龄不能小于最小年龄。"]


def test_the_edit_form_shows_the_kinds_current_rules_and_saves_them(client, site):
    login(client, admin())
    troupe = site["troupe"]
    form = page(client.get(f"/admin/programs/{troupe.id}/edit"))
    assert 'value="每周二、四 9:00–11:00"' in form

    response = client.post(f"/admin/programs/{troupe.id}/edit", data={
        "name": "吕剧团", "slug": "lvju", "rehearsal_times": "每周三", "rehearsal_place": "", "member_limit": "8"})
    assert response.status_code == 302
    assert (db.session.get(Troupe, troupe.id).rehearsal_times, db.session.get(Troupe, troupe.id).member_limit) == ("每周三", 8)


def test_a_second_lecture_team_is_not_offered_while_one_runs(client):
    make_team()
    login(client, admin())
    assert "/admin/programs/new/lecture_team" not in page(client.get("/admin/programs"))
    response = new_program(client, "lecture_team", name="第二队", slug="team-2")
    assert "蒲公英宣讲队" in field_errors(response, "name")[0]


def test_archiving_hides_a_troupe_from_residents_and_brings_it_back(client, site):
    login(client, admin())
    troupe = site["troupe"]
    client.post(f"/admin/programs/{troupe.id}/archive")
    assert client.get("/troupes/lvju").status_code == 404
    assert "吕剧团" not in page(client.get("/troupes/"))
    assert "吕剧团" in page(client.get("/admin/programs?archived=1"))

    client.post(f"/admin/programs/{troupe.id}/unarchive")
    assert client.get("/troupes/lvju").status_code == 200


def test_a_program_with_coming_events_is_not_archived(client, site):
    make_event(site["program"], starts_in=timedelta(days=3))
    login(client, admin())
    response = client.post(f"/admin/programs/{site['program'].id}/archive", follow_redirects=True)
    assert any("还有 1 场" in alert for alert in alerts(response))
    assert db.session.get(Program, site["program"].id).archived_at is None


def test_an_organizer_added_by_number_can_manage_and_a_removed_one_cannot(app, client, site):
    person = make_user("李秀兰", phone="13800000001")
    program = site["program"]
    login(client, admin())

    response = client.post(f"/admin/programs/{program.id}/organizers", data={"runner-phone": "138 0000 0001"},
                           follow_redirects=True)
    assert "李秀兰 现在负责 周三文史讲堂（组织者）。" in alerts(response)
    theirs = fresh_client(app)
    login(theirs, person)
    assert theirs.get(f"/lectures/programs/{program.slug}/term").status_code == 200

    client.post(f"/admin/programs/{program.id}/organizers/{person.id}/remove")
    assert theirs.get(f"/lectures/programs/{program.slug}/term").status_code == 403


@pytest.mark.parametrize("phone,message", [
    ("13000000000", "没有人用这个手机号注册。"),
    ("12345", "请输入以 1 开头的 11 位手机号。"),
    ("", "请输入手机号。"),
])
def test_adding_an_organizer_with_a_bad_number_says_why(client, site, phone, message):
    login(client, admin())
    response = client.post(f"/admin/programs/{site['program'].id}/organizers", data={"runner-phone": phone})
    assert field_errors(response, "runner-phone") == [message]


def test_a_walk_in_account_cannot_be_made_an_organizer(client, site):
    login(client, admin())
    response = client.post(f"/admin/programs/{site['program'].id}/organizers", data={"runner-phone": "13712345678"})
    assert "门口登记" in field_errors(response, "runner-phone")[0]


def test_a_troupe_leader_is_chosen_by_number_and_leads(app, client, site):
    leader = make_user("韩秀梅", phone="13700000003")
    login(client, admin())
    client.post(f"/admin/programs/{site['troupe'].id}/leader", data={"leader-phone": "13700000003"})
    theirs = fresh_client(app)
    login(theirs, leader)
    assert theirs.get("/troupes/lvju/manage").status_code == 200
    assert client.post(f"/admin/programs/{site['program'].id}/leader", data={"leader-phone": ""}).status_code == 404


def test_a_youth_programs_people_are_called_teachers(client):
    program = make_program(ProgramKind.YOUTH, slug="songdu", name="少儿诵读班")
    login(client, admin())
    body = visible_text(client.get(f"/admin/programs/{program.id}"))
    assert "老师" in body and "添加：老师" in body


# --- topic series ---------------------------------------------------------------------


def series_names(program) -> list[str]:
    db.session.expire_all()
    return [s.name for s in db.session.get(Program, program.id).current_series]


def test_series_are_added_renamed_moved_and_retired_through_the_page(client, site):
    program = site["program"]
    login(client, admin())
    client.post(f"/admin/programs/{program.id}/series", data={"new-name": "文化名人"})
    second = db.session.execute(sa.select(Series).where(Series.name == "文化名人")).scalar_one()
    client.post(f"/admin/series/{second.id}/move/up")
    assert series_names(program) == ["文化名人", "齐国故城系"]
    client.post(f"/admin/series/{second.id}/rename", data={f"s{second.id}-name": "历史名人"})
    client.post(f"/admin/series/{site['series'].id}/retire")
    assert series_names(program) == ["历史名人"]
    choices = page(client.get("/lectures/")).split('id="choose-series"', 1)[1].split("</select>", 1)[0]
    assert "历史名人" in choices and "齐国故城系" not in choices


def test_a_duplicate_or_empty_series_name_is_refused(client, site):
    program = site["program"]
    login(client, admin())
    response = client.post(f"/admin/programs/{program.id}/series", data={"new-name": "齐国故城系"})
    assert field_errors(response, "new-name") == ["周三文史讲堂 已有名为“齐国故城系”的系列。"]
    response = client.post(f"/admin/series/{site['series'].id}/rename", data={f"s{site['series'].id}-name": ""})
    assert field_errors(response, f"s{site['series'].id}-name") == ["请输入名称。"]


def test_a_troupe_has_no_series_page(client, site):
    login(client, admin())
    assert client.get(f"/admin/programs/{site['troupe'].id}/series").status_code == 404


# --- venues ---------------------------------------------------------------------------


def test_a_venue_is_added_edited_and_retired(client):
    login(client, admin())
    client.post("/admin/venues/new", data={"name": "多功能厅", "address": "2 楼", "seats": "６０", "access_notes": "有电梯"})
    venue = db.session.execute(sa.select(Venue)).scalar_one()
    assert (venue.seats, venue.access_notes) == (60, "有电梯")  # full-width digits are fine
    client.post(f"/admin/venues/{venue.id}", data={"name": "多功能厅", "address": "3 楼", "seats": "", "access_notes": ""})
    assert db.session.get(Venue, venue.id).seats is None
    client.post(f"/admin/venues/{venue.id}/retire")
    assert db.session.get(Venue, venue.id).is_retired
    assert "多功能厅" in page(client.get("/admin/venues")).split("已停用的场地")[1]


@pytest.mark.parametrize("fields,field_id,message", [
    ({"name": ""}, "name", "请输入名称。"),
    ({"seats": "abc"}, "seats", "请输入整数，例如 40。"),
    ({"seats": "0"}, "seats", "请输入 1 到 5000 之间的数字。"),
    ({"name": "多功能厅"}, "name", "已有名为“多功能厅”的场地。"),
])
def test_bad_venue_input_is_shown_beside_its_field(client, site, fields, field_id, message):
    login(client, admin())
    response = client.post("/admin/venues/new", data={"name": "城市书房", **fields})
    assert field_errors(response, field_id) == [message]


# --- people ---------------------------------------------------------------------------


def test_a_persons_page_shows_roles_programs_bookings_children_and_service(client, site, now):
    person = make_user("冯晓梅", roles=(Role.RESIDENT, Role.ORGANIZER))
    site["program"].organizers.append(person)
    db.session.commit()
    book_seat(make_event(site["program"], title="管仲与齐国"), person, now=now)
    db.session.commit()
    make_child(person, "小明")
    login(client, admin())

    body = visible_text(client.get(f"/admin/users/{person.id}"))
    assert "周三文史讲堂" in body and "管仲与齐国" in body and "小明" in body
    assert "志愿服务 0 小时" in body


def test_an_organizer_who_runs_nothing_is_pointed_out(client):
    person = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    login(client, admin())
    assert "还没有负责任何项目" in visible_text(client.get(f"/admin/users/{person.id}"))


def test_deactivating_through_the_page_logs_the_person_out_everywhere(app, client, now):
    person = make_user("张桂芳")
    event = make_event(capacity=1)
    waiting = make_user("刘建华")
    book_seat(event, person, now=now)
    book_seat(event, waiting, now=now, waitlist=True)
    db.session.commit()
    theirs = fresh_client(app)
    theirs.post("/auth/login", data={"phone": person.phone, "password": PASSWORD, "remember": "y"})
    remember = {c.key: c.value for c in theirs._cookies.values()}["remember_token"]
    login(client, admin())

    confirm = visible_text(client.get(f"/admin/users/{person.id}/deactivate"))
    assert "管仲与齐国的富国之道" in confirm and "候补名单上的人" in confirm
    response = client.post(f"/admin/users/{person.id}/deactivate", data={"release_bookings": "y"}, follow_redirects=True)

    assert any("张桂芳 已不能登录" in alert for alert in alerts(response))
    assert theirs.get("/account/bookings").status_code == 302
    cookie_only = fresh_client(app)
    cookie_only.set_cookie("remember_token", remember)
    assert cookie_only.get("/account/bookings").status_code == 302
    assert [b.status for b in db.session.execute(sa.select(Booking).order_by(Booking.id)).scalars()] == [
        BookingStatus.CANCELLED, BookingStatus.CONFIRMED]

    client.post(f"/admin/users/{person.id}/reactivate")
    login(theirs, person)
    assert theirs.get("/account/bookings").status_code == 200


def test_an_admin_is_not_offered_to_deactivate_themselves(client):
    me = admin()
    login(client, me)
    assert "停用…" not in page(client.get(f"/admin/users/{me.id}"))
    response = client.post(f"/admin/users/{me.id}/deactivate", follow_redirects=True)
    assert "不能停用自己的账号。" in alerts(response)


def test_merging_a_walk_in_shows_what_moves_then_merges(client, site, now):
    real = make_user("张桂芳", phone="13911112222")
    walk_in = site["walk_in"]
    walk_in_id = walk_in.id
    book_seat(make_event(site["program"]), walk_in, now=now)
    db.session.commit()
    login(client, admin())

    preview = visible_text(client.get(f"/admin/users/{walk_in.id}/merge", query_string={"phone": "139 1111 2222"}))
    assert "1 个预约" in preview and "合并到 张桂芳" in preview
    response = client.post(f"/admin/users/{walk_in_id}/merge", data={"phone": "13911112222"})
    assert response.headers["Location"] == f"/admin/users/{real.id}"
    assert db.session.execute(sa.select(User).where(User.id == walk_in_id)).first() is None
    assert db.session.execute(sa.select(Booking.user_id)).scalar_one() == real.id


def test_merge_lookup_errors_are_shown_and_a_real_account_has_no_merge_page(client, site):
    login(client, admin())
    walk_in = site["walk_in"]
    response = client.get(f"/admin/users/{walk_in.id}/merge", query_string={"phone": "13000000000"})
    assert field_errors(response, "phone") == ["没有人用这个手机号注册。"]
    response = client.get(f"/admin/users/{walk_in.id}/merge", query_string={"phone": walk_in.phone})
    assert "这是本账号的手机号" in field_errors(response, "phone")[0]
    assert client.get(f"/admin/users/{make_user().id}/merge").status_code == 404
    assert client.post(f"/admin/users/{walk_in.id}/merge", data={"phone": "13000000000"}).status_code == 400


def test_role_changes_from_the_persons_page_come_back_to_it_and_are_audited(client):
    person = make_user("李秀兰")
    login(client, admin())
    response = client.post(f"/admin/users/{person.id}/roles",
                           data={f"u{person.id}-organizer": "y", f"u{person.id}-next": f"/admin/users/{person.id}"})
    assert response.headers["Location"] == f"/admin/users/{person.id}"
    assert db.session.execute(sa.select(AuditEntry.action)).scalar_one() == "user.roles"


# --- the audit trail ------------------------------------------------------------------


def test_the_audit_trail_shows_who_did_what_before_and_after(client, site):
    login(client, admin())
    client.post(f"/admin/venues/{site['venue'].id}", data={"name": "一楼多功能厅", "seats": "80"})
    body = visible_text(client.get("/admin/audit"))
    assert "场地已修改" in body and "王建国" in body and "多功能厅 → 一楼多功能厅" in body


def test_the_audit_trail_filters_by_person_action_program_and_date(client, site, now):
    me = admin()
    login(client, me)
    client.post(f"/admin/programs/{site['program'].id}/series", data={"new-name": "文化名人"})
    client.post(f"/admin/venues/{site['venue'].id}", data={"name": "一楼多功能厅"})
    other = make_user("赵主任", roles=(Role.RESIDENT, Role.ADMIN))
    program_service.add_organizer(site["troupe"], make_user("韩秀梅"), by=other, now=now)
    db.session.commit()

    def shown(**query):
        return [m for m in re.findall(r"<strong>([^<]+)</strong>", page(client.get("/admin/audit", query_string=query)))]

    assert shown(action="venue.edit") == ["场地已修改"]
    assert shown(action="series.") == ["已添加系列"]
    assert set(shown(person="赵主任")) == {"已添加组织者", "角色已修改"}  # the organizer role came with it
    assert "已添加组织者" in shown(person="韩秀梅")  # whom it was done to
    assert shown(program=str(site["program"].id)) == ["已添加系列"]
    today = now.astimezone(LOCAL_TZ).date()
    assert len(shown(since=str(today), until=str(today))) >= 3
    assert shown(until=str(today - timedelta(days=1))) == []
    assert client.get("/admin/audit", query_string={"since": "not a day", "program": "x'--"}).status_code == 200


def test_the_audit_trail_cannot_be_changed_from_the_site(client):
    login(client, admin())
    assert client.post("/admin/audit").status_code == 405
    assert client.delete("/admin/audit").status_code == 405


def test_the_audit_trail_pages_through_in_a_constant_number_of_queries(client, count_queries, site, now):
    me = admin()
    login(client, me)
    from services import audit

    def add(n):
        for i in range(n):
            audit.record("venue.edit", actor=me, now=now, subject_type="venues", subject_id=1, label=f"场地{i}",
                         program_id=site["program"].id, before={"name": "甲"}, after={"name": "乙"})
        db.session.commit()

    add(3)
    with count_queries() as few:
        client.get("/admin/audit")
    add(70)
    with count_queries() as many:
        response = client.get("/admin/audit")
    assert page(response).count('class="panel audit-entry"') == 50 and "1 / 2" in page(response)
    assert len(many) == len(few)


def test_the_programs_and_venues_lists_run_a_constant_number_of_queries(client, count_queries, now):
    login(client, admin())
    make_troupe("甲团", leader=make_user("队长甲"), organizers=[make_user("组织甲")], slug="t0")
    make_venue("甲厅")
    with count_queries() as programs_few:
        client.get("/admin/programs")
    with count_queries() as venues_few:
        client.get("/admin/venues")
    for n in range(1, 9):
        program = make_troupe(f"队{n}", leader=make_user(f"队长{n}"), organizers=[make_user(f"组织{n}")], slug=f"t{n}")
        make_event(program, starts_in=timedelta(days=n))
        make_venue(f"厅{n}")
    with count_queries() as programs_many:
        client.get("/admin/programs")
    with count_queries() as venues_many:
        client.get("/admin/venues")
    assert len(programs_many) == len(programs_few)
    assert len(venues_many) == len(venues_few)
