"""Check-in, the roster, no-shows and the booking pause, tested as functions (no HTTP)."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from models import (
    Attendance, AttendanceChange, AttendanceStatus, Booking, BookingStatus, CheckInMethod, ProgramKind,
    Quota, Role, db,
)
from services import accounts, attendance, capacity, checkin, no_shows
from services import roster as roster_service
from services.booking import book_seat
from services.dates import now_utc
from services.errors import (
    BookingPaused, CheckInCancelled, CheckInClosed, CheckInCodeExpired, CheckInCodeInvalid,
    CheckInNotOpen, NoBookingToCheckIn, NotAnAbsence, NotOnRoster, PhoneTaken, TicketNotConfirmed,
    TicketNotFound,
)
from services.lectures import cancel_lecture
from tests.conftest import make_event, make_program, make_user

SECRET = "test-secret"
# A moment on a 30-second boundary, so slot arithmetic in the tests is exact.
T0 = datetime(2026, 5, 6, 1, 30, tzinfo=timezone.utc)
assert int(T0.timestamp()) % checkin.SLOT_SECONDS == 0


@pytest.fixture
def now():
    """Whole seconds, like the events the builders make."""
    return now_utc().replace(microsecond=0)


def book(event, *people, waitlist=False):
    """Book seats for ``people`` two days before the event; committed."""
    when = event.starts_at - timedelta(days=2)
    bookings = [book_seat(event, person, now=when, waitlist=waitlist) for person in people]
    db.session.commit()
    return bookings


def past_event(ended_ago: timedelta, *, now, capacity=10, title="管仲与齐国的富国之道", program=None):
    """A 90-minute lecture that ended ``ended_ago`` before ``now``."""
    return make_event(program, capacity=capacity, starts_in=-ended_ago - timedelta(minutes=90),
                      title=title, now=now)


def organizer_of(program):
    user = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program.organizers.append(user)
    db.session.commit()
    return user


def changes_of(event):
    return db.session.execute(
        sa.select(AttendanceChange).where(AttendanceChange.event_id == event.id).order_by(AttendanceChange.id)
    ).scalars().all()


def rows_of(event):
    return db.session.execute(
        sa.select(Attendance).where(Attendance.event_id == event.id).order_by(Attendance.id)
    ).scalars().all()


# --- QR check-in codes -------------------------------------------------------------------


def test_the_code_changes_every_30_seconds_and_lives_up_to_a_minute():
    code = checkin.checkin_code(7, now=T0, secret=SECRET)
    assert checkin.checkin_code(7, now=T0 + timedelta(seconds=29), secret=SECRET) == code
    assert checkin.checkin_code(7, now=T0 + timedelta(seconds=30), secret=SECRET) != code
    assert checkin.checkin_code(8, now=T0, secret=SECRET) != code

    for later in (0, 29, 30, 59):
        scan = checkin.read_checkin_code(code, now=T0 + timedelta(seconds=later), secret=SECRET)
        assert scan.event_id == 7
    with pytest.raises(CheckInCodeExpired):
        checkin.read_checkin_code(code, now=T0 + timedelta(seconds=60), secret=SECRET)
    assert checkin.seconds_to_next_slot(T0) == 30
    assert checkin.seconds_to_next_slot(T0 + timedelta(seconds=29)) == 1


@pytest.mark.parametrize("tamper", [
    lambda code: code[:-1] + ("A" if code[-1] != "A" else "B"),  # changed signature
    lambda code: code.replace(code.split(".")[0], checkin._serializer(SECRET).dumps([8, 0]).split(".")[0]),
    lambda code: checkin.checkin_code(7, now=T0, secret="someone else's key"),
    lambda code: "not-a-code",
    lambda code: "",
    lambda code: checkin._serializer(SECRET).dumps("7"),  # well signed, wrong shape
    lambda code: checkin._serializer(SECRET).dumps([7, True]),
    lambda code: checkin.checkin_code(7, now=T0 + timedelta(seconds=30), secret=SECRET),  # from the future
])
def test_forged_or_malformed_codes_are_refused(tamper):
    code = checkin.checkin_code(7, now=T0, secret=SECRET)
    with pytest.raises(CheckInCodeInvalid):
        checkin.read_checkin_code(tamper(code), now=T0, secret=SECRET)


def test_a_fresh_scan_stays_good_for_ten_minutes_in_the_same_browser():
    code = checkin.checkin_code(7, now=T0, secret=SECRET)
    scanned = checkin.read_checkin_code(code, now=T0 + timedelta(seconds=10), secret=SECRET)
    assert scanned.scanned_at == T0 + timedelta(seconds=10)
    later = T0 + timedelta(minutes=5)
    scan = checkin.read_checkin_code(code, now=later, secret=SECRET, recent_scans={7: scanned.scanned_at})
    assert scan.scanned_at == scanned.scanned_at  # the grace doesn't renew itself
    with pytest.raises(CheckInCodeExpired):
        checkin.read_checkin_code(code, now=later, secret=SECRET, recent_scans={8: scanned.scanned_at})
    with pytest.raises(CheckInCodeExpired):
        checkin.read_checkin_code(
            code, now=scanned.scanned_at + checkin.SCAN_GRACE + timedelta(seconds=1), secret=SECRET,
            recent_scans={7: scanned.scanned_at},
        )


def test_qr_pictures_are_inline_svg():
    svg = checkin.qr_svg("27410936", title="预约号")
    assert svg.startswith("<svg") and "viewBox" in svg and "<title>预约号</title>" in svg
    assert "http" not in svg.split("<path")[0]  # no external references


# --- the check-in window -----------------------------------------------------------------


def test_self_check_in_is_open_from_half_an_hour_before_until_the_end(app, now):
    event = make_event(starts_in=timedelta(days=3))
    resident = make_user()
    book(event, resident)
    opens = event.starts_at - timedelta(minutes=30)

    with pytest.raises(CheckInNotOpen) as early:
        attendance.check_in_self(event, resident, now=opens - timedelta(seconds=1))
    db.session.rollback()
    with force_locale("zh"):
        assert "开放" in str(early.value)
    assert attendance.check_in_self(event, resident, now=opens)[0].changed
    db.session.commit()

    late_comer = make_user("刘建华")
    book(event, late_comer)
    assert attendance.check_in_self(event, late_comer, now=event.ends_at - timedelta(seconds=1))[0].changed
    db.session.commit()
    third = make_user("陈玉兰")
    book(event, third)
    with pytest.raises(CheckInClosed):
        attendance.check_in_self(event, third, now=event.ends_at)
    db.session.rollback()


def test_organizers_can_mark_from_the_opening_and_correct_after_the_end(app, now):
    event = make_event(starts_in=timedelta(days=3))
    organizer = organizer_of(event.program)
    [booking] = book(event, make_user())
    opens = attendance.checkin_opens_at(event)
    with pytest.raises(CheckInNotOpen):
        attendance.mark_booking(event, booking.id, AttendanceStatus.PRESENT, actor=organizer, now=opens - timedelta(seconds=1))
    db.session.rollback()
    assert attendance.mark_booking(event, booking.id, AttendanceStatus.PRESENT, actor=organizer, now=opens).changed
    db.session.commit()
    later = event.ends_at + timedelta(days=2)
    assert attendance.mark_booking(event, booking.id, AttendanceStatus.LATE, actor=organizer, now=later).changed
    db.session.commit()
    assert rows_of(event)[0].status is AttendanceStatus.LATE


def test_cancelled_events_have_no_check_in(app, now):
    event = make_event(starts_in=timedelta(minutes=10))
    resident = make_user()
    booking = book_seat(event, resident, now=now - timedelta(days=1))
    cancel_lecture(event, "讲师生病", now=now)
    db.session.commit()
    with pytest.raises(CheckInCancelled):
        attendance.check_in_self(event, resident, now=now)
    db.session.rollback()
    with pytest.raises(CheckInCancelled):
        attendance.mark_booking(event, booking.id, AttendanceStatus.PRESENT, actor=make_user("李秀兰"), now=now)
    db.session.rollback()


def test_self_check_in_without_a_confirmed_booking_is_refused(app, now):
    event = make_event(capacity=1, starts_in=timedelta(minutes=10))
    booked, waiting, stranger = make_user("甲"), make_user("乙"), make_user("丙")
    book(event, booked)
    book(event, waiting, waitlist=True)
    for person in (waiting, stranger):
        with pytest.raises(NoBookingToCheckIn):
            attendance.check_in_self(event, person, now=now)
        db.session.rollback()
        assert not attendance.self_checkin_state(event, person, now=now).can_check_in
    assert attendance.self_checkin_state(event, booked, now=now).can_check_in
    assert rows_of(event) == []


# --- ticket numbers and checking in twice -----------------------------------------------------


def test_ticket_number_checks_the_holder_in_and_twice_is_harmless(app, now):
    event = make_event(starts_in=timedelta(minutes=10))
    organizer = organizer_of(event.program)
    [booking] = book(event, make_user("张桂芳"))
    typed = f"  {booking.ticket_code[:4]} {booking.ticket_code[4:]} "
    code = attendance.normalize_ticket_code(typed)
    first = attendance.check_in_ticket(event, code, actor=organizer, now=now)
    db.session.commit()
    assert first.changed and first.name == "张桂芳" and first.key == f"b{booking.id}"
    second = attendance.check_in_ticket(event, code, actor=organizer, now=now + timedelta(minutes=1))
    db.session.commit()
    assert not second.changed
    [row] = rows_of(event)
    assert row.status is AttendanceStatus.PRESENT and row.method is CheckInMethod.TICKET
    assert row.checked_in_at == now and row.updated_by_id == organizer.id
    assert len(changes_of(event)) == 1


def test_full_width_digits_and_dashes_are_read_as_a_ticket_number():
    assert attendance.normalize_ticket_code("２７４１－０９３６") == "27410936"
    assert attendance.normalize_ticket_code("2741 0936\t") == "27410936"


def test_unknown_foreign_and_waiting_ticket_numbers_are_refused(app, now):
    event = make_event(capacity=1, starts_in=timedelta(minutes=10))
    other = make_event(starts_in=timedelta(minutes=10))
    organizer = organizer_of(event.program)
    book(event, make_user("甲"))
    [waiting] = book(event, make_user("乙"), waitlist=True)
    [elsewhere] = book(other, make_user("丙"))
    with pytest.raises(TicketNotFound) as unknown:
        attendance.check_in_ticket(event, "00000000", actor=organizer, now=now)
    db.session.rollback()
    with force_locale("zh"):
        assert "0000 0000" in str(unknown.value)
    with pytest.raises(TicketNotFound):
        attendance.check_in_ticket(event, elsewhere.ticket_code, actor=organizer, now=now)
    db.session.rollback()
    with pytest.raises(TicketNotConfirmed) as refused:
        attendance.check_in_ticket(event, waiting.ticket_code, actor=organizer, now=now)
    db.session.rollback()
    assert "乙" in str(refused.value)
    assert rows_of(event) == []


def test_scanning_twice_keeps_one_row_and_a_late_mark_stays(app, now):
    event = make_event(starts_in=timedelta(minutes=10))
    organizer = organizer_of(event.program)
    resident = make_user()
    [booking] = book(event, resident)
    assert attendance.check_in_self(event, resident, now=now)[0].changed
    db.session.commit()
    assert not attendance.check_in_self(event, resident, now=now + timedelta(seconds=5))[0].changed
    db.session.commit()
    attendance.mark_booking(event, booking.id, AttendanceStatus.LATE, actor=organizer, now=now + timedelta(minutes=1))
    db.session.commit()
    assert not attendance.check_in_self(event, resident, now=now + timedelta(minutes=2))[0].changed
    db.session.commit()
    [row] = rows_of(event)
    assert row.status is AttendanceStatus.LATE and row.checked_in_at == now
    assert [(c.from_status, c.to_status) for c in changes_of(event)] == [
        (None, AttendanceStatus.PRESENT), (AttendanceStatus.PRESENT, AttendanceStatus.LATE),
    ]


def test_a_row_written_meanwhile_by_someone_else_is_reused(app, now):
    """The unique index catches a second insert; the service then updates that row.

    (On SQLite writers queue, so "meanwhile" is simulated inside the same transaction.)"""
    event = make_event(starts_in=timedelta(minutes=10))
    organizer = organizer_of(event.program)
    [booking] = book(event, make_user())
    real_find = attendance._find_row
    calls = []

    def blind_first_look(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            # Another device inserts the row just after our look found nothing.
            db.session.execute(sa.insert(Attendance).values(
                event_id=event.id, booking_id=booking.id, user_id=booking.user_id,
                status=AttendanceStatus.PRESENT, method=CheckInMethod.QR, excuse_reason="",
                created_at=now, updated_at=now, checked_in_at=now,
            ))
            return None
        return real_find(*args, **kwargs)

    attendance._find_row = blind_first_look
    try:
        marked = attendance.mark_booking(event, booking.id, AttendanceStatus.LATE, actor=organizer, now=now)
        db.session.commit()
    finally:
        attendance._find_row = real_find
    assert marked.attendance.status is AttendanceStatus.LATE
    assert len(rows_of(event)) == 1


def test_every_change_is_recorded_with_who_and_when(app, now):
    event = make_event(starts_in=timedelta(minutes=10))
    organizer = organizer_of(event.program)
    [booking] = book(event, make_user())
    for minutes, status in ((0, AttendanceStatus.PRESENT), (1, AttendanceStatus.LATE), (2, AttendanceStatus.ABSENT), (3, AttendanceStatus.ABSENT)):
        attendance.mark_booking(event, booking.id, status, actor=organizer, now=now + timedelta(minutes=minutes))
        db.session.commit()
    log = changes_of(event)
    assert [(c.from_status, c.to_status) for c in log] == [
        (None, AttendanceStatus.PRESENT), (AttendanceStatus.PRESENT, AttendanceStatus.LATE),
        (AttendanceStatus.LATE, AttendanceStatus.ABSENT),
    ]
    assert {c.actor_id for c in log} == {organizer.id}
    assert [c.changed_at for c in log] == [now, now + timedelta(minutes=1), now + timedelta(minutes=2)]
    assert rows_of(event)[0].checked_in_at is None


def test_bookings_of_other_events_and_unknown_people_are_not_on_the_roster(app, now):
    event = make_event(starts_in=timedelta(minutes=10))
    other = make_event(starts_in=timedelta(minutes=10))
    organizer = organizer_of(event.program)
    [elsewhere] = book(other, make_user())
    with pytest.raises(NotOnRoster):
        attendance.mark_booking(event, elsewhere.id, AttendanceStatus.PRESENT, actor=organizer, now=now)
    db.session.rollback()
    with pytest.raises(NotOnRoster):
        attendance.mark_person(event, make_user().id, AttendanceStatus.PRESENT, actor=organizer, now=now)
    db.session.rollback()


# --- walk-ins ------------------------------------------------------------------------------


def test_walk_ins_are_matched_by_phone_or_get_an_account_they_can_claim(app, now):
    event = make_event(starts_in=timedelta(minutes=10))
    organizer = organizer_of(event.program)
    booked = make_user("张桂芳", phone="13600000101")
    known = make_user("刘建华", phone="13600000102")
    [booking] = book(event, booked)

    by_booking = attendance.add_walk_in(event, name="张阿姨", phone="13600000101", actor=organizer, now=now)
    assert by_booking.key == f"b{booking.id}" and by_booking.name == "张桂芳"
    known_walk_in = attendance.add_walk_in(event, name="刘", phone="13600000102", actor=organizer, now=now)
    assert known_walk_in.key == f"u{known.id}" and known_walk_in.attendance.method is CheckInMethod.WALK_IN
    new = attendance.add_walk_in(event, name="王德顺", phone="13600000103", actor=organizer, now=now)
    db.session.commit()
    assert attendance.add_walk_in(event, name="王德顺", phone="13600000103", actor=organizer, now=now).changed is False
    db.session.commit()

    stranger = accounts.find_by_phone("13600000103")
    assert stranger.display_name == "王德顺" and not accounts.is_claimed(stranger)
    assert stranger.roles == {Role.RESIDENT}
    assert accounts.authenticate("13600000103", "", now=now) is None
    assert accounts.authenticate("13600000103", stranger.password_hash, now=now) is None

    roster = roster_service.roster(event, now=now)
    kinds = {row.name: row.kind for row in roster.rows}
    assert kinds == {"张桂芳": roster_service.RowKind.SEAT, "刘建华": roster_service.RowKind.WALK_IN, "王德顺": roster_service.RowKind.WALK_IN}
    assert roster.counts.walk_ins == 2 and roster.counts.present == 3
    assert new.key == f"u{stranger.id}"

    claimed = accounts.register_user(phone="13600000103", display_name="王德顺", password="my-secret-pw", now=now)
    db.session.commit()
    assert claimed.id == stranger.id and accounts.is_claimed(claimed)
    assert accounts.authenticate("13600000103", "my-secret-pw", now=now).id == stranger.id
    with pytest.raises(PhoneTaken):
        accounts.register_user(phone="13600000103", display_name="冒名", password="another-pw-1", now=now)
    db.session.rollback()


# --- who is on the roster ----------------------------------------------------------------------


def test_the_roster_covers_every_quota_of_the_event_and_registered_sources(app, now):
    program = make_program(ProgramKind.TROUPE, name="吕剧团")
    event = make_event(program, starts_in=timedelta(minutes=10), title="吕剧团排练")
    organizer = organizer_of(program)
    seat_holder, volunteer, member, outsider = make_user("甲"), make_user("乙"), make_user("丙"), make_user("丁")
    book(event, seat_holder)
    # A volunteer's shift: a booking on another quota whose event is this event.
    shift_quota = Quota(capacity=2, taken=0)
    db.session.add(shift_quota)
    db.session.commit()
    capacity.request_places(quota_id=shift_quota.id, event_id=event.id, user=volunteer, now=now)
    db.session.commit()

    def troupe_members(events):
        return {e.id: [(member, roster_service.RowKind.MEMBER)] for e in events}

    wired = roster_service._EXPECTED_SOURCES.get(ProgramKind.TROUPE)
    roster_service.register_expected_source(ProgramKind.TROUPE, troupe_members)
    try:
        roster = roster_service.roster(event, now=now)
        assert {(row.name, row.kind) for row in roster.rows} == {
            ("甲", roster_service.RowKind.SEAT), ("乙", roster_service.RowKind.VOLUNTEER), ("丙", roster_service.RowKind.MEMBER),
        }
        attendance.mark_person(event, member.id, AttendanceStatus.LATE, actor=organizer, now=now)
        db.session.commit()
        assert attendance.check_in_self(event, member, now=now)[0].changed is False
        db.session.rollback()
        with pytest.raises(NotOnRoster):
            attendance.mark_person(event, outsider.id, AttendanceStatus.PRESENT, actor=organizer, now=now)
        db.session.rollback()
        roster = roster_service.roster(event, now=now)
        assert roster.row(f"u{member.id}").status is AttendanceStatus.LATE
        assert roster.counts.expected == 3 and roster.counts.late == 1 and roster.counts.not_yet == 2
    finally:
        roster_service.register_expected_source(ProgramKind.TROUPE, wired)


def test_search_finds_people_by_name_or_the_last_four_digits(app, now):
    event = make_event(starts_in=timedelta(minutes=10))
    book(event, make_user("张桂芳", phone="13600001234"), make_user("张建国", phone="13600005678"), make_user("刘建华", phone="13600009999"))
    roster = roster_service.roster(event, now=now)
    assert [r.name for r in roster.search("张")] == ["张建国", "张桂芳"]
    assert [r.name for r in roster.search("建")] == ["刘建华", "张建国"]
    assert [r.name for r in roster.search("1234")] == ["张桂芳"]
    assert [r.name for r in roster.search("")] == ["刘建华", "张建国", "张桂芳"]
    assert roster.search("0000") == []


# --- no-shows ---------------------------------------------------------------------------------


def test_unmarked_bookings_become_no_shows_only_where_attendance_was_taken(app, now):
    taken = past_event(timedelta(days=1), now=now)
    untaken = past_event(timedelta(days=1), now=now, title="没有点名的讲座")
    cancelled = past_event(timedelta(days=1), now=now, title="取消的讲座")
    organizer = organizer_of(taken.program)
    came, missed, excused = make_user("甲"), make_user("乙"), make_user("丙")
    bookings = book(taken, came, missed, excused)
    book(untaken, missed)
    book(cancelled, missed)
    cancel_lecture(cancelled, "停电", now=now)
    attendance.mark_booking(taken, bookings[0].id, AttendanceStatus.PRESENT, actor=organizer, now=now)
    db.session.commit()

    roster = roster_service.roster(taken, now=now)
    assert [row.name for row in roster.rows if row.is_no_show] == ["丙", "乙"]
    assert not any(row.is_no_show for row in roster_service.roster(untaken, now=now).rows)
    assert len(no_shows.no_show_record(missed, now=now).missed) == 1

    assert no_shows.mark_no_shows(now=now) == 2
    db.session.commit()
    assert no_shows.mark_no_shows(now=now) == 0  # idempotent
    auto = [r for r in rows_of(taken) if r.method is CheckInMethod.AUTOMATIC]
    assert {r.status for r in auto} == {AttendanceStatus.ABSENT} and {r.updated_by_id for r in auto} == {None}
    assert all(c.actor_id is None for c in changes_of(taken) if c.method is CheckInMethod.AUTOMATIC)

    attendance.excuse(taken, bookings[2].id, "住院", actor=organizer, now=now)
    db.session.commit()
    roster = roster_service.roster(taken, now=now)
    assert [row.name for row in roster.rows if row.is_no_show] == ["乙"]
    assert roster.row(f"b{bookings[2].id}").attendance.excuse_reason == "住院"
    assert roster.counts.excused == 1 and roster.counts.no_shows == 1 and roster.counts.present == 1
    assert [(c.from_status, c.to_status, c.reason) for c in changes_of(taken)][-1] == (
        AttendanceStatus.ABSENT, AttendanceStatus.EXCUSED, "住院",
    )


def test_only_absences_can_be_excused(app, now):
    event = past_event(timedelta(hours=1), now=now)
    organizer = organizer_of(event.program)
    came, unmarked_yet = book(event, make_user("甲"), make_user("乙"))
    attendance.mark_booking(event, came.id, AttendanceStatus.PRESENT, actor=organizer, now=now)
    db.session.commit()
    with pytest.raises(NotAnAbsence):
        attendance.excuse(event, came.id, "?", actor=organizer, now=now)
    db.session.rollback()
    # Before the end, a person not yet marked isn't absent yet.
    running = make_event(event.program, starts_in=timedelta(minutes=10))
    [booking] = book(running, make_user("丙"))
    with pytest.raises(NotAnAbsence):
        attendance.excuse(running, booking.id, "?", actor=organizer, now=now)
    db.session.rollback()
    # After the end the unmarked booking is a no-show, which can be excused.
    assert attendance.excuse(event, unmarked_yet.id, "家里有事", actor=organizer, now=now).changed


# --- the booking pause --------------------------------------------------------------------


def miss(resident, organizer, program, ends_at_list, now):
    """Make ``resident`` a no-show at lectures that ended at the given moments."""
    events = []
    for ends_at in ends_at_list:
        event = make_event(program, starts_in=ends_at - now - timedelta(minutes=90), now=now)
        came, theirs = book(event, make_user("到场的人"), resident)
        attendance.mark_booking(event, came.id, AttendanceStatus.PRESENT, actor=organizer, now=event.ends_at)
        db.session.commit()
        events.append((event, theirs))
    return events


def test_three_no_shows_in_90_days_pause_booking_for_30_days(app, now):
    program = make_program()
    organizer = organizer_of(program)
    resident = make_user("王德顺")
    t3 = now - timedelta(days=1)
    miss(resident, organizer, program, [t3 - timedelta(days=60), t3 - timedelta(days=30)], now)
    assert not no_shows.no_show_record(resident, now=now).is_paused  # two: not yet

    miss(resident, organizer, program, [t3], now)
    record = no_shows.no_show_record(resident, now=now)
    assert record.paused_until == t3 + timedelta(days=30) and len(record.missed) == 3

    coming = make_event(program, starts_in=timedelta(days=60), now=now)
    with pytest.raises(BookingPaused) as paused:
        book_seat(coming, resident, now=now)
    db.session.rollback()
    with force_locale("zh"):
        message = str(paused.value)
    assert "3" in message and "90" in message and "月" in message

    last_day = record.paused_until - timedelta(seconds=1)
    with pytest.raises(BookingPaused):
        book_seat(coming, resident, now=last_day)
    db.session.rollback()
    assert book_seat(coming, resident, now=record.paused_until).is_confirmed
    db.session.rollback()
    with pytest.raises(BookingPaused):  # the waiting list is closed to them too
        book_seat(coming, resident, now=now, waitlist=True)
    db.session.rollback()


def test_a_no_show_exactly_90_days_before_the_third_no_longer_counts(app, now):
    program = make_program()
    organizer = organizer_of(program)
    on_the_edge, just_inside = make_user("甲"), make_user("乙")
    t3 = now - timedelta(days=2)
    miss(on_the_edge, organizer, program, [t3 - timedelta(days=90), t3 - timedelta(days=10), t3], now)
    miss(just_inside, organizer, program, [t3 - timedelta(days=90) + timedelta(seconds=1), t3 - timedelta(days=10), t3], now)
    assert not no_shows.no_show_record(on_the_edge, now=now).is_paused
    assert no_shows.no_show_record(just_inside, now=now).paused_until == t3 + timedelta(days=30)


def test_the_pause_runs_30_days_from_the_no_show_that_reached_the_limit(app, now):
    program = make_program()
    organizer = organizer_of(program)
    resident = make_user()
    t3 = now - timedelta(days=29, hours=23)
    miss(resident, organizer, program, [t3 - timedelta(days=20), t3 - timedelta(days=10), t3], now)
    assert no_shows.no_show_record(resident, now=now).paused_until == t3 + timedelta(days=30)
    # Later the first no-show leaves the 90-day window; the pause that began stays as it was.
    later = t3 + timedelta(days=30) - timedelta(seconds=1)
    assert no_shows.no_show_record(resident, now=later).paused_until == t3 + timedelta(days=30)
    assert not no_shows.no_show_record(resident, now=t3 + timedelta(days=30)).is_paused


def test_two_bookings_missed_at_one_event_are_one_no_show(app, now):
    program = make_program()
    organizer = organizer_of(program)
    resident = make_user()
    (event, _), = miss(resident, organizer, program, [now - timedelta(days=3)], now)
    extra = Quota(capacity=1, taken=0)
    db.session.add(extra)
    db.session.commit()
    capacity.request_places(quota_id=extra.id, event_id=event.id, user=resident, now=now)
    db.session.commit()
    assert len(no_shows.no_show_record(resident, now=now).missed) == 1


def test_excusing_a_no_show_lifts_the_pause(app, now):
    program = make_program()
    organizer = organizer_of(program)
    resident = make_user()
    missed = miss(resident, organizer, program, [now - timedelta(days=d) for d in (30, 20, 10)], now)
    coming = make_event(program, starts_in=timedelta(days=5), now=now)
    assert no_shows.no_show_record(resident, now=now).is_paused

    event, booking = missed[1]
    attendance.excuse(event, booking.id, "社区组织体检，提前请过假", actor=organizer, now=now)
    db.session.commit()
    assert not no_shows.no_show_record(resident, now=now).is_paused
    assert book_seat(coming, resident, now=now).is_confirmed
    db.session.commit()


def test_the_limits_come_from_the_configuration(app, now):
    app.config.update(NO_SHOW_LIMIT=2, NO_SHOW_WINDOW_DAYS=10, NO_SHOW_PAUSE_DAYS=7)
    program = make_program()
    organizer = organizer_of(program)
    resident = make_user()
    t2 = now - timedelta(days=1)
    miss(resident, organizer, program, [t2 - timedelta(days=9), t2], now)
    record = no_shows.no_show_record(resident, now=now)
    assert record.paused_until == t2 + timedelta(days=7)
    with force_locale("zh"):
        assert "10" in str(record.refusal())


def test_waiting_list_and_cancelled_bookings_are_never_no_shows(app, now):
    event = past_event(timedelta(hours=2), now=now, capacity=1)
    organizer = organizer_of(event.program)
    came, waiting = make_user("甲"), make_user("乙")
    [booking] = book(event, came)
    book(event, waiting, waitlist=True)
    attendance.mark_booking(event, booking.id, AttendanceStatus.PRESENT, actor=organizer, now=now)
    db.session.commit()
    assert no_shows.no_show_record(waiting, now=now).missed == []
    assert no_shows.mark_no_shows(now=now) == 0
    status = db.session.execute(sa.select(Booking.status).where(Booking.user_id == waiting.id)).scalar_one()
    assert status is BookingStatus.WAITLISTED


def test_the_demo_has_attendance_to_look_at(app, now):
    import demo
    from services import dashboard

    demo.seed()
    db.session.commit()
    admin = accounts.find_by_phone("13800000000")
    [wenshi] = [p for p in roster_service.programs_organized_by(admin) if p.slug == "wenshi-jiangtang"]
    [figures] = dashboard.monthly_figures([wenshi], now=now, months=6)
    totals = {name: sum(getattr(m, name) for m in figures.months) for name in ("events_held", "attended", "no_shows", "excused", "walk_ins")}
    assert totals == {"events_held": 4, "attended": 35, "no_shows": 2, "excused": 1, "walk_ins": 2}
    assert no_shows.mark_no_shows(now=now) == 0  # the demo wrote them down already
    today = [e for e in roster_service.events_to_take([wenshi], now=now) if e.title.startswith("今日加场")]
    roster = roster_service.roster(today[0], now=now)
    assert attendance.roster_refusal(today[0], now) is None and roster.counts.checked_in == 2


def test_ten_devices_checking_in_one_person_at_once_make_one_row(app, now):
    """Real threads and connections (file SQLite queues them; PostgreSQL races them)."""
    from models import Event, User
    from tests.services.test_race import race

    event = make_event(starts_in=timedelta(minutes=10))
    organizer = organizer_of(event.program)
    [booking] = book(event, make_user())
    event_id, booking_id, organizer_id, code = event.id, booking.id, organizer.id, booking.ticket_code

    def device():
        attendance.check_in_ticket(
            db.session.get(Event, event_id), code, actor=db.session.get(User, organizer_id), now=now_utc()
        )

    race(app, [device] * 10)
    db.session.expire_all()
    assert len(rows_of(event)) == 1 and len(changes_of(event)) == 1
    assert rows_of(event)[0].booking_id == booking_id
