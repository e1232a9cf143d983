"""Unchanged feeds answered before Flask (blueprints/calendar/front.py): the same answer
as Flask's, and never once a feed or its address has changed."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models import Role, db
from services import feeds, people
from services.booking import book_seat
from tests.blueprints.test_calendar import lecture, new_token  # noqa: F401 (a fixture)
from tests.conftest import login, make_user


@pytest.fixture
def through_flask(app):
    """How many requests reached Flask's own request handling."""
    seen = []
    app.before_request(lambda: seen.append(1) and None)
    return seen


def comparable(response, *, nonce: bool = True) -> dict:
    """The headers but the date (and the CSP nonce, which is new on every Flask answer)."""
    headers = dict(response.headers)
    headers.pop("Date", None)
    if not nonce:
        headers.pop("Content-Security-Policy")
    return headers


def test_an_unchanged_feed_is_answered_before_flask_exactly_as_flask_answered(
        client, lecture, now, through_flask, count_queries):
    user = make_user()
    book_seat(lecture, user, now=now)
    db.session.commit()
    for url in ("/calendar/all.ics", "/calendar/wenshi-jiangtang.ics", f"/calendar/u/{new_token(user, now)}.ics"):
        through_flask.clear()
        first = client.get(url)
        assert first.status_code == 200 and through_flask == [1]
        with count_queries() as statements:
            again = client.get(url)
            not_modified = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert through_flask == [1], url  # neither went further than the front
        # Nor did anything of the app's SQLAlchemy run: the front reads the versions on
        # the driver's connection (changes reaching it are tested below).
        assert statements == []
        assert again.status_code == 200 and again.data == first.data
        assert comparable(again) == comparable(first)
        assert not_modified.status_code == 304 and not_modified.data == b""
        client.application.wsgi_app.clear()  # what Flask itself answers to the same request:
        from_flask = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert through_flask == [1, 1] and from_flask.status_code == 304
        assert comparable(not_modified, nonce=False) == comparable(from_flask, nonce=False)
        assert not_modified.headers["ETag"] == first.headers["ETag"]


def test_a_personal_feed_answered_before_flask_stays_private(client, lecture, now, through_flask):
    url = f"/calendar/u/{new_token(make_user(), now)}.ics"
    first = client.get(url)
    answers = [client.get(url), client.get(url, headers={"If-None-Match": first.headers["ETag"]})]
    assert len(through_flask) == 1
    for response in answers:
        assert response.headers["Cache-Control"] == "no-store"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "noindex" in response.headers["X-Robots-Tag"]
        assert "Set-Cookie" not in response.headers


def test_after_a_first_304_the_front_answers_304s_but_sends_the_body_through_flask(
        client, lecture, through_flask):
    etag = client.get("/calendar/all.ics").headers["ETag"]
    fresh = client.application.test_client()  # another process's view: nothing kept yet
    client.application.wsgi_app.clear()
    through_flask.clear()
    assert fresh.get("/calendar/all.ics", headers={"If-None-Match": etag}).status_code == 304
    assert fresh.get("/calendar/all.ics", headers={"If-None-Match": etag}).status_code == 304
    assert through_flask == [1]
    full = fresh.get("/calendar/all.ics")
    assert full.status_code == 200 and full.headers["Content-Type"].startswith("text/calendar")
    assert through_flask == [1, 1]


def test_a_write_a_replaced_token_or_a_deactivation_reaches_flask_at_once(client, lecture, now, through_flask):
    user = make_user()
    admin = make_user("管理员", roles=(Role.RESIDENT, Role.ADMIN))
    token = new_token(user, now)
    personal, public = f"/calendar/u/{token}.ics", "/calendar/all.ics"
    etag = client.get(public).headers["ETag"]
    client.get(personal)

    lecture.title = "齐国的盐铁之策"
    db.session.commit()
    changed = client.get(public, headers={"If-None-Match": etag})
    assert changed.status_code == 200 and "齐国的盐铁之策" in changed.get_data(as_text=True)

    new_token(user, now)  # a new address: the old one is gone, at once
    assert client.get(personal).status_code == 404

    personal = f"/calendar/u/{new_token(user, now)}.ics"
    assert client.get(personal).status_code == 200
    assert client.get(personal).status_code == 200  # now kept by the front
    people.deactivate(user, by=admin, now=now, release_bookings=False)
    db.session.commit()
    assert client.get(personal).status_code == 404


def test_the_clock_alone_sends_a_feed_back_to_flask(client, lecture, time_machine):
    assert lecture.title in client.get("/calendar/all.ics").get_data(as_text=True)
    time_machine.move_to(lecture.ends_at + feeds.WINDOW_PAST + timedelta(minutes=1), tick=True)
    assert lecture.title not in client.get("/calendar/all.ics").get_data(as_text=True)


def test_a_request_with_a_cookie_always_goes_through_flask(client, lecture, through_flask):
    login(client, make_user())
    through_flask.clear()
    for _ in range(3):
        assert client.get("/calendar/all.ics").status_code == 200
    assert len(through_flask) == 3


@pytest.mark.app_config(SITE_URL="https://linli.example.org")
def test_only_answers_flask_gave_are_kept_never_one_for_a_foreign_host(client, lecture):
    assert client.get("/calendar/all.ics", base_url="https://linli.example.org").status_code == 200
    assert client.get("/calendar/all.ics", base_url="https://linli.example.org").status_code == 200
    assert client.get("/calendar/all.ics", base_url="https://evil.example").status_code == 400
    assert client.get("/calendar/u/not-a-token.ics", base_url="https://linli.example.org").status_code == 404
