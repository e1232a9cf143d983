"""The Wednesday lectures through the client: browsing, booking, and organizers' pages."""
from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, time, timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import sqlalchemy as sa

from models import (
    Booking, BookingStatus, Event, EventStatus, Program, ProgramKind, Quota, Role, User, Venue, WeeklySchedule, db,
)
from services import capacity, lectures
from services import events as event_service
from services.booking import book_seat, cancel_booking
from services.dates import LOCAL_TZ, local_datetime, to_local
from tests.blueprints.conftest import alerts, field_errors, page, seat, visible_text
from tests.conftest import login, make_event, make_program, make_user, make_venue


# --- builders and readers -------------------------------------------------------------


def organizer(name: str = "李秀兰"):
    return make_user(name, roles=(Role.RESIDENT, Role.ORGANIZER))


def admin(name: str = "王建国"):
    return make_user(name, roles=(Role.RESIDENT, Role.ADMIN))


def today(now) -> date:
    return to_local(now).date()


def lecture_at(program=None, *, now, days: int = 7, hour: int = 19, **kwargs) -> Event:
    """A lecture at ``hour``:00 local time, ``days`` from today, so edits stay on one day."""
    start = local_datetime(today(now) + timedelta(days=days), time(hour))
    return make_event(program, starts_in=start - now, now=now, **kwargs)


def active_bookings(event) -> list[tuple[str, BookingStatus]]:
    rows = db.session.execute(
        sa.select(Booking).where(Booking.event_id == event.id, Booking.status != BookingStatus.CANCELLED)
        .order_by(Booking.id)
    ).scalars()
    return [(b.user.display_name, b.status) for b in rows]


def seats_taken(event) -> int:
    return db.session.get(Quota, event.seat_quota_id).taken


def lectures_of(program) -> list[Event]:
    return list(db.session.execute(
        sa.select(Event).where(Event.program_id == program.id).order_by(Event.starts_at, Event.id)
    ).scalars())


def book(client, event, **data):
    return client.post(f"/lectures/{event.id}/book", data=data, follow_redirects=True)


# --- the list -------------------------------------------------------------------------


def test_list_shows_coming_lectures_with_seats_left(client, now):
    make_event(title="管仲与齐国的富国之道", capacity=5, now=now)

    body = page(client.get("/lectures/"))

    assert "管仲与齐国的富国之道" in body
    assert "剩余名额 5 / 5" in body


def test_list_hides_lectures_that_are_over(client, now):
    program = make_program()
    make_event(program, title="上周的讲座", starts_in=-timedelta(days=7), now=now)
    make_event(program, title="下周的讲座", now=now)

    body = page(client.get("/lectures/"))

    assert "下周的讲座" in body
    assert "上周的讲座" not in body


def test_list_leaves_out_events_of_other_programs(client, now):
    make_event(make_program(ProgramKind.TROUPE, name="京剧票友会"), title="票友排练", now=now)
    body = page(client.get("/lectures/"))
    assert "票友排练" not in body
    assert "暂时还没有安排讲座。" in body


def test_list_shows_a_full_lecture_as_full_with_its_waiting_count(client, now):
    event = make_event(capacity=1, now=now)
    seat(event, make_user("甲"), now)
    seat(event, make_user("乙"), now, waitlist=True)

    assert "已满 · 1 人候补" in visible_text(client.get("/lectures/"))


def test_list_filters_by_series(client, now):
    program = make_program(series=["齐国故城系", "文化名人"])
    make_event(program, title="临淄古城", series=program.series[0], now=now)
    make_event(program, title="蒲松龄", series=program.series[1], now=now)

    body = page(client.get(f"/lectures/?series={program.series[1].slug}"))

    assert "蒲松龄" in body
    assert "临淄古城" not in body


@pytest.mark.parametrize("query", ["series=no-such-series", "series=%E2%80%8B", "series="])
def test_list_with_an_unknown_series_shows_every_lecture(client, now, query):
    make_event(make_program(series=["齐国故城系"]), title="临淄古城", now=now)
    response = client.get(f"/lectures/?{query}")
    assert response.status_code == 200
    assert "临淄古城" in page(response)


@pytest.mark.parametrize("value", ["abc", "0", "-1", "1.5", "", "%E2%80%8B", "99999999999999999999", "10001"])
def test_list_treats_a_bad_page_number_as_page_one(client, now, value):
    make_event(title="临淄古城", now=now)
    response = client.get(f"/lectures/?page={value}")
    assert response.status_code == 200
    assert "临淄古城" in page(response)


def test_list_pages_through_many_lectures(app, client, now):
    app.config["LECTURES_PER_PAGE"] = 2
    program = make_program()
    for week in range(3):
        make_event(program, title=f"第{week + 1}讲", starts_in=timedelta(days=7 * (week + 1)), now=now)

    first, second = page(client.get("/lectures/")), page(client.get("/lectures/?page=2"))

    assert "第1讲" in first and "第2讲" in first and "第3讲" not in first
    assert "第3讲" in second and "第1讲" not in second
    assert "1 / 2" in first


def test_list_past_the_last_page_is_empty_not_an_error(client, now):
    make_event(now=now)
    response = client.get("/lectures/?page=50")
    assert response.status_code == 200
    assert "暂时还没有安排讲座。" in page(response)


def test_list_marks_the_residents_own_bookings(client, now):
    resident = make_user()
    program = make_program()
    booked = make_event(program, capacity=1, now=now)
    waiting = make_event(program, capacity=1, now=now)
    seat(booked, resident, now)
    seat(waiting, make_user("乙"), now)
    seat(waiting, resident, now, waitlist=True)
    login(client, resident)

    body = page(client.get("/lectures/"))

    assert body.count("已预约</span>") == 1
    assert body.count("候补中</span>") == 1


# --- one lecture ----------------------------------------------------------------------


@pytest.mark.parametrize("event_id", [999_999, 2**31 - 1, 2**31, 10**30])
def test_detail_of_an_unknown_lecture_is_404(client, event_id):
    response = client.get(f"/lectures/{event_id}")
    assert response.status_code == 404
    assert "找不到页面" in page(response)


def test_detail_of_an_event_of_another_kind_of_program_is_404(client, now):
    rehearsal = make_event(make_program(ProgramKind.TROUPE, name="京剧票友会"), now=now)
    assert client.get(f"/lectures/{rehearsal.id}").status_code == 404


def test_detail_asks_visitors_to_log_in_to_book(client, now):
    event = make_event(now=now)
    body = page(client.get(f"/lectures/{event.id}"))
    assert "登录后预约" in body
    assert f'href="/auth/login?next=/lectures/{event.id}"' in body


def test_detail_offers_a_logged_in_resident_to_book(client, now):
    event = make_event(capacity=5, now=now)
    login(client, make_user())
    body = page(client.get(f"/lectures/{event.id}"))
    assert "预约座位" in body
    assert "剩余名额 5 / 5" in body


def test_detail_of_a_full_lecture_offers_the_waiting_list(client, now):
    event = make_event(capacity=1, now=now)
    seat(event, make_user("甲"), now)
    login(client, make_user("乙"))

    body = page(client.get(f"/lectures/{event.id}"))

    assert "加入候补" in body
    assert "名额已满。加入候补后，一旦有人取消，座位会自动给您。" in body
    assert "预约座位" not in body


# --- booking --------------------------------------------------------------------------


def test_booking_needs_a_login(client, now):
    event = make_event(now=now)

    response = client.post(f"/lectures/{event.id}/book")

    assert response.status_code == 302
    target = urlsplit(response.headers["Location"])
    assert target.path == "/auth/login"
    assert parse_qs(target.query)["next"] == [f"/lectures/{event.id}"]
    assert active_bookings(event) == []


def test_after_logging_in_from_a_booking_attempt_the_resident_lands_on_the_lecture(client, now):
    event = make_event(now=now)
    resident = make_user()
    login_page = client.post(f"/lectures/{event.id}/book").headers["Location"]
    next_path = parse_qs(urlsplit(login_page).query)["next"][0]

    response = client.post(login_page, data={"phone": resident.phone, "password": "correct horse battery",
                                             "next": next_path}, follow_redirects=True)

    assert response.status_code == 200
    assert response.request.path == f"/lectures/{event.id}"


def test_booking_confirms_a_seat_and_shows_the_ticket_number(client, now):
    event = make_event(capacity=5, now=now)
    resident = make_user()
    login(client, resident)

    response = book(client, event)

    booking = capacity.active_booking(event.seat_quota_id, resident.id)
    assert booking.status is BookingStatus.CONFIRMED
    assert len(booking.ticket_code) == 8
    assert f"预约成功！预约号：{booking.display_code}" in alerts(response)
    assert response.request.path == f"/lectures/{event.id}"
    assert "您已预约成功。" in page(response)
    assert seats_taken(event) == 1


def test_booking_a_full_lecture_puts_the_resident_on_the_waiting_list(client, now):
    event = make_event(capacity=1, now=now)
    seat(event, make_user("甲"), now)
    resident = make_user("乙")
    login(client, resident)

    response = book(client, event, waitlist="y")

    assert active_bookings(event) == [("甲", BookingStatus.CONFIRMED), ("乙", BookingStatus.WAITLISTED)]
    assert "已加入候补，第 1 位。一旦有人取消，座位会自动给您。" in alerts(response)
    assert "您是候补第 1 位。" in page(response)
    assert seats_taken(event) == 1


def test_booking_a_full_lecture_without_asking_for_the_waiting_list_is_refused(client, now):
    event = make_event(capacity=1, now=now)
    seat(event, make_user("甲"), now)
    login(client, make_user("乙"))

    response = book(client, event)

    assert "名额已满，您可以加入候补。" in alerts(response)
    assert active_bookings(event) == [("甲", BookingStatus.CONFIRMED)]


def test_asking_for_the_waiting_list_while_seats_are_free_books_a_seat(client, now):
    event = make_event(capacity=2, now=now)
    login(client, make_user("甲"))
    book(client, event, waitlist="y")
    assert active_bookings(event) == [("甲", BookingStatus.CONFIRMED)]


def test_booking_twice_keeps_one_booking(client, now):
    event = make_event(capacity=5, now=now)
    login(client, make_user("甲"))

    book(client, event)
    book(client, event)
    book(client, event, waitlist="y")

    assert active_bookings(event) == [("甲", BookingStatus.CONFIRMED)]
    assert seats_taken(event) == 1


def test_booking_a_cancelled_lecture_says_so_and_writes_nothing(client, now):
    event = make_event(now=now)
    event_service.cancel_event(event, "讲师临时有事", actor=None, now=now)
    db.session.commit()
    login(client, make_user())

    response = book(client, event)

    assert "本场活动已取消。" in alerts(response)
    assert active_bookings(event) == []
    assert seats_taken(event) == 0


def test_booking_after_the_cutoff_says_when_booking_closed_and_writes_nothing(client, now):
    event = make_event(starts_in=timedelta(minutes=30), cutoff=timedelta(hours=1), now=now)
    login(client, make_user())

    response = book(client, event)

    assert any(m.startswith("预约已于 ") and m.endswith(" 截止。") for m in alerts(response))
    assert active_bookings(event) == []


def test_booking_a_lecture_that_has_started_is_refused(client, now):
    event = make_event(starts_in=-timedelta(minutes=10), cutoff=timedelta(0), now=now)
    login(client, make_user())
    assert "本场活动已经开始或已结束。" in alerts(book(client, event))
    assert active_bookings(event) == []


def test_detail_of_a_closed_lecture_gives_the_reason_instead_of_a_button(client, now):
    event = make_event(starts_in=timedelta(minutes=30), cutoff=timedelta(hours=1), now=now)
    login(client, make_user())
    body = page(client.get(f"/lectures/{event.id}"))
    assert "预约已于 " in body
    assert "预约座位" not in body


def test_booking_an_event_of_another_kind_of_program_is_404(client, now):
    rehearsal = make_event(make_program(ProgramKind.TROUPE, name="京剧票友会"), now=now)
    login(client, make_user())
    assert client.post(f"/lectures/{rehearsal.id}/book").status_code == 404
    assert active_bookings(rehearsal) == []


# --- who may open the organizers' pages -------------------------------------------------


ORGANIZER_PAGES = ["term", "edit", "cancel", "bookings"]


def organizer_url(which: str, event: Event) -> str:
    if which == "term":
        return f"/lectures/programs/{event.program.slug}/term"
    return f"/lectures/{event.id}/{which}"


@pytest.mark.parametrize("which", ORGANIZER_PAGES + ["manage"])
def test_organizer_pages_are_403_for_a_resident(client, now, which):
    event = make_event(now=now)
    login(client, make_user())
    url = "/lectures/manage" if which == "manage" else organizer_url(which, event)

    response = client.get(url)

    assert response.status_code == 403
    assert "此页面仅供活动组织者使用。" in page(response)


@pytest.mark.parametrize("which", ORGANIZER_PAGES)
def test_organizer_pages_are_403_for_an_organizer_of_another_program(client, now, which):
    other = organizer("赵老师")
    make_program(organizers=[other])
    event = make_event(make_program(organizers=[organizer()]), now=now)
    login(client, other)
    assert client.get(organizer_url(which, event)).status_code == 403


@pytest.mark.parametrize("which", ORGANIZER_PAGES)
def test_organizer_pages_open_for_the_programs_organizer(client, now, which):
    person = organizer()
    event = make_event(make_program(organizers=[person]), now=now)
    login(client, person)
    assert client.get(organizer_url(which, event)).status_code == 200


@pytest.mark.parametrize("which", ORGANIZER_PAGES + ["manage"])
def test_organizer_pages_open_for_an_admin(client, now, which):
    event = make_event(make_program(organizers=[organizer()]), now=now)
    login(client, admin())
    url = "/lectures/manage" if which == "manage" else organizer_url(which, event)
    assert client.get(url).status_code == 200


@pytest.mark.parametrize("which", ORGANIZER_PAGES + ["manage"])
def test_organizer_pages_send_visitors_to_log_in(client, now, which):
    event = make_event(now=now)
    url = "/lectures/manage" if which == "manage" else organizer_url(which, event)
    response = client.get(url)
    assert response.status_code == 302
    assert urlsplit(response.headers["Location"]).path == "/auth/login"


def test_manage_lists_only_the_organizers_own_lectures(client, now):
    mine, theirs = organizer("李秀兰"), organizer("赵老师")
    make_event(make_program(name="周三文史讲堂", organizers=[mine]), title="我的讲座", now=now)
    make_event(make_program(name="另一个讲堂", organizers=[theirs]), title="别人的讲座", now=now)
    login(client, mine)

    response = client.get("/lectures/manage")

    assert response.status_code == 200
    assert "我的讲座" in page(response)
    assert "别人的讲座" not in page(response)


def test_manage_shows_booked_and_waiting_counts(client, now):
    person = organizer()
    event = make_event(make_program(organizers=[person]), capacity=1, now=now)
    seat(event, make_user("甲"), now)
    seat(event, make_user("乙"), now, waitlist=True)
    login(client, person)

    assert "已预约 1/1 · 1 人候补" in page(client.get("/lectures/manage"))


def test_an_organizer_of_another_program_cannot_cancel_by_post(client, now):
    other = organizer("赵老师")
    make_program(organizers=[other])
    event = make_event(make_program(organizers=[organizer()]), now=now)
    login(client, other)

    assert client.post(f"/lectures/{event.id}/cancel", data={"reason": "捣乱"}).status_code == 403
    assert db.session.get(Event, event.id).status is EventStatus.SCHEDULED


def test_detail_shows_the_organizer_section_to_the_programs_organizer_only(app, client, now):
    person = organizer()
    event = make_event(make_program(organizers=[person]), now=now)
    login(client, person)
    resident = app.test_client()
    login(resident, make_user())

    assert "组织者操作" in page(client.get(f"/lectures/{event.id}"))
    assert "组织者操作" not in page(resident.get(f"/lectures/{event.id}"))


def test_organizer_links_on_the_detail_page_open_for_whoever_sees_them(client, now):
    """Someone listed as organizer whose organizer role was taken away sees no dead links."""
    listed_without_role = make_user("钱老师")
    event = make_event(make_program(organizers=[listed_without_role]), now=now)
    login(client, listed_without_role)

    shows_links = "组织者操作" in page(client.get(f"/lectures/{event.id}"))
    links_open = client.get(f"/lectures/{event.id}/bookings").status_code == 200

    assert shows_links == links_open


# --- laying out a term ------------------------------------------------------------------


def term_url(program) -> str:
    return f"/lectures/programs/{program.slug}/term"


def term_form(first: date, last: date, **changes) -> dict:
    data = {
        "title": "秋季学期", "weekdays": ["2"], "first_day": first.isoformat(), "last_day": last.isoformat(),
        "start_time": "09:30", "end_time": "11:00", "capacity": "40", "booking_cutoff_minutes": "60",
        "venue_id": "0", "series_id": "0", "lecture_title": "", "speaker": "", "skip_days": "", "action": "create",
    }
    return {**data, **changes}


def organized_program(**kwargs):
    person = organizer()
    return make_program(organizers=[person], **kwargs), person


def wednesdays(first: date, days: int) -> list[date]:
    return [first + timedelta(d) for d in range(days) if (first + timedelta(d)).weekday() == 2]


def test_term_creates_a_lecture_every_wednesday_but_the_skipped_ones(client, quiet_weeks):
    now = quiet_weeks
    program, person = organized_program()
    login(client, person)
    first = today(now) + timedelta(days=1)
    last = first + timedelta(days=27)
    weeks = wednesdays(first, 28)
    assert len(weeks) == 4
    skipped = f"{weeks[1].isoformat()}，{weeks[3].year}/{weeks[3].month}/{weeks[3].day}"

    response = client.post(term_url(program), data=term_form(first, last, skip_days=skipped),
                           follow_redirects=True)

    assert response.request.path == "/lectures/manage"
    assert "已添加 2 场讲座。现在可以逐场填写题目和主讲人。" in alerts(response)
    created = lectures_of(program)
    assert [to_local(e.starts_at).date() for e in created] == [weeks[0], weeks[2]]
    assert {to_local(e.starts_at).time() for e in created} == {time(9, 30)}
    assert {e.ends_at - e.starts_at for e in created} == {timedelta(minutes=90)}
    assert {e.starts_at - e.booking_closes_at for e in created} == {timedelta(minutes=60)}
    assert {e.seats.capacity for e in created} == {40}
    # Not stored in the organizer's language: each reader sees it in theirs.
    assert {e.title for e in created} == {""}
    assert "题目待定" in page(client.get(f"/lectures/{created[0].id}"))


def test_term_uses_the_chosen_series_venue_title_and_speaker(client, quiet_weeks):
    program, person = organized_program(series=["齐国故城系"])
    venue = make_venue("城市书房")
    login(client, person)
    first = today(quiet_weeks) + timedelta(days=1)

    client.post(term_url(program), data=term_form(
        first, first + timedelta(days=6), series_id=str(program.series[0].id), venue_id=str(venue.id),
        lecture_title="齐国故城漫谈", speaker="孙教授",
    ))

    [lecture] = lectures_of(program)
    assert (lecture.series.name, lecture.venue.name, lecture.title, lecture.speaker) == (
        "齐国故城系", "城市书房", "齐国故城漫谈", "孙教授")


def test_term_does_not_duplicate_lectures_already_in_the_calendar(client, quiet_weeks):
    program, person = organized_program()
    login(client, person)
    first = today(quiet_weeks) + timedelta(days=1)
    client.post(term_url(program), data=term_form(first, first + timedelta(days=13)))

    response = client.post(term_url(program), data=term_form(first, first + timedelta(days=13)))

    assert response.status_code == 200
    assert "这些日子的这个时间都已经有活动了。" in alerts(response)
    assert len(lectures_of(program)) == 2


def test_checking_the_dates_shows_them_and_creates_nothing(client, quiet_weeks):
    program, person = organized_program()
    login(client, person)
    first = today(quiet_weeks) + timedelta(days=1)

    response = client.post(term_url(program), data=term_form(first, first + timedelta(days=13), action="preview"))

    text = visible_text(response)
    assert "将在以下 2 天创建：" in text
    assert "生成讲座" in text
    assert lectures_of(program) == []


@pytest.mark.parametrize("changes, field, message", [
    ({"capacity": "0"}, "capacity", "请输入 1 到 2000 之间的数字。"),
    ({"capacity": "2001"}, "capacity", "请输入 1 到 2000 之间的数字。"),
    ({"capacity": ""}, "capacity", "请输入名额数。"),
    ({"end_time": "09:00"}, "end_time", "结束时间必须晚于开始时间。"),
    ({"booking_cutoff_minutes": "-1"}, "booking_cutoff_minutes", "请输入 0 到 10080（一周）之间的数字。"),
    ({"first_day": ""}, "first_day", "请选择日期。"),
    ({"start_time": ""}, "start_time", "请选择时间。"),
    ({"title": " "}, "title", "请输入题目。"),
    ({"first_day": "1900-01-03"}, "first_day", "请选择 2000 年到 2100 年之间的日期。"),
    ({"skip_days": "2026-13-45, 明天"}, "skip_days", "这些不是日期：2026-13-45、明天。请按 2026-10-01 的格式填写。"),
], ids=["capacity-0", "capacity-2001", "capacity-empty", "ends-before-start", "cutoff-negative", "no-first-day",
        "no-start-time", "no-term-name", "year-1900", "garbage-skip-days"])
def test_term_refuses_bad_input_beside_the_field_and_creates_nothing(client, now, changes, field, message):
    program, person = organized_program()
    login(client, person)
    first = today(now) + timedelta(days=1)

    response = client.post(term_url(program), data=term_form(first, first + timedelta(days=27), **changes))

    assert response.status_code == 200
    assert message in field_errors(response, field)
    assert lectures_of(program) == []


def test_term_with_an_empty_form_asks_for_dates_time_and_seats(client):
    program, person = organized_program()
    login(client, person)

    response = client.post(term_url(program), data={})

    assert response.status_code == 200
    assert field_errors(response, "first_day") == ["请选择日期。"]
    assert field_errors(response, "last_day") == ["请选择日期。"]
    assert field_errors(response, "start_time") == ["请选择时间。"]
    assert field_errors(response, "capacity") == ["请输入名额数。"]
    assert lectures_of(program) == []


@pytest.mark.parametrize("field, value", [
    ("capacity", "abc"), ("end_time", "一小时"), ("first_day", "下周三"), ("start_time", "7pm"),
])
def test_term_explains_unreadable_numbers_dates_and_times_in_chinese(client, now, field, value):
    program, person = organized_program()
    login(client, person)
    first = today(now) + timedelta(days=1)

    response = client.post(term_url(program), data=term_form(first, first + timedelta(days=27), **{field: value}))

    errors = field_errors(response, field)
    assert errors, f"no message beside {field}"
    assert all(not any("a" <= c.lower() <= "z" for c in error) for error in errors), errors
    assert lectures_of(program) == []


def test_term_ending_before_it_starts_is_refused(client, now):
    program, person = organized_program()
    login(client, person)
    first = today(now) + timedelta(days=14)

    response = client.post(term_url(program), data=term_form(first, first - timedelta(days=7)))

    assert response.status_code == 200
    assert field_errors(response, "last_day") == ["结束日期不能早于开始日期。"]
    assert lectures_of(program) == []


def test_term_starting_in_the_past_is_refused(client, now):
    program, person = organized_program()
    login(client, person)
    first = today(now) - timedelta(days=7)

    response = client.post(term_url(program), data=term_form(first, first + timedelta(days=27)))

    assert response.status_code == 200
    assert "开始日期不能早于今天。" in alerts(response)
    assert lectures_of(program) == []


def test_term_longer_than_a_year_is_refused(client, now):
    program, person = organized_program()
    login(client, person)
    first = today(now) + timedelta(days=1)

    response = client.post(term_url(program), data=term_form(first, first + timedelta(days=400)))

    assert "安排最长为一年。" in alerts(response)
    assert lectures_of(program) == []


def test_term_whose_only_wednesday_is_skipped_is_refused(client, now):
    program, person = organized_program()
    login(client, person)
    first = today(now) + timedelta(days=1)
    [wednesday] = wednesdays(first, 7)

    response = client.post(term_url(program), data=term_form(
        first, first + timedelta(days=6), skip_days=wednesday.isoformat()))

    assert "所选的日子都是节假日或被排除的日子，没有可以安排的日期。" in alerts(response)
    assert lectures_of(program) == []


def test_term_for_an_unknown_program_is_404(client):
    login(client, admin())
    assert client.get("/lectures/programs/no-such-program/term").status_code == 404


def test_a_term_across_national_day_leaves_it_out_and_can_hold_it_anyway(client, time_machine):
    time_machine.move_to(datetime(2026, 8, 24, 9, 0, tzinfo=LOCAL_TZ), tick=True)
    program, person = organized_program()
    login(client, person)
    data = term_form(date(2026, 9, 2), date(2026, 10, 28), action="preview")

    preview = visible_text(client.post(term_url(program), data=data))

    assert "10月7日 周三 · 国庆节（法定节假日）" in preview
    assert "将在以下 8 天创建：" in preview
    assert lectures_of(program) == []

    response = client.post(term_url(program), data={**data, "action": "create", "include_days": "2026-10-07"},
                           follow_redirects=True)

    assert "已添加 9 场讲座。现在可以逐场填写题目和主讲人。" in alerts(response)
    assert date(2026, 10, 7) in [to_local(e.starts_at).date() for e in lectures_of(program)]


def test_a_term_is_copied_to_new_dates_with_its_series_in_turn(client, quiet_weeks):
    program, person = organized_program(series=["齐国故城系", "文化名人"])
    venue = make_venue("城市书房")
    login(client, person)
    first = today(quiet_weeks) + timedelta(days=1)
    client.post(term_url(program), data=term_form(first, first + timedelta(days=13), venue_id=str(venue.id),
                                                  capacity="25", start_time="14:00", end_time="15:30"))
    old = lectures_of(program)
    old[0].series, old[1].series = program.series
    db.session.commit()
    [term] = db.session.execute(sa.select(WeeklySchedule)).scalars().all()

    copy_page = page(client.get(term_url(program) + f"?copy={term.id}"))

    assert 'value="25"' in copy_page and 'value="14:00"' in copy_page and 'value="15:30"' in copy_page
    assert f'name="copy_of" type="hidden" value="{term.id}"' in copy_page
    new_first = first + timedelta(days=28)
    client.post(term_url(program), data=term_form(
        new_first, new_first + timedelta(days=20), title="冬季学期", venue_id=str(venue.id), capacity="25",
        start_time="14:00", end_time="15:30", copy_of=str(term.id)))

    copied = [e for e in lectures_of(program) if e.starts_at > old[-1].starts_at]
    assert [e.series.name for e in copied] == ["齐国故城系", "文化名人", "齐国故城系"]
    assert {(e.venue.name, e.seats.capacity) for e in copied} == {("城市书房", 25)}


def test_copying_someone_elses_term_copies_nothing_of_it(client, quiet_weeks):
    program, person = organized_program()
    other = make_program(series=["别人的专题"])
    first = today(quiet_weeks) + timedelta(days=1)
    from services import lectures, schedules
    term = lectures.create_term(other, schedules.WeeklyPlan(
        title="别人的学期", weekdays=frozenset({2}), start_time=time(8), end_time=time(9), first_day=first,
        last_day=first + timedelta(days=6), capacity=7), actor=None, now=quiet_weeks)
    db.session.commit()
    login(client, person)

    body = page(client.get(term_url(program) + f"?copy={term.id}"))

    assert "别人的学期" not in body and 'value="7"' not in body


def test_an_organizer_cancels_the_rest_of_a_term_and_bookers_see_it(app, client, quiet_weeks):
    now = quiet_weeks
    program, person = organized_program()
    login(client, person)
    first = today(now) + timedelta(days=1)
    client.post(term_url(program), data=term_form(first, first + timedelta(days=20)))
    [term] = db.session.execute(sa.select(WeeklySchedule)).scalars().all()
    booker, waiting = make_user("刘建华"), make_user("王德顺")
    lectures_list = lectures_of(program)
    event_service.edit_event(lectures_list[0], replace(event_service.EventChanges.of(lectures_list[0]), capacity=1),
                             actor=None, now=now)
    db.session.commit()
    seat(lectures_list[0], booker, now)
    seat(lectures_list[0], waiting, now, waitlist=True)

    form = page(client.get(f"/lectures/terms/{term.id}/cancel"))
    assert "3 场尚未举行的活动将被取消" in form
    response = client.post(f"/lectures/terms/{term.id}/cancel", data={"reason": "讲堂装修"}, follow_redirects=True)

    assert "已取消 3 场活动及其 2 个预约。预约的人会看到原因。" in alerts(response)
    assert all(e.is_cancelled and e.cancel_reason == "讲堂装修" for e in lectures_of(program))
    statuses = db.session.execute(sa.select(Booking.status)).scalars().all()
    assert statuses == [BookingStatus.CANCELLED, BookingStatus.CANCELLED]
    resident = app.test_client()
    login(resident, booker)
    mine = visible_text(resident.get("/account/bookings"))
    assert "主办方已取消" in mine and "原因：讲堂装修" in mine


def test_cancelling_a_term_needs_a_reason_and_its_organizer(app, client, quiet_weeks):
    program, person = organized_program()
    first = today(quiet_weeks) + timedelta(days=1)
    from services import lectures, schedules
    term = lectures.create_term(program, schedules.WeeklyPlan(
        title="秋季学期", weekdays=frozenset({2}), start_time=time(8), end_time=time(9), first_day=first,
        last_day=first + timedelta(days=6)), actor=None, now=quiet_weeks)
    db.session.commit()
    stranger = organizer("别的组织者")
    login(client, stranger)
    assert client.post(f"/lectures/terms/{term.id}/cancel", data={"reason": "捣乱"}).status_code == 403
    assert client.get("/lectures/terms/999999/cancel").status_code == 404

    mine = app.test_client()
    login(mine, person)
    response = mine.post(f"/lectures/terms/{term.id}/cancel", data={"reason": " "})
    assert field_errors(response, "reason") == ["请填写原因。"]
    assert not any(e.is_cancelled for e in lectures_of(program))


# --- editing a lecture ----------------------------------------------------------------


def edit_form(event: Event, **changes) -> dict:
    """The edit form as the organizer would submit it unchanged, plus ``changes``."""
    start, end = to_local(event.starts_at), to_local(event.ends_at)
    data = {
        "title": event.title, "speaker": event.speaker, "summary": event.summary,
        "day": start.date().isoformat(), "start_time": start.strftime("%H:%M"),
        "end_time": end.strftime("%H:%M"), "venue_id": str(event.venue_id or 0),
        "series_id": str(event.series_id or 0), "capacity": str(event.seats.capacity),
        "booking_cutoff_minutes": str(int((event.starts_at - event.booking_closes_at).total_seconds() // 60)),
    }
    return {**data, **changes}


def test_edit_form_shows_the_lecture_as_it_is(client, now):
    program, person = organized_program()
    event = lecture_at(program, now=now, capacity=30, title="管仲与齐国")
    login(client, person)

    body = page(client.get(f"/lectures/{event.id}/edit"))

    assert 'value="管仲与齐国"' in body
    assert 'value="30"' in body
    assert 'value="19:00"' in body and 'value="20:30"' in body


def test_edit_saves_the_changes(client, now):
    program, person = organized_program()
    event = lecture_at(program, now=now)
    login(client, person)
    new_day = today(now) + timedelta(days=8)

    response = client.post(f"/lectures/{event.id}/edit", follow_redirects=True, data=edit_form(
        event, title="稷下学宫", speaker="孙教授", day=new_day.isoformat(), start_time="09:00", end_time="10:30",
    ))

    assert "讲座已保存。" in alerts(response)
    saved = db.session.get(Event, event.id)
    assert (saved.title, saved.speaker) == ("稷下学宫", "孙教授")
    assert saved.starts_at == local_datetime(new_day, time(9))
    assert saved.ends_at == local_datetime(new_day, time(10, 30))


def test_raising_capacity_moves_waiting_people_up_in_the_order_they_joined(client, now):
    program, person = organized_program()
    event = lecture_at(program, now=now, capacity=1)
    seat(event, make_user("甲"), now)
    for second, name in enumerate(["乙", "丙", "丁"], start=1):
        seat(event, make_user(name), now + timedelta(seconds=second), waitlist=True)
    login(client, person)

    response = client.post(f"/lectures/{event.id}/edit", data=edit_form(event, capacity="3"), follow_redirects=True)

    assert "已有 2 人从候补转为预约成功。" in alerts(response)
    assert active_bookings(event) == [
        ("甲", BookingStatus.CONFIRMED), ("乙", BookingStatus.CONFIRMED),
        ("丙", BookingStatus.CONFIRMED), ("丁", BookingStatus.WAITLISTED),
    ]
    assert seats_taken(event) == 3
    assert db.session.get(Quota, event.seat_quota_id).capacity == 3


def test_lowering_capacity_below_the_seats_booked_is_refused_and_nothing_changes(client, now):
    program, person = organized_program()
    event = lecture_at(program, now=now, capacity=3, title="管仲与齐国")
    seat(event, make_user("甲"), now)
    seat(event, make_user("乙"), now)
    login(client, person)

    response = client.post(f"/lectures/{event.id}/edit", data=edit_form(event, capacity="1", title="改了题目"))

    assert response.status_code == 200
    assert field_errors(response, "capacity") == ["已有 2 人预约，名额不能少于 2 个。"]
    saved = db.session.get(Event, event.id)
    assert (saved.title, saved.seats.capacity, saved.seats.taken) == ("管仲与齐国", 3, 2)


def test_lowering_capacity_to_the_seats_booked_is_allowed(client, now):
    program, person = organized_program()
    event = lecture_at(program, now=now, capacity=3)
    seat(event, make_user("甲"), now)
    login(client, person)

    client.post(f"/lectures/{event.id}/edit", data=edit_form(event, capacity="1"))

    assert db.session.get(Quota, event.seat_quota_id).capacity == 1


@pytest.mark.parametrize("end_time", ["18:00", "19:00"])
def test_edit_refuses_a_lecture_ending_before_it_starts(client, now, end_time):
    program, person = organized_program()
    event = lecture_at(program, now=now, hour=19)
    login(client, person)
    before = (event.starts_at, event.ends_at)

    response = client.post(f"/lectures/{event.id}/edit", data=edit_form(event, end_time=end_time))

    assert response.status_code == 200
    assert field_errors(response, "end_time") == ["结束时间必须晚于开始时间。"]
    saved = db.session.get(Event, event.id)
    assert (saved.starts_at, saved.ends_at) == before


def test_an_empty_title_means_the_topic_is_to_be_announced_in_each_readers_language(client, now):
    program, person = organized_program()
    event = lecture_at(program, now=now, title="管仲与齐国")
    login(client, person)

    client.post(f"/lectures/{event.id}/edit", data=edit_form(event, title="  "))

    assert db.session.get(Event, event.id).title == ""
    assert "<h1>题目待定</h1>" in page(client.get(f"/lectures/{event.id}"))
    client.set_cookie("lang", "en")
    assert "<h1>Topic to be announced</h1>" in page(client.get(f"/lectures/{event.id}"))


# --- cancelling a lecture -------------------------------------------------------------


def test_cancel_page_says_how_many_people_have_a_seat(client, now):
    program, person = organized_program()
    event = make_event(program, now=now)
    seat(event, make_user("甲"), now)
    seat(event, make_user("乙"), now)
    login(client, person)

    assert "已有 2 人预约。他们会看到本场已取消以及您填写的原因。" in page(client.get(f"/lectures/{event.id}/cancel"))


def test_cancel_without_a_reason_is_refused(client, now):
    program, person = organized_program()
    event = make_event(program, now=now)
    login(client, person)

    response = client.post(f"/lectures/{event.id}/cancel", data={"reason": "  "})

    assert response.status_code == 200
    assert field_errors(response, "reason") == ["请填写原因。"]
    assert db.session.get(Event, event.id).status is EventStatus.SCHEDULED


def test_cancel_with_a_reason_cancels_the_lecture(client, now):
    program, person = organized_program()
    event = make_event(program, now=now)
    login(client, person)

    response = client.post(f"/lectures/{event.id}/cancel", data={"reason": "讲师临时有事"}, follow_redirects=True)

    assert response.request.path == "/lectures/manage"
    assert "本场讲座已取消，已预约的居民会看到原因。" in alerts(response)
    saved = db.session.get(Event, event.id)
    assert (saved.status, saved.cancel_reason) == (EventStatus.CANCELLED, "讲师临时有事")


def test_bookers_see_the_cancellation_and_its_reason(app, client, now):
    program, person = organized_program()
    event = make_event(program, title="管仲与齐国", now=now)
    booker = make_user("刘建华")
    seat(event, booker, now)
    login(client, person)
    client.post(f"/lectures/{event.id}/cancel", data={"reason": "讲师临时有事"})

    resident = app.test_client()
    login(resident, booker)
    mine, detail = visible_text(resident.get("/account/bookings")), visible_text(resident.get(f"/lectures/{event.id}"))

    assert "主办方已取消" in mine
    assert "本场讲座已取消。 原因：讲师临时有事" in mine
    assert "本场讲座已取消。 原因：讲师临时有事" in detail
    assert "预约座位" not in detail


def test_detail_of_a_cancelled_lecture_does_not_tell_the_booker_they_have_a_seat(client, now):
    event = make_event(now=now)
    booker = make_user()
    seat(event, booker, now)
    event_service.cancel_event(event, "讲师临时有事", actor=None, now=now)
    db.session.commit()
    login(client, booker)

    body = page(client.get(f"/lectures/{event.id}"))

    assert "本场讲座已取消。" in body
    assert "您已预约成功。" not in body


# --- who booked -----------------------------------------------------------------------


def test_who_booked_shows_organizers_names_and_phones_with_the_waiting_list_in_order(client, now):
    program, person = organized_program()
    event = make_event(program, capacity=1, now=now)
    seat(event, make_user("甲", phone="13811110001"), now)
    seat(event, make_user("乙", phone="13811110002"), now + timedelta(seconds=1), waitlist=True)
    seat(event, make_user("丁", phone="13811110004"), now + timedelta(seconds=3), waitlist=True)
    # 丙's request read its clock before 丁's but got the lock after it: it queues behind.
    seat(event, make_user("丙", phone="13811110003"), now + timedelta(seconds=2), waitlist=True)
    login(client, person)

    body = visible_text(client.get(f"/lectures/{event.id}/bookings"))

    assert "已预约 1 / 1" in body
    assert "甲 13811110001" in body
    booked, waiting = body.split("候补中", 1)
    assert "13811110001" in booked
    assert waiting.index("乙 13811110002") < waiting.index("丁 13811110004") < waiting.index("丙 13811110003")


def test_who_booked_leaves_out_cancelled_bookings(client, now):
    program, person = organized_program()
    event = make_event(program, now=now)
    seat(event, make_user("甲", phone="13811110001"), now)
    gone = seat(event, make_user("乙", phone="13811110002"), now)
    cancel_booking(gone, now=now)
    db.session.commit()
    login(client, person)

    body = page(client.get(f"/lectures/{event.id}/bookings"))

    assert "13811110001" in body
    assert "13811110002" not in body


# --- queries per page -----------------------------------------------------------------


def add_busy_lectures(program, count: int, viewer, others, now, *, venue=None) -> None:
    """``count`` full lectures: the viewer holds a seat at some, waits at some, and others
    wait at the rest, so every badge, count and seat figure on the pages has data."""
    series = program.series[0] if program.series else None
    start = len(lectures_of(program))
    for i in range(start, start + count):
        event = make_event(program, capacity=1, title=f"第{i + 1}讲", series=series,
                           starts_in=timedelta(days=i + 1), now=now)
        event.venue = venue
        db.session.commit()
        if i % 3 == 0:
            seat(event, viewer, now)
        else:
            seat(event, others[0], now)
            seat(event, viewer if i % 3 == 1 else others[1], now, waitlist=True)


def queries_to_show(client, count_queries, url: str, expected_cards: int) -> int:
    with count_queries() as statements:
        response = client.get(url)
    assert response.status_code == 200
    assert page(response).count('class="event-card') == expected_cards
    return len(statements)


def test_lecture_list_runs_as_many_queries_for_20_lectures_as_for_3(client, count_queries, now):
    program = make_program(series=["齐国故城系"])
    viewer, others, venue = make_user("看客"), [make_user("甲"), make_user("乙")], make_venue()
    login(client, viewer)

    add_busy_lectures(program, 3, viewer, others, now, venue=venue)
    few = queries_to_show(client, count_queries, "/lectures/", 3)
    add_busy_lectures(program, 17, viewer, others, now, venue=venue)
    many = queries_to_show(client, count_queries, "/lectures/", 20)

    assert many == few


def test_manage_runs_as_many_queries_for_20_lectures_as_for_3(client, count_queries, now):
    person = organizer()
    program = make_program(organizers=[person], series=["齐国故城系"])
    others, venue = [make_user("甲"), make_user("乙")], make_venue()
    login(client, person)

    add_busy_lectures(program, 3, make_user("丙"), others, now, venue=venue)
    few = queries_to_show(client, count_queries, "/lectures/manage", 3)
    add_busy_lectures(program, 17, make_user("丁"), others, now, venue=venue)
    many = queries_to_show(client, count_queries, "/lectures/manage", 20)

    assert many == few


def test_manage_runs_as_many_queries_for_4_programs_as_for_1(client, count_queries, now):
    person = organizer()
    login(client, person)
    make_event(make_program(organizers=[person], name="讲堂一"), now=now)
    few = queries_to_show(client, count_queries, "/lectures/manage", 1)

    for n in range(2, 5):
        make_event(make_program(organizers=[person], name=f"讲堂{n}"), now=now)
    make_event(make_program(organizers=[organizer("赵老师")], name="别人的讲堂"), now=now)
    many = queries_to_show(client, count_queries, "/lectures/manage", 4)

    assert many == few


# --- cost that doesn't grow with the data ------------------------------------------------


def test_lecture_pages_and_booking_run_as_many_queries_with_years_of_history(client, now, count_queries):
    """The list, a lecture page and a booking: the same statements for a program with a
    short past and few bookers as for one with many past lectures and a full house."""
    program = make_program(slug="wenshi-jiangtang", series=["齐国故城系"])
    venue = make_venue()
    coming = [make_event(program, starts_in=timedelta(days=3 + n), capacity=300, now=now).id for n in range(3)]
    resident = make_user("张桂芳")
    login(client, resident)
    crowd = [make_user(f"居民{n}").id for n in range(4)]
    program_id, venue_id = program.id, venue.id

    def add_history(count: int, offset: int) -> None:
        for n in range(offset, offset + count):
            start = now - timedelta(days=7 * (n + 1))
            past = event_service.new_event(db.session.get(Program, program_id), title=f"往期 {n}", starts_at=start,
                                      ends_at=start + timedelta(hours=1), capacity=40,
                                      booking_cutoff=timedelta(hours=1), venue=db.session.get(Venue, venue_id),
                                      now=start)
            db.session.flush()
            for person_id in crowd:
                db.session.add(Booking(quota_id=past.seat_quota_id, event_id=past.id, user_id=person_id,
                                       status=BookingStatus.CONFIRMED, places=1, created_at=start,
                                       confirmed_at=start))
        db.session.commit()

    def cost(event_index: int) -> list[int]:
        counts = []
        for method, url in (("get", "/lectures/"), ("get", f"/lectures/{coming[0]}"),
                            ("post", f"/lectures/{coming[event_index]}/book")):
            db.session.expunge_all()
            with count_queries() as statements:
                response = getattr(client, method)(url)
            assert response.status_code == (302 if method == "post" else 200)
            counts.append(len(statements))
        return counts

    add_history(2, 0)
    few = cost(1)
    add_history(60, 2)
    for person_id in crowd:  # others booked the coming lectures too
        for event_id in coming:
            book_seat(db.session.get(Event, event_id), db.session.get(User, person_id), now=now)
    db.session.commit()
    many = cost(2)
    assert many == few


# --- venues' seats, retired venues and series, the program's booking window -------------


def seated_venue(name="多功能厅", seats=60, **kwargs):
    venue = make_venue(name)
    venue.seats = seats
    for key, value in kwargs.items():
        setattr(venue, key, value)
    db.session.commit()
    return venue


def test_term_with_seats_left_empty_takes_the_venues_seats(client, now):
    program, person = organized_program()
    venue = seated_venue(seats=60)
    login(client, person)
    first = today(now) + timedelta(days=1)

    client.post(term_url(program), data=term_form(first, first + timedelta(days=6), capacity="", venue_id=str(venue.id)))

    [lecture] = lectures_of(program)
    assert lecture.seats.capacity == 60


def test_term_with_seats_typed_keeps_them_and_a_venue_without_seats_needs_them(client, now):
    program, person = organized_program()
    venue = seated_venue(seats=60)
    unknown = make_venue("城市书房")
    login(client, person)
    first = today(now) + timedelta(days=1)

    response = client.post(term_url(program), data=term_form(first, first, capacity="", venue_id=str(unknown.id)))
    assert field_errors(response, "capacity") == ["请输入名额数。"]
    client.post(term_url(program), data=term_form(first, first + timedelta(days=6), capacity="25", venue_id=str(venue.id)))
    assert [e.seats.capacity for e in lectures_of(program)] == [25]


def test_forms_offer_venues_with_their_seats_and_leave_retired_ones_and_series_out(client, now):
    program, person = organized_program(series=["齐国故城系", "旧专题"])
    program.series[1].retired_at = now
    seated_venue("多功能厅", 60)
    seated_venue("旧活动室", 30, retired_at=now)
    event = make_event(program, series=program.series[1])
    login(client, person)

    form = page(client.get(term_url(program)))
    assert 'data-seats="60"' in form and "多功能厅" in form and "旧活动室" not in form
    assert "齐国故城系" in form and "旧专题" not in form and "venue-seats.js" in form
    assert "旧专题" in page(client.get(f"/lectures/{event.id}/edit"))  # the lecture keeps its own


def test_the_term_form_starts_from_the_programs_booking_window(client, now):
    program, person = organized_program()
    program.booking_closes_minutes_before, program.booking_opens_days_before = 30, 7
    db.session.commit()
    login(client, person)
    [cutoff] = re.findall(r'<input[^>]*id="booking_cutoff_minutes"[^>]*>', page(client.get(term_url(program))))
    assert 'value="30"' in cutoff
    first = today(now) + timedelta(days=8)
    client.post(term_url(program), data=term_form(first, first + timedelta(days=6), booking_cutoff_minutes="30"))
    [lecture] = lectures_of(program)
    assert lecture.starts_at - lecture.booking_opens_at == timedelta(days=7)


def test_a_lecture_page_tells_residents_how_to_get_into_the_venue(client, now):
    venue = seated_venue(address="文化服务中心 2 楼", access_notes="电梯在东门，晚上走正门")
    event = make_event()
    event.venue = venue
    db.session.commit()
    body = visible_text(client.get(f"/lectures/{event.id}"))
    assert "文化服务中心 2 楼" in body and "出入提示：电梯在东门，晚上走正门" in body


def test_an_organizer_of_no_lecture_series_sees_what_they_run_or_whom_to_ask(client):
    from tests.conftest import make_troupe

    office = make_user("王建国", phone="13800000000", roles=(Role.RESIDENT, Role.ADMIN))
    person = organizer("赵老师")
    login(client, person)
    body = visible_text(client.get("/lectures/manage"))
    assert "社区办公室可以为您添加" in body and office.display_name in body and office.phone in body

    troupe = make_troupe("吕剧团", organizers=[person], slug="lvju")
    body = page(client.get("/lectures/manage"))
    assert f'href="/troupes/{troupe.slug}/manage"' in body and "社区办公室可以为您添加" not in body
# --- the room -------------------------------------------------------------------------


def test_moving_a_lecture_onto_a_rehearsal_in_its_room_is_refused_beside_the_venue(client, now):
    program, person = organized_program()
    hall = make_venue("多功能厅")
    rehearsal = lecture_at(make_program(ProgramKind.TROUPE, name="吕剧团"), now=now, days=3, hour=9,
                           title="吕剧团排练", length=timedelta(hours=2))
    rehearsal.venue = hall
    event = lecture_at(program, now=now)
    db.session.commit()
    login(client, person)

    response = client.post(f"/lectures/{event.id}/edit", data=edit_form(
        event, day=(today(now) + timedelta(days=3)).isoformat(), start_time="10:00", end_time="11:30",
        venue_id=str(hall.id)))

    [message] = field_errors(response, "venue_id")
    assert message.startswith("多功能厅 在这个时间已被占用：吕剧团排练（吕剧团），")
    assert db.session.get(Event, event.id).venue_id is None


def test_the_edit_form_offers_sharing_to_an_administrator_only_after_a_clash(client, now):
    hall = make_venue("多功能厅")
    other = lecture_at(now=now, days=3, title="书画笔会")
    other.venue = hall
    event = lecture_at(now=now, days=5)
    db.session.commit()
    login(client, admin())
    assert 'name="share_room"' not in page(client.get(f"/lectures/{event.id}/edit"))
    onto = edit_form(event, day=(today(now) + timedelta(days=3)).isoformat(), venue_id=str(hall.id))

    assert 'name="share_room"' in page(client.post(f"/lectures/{event.id}/edit", data=onto))
    response = client.post(f"/lectures/{event.id}/edit", data={**onto, "share_room": "y"}, follow_redirects=True)

    assert "与以下活动共用场地：书画笔会。" in alerts(response)
    assert db.session.get(Event, event.id).shares_room


def test_who_booked_a_cancelled_lecture_lists_who_had_a_seat(client, now):
    program, person = organized_program()
    event = make_event(program, now=now)
    seat(event, make_user("甲", phone="13811110001"), now)
    event_service.cancel_event(event, "讲师临时有事", actor=None, now=now)
    db.session.commit()
    login(client, person)

    text = visible_text(client.get(f"/lectures/{event.id}/bookings"))

    assert "取消时已预约的人" in text and "甲 13811110001" in text and "当时已有名额" in text
