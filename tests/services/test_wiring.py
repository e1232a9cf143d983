"""The areas' hooks as create_app connects them: troupe rehearsals in feeds and on rosters,
children and volunteer roles in personal feeds, served shifts on the dashboard, and
missed shifts left out of the booking pause (no HTTP)."""
from __future__ import annotations

from datetime import time, timedelta

import pytest

from models import AttendanceStatus, OutcomeStatus, Role, TroupeMembershipStatus, db
from services import attendance, capacity, dashboard, feeds, no_shows, points, schedules, troupes, youth
from services import roster as roster_service
from services.booking import book_seat
from services.dates import local_datetime, to_local
from tests.conftest import (
    every_day, make_child, make_event, make_program, make_role, make_team, make_troupe, make_user, make_youth_program,
)

DOMAIN = "linli.example.org"
LINKS = feeds.FeedLinks(event_url=lambda event: f"https://{DOMAIN}/events/{event.id}")


def summaries(feed) -> dict[int, str]:
    """SUMMARY by event id, read back from a rendered feed (the event is in its URL)."""
    import icalendar

    return {
        int(str(v["URL"]).rsplit("/", 1)[1]): str(v["SUMMARY"])
        for v in icalendar.Calendar.from_ical(feed.body).walk("VEVENT")
    }


def personal(user, now):
    return summaries(feeds.personal_feed(user, now=now, links=LINKS, language="zh"))


def add_rehearsals(program, now, *, first_in=timedelta(days=1), days=13):
    first = to_local(now + first_in).date()
    schedule = troupes.add_rehearsals(program, schedules.WeeklyPlan(
        title="排练", weekdays=frozenset(range(7)), start_time=time(9), end_time=time(11),
        first_day=first, last_day=first + timedelta(days=days),
        include_days=every_day(first, first + timedelta(days=days)),
    ), actor=None, now=now)
    db.session.commit()
    return schedule.events


def add_performance(program, now):
    start = (now + timedelta(days=5)).replace(microsecond=0)
    event = troupes.add_performance(program, troupes.PerformancePlan(
        title="吕剧专场", summary="", starts_at=start, ends_at=start + timedelta(hours=2),
        capacity=10, booking_cutoff_minutes=60,
    ), actor=None, now=now)
    db.session.commit()
    return event


def join(program, user, now):
    """Make ``user`` a member of the troupe ``program``."""
    leader = make_user("队长", roles=(Role.RESIDENT, Role.ORGANIZER))
    membership = troupes.apply(program, user, note="", now=now)
    troupes.approve(membership, by=leader, now=now)
    db.session.commit()
    return membership


# --- the wiring itself ---------------------------------------------------------------------


def test_create_app_connects_every_hook_once(app):
    from services import wiring

    wiring.connect()  # a second app (or a second call) adds nothing twice
    assert feeds.PERSONAL_SOURCES.count(troupes.rehearsal_entries) == 1
    assert roster_service._EXPECTED_SOURCES[troupes.ProgramKind.TROUPE] is troupes.members_at_rehearsals
    assert dashboard._volunteer_minutes is points.minutes_by_event


# --- troupe rehearsals ---------------------------------------------------------------------


def test_public_feeds_show_a_troupes_performances_but_not_its_rehearsals(app, now):
    program = make_troupe(slug="lvju")
    rehearsals = add_rehearsals(program, now)
    show = add_performance(program, now)
    public = summaries(feeds.public_feed(now=now, links=LINKS, language="zh"))
    by_program = summaries(feeds.program_feed(program, now=now, links=LINKS, language="zh"))
    assert set(public) == set(by_program) == {show.id}
    assert feeds.public_event(rehearsals[0].id) is None
    assert feeds.public_event(show.id) is show


def test_members_have_their_troupes_rehearsals_in_their_own_feed(app, now, count_queries):
    program, other = make_troupe(slug="lvju"), make_troupe("秧歌队", slug="yangge")
    rehearsals = add_rehearsals(program, now)
    add_rehearsals(other, now)
    show = add_performance(program, now)
    member, applicant, former = make_user("王德顺"), make_user("赵秀英"), make_user("孙建国")
    join(program, member, now)
    join(program, former, now)
    troupes.leave(troupes.active_membership(program.id, former.id), now=now)
    troupes.apply(program, applicant, note="", now=now)
    db.session.commit()

    member_id = member.id
    db.session.expire_all()
    member = db.session.get(troupes.User, member_id)
    with count_queries() as statements:
        entries = troupes.rehearsal_entries(member, feeds.Window.at(now))
    assert len(statements) == 1
    assert [e.event.id for e in entries] == [e.id for e in rehearsals]
    assert set(personal(member, now)) == {e.id for e in rehearsals}  # not the show, not the other troupe
    assert show.id not in personal(member, now)
    assert personal(applicant, now) == {} and personal(former, now) == {}


def test_members_are_expected_at_rehearsals_they_belonged_to_the_troupe_for(app, now, count_queries):
    program = make_troupe(slug="lvju")
    rehearsals = add_rehearsals(program, now)
    show = add_performance(program, now)
    # The day in the middle when one member left and another joined.
    cut = local_datetime(to_local(rehearsals[0].starts_at).date() + timedelta(days=5), time(0))
    early, late, gone = make_user("王德顺"), make_user("赵秀英"), make_user("孙建国")
    join(program, early, now - timedelta(days=30))
    join(program, gone, now - timedelta(days=30))
    troupes.leave(troupes.active_membership(program.id, gone.id), now=cut)
    join(program, late, cut)
    db.session.commit()
    past = [e for e in rehearsals if e.ends_at < cut]
    coming = [e for e in rehearsals if e.starts_at > cut]
    assert past and coming

    events = [*rehearsals, show]
    assert {e.program.kind for e in events} == {troupes.ProgramKind.TROUPE}  # loaded, as a roster has them
    with count_queries() as statements:
        expected = roster_service.expected_without_booking(events)
    assert len(statements) == 1
    names = {event_id: {user.display_name for user, _kind in people} for event_id, people in expected.items()}
    assert all(names[e.id] == {"王德顺", "孙建国"} for e in past)
    assert all(names[e.id] == {"王德顺", "赵秀英"} for e in coming)
    assert show.id not in names
    assert {kind for people in expected.values() for _u, kind in people} == {roster_service.RowKind.MEMBER}

    roster = roster_service.roster(coming[0], now=cut)
    assert {(row.name, row.kind) for row in roster.rows} == {
        ("王德顺", roster_service.RowKind.MEMBER), ("赵秀英", roster_service.RowKind.MEMBER),
    }


# --- children and volunteer roles in personal feeds --------------------------------------------


@pytest.mark.parametrize("name, first", [
    ("王小明", "小明"), ("欧阳娜娜", "娜娜"), ("小雨", "小雨"), ("Tom Smith", "Tom"), ("李华", "李华"),
])
def test_a_childs_first_name_leaves_the_family_name_out(app, name, first):
    assert make_child(make_user(), name).first_name == first


def test_a_childs_class_shows_the_first_name_or_not_at_all_by_the_parents_choice(app, now):
    parent = make_user("王德顺")
    child = make_child(parent, "王小明")
    program = make_youth_program()
    lesson = make_event(program, title="经典诗文诵读", now=now)
    lecture = make_event(title="讲座", now=now)
    youth.book_class(lesson, child, parent, now=now)
    book_seat(lecture, parent, now=now)
    db.session.commit()
    assert parent.children_in_calendar is True  # the default
    assert personal(parent, now) == {lesson.id: "经典诗文诵读（小明）", lecture.id: "讲座"}

    feeds.show_children(parent, False)
    db.session.commit()
    assert personal(parent, now) == {lecture.id: "讲座"}


def test_a_volunteer_shift_names_its_role_in_the_personal_feed(app, now):
    team = make_team()
    talk = make_event(team, capacity=0, cutoff=timedelta(0), title="学习宣讲", now=now)
    host = make_role(talk, "主持", 1)
    lecture = make_event(title="讲座", now=now)
    steward = make_role(lecture, "场务", 2)
    volunteer = make_user("陈玉兰", roles=(Role.RESIDENT, Role.VOLUNTEER))
    for role in (host, steward):
        capacity.request_places(quota_id=role.quota_id, event_id=role.event_id, user=volunteer, now=now)
    book_seat(lecture, volunteer, now=now)  # a seat and a shift at one event: one entry
    db.session.commit()
    assert personal(volunteer, now) == {talk.id: "【志愿】主持 · 学习宣讲", lecture.id: "【志愿】场务 · 讲座"}


# --- the dashboard's volunteer hours --------------------------------------------------------------


def test_volunteer_hours_are_the_minutes_credited_for_shifts_at_each_event(app, now, count_queries):
    team = make_team()
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    team.organizers.append(organizer)
    talk = make_event(team, capacity=0, cutoff=timedelta(0), starts_in=timedelta(days=-3), title="宣讲", now=now)
    role = make_role(talk, "摄影", 2)
    shifts_held = [
        capacity.request_places(quota_id=role.quota_id, event_id=talk.id, user=make_user(name),
                                now=talk.starts_at - timedelta(days=2))
        for name in ("甲", "乙")
    ]
    db.session.commit()
    points.record_outcome(shifts_held[0], OutcomeStatus.SERVED, organizer, now=now)
    points.record_outcome(shifts_held[1], OutcomeStatus.SERVED, organizer, now=now, minutes=30, reason="早退")
    points.adjust(shifts_held[0].user, minutes=60, points=0, reason="备课", organizer=organizer, now=now)
    db.session.commit()
    with count_queries() as statements:
        minutes = points.minutes_by_event([talk.id, talk.id + 999])
    assert len(statements) == 1
    assert minutes == {talk.id: 90 + 30}  # the adjustment belongs to no event

    points.record_outcome(shifts_held[1], OutcomeStatus.NO_SHOW, organizer, now=now, reason="没来")
    db.session.commit()
    assert points.minutes_by_event([talk.id]) == {talk.id: 90}
    (figures,) = dashboard.monthly_figures([team], now=now, months=3)
    assert sum(m.volunteer_minutes for m in figures.months) == 90


# --- missed shifts and the booking pause ---------------------------------------------------------


def test_missed_volunteer_shifts_do_not_pause_booking_but_missed_seats_do(app, now):
    program = make_program()
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program.organizers.append(organizer)
    volunteer = make_user("陈玉兰", roles=(Role.RESIDENT, Role.VOLUNTEER))
    for days in (30, 20, 10):
        event = make_event(program, starts_in=timedelta(days=-days), now=now)
        role = make_role(event, "场务", 1)
        came = book_seat(event, make_user("到场的人"), now=event.starts_at - timedelta(days=2))
        capacity.request_places(quota_id=role.quota_id, event_id=event.id, user=volunteer,
                                now=event.starts_at - timedelta(days=2))
        db.session.commit()
        attendance.mark_booking(event, came.id, AttendanceStatus.PRESENT, actor=organizer, now=event.ends_at)
        db.session.commit()
        assert roster_service.roster(event, now=now).counts.no_shows == 1  # still a no-show on the roster
    assert not no_shows.no_show_record(volunteer, now=now).is_paused

    for days in (9, 8, 7):  # the same person missing seats is paused as before
        event = make_event(program, starts_in=timedelta(days=-days), now=now)
        came, missed = (book_seat(event, person, now=event.starts_at - timedelta(days=2))
                        for person in (make_user("到场的人"), volunteer))
        db.session.commit()
        attendance.mark_booking(event, came.id, AttendanceStatus.PRESENT, actor=organizer, now=event.ends_at)
        db.session.commit()
    assert no_shows.no_show_record(volunteer, now=now).is_paused


def test_troupe_memberships_left_keep_their_status(app, now):
    """A guard for the rehearsal queries: leaving records LEFT with its time."""
    program = make_troupe()
    user = make_user()
    membership = join(program, user, now)
    troupes.leave(membership, now=now)
    db.session.commit()
    assert membership.status is TroupeMembershipStatus.LEFT and membership.ended_at == now
