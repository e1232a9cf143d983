"""The account pages through the client: the personal calendar link."""
from __future__ import annotations

import re

from models import CalendarToken, db
from services import feeds
from tests.conftest import login, make_user

FEED_URL = re.compile(r"http://localhost/calendar/u/([A-Za-z0-9_-]{43})\.ics")


def test_the_calendar_page_needs_a_login(client):
    response = client.get("/account/calendar")
    assert response.status_code == 302 and "/auth/login" in response.headers["Location"]
    assert client.post("/account/calendar/reset").status_code == 302
    assert db.session.query(CalendarToken).count() == 0


def test_making_a_link_shows_it_once_with_subscribe_buttons(client):
    user = make_user()
    login(client, user)
    first = client.get("/account/calendar").get_data(as_text=True)
    assert "您还没有日历链接" in first and "生成我的日历链接" in first
    assert not FEED_URL.search(first)

    response = client.post("/account/calendar/reset")
    assert response.status_code == 302 and response.headers["Location"].endswith("/account/calendar")
    shown = client.get("/account/calendar")
    assert shown.headers["Cache-Control"] == "no-store"
    page = shown.get_data(as_text=True)
    assert "您的日历链接已生成" in page and "只显示这一次" in page
    token = FEED_URL.search(page).group(1)
    assert f'href="webcal://localhost/calendar/u/{token}.ics"' in page
    assert "calendar.google.com/calendar/r?cid=webcal%3A%2F%2Flocalhost%2Fcalendar%2Fu%2F" + token in page
    assert feeds.user_for_feed_token(token) == user
    assert "生成新的日历链接" not in page  # no reset button beside a link just made

    later = client.get("/account/calendar").get_data(as_text=True)
    assert token not in later
    assert "生成新的日历链接" in later and "旧链接会立即失效" in later


def test_a_new_link_replaces_the_old_one(client):
    user = make_user()
    login(client, user)
    client.post("/account/calendar/reset")
    old = FEED_URL.search(client.get("/account/calendar").get_data(as_text=True)).group(1)
    client.post("/account/calendar/reset")
    page = client.get("/account/calendar").get_data(as_text=True)
    assert "新的日历链接已生成，旧链接已失效" in page
    new = FEED_URL.search(page).group(1)
    assert new != old
    assert feeds.user_for_feed_token(old) is None and feeds.user_for_feed_token(new) == user


def test_a_link_replaced_from_another_phone_is_not_shown(client, now):
    user = make_user()
    login(client, user)
    client.post("/account/calendar/reset")
    feeds.reset_feed_token(user, now=now)  # meanwhile, on another phone
    db.session.commit()
    assert not FEED_URL.search(client.get("/account/calendar").get_data(as_text=True))


def test_the_reset_is_a_post_with_csrf(app, client):
    user = make_user()
    login(client, user)
    assert client.get("/account/calendar/reset").status_code == 405
    app.config["WTF_CSRF_ENABLED"] = True
    assert client.post("/account/calendar/reset").status_code == 400
    assert feeds.feed_token_of(user) is None
    page = client.get("/account/calendar").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page).group(1)
    assert client.post("/account/calendar/reset", data={"csrf_token": csrf}).status_code == 302
    assert feeds.feed_token_of(user) is not None


def test_my_bookings_links_to_the_calendar_page(client):
    login(client, make_user())
    assert 'href="/account/calendar"' in client.get("/account/bookings").get_data(as_text=True)
