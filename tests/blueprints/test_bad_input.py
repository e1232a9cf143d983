"""Control characters in any path or query value never reach a view: a 404 or a 400,
from one place (``security.refuse_control_characters``), on SQLite and PostgreSQL alike."""
from __future__ import annotations

import re

import pytest

from models import Role
from tests.conftest import fresh_client, login, make_event, make_program, make_troupe, make_user, make_youth_program

NASTY = ["%00", "a%00b", "%01", "%1f", "%7f", "%0a"]


def every_url(app, value: str) -> list[tuple[str, str]]:
    """Every route of the app with ``value`` in each of its variables, by method."""
    urls = []
    for rule in app.url_map.iter_rules():
        path = re.sub(r"<(?:[^:<>]+:)?[^<>]+>", value, rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            urls.append((method, path))
    return urls


@pytest.fixture
def organizer_client(app):
    admin = make_user("王建国", roles=(Role.RESIDENT, Role.ORGANIZER, Role.ADMIN))
    program = make_program(slug="wenshi-jiangtang", organizers=[admin])
    make_event(program)
    make_troupe(slug="lvju", leader=admin, organizers=[admin])
    make_youth_program(slug="songdu", organizers=[admin])
    client = fresh_client(app)
    login(client, admin)
    return client


@pytest.mark.parametrize("value", NASTY)
def test_a_control_character_in_any_path_is_404_never_500(app, organizer_client, value):
    routes = every_url(app, value)
    assert len(routes) > 100  # every route of every area
    for client in (organizer_client, fresh_client(app)):
        for method, path in routes:
            if value not in path:
                continue
            response = client.open(path, method=method, data={"name": "x"})
            assert response.status_code == 404, (method, path, response.status_code)


@pytest.mark.parametrize("value", NASTY)
def test_a_control_character_in_a_query_or_form_value_is_400_never_500(app, organizer_client, value):
    plain = [(m, p) for m, p in every_url(app, "1") if "%" not in p]
    for method, path in plain:
        response = organizer_client.open(f"{path}?q={value}&page={value}&next=/{value}", method=method)
        assert response.status_code in (400, 404), (method, path, response.status_code)
        response = organizer_client.open(f"{path}?x{value}=1", method=method)
        assert response.status_code in (400, 404), (method, path, response.status_code)
    for method, path in plain:
        if method == "POST":
            response = organizer_client.post(path, data={"name": "小明\x00", "title": "\x01"})
            assert response.status_code in (400, 404), (method, path, response.status_code)


def test_text_areas_keep_their_line_breaks(app, organizer_client):
    response = organizer_client.post("/auth/logout", data={"note": "第一行\r\n第二行\t完"})
    assert response.status_code != 400
