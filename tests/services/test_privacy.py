"""People's own data: what the download holds, what deleting an account removes and keeps,
and erasing the names of children whose classes ended long ago."""
from __future__ import annotations

import csv
import io
import json
from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import (
    Attendance, AttendanceStatus, Booking, BookingStatus, CalendarToken, Child, Login, Role, ServiceEntry, User, db,
)
from services import accounts, attendance, dashboard, feeds, points, privacy, youth
from services.booking import book_seat
from services.errors import LastAdministrator
from tests.conftest import make_child, make_event, make_program, make_user, make_youth_program


@pytest.fixture
def community(app, now):
    """A resident with a past lecture they attended, a coming seat on a full lecture with
    someone waiting, a child with a class, volunteer hours, a calendar link and a login."""
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program = make_program(slug="wenshi-jiangtang", organizers=[organizer])
    then = now - timedelta(days=10)
    past = make_event(program, starts_in=timedelta(days=7), now=then, title="齐国故城")
    coming = make_event(program, capacity=1, title="稷下学宫")
    resident, waiting = make_user("张桂芳", phone="13912340001"), make_user("刘建华")
    held = book_seat(past, resident, now=then)
    db.session.commit()
    attendance.mark_booking(past, held.id, AttendanceStatus.PRESENT, actor=organizer, now=past.starts_at)
    book_seat(coming, resident, now=now)
    book_seat(coming, waiting, now=now, waitlist=True)
    points.adjust(resident, minutes=90, points=15, reason="社区服务", organizer=organizer, now=now)
    feeds.reset_feed_token(resident, now=now)
    accounts.start_login(resident, now=now)
    db.session.commit()
    child = make_child(resident, "王小明")
    songdu = make_youth_program(slug="songdu")
    youth.book_class(make_event(songdu, title="经典诗文诵读"), child, resident, now=now)
    db.session.commit()
    return dict(organizer=organizer, program=program, past=past, coming=coming, resident=resident,
                waiting=waiting, child=child)


def test_the_download_holds_the_persons_account_children_bookings_attendance_and_ledger(app, now, community):
    resident = community["resident"]
    sections = {s.name: s.rows for s in privacy.personal_data(resident, now=now)}
    assert sections["account"][0]["mobile_number"] == "13912340001"
    assert [c["name"] for c in sections["children"]] == ["王小明"]
    assert {b["event"] for b in sections["bookings"]} == {"齐国故城", "稷下学宫", "经典诗文诵读"}
    assert [a["status"] for a in sections["attendance"]] == ["present"]
    assert sections["service_ledger"][0]["minutes"] == 90 and sections["service_ledger"][0]["points"] == 15
    assert len(sections["calendar_link"]) == 1 and len(sections["logins"]) == 1
    # Nothing about anyone else.
    everything = json.dumps(sections, ensure_ascii=False)
    assert "刘建华" not in everything and community["waiting"].phone not in everything

    document = json.loads(privacy.to_json(privacy.personal_data(resident, now=now), now=now))
    assert document["sections"]["children"][0]["name"] == "王小明"
    text = privacy.to_csv(privacy.personal_data(resident, now=now)).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert ["稷下学宫"] != rows[0] and any("王小明" in row for row in rows) and any("13912340001" in r for r in rows)


def test_deleting_an_account_removes_the_person_and_keeps_the_figures(app, now, community):
    resident, program = community["resident"], community["program"]
    before = dashboard.monthly_figures([program], now=now, months=3)[0].months
    totals = points.totals_of(resident)
    bookings_before = db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one()

    privacy.delete_account(resident, now=now)
    db.session.commit()
    db.session.expire_all()

    gone = db.session.get(User, resident.id)
    assert gone.display_name == privacy.ANONYMOUS_USER_NAME and gone.is_deleted and not gone.is_active
    assert gone.phone != "13912340001" and not accounts.is_valid_phone(gone.phone)
    assert accounts.authenticate("13912340001", "correct horse battery", now=now) is None
    assert accounts.find_by_phone("13912340001") is None
    assert gone.roles == {Role.RESIDENT}
    child = db.session.get(Child, community["child"].id)
    assert child.name != "王小明" and child.is_anonymized and child.born_on.month == child.born_on.day == 1
    assert db.session.get(CalendarToken, resident.id) is None
    assert db.session.execute(sa.select(Login).where(Login.user_id == resident.id)).first() is None

    # The figures stay what they were: past bookings, attendance, the ledger.
    assert dashboard.monthly_figures([program], now=now, months=3)[0].months == before
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking)).scalar_one() == bookings_before
    assert db.session.execute(sa.select(Attendance.status).where(Attendance.user_id == resident.id)).scalar_one() \
        is AttendanceStatus.PRESENT
    assert points.totals_of(gone) == totals
    assert db.session.execute(sa.select(ServiceEntry.user_id)).scalar_one() == resident.id

    # Coming places were given up: the person waiting has the seat now.
    waiting_booking = db.session.execute(
        sa.select(Booking).where(Booking.user_id == community["waiting"].id)).scalar_one()
    assert waiting_booking.status is BookingStatus.CONFIRMED
    assert db.session.execute(sa.select(sa.func.count()).select_from(Booking).where(
        Booking.user_id == resident.id, Booking.status != BookingStatus.CANCELLED,
        Booking.event_id != community["past"].id)).scalar_one() == 0

    # The number can be registered again, as a new account.
    again = accounts.register_user(phone="13912340001", display_name="张桂芳", password="juhua2026", now=now)
    db.session.commit()
    assert again.id != resident.id


def test_the_last_administrator_cannot_delete_their_account(app, now):
    admin = make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN))
    with pytest.raises(LastAdministrator):
        privacy.delete_account(admin, now=now)
    db.session.rollback()
    make_user("李秀兰", roles=(Role.RESIDENT, Role.ADMIN))
    privacy.delete_account(admin, now=now)
    db.session.commit()
    assert db.session.get(User, admin.id).is_deleted


def test_childrens_names_are_erased_some_time_after_their_last_class(app, now):
    parent = make_user("冯晓梅")
    program = make_youth_program(slug="songdu")
    long_ago, lately = now - timedelta(days=400), now - timedelta(days=100)
    old, recent, returning = (make_child(parent, name) for name in ("王小明", "王小雨", "王小刚"))
    youth.book_class(make_event(program, now=long_ago, title="去年的课"), old, parent, now=long_ago)
    youth.book_class(make_event(program, now=lately, title="今年的课"), recent, parent, now=lately)
    youth.book_class(make_event(program, now=long_ago, title="去年的课2"), returning, parent, now=long_ago)
    youth.book_class(make_event(program, title="下周的课"), returning, parent, now=now)
    never_booked = make_child(parent, "王小红")
    db.session.commit()

    assert privacy.anonymize_children(now=now, kept_days=365) == 1
    db.session.commit()
    assert privacy.anonymize_children(now=now, kept_days=365) == 0  # safe to run again
    db.session.expire_all()
    erased = db.session.get(Child, old.id)
    assert erased.is_anonymized and erased.is_removed and "小明" not in erased.name
    assert erased.first_name == erased.name
    for kept in (recent, returning, never_booked):
        assert not db.session.get(Child, kept.id).is_anonymized
    assert [c.name for c in youth.children_of(parent)] == ["王小雨", "王小刚", "王小红"]

    assert privacy.anonymize_children(now=now, kept_days=90) == 1  # the site's setting decides
    db.session.commit()
    assert db.session.get(Child, recent.id).is_anonymized


def test_old_login_records_are_forgotten(app, now):
    user = make_user()
    accounts.start_login(user, now=now - timedelta(days=40))
    accounts.start_login(user, now=now)
    db.session.commit()
    assert privacy.forget_old_logins(now=now, kept=timedelta(days=30)) == 1
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Login)).scalar_one() == 1
