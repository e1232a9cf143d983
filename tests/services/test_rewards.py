"""Points across the community: service credited beyond the lecture team, the reward list,
redemptions that never overdraw stock or balance (also under a race), and honours.

The races run against a file-based SQLite database, and against PostgreSQL when
``TEST_DATABASE_URL`` is set (CI does both)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import (
    EntryKind, Honour, Quota, Redemption, RedemptionStatus, RewardItem, Role, ServiceActivity, ServiceEntry, User, db,
)
from services import buildings, points, rewards
from services.dates import now_utc
from services.errors import (
    HonourGiven, NotAllowedToCredit, NotEnoughPoints, NothingToChange, OutOfStock, ReasonRequired,
    RedemptionDecided, RewardError, RewardWithdrawn,
)
from tests.conftest import make_building, make_resident, make_user
from tests.services.test_race import race


@pytest.fixture
def organizer(app):
    return make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))


@pytest.fixture
def admin(app):
    return make_user("王建国", roles=(Role.RESIDENT, Role.ORGANIZER, Role.ADMIN))


def rich(organizer, points_balance: int, name: str = "张桂芳") -> User:
    user = make_user(name)
    points.credit_service(user, minutes=60, points=points_balance, activity=ServiceActivity.HELPING,
                          reason="书画笔会帮忙布置", by=organizer, now=now_utc())
    db.session.commit()
    return user


def item(admin, *, price: int = 20, stock: int = 3, name: str = "毛巾") -> RewardItem:
    made = rewards.create_item(name=name, description="纯棉", points_price=price, stock=stock, actor=admin,
                               now=now_utc())
    db.session.commit()
    return made


# --- service beyond the team ---------------------------------------------------------------


def test_organizers_credit_service_anywhere_grid_workers_in_their_grids(app, organizer, admin, now):
    leader, worker = make_user("刘建华"), make_user("赵网格")
    here, there = make_building("1号楼", leaders=[leader]), make_building("1号楼", grid="99")
    buildings.appoint_worker(here.grid, worker, actor=admin, now=now)
    db.session.commit()
    resident, far = make_resident(here), make_resident(there, "外网格")

    visit = points.credit_service(leader, minutes=120, points=10, activity=ServiceActivity.VISIT,
                                  reason="走访 3 号楼 12 户", by=worker, now=now)
    points.credit_service(resident, minutes=0, points=5, activity=ServiceActivity.HELPING, reason="社区篮球赛场务",
                          by=worker, now=now)
    points.credit_service(far, minutes=30, points=3, activity=ServiceActivity.OTHER, reason="清理楼道",
                          by=organizer, now=now)
    db.session.commit()
    assert (visit.kind, visit.activity, visit.recorded_by_id) == (EntryKind.SERVICE, ServiceActivity.VISIT, worker.id)
    assert points.totals_of(leader) == points.Totals(120, 10)

    with pytest.raises(NotAllowedToCredit):
        points.credit_service(far, minutes=30, points=3, activity=ServiceActivity.OTHER, reason="x", by=worker, now=now)
    db.session.rollback()
    with pytest.raises(NotAllowedToCredit):
        points.credit_service(far, minutes=30, points=3, activity=ServiceActivity.OTHER, reason="x", by=leader, now=now)
    db.session.rollback()
    with pytest.raises(NothingToChange):
        points.credit_service(far, minutes=0, points=-5, activity=ServiceActivity.OTHER, reason="x", by=organizer, now=now)
    with pytest.raises(ReasonRequired):
        points.credit_service(far, minutes=10, points=0, activity=ServiceActivity.OTHER, reason=" ", by=organizer, now=now)
    assert [u.id for u in points.people_to_credit(worker, "外网格")] == []
    assert [u.id for u in points.people_to_credit(organizer, "外网格")] == [far.id]
    assert [u.id for u in points.people_to_credit(leader, "外网格")] == []


def test_community_service_counts_on_the_honour_board(app, organizer, now):
    person = rich(organizer, 5)
    board = points.honour_board(now=now)
    assert [line.user_id for line in board["year"]] == [person.id]


# --- the reward list and redemptions -----------------------------------------------------------


def test_asking_spends_the_points_and_sets_one_item_aside(app, organizer, admin, now):
    person = rich(organizer, 50)
    towel = item(admin, price=20, stock=3)

    request = rewards.request_redemption(towel, person, now=now)
    db.session.commit()

    assert request.status is RedemptionStatus.REQUESTED and request.points == 20
    assert points.totals_of(person).points == 30
    assert db.session.get(Quota, towel.stock_quota_id).taken == 1 and towel.left == 2
    spend = db.session.get(ServiceEntry, request.spend_entry_id)
    assert spend.kind is EntryKind.REDEMPTION and spend.points == -20

    rewards.hand_over(request, organizer=organizer, now=now)
    db.session.commit()
    assert request.status is RedemptionStatus.HANDED_OVER and request.decided_by_id == organizer.id
    with pytest.raises(RedemptionDecided):
        rewards.cancel_redemption(request, person, now=now)


def test_cancelling_or_declining_gives_points_and_item_back(app, organizer, admin, now):
    person = rich(organizer, 50)
    towel = item(admin, price=20, stock=1)
    first = rewards.request_redemption(towel, person, now=now)
    db.session.commit()
    with pytest.raises(OutOfStock):
        rewards.request_redemption(towel, rich(organizer, 50, "另一位"), now=now)
    db.session.rollback()

    rewards.cancel_redemption(first, person, now=now)
    db.session.commit()
    assert points.totals_of(person).points == 50 and towel.stock.left == 1
    assert db.session.get(ServiceEntry, first.refund_entry_id).kind is EntryKind.REFUND

    second = rewards.request_redemption(towel, person, now=now)
    db.session.commit()
    with pytest.raises(ReasonRequired):
        rewards.decline_redemption(second, reason="", organizer=organizer, now=now)
    db.session.rollback()
    rewards.decline_redemption(second, reason="这批毛巾有瑕疵，下月补货", organizer=organizer, now=now)
    db.session.commit()
    assert second.status is RedemptionStatus.DECLINED and points.totals_of(person).points == 50
    with pytest.raises(RedemptionDecided):
        rewards.hand_over(second, organizer=organizer, now=now)


def test_no_redemption_beyond_the_balance_or_of_a_withdrawn_item(app, organizer, admin, now):
    person = rich(organizer, 10)
    towel = item(admin, price=20)
    with pytest.raises(NotEnoughPoints):
        rewards.request_redemption(towel, person, now=now)
    db.session.rollback()
    assert towel.stock.taken == 0
    rewards.retire_item(towel, retired=True, actor=admin, now=now)
    db.session.commit()
    with pytest.raises(RewardWithdrawn):
        rewards.request_redemption(towel, rich(organizer, 100, "富有"), now=now)
    db.session.rollback()
    assert rewards.reward_list() == [] and rewards.reward_list(include_retired=True) == [towel]


def test_someone_else_cant_cancel_my_request(app, organizer, admin, now):
    person = rich(organizer, 50)
    request = rewards.request_redemption(item(admin), person, now=now)
    db.session.commit()
    with pytest.raises(RedemptionDecided):
        rewards.cancel_redemption(request, make_user("别人"), now=now)


def test_the_stock_left_is_set_under_the_lock_and_never_below_what_is_promised(app, organizer, admin, now):
    person = rich(organizer, 100)
    towel = item(admin, stock=2)
    rewards.request_redemption(towel, person, now=now)
    rewards.set_stock(towel, 5, actor=admin, now=now)
    db.session.commit()
    assert (towel.stock.capacity, towel.stock.taken, towel.left) == (6, 1, 5)
    with pytest.raises(RewardError):
        rewards.set_stock(towel, -1, actor=admin, now=now)
    with pytest.raises(RewardError):
        rewards.create_item(name="", description="", points_price=5, stock=1, actor=admin, now=now)
    with pytest.raises(RewardError):
        rewards.create_item(name="肥皂", description="", points_price=0, stock=1, actor=admin, now=now)


RACERS = 12


def _asker(item_id: int, user_id: int):
    def job():
        try:
            rewards.request_redemption(db.session.get(RewardItem, item_id), db.session.get(User, user_id),
                                       now=now_utc())
        except (OutOfStock, NotEnoughPoints):
            db.session.rollback()
    return job


def test_a_crowd_racing_for_the_last_items_never_overdraws_the_stock(app, organizer, admin):
    towel = item(admin, price=10, stock=3)
    people = [rich(organizer, 10, f"居民{i}") for i in range(RACERS)]
    db.session.remove()

    race(app, [_asker(towel.id, person.id) for person in people])

    requests = db.session.execute(sa.select(Redemption)).scalars().all()
    assert len(requests) == 3
    assert db.session.get(Quota, db.session.get(RewardItem, towel.id).stock_quota_id).taken == 3
    balances = sorted(points.totals_of(db.session.get(User, p.id)).points for p in people)
    assert balances == [0] * 3 + [10] * (RACERS - 3)


def test_one_person_asking_from_many_phones_at_once_never_overdraws_the_balance(app, organizer, admin):
    person = rich(organizer, 50)
    items = [item(admin, price=20, stock=5, name=f"礼品{i}") for i in range(4)]
    db.session.remove()

    race(app, [_asker(it.id, person.id) for it in items for _ in range(3)])

    assert db.session.execute(sa.select(sa.func.count()).select_from(Redemption)).scalar_one() == 2
    assert points.totals_of(db.session.get(User, person.id)).points == 10
    taken = db.session.execute(sa.select(sa.func.sum(Quota.taken)).where(
        Quota.id.in_([it.stock_quota_id for it in items]))).scalar_one()
    assert taken == 2


# --- honours ----------------------------------------------------------------------------------


def test_honours_are_given_once_a_year_and_listed_by_year(app, admin, now, count_queries):
    a, b = make_user("孙秀英"), make_user("周国庆")
    rewards.give_honour(a, title="孝善之星", year=2025, citation="十年如一日照顾瘫痪的婆婆", actor=admin, now=now)
    rewards.give_honour(b, title="身边榜样", year=2026, citation="义务修理楼道灯", actor=admin, now=now)
    rewards.give_honour(a, title="最美志愿者", year=2026, citation="", actor=admin, now=now)
    db.session.commit()
    with pytest.raises(HonourGiven):
        rewards.give_honour(a, title="孝善之星", year=2025, citation="", actor=admin, now=now)
    db.session.rollback()
    with pytest.raises(RewardError):
        rewards.give_honour(a, title="孝善之星", year=1999, citation="", actor=admin, now=now)
    db.session.rollback()

    with count_queries() as queries:
        listed = [(year, [(h.title, h.user.display_name) for h in honours])
                  for year, honours in rewards.honours_by_year()]
    assert listed == [(2026, [("最美志愿者", "孙秀英"), ("身边榜样", "周国庆")]), (2025, [("孝善之星", "孙秀英")])]
    assert len(queries) == 1

    honour = db.session.execute(sa.select(Honour).where(Honour.year == 2025)).scalar_one()
    rewards.withdraw_honour(honour, actor=admin, now=now)
    db.session.commit()
    assert [year for year, _ in rewards.honours_by_year()] == [2026]
