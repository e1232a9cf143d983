"""The rules of the calendar feeds, as functions: what a feed holds and how it is written.

Every feed is read back twice: with ``icalendar`` (the library that writes it) and with
``ical``, an independent strict parser, whose view must match the database.
"""
from __future__ import annotations

import hashlib
from dataclasses import replace
import re
from datetime import time, timedelta

import icalendar
import pytest
import sqlalchemy as sa
from ical.calendar_stream import IcsCalendarStream

from models import Booking, BookingStatus, CalendarToken, Event, Program, ProgramKind, Quota, User, db
from services import events as event_service
from services import capacity, feeds
from services.booking import book_seat, cancel_booking
from services.dates import local_datetime, to_local
from tests.conftest import make_event, make_program, make_user, make_venue

DOMAIN = "linli.example.org"
LINKS = feeds.FeedLinks(event_url=lambda event: f"https://{DOMAIN}/lectures/{event.id}")


def render_program(program, now):
    return feeds.program_feed(program, now=now, links=LINKS, language="zh")


def render_public(now):
    return feeds.public_feed(now=now, links=LINKS, language="zh")


def render_personal(user, now):
    return feeds.personal_feed(user, now=now, links=LINKS, language="zh")


def vevents(feed) -> dict[str, icalendar.Event]:
    """The feed's events by UID, as icalendar reads them."""
    calendar = icalendar.Calendar.from_ical(feed.body)
    return {str(component["UID"]): component for component in calendar.walk("VEVENT")}


def strict_events(feed) -> dict[str, object]:
    """The feed's events by UID, as the independent ``ical`` parser reads them."""
    stream = IcsCalendarStream.from_ics(feed.body.decode("utf-8"))
    assert len(stream.calendars) == 1
    return {event.uid: event for event in stream.calendars[0].events}


def uid(event) -> str:
    return event.calendar_uid


def edit(event, *, now, **changes):
    """Edit a lecture through the service organizers use, changing only ``changes``."""
    event_service.edit_event(event, replace(event_service.EventChanges.of(event), **changes), actor=None, now=now)
    db.session.commit()


# --- RFC 5545 essentials -------------------------------------------------------------------


def test_every_kind_of_feed_has_version_prodid_and_the_required_event_properties(app, now):
    program = make_program(slug="wenshi-jiangtang")
    event = make_event(program, title="管仲与齐国的富国之道")
    event.venue, event.speaker, event.summary = make_venue("城市书房"), "刘文华", "仓廪实而知礼节"
    db.session.commit()
    user = make_user()
    book_seat(event, user, now=now)
    db.session.commit()

    kinds = {
        "public": render_public(now),
        "program": render_program(program, now),
        "event": feeds.event_feed(event, links=LINKS, language="zh"),
        "personal": render_personal(user, now),
    }
    for kind, feed in kinds.items():
        calendar = icalendar.Calendar.from_ical(feed.body)
        assert str(calendar["VERSION"]) == "2.0", kind
        assert str(calendar["PRODID"]) == feeds.PRODID, kind
        (vevent,) = calendar.walk("VEVENT")
        for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "LOCATION", "DESCRIPTION", "URL"):
            assert name in vevent, (kind, name)
        assert str(vevent["UID"]) == uid(event)
        assert str(vevent["URL"]) == f"https://{DOMAIN}/lectures/{event.id}"
        assert str(vevent["LOCATION"]) == "城市书房"
        assert "主讲：刘文华" in str(vevent["DESCRIPTION"])
        assert "仓廪实而知礼节" in str(vevent["DESCRIPTION"])
        assert f"详情：https://{DOMAIN}/lectures/{event.id}" in str(vevent["DESCRIPTION"])
        assert feed.body.startswith(b"BEGIN:VCALENDAR\r\n") and feed.body.endswith(b"END:VCALENDAR\r\n")


def test_an_event_without_a_venue_says_the_place_is_to_be_announced(app, now):
    event = make_event()
    assert str(vevents(render_public(now))[uid(event)]["LOCATION"]) == "地点待定"


def test_a_venue_with_an_address_shows_both(app, now):
    event = make_event()
    event.venue = make_venue("社区文化服务中心 多功能厅")
    event.venue.address = "社区文化服务中心二楼"
    db.session.commit()
    location = str(vevents(render_public(now))[uid(event)]["LOCATION"])
    assert location == "社区文化服务中心 多功能厅（社区文化服务中心二楼）"


# --- stable UIDs and byte-identical output -------------------------------------------------


def test_uids_are_random_stored_tokens_the_same_in_every_feed_with_no_database_id(app, now):
    program = make_program()
    events = [make_event(program, starts_in=timedelta(days=d)) for d in (3, 10)]
    user = make_user("张桂芳", phone="13912345678")
    book_seat(events[0], user, now=now)
    db.session.commit()
    token = feeds.reset_feed_token(user, now=now)
    db.session.commit()

    assert set(vevents(render_program(program, now))) == {uid(e) for e in events}
    assert set(vevents(render_public(now))) == {uid(e) for e in events}
    assert set(vevents(feeds.event_feed(events[1], links=LINKS, language="zh"))) == {uid(events[1])}
    personal = render_personal(user, now)
    assert set(vevents(personal)) == {uid(events[0])}
    # Nothing personal in a UID: not the name, phone number, user id or token.
    for text in ("张桂芳", "13912345678", token, f"user-{user.id}"):
        assert text not in " ".join(vevents(personal))
    assert token.encode() not in personal.body
    # Nor anything about the event or the site: a random UUID, stored with the event.
    for event in events:
        assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", uid(event))
        assert f"event-{event.id}" not in uid(event) and "@" not in uid(event)
    assert b"event-" not in render_public(now).body and DOMAIN.encode() not in uid(events[0]).encode()
    assert len({uid(e) for e in events}) == 2


def test_a_feed_without_a_site_address_carries_no_links(app, now):
    event = make_event()
    feed = feeds.public_feed(now=now, links=feeds.FeedLinks(event_url=lambda event: None), language="zh")
    vevent = vevents(feed)[uid(event)]
    assert "URL" not in vevent and "详情" not in str(vevent["DESCRIPTION"])
    assert b"://" not in feed.body


def test_unchanged_data_renders_to_byte_identical_output(app, now):
    program = make_program()
    for days in (2, 9, 16):
        make_event(program, starts_in=timedelta(days=days))
    user = make_user()
    book_seat(program.events[0], user, now=now)
    db.session.commit()

    for render in (lambda at: render_program(program, at), render_public, lambda at: render_personal(user, at)):
        first, later = render(now), render(now + timedelta(hours=5))
        db.session.expire_all()
        again = render(now + timedelta(hours=5))
        assert first.body == later.body == again.body
        assert first.etag == later.etag == hashlib.sha256(first.body).hexdigest()


def test_dtstamp_and_last_modified_are_the_events_last_change_not_the_clock(app, now):
    created = now - timedelta(days=3)
    event = make_event(now=created)
    vevent = vevents(render_public(now))[uid(event)]
    assert vevent.decoded("DTSTAMP") == created.replace(microsecond=0)
    assert vevent.decoded("LAST-MODIFIED") == created.replace(microsecond=0)
    assert vevent.decoded("CREATED") == created.replace(microsecond=0)
    assert vevent.decoded("SEQUENCE") == 0


# --- times ---------------------------------------------------------------------------------


def test_times_are_written_in_asia_shanghai_with_a_matching_vtimezone_never_floating(app, now):
    program = make_program()
    day = to_local(now).date() + timedelta(days=7)
    event = event_service.new_event(
        program, title="稷下学宫", starts_at=local_datetime(day, time(9, 30)),
        ends_at=local_datetime(day, time(11, 0)), capacity=10, booking_cutoff=timedelta(hours=1), now=now,
    )
    db.session.commit()
    feed = render_program(program, now)
    text = feed.body.decode()
    stamp = day.strftime("%Y%m%d")
    assert f"DTSTART;TZID=Asia/Shanghai:{stamp}T093000\r\n" in text
    assert f"DTEND;TZID=Asia/Shanghai:{stamp}T110000\r\n" in text
    # Every date-time is either tied to the VTIMEZONE or in UTC.
    for line in text.split("\r\n"):
        if re.match(r"(DTSTART|DTEND|DTSTAMP|LAST-MODIFIED|CREATED)[;:]", line) and not line.startswith("DTSTART:2000"):
            assert "TZID=Asia/Shanghai" in line or line.endswith("Z"), line

    calendar = icalendar.Calendar.from_ical(feed.body)
    (timezone,) = calendar.walk("VTIMEZONE")
    assert str(timezone["TZID"]) == "Asia/Shanghai"
    assert calendar.get_missing_tzids() == set()
    (standard,) = timezone.walk("STANDARD")
    assert standard.decoded("TZOFFSETTO") == timedelta(hours=8)
    assert str(calendar["X-WR-TIMEZONE"]) == "Asia/Shanghai"

    vevent = vevents(feed)[uid(event)]
    assert vevent.decoded("DTSTART") == event.starts_at
    assert vevent.decoded("DTSTART").utcoffset() == timedelta(hours=8)
    strict = strict_events(feed)[uid(event)]
    assert strict.dtstart == event.starts_at and strict.dtend == event.ends_at
    assert strict.dtstart.utcoffset() == timedelta(hours=8)


# --- edits and cancellations ---------------------------------------------------------------


@pytest.mark.parametrize("change", [
    {"title": "管仲改革的来龙去脉"},
    {"speaker": "高明远"},
    {"summary": "新增现场问答环节"},
    {"shift": timedelta(hours=1)},
    {"venue": "城市书房"},
    {"capacity": 50},
])
def test_every_edit_raises_sequence_and_last_modified(app, now, change):
    event = make_event(now=now - timedelta(days=1))
    before = vevents(render_public(now))[uid(event)]
    assert before.decoded("SEQUENCE") == 0

    edited_at = now - timedelta(minutes=5)
    if "shift" in change:
        change = {"starts_at": event.starts_at + change["shift"], "ends_at": event.ends_at + change["shift"]}
    elif "venue" in change:
        change = {"venue": make_venue(change["venue"])}
    edit(event, now=edited_at, **change)

    after = vevents(render_public(now))[uid(event)]
    assert after.decoded("SEQUENCE") == 1
    assert after.decoded("LAST-MODIFIED") == edited_at.replace(microsecond=0)
    assert after.decoded("DTSTAMP") == edited_at.replace(microsecond=0)
    assert after.decoded("DTSTART") == event.starts_at

    edit(event, now=now, title="再改一次")
    assert vevents(render_public(now))[uid(event)].decoded("SEQUENCE") == 2


def test_a_cancelled_event_stays_crossed_out_for_30_days_then_leaves(app, now):
    event = make_event(starts_in=timedelta(days=200), title="管仲与齐国的富国之道")
    event_service.cancel_event(event, "主讲老师临时外出, 改期另行通知", actor=None, now=now)
    db.session.commit()

    for feed in (render_public(now + timedelta(days=29)), render_program(event.program, now)):
        vevent = vevents(feed)[uid(event)]
        assert str(vevent["STATUS"]) == "CANCELLED"
        assert str(vevent["SUMMARY"]) == "【已取消】管仲与齐国的富国之道"
        assert "已取消" in str(vevent["SUMMARY"])
        assert "原因：主讲老师临时外出, 改期另行通知" in str(vevent["DESCRIPTION"])
        assert str(vevent["TRANSP"]) == "TRANSPARENT"
        assert vevent.decoded("SEQUENCE") == 1
        assert strict_events(feed)[uid(event)].status.value == "CANCELLED"

    assert uid(event) not in vevents(render_public(now + timedelta(days=31)))
    assert uid(event) not in vevents(render_program(event.program, now + timedelta(days=31)))


def test_a_cancelled_event_leaves_with_the_window_even_before_30_days(app, now):
    # Made 60 days ago, it took place 29 days ago: close to leaving the 30-day window.
    event = make_event(starts_in=timedelta(days=31), title="已结束的讲座", now=now - timedelta(days=60))
    event_service.cancel_event(event, "停电", actor=None, now=now - timedelta(days=29, hours=2))
    db.session.commit()
    assert uid(event) in vevents(render_public(now))
    assert uid(event) not in vevents(render_public(now + timedelta(days=2)))


def test_cancelled_lectures_stay_in_the_bookers_feed_too(app, now):
    event = make_event(title="怎样欣赏一幅山水画")
    user = make_user()
    book_seat(event, user, now=now)
    event_service.cancel_event(event, "场地维修", actor=None, now=now)
    db.session.commit()
    vevent = vevents(render_personal(user, now))[uid(event)]
    assert str(vevent["STATUS"]) == "CANCELLED"
    assert str(vevent["SUMMARY"]) == "【已取消】怎样欣赏一幅山水画"


# --- the personal feed ---------------------------------------------------------------------


def test_personal_feed_has_confirmed_bookings_and_tentative_waiting_places(app, now):
    program = make_program()
    booked = make_event(program, title="稷下学宫", starts_in=timedelta(days=3))
    full = make_event(program, title="齐国刻瓷", capacity=1, starts_in=timedelta(days=4))
    other = make_event(program, title="别人的讲座", starts_in=timedelta(days=5))
    user, first = make_user("张桂芳"), make_user("刘建华")
    book_seat(booked, user, now=now)
    book_seat(full, first, now=now)
    book_seat(full, user, now=now, waitlist=True)
    book_seat(other, first, now=now)
    db.session.commit()

    feed = render_personal(user, now)
    events = vevents(feed)
    assert set(events) == {uid(booked), uid(full)}
    assert str(events[uid(booked)]["STATUS"]) == "CONFIRMED"
    assert str(events[uid(booked)]["SUMMARY"]) == "稷下学宫"
    assert str(events[uid(full)]["STATUS"]) == "TENTATIVE"
    assert str(events[uid(full)]["SUMMARY"]) == "【候补】齐国刻瓷"
    assert "候补名单" in str(events[uid(full)]["DESCRIPTION"])

    strict = strict_events(feed)
    assert {u: (e.status.value, e.summary, e.dtstart) for u, e in strict.items()} == {
        uid(booked): ("CONFIRMED", "稷下学宫", booked.starts_at),
        uid(full): ("TENTATIVE", "【候补】齐国刻瓷", full.starts_at),
    }


def test_a_place_from_the_waiting_list_turns_confirmed_with_a_new_revision(app, now):
    event = make_event(capacity=1, now=now - timedelta(days=1))
    first, user = make_user("甲"), make_user("乙")
    seat = book_seat(event, first, now=now - timedelta(hours=2))
    book_seat(event, user, now=now - timedelta(hours=2), waitlist=True)
    db.session.commit()
    waiting = vevents(render_personal(user, now))[uid(event)]
    assert (str(waiting["STATUS"]), waiting.decoded("SEQUENCE")) == ("TENTATIVE", 0)

    promoted_at = now - timedelta(minutes=30)
    cancel_booking(seat, now=promoted_at)
    db.session.commit()
    confirmed = vevents(render_personal(user, now))[uid(event)]
    assert str(confirmed["STATUS"]) == "CONFIRMED"
    assert confirmed.decoded("SEQUENCE") == 1
    assert confirmed.decoded("LAST-MODIFIED") == promoted_at.replace(microsecond=0)


def test_a_booking_the_person_cancelled_leaves_their_feed(app, now):
    event = make_event()
    waiting_event = make_event(capacity=0)
    user = make_user()
    seat = book_seat(event, user, now=now)
    place = book_seat(waiting_event, user, now=now, waitlist=True)
    db.session.commit()
    assert set(vevents(render_personal(user, now))) == {uid(event), uid(waiting_event)}

    cancel_booking(seat, now=now)
    cancel_booking(place, now=now)
    db.session.commit()
    feed = render_personal(user, now)
    assert vevents(feed) == {}
    assert strict_events(feed) == {}
    # The public feed still has the event: only the person's part left.
    assert uid(event) in vevents(render_public(now))


def test_bookings_on_any_quota_appear_once_per_event(app, now):
    """A volunteer shift or a child's class is a booking on another quota of an event:
    it appears without feed changes, and a seat plus a shift at one event is one entry."""
    team = make_program(ProgramKind.LECTURE_TEAM, name="蒲公英宣讲队")
    talk = make_event(team, title="走进社区：爱国教育宣讲", starts_in=timedelta(days=6))
    lecture = make_event(title="晏婴的智慧与担当", starts_in=timedelta(days=8))
    shifts = [Quota(capacity=2, taken=0), Quota(capacity=1, taken=0)]
    db.session.add_all(shifts)
    db.session.commit()
    user = make_user()
    capacity.request_places(quota_id=shifts[0].id, event_id=talk.id, user=user, now=now)
    book_seat(lecture, user, now=now)
    capacity.request_places(quota_id=shifts[1].id, event_id=lecture.id, user=user, now=now)
    db.session.commit()

    feed = render_personal(user, now)
    assert list(vevents(feed)) == [uid(talk), uid(lecture)]
    assert str(vevents(feed)[uid(talk)]["CATEGORIES"].cats[0]) == "蒲公英宣讲队"
    assert feed.body.count(b"BEGIN:VEVENT") == 2
    assert set(strict_events(feed)) == {uid(talk), uid(lecture)}


def test_a_confirmed_part_outweighs_a_waiting_one_at_the_same_event(app, now):
    event = make_event(capacity=0)
    shift = Quota(capacity=1, taken=0)
    db.session.add(shift)
    db.session.commit()
    user = make_user()
    book_seat(event, user, now=now, waitlist=True)
    capacity.request_places(quota_id=shift.id, event_id=event.id, user=user, now=now)
    db.session.commit()
    (vevent,) = vevents(render_personal(user, now)).values()
    assert str(vevent["STATUS"]) == "CONFIRMED"


def test_personal_sources_extend_the_feed_and_the_booking_hook_can_leave_entries_out(app, now, monkeypatch):
    troupe = make_program(ProgramKind.TROUPE, name="吕剧团")
    rehearsal = make_event(troupe, title="吕剧排练：《小姑贤》", starts_in=timedelta(days=2))
    child_class = make_event(make_program(ProgramKind.YOUTH, name="少儿诵读班"), title="经典诗文诵读")
    user = make_user()
    book_seat(child_class, user, now=now)
    db.session.commit()

    def rehearsal_entries(person, window):
        return [feeds.Entry(event=rehearsal, notes=("声部：主唱",))]

    monkeypatch.setattr(feeds, "PERSONAL_SOURCES", [*feeds.PERSONAL_SOURCES, rehearsal_entries])
    events = vevents(render_personal(user, now))
    assert str(events[uid(rehearsal)]["SUMMARY"]) == "吕剧排练：《小姑贤》（声部：主唱）"
    assert uid(child_class) in events

    monkeypatch.setattr(feeds, "booking_entry", lambda booking, **kwargs: None)
    assert set(vevents(render_personal(user, now))) == {uid(rehearsal)}


# --- public feeds --------------------------------------------------------------------------


def test_the_public_feed_has_every_programs_events_and_the_program_feed_only_its_own(app, now):
    lecture = make_event(make_program(slug="wenshi"), title="讲座")
    troupe = make_program(ProgramKind.TROUPE, slug="lvju", name="吕剧团")
    show = make_event(troupe, title="吕剧专场演出")
    public = vevents(render_public(now))
    assert set(public) == {uid(lecture), uid(show)}
    assert set(vevents(render_program(troupe, now))) == {uid(show)}


def test_private_program_kinds_stay_out_of_public_feeds(app, now, monkeypatch):
    lecture = make_event(title="讲座")
    troupe = make_program(ProgramKind.TROUPE, slug="lvju")
    rehearsal = make_event(troupe, title="内部排练")
    monkeypatch.setattr(feeds, "PRIVATE_PROGRAM_KINDS", frozenset({ProgramKind.TROUPE}))
    assert set(vevents(render_public(now))) == {uid(lecture)}
    assert feeds.public_program("lvju") is None
    assert feeds.public_event(rehearsal.id) is None
    assert feeds.public_event(lecture.id) is lecture


def test_the_window_runs_from_30_days_ago_to_a_year_ahead(app, now):
    program = make_program()
    length = timedelta(hours=1)
    made = now - timedelta(days=90)

    def starting(offset):
        return make_event(program, starts_in=offset + (now - made), length=length, now=made)

    inside = [starting(timedelta(days=-30, minutes=1) - length), starting(timedelta(days=364))]
    outside = [starting(timedelta(days=-31) - length), starting(timedelta(days=366))]
    assert set(vevents(render_program(program, now))) == {uid(e) for e in inside}
    user = make_user()
    for event in inside + outside:
        db.session.add(Booking(quota_id=event.seat_quota_id, event_id=event.id, user_id=user.id,
                               status=BookingStatus.CONFIRMED, created_at=now, confirmed_at=now))
    db.session.commit()
    assert set(vevents(render_personal(user, now))) == {uid(e) for e in inside}


# --- calendar properties and text -----------------------------------------------------------


def test_subscriptions_carry_a_name_description_refresh_interval_and_time_zone_hints(app, now):
    program = make_program(name="周三文史讲堂")
    program.description = "街道学社讲堂，每周三上午"
    db.session.commit()
    user = make_user()
    expected = {
        "program": (render_program(program, now), "周三文史讲堂", "街道学社讲堂，每周三上午"),
        "public": (render_public(now), "邻里 · 社区活动", "邻里平台上社区的全部公开活动：讲座、宣讲、演出和课堂。"),
        "personal": (render_personal(user, now), "邻里 · 我的日程", "我在邻里预约的活动；候补的活动标为“暂定”。"),
    }
    for kind, (feed, name, description) in expected.items():
        text = feed.body.decode()
        assert "\r\nREFRESH-INTERVAL;VALUE=DURATION:PT1H\r\n" in text, kind
        assert "\r\nX-PUBLISHED-TTL:PT1H\r\n" in text, kind
        assert "\r\nX-WR-TIMEZONE:Asia/Shanghai\r\n" in text, kind
        assert "\r\nMETHOD:PUBLISH\r\n" in text, kind
        calendar = icalendar.Calendar.from_ical(feed.body)
        assert str(calendar["X-WR-CALNAME"]) == str(calendar["NAME"]) == name
        assert str(calendar["X-WR-CALDESC"]) == str(calendar["DESCRIPTION"]) == description
        strict = IcsCalendarStream.from_ics(text).calendars[0]
        assert strict.name == [name] and strict.refresh_interval == timedelta(hours=1)


def test_a_one_event_download_is_not_a_subscription(app, now):
    event = make_event()
    text = feeds.event_feed(event, links=LINKS, language="zh").body.decode()
    assert "X-WR-CALNAME" not in text and "REFRESH-INTERVAL" not in text
    assert "BEGIN:VTIMEZONE" in text


def test_an_empty_feed_is_still_a_valid_calendar(app, now):
    feed = render_program(make_program(), now)
    assert feed.last_modified is None
    calendar = icalendar.Calendar.from_ical(feed.body)
    assert calendar.walk("VEVENT") == [] and len(calendar.walk("VTIMEZONE")) == 1
    assert IcsCalendarStream.from_ics(feed.body.decode()).calendars[0].events == []


TRICKY_TITLE = "管仲, 齐国; 富国\\之道：“仓廪实”\n而知礼节"
TRICKY_SUMMARY = "第一行, 有逗号; 有分号\\反斜杠\n第二行：稷下学宫\r\n第三行 ，；\\n 不是换行"


def test_chinese_text_with_commas_semicolons_backslashes_and_newlines_round_trips(app, now):
    venue = make_venue("城市书房, 一楼; 东侧\\南门")
    event = make_event(title=TRICKY_TITLE)
    event.summary, event.venue, event.speaker = TRICKY_SUMMARY, venue, "孙立民, 市博物馆; 研究员"
    db.session.commit()
    feed = render_public(now)

    vevent = vevents(feed)[uid(event)]
    strict = strict_events(feed)[uid(event)]
    assert str(vevent["SUMMARY"]) == strict.summary == TRICKY_TITLE
    assert str(vevent["LOCATION"]) == strict.location == "城市书房, 一楼; 东侧\\南门"
    description = str(vevent["DESCRIPTION"])
    assert strict.description == description
    # A CR LF typed into a textarea comes back as the line break the calendar shows.
    assert TRICKY_SUMMARY.replace("\r\n", "\n") in description
    assert "主讲：孙立民, 市博物馆; 研究员" in description
    # And the escaping on the wire is RFC 5545's.
    assert "管仲\\, 齐国\\; 富国\\\\之道" in feed.body.decode().replace("\r\n ", "")


def test_lines_fold_at_75_octets_without_splitting_a_character(app, now):
    event = make_event(title="临淄齐国故城的城郭与街巷" * 8)
    event.summary = "从考古发掘看两千多年前齐国都城的布局、城门与市井生活。" * 12 + "a" * 200
    event.venue = make_venue("社区文化服务中心" * 8)
    db.session.commit()
    user = make_user()
    book_seat(event, user, now=now)
    db.session.commit()
    for feed in (render_public(now), render_personal(user, now)):
        assert feed.body.endswith(b"\r\n")
        lines = feed.body.split(b"\r\n")[:-1]
        assert any(line.startswith(b" ") for line in lines), "expected folded lines"
        for line in lines:
            assert len(line) <= 75, line
            assert b"\n" not in line and b"\r" not in line
            line.decode("utf-8")  # raises if a character was split
        assert str(vevents(feed)[uid(event)]["SUMMARY"]) == event.title
        assert strict_events(feed)[uid(event)].summary == event.title


# --- personal feed tokens -------------------------------------------------------------------


def test_a_token_has_32_random_bytes_and_only_its_hash_is_stored(app, now):
    user = make_user()
    token = feeds.reset_feed_token(user, now=now)
    db.session.commit()
    assert re.fullmatch(r"[A-Za-z0-9_-]{43}", token)  # 32 bytes, URL-safe base64
    row = db.session.get(CalendarToken, user.id)
    assert row.token_hash == hashlib.sha256(token.encode()).hexdigest() != token
    stored = db.session.execute(sa.text("SELECT * FROM calendar_tokens")).mappings().one()
    assert token not in {str(value) for value in stored.values()}
    assert feeds.user_for_feed_token(token) is user
    other = make_user("乙")
    assert feeds.reset_feed_token(other, now=now) != token


def test_a_new_token_retires_the_old_one(app, now):
    user = make_user()
    old = feeds.reset_feed_token(user, now=now)
    db.session.commit()
    new = feeds.reset_feed_token(user, now=now + timedelta(minutes=1))
    db.session.commit()
    assert feeds.user_for_feed_token(old) is None
    assert feeds.user_for_feed_token(new) is user
    assert db.session.execute(sa.select(sa.func.count()).select_from(CalendarToken)).scalar_one() == 1
    assert feeds.feed_token_of(user).created_at == now + timedelta(minutes=1)


@pytest.mark.parametrize("token", ["", "short", "x" * 43 + "/", "é" * 43, "a" * 500, "A" * 43],
                         ids=["empty", "short", "slash", "non-ascii", "long", "unknown"])
def test_unknown_and_malformed_tokens_open_nothing(app, now, token):
    feeds.reset_feed_token(make_user(), now=now)
    db.session.commit()
    assert feeds.user_for_feed_token(token) is None


def test_a_disabled_account_feed_stops(app, now):
    user = make_user()
    token = feeds.reset_feed_token(user, now=now)
    user.is_active_account = False
    db.session.commit()
    assert feeds.user_for_feed_token(token) is None


def test_token_hashes_are_unique_in_the_database(app, now):
    first, second = make_user("甲"), make_user("乙")
    feeds.reset_feed_token(first, now=now)
    db.session.commit()
    db.session.add(CalendarToken(user_id=second.id, token_hash=feeds.feed_token_of(first).token_hash, created_at=now))
    with pytest.raises(sa.exc.IntegrityError):
        db.session.commit()
    db.session.rollback()


# --- cost ----------------------------------------------------------------------------------


def test_feeds_render_in_a_constant_number_of_queries(app, now, count_queries):
    program = make_program()
    venue = make_venue()
    user = make_user()
    feeds.reset_feed_token(user, now=now)
    db.session.commit()

    def add_events(count):
        for index in range(count):
            start = now + timedelta(days=1, hours=index)
            event = event_service.new_event(
                program, title=f"讲座 {index}", starts_at=start, ends_at=start + timedelta(hours=1),
                capacity=5, booking_cutoff=timedelta(hours=1), venue=venue, now=now,
            )
            db.session.flush()
            db.session.add(Booking(quota_id=event.seat_quota_id, event_id=event.id, user_id=user.id,
                                   status=BookingStatus.CONFIRMED, created_at=now, confirmed_at=now))
        db.session.commit()

    def queries():
        """Render both feeds from a fresh session; the queries each one ran, and the feeds."""
        db.session.expunge_all()
        fresh_program, fresh_user = db.session.get(Program, program.id), db.session.get(User, user.id)
        counted = []
        for render in (lambda: render_program(fresh_program, now), lambda: render_personal(fresh_user, now)):
            with count_queries() as statements:
                feed = render()
            counted.append((len(statements), feed))
        return counted

    add_events(2)
    small = queries()
    add_events(498)
    large = queries()
    # The program feed: its events, and the next event to come into its window (when the
    # clock alone will change it); the personal feed: one per source (bookings, troupe
    # rehearsals) — whatever the number of events.
    for (few, _), (many, feed), expected in zip(small, large, (2, len(feeds.PERSONAL_SOURCES))):
        assert many == few == expected == 2
        assert feed.body.count(b"BEGIN:VEVENT") == 500
    assert len(strict_events(large[0][1])) == 500
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one() == 500


# --- the demo community ----------------------------------------------------------------------


def test_the_demo_community_shows_an_edit_a_cancellation_and_a_waiting_place(app, now, cached_password_hashes):
    import demo

    people = {user.phone: user for _, user in demo.seed()}
    db.session.commit()
    booker, waiter = people["13900000001"], people["13900000010"]
    program = vevents(render_program(feeds.public_program("wenshi-jiangtang"), now)).values()
    assert [str(v["STATUS"]) for v in program].count("CANCELLED") == 1
    assert any(v.decoded("SEQUENCE") == 1 and "十点" in str(v["DESCRIPTION"]) for v in program)
    assert any(str(v["SUMMARY"]).startswith("【已取消】") for v in vevents(render_personal(booker, now)).values())
    assert "TENTATIVE" in [str(v["STATUS"]) for v in vevents(render_personal(waiter, now)).values()]


def test_the_found_hash_is_confirmed_in_constant_time(app, now, monkeypatch):
    user = make_user()
    token = feeds.reset_feed_token(user, now=now)
    db.session.commit()
    compared = []

    def compare_digest(a, b):
        compared.append((a, b))
        return False

    monkeypatch.setattr(feeds.hmac, "compare_digest", compare_digest)
    assert feeds.user_for_feed_token(token) is None
    digest = hashlib.sha256(token.encode()).hexdigest()
    assert compared == [(digest, digest)]
