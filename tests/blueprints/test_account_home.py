"""Where I live (/account/home): a building chosen from the list, never typed."""
from __future__ import annotations

from models import Residence, db
from services import buildings
from tests.blueprints.conftest import field_errors, visible_text
from tests.conftest import login, make_building, make_user


def test_a_resident_chooses_their_building_and_can_take_it_back(app, client):
    leader = make_user("刘建华")
    building = make_building("3号楼", leaders=[leader])
    make_building("1号楼", grid="13")
    person = make_user("张桂芳")
    login(client, person)

    page = visible_text(client.get("/account/home"))
    assert "3号楼" in page and "1号楼" in page
    client.post("/account/home", data={"building_id": building.id, "unit": "2单元", "room": "301"})
    home = db.session.get(Residence, person.id)
    assert (home.building_id, home.unit, home.room) == (building.id, "2单元", "301")
    assert "刘建华" in visible_text(client.get("/account/home"))

    client.post("/account/home", data={"building_id": building.id, "forget": "y"})
    assert db.session.get(Residence, person.id) is None


def test_a_building_not_on_the_list_is_refused(app, client):
    make_building()
    person = make_user()
    login(client, person)
    for value in ("0", "99999", "不存在"):
        response = client.post("/account/home", data={"building_id": value})
        assert response.status_code == 400 and field_errors(response, "building_id")
    assert buildings.residence_of(person) is None
