"""Grids, buildings, leaders and grid workers, where people live, and the CSV import."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import AuditEntry, Building, BuildingLeader, Grid, Role, User, db
from services import accounts, buildings
from services.errors import BuildingInUse, BuildingNameTaken, GridNotEmpty, GridNumberTaken
from tests.conftest import make_building, make_resident, make_user


@pytest.fixture
def admin(app):
    return make_user("王建国", roles=(Role.RESIDENT, Role.ORGANIZER, Role.ADMIN))


def test_grids_and_buildings_are_listed_in_the_communitys_order(app, admin, now, count_queries):
    for number in ("10", "2", "1"):
        grid = buildings.create_grid(number=number, name="", actor=admin, now=now)
        for name in ("10号楼", "2号楼", "1号楼"):
            buildings.add_building(grid, name=name, households=None, actor=admin, now=now)
    db.session.commit()
    db.session.expire_all()

    with count_queries() as queries:
        listed = buildings.grids()
    assert [g.number for g in listed] == ["1", "2", "10"]
    assert [b.name for b in listed[0].buildings] == ["1号楼", "2号楼", "10号楼"]
    assert len(queries) == 2


def test_numbers_and_names_are_unique_and_changes_are_audited(app, admin, now):
    grid = buildings.create_grid(number="3", name="幸福里", actor=admin, now=now)
    other = buildings.create_grid(number="4", name="", actor=admin, now=now)
    building = buildings.add_building(grid, name="5号楼", households=40, actor=admin, now=now)
    db.session.commit()

    with pytest.raises(GridNumberTaken):
        buildings.create_grid(number="3", name="", actor=admin, now=now)
    db.session.rollback()
    with pytest.raises(GridNumberTaken):
        buildings.update_grid(other, number="3", name="", actor=admin, now=now)
    db.session.rollback()
    with pytest.raises(BuildingNameTaken):
        buildings.add_building(grid, name="5号楼", households=None, actor=admin, now=now)
    db.session.rollback()
    buildings.update_building(building, name="5号楼", households=42, actor=admin, now=now)
    db.session.commit()

    actions = db.session.execute(sa.select(AuditEntry.action).order_by(AuditEntry.id)).scalars().all()
    assert actions == ["grid.create", "grid.create", "building.create", "building.update"]
    assert db.session.get(Building, building.id).households == 42


def test_a_grid_with_buildings_and_a_building_with_residents_stay(app, admin, now):
    building = make_building()
    make_resident(building)

    with pytest.raises(GridNotEmpty):
        buildings.remove_grid(building.grid, actor=admin, now=now)
    db.session.rollback()
    with pytest.raises(BuildingInUse):
        buildings.remove_building(building, actor=admin, now=now)
    db.session.rollback()
    empty = make_building("7号楼")
    buildings.remove_building(empty, actor=admin, now=now)
    db.session.commit()
    assert db.session.get(Building, empty.id) is None


def test_appointments_carry_the_role_until_the_last_one_ends(app, admin, now):
    first, second = make_building("1号楼"), make_building("2号楼")
    leader = make_user("刘建华")

    assert buildings.appoint_leader(first, leader, actor=admin, now=now)
    assert not buildings.appoint_leader(first, leader, actor=admin, now=now)  # already
    buildings.appoint_leader(second, leader, actor=admin, now=now)
    db.session.commit()
    assert Role.BUILDING_LEADER in leader.roles

    buildings.dismiss_leader(first, leader.id, actor=admin, now=now)
    db.session.commit()
    assert Role.BUILDING_LEADER in leader.roles
    buildings.dismiss_leader(second, leader.id, actor=admin, now=now)
    db.session.commit()
    assert Role.BUILDING_LEADER not in db.session.get(User, leader.id).roles

    worker = make_user("赵网格")
    buildings.appoint_worker(first.grid, worker, actor=admin, now=now)
    db.session.commit()
    assert Role.GRID_WORKER in worker.roles


def test_the_roles_form_leaves_appointed_roles_alone(app, admin, now):
    leader = make_user("刘建华")
    buildings.appoint_leader(make_building(), leader, actor=admin, now=now)
    db.session.commit()

    accounts.set_roles(leader, {Role.VOLUNTEER})
    db.session.commit()
    assert leader.roles == {Role.RESIDENT, Role.VOLUNTEER, Role.BUILDING_LEADER}


def test_leaders_look_after_their_buildings_and_workers_their_grids(app, admin, now):
    led, neighbour, elsewhere = make_building("1号楼"), make_building("2号楼"), make_building("9号楼", grid="13")
    leader, worker = make_user("刘建华"), make_user("赵网格")
    buildings.appoint_leader(led, leader, actor=admin, now=now)
    buildings.appoint_worker(led.grid, worker, actor=admin, now=now)
    db.session.commit()
    mine, next_door, far = make_resident(led), make_resident(neighbour), make_resident(elsewhere)

    assert [b.id for b in buildings.care_of(leader)] == [led.id]
    assert [b.id for b in buildings.care_of(worker)] == [led.id, neighbour.id]
    assert buildings.cares_for(leader, mine.id) and not buildings.cares_for(leader, next_door.id)
    assert buildings.cares_for(worker, next_door.id) and not buildings.cares_for(worker, far.id)
    assert buildings.cares_for(admin, far.id)
    assert not buildings.cares_for(make_user("张桂芳"), mine.id)
    assert not buildings.cares_for(leader, 2**40)


def test_a_home_is_a_building_from_the_list_with_unit_and_room(app, now):
    building = make_building()
    person = make_user()

    buildings.set_residence(person, building, unit="2单元", room="301", now=now)
    db.session.commit()
    home = buildings.residence_of(person)
    assert (home.building.name, home.unit, home.room) == ("3号楼", "2单元", "301")

    buildings.clear_residence(person)
    db.session.commit()
    assert buildings.residence_of(person) is None


CSV = """网格,楼栋,楼长手机,楼长姓名,户数
12,3号楼,13900000001,刘建华,48
12,5号楼,13700000099,,36
13,1号楼,,,
"""


def test_the_import_makes_grids_buildings_and_leaders(app, admin, now):
    known = make_user("刘建华", phone="13900000001")

    result = buildings.import_list(CSV, actor=admin, now=now)
    db.session.commit()

    assert (result.grids, result.buildings, result.leaders, result.accounts) == (2, 3, 2, 1)
    grids = buildings.grids()
    assert [(g.number, [(b.name, b.households) for b in g.buildings]) for g in grids] == [
        ("12", [("3号楼", 48), ("5号楼", 36)]), ("13", [("1号楼", None)]),
    ]
    new_leader = accounts.find_by_phone("13700000099")
    assert not accounts.is_claimed(new_leader) and Role.BUILDING_LEADER in new_leader.roles
    assert Role.BUILDING_LEADER in db.session.get(User, known.id).roles

    again = buildings.import_list(CSV, actor=admin, now=now)  # importing again changes nothing
    db.session.commit()
    assert (again.grids, again.buildings, again.leaders, again.accounts) == (0, 0, 0, 0)
    assert db.session.execute(sa.select(sa.func.count()).select_from(BuildingLeader)).scalar_one() == 2


def test_an_import_with_a_bad_line_imports_nothing_and_names_the_lines(app, admin, now):
    text = "12,3号楼,13900000001\n12,,13900000002\n13,1号楼,12345\n14,2号楼,,,很多\n"

    with pytest.raises(buildings.ImportProblems) as refused:
        buildings.import_list(text, actor=admin, now=now)
    db.session.rollback()

    assert [line for line, _message in refused.value.problems] == [2, 3, 4]
    assert "12345" in refused.value.problems[1][1]
    assert db.session.execute(sa.select(sa.func.count()).select_from(Grid)).scalar_one() == 0


def test_an_import_reads_excels_chinese_encoding_and_english_headers(app, admin, now):
    assert buildings.decode_upload(CSV.encode("gb18030")) == CSV
    assert buildings.decode_upload("\ufeff".encode() + CSV.encode()) == CSV

    result = buildings.import_list("Building,Grid\n3号楼,12\n", actor=admin, now=now)
    db.session.commit()
    assert (result.grids, result.buildings) == (1, 1)
    with pytest.raises(buildings.ImportProblems):
        buildings.import_list("\n\n", actor=admin, now=now)
