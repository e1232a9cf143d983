"""Points across the community through the client: my points and the reward list, asking
to redeem and giving it up, organizers handing rewards over, crediting service."""
from __future__ import annotations

import sqlalchemy as sa

from models import Redemption, RedemptionStatus, Role, ServiceActivity, db
from services import buildings, points, rewards
from services.dates import now_utc
from tests.blueprints.conftest import alerts, field_errors, visible_text
from tests.conftest import fresh_client, login, make_building, make_resident, make_user


def organizer():
    return make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))


def with_points(by, amount: int, name: str = "张桂芳"):
    person = make_user(name)
    points.credit_service(person, minutes=60, points=amount, activity=ServiceActivity.HELPING, reason="帮忙",
                          by=by, now=now_utc())
    db.session.commit()
    return person


def towel(price=20, stock=2):
    admin = make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN))
    item = rewards.create_item(name="毛巾", description="纯棉", points_price=price, stock=stock, actor=admin,
                               now=now_utc())
    db.session.commit()
    return item


def test_a_resident_exchanges_points_after_confirming_and_can_give_it_up(app, client):
    person = with_points(organizer(), 30)
    item = towel()
    login(client, person)

    text = visible_text(client.get("/points/"))
    assert "毛巾" in text and "30" in text
    confirm = client.get(f"/points/rewards/{item.id}/redeem")
    assert confirm.status_code == 200 and db.session.execute(sa.select(Redemption)).first() is None

    client.post(f"/points/rewards/{item.id}/redeem")
    request = db.session.execute(sa.select(Redemption)).scalar_one()
    assert request.status is RedemptionStatus.REQUESTED and points.totals_of(person).points == 10

    client.post(f"/points/requests/{request.id}/cancel")
    assert db.session.get(Redemption, request.id).status is RedemptionStatus.CANCELLED
    assert points.totals_of(person).points == 30


def test_not_enough_points_is_said_plainly(app, client):
    person = with_points(organizer(), 5)
    item = towel(price=20)
    login(client, person)
    response = client.post(f"/points/rewards/{item.id}/redeem", follow_redirects=True)
    assert "5" in alerts(response)[-1] and "20" in alerts(response)[-1]
    assert db.session.execute(sa.select(Redemption)).first() is None


def test_someone_elses_request_is_not_mine_to_cancel(app, client):
    giver = organizer()
    request = rewards.request_redemption(towel(), with_points(giver, 30), now=now_utc())
    db.session.commit()
    login(client, make_user("别人"))
    assert client.post(f"/points/requests/{request.id}/cancel").status_code == 404
    assert client.post("/points/requests/999999/cancel").status_code == 404


def test_organizers_hand_over_or_decline_with_a_reason(app, client):
    staff = organizer()
    person = with_points(staff, 50)
    item = towel()
    first = rewards.request_redemption(item, person, now=now_utc())
    second = rewards.request_redemption(item, person, now=now_utc())
    db.session.commit()

    resident = fresh_client(app)
    login(resident, person)
    assert resident.get("/points/requests").status_code == 403

    login(client, staff)
    assert "毛巾" in visible_text(client.get("/points/requests"))
    client.post(f"/points/requests/{first.id}/hand-over")
    assert db.session.get(Redemption, first.id).status is RedemptionStatus.HANDED_OVER
    refused = client.post(f"/points/requests/{second.id}/decline", data={"reason": ""})
    assert refused.status_code == 400
    client.post(f"/points/requests/{second.id}/decline", data={"reason": "这批有瑕疵"})
    assert db.session.get(Redemption, second.id).status is RedemptionStatus.DECLINED
    assert points.totals_of(person).points == 30
    again = client.post(f"/points/requests/{first.id}/hand-over", follow_redirects=True)
    assert alerts(again)


def test_grid_workers_credit_service_in_their_grids_only(app, client, now):
    admin = make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN))
    worker = make_user("赵网格")
    here = make_building("1号楼")
    buildings.appoint_worker(here.grid, worker, actor=admin, now=now)
    db.session.commit()
    mine, far = make_resident(here, "本网格居民"), make_resident(make_building("2号楼", grid="99"), "外网格居民")
    login(client, worker)

    found = visible_text(client.get("/points/credit?q=网格居民"))
    assert "本网格居民" in found and "外网格居民" not in found
    assert client.get(f"/points/credit/{far.id}").status_code == 404
    missing = client.post(f"/points/credit/{mine.id}", data={
        "activity": "visit", "served_on": now.date().isoformat(), "reason": "走访",
    })
    assert missing.status_code == 400 and field_errors(missing, "hours")
    client.post(f"/points/credit/{mine.id}", data={
        "activity": "visit", "served_on": now.astimezone().date().isoformat(), "hours": "1.5", "points": "8",
        "reason": "走访 3 号楼 12 户",
    })
    assert points.totals_of(mine) == points.Totals(90, 8)


def test_residents_cant_credit_anyone(app, client):
    login(client, make_user("张桂芳"))
    assert client.get("/points/credit").status_code == 403
    assert client.get("/points/credit/1").status_code == 403
