"""The community's holiday list (services.holidays) and how every weekly schedule uses it
(services.schedules): official holidays and make-up working days from chinesecalendar,
the office's own closed days, days held anyway, years the package doesn't know yet;
copying a term's layout and cancelling what is left of one.

Holidays are date-bound, so every test here says which days it is about and moves the
clock there.
"""
from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from models import AuditEntry, Booking, BookingStatus, ClosedDay, Event, EventStatus, Role, WeeklySchedule, db
from services import booking as booking_service
from services import feeds, holidays, lectures, schedules, troupes, youth
from services.dates import LOCAL_TZ, local_datetime, now_utc, to_local, weekly_days
from services.errors import HolidayError, RoomSharingNotAllowed, ScheduleError, VenueTaken
from services.holidays import DayKind
from tests.conftest import make_event, make_program, make_troupe, make_user, make_venue, make_youth_program

SUMMER_2026 = datetime(2026, 8, 24, 9, 0, tzinfo=LOCAL_TZ)  # a Monday before the autumn term


@pytest.fixture
def summer(time_machine):
    time_machine.move_to(SUMMER_2026, tick=True)
    return now_utc()


def days_of(schedule: WeeklySchedule) -> list[date]:
    return [to_local(e.starts_at).date() for e in schedule.events]


def wednesday_term(**changes) -> schedules.WeeklyPlan:
    values = dict(title="2026 秋季学期", weekdays=frozenset({2}), start_time=time(9, 30), end_time=time(11),
                  first_day=date(2026, 9, 2), last_day=date(2026, 10, 28), capacity=40, booking_cutoff_minutes=60)
    return schedules.WeeklyPlan(**{**values, **changes})


# --- the list ------------------------------------------------------------------------------


def test_official_holidays_and_make_up_working_days_come_from_chinesecalendar(app):
    national_day = holidays.official_day_off(date(2026, 10, 1))
    make_up = holidays.official_day_off(date(2026, 9, 20))  # a Sunday people work

    assert national_day.kind is DayKind.HOLIDAY and make_up.kind is DayKind.WORKDAY
    with force_locale("zh"):
        assert str(national_day.reason) == "国庆节（法定节假日）"
        assert str(make_up.reason) == "国庆节调休上班日：学校和单位照常上课上班"
    with force_locale("en"):
        assert str(national_day.reason) == "National Day (public holiday)"
    assert holidays.official_day_off(date(2026, 10, 14)) is None  # an ordinary Wednesday
    assert holidays.official_day_off(date(2026, 10, 17)) is None  # an ordinary Saturday


def test_a_year_the_package_doesnt_know_skips_only_the_offices_days_and_says_so(app):
    assert holidays.is_year_known(2026) and not holidays.is_year_known(2099)
    db.session.add(ClosedDay(first_day=date(2099, 10, 1), last_day=date(2099, 10, 2), name="社区自定休息"))
    db.session.commit()

    found = holidays.days_off(date(2099, 9, 25), date(2099, 10, 10))

    assert found.unknown_years == (2099,)
    assert sorted(found.days_off) == [date(2099, 10, 1), date(2099, 10, 2)]
    assert holidays.official_periods(2099) is None


def test_the_year_list_groups_each_holiday_with_its_make_up_days(app):
    periods = {p.name.english: p for p in holidays.official_periods(2026)}

    national = periods["National Day"]
    assert (national.days[0], national.days[-1]) == (date(2026, 10, 1), date(2026, 10, 7))
    assert national.workdays == [date(2026, 9, 20), date(2026, 10, 10)]
    assert date(2026, 2, 17) in periods["Spring Festival"].days


def test_layout_leaves_out_holidays_office_days_and_asked_days_and_holds_what_is_held(app):
    db.session.add(ClosedDay(first_day=date(2026, 9, 16), last_day=date(2026, 9, 16), name="多功能厅检修"))
    db.session.commit()

    laid = holidays.layout_days(date(2026, 9, 2), date(2026, 10, 28), {2},
                                skip_days={date(2026, 9, 9)}, include_days={date(2026, 9, 16)})

    assert [(off.day, off.kind) for off in laid.skipped] == [
        (date(2026, 9, 9), DayKind.SKIPPED), (date(2026, 10, 7), DayKind.HOLIDAY)]
    assert [off.day for off in laid.held] == [date(2026, 9, 16)]
    assert date(2026, 9, 16) in laid.days and date(2026, 10, 7) not in laid.days
    assert not laid.skipped[0].can_be_held and laid.skipped[1].can_be_held
    assert laid.unknown_years == ()


def test_the_office_adds_and_removes_closed_days_and_the_trail_says_so(app, summer):
    person = make_user("王建国", roles=(Role.ADMIN,))
    closed = holidays.add_closed_days(date(2026, 9, 15), date(2026, 9, 17), " 文化中心年度检修 ", actor=person,
                                      now=summer)
    db.session.commit()
    assert (closed.name, closed.created_by_id) == ("文化中心年度检修", person.id)
    assert holidays.closed_days_from(date(2026, 9, 1)) == [closed]

    holidays.remove_closed_days(closed, actor=person, now=summer)
    db.session.commit()

    assert db.session.execute(sa.select(ClosedDay)).first() is None
    trail = db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars().all()
    assert [(e.action, e.actor_id) for e in trail] == [("holiday.add", person.id), ("holiday.remove", person.id)]
    assert trail[0].after == {"first_day": "2026-09-15", "last_day": "2026-09-17", "name": "文化中心年度检修"}
    assert trail[1].before == trail[0].after and trail[1].after is None


@pytest.mark.parametrize("first, last, name", [
    (date(2026, 9, 17), date(2026, 9, 15), "检修"),
    (date(2026, 9, 15), date(2027, 9, 16), "检修"),
    (date(2026, 8, 1), date(2026, 8, 2), "检修"),
    (date(2026, 9, 15), None, "   "),
], ids=["backwards", "over-a-year", "past", "no-reason"])
def test_closed_days_that_make_no_sense_are_refused(app, summer, first, last, name):
    with pytest.raises(HolidayError):
        holidays.add_closed_days(first, last, name, actor=None, now=summer)
    db.session.rollback()
    assert db.session.execute(sa.select(ClosedDay)).first() is None


def test_events_already_planned_on_closed_days_are_listed_not_cancelled(app, summer):
    lecture = make_event(starts_in=local_datetime(date(2026, 9, 16), time(9, 30)) - summer)

    holidays.add_closed_days(date(2026, 9, 16), None, "停电检修", actor=None, now=summer)

    assert holidays.events_on(date(2026, 9, 16), date(2026, 9, 16)) == [lecture]
    assert not lecture.is_cancelled


# --- laying out a schedule -----------------------------------------------------------------


def test_a_lecture_term_across_national_day_leaves_it_out(app, summer):
    program = make_program()

    term = lectures.create_term(program, wednesday_term(), actor=None, now=summer)

    assert date(2026, 10, 7) not in days_of(term)
    assert len(term.events) == 8
    assert {(e.title, e.display_title) for e in term.events} == {("", "题目待定")}
    assert (term.capacity, term.booking_cutoff_minutes) == (40, 60)


def test_a_held_holiday_is_laid_out_like_any_day(app, summer):
    term = lectures.create_term(make_program(), wednesday_term(include_days=frozenset({date(2026, 10, 7)})),
                                actor=None, now=summer)

    assert date(2026, 10, 7) in days_of(term) and len(term.events) == 9


def test_weekend_classes_leave_out_make_up_working_days_too(app, summer):
    program = make_youth_program()

    term = youth.create_term(program, schedules.WeeklyPlan(
        title="秋季学期", weekdays=frozenset({5}), start_time=time(10), end_time=time(11),
        first_day=date(2026, 9, 19), last_day=date(2026, 10, 17), capacity=15, booking_cutoff_minutes=60,
    ), actor=None, now=summer)

    # 9月26日 is Mid-autumn, 10月3日 National Day, 10月10日 a Saturday everyone works.
    assert days_of(term) == [date(2026, 9, 19), date(2026, 10, 17)]
    assert [e.display_title for e in term.events] == ["秋季学期 · 第 1 课", "秋季学期 · 第 2 课"]


def test_checking_a_layout_shows_every_list_and_writes_nothing(app, summer):
    program = make_program()
    hall = make_venue("多功能厅")
    in_the_way = make_event(make_troupe(), title="吕剧团排练",
                            starts_in=local_datetime(date(2026, 9, 9), time(9)) - summer, length=timedelta(hours=2))
    in_the_way.venue = hall
    make_event(program, starts_in=local_datetime(date(2026, 9, 16), time(9, 30)) - summer)
    db.session.commit()

    layout = schedules.plan_layout(program, wednesday_term(venue=hall), now=summer)

    assert layout.existing == [date(2026, 9, 16)]
    assert [off.day for off in layout.skipped] == [date(2026, 10, 7)]
    assert [(to_local(c.slot.starts_at).date(), c.other.id) for c in layout.clashes] == [(date(2026, 9, 9), in_the_way.id)]
    assert date(2026, 9, 9) in layout.days and date(2026, 9, 16) not in layout.days
    assert db.session.execute(sa.select(sa.func.count()).select_from(WeeklySchedule)).scalar_one() == 0


def test_a_layout_in_a_year_not_yet_announced_says_so(app, time_machine):
    time_machine.move_to(datetime(2098, 12, 1, 9, tzinfo=LOCAL_TZ), tick=True)
    now = now_utc()

    layout = schedules.plan_layout(make_program(), wednesday_term(
        first_day=date(2098, 12, 2), last_day=date(2099, 1, 27)), now=now)

    assert layout.unknown_years == (2098, 2099)
    assert layout.days == weekly_days(date(2098, 12, 2), date(2099, 1, 27), [2]) and layout.skipped == []


def test_a_schedule_whose_days_are_all_holidays_is_refused(app, summer):
    with pytest.raises(ScheduleError) as refused:
        lectures.create_term(make_program(), wednesday_term(first_day=date(2026, 10, 5), last_day=date(2026, 10, 9)),
                             actor=None, now=summer)
    with force_locale("zh"):
        assert str(refused.value) == "所选的日子都是节假日或被排除的日子，没有可以安排的日期。"


def test_a_schedule_in_a_taken_room_is_refused_unless_an_administrator_shares_it(app, summer):
    hall = make_venue("多功能厅")
    lecture = make_event(title="管仲与齐国", starts_in=local_datetime(date(2026, 9, 15), time(9)) - summer)
    lecture.venue = hall
    db.session.commit()
    plan = schedules.WeeklyPlan(title="排练", weekdays=frozenset({1, 3}), start_time=time(9), end_time=time(11),
                                first_day=date(2026, 9, 1), last_day=date(2026, 9, 30), venue=hall)
    program = make_troupe()

    with pytest.raises(VenueTaken) as refused:
        troupes.add_rehearsals(program, plan, actor=None, now=summer)
    db.session.rollback()
    with force_locale("zh"):
        assert "管仲与齐国" in str(refused.value) and "9月15日" in str(refused.value)
    with pytest.raises(RoomSharingNotAllowed):
        troupes.add_rehearsals(program, replace(plan, share_room=True), actor=make_user("队长"), now=summer)
    db.session.rollback()

    boss = make_user("王建国", roles=(Role.ADMIN,))
    schedule = troupes.add_rehearsals(program, replace(plan, share_room=True), actor=boss, now=summer)
    db.session.commit()

    shared = [e for e in schedule.events if e.shares_room]
    assert [to_local(e.starts_at).date() for e in shared] == [date(2026, 9, 15)]
    [entry] = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "schedule.share_room")).scalars()
    assert entry.actor_id == boss.id and entry.after["shares_with"][0]["title"] == "管仲与齐国"


def test_laying_out_records_the_schedule_in_the_trail(app, summer):
    person = make_user("李秀兰", roles=(Role.ORGANIZER,))
    term = lectures.create_term(make_program(), wednesday_term(), actor=person, now=summer)
    db.session.commit()

    [entry] = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "schedule.create")).scalars()
    assert (entry.actor_id, entry.subject_id, entry.label) == (person.id, term.id, "2026 秋季学期")
    assert entry.after["events"] == 8 and entry.after["skipped"] == ["2026-10-07"]


# --- copying a term ------------------------------------------------------------------------


def test_a_copy_keeps_weekdays_times_place_places_and_series_in_turn(app, summer):
    program = make_program(series=["齐国故城系", "文化名人", "中国古籍"])
    hall = make_venue("多功能厅")
    term = lectures.create_term(program, wednesday_term(venue=hall, last_day=date(2026, 9, 16)), actor=None,
                                now=summer)
    for event, series in zip(term.events, program.series):
        event.series = series
    db.session.commit()

    start = schedules.next_term_start(term, now=summer)
    plan = schedules.copy_plan(term, start)
    copy = lectures.create_term(program, plan, actor=None, now=summer)

    assert start == date(2026, 9, 23) and plan.last_day == date(2026, 10, 7)
    assert (plan.weekdays, plan.start_time, plan.end_time, plan.venue, plan.capacity, plan.booking_cutoff_minutes) == (
        frozenset({2}), time(9, 30), time(11), hall, 40, 60)
    assert days_of(copy) == [date(2026, 9, 23), date(2026, 9, 30)]  # 10月7日 is National Day
    assert [e.series.name for e in copy.events] == ["齐国故城系", "文化名人"]


def test_a_longer_copy_repeats_the_series_pattern(app, summer):
    program = make_program(series=["齐国故城系", "文化名人"])
    term = lectures.create_term(program, wednesday_term(last_day=date(2026, 9, 9)), actor=None, now=summer)
    term.events[0].series, term.events[1].series = program.series
    db.session.commit()

    copy = lectures.create_term(program, replace(
        schedules.copy_plan(term, date(2026, 11, 4)), last_day=date(2026, 11, 25)), actor=None, now=summer)

    assert [e.series.name for e in copy.events] == ["齐国故城系", "文化名人", "齐国故城系", "文化名人"]


def test_a_copy_never_starts_in_the_past(app, summer):
    term = lectures.create_term(make_program(), wednesday_term(), actor=None, now=summer)
    later = datetime(2027, 3, 1, 9, tzinfo=LOCAL_TZ)

    assert schedules.next_term_start(term, now=later) == date(2027, 3, 3)


# --- cancelling what is left ---------------------------------------------------------------


def test_cancelling_a_term_cancels_its_coming_events_and_bookings_and_keeps_the_past(app, summer, time_machine):
    program = make_program()
    term = lectures.create_term(program, wednesday_term(capacity=1), actor=None, now=summer)
    first, second = term.events[0], term.events[1]
    booker, waiting = make_user("刘建华"), make_user("王德顺")
    booking_service.book_seat(first, booker, now=summer)
    booking_service.book_seat(second, booker, now=summer)
    booking_service.book_seat(second, waiting, now=summer, waitlist=True)
    db.session.commit()
    time_machine.move_to(first.ends_at + timedelta(hours=1), tick=True)
    now = now_utc()

    cancellation = schedules.cancel_schedule(term, "讲堂装修", actor=None, now=now)
    db.session.commit()

    assert not first.is_cancelled
    assert [e.id for e in cancellation.events] == [e.id for e in term.events[1:]]
    assert all(e.status is EventStatus.CANCELLED and e.cancel_reason == "讲堂装修" for e in term.events[1:])
    assert term.is_cancelled and term.cancel_reason == "讲堂装修"
    statuses = dict(db.session.execute(sa.select(Booking.user_id, Booking.status).where(Booking.event_id == second.id)).all())
    assert statuses == {booker.id: BookingStatus.CANCELLED, waiting.id: BookingStatus.CANCELLED}
    assert second.seats.taken == 0
    assert db.session.execute(sa.select(Booking.status).where(Booking.event_id == first.id)).scalar_one() is BookingStatus.CONFIRMED
    [entry] = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "schedule.cancel")).scalars()
    assert entry.after["bookings_cancelled"] == 2 and len(entry.after["events"]) == 7


def test_feeds_show_a_cancelled_term_crossed_out(app, summer):
    program = make_program()
    term = lectures.create_term(program, wednesday_term(last_day=date(2026, 9, 16)), actor=None, now=summer)
    person = make_user("刘建华")
    booking_service.book_seat(term.events[0], person, now=summer)
    db.session.commit()

    schedules.cancel_schedule(term, "讲堂装修", actor=None, now=summer)
    db.session.commit()

    links = feeds.FeedLinks(lambda e: "https://linli.invalid/")
    public = feeds.public_feed(now=summer, links=links, language="zh").body.decode()
    assert public.count("STATUS:CANCELLED") == len(term.events) == 3
    personal = feeds.personal_feed(person, now=summer, links=links, language="zh").body.decode()
    assert personal.count("STATUS:CANCELLED") == 1 and "讲堂装修" in personal


def test_nothing_left_to_cancel_is_said_plainly(app, summer):
    term = lectures.create_term(make_program(), wednesday_term(last_day=date(2026, 9, 9)), actor=None, now=summer)
    schedules.cancel_schedule(term, "讲堂装修", actor=None, now=summer)

    with pytest.raises(ScheduleError):
        schedules.cancel_schedule(term, "再取消一次", actor=None, now=summer)


def test_a_cancelled_term_leaves_its_days_free_for_a_new_one(app, summer):
    program = make_program()
    term = lectures.create_term(program, wednesday_term(last_day=date(2026, 9, 16)), actor=None, now=summer)
    schedules.cancel_schedule(term, "换个时间", actor=None, now=summer)

    again = lectures.create_term(program, wednesday_term(last_day=date(2026, 9, 16)), actor=None, now=summer)

    assert days_of(again) == days_of(term)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one() == 6
