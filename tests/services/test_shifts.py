"""Volunteer shifts: slots and waiting lists per role, overlaps, withdrawing and releasing."""
from __future__ import annotations

from collections import Counter
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from models import Booking, BookingStatus, OutcomeStatus, Quota, Role, ShiftOutcome, ShiftRole, User, db
from services import events as event_service
from services import booking as booking_service
from services import capacity, shifts, talks
from services.dates import now_utc
from services.errors import (
    EventCancelled, EventStarted, NotAMember, NotAVolunteer, ReasonRequired, ReleaseTooLate, RoleClosed, RoleFull,
    RoleInUse, RoleNameTaken, ShiftOverlap, ShiftsOverlapAfterMove, SlotsBelowTaken, WithdrawalClosed,
)
from tests.conftest import make_event, make_member, make_role, make_talk, make_team, make_user

from .test_race import RACERS, race


def statuses(role):
    rows = db.session.execute(
        sa.select(Booking.user_id, Booking.status).where(Booking.quota_id == role.quota_id).order_by(Booking.id)
    )
    return [(user_id, status) for user_id, status in rows]


# --- slots and waiting lists -----------------------------------------------------------


def test_slots_are_confirmed_until_full_then_refused_without_waitlist(app, now):
    team = make_team()
    talk = make_talk(team, roles=[("场务", 2)])
    role = talk_role(talk)
    first, second, third = (make_member(team, name) for name in ("甲", "乙", "丙"))
    assert shifts.sign_up(role, first, now=now).is_confirmed
    assert shifts.sign_up(role, second, now=now).is_confirmed
    db.session.commit()
    with pytest.raises(RoleFull) as refused:
        shifts.sign_up(role, third, now=now)
    db.session.rollback()
    with force_locale("zh"):
        assert "岗位" in str(refused.value) and "候补" in str(refused.value)
    assert db.session.get(Quota, role.quota_id).taken == 2


def talk_role(event, name=None) -> ShiftRole:
    query = sa.select(ShiftRole).where(ShiftRole.event_id == event.id).order_by(ShiftRole.position)
    if name:
        query = query.where(ShiftRole.name == name)
    return db.session.execute(query.limit(1)).scalar_one()


def test_a_role_with_no_slots_is_closed_even_to_its_waiting_list(app, now):
    team = make_team()
    role = talk_role(make_talk(team, roles=[("讲解员", 0)]))
    with pytest.raises(RoleClosed):
        shifts.sign_up(role, make_member(team), now=now, waitlist=True)
    db.session.rollback()
    assert statuses(role) == []


def test_signing_up_twice_returns_the_same_shift(app, now):
    team = make_team()
    role = talk_role(make_talk(team))
    member = make_member(team)
    first = shifts.sign_up(role, member, now=now)
    again = shifts.sign_up(role, member, now=now + timedelta(minutes=1), waitlist=True)
    assert again.id == first.id
    assert db.session.get(Quota, role.quota_id).taken == 1


def test_a_role_waiting_list_is_promoted_in_the_order_people_joined(app, now):
    team = make_team()
    role = talk_role(make_talk(team, roles=[("主持", 1)]))
    holder, *waiting = [make_member(team, f"志愿者{i}") for i in range(4)]
    shifts.sign_up(role, holder, now=now)
    bookings = [shifts.sign_up(role, person, now=now + timedelta(minutes=i + 1), waitlist=True)
                for i, person in enumerate(waiting)]
    db.session.commit()
    assert [b.status for b in bookings] == [BookingStatus.WAITLISTED] * 3
    assert capacity.waitlist_positions(bookings) == {bookings[0].id: 1, bookings[1].id: 2, bookings[2].id: 3}

    mine = capacity.active_booking(role.quota_id, holder.id)
    assert shifts.withdraw(mine, now=now + timedelta(hours=1)) == [bookings[0]]
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    assert shifts.release(bookings[0], organizer, "临时住院", now=now + timedelta(hours=2)) == [bookings[1]]
    db.session.commit()
    assert [s for _, s in statuses(role)] == [
        BookingStatus.CANCELLED, BookingStatus.CANCELLED, BookingStatus.CONFIRMED, BookingStatus.WAITLISTED,
    ]
    assert capacity.waitlist_positions([bookings[2]]) == {bookings[2].id: 1}


def test_each_role_has_its_own_waiting_list(app, now):
    team = make_team()
    talk = make_talk(team, roles=[("摄影", 1), ("签到", 1)])
    camera, desk = talk_role(talk, "摄影"), talk_role(talk, "签到")
    a, b, c, d = (make_member(team, name) for name in "甲乙丙丁")
    shifts.sign_up(camera, a, now=now)
    shifts.sign_up(desk, b, now=now)
    waits_camera = shifts.sign_up(camera, c, now=now, waitlist=True)
    waits_desk = shifts.sign_up(desk, d, now=now + timedelta(minutes=5), waitlist=True)
    db.session.commit()

    promoted = shifts.withdraw(capacity.active_booking(desk.quota_id, b.id), now=now)
    db.session.commit()
    assert promoted == [waits_desk]
    assert waits_camera.is_waitlisted and waits_desk.is_confirmed


def test_a_newcomer_does_not_jump_the_role_queue(app, now):
    team = make_team()
    role = talk_role(make_talk(team, roles=[("场务", 1)]))
    a, b, c = (make_member(team, name) for name in "甲乙丙")
    shifts.sign_up(role, a, now=now)
    waiting = shifts.sign_up(role, b, now=now, waitlist=True)
    db.session.commit()
    # A slot frees up and, in the same moment, a newcomer asks: the waiting person gets it.
    shifts.withdraw(capacity.active_booking(role.quota_id, a.id), now=now)
    late = shifts.sign_up(role, c, now=now, waitlist=True)
    assert waiting.is_confirmed and late.is_waitlisted


# --- who may take a shift ----------------------------------------------------------------


def test_only_active_members_take_lecture_team_shifts(app, now):
    team = make_team()
    role = talk_role(make_talk(team))
    volunteer_elsewhere = make_user("王德顺", roles=(Role.RESIDENT, Role.VOLUNTEER))
    with pytest.raises(NotAMember) as refused:
        shifts.sign_up(role, volunteer_elsewhere, now=now)
    db.session.rollback()
    with force_locale("zh"):
        assert "蒲公英宣讲队" in str(refused.value)
    assert statuses(role) == []


def test_roles_at_other_events_are_for_volunteers(app, now):
    team = make_team()
    lecture = make_event(title="管仲与齐国的富国之道")
    host = make_role(lecture, "主持", 1)
    with pytest.raises(NotAVolunteer):
        shifts.sign_up(host, make_user("张桂芳"), now=now)
    db.session.rollback()
    assert shifts.sign_up(host, make_member(team), now=now).is_confirmed


def test_cancelled_or_started_events_take_no_sign_ups(app, now):
    team = make_team()
    talk = make_talk(team, starts_in=timedelta(hours=2))
    role = talk_role(talk)
    member = make_member(team)
    with pytest.raises(EventStarted):
        shifts.sign_up(role, member, now=talk.starts_at)
    db.session.rollback()
    event_service.cancel_event(talk, "大风降温", actor=None, now=now)
    db.session.commit()
    with pytest.raises(EventCancelled):
        shifts.sign_up(role, member, now=now)
    db.session.rollback()


# --- overlaps -----------------------------------------------------------------------------


def test_nobody_holds_two_shifts_that_overlap_anywhere_on_the_site(app, now):
    team = make_team()
    member = make_member(team)
    talk = make_talk(team, starts_in=timedelta(days=3), length=timedelta(hours=2), title="爱国主义教育进校园")
    lecture = make_event(starts_in=timedelta(days=3, hours=1), title="管仲与齐国的富国之道")
    host = make_role(lecture, "主持", 1)
    shifts.sign_up(talk_role(talk), member, now=now)
    db.session.commit()

    with pytest.raises(ShiftOverlap) as refused:
        shifts.sign_up(host, member, now=now)
    db.session.rollback()
    with force_locale("zh"):
        assert "爱国主义教育进校园" in str(refused.value)
    assert capacity.active_booking(host.quota_id, member.id) is None


def test_two_roles_at_one_talk_overlap(app, now):
    team = make_team()
    talk = make_talk(team, roles=[("摄影", 1), ("签到", 1)])
    member = make_member(team)
    shifts.sign_up(talk_role(talk, "摄影"), member, now=now)
    with pytest.raises(ShiftOverlap):
        shifts.sign_up(talk_role(talk, "签到"), member, now=now)
    db.session.rollback()


def test_shifts_that_only_touch_do_not_overlap(app, now):
    team = make_team()
    member = make_member(team)
    # One clock for all three (a slow machine may cross a second between them).
    morning = make_talk(team, starts_in=timedelta(days=2), length=timedelta(hours=2), title="上午场", now=now)
    # Starts exactly when the morning talk ends (10:00 → 10:00), and one that ends when it starts.
    later = make_talk(team, starts_in=timedelta(days=2, hours=2), length=timedelta(hours=1), title="接着的一场",
                      now=now)
    earlier = make_talk(team, starts_in=timedelta(days=2, hours=-1), length=timedelta(hours=1), title="前一场",
                        now=now)
    assert later.starts_at == morning.ends_at and earlier.ends_at == morning.starts_at
    for event in (morning, later, earlier):
        assert shifts.sign_up(talk_role(event), member, now=now).is_confirmed
    db.session.commit()


def test_a_waiting_place_counts_as_a_shift_for_overlaps(app, now):
    team = make_team()
    member = make_member(team)
    talk = make_talk(team, roles=[("主讲", 1)])
    shifts.sign_up(talk_role(talk), make_member(team, "孙立民"), now=now)
    shifts.sign_up(talk_role(talk), member, now=now, waitlist=True)
    same_time = make_talk(team, title="同一时间的另一场")
    with pytest.raises(ShiftOverlap):
        shifts.sign_up(talk_role(same_time), member, now=now)
    db.session.rollback()


def test_withdrawn_shifts_and_cancelled_events_no_longer_block(app, now):
    team = make_team()
    member = make_member(team)
    first, second, third = (make_talk(team, title=f"第{i}场") for i in (1, 2, 3))
    held = shifts.sign_up(talk_role(first), member, now=now)
    db.session.commit()
    shifts.withdraw(held, now=now)
    shifts.sign_up(talk_role(second), member, now=now)
    db.session.commit()
    event_service.cancel_event(second, "场地维修", actor=None, now=now)
    db.session.commit()
    assert shifts.sign_up(talk_role(third), member, now=now).is_confirmed


def test_one_person_racing_for_overlapping_shifts_gets_one(app):
    """Ten sign-ups by one person for ten roles at the same hour, all at once: one wins."""
    team = make_team()
    member = make_member(team)
    role_ids = [talk_role(make_talk(team, title=f"同时段宣讲{i}")).id for i in range(10)]
    db.session.remove()
    refused: list[Exception] = []

    def job_for(role_id):
        def job():
            try:
                shifts.sign_up(db.session.get(ShiftRole, role_id), db.session.get(User, member.id), now=now_utc())
            except ShiftOverlap as error:
                refused.append(error)
        return job

    race(app, [job_for(role_id) for role_id in role_ids])
    held = db.session.execute(
        sa.select(Booking).where(Booking.user_id == member.id, Booking.status != BookingStatus.CANCELLED)
    ).scalars().all()
    assert len(held) == 1 and len(refused) == 9


def test_thirty_volunteers_racing_for_three_slots(app):
    team = make_team()
    role_id = talk_role(make_talk(team, roles=[("场务", 3)])).id
    people = [make_member(team, f"志愿者{i}").id for i in range(RACERS)]
    db.session.remove()

    def job_for(user_id):
        def job():
            shifts.sign_up(db.session.get(ShiftRole, role_id), db.session.get(User, user_id),
                           now=now_utc(), waitlist=True)
        return job

    race(app, [job_for(user_id) for user_id in people])
    role = db.session.get(ShiftRole, role_id)
    counts = Counter(s for _, s in statuses(role))
    assert counts == {BookingStatus.CONFIRMED: 3, BookingStatus.WAITLISTED: RACERS - 3}
    assert db.session.get(Quota, role.quota_id).taken == 3


def test_a_talk_cannot_move_onto_a_holders_other_shift(app, now):
    team = make_team()
    member = make_member(team, "陈玉兰")
    talk = make_talk(team, starts_in=timedelta(days=3), title="移风易俗宣讲")
    other = make_talk(team, starts_in=timedelta(days=4), title="另一场")
    shifts.sign_up(talk_role(talk), member, now=now)
    shifts.sign_up(talk_role(other), member, now=now)
    db.session.commit()

    details = talks.TalkDetails(title=talk.title, theme=None, venue=None,
                                starts_at=other.starts_at + timedelta(minutes=30),
                                ends_at=other.ends_at + timedelta(minutes=30))
    with pytest.raises(ShiftsOverlapAfterMove) as refused:
        talks.update_talk(talk, details, actor=None, now=now)
    db.session.rollback()
    assert "陈玉兰" in str(refused.value)
    db.session.refresh(talk)
    assert talk.starts_at == other.starts_at - timedelta(days=1)

    touching = talks.TalkDetails(title=talk.title, theme=None, venue=None,
                                 starts_at=other.ends_at, ends_at=other.ends_at + timedelta(hours=1))
    talks.update_talk(talk, touching, actor=None, now=now)
    db.session.commit()
    assert talk.starts_at == other.ends_at


def test_a_wednesday_lecture_cannot_move_onto_its_hosts_other_shift(app, now):
    team = make_team()
    member = make_member(team, "陈玉兰")
    lecture = make_event(starts_in=timedelta(days=3), title="管仲与齐国的富国之道")
    host = make_role(lecture, "主持", 1)
    talk = make_talk(team, starts_in=timedelta(days=5))
    shifts.sign_up(host, member, now=now)
    shifts.sign_up(talk_role(talk), member, now=now)
    db.session.commit()
    changes = replace(event_service.EventChanges.of(lecture), starts_at=talk.starts_at,
                      ends_at=talk.starts_at + timedelta(minutes=90))
    with pytest.raises(ShiftsOverlapAfterMove):
        event_service.edit_event(lecture, changes, actor=None, now=now)
    db.session.rollback()


# --- withdrawing and releasing ------------------------------------------------------------


def test_withdrawing_closes_at_the_cutoff_24_hours_before_by_default(app, now):
    team = make_team()
    talk = make_talk(team, starts_in=timedelta(days=3))
    role = talk_role(talk)
    assert role.withdraw_cutoff_minutes == 24 * 60
    closes = talk.starts_at - timedelta(hours=24)
    early, late = make_member(team, "甲"), make_member(team, "乙")
    other_role = make_role(talk, "签到", 1)
    mine = shifts.sign_up(role, early, now=now)
    theirs = shifts.sign_up(other_role, late, now=now)
    db.session.commit()

    assert shifts.withdraw(mine, now=closes - timedelta(seconds=1)) == []
    with pytest.raises(WithdrawalClosed) as refused:
        shifts.withdraw(theirs, now=closes)
    db.session.rollback()
    with force_locale("zh"):
        assert "组织者" in str(refused.value)
    assert db.session.get(Booking, theirs.id).is_confirmed


def test_a_waiting_place_can_be_given_up_after_the_cutoff(app, now):
    team = make_team()
    talk = make_talk(team, starts_in=timedelta(days=3))
    role = talk_role(talk)
    shifts.sign_up(role, make_member(team, "甲"), now=now)
    waiting = shifts.sign_up(role, make_member(team, "乙"), now=now, waitlist=True)
    db.session.commit()
    shifts.withdraw(waiting, now=talk.starts_at - timedelta(hours=1))
    db.session.commit()
    assert waiting.status is BookingStatus.CANCELLED


def test_the_cutoff_is_set_per_role(app, now):
    team = make_team()
    talk = make_talk(team, roles=[], starts_in=timedelta(days=3))
    speaker = make_role(talk, "主讲", 1, withdraw_cutoff_minutes=72 * 60)
    held = shifts.sign_up(speaker, make_member(team), now=now)
    db.session.commit()
    with pytest.raises(WithdrawalClosed):
        shifts.withdraw(held, now=talk.starts_at - timedelta(hours=72))
    db.session.rollback()


def test_an_organizer_releases_a_holder_after_the_cutoff_with_a_reason(app, now):
    team = make_team()
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    talk = make_talk(team, starts_in=timedelta(days=3))
    role = talk_role(talk)
    holder = shifts.sign_up(role, make_member(team, "甲"), now=now)
    waiting = shifts.sign_up(role, make_member(team, "乙"), now=now, waitlist=True)
    db.session.commit()
    after_cutoff = talk.starts_at - timedelta(hours=2)

    with pytest.raises(ReasonRequired):
        shifts.release(holder, organizer, "  ", now=after_cutoff)
    db.session.rollback()
    assert shifts.release(holder, organizer, "家中有事，已电话联系", now=after_cutoff) == [waiting]
    db.session.commit()
    outcome = db.session.execute(sa.select(ShiftOutcome).where(ShiftOutcome.booking_id == holder.id)).scalar_one()
    assert outcome.status is OutcomeStatus.RELEASED and outcome.reason == "家中有事，已电话联系"
    assert outcome.decided_by_id == organizer.id
    # Releasing again changes nothing.
    assert shifts.release(holder, organizer, "重复提交", now=after_cutoff) == []


def test_release_is_refused_once_the_event_has_begun(app, now):
    team = make_team()
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    talk = make_talk(team, starts_in=timedelta(hours=5))
    held = shifts.sign_up(talk_role(talk), make_member(team), now=now)
    db.session.commit()
    with pytest.raises(ReleaseTooLate):
        shifts.release(held, organizer, "没来", now=talk.starts_at)
    db.session.rollback()


# --- roles ---------------------------------------------------------------------------------


def test_more_slots_promote_waiting_people_and_fewer_than_held_are_refused(app, now):
    team = make_team()
    role = talk_role(make_talk(team, roles=[("场务", 1)]))
    a, b = make_member(team, "甲"), make_member(team, "乙")
    shifts.sign_up(role, a, now=now)
    waiting = shifts.sign_up(role, b, now=now, waitlist=True)
    db.session.commit()
    promoted = shifts.update_role(role, shifts.RoleSpec("场务", 2), now=now)
    db.session.commit()
    assert promoted == [waiting]
    with pytest.raises(SlotsBelowTaken) as refused:
        shifts.update_role(role, shifts.RoleSpec("场务", 1), now=now)
    db.session.rollback()
    assert "2" in str(refused.value)


def test_role_names_are_unique_per_event(app, now):
    team = make_team()
    talk = make_talk(team, roles=[("摄影", 1), ("签到", 1)])
    with pytest.raises(RoleNameTaken):
        shifts.add_role(talk, shifts.RoleSpec("摄影", 2), now=now)
    db.session.rollback()
    with pytest.raises(RoleNameTaken):
        shifts.update_role(talk_role(talk, "签到"), shifts.RoleSpec("摄影", 1), now=now)
    db.session.rollback()
    # Another event may have a role of the same name.
    assert make_role(make_talk(team, roles=[]), "摄影", 1).name == "摄影"


def test_only_unused_roles_can_be_removed(app, now):
    team = make_team()
    talk = make_talk(team, roles=[("摄影", 1), ("签到", 1)])
    used, unused = talk_role(talk, "摄影"), talk_role(talk, "签到")
    held = shifts.sign_up(used, make_member(team), now=now)
    shifts.withdraw(held, now=now)
    db.session.commit()
    with pytest.raises(RoleInUse):
        shifts.remove_role(used)
    db.session.rollback()
    quota_id = unused.quota_id
    shifts.remove_role(unused)
    db.session.commit()
    assert db.session.get(Quota, quota_id) is None
    assert [r.name for r in shifts.roles_by_event([talk.id])[talk.id]] == ["摄影"]


def test_a_new_talk_gets_the_default_roles(app, now):
    team = make_team()
    start = now + timedelta(days=5)
    event = talks.create_talk(
        team, talks.TalkDetails(title="学习贯彻党的二十大精神", theme=team.series[0], venue=None,
                                new_place="7号楼单元活动室（第25网格）", starts_at=start,
                                ends_at=start + timedelta(hours=1)),
        list(shifts.DEFAULT_ROLES), actor=None, now=now,
    )
    db.session.commit()
    roles = shifts.roles_by_event([event.id])[event.id]
    assert [(r.name, r.slots.capacity) for r in roles] == [("主讲", 1), ("主持", 1), ("摄影", 1), ("场务", 2), ("签到", 1)]
    assert event.venue.name == "7号楼单元活动室（第25网格）" and event.seats.capacity == 0


def test_shift_bookings_stay_out_of_my_seat_bookings(app, now):
    team = make_team()
    member = make_member(team)
    talk = make_talk(team)
    held = shifts.sign_up(talk_role(talk), member, now=now)
    lecture = make_event(starts_in=timedelta(days=20))
    seat = booking_service.book_seat(lecture, member, now=now)
    db.session.commit()
    assert booking_service.bookings_of(member, now=now) == [seat]
    assert booking_service.booking_for_user_or_none(held.id, member) is None
    assert booking_service.booking_for_user_or_none(seat.id, member) == seat


def test_my_shifts_list_coming_and_past(app, now):
    team = make_team()
    member = make_member(team)
    coming = make_talk(team, title="将来的宣讲")
    past = make_talk(team, title="过去的宣讲", starts_in=timedelta(hours=3))
    shifts.sign_up(talk_role(coming), member, now=now)
    shifts.sign_up(talk_role(past), member, now=now)
    db.session.commit()
    later = past.ends_at + timedelta(hours=1)
    assert [b.event.title for b, _, _ in shifts.shifts_of(member, now=later)] == ["将来的宣讲"]
    assert [(b.event.title, r.name, o) for b, r, o in shifts.shifts_of(member, now=later, past=True)] == [
        ("过去的宣讲", "摄影", None)
    ]

