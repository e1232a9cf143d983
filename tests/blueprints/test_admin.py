"""Administrators finding people and giving them roles, through the client."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

import pytest

from models import Role, User, db
from tests.blueprints.conftest import alerts, page
from tests.conftest import login, make_program, make_user


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
