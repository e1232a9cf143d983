"""People as the office looks after them: roles, deactivating, merging a walk-in account (no HTTP)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import (
    AuditEntry, Attendance, AttendanceChange, AttendanceStatus, Booking, BookingStatus, Child, Membership,
    MembershipStatus, PasswordResetCode, Role, ServiceEntry, TroupeMembership, User, db,
)
from services import accounts, attendance, people, points, reset_codes, troupes
from services.booking import book_seat
from services.errors import CannotDeactivateSelf, CannotDropOwnAdmin, MergeRefused, NotAWalkIn
from tests.conftest import make_child, make_event, make_program, make_troupe, make_user


@pytest.fixture
def admin(app):
    return make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN))


def walk_in_account(now, phone="13712345678", name="张桂芳"):
    user = accounts.create_unclaimed_account(phone=phone, display_name=name, now=now)
    db.session.commit()
    return user


def actions() -> list[str]:
    return list(db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id)).scalars())


# --- roles --------------------------------------------------------------------------


def test_changing_roles_is_audited_and_an_admin_keeps_their_own(admin, now):
    person = make_user("李秀兰")
    people.set_roles(person, {Role.ORGANIZER}, by=admin, now=now)
    people.set_roles(person, {Role.ORGANIZER}, by=admin, now=now)  # no change, no entry
    db.session.commit()
    [entry] = db.session.execute(sa.select(AuditEntry)).scalars().all()
    assert (entry.action, entry.before, entry.after) == (
        "user.roles", {"roles": ["resident"]}, {"roles": ["organizer", "resident"]})

    with pytest.raises(CannotDropOwnAdmin):
        people.set_roles(admin, {Role.ORGANIZER}, by=admin, now=now)


# --- deactivating -------------------------------------------------------------------


def test_deactivating_ends_sessions_voids_codes_and_can_release_coming_places(admin, now):
    person = make_user("张桂芳")
    waiting = make_user("刘建华")
    event = make_event(capacity=1)
    past = make_event(starts_in=timedelta(days=-3), title="上周的讲座")
    seat = book_seat(event, person, now=now)
    book_seat(event, waiting, now=now, waitlist=True)
    db.session.commit()
    reset_codes.issue_code(person.phone, by=admin, now=now)
    db.session.commit()
    version = person.session_version

    released = people.deactivate(person, by=admin, now=now, release_bookings=True)
    db.session.commit()
    db.session.expire_all()

    assert released == [seat] and seat.status is BookingStatus.CANCELLED
    assert [b.status for b in db.session.execute(sa.select(Booking).where(Booking.user_id == waiting.id)).scalars()] == [
        BookingStatus.CONFIRMED]
    assert not person.is_active_account and person.session_version == version + 1
    assert db.session.execute(sa.select(PasswordResetCode.voided_at)).scalar_one() is not None
    assert accounts.authenticate(person.phone, "correct horse battery", now=now) is None
    assert actions()[-1] == "user.deactivate"
    assert past.id  # history untouched


def test_deactivating_can_keep_the_places(admin, now):
    person = make_user("张桂芳")
    seat = book_seat(make_event(), person, now=now)
    db.session.commit()
    assert people.deactivate(person, by=admin, now=now, release_bookings=False) == []
    db.session.commit()
    assert seat.status is BookingStatus.CONFIRMED and not person.is_active_account


def test_nobody_deactivates_themselves_and_reactivating_lets_them_in(admin, now):
    with pytest.raises(CannotDeactivateSelf):
        people.deactivate(admin, by=admin, now=now, release_bookings=False)
    person = make_user("张桂芳")
    people.deactivate(person, by=admin, now=now, release_bookings=False)
    people.reactivate(person, by=admin, now=now)
    db.session.commit()
    assert accounts.authenticate(person.phone, "correct horse battery", now=now) == person
    assert actions() == ["user.deactivate", "user.reactivate"]


def test_coming_bookings_include_childrens_places_and_shifts_but_not_past_ones(admin, now):
    from tests.conftest import make_member, make_role, make_talk, make_team

    team = make_team()
    person = make_member(team, "陈玉兰")
    talk = make_talk(team, roles=())
    role = make_role(talk, "摄影", 1)
    from services import shifts

    shifts.sign_up(role, person, now=now)
    child = make_child(person)
    class_event = make_event(make_program(), title="诵读课")
    from services.capacity import request_places

    request_places(quota_id=class_event.seat_quota_id, event_id=class_event.id, user=person, now=now,
                   child_id=child.id)
    db.session.commit()

    coming = people.coming_bookings(person, now=now)
    assert {b.event_id for b in coming} == {talk.id, class_event.id}


# --- merging a walk-in account --------------------------------------------------------


def test_merging_moves_bookings_attendance_memberships_and_children_and_frees_the_number(admin, now):
    real = make_user("张桂芳", phone="13911112222")
    walk_in = walk_in_account(now)
    lecture = make_event(starts_in=timedelta(minutes=10), title="今天的讲座")
    later = make_event(starts_in=timedelta(days=7), title="下周的讲座")
    book_seat(later, walk_in, now=now)
    attendance.add_walk_in(lecture, name="张桂芳", phone=walk_in.phone, actor=admin, now=now)
    troupe = make_troupe()
    troupes.apply(troupe, walk_in, note="", now=now)
    child = make_child(walk_in, "小明")
    db.session.commit()

    result = people.merge_walk_in(walk_in, real, by=admin, now=now)
    db.session.commit()
    db.session.expire_all()

    assert (result.bookings, result.attendance, result.memberships, result.released) == (1, 1, 1, [])
    assert db.session.get(User, walk_in.id) is None
    assert accounts.find_by_phone("13712345678") is None  # the number is free to register again
    assert [b.user_id for b in db.session.execute(sa.select(Booking)).scalars()] == [real.id]
    assert db.session.execute(sa.select(Attendance.user_id)).scalar_one() == real.id
    assert db.session.execute(sa.select(TroupeMembership.user_id)).scalar_one() == real.id
    assert db.session.get(Child, child.id).parent_id == real.id
    [entry] = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "user.merge")).scalars()
    assert entry.subject_id == real.id and "13712345678" in entry.label


def test_where_both_booked_one_place_is_kept_and_the_other_released_so_the_list_moves(admin, now):
    real = make_user("张桂芳")
    walk_in = walk_in_account(now)
    waiting = make_user("刘建华")
    both_seated = make_event(capacity=2, title="两人都有座")
    real_waits = make_event(capacity=1, title="本人在候补")
    book_seat(both_seated, real, now=now)
    book_seat(both_seated, walk_in, now=now)
    book_seat(both_seated, waiting, now=now, waitlist=True)
    book_seat(real_waits, walk_in, now=now)
    book_seat(real_waits, real, now=now, waitlist=True)
    db.session.commit()

    result = people.merge_walk_in(walk_in, real, by=admin, now=now)
    db.session.commit()
    db.session.expire_all()

    def active(event):
        return {(b.user_id, b.status) for b in db.session.execute(
            sa.select(Booking).where(Booking.event_id == event.id, Booking.status != BookingStatus.CANCELLED)).scalars()}

    assert len(result.released) == 2
    assert active(both_seated) == {(real.id, BookingStatus.CONFIRMED), (waiting.id, BookingStatus.CONFIRMED)}
    assert active(real_waits) == {(real.id, BookingStatus.CONFIRMED)}
    assert both_seated.seats.taken == 2 and real_waits.seats.taken == 1


def test_two_attendance_records_at_one_event_become_one_that_says_they_came(admin, now):
    real = make_user("张桂芳")
    walk_in = walk_in_account(now)
    lecture = make_event(starts_in=timedelta(minutes=10), cutoff=timedelta(0))
    seat = book_seat(lecture, real, now=now)
    attendance.add_walk_in(lecture, name="张桂芳", phone=walk_in.phone, actor=admin, now=now)
    db.session.commit()

    people.merge_walk_in(walk_in, real, by=admin, now=now)
    db.session.commit()

    [row] = db.session.execute(sa.select(Attendance)).scalars().all()
    assert (row.user_id, row.booking_id, row.status) == (real.id, seat.id, AttendanceStatus.PRESENT)
    assert {c.attendance_id for c in db.session.execute(sa.select(AttendanceChange)).scalars()} == {row.id}


def test_an_open_membership_held_by_both_ends_the_walk_ins(admin, now):
    from tests.conftest import make_member, make_team

    team = make_team()
    real = make_member(team, "陈玉兰")
    walk_in = walk_in_account(now)
    db.session.add(Membership(program_id=team.id, user_id=walk_in.id, status=MembershipStatus.PENDING, note=""))
    db.session.commit()

    people.merge_walk_in(walk_in, real, by=admin, now=now)
    db.session.commit()

    statuses = sorted(m.status.value for m in db.session.execute(
        sa.select(Membership).where(Membership.user_id == real.id)).scalars())
    assert statuses == ["active", "left"]


def test_only_a_walk_in_merges_and_only_into_an_active_account(admin, now):
    real = make_user("张桂芳")
    other = make_user("刘建华")
    walk_in = walk_in_account(now)
    with pytest.raises(NotAWalkIn):
        people.merge_walk_in(other, real, by=admin, now=now)
    with pytest.raises(NotAWalkIn):
        people.merge_walk_in(walk_in, walk_in, by=admin, now=now)
    second_walk_in = walk_in_account(now, phone="13712349999")
    with pytest.raises(MergeRefused):
        people.merge_walk_in(walk_in, second_walk_in, by=admin, now=now)
    real.is_active_account = False
    with pytest.raises(MergeRefused):
        people.merge_walk_in(walk_in, real, by=admin, now=now)


def test_a_walk_in_with_a_service_record_is_not_merged(admin, now):
    real = make_user("张桂芳")
    walk_in = walk_in_account(now)
    points.adjust(walk_in, minutes=60, points=5, reason="补录", organizer=admin, now=now)
    db.session.commit()
    with pytest.raises(MergeRefused):
        people.merge_walk_in(walk_in, real, by=admin, now=now)
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(ServiceEntry)).scalar_one() == 1


def test_merge_preview_counts_what_would_move(admin, now):
    walk_in = walk_in_account(now)
    book_seat(make_event(), walk_in, now=now)
    db.session.commit()
    assert people.merge_preview(walk_in) == {"bookings": 1, "attendance": 0, "memberships": 0}
