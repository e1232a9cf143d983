"""Youth programs as functions: children, the age check on the class day, a parent and
child booked together or not at all, whole-term booking, class lists (no HTTP)."""
from __future__ import annotations

from datetime import date, datetime, time, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from models import Booking, BookingStatus, Quota, db
from models.youth import age_on
from services import events as event_service
from services import booking as booking_service
from services import schedules, youth
from services.dates import LOCAL_TZ, to_local
from services.errors import (
    ChildNotFound, ChildTooOld, ChildTooYoung, EventFull, TermClassFull, TermClassRefused,
    TermClassWaiting, TermOver,
)
from tests.conftest import every_day, make_child, make_event, make_user, make_youth_program


def class_on(program, day: date, *, at=time(9, 30), capacity=10, now=None):
    """A class of ``program`` on a given local day."""

    start = datetime.combine(day, at, tzinfo=LOCAL_TZ)
    event = event_service.new_event(program, title="经典诵读", starts_at=start, ends_at=start + timedelta(hours=1),
                      capacity=capacity, booking_cutoff=timedelta(hours=1), now=now)
    db.session.commit()
    return event


def shifted(day: date, years: int) -> date:
    """``day`` moved by whole years (29 February becomes 28 February when needed)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


# --- age ----------------------------------------------------------------------------


@pytest.mark.parametrize("day, expected", [
    (date(2026, 6, 14), 5),  # the day before the sixth birthday
    (date(2026, 6, 15), 6),  # the birthday
    (date(2026, 6, 16), 6),  # the day after
])
def test_age_turns_on_the_birthday(day, expected):
    assert age_on(date(2020, 6, 15), day) == expected


@pytest.mark.parametrize("day, expected", [
    (date(2027, 2, 28), 6),  # common year: not yet
    (date(2027, 3, 1), 7),  # common year: reached on 1 March
    (date(2028, 2, 28), 7),  # leap year: the day before
    (date(2028, 2, 29), 8),  # leap year: the birthday itself
    (date(2028, 3, 1), 8),
])
def test_a_29_february_birthday(day, expected):
    assert age_on(date(2020, 2, 29), day) == expected


@pytest.fixture
def recitation(app):
    organizer = make_user("李秀兰")
    return make_youth_program("少儿诵读班", min_age=6, max_age=12, organizers=[organizer])


@pytest.fixture
def parent(app):
    return make_user("冯晓梅")


def class_day_soon(now) -> date:
    return to_local(now).date() + timedelta(days=20)


@pytest.mark.parametrize("birthday_offset, ok", [(1, False), (0, True), (-1, True)])
def test_the_youngest_age_is_checked_on_the_class_day(recitation, parent, now, birthday_offset, ok):
    day = class_day_soon(now)
    # The sixth birthday falls the day after / on / the day before the class.
    child = make_child(parent, born_on=shifted(day + timedelta(days=birthday_offset), -6))
    event = class_on(recitation, day, now=now)
    if ok:
        assert youth.book_class(event, child, parent, now=now).is_confirmed
    else:
        with pytest.raises(ChildTooYoung) as refused:
            youth.book_class(event, child, parent, now=now)
        with force_locale("en"):
            assert str(refused.value).startswith("少儿诵读班 is for ages 6–12, and the child will only be 5 at the class on")
        with force_locale("zh"):
            assert "少儿诵读班面向 6–12 岁的孩子" in str(refused.value) and "孩子才 5 岁" in str(refused.value)
    db.session.rollback()


@pytest.mark.parametrize("birthday_offset, ok", [(1, True), (0, False), (-1, False)])
def test_the_oldest_age_is_checked_on_the_class_day(recitation, parent, now, birthday_offset, ok):
    day = class_day_soon(now)
    # The thirteenth birthday falls the day after / on / the day before the class.
    child = make_child(parent, born_on=shifted(day + timedelta(days=birthday_offset), -13))
    event = class_on(recitation, day, now=now)
    if ok:
        assert youth.book_class(event, child, parent, now=now).is_confirmed
    else:
        with pytest.raises(ChildTooOld) as refused:
            youth.book_class(event, child, parent, now=now)
        with force_locale("en"):
            assert "and the child will already be 13 at the class on" in str(refused.value)
    db.session.rollback()


def test_a_29_february_child_is_checked_on_28_february_and_1_march(parent, now):
    def is_leap(year):
        return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)

    year = to_local(now).year + 1
    while is_leap(year):  # a common year to come
        year += 1
    born = max(y for y in range(year - 8, year) if is_leap(y))
    age = year - born  # reached on 1 March of ``year``, not on 28 February
    program = make_youth_program("国学讲堂", min_age=age, max_age=12)
    child = make_child(parent, name="小雨", born_on=date(born, 2, 29))
    feb_28 = class_on(program, date(year, 2, 28), now=now)
    mar_1 = class_on(program, date(year, 3, 1), now=now)
    with pytest.raises(ChildTooYoung) as refused:
        youth.book_class(feb_28, child, parent, now=now)
    db.session.rollback()
    with force_locale("en"):
        assert f"the child will only be {age - 1} at the class on" in str(refused.value)
    assert youth.book_class(mar_1, child, parent, now=now).is_confirmed


def test_the_age_is_checked_on_the_local_day_of_an_early_class(recitation, parent, now):
    """A class at 07:30 in Shanghai is still the previous day in UTC; the local day counts."""
    day = class_day_soon(now)
    child = make_child(parent, born_on=shifted(day, -6))
    event = class_on(recitation, day, at=time(7, 30), now=now)
    assert to_local(event.starts_at).date() == day and event.starts_at.astimezone(timezone.utc).date() != day
    assert youth.book_class(event, child, parent, now=now).is_confirmed


# --- booking ------------------------------------------------------------------------


def test_capacity_counts_children_full_means_waiting_list_and_the_parent_can_cancel(recitation, parent, now):
    event = make_event(recitation, capacity=2)
    kids = [make_child(parent, f"孩子{i}") for i in range(3)]
    first, second = (youth.book_class(event, kid, parent, now=now) for kid in kids[:2])
    db.session.commit()
    assert first.is_confirmed and second.is_confirmed and first.child_id != second.child_id
    with pytest.raises(EventFull):
        youth.book_class(event, kids[2], parent, now=now)
    db.session.rollback()
    third = youth.book_class(event, kids[2], parent, now=now, waitlist=True)
    db.session.commit()
    assert third.is_waitlisted

    promoted = booking_service.cancel_booking(first, now=now)
    db.session.commit()
    assert promoted == [third] and third.is_confirmed
    assert db.session.get(Quota, event.seat_quota_id).taken == 2


def test_booking_the_same_child_twice_returns_the_same_booking(recitation, parent, now):
    event = make_event(recitation)
    child = make_child(parent)
    first = youth.book_class(event, child, parent, now=now)
    again = youth.book_class(event, child, parent, now=now, waitlist=True)
    db.session.commit()
    assert again.id == first.id
    assert db.session.get(Quota, event.seat_quota_id).taken == 1


def test_the_database_refuses_a_second_active_booking_for_a_child(recitation, parent, now):
    from sqlalchemy.exc import IntegrityError

    event = make_event(recitation)
    child = make_child(parent)
    youth.book_class(event, child, parent, now=now)
    db.session.commit()
    db.session.add(Booking(quota_id=event.seat_quota_id, event_id=event.id, user_id=parent.id,
                           child_id=child.id, status=BookingStatus.WAITLISTED, waitlisted_at=now))
    with pytest.raises(IntegrityError):
        db.session.flush()
    db.session.rollback()


def test_a_parents_own_seat_and_a_childs_place_are_separate_bookings(recitation, parent, now):
    """One active booking per (quota, person, child): the parent's own seat doesn't block
    the child's place, and the child's place isn't the parent's seat."""
    event = make_event(recitation, capacity=3)
    child = make_child(parent)
    placed = youth.book_class(event, child, parent, now=now)
    own = booking_service.book_seat(event, parent, now=now)
    db.session.commit()
    assert own.id != placed.id and own.child_id is None
    assert booking_service.bookings_by_event(parent, [event.id]) == {event.id: own}


def test_a_family_program_books_parent_and_child_together_or_not_at_all(app, now):
    family = make_youth_program("家庭教育读书会", min_age=6, max_age=12, parent_attends=True)
    event = make_event(family, capacity=3)
    parents = [make_user(f"家长{i}") for i in range(3)]
    kids = [make_child(p, f"孩子{i}") for i, p in enumerate(parents)]

    first = youth.book_class(event, kids[0], parents[0], now=now)
    db.session.commit()
    assert first.places == 2 and first.is_confirmed
    # One place is left, but a family needs two: refused, and nothing is half-taken.
    with pytest.raises(EventFull):
        youth.book_class(event, kids[1], parents[1], now=now)
    db.session.rollback()
    assert db.session.get(Quota, event.seat_quota_id).taken == 2
    waiting = youth.book_class(event, kids[1], parents[1], now=now + timedelta(seconds=1), waitlist=True)
    db.session.commit()
    assert waiting.is_waitlisted and waiting.places == 2

    # The one free place is not enough for the waiting family; a second one is.
    from services.capacity import promote_waitlist, set_capacity
    assert promote_waitlist(event.seat_quota_id, now=now) == []
    assert set_capacity(event.seat_quota_id, 4, now=now) == [waiting]
    db.session.commit()
    assert db.session.get(Quota, event.seat_quota_id).taken == 4


def test_another_parent_cannot_see_or_book_someone_elses_child(recitation, parent, now):
    child = make_child(parent)
    stranger = make_user("别的家长")
    event = make_event(recitation)
    assert youth.child_of(stranger, child.id) is None
    assert youth.child_of(parent, child.id) == child
    assert youth.children_of(stranger) == []
    with pytest.raises(ChildNotFound):
        youth.book_class(event, child, stranger, now=now)
    db.session.rollback()
    with pytest.raises(ChildNotFound):
        youth.update_child(child, stranger, name="改名", born_on=child.born_on, gender=None, now=now)
    db.session.rollback()
    with pytest.raises(ChildNotFound):
        youth.remove_child(child, stranger, now=now)
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one() == 0


def test_removing_a_child_gives_up_coming_places_to_the_waiting_list(recitation, parent, now):
    event = make_event(recitation, capacity=1)
    child = make_child(parent)
    other_parent = make_user("周国庆")
    other_child = make_child(other_parent, "小红")
    mine = youth.book_class(event, child, parent, now=now)
    theirs = youth.book_class(event, other_child, other_parent, now=now, waitlist=True)
    db.session.commit()

    assert youth.remove_child(child, parent, now=now) == 1
    db.session.commit()
    assert mine.status is BookingStatus.CANCELLED and theirs.is_confirmed
    assert youth.children_of(parent) == [] and youth.child_of(parent, child.id) is None


def test_a_new_date_of_birth_that_no_longer_fits_a_booked_class_is_refused(recitation, parent, now):
    event = make_event(recitation)
    child = make_child(parent, age=8)
    youth.book_class(event, child, parent, now=now)
    db.session.commit()
    with pytest.raises(ChildTooYoung):
        youth.update_child(child, parent, name="小明", born_on=to_local(now).date() - timedelta(days=365 * 3),
                           gender=None, now=now)
    db.session.rollback()
    youth.update_child(child, parent, name="王小明", born_on=child.born_on - timedelta(days=30), gender=None, now=now)
    db.session.commit()
    assert child.name == "王小明"


# --- terms --------------------------------------------------------------------------


def make_term(program, now, *, weeks=4, capacity=10):
    first = to_local(now).date() + timedelta(days=3)
    plan = schedules.WeeklyPlan(
        title="2026 秋季学期", weekdays=frozenset({5}), start_time=time(9, 30), end_time=time(10, 30),
        first_day=first, last_day=first + timedelta(days=7 * weeks - 1), capacity=capacity,
        booking_cutoff_minutes=60, include_days=every_day(first, first + timedelta(days=7 * weeks - 1)),
    )
    term = youth.create_term(program, plan, actor=None, now=now)
    db.session.commit()
    return term


def test_a_whole_term_booking_takes_a_place_in_every_class(recitation, parent, now):
    term = make_term(recitation, now)
    child = make_child(parent)
    already = youth.book_class(term.events[1], child, parent, now=now)
    db.session.commit()
    booked = youth.book_term(term, child, parent, now=now)
    db.session.commit()
    assert len(booked) == 4 and all(b.is_confirmed for b in booked)
    assert already in booked
    assert all(e.seats.taken == 1 for e in term.events)


def test_a_whole_term_booking_with_one_full_class_books_nothing_and_names_the_class(recitation, parent, now):
    term = make_term(recitation, now, capacity=1)
    full = term.events[2]
    other = make_user("别的家长")
    youth.book_class(full, make_child(other, "小红"), other, now=now)
    db.session.commit()
    child = make_child(parent)

    with pytest.raises(TermClassFull) as refused:
        youth.book_term(term, child, parent, now=now)
    db.session.rollback()
    with force_locale("zh"):
        assert to_local(full.starts_at).strftime("%-m月%-d日") in str(refused.value)
        assert "没有预约任何一节课" in str(refused.value)
    mine = db.session.execute(sa.select(Booking).where(Booking.child_id == child.id)).scalars().all()
    assert mine == []
    assert [db.session.get(Quota, e.seat_quota_id).taken for e in term.events] == [0, 0, 1, 0]


def test_a_whole_term_booking_is_undone_by_the_service_itself(recitation, parent, now):
    """Even a caller that commits after the refusal leaves no place taken."""
    term = make_term(recitation, now, capacity=1)
    other = make_user("别的家长")
    youth.book_class(term.events[-1], make_child(other, "小红"), other, now=now)
    db.session.commit()
    child = make_child(parent)
    with pytest.raises(TermClassFull):
        youth.book_term(term, child, parent, now=now)
    db.session.commit()
    assert [db.session.get(Quota, e.seat_quota_id).taken for e in term.events] == [0, 0, 0, 1]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking).where(Booking.child_id == child.id)).scalar_one() == 0


def test_a_child_who_ages_out_during_the_term_books_nothing(recitation, parent, now):
    term = make_term(recitation, now)
    third_class_day = to_local(term.events[2].starts_at).date()
    child = make_child(parent, born_on=shifted(third_class_day, -13))  # turns 13 on the third class
    with pytest.raises(ChildTooOld) as refused:
        youth.book_term(term, child, parent, now=now)
    db.session.rollback()
    assert "13" in str(refused.value)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one() == 0


def test_a_whole_term_booking_stops_at_a_class_the_child_waits_for(recitation, parent, now):
    term = make_term(recitation, now, capacity=1)
    other = make_user("别的家长")
    youth.book_class(term.events[0], make_child(other, "小红"), other, now=now)
    child = make_child(parent)
    youth.book_class(term.events[0], child, parent, now=now, waitlist=True)
    db.session.commit()
    with pytest.raises(TermClassWaiting):
        youth.book_term(term, child, parent, now=now)
    db.session.rollback()
    assert [e.seats.taken for e in term.events] == [1, 0, 0, 0]


def test_a_whole_term_booking_skips_past_and_cancelled_classes(recitation, parent, now):
    term = make_term(recitation, now)
    event_service.cancel_event(term.events[1], "老师生病", actor=None, now=now)
    db.session.commit()
    child = make_child(parent)
    after_first = term.events[0].starts_at + timedelta(minutes=5)
    booked = youth.book_term(term, child, parent, now=after_first)
    db.session.commit()
    assert [b.event_id for b in booked] == [term.events[2].id, term.events[3].id]

    with pytest.raises(TermOver):
        youth.book_term(term, child, parent, now=term.events[-1].ends_at)
    db.session.rollback()


def test_a_whole_term_booking_names_a_class_not_open_yet(recitation, parent, now):
    term = make_term(recitation, now)
    term.events[3].booking_opens_at = now + timedelta(days=10)
    db.session.commit()
    with pytest.raises(TermClassRefused):
        youth.book_term(term, make_child(parent), parent, now=now)
    db.session.rollback()
    assert sum(e.seats.taken for e in term.events) == 0


# --- class lists --------------------------------------------------------------------


def test_the_class_list_shows_each_childs_age_on_the_day_and_the_parents_phone(recitation, now, count_queries):
    event = make_event(recitation, capacity=3)
    day = to_local(event.starts_at).date()
    families = []
    for i in range(5):
        parent = make_user(f"家长{i}")
        child = make_child(parent, f"孩子{i}", born_on=shifted(day, -(6 + i)))
        youth.book_class(event, child, parent, now=now + timedelta(seconds=i), waitlist=True)
        families.append((parent, child))
    db.session.commit()
    roll = youth.class_list(event)
    rows = [(b.child.name, roll.age(b), b.user.phone) for b in roll.confirmed + roll.waiting]
    assert rows == [(c.name, 6 + i, p.phone) for i, (p, c) in enumerate(families)]
    assert len(roll.confirmed) == 3 and len(roll.waiting) == 2


@pytest.mark.parametrize("families", [1, 6])
def test_the_class_list_loads_in_a_constant_number_of_queries(recitation, now, count_queries, families):
    event = make_event(recitation, capacity=10)
    for i in range(families):
        parent = make_user(f"家长{i}")
        youth.book_class(event, make_child(parent, f"孩子{i}"), parent, now=now)
    db.session.commit()
    db.session.expunge_all()
    event = youth.get_class(event.id)
    with count_queries() as statements:
        roll = youth.class_list(event)
        [(b.child.name, roll.age(b), b.user.phone) for b in roll.confirmed]
    assert len(statements) == 2  # the bookings with children and parents; the parents' roles
