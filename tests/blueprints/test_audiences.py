"""Events for a group through the client: organizers say whom an event is for; others
don't see it in lists, on its page or in feeds, and can't book it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import AudienceKind, Booking, EventAudience, ProgramKind, Role, db
from services import audiences
from tests.blueprints.conftest import alerts, visible_text
from tests.conftest import fresh_client, login, make_building, make_event, make_program, make_troupe, make_user


@pytest.fixture
def organizer(app):
    return make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))


@pytest.fixture
def program(organizer):
    return make_program(organizers=[organizer])


def test_an_organizer_makes_a_lecture_a_training_for_building_leaders(app, client, organizer, program, now):
    training = make_event(program, title="楼长普法培训：观看电影《第二十条》")
    login(client, organizer)
    assert "楼长普法培训" in visible_text(client.get(f"/lectures/{training.id}"))

    client.post(f"/audiences/events/{training.id}", data={"kind": "building_leaders"})
    assert db.session.get(EventAudience, training.id).kind is AudienceKind.BUILDING_LEADERS

    leader = make_user("刘建华")
    make_building(leaders=[leader])
    resident = make_user("张桂芳")
    for person, sees in ((leader, True), (resident, False)):
        browser = fresh_client(app)
        login(browser, person)
        assert ("楼长普法培训" in visible_text(browser.get("/lectures/"))) is sees
        assert ("楼长普法培训" in visible_text(browser.get("/"))) is sees
        assert browser.get(f"/lectures/{training.id}").status_code == (200 if sees else 404)
        assert browser.post(f"/lectures/{training.id}/book").status_code in ((302,) if sees else (404,))
    anonymous = fresh_client(app)
    assert "楼长普法培训" not in visible_text(anonymous.get("/lectures/"))
    assert "楼长普法培训" not in anonymous.get("/calendar/all.ics").get_data(as_text=True)
    assert anonymous.get(f"/calendar/events/{training.id}.ics").status_code == 404
    assert [b.user_id for b in db.session.execute(sa.select(Booking)).scalars()] == [leader.id]


def test_a_grid_or_troupe_group_needs_its_grid_or_troupe(app, client, organizer, program):
    event = make_event(program)
    login(client, organizer)
    response = client.post(f"/audiences/events/{event.id}", data={"kind": "grid", "grid_id": "0"})
    assert response.status_code == 400 and audiences.audience_of(event) is None
    building = make_building()
    client.post(f"/audiences/events/{event.id}", data={"kind": "grid", "grid_id": str(building.grid_id)})
    assert audiences.audience_of(event).grid_id == building.grid_id
    troupe = make_troupe()
    client.post(f"/audiences/events/{event.id}", data={"kind": "troupe", "troupe_id": str(troupe.id)})
    assert audiences.audience_of(event).program_id == troupe.id
    client.post(f"/audiences/events/{event.id}", data={"kind": "everyone"})
    assert audiences.audience_of(event) is None


def test_only_the_programs_organizers_set_the_group(app, client, program):
    event = make_event(program)
    login(client, make_user("别的组织者", roles=(Role.RESIDENT, Role.ORGANIZER)))
    assert client.get(f"/audiences/events/{event.id}").status_code == 403
    assert client.get("/audiences/events/999999").status_code == 404
