"""Administrators' grid, building, reward and honour pages, the CSV import and merging a
neighbour's record into their account (registered on the admin blueprint)."""
from __future__ import annotations

import io

import pytest
import sqlalchemy as sa

from models import Building, BuildingLeader, Grid, Honour, OfflineResident, RewardItem, Role, User, db
from services import households
from tests.blueprints.conftest import alerts, field_errors, visible_text
from tests.conftest import login, make_building, make_event, make_resident, make_user


@pytest.fixture
def admin(app):
    return make_user("王建国", roles=(Role.RESIDENT, Role.ORGANIZER, Role.ADMIN))


@pytest.fixture
def as_admin(client, admin):
    login(client, admin)
    return client


def test_only_admins(app, client):
    login(client, make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER)))
    for url in ("/admin/grids", "/admin/rewards", "/admin/honours", "/admin/offline-residents"):
        assert client.get(url).status_code == 403


def test_grids_buildings_leaders_and_workers_are_managed_on_the_grid_page(app, as_admin):
    as_admin.post("/admin/grids", data={"number": "12", "name": "幸福里"})
    grid = db.session.execute(sa.select(Grid)).scalar_one()
    duplicate = as_admin.post("/admin/grids", data={"number": "12", "name": ""})
    assert duplicate.status_code == 400 and field_errors(duplicate, "number")

    as_admin.post(f"/admin/grids/{grid.id}/buildings", data={"name": "3号楼", "households": "48"})
    building = db.session.execute(sa.select(Building)).scalar_one()
    leader = make_user("刘建华", phone="13900000001")
    unknown = as_admin.post(f"/admin/buildings/{building.id}/leaders", data={f"l{building.id}-phone": "13700000000"})
    assert unknown.status_code == 400 and field_errors(unknown, f"l{building.id}-phone")
    as_admin.post(f"/admin/buildings/{building.id}/leaders", data={f"l{building.id}-phone": "139 0000 0001"})
    assert Role.BUILDING_LEADER in db.session.get(User, leader.id).roles
    worker = make_user("赵网格", phone="13900000002")
    as_admin.post(f"/admin/grids/{grid.id}/workers", data={"w-phone": "13900000002"})
    assert Role.GRID_WORKER in db.session.get(User, worker.id).roles

    text = visible_text(as_admin.get(f"/admin/grids/{grid.id}"))
    assert "刘建华" in text and "赵网格" in text and "3号楼" in text
    as_admin.post(f"/admin/buildings/{building.id}/leaders/{leader.id}/remove")
    assert Role.BUILDING_LEADER not in db.session.get(User, leader.id).roles
    bad_households = as_admin.post(f"/admin/buildings/{building.id}/edit",
                                   data={f"b{building.id}-name": "3号楼", f"b{building.id}-households": "-3"})
    assert bad_households.status_code == 400


def test_the_import_shows_what_is_wrong_and_imports_nothing(app, as_admin):
    bad = "网格,楼栋,楼长手机\n12,3号楼,13900000001\n12,,139\n".encode("gb18030")
    response = as_admin.post("/admin/grids/import", data={"file": (io.BytesIO(bad), "list.csv")},
                             content_type="multipart/form-data")
    assert response.status_code == 400 and "3" in visible_text(response)
    assert db.session.execute(sa.select(Grid)).first() is None

    good = "网格,楼栋,楼长手机,楼长姓名,户数\n12,3号楼,13900000001,刘建华,48\n12,5号楼,,,\n".encode("utf-8-sig")
    done = as_admin.post("/admin/grids/import", data={"file": (io.BytesIO(good), "list.csv")},
                         content_type="multipart/form-data", follow_redirects=True)
    assert done.status_code == 200 and alerts(done)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Building)).scalar_one() == 2
    assert db.session.execute(sa.select(sa.func.count()).select_from(BuildingLeader)).scalar_one() == 1
    empty = as_admin.post("/admin/grids/import", data={}, content_type="multipart/form-data")
    assert empty.status_code == 400


def test_the_grid_view_marks_buildings_the_programs_dont_reach(app, as_admin):
    reached, unreached = make_building("3号楼"), make_building("5号楼")
    text = visible_text(as_admin.get(f"/admin/grids/{reached.grid_id}"))
    assert "5号楼" in text and "3号楼" in text
    assert as_admin.get(f"/admin/grids/{reached.grid_id}?period=quarter").status_code == 200
    assert as_admin.get(f"/admin/grids/{reached.grid_id}?period=nonsense").status_code == 200
    assert as_admin.get("/admin/grids/999999").status_code == 404


def test_a_neighbours_record_is_merged_into_their_account_after_a_second_look(app, as_admin, now):
    leader = make_user("刘建华")
    building = make_building(leaders=[leader])
    record = households.add_offline_resident(leader, name="王桂英", building=building, consent=True, now=now)
    event = make_event()
    households.book_for(leader, record, event, now=now)
    db.session.commit()
    account = make_user("王桂英", phone="13966667777")

    check = as_admin.post(f"/admin/offline-residents/{record.id}/merge", data={"phone": "13966667777"})
    assert check.status_code == 200 and db.session.get(OfflineResident, record.id).merged_into_id is None
    as_admin.post(f"/admin/offline-residents/{record.id}/merge", data={"phone": "13966667777", "confirm": "1"})
    assert db.session.get(OfflineResident, record.id).merged_into_id == account.id
    assert as_admin.post(f"/admin/offline-residents/{record.id}/merge",
                         data={"phone": "13966667777", "confirm": "1"}).status_code == 404


def test_rewards_are_added_priced_and_stocked(app, as_admin):
    as_admin.post("/admin/rewards", data={"name": "洗衣液", "points": "30", "stock": "5"})
    item = db.session.execute(sa.select(RewardItem)).scalar_one()
    assert (item.points, item.left) == (30, 5)
    refused = as_admin.post(f"/admin/rewards/{item.id}/stock", data={f"s{item.id}-left": "-1"})
    assert refused.status_code == 400
    as_admin.post(f"/admin/rewards/{item.id}/stock", data={f"s{item.id}-left": "0"})
    assert db.session.get(RewardItem, item.id).left == 0
    as_admin.post(f"/admin/rewards/{item.id}/retire")
    assert db.session.get(RewardItem, item.id).is_retired


def test_honours_are_awarded_by_number_or_unique_name_and_shown_on_the_board(app, as_admin, now):
    make_user("孙秀英", phone="13900000007")
    leader = make_user("刘建华")
    building = make_building(leaders=[leader])
    households.add_offline_resident(leader, name="王桂英", building=building, consent=True, now=now)
    make_user("重名", phone="13900000008")
    make_user("重名", phone="13900000009")
    db.session.commit()

    as_admin.post("/admin/honours", data={"person": "13900000007", "title": "孝善之星", "year": "2026",
                                          "citation": "十年如一日照顾婆婆"})
    as_admin.post("/admin/honours", data={"person": "王桂英", "title": "身边榜样", "year": "2026"})
    ambiguous = as_admin.post("/admin/honours", data={"person": "重名", "title": "身边榜样", "year": "2026"})
    assert ambiguous.status_code == 400 and field_errors(ambiguous, "person")
    assert db.session.execute(sa.select(sa.func.count()).select_from(Honour)).scalar_one() == 2

    from models import Program, ProgramKind

    db.session.add(Program(kind=ProgramKind.LECTURE_TEAM, slug="pugongying", name="蒲公英宣讲队"))
    db.session.commit()
    board = visible_text(as_admin.get("/lecture-team/honour-board"))
    assert "孝善之星" in board and "孙秀英" in board and "十年如一日照顾婆婆" in board and "王桂英" in board
