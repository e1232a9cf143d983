"""Who we reach: the dashboard's figures by grid and building match a count by hand."""
from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from models import Attendance, AttendanceStatus, Booking, BookingStatus, CheckInMethod, Role, db
from services import events as event_service
from services import reach
from services.dates import LOCAL_TZ
from tests.conftest import make_building, make_child, make_event, make_program, make_resident, make_role, make_user

MID_MAY = datetime(2026, 5, 20, 10, 0, tzinfo=LOCAL_TZ)


def seat(event, person, *, came: AttendanceStatus | None = None, status=BookingStatus.CONFIRMED, child=None):
    """A booking written directly (the figures read data, whatever wrote it) and its attendance."""
    booking = Booking(quota_id=event.seat_quota_id, event_id=event.id, user_id=person.id, status=status,
                      child_id=child.id if child else None, created_at=MID_MAY, confirmed_at=MID_MAY)
    db.session.add(booking)
    db.session.flush()
    if came is not None:
        db.session.add(Attendance(event_id=event.id, booking_id=booking.id, user_id=person.id, status=came,
                                  method=CheckInMethod.ORGANIZER))
    db.session.commit()
    return booking


def walk_in(event, person):
    db.session.add(Attendance(event_id=event.id, user_id=person.id, status=AttendanceStatus.PRESENT,
                              method=CheckInMethod.WALK_IN))
    db.session.commit()


def test_per_building_numbers_match_a_hand_count(app, time_machine, count_queries):
    time_machine.move_to(MID_MAY, tick=False)
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program = make_program(organizers=[organizer])
    three = make_building("3号楼", grid="12", households=10)  # the office counted 10 households
    five = make_building("5号楼", grid="12")  # no count: the households known to Linli
    nine = make_building("9号楼", grid="13", households=4)

    # 3号楼: 301 has two people (one household), 302 one, 一位 without a room (own household)
    a1, a2 = make_resident(three, "甲一", unit="1", room="301"), make_resident(three, "甲二", unit="1", room="301")
    b = make_resident(three, "乙", unit="1", room="302")
    c = make_resident(three, "丙")
    # 5号楼: two households
    d = make_resident(five, "丁", room="101")
    e = make_resident(five, "戊", room="102")
    # 9号楼: nobody takes part
    make_resident(nine, "己", room="1")

    in_may = make_event(program, starts_in=timedelta(days=-10), now=MID_MAY)       # 10 May
    also_may = make_event(program, starts_in=timedelta(days=-3), now=MID_MAY)      # 17 May
    coming_may = make_event(program, starts_in=timedelta(days=5), now=MID_MAY)     # 25 May, not held yet
    april = make_event(program, starts_in=timedelta(days=-30), now=MID_MAY)        # 20 April
    cancelled = make_event(program, starts_in=timedelta(days=-5), now=MID_MAY)
    event_service.cancel_event(cancelled, "停电", actor=None, now=MID_MAY)
    db.session.commit()

    seat(in_may, a1, came=AttendanceStatus.PRESENT)
    seat(in_may, a2, came=AttendanceStatus.LATE)          # same household as a1
    seat(also_may, a1, came=AttendanceStatus.ABSENT)      # booked, didn't come
    seat(in_may, b, status=BookingStatus.CANCELLED)       # cancelled: no booking
    seat(coming_may, b)                                  # a booking this month, not yet attended
    walk_in(also_may, c)                                  # came without booking
    seat(april, d, came=AttendanceStatus.PRESENT)         # April: not this month
    seat(cancelled, e, came=AttendanceStatus.PRESENT)     # a cancelled event doesn't count
    child = make_child(e, "小宝", age=8)
    seat(in_may, e, came=AttendanceStatus.PRESENT, child=child)  # a child's place counts for 戊's household
    shift_role = make_role(also_may, "摄影", 1)
    shift = Booking(quota_id=shift_role.quota_id, event_id=also_may.id, user_id=d.id, status=BookingStatus.CONFIRMED)
    db.session.add(shift)
    db.session.flush()
    db.session.add(Attendance(event_id=also_may.id, booking_id=shift.id, user_id=d.id,
                              status=AttendanceStatus.PRESENT, method=CheckInMethod.ORGANIZER))
    db.session.commit()

    may = reach.period("month", now=MID_MAY)
    assert (may.first_day, may.end_day) == (date(2026, 5, 1), date(2026, 6, 1))
    db.session.expire_all()
    with count_queries() as queries:
        grids = reach.reach(since=may.since, until=may.until)
        numbers = {
            b.building.name: (b.residents, b.households, b.bookings, b.attended, b.households_took_part, b.share)
            for g in grids for b in g.buildings
        }
    # By hand, for May:
    #   3号楼: residents 4; households 10 (office); bookings: a1×2, a2, b (coming) = 4;
    #          attended: a1, a2 (late), c (walk-in) = 3; households took part: 301 and 丙 = 2 → 20%
    #   5号楼: residents 2; households known 2; bookings: 戊's child = 1 (d's shift is no booking);
    #          attended: child place + d's shift = 2; households: 101 and 102 = 2 → 100%
    #   9号楼: 1 resident, 4 households, nothing → 0%
    assert numbers == {
        "3号楼": (4, 10, 4, 3, 2, 0.2),
        "5号楼": (2, 2, 1, 2, 2, 1.0),
        "9号楼": (1, 4, 0, 0, 0, 0.0),
    }
    assert len(queries) <= 5
    twelve, thirteen = grids
    assert (twelve.households, twelve.households_took_part) == (12, 4)
    assert [b.building.name for b in thirteen.unreached] == ["9号楼"]

    april_figures = reach.reach(since=reach.period("last_month", now=MID_MAY).since,
                                until=reach.period("last_month", now=MID_MAY).until)
    assert {b.building.name: b.households_took_part for g in april_figures for b in g.buildings} == {
        "3号楼": 0, "5号楼": 1, "9号楼": 0,
    }


@pytest.mark.parametrize("moment, key, first, end", [
    (datetime(2026, 5, 20, tzinfo=LOCAL_TZ), "quarter", date(2026, 4, 1), date(2026, 7, 1)),
    (datetime(2026, 5, 20, tzinfo=LOCAL_TZ), "last_quarter", date(2026, 1, 1), date(2026, 4, 1)),
    (datetime(2027, 1, 1, 0, 1, tzinfo=LOCAL_TZ), "last_month", date(2026, 12, 1), date(2027, 1, 1)),
    (datetime(2027, 1, 1, 0, 1, tzinfo=LOCAL_TZ), "last_quarter", date(2026, 10, 1), date(2027, 1, 1)),
    # 16:30 UTC on 31 December is already 1 January in Beijing
    (datetime(2026, 12, 31, 16, 30, tzinfo=timezone.utc), "month", date(2027, 1, 1), date(2027, 2, 1)),
])
def test_periods_follow_the_communitys_calendar(moment, key, first, end):
    chosen = reach.period(key, now=moment)
    assert (chosen.first_day, chosen.end_day) == (first, end)
