"""The calendar feeds over HTTP: headers, conditional requests, tokens, links and cost."""
from __future__ import annotations

import hashlib
import re
from datetime import time, timedelta
from urllib.parse import quote

import icalendar
import pytest
from ical.calendar_stream import IcsCalendarStream

from models import ProgramKind, db
from services import events as event_service
from services import feeds
from services.booking import book_seat, cancel_booking
from services.dates import to_local
from tests.conftest import login, make_event, make_program, make_user, make_venue


def strict_events(body: bytes) -> dict:
    """Events by UID as the independent ``ical`` parser reads them."""
    (calendar,) = IcsCalendarStream.from_ics(body.decode("utf-8")).calendars
    return {event.uid: event for event in calendar.events}


def new_token(user, now) -> str:
    token = feeds.reset_feed_token(user, now=now)
    db.session.commit()
    return token


@pytest.fixture
def lecture(app, now):
    program = make_program(slug="wenshi-jiangtang", name="周三文史讲堂")
    event = make_event(program, title="管仲与齐国的富国之道", now=now - timedelta(days=2))
    event.venue = make_venue("城市书房")
    db.session.commit()
    return event


# --- what every feed sends -------------------------------------------------------------------


def feed_urls(event, token):
    return {
        "public": "/calendar/all.ics",
        "program": f"/calendar/{event.program.slug}.ics",
        "event": f"/calendar/events/{event.id}.ics",
        "personal": f"/calendar/u/{token}.ics",
    }


def test_every_feed_is_utf8_text_calendar_with_a_strong_etag_and_last_modified(client, lecture, now):
    user = make_user()
    booked_at = now - timedelta(days=1)
    book_seat(lecture, user, now=booked_at)
    db.session.commit()
    for kind, url in feed_urls(lecture, new_token(user, now)).items():
        response = client.get(url)
        assert response.status_code == 200, kind
        assert response.headers["Content-Type"] == "text/calendar; charset=utf-8", kind
        etag = response.headers["ETag"]
        assert not etag.startswith("W/"), kind
        assert etag == f'"{hashlib.sha256(response.data).hexdigest()}"', kind
        # The latest change in the feed: the lecture's, or for the person their booking's.
        changed = booked_at if kind == "personal" else lecture.updated_at
        assert response.last_modified == changed.replace(microsecond=0), kind
        assert response.data.startswith(b"BEGIN:VCALENDAR\r\n"), kind
        # The independent parser sees exactly the lecture, as it is in the database.
        (event,) = strict_events(response.data).values()
        assert (event.uid, event.dtstart, event.dtend, event.summary, event.status.value) == (
            lecture.calendar_uid, lecture.starts_at, lecture.ends_at,
            "管仲与齐国的富国之道", "CONFIRMED",
        ), kind


def test_the_same_etag_gets_a_304_and_a_changed_feed_a_new_body(client, lecture, now):
    first = client.get("/calendar/all.ics")
    etag = first.headers["ETag"]

    again = client.get("/calendar/all.ics", headers={"If-None-Match": etag})
    assert again.status_code == 304
    assert again.data == b""
    assert again.headers["ETag"] == etag
    assert again.headers["Cache-Control"] == "public, max-age=300"

    assert client.get("/calendar/all.ics", headers={"If-None-Match": '"something-else"'}).status_code == 200
    # A date alone can't prove a feed unchanged (an event may have left it): full answer.
    since = {"If-Modified-Since": first.headers["Last-Modified"]}
    assert client.get("/calendar/all.ics", headers=since).status_code == 200

    event_service.cancel_event(lecture, "讲师临时有事", actor=None, now=now)
    db.session.commit()
    changed = client.get("/calendar/all.ics", headers={"If-None-Match": etag})
    assert changed.status_code == 200
    assert changed.headers["ETag"] != etag
    assert "【已取消】管仲与齐国的富国之道" in changed.get_data(as_text=True).replace("\r\n ", "")
    (event,) = strict_events(changed.data).values()
    assert event.status.value == "CANCELLED" and event.sequence == 1


def test_public_feeds_may_be_cached_and_the_event_download_is_an_attachment(client, lecture):
    response = client.get("/calendar/wenshi-jiangtang.ics")
    assert response.headers["Cache-Control"] == "public, max-age=300"
    assert response.headers["Content-Disposition"] == 'inline; filename="wenshi-jiangtang.ics"'
    assert response.headers["Referrer-Policy"] == "same-origin"
    download = client.get(f"/calendar/events/{lecture.id}.ics")
    assert download.headers["Content-Disposition"] == f'attachment; filename="linli-event-{lecture.id}.ics"'


def test_feeds_are_in_chinese_whatever_the_language_switch_says(client, lecture):
    chinese = client.get("/calendar/all.ics")
    client.set_cookie("lang", "en")
    english_reader = client.get("/calendar/all.ics")
    assert english_reader.data == chinese.data
    assert "邻里 · 社区活动" in english_reader.get_data(as_text=True)


@pytest.mark.parametrize("url", [
    "/calendar/no-such-program.ics", "/calendar/" + "x" * 300 + ".ics", "/calendar/events/999.ics",
    "/calendar/events/99999999999999.ics", "/calendar/events/abc.ics", "/calendar/u/not-a-token.ics",
    "/calendar/u/" + "A" * 43 + ".ics",
])
def test_unknown_feeds_are_404(client, lecture, url):
    assert client.get(url).status_code == 404


def test_head_requests_get_the_headers(client, lecture):
    response = client.head("/calendar/all.ics")
    assert response.status_code == 200
    assert response.headers["ETag"] == client.get("/calendar/all.ics").headers["ETag"]


def test_feeds_of_every_program_kind(client, lecture, now):
    troupe = make_program(ProgramKind.TROUPE, slug="lvju", name="吕剧团")
    show = make_event(troupe, title="吕剧专场演出")
    assert set(strict_events(client.get("/calendar/all.ics").data)) == {lecture.calendar_uid, show.calendar_uid}
    response = client.get("/calendar/lvju.ics")
    assert set(strict_events(response.data)) == {show.calendar_uid}
    calendar = icalendar.Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == "吕剧团"


# --- links and UIDs --------------------------------------------------------------------------


def test_links_come_from_site_url_whatever_address_the_feed_was_fetched_from(app, client, lecture):
    app.config["SITE_URL"] = "https://linli.example.org"
    body = client.get("/calendar/all.ics", base_url="http://127.0.0.1:8000").data
    (vevent,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(vevent["UID"]) == lecture.calendar_uid
    assert str(vevent["URL"]) == f"https://linli.example.org/lectures/{lecture.id}"
    assert b"127.0.0.1" not in body


def test_without_a_site_address_feeds_carry_no_links_and_never_the_requests_host(client, lecture):
    bodies = [client.get("/calendar/all.ics", base_url=base).data for base in ("http://localhost", "http://evil.example")]
    assert bodies[0] == bodies[1]
    (vevent,) = icalendar.Calendar.from_ical(bodies[1]).walk("VEVENT")
    assert "URL" not in vevent and b"evil.example" not in bodies[1] and b"localhost" not in bodies[1]
    assert str(vevent["UID"]) == lecture.calendar_uid


def test_server_name_gives_the_links_when_there_is_no_site_url(app, lecture):
    app.config["SERVER_NAME"] = "linli.local:8443"
    app.config["PREFERRED_URL_SCHEME"] = "https"
    body = app.test_client().get("/calendar/all.ics", base_url="https://linli.local:8443").data
    (vevent,) = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert str(vevent["UID"]) == lecture.calendar_uid
    assert str(vevent["URL"]) == f"https://linli.local:8443/lectures/{lecture.id}"


# --- personal feeds --------------------------------------------------------------------------


def test_a_personal_feed_needs_no_login_and_is_private(client, lecture, now):
    user = make_user()
    book_seat(lecture, user, now=now)
    db.session.commit()
    token = new_token(user, now)
    response = client.get(f"/calendar/u/{token}.ics")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert "noindex" in response.headers["X-Robots-Tag"]
    assert "Set-Cookie" not in response.headers
    assert list(strict_events(response.data)) == [lecture.calendar_uid]

    not_modified = client.get(f"/calendar/u/{token}.ics", headers={"If-None-Match": response.headers["ETag"]})
    assert not_modified.status_code == 304
    assert not_modified.headers["Cache-Control"] == "no-store"
    assert not_modified.headers["Referrer-Policy"] == "no-referrer"


def test_a_personal_feed_follows_the_persons_bookings(client, lecture, now):
    user = make_user()
    full = make_event(lecture.program, title="齐国刻瓷：从刀法说起", capacity=0)
    seat = book_seat(lecture, user, now=now)
    book_seat(full, user, now=now, waitlist=True)
    db.session.commit()
    url = f"/calendar/u/{new_token(user, now)}.ics"
    events = strict_events(client.get(url).data)
    assert {e.summary: e.status.value for e in events.values()} == {
        "管仲与齐国的富国之道": "CONFIRMED", "【候补】齐国刻瓷：从刀法说起": "TENTATIVE",
    }
    cancel_booking(seat, now=now)
    db.session.commit()
    assert [e.summary for e in strict_events(client.get(url).data).values()] == ["【候补】齐国刻瓷：从刀法说起"]


def test_after_a_reset_from_the_account_page_the_old_url_is_404(client, lecture, now):
    user = make_user()
    login(client, user)
    client.post("/account/calendar/reset")
    old_page = client.get("/account/calendar").get_data(as_text=True)
    old_url = re.search(r"https?://localhost/calendar/u/[A-Za-z0-9_-]{43}\.ics", old_page).group(0)
    anonymous = client.application.test_client()
    assert anonymous.get(old_url).status_code == 200

    client.post("/account/calendar/reset")
    new_page = client.get("/account/calendar").get_data(as_text=True)
    new_url = re.search(r"https?://localhost/calendar/u/[A-Za-z0-9_-]{43}\.ics", new_page).group(0)
    assert new_url != old_url

    gone = anonymous.get(old_url)
    assert gone.status_code == 404
    assert gone.headers["Referrer-Policy"] == "no-referrer"
    assert gone.headers["Cache-Control"] == "no-store"
    assert anonymous.get(new_url).status_code == 200


# --- subscribe buttons on the pages ------------------------------------------------------------


def test_the_lectures_page_offers_subscribe_buttons_for_the_program_feed(client, lecture):
    page = client.get("/lectures/").get_data(as_text=True)
    https = "http://localhost/calendar/wenshi-jiangtang.ics"
    webcal = "webcal://localhost/calendar/wenshi-jiangtang.ics"
    assert f'href="{webcal}"' in page
    assert f'href="https://calendar.google.com/calendar/r?cid={quote(webcal, safe="")}"' in page
    assert f'value="{https}" readonly' in page
    assert "订阅日历" in page and "添加到 Google 日历" in page
    assert client.get(https).status_code == 200


def test_the_home_page_offers_the_community_calendar(client, lecture):
    page = client.get("/").get_data(as_text=True)
    assert 'href="webcal://localhost/calendar/all.ics"' in page
    assert "订阅社区日历" in page


def test_a_lecture_page_offers_its_download_unless_it_is_cancelled(client, lecture, now):
    link = f'href="/calendar/events/{lecture.id}.ics"'
    page = client.get(f"/lectures/{lecture.id}").get_data(as_text=True)
    assert link in page and "添加到我的日历" in page
    event_service.cancel_event(lecture, "场地维修", actor=None, now=now)
    db.session.commit()
    assert link not in client.get(f"/lectures/{lecture.id}").get_data(as_text=True)


# --- cost ----------------------------------------------------------------------------------------


def test_a_program_feed_of_500_events_takes_as_many_queries_as_one_of_5(app, client, now, count_queries):
    program = make_program(slug="wenshi-jiangtang")
    venue = make_venue()

    def add(count, offset):
        for index in range(offset, offset + count):
            start = now + timedelta(days=1, hours=index)
            event_service.new_event(program, title=f"第 {index + 1} 讲", starts_at=start, ends_at=start + timedelta(hours=1),
                               capacity=40, booking_cutoff=timedelta(hours=1), venue=venue, now=now)
        db.session.commit()

    def fetch():
        db.session.expunge_all()
        client.application.wsgi_app.clear()  # Flask's own work, not the front's (test_feed_front.py)
        with count_queries() as statements:
            response = client.get("/calendar/wenshi-jiangtang.ics")
        assert response.status_code == 200
        return len(statements), response.data

    add(5, 0)
    few, _ = fetch()
    add(495, 5)
    many, body = fetch()
    # The program, the feed's version, its events, the next event to come into its window.
    assert many == few <= 4
    assert len(strict_events(body)) == 500


def test_an_unchanged_feed_is_answered_from_its_version_without_building_it(client, lecture, now, count_queries):
    user = make_user()
    book_seat(lecture, user, now=now)
    db.session.commit()
    for url, queries in (("/calendar/all.ics", 1), (f"/calendar/u/{new_token(user, now)}.ics", 1)):
        first = client.get(url)
        db.session.expunge_all()
        # Flask's own answers (the front that answers before it: test_feed_front.py).
        client.application.wsgi_app.clear()
        with count_queries() as statements:
            again = client.get(url, headers={"If-None-Match": first.headers["ETag"]})
        assert again.status_code == 304
        # The feed's version (for a personal feed in the same query: whose it is, the alarm
        # they chose and their own version): nothing of the feed itself.
        assert len(statements) == queries, statements
        client.application.wsgi_app.clear()
        with count_queries() as statements:
            full = client.get(url)
        assert full.data == first.data and full.headers["ETag"] == first.headers["ETag"]
        assert len(statements) == queries


def test_a_feed_answered_from_cache_still_follows_every_change(client, lecture, now, time_machine):
    user = make_user()
    token = new_token(user, now)
    public, personal = "/calendar/all.ics", f"/calendar/u/{token}.ics"

    def etags():
        return client.get(public).headers["ETag"], client.get(personal).headers["ETag"]

    seen = etags()
    assert etags() == seen  # served again unchanged
    lecture.venue.name = "城市书房（东）"  # a venue renamed: every feed showing it changes
    db.session.commit()
    assert client.get(public).headers["ETag"] != seen[0]
    assert "城市书房（东）" in client.get(public).get_data(as_text=True)
    seen = etags()

    book_seat(lecture, user, now=now)  # a booking: the person's own feed, not the public one
    db.session.commit()
    now_public, now_personal = etags()
    assert now_public == seen[0] and now_personal != seen[1]
    assert lecture.title in client.get(personal).get_data(as_text=True)

    # Nobody writes, but a month after the lecture it leaves the window: the clock alone.
    time_machine.move_to(lecture.ends_at + feeds.WINDOW_PAST + timedelta(minutes=1), tick=True)
    assert lecture.title not in client.get(public).get_data(as_text=True)
    assert lecture.title not in client.get(personal).get_data(as_text=True)


def test_a_program_slug_never_breaks_the_download_header(client, now):
    make_event(make_program(slug="书画 \"笔会\""), title="书画笔会")
    response = client.get("/calendar/书画 \"笔会\".ics")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"] == 'inline; filename="-------.ics"'


# --- every kind of program: links and subscribe buttons ---------------------------------------


def test_a_feed_links_every_kind_of_event_to_a_page_that_answers(app, client, lecture, now):
    from services import schedules, troupes

    app.config["SITE_URL"] = "http://localhost"
    from tests.conftest import make_role, make_team, make_troupe, make_youth_program

    talk = make_event(make_team(), capacity=0, cutoff=timedelta(0), title="学习宣讲", now=now)
    make_role(talk, "主持", 1)
    troupe = make_troupe(slug="lvju")
    show = make_event(troupe, title="吕剧专场演出", now=now)
    youth_class = make_event(make_youth_program(slug="songdu"), title="经典诗文诵读", now=now)
    body = client.get("/calendar/all.ics").data
    urls = {str(v["UID"]): str(v["URL"]) for v in icalendar.Calendar.from_ical(body).walk("VEVENT")}
    expected = {
        lecture: f"/lectures/{lecture.id}", talk: f"/lecture-team/events/{talk.id}",
        show: f"/troupes/events/{show.id}", youth_class: f"/youth/classes/{youth_class.id}",
    }
    assert urls == {e.calendar_uid: f"http://localhost{path}" for e, path in expected.items()}
    for path in expected.values():
        assert client.get(path).status_code == 200, path

    # A rehearsal is for members: no public feed or download has it, its page still answers.
    first = to_local(now).date() + timedelta(days=1)
    rehearsal = troupes.add_rehearsals(troupe, schedules.WeeklyPlan(
        title="排练", weekdays=frozenset({first.weekday()}), start_time=time(9), end_time=time(11),
        first_day=first, last_day=first, include_days=frozenset({first}),
    ), actor=None, now=now).events[0]
    db.session.commit()
    assert rehearsal.calendar_uid not in strict_events(client.get("/calendar/lvju.ics").data)
    assert client.get(f"/calendar/events/{rehearsal.id}.ics").status_code == 404
    assert client.get(f"/troupes/events/{rehearsal.id}").status_code == 200


def test_the_lecture_team_each_troupe_and_each_youth_program_offer_their_feed(client, now):
    from tests.conftest import make_team, make_troupe, make_youth_program

    make_team(), make_troupe(slug="lvju"), make_youth_program(slug="songdu")
    for path, slug in (("/lecture-team/", "pugongying"), ("/troupes/lvju", "lvju"), ("/youth/songdu", "songdu")):
        html = client.get(path).get_data(as_text=True)
        assert f'id="subscribe-{slug}"' in html, path
        assert f'href="webcal://localhost/calendar/{slug}.ics"' in html, path
        assert client.get(f"/calendar/{slug}.ics").status_code == 200
