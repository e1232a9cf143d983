"""The service record: hours and points credited once, corrections as new entries, no
balance below zero, the honour board."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale
from sqlalchemy.exc import IntegrityError

from models import Booking, EntryKind, OutcomeStatus, PointsRule, Role, ServiceEntry, ShiftOutcome, User, db
from services import events as event_service
from services import booking as booking_service
from services import points, shifts
from services.dates import LOCAL_TZ, now_utc
from services.errors import (
    BalanceBelowZero, EventCancelled, HoursBelowZero, NotAShift, NotEnoughPoints, NothingToChange,
    OutcomeTooEarly, ReasonRequired,
)
from tests.conftest import make_event, make_member, make_role, make_talk, make_team, make_user

from .test_race import race

SERVED, NO_SHOW = OutcomeStatus.SERVED, OutcomeStatus.NO_SHOW


def entries(user):
    return db.session.execute(
        sa.select(ServiceEntry).where(ServiceEntry.user_id == user.id).order_by(ServiceEntry.seq)
    ).scalars().all()


def served_shift(team, member, *, length=timedelta(minutes=90), **role):
    """A talk that started three hours ago, where ``member`` held a shift in a role
    with the given earning rule. Returns (booking, talk)."""
    signed_up = now_utc() - timedelta(days=2)
    talk = make_talk(team, roles=[], starts_in=timedelta(days=2, hours=-3), length=length, now=signed_up)
    the_role = make_role(talk, role.pop("name", "摄影"), 1, **role)
    booking = shifts.sign_up(the_role, member, now=signed_up)
    db.session.commit()
    return booking, talk


@pytest.fixture
def organizer(app):
    return make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))


def test_a_served_shift_credits_its_length_and_points_per_hour(app, now, organizer):
    team = make_team()
    member = make_member(team)
    booking, talk = served_shift(team, member, points=10)
    entry = points.record_outcome(booking, SERVED, organizer, now=now)
    db.session.commit()
    assert (entry.kind, entry.minutes, entry.points) == (EntryKind.SHIFT, 90, 15)
    assert entry.served_at == talk.starts_at and entry.recorded_by_id == organizer.id
    assert points.totals_of(member) == points.Totals(minutes=90, points=15)


def test_earning_rules_are_set_per_role(app, now, organizer):
    team = make_team()
    member = make_member(team)
    speaker, _ = served_shift(team, member, name="主讲", points_rule=PointsRule.PER_SHIFT, points=30,
                              credit_minutes=180)
    assert points.record_outcome(speaker, SERVED, organizer, now=now).points == 30
    db.session.commit()
    assert points.totals_of(member) == points.Totals(minutes=180, points=30)


def test_other_hours_need_a_reason_and_points_follow_them(app, now, organizer):
    team = make_team()
    member = make_member(team)
    booking, _ = served_shift(team, member, points=10)
    with pytest.raises(ReasonRequired):
        points.record_outcome(booking, SERVED, organizer, now=now, minutes=120)
    db.session.rollback()
    entry = points.record_outcome(booking, SERVED, organizer, now=now, minutes=120, reason="提前半小时布置场地")
    db.session.commit()
    assert (entry.minutes, entry.points, entry.reason) == (120, 20, "提前半小时布置场地")


def test_confirming_the_same_shift_twice_credits_it_once(app, now, organizer):
    team = make_team()
    member = make_member(team)
    booking, _ = served_shift(team, member)
    assert points.record_outcome(booking, SERVED, organizer, now=now) is not None
    assert points.record_outcome(booking, SERVED, organizer, now=now + timedelta(seconds=1)) is None
    db.session.commit()
    assert len(entries(member)) == 1


def test_ten_organizers_confirming_one_shift_at_once_credit_it_once(app, organizer):
    team = make_team()
    member = make_member(team)
    booking, _ = served_shift(team, member, points=10)
    booking_id, organizer_id = booking.id, organizer.id
    db.session.remove()

    def confirm():
        points.record_outcome(db.session.get(Booking, booking_id), SERVED, db.session.get(User, organizer_id),
                              now=now_utc())

    race(app, [confirm] * 10)
    rows = entries(member)
    assert [(e.kind, e.minutes, e.points) for e in rows] == [(EntryKind.SHIFT, 90, 15)]
    assert db.session.execute(sa.select(sa.func.count()).select_from(ShiftOutcome)).scalar_one() == 1


def test_a_changed_decision_is_a_new_correcting_entry(app, now, organizer):
    team = make_team()
    member = make_member(team)
    booking, _ = served_shift(team, member)
    points.record_outcome(booking, SERVED, organizer, now=now)
    db.session.commit()
    with pytest.raises(ReasonRequired):
        points.record_outcome(booking, NO_SHOW, organizer, now=now)
    db.session.rollback()

    points.record_outcome(booking, NO_SHOW, organizer, now=now, reason="记错了，当天是别人代班")
    points.record_outcome(booking, SERVED, organizer, now=now, minutes=60, reason="核实后确认到岗一小时")
    db.session.commit()
    assert [(e.seq, e.kind, e.minutes, e.points, e.minutes_total, e.points_balance) for e in entries(member)] == [
        (1, EntryKind.SHIFT, 90, 15, 90, 15),
        (2, EntryKind.CORRECTION, -90, -15, 0, 0),
        (3, EntryKind.CORRECTION, 60, 10, 60, 10),
    ]
    outcome = db.session.execute(sa.select(ShiftOutcome)).scalar_one()
    assert (outcome.status, outcome.minutes) == (SERVED, 60)


def test_a_no_show_credits_nothing_until_corrected(app, now, organizer):
    team = make_team()
    member = make_member(team)
    booking, _ = served_shift(team, member)
    assert points.record_outcome(booking, NO_SHOW, organizer, now=now) is None
    db.session.commit()
    assert entries(member) == []
    entry = points.record_outcome(booking, SERVED, organizer, now=now, reason="其实来了，签到表漏记")
    assert entry.kind is EntryKind.SHIFT


def test_only_confirmed_shifts_after_the_start_can_be_recorded(app, now, organizer):
    team = make_team()
    member = make_member(team)
    coming = make_talk(team)
    held = shifts.sign_up(shifts.roles_by_event([coming.id])[coming.id][0], member, now=now)
    seat = booking_service.book_seat(make_event(), member, now=now)
    db.session.commit()
    with pytest.raises(OutcomeTooEarly):
        points.record_outcome(held, SERVED, organizer, now=coming.starts_at - timedelta(seconds=1))
    db.session.rollback()
    with pytest.raises(NotAShift):
        points.record_outcome(seat, SERVED, organizer, now=now)
    db.session.rollback()
    shifts.withdraw(held, now=now)
    db.session.commit()
    with pytest.raises(NotAShift):
        points.record_outcome(held, SERVED, organizer, now=coming.ends_at)
    db.session.rollback()


def test_shifts_at_cancelled_events_are_not_credited(app, now, organizer):
    team = make_team()
    member = make_member(team)
    booking, talk = served_shift(team, member)
    event_service.cancel_event(talk, "临时停电", actor=None, now=now)
    db.session.commit()
    with pytest.raises(EventCancelled):
        points.record_outcome(booking, SERVED, organizer, now=now)
    db.session.rollback()


def test_redemption_beyond_the_balance_is_refused(app, now, organizer):
    team = make_team()
    member = make_member(team)
    points.adjust(member, minutes=0, points=40, reason="上月宣讲备课", organizer=organizer, now=now)
    db.session.commit()
    with pytest.raises(NotEnoughPoints) as refused:
        points.redeem(member, points=41, reason="兑换洗衣液", organizer=organizer, now=now)
    db.session.rollback()
    with force_locale("zh"):
        assert "40" in str(refused.value) and "41" in str(refused.value)
    entry = points.redeem(member, points=40, reason="兑换洗衣液两瓶", organizer=organizer, now=now)
    db.session.commit()
    assert (entry.kind, entry.points, entry.points_balance) == (EntryKind.REDEMPTION, -40, 0)
    with pytest.raises(NotEnoughPoints):
        points.redeem(member, points=1, reason="再兑换一次", organizer=organizer, now=now)
    db.session.rollback()


def test_concurrent_redemptions_never_overdraw(app, organizer):
    team = make_team()
    member = make_member(team)
    points.adjust(member, minutes=0, points=50, reason="期初积分", organizer=organizer, now=now_utc())
    db.session.commit()
    member_id, organizer_id = member.id, organizer.id
    db.session.remove()
    refused: list[Exception] = []

    def redeem():
        try:
            points.redeem(db.session.get(User, member_id), points=10, reason="兑换毛巾",
                          organizer=db.session.get(User, organizer_id), now=now_utc())
        except NotEnoughPoints as error:
            refused.append(error)

    race(app, [redeem] * 12)
    assert points.totals_of(db.session.get(User, member_id)).points == 0
    assert len(refused) == 7 and len(entries(db.session.get(User, member_id))) == 6


def test_taking_back_a_credit_already_spent_is_refused(app, now, organizer):
    team = make_team()
    member = make_member(team)
    booking, _ = served_shift(team, member, points=10)
    points.record_outcome(booking, SERVED, organizer, now=now)
    points.redeem(member, points=10, reason="兑换牙膏", organizer=organizer, now=now)
    db.session.commit()
    with pytest.raises(BalanceBelowZero):
        points.record_outcome(booking, NO_SHOW, organizer, now=now, reason="实际未到岗")
    db.session.rollback()
    assert db.session.get(ShiftOutcome, 1).status is SERVED


def test_adjustments_need_a_reason_and_keep_totals_at_or_above_zero(app, now, organizer):
    team = make_team()
    member = make_member(team)
    with pytest.raises(NothingToChange):
        points.adjust(member, minutes=0, points=0, reason="无", organizer=organizer, now=now)
    with pytest.raises(ReasonRequired):
        points.adjust(member, minutes=60, points=0, reason=" ", organizer=organizer, now=now)
    points.adjust(member, minutes=60, points=5, reason="协助布置展览", organizer=organizer, now=now)
    db.session.commit()
    with pytest.raises(HoursBelowZero):
        points.adjust(member, minutes=-61, points=0, reason="多记了", organizer=organizer, now=now)
    db.session.rollback()
    points.adjust(member, minutes=-30, points=0, reason="多记了半小时", organizer=organizer, now=now)
    db.session.commit()
    assert points.totals_of(member) == points.Totals(minutes=30, points=5)


def test_the_ledger_is_append_only(app, now, organizer):
    team = make_team()
    member = make_member(team)
    entry = points.adjust(member, minutes=60, points=5, reason="协助布置展览", organizer=organizer, now=now)
    db.session.commit()
    entry.points = 500
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(ServiceEntry, entry.id))
    with pytest.raises(RuntimeError):
        db.session.flush()
    db.session.rollback()


def _raw_entry(user, **values):
    row = dict(user_id=user.id, seq=1, kind=EntryKind.ADJUSTMENT, minutes=0, points=5, minutes_total=0,
               points_balance=5, reason="", served_at=now_utc(), created_at=now_utc())
    row.update(values)
    return ServiceEntry(**row)


@pytest.mark.parametrize("values", [
    {"points": -5, "points_balance": -5},  # a balance below zero
    {"minutes": -5, "points": 0, "minutes_total": -5, "points_balance": 0},  # hours below zero
    {"points": 0, "points_balance": 0},  # a line that changes nothing
    {"kind": EntryKind.REDEMPTION, "points": 5},  # a redemption that adds points
])
def test_the_database_refuses_impossible_ledger_lines(app, values):
    member = make_user()
    db.session.add(_raw_entry(member, **values))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_database_refuses_a_second_credit_for_one_shift_and_a_reused_number(app, now, organizer):
    team = make_team()
    member = make_member(team)
    booking, _ = served_shift(team, member)
    points.record_outcome(booking, SERVED, organizer, now=now)
    db.session.commit()
    db.session.add(_raw_entry(member, seq=2, kind=EntryKind.SHIFT, minutes=90, points=15, minutes_total=180,
                              points_balance=30, booking_id=booking.id))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    db.session.add(_raw_entry(member, seq=1))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()


def test_the_honour_board_ranks_hours_this_month_and_this_year(app, organizer, count_queries):
    now = datetime(2026, 11, 20, 12, 0, tzinfo=LOCAL_TZ)
    early_this_month = datetime(2026, 11, 1, 0, 30, tzinfo=LOCAL_TZ)
    # 00:30 on 1 November in Shanghai is still 31 October in UTC: the board counts local months.
    october = datetime(2026, 10, 31, 23, 30, tzinfo=LOCAL_TZ)
    last_year = datetime(2025, 12, 31, 23, 30, tzinfo=LOCAL_TZ)
    people = {name: make_user(name) for name in ("甲", "乙", "丙", "丁")}
    for name, minutes, when in [("甲", 120, early_this_month), ("乙", 600, october), ("乙", 30, now),
                                ("丙", 240, last_year), ("丁", 60, now)]:
        points.adjust(people[name], minutes=minutes, points=1, reason="测试", organizer=organizer, now=when)
    points.adjust(people["丁"], minutes=-60, points=0, reason="更正", organizer=organizer, now=now)
    db.session.commit()

    with count_queries() as statements:
        board = points.honour_board(now=now)
    assert len(statements) == 2
    assert [(line.display_name, line.minutes) for line in board["month"]] == [("甲", 120), ("乙", 30)]
    assert [(line.display_name, line.minutes) for line in board["year"]] == [("乙", 630), ("甲", 120)]


def test_members_are_listed_with_their_totals(app, now, organizer, count_queries):
    team = make_team()
    busy = make_member(team, "陈玉兰")
    make_member(team, "周国庆")
    points.adjust(busy, minutes=90, points=15, reason="补记", organizer=organizer, now=now)
    points.redeem(busy, points=5, reason="兑换", organizer=organizer, now=now)
    db.session.commit()
    db.session.expire_all()
    db.session.refresh(team)
    with count_queries() as statements:
        rows = [(m.user.display_name, minutes, balance) for m, minutes, balance in points.members_with_totals(team)]
    assert len(statements) <= 2  # the members with their last ledger lines, and their roles
    assert sorted(rows) == sorted([("陈玉兰", 90, 10), ("周国庆", 0, 0)])
