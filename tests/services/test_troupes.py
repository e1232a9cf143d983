"""Troupes as functions: membership, the member limit and its waiting list, the leader's
scope, rehearsal schedules and performances (no HTTP)."""
from __future__ import annotations

from datetime import time, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from models import Booking, Event, TroupeMembership, TroupeMembershipStatus, Quota, Role, Troupe, db
from services import events as event_service
from services import schedules, troupes
from services.dates import to_local
from services.errors import (
    ApplicationDecided, EventEndsBeforeStart, EventFull, EventInThePast, LeaderNotFound, MemberLimitBelowMembers,
    NotBookable, ScheduleError,
)
from tests.conftest import every_day, make_troupe, make_user


def later(now, seconds):
    return now + timedelta(seconds=seconds)


def test_a_resident_applies_the_leader_approves_and_the_member_leaves(app, now):
    leader = make_user("陈墨林")
    program = make_troupe(leader=leader)
    resident = make_user("张桂芳")

    application = troupes.apply(program, resident, note="学过三年吕剧", now=now)
    db.session.commit()
    assert application.is_pending and application.note == "学过三年吕剧"
    assert troupes.roster(program).applications == [application]
    assert troupes.member_counts([program.id]) == {}

    troupes.approve(application, by=leader, now=later(now, 60))
    db.session.commit()
    assert application.is_member and application.decided_by_id == leader.id
    assert troupes.member_counts([program.id]) == {program.id: 1}
    assert troupes.roster(program).members == [application]

    assert troupes.leave(application, now=later(now, 120)) == []
    db.session.commit()
    assert application.status is TroupeMembershipStatus.LEFT and application.ended_at is not None
    assert troupes.active_membership(program.id, resident.id) is None
    assert troupes.member_counts([program.id]) == {}


def test_applying_twice_returns_the_same_application(app, now):
    program = make_troupe()
    resident = make_user()
    first = troupes.apply(program, resident, note="", now=now)
    again = troupes.apply(program, resident, note="再报一次", now=now)
    db.session.commit()
    assert again.id == first.id
    assert db.session.execute(sa.select(sa.func.count()).select_from(TroupeMembership)).scalar_one() == 1


def test_a_declined_application_keeps_the_reason_and_can_be_made_again(app, now):
    leader = make_user("队长")
    program = make_troupe(leader=leader)
    resident = make_user()
    application = troupes.apply(program, resident, note="", now=now)
    troupes.decline(application, reason="本期名额已满，请下学期再报", by=leader, now=now)
    db.session.commit()
    assert application.status is TroupeMembershipStatus.DECLINED
    assert troupes.latest_membership(program, resident).decline_reason == "本期名额已满，请下学期再报"
    with pytest.raises(ApplicationDecided):
        troupes.approve(application, by=leader, now=now)
    db.session.rollback()

    second = troupes.apply(program, resident, note="再试一次", now=later(now, 10))
    db.session.commit()
    assert second.id != application.id and second.is_pending


def test_an_applicant_can_withdraw_before_the_decision(app, now):
    program = make_troupe()
    application = troupes.apply(program, make_user(), note="", now=now)
    troupes.leave(application, now=now)
    db.session.commit()
    assert application.status is TroupeMembershipStatus.WITHDRAWN
    with pytest.raises(ApplicationDecided):
        troupes.decline(application, reason="x", by=make_user("队长"), now=now)
    db.session.rollback()


def test_the_member_limit_puts_approved_people_on_a_waiting_list_promoted_in_order(app, now):
    leader = make_user("队长")
    program = make_troupe(leader=leader, member_limit=2)
    people = [make_user(f"居民{i}") for i in range(5)]
    applications = [troupes.apply(program, p, note="", now=later(now, i)) for i, p in enumerate(people)]
    for i, application in enumerate(applications):
        troupes.approve(application, by=leader, now=later(now, 100 + i))
    db.session.commit()

    assert [a.status for a in applications] == [TroupeMembershipStatus.MEMBER] * 2 + [TroupeMembershipStatus.WAITLISTED] * 3
    assert [troupes.waiting_position(a) for a in applications[2:]] == [1, 2, 3]
    troupe = db.session.get(Troupe, program.id)
    assert troupe.member_quota.taken == 2 and troupe.member_limit == 2

    promoted = troupes.leave(applications[0], now=later(now, 200))
    db.session.commit()
    assert promoted == [applications[2]]
    assert applications[2].is_member and applications[2].joined_at is not None
    assert [troupes.waiting_position(a) for a in applications[3:]] == [1, 2]

    # Someone waiting gives up: nobody moves, the order holds.
    assert troupes.leave(applications[3], now=later(now, 300)) == []
    db.session.commit()
    assert troupes.waiting_position(applications[4]) == 1
    assert db.session.get(Quota, troupe.member_quota_id).taken == 2


def test_raising_or_removing_the_limit_promotes_and_it_cannot_drop_below_the_members(app, now):
    leader = make_user("队长")
    program = make_troupe(leader=leader, member_limit=1)
    applications = [troupes.apply(program, make_user(f"居民{i}"), note="", now=later(now, i)) for i in range(4)]
    for application in applications:
        troupes.approve(application, by=leader, now=now)
    db.session.commit()

    assert troupes.set_member_limit(program, 2, now=now) == [applications[1]]
    db.session.commit()
    with pytest.raises(MemberLimitBelowMembers) as refused:
        troupes.set_member_limit(program, 1, now=now)
    db.session.rollback()
    with force_locale("zh"):
        assert "2" in str(refused.value)

    assert troupes.set_member_limit(program, None, now=now) == applications[2:]
    db.session.commit()
    troupe = db.session.get(Troupe, program.id)
    assert troupe.member_quota_id is None and troupe.member_limit is None
    assert db.session.execute(sa.select(sa.func.count()).select_from(Quota)).scalar_one() == 0

    # A limit set on a troupe with members starts counted.
    troupes.set_member_limit(program, 5, now=now)
    db.session.commit()
    assert db.session.get(Troupe, program.id).member_quota.taken == 4


def test_nobody_jumps_the_members_waiting_list(app, now):
    leader = make_user("队长")
    program = make_troupe(leader=leader, member_limit=1)
    first, waiting, late = (troupes.apply(program, make_user(n), note="", now=now) for n in "甲乙丙")
    troupes.approve(first, by=leader, now=now)
    troupes.approve(waiting, by=leader, now=now)
    db.session.commit()
    # A place frees without promotion (e.g. edited by hand): the newcomer still queues.
    db.session.execute(sa.update(Quota).values(capacity=2))
    db.session.commit()
    troupes.approve(late, by=leader, now=now)
    db.session.commit()
    assert late.is_waitlisted and waiting.is_waitlisted


def test_the_database_refuses_more_members_than_the_limit_and_a_second_active_membership(app, now):
    from sqlalchemy.exc import IntegrityError

    program = make_troupe(member_limit=1)
    troupe = db.session.get(Troupe, program.id)
    with pytest.raises(IntegrityError):
        db.session.execute(sa.update(Quota).where(Quota.id == troupe.member_quota_id).values(taken=2))
        db.session.flush()
    db.session.rollback()

    resident = make_user()
    troupes.apply(program, resident, note="", now=now)
    db.session.commit()
    db.session.add(TroupeMembership(program_id=program.id, user_id=resident.id, status=TroupeMembershipStatus.MEMBER, applied_at=now))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_leader_manages_their_own_troupe_only(app):
    leader = make_user("陈墨林")
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    admin = make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN))
    own = make_troupe("老干部书画学会", leader=leader, organizers=[organizer])
    other = make_troupe("梦之蓝篮球队", leader=make_user("别的队长"), organizers=[organizer])
    resident = make_user("居民")

    def can(user, program):
        return troupes.can_manage(user, program, troupes.troupe_of(program))

    assert can(leader, own) and not can(leader, other)
    assert can(organizer, own) and can(organizer, other)
    assert can(admin, own) and can(admin, other)
    assert not can(resident, own)


def test_the_leader_is_set_by_mobile_number(app):
    program = make_troupe()
    leader = make_user("新队长", phone="13712345678")
    assert troupes.set_leader(program, "13712345678").id == leader.id
    db.session.commit()
    assert troupes.troupe_of(program).leader_id == leader.id
    with pytest.raises(LeaderNotFound):
        troupes.set_leader(program, "13700000000")
    db.session.rollback()
    assert troupes.set_leader(program, None) is None


def test_a_troupe_without_details_yet_gets_them_on_the_first_write(app, now):
    from tests.conftest import make_program
    from models import ProgramKind

    program = make_program(ProgramKind.TROUPE, name="秧歌队")
    assert troupes.troupe_of(program).leader_id is None  # blank, unsaved
    assert db.session.get(Troupe, program.id) is None
    troupes.apply(program, make_user(), note="", now=now)
    db.session.commit()
    assert db.session.get(Troupe, program.id) is not None


def rehearsal_plan(now, **changes):
    first = to_local(now).date() + timedelta(days=1)
    values = dict(
        title="排练", weekdays=frozenset({1, 3}), start_time=time(9), end_time=time(11),
        first_day=first, last_day=first + timedelta(days=27),
        include_days=every_day(first, first + timedelta(days=27)),
    )
    values.update(changes)
    return schedules.WeeklyPlan(**values)


def test_a_rehearsal_schedule_generates_rehearsals_on_the_chosen_weekdays(app, now):
    program = make_troupe()
    schedule = troupes.add_rehearsals(program, rehearsal_plan(now), actor=None, now=now)
    db.session.commit()

    days = [to_local(e.starts_at) for e in schedule.events]
    assert len(days) == 8  # four weeks of Tuesdays and Thursdays
    assert {d.weekday() for d in days} == {1, 3}
    assert all(d.time() == time(9) for d in days)
    assert all(to_local(e.ends_at).time() == time(11) for e in schedule.events)
    assert all(e.seats.capacity == 0 for e in schedule.events)
    assert all(troupes.is_rehearsal(e) for e in schedule.events)

    # Laying out the same schedule again adds nothing twice.
    with pytest.raises(ScheduleError):
        troupes.add_rehearsals(program, rehearsal_plan(now), actor=None, now=now)
    db.session.rollback()


@pytest.mark.parametrize("changes", [
    {"weekdays": frozenset()},
    {"end_time": time(9)},
    {"last_day_offset": -1},
    {"first_day_offset": -2},
    {"last_day_offset": 400},
])
def test_a_rehearsal_schedule_that_makes_no_sense_is_refused(app, now, changes):
    program = make_troupe()
    plan = rehearsal_plan(now)
    changes = dict(changes)
    if "first_day_offset" in changes:
        changes["first_day"] = to_local(now).date() + timedelta(days=changes.pop("first_day_offset"))
    if "last_day_offset" in changes:
        changes["last_day"] = plan.first_day + timedelta(days=changes.pop("last_day_offset"))
    with pytest.raises(ScheduleError) as refused:
        troupes.add_rehearsals(program, rehearsal_plan(now, **changes), actor=None, now=now)
    db.session.rollback()
    assert str(refused.value)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Event)).scalar_one() == 0


def test_members_see_the_rehearsals_of_their_troupes_and_a_cancelled_one_with_its_reason(app, now):
    leader = make_user("队长")
    program = make_troupe(leader=leader)
    other = make_troupe("京剧票友社")
    schedule = troupes.add_rehearsals(program, rehearsal_plan(now), actor=None, now=now)
    troupes.add_rehearsals(other, rehearsal_plan(now), actor=None, now=now)
    member = make_user("队员")
    troupes.approve(troupes.apply(program, member, note="", now=now), by=leader, now=now)
    db.session.commit()

    event_service.cancel_event(schedule.events[0], "文化中心检修", actor=None, now=now)
    db.session.commit()

    mine = troupes.my_troupes(member, now=now)
    assert {e.program_id for e in mine.rehearsals} == {program.id}
    assert mine.rehearsals[0].is_cancelled and mine.rehearsals[0].cancel_reason == "文化中心检修"
    assert troupes.my_troupes(leader, now=now).led == [program]
    assert troupes.my_troupes(make_user("路人"), now=now).rehearsals == []


def test_performances_are_booked_like_lectures_and_rehearsals_cannot_be(app, now):
    program = make_troupe("梦之蓝篮球队")
    start = (now + timedelta(days=10)).replace(microsecond=0)
    show = troupes.add_performance(program, troupes.PerformancePlan(
        title="社区篮球赛", summary="", starts_at=start, ends_at=start + timedelta(hours=2),
        capacity=1, booking_cutoff_minutes=60,
    ), actor=None, now=now)
    rehearsal = troupes.add_rehearsals(program, rehearsal_plan(now), actor=None, now=now).events[0]
    db.session.commit()

    assert troupes.upcoming_performances(now=now, program=program) == [show]
    assert troupes.book_performance(show, make_user("甲"), now=now).is_confirmed
    db.session.commit()
    with pytest.raises(EventFull):
        troupes.book_performance(show, make_user("乙"), now=now)
    db.session.rollback()
    assert troupes.book_performance(show, make_user("丙"), now=now, waitlist=True).is_waitlisted
    with pytest.raises(NotBookable):
        troupes.book_performance(rehearsal, make_user("丁"), now=now)
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking).where(Booking.event_id == rehearsal.id)).scalar_one() == 0


def test_a_performance_must_end_after_it_starts_and_not_be_in_the_past(app, now):
    program = make_troupe()
    start = now + timedelta(days=3)
    for starts_at, ends_at, refusal in ((start, start, EventEndsBeforeStart),
                                        (now - timedelta(hours=1), now + timedelta(hours=1), EventInThePast)):
        with pytest.raises(refusal):
            troupes.add_performance(program, troupes.PerformancePlan(
                title="书画笔会", summary="", starts_at=starts_at, ends_at=ends_at, capacity=10,
                booking_cutoff_minutes=0), actor=None, now=now)
        db.session.rollback()
