"""Who we reach (/attendance/reach): the dashboard by grid and building, with its chart
and exports, for organizers (every grid) and grid workers (their own)."""
from __future__ import annotations

import io
from datetime import datetime, timedelta

from openpyxl import load_workbook

from models import Attendance, AttendanceStatus, Booking, BookingStatus, CheckInMethod, Role, db
from services import buildings
from services.dates import LOCAL_TZ
from tests.blueprints.conftest import page, visible_text
from tests.conftest import fresh_client, login, make_building, make_event, make_program, make_resident, make_user

MID_MAY = datetime(2026, 5, 20, 10, 0, tzinfo=LOCAL_TZ)


def came(event, person):
    booking = Booking(quota_id=event.seat_quota_id, event_id=event.id, user_id=person.id,
                      status=BookingStatus.CONFIRMED, created_at=MID_MAY, confirmed_at=MID_MAY)
    db.session.add(booking)
    db.session.flush()
    db.session.add(Attendance(event_id=event.id, booking_id=booking.id, user_id=person.id,
                              status=AttendanceStatus.PRESENT, method=CheckInMethod.ORGANIZER))
    db.session.commit()


def test_the_reach_page_charts_and_exports_the_hand_counted_numbers(app, client, time_machine):
    time_machine.move_to(MID_MAY, tick=False)
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    three = make_building("3号楼", grid="12", households=4)
    five = make_building("5号楼", grid="12", households=2)
    event = make_event(make_program(organizers=[organizer]), starts_in=timedelta(days=-5), now=MID_MAY)
    came(event, make_resident(three, "甲", room="101"))
    came(event, make_resident(three, "乙", room="102"))
    make_resident(five, "丙", room="201")
    login(client, organizer)

    response = client.get(f"/attendance/reach?grid={three.grid_id}")
    assert response.status_code == 200 and "<svg" in page(response) and "<script>" not in page(response)
    text = visible_text(response)
    assert "3号楼 4 2 2 2 50%" in text and "5号楼 未覆盖 2 0 0 0 0%" in text

    sheet = load_workbook(io.BytesIO(client.get("/attendance/reach.xlsx?period=month").data)).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    assert rows[1][2:] == ["3号楼", 2, 4, "是", 2, 2, 2, 50]
    csv_text = client.get("/attendance/reach.csv").data.decode("utf-8-sig")
    assert "5号楼" in csv_text


def test_grid_workers_see_their_own_grids_and_residents_nothing(app, client, now):
    admin = make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN))
    worker = make_user("赵网格")
    mine, other = make_building("1号楼", grid="12"), make_building("9号楼", grid="13")
    buildings.appoint_worker(mine.grid, worker, actor=admin, now=now)
    db.session.commit()
    login(client, worker)
    text = visible_text(client.get("/attendance/reach"))
    assert "1号楼" in text and "9号楼" not in text
    assert "9号楼" not in visible_text(client.get(f"/attendance/reach?grid={other.grid_id}"))

    resident = fresh_client(app)
    login(resident, make_user("张桂芳"))
    assert resident.get("/attendance/reach").status_code == 403
