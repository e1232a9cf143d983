"""The reward list (积分兑换): items with a price in points and a stock; residents ask to
redeem, an organizer hands the item over; and the honours the community awards.

Asking to redeem spends the points at once (a ``redemption`` line in the ledger) and sets
one item aside, in one transaction, in the house's lock order: the person's row first
(:func:`services.locks.lock_person`, which serialises their ledger), then the item's stock
quota (:func:`services.capacity.lock_quota`). The stock is taken with the guarded write of
:mod:`services.capacity` and the database refuses ``taken > capacity``; the ledger refuses
a balance below zero. So two people racing for the last item, or one person asking for
more than their points cover from two phones at once, can't overdraw either. Cancelling or
declining a request gives both back (a ``refund`` line, the item to the stock).
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import contains_eager, joinedload

from models import Honour, Quota, Redemption, RedemptionStatus, RewardItem, User, db

from . import accounts, audit, buildings, capacity, points
from .db import begin_write
from .errors import (
    HonourGiven, NameNotFound, NameNotUnique, NotEnoughPoints, OutOfStock, ReasonRequired, RedemptionDecided,
    RewardError, RewardWithdrawn,
)
from .locks import lock_person

ITEM_FIELDS = ("name", "description", "points", "retired_at")
# Honours the community names in its report, offered as suggestions (any title may be given).
HONOUR_SUGGESTIONS = ("孝善之星", "身边榜样", "最美志愿者", "模范党员", "文明家庭", "优秀红色楼长")


# --- the reward list --------------------------------------------------------------------------


def reward_list(*, include_retired: bool = False) -> list[RewardItem]:
    """The items on the list (with their stock), cheapest first, in one query."""
    query = sa.select(RewardItem).order_by(RewardItem.points, RewardItem.name, RewardItem.id)
    if not include_retired:
        query = query.where(RewardItem.retired_at.is_(None))
    return list(db.session.execute(query).scalars())


def get_item(item_id: int) -> RewardItem | None:
    """The reward item with ``item_id`` (retired ones too), or None."""
    return db.session.get(RewardItem, item_id)


def _check(name: str, points_price: int, stock: int | None = None) -> None:
    if not name.strip():
        raise RewardError(_l("Please give the item a name."))
    if points_price <= 0:
        raise RewardError(_l("The price must be at least 1 point."))
    if stock is not None and stock < 0:
        raise RewardError(_l("The stock can't be below zero."))


def create_item(*, name: str, description: str, points_price: int, stock: int, actor: User, now: datetime) -> RewardItem:
    """Put an item on the reward list with its price and how many there are.

    :raises RewardError: without a name, with a price below 1 or a stock below 0.
    """
    begin_write()
    _check(name, points_price, stock)
    item = RewardItem(name=name.strip(), description=description.strip(), points=points_price,
                      stock=Quota(capacity=stock, taken=0), created_at=now)
    db.session.add(item)
    db.session.flush()
    audit.record("reward.create", actor=actor, now=now, subject_type="reward_items", subject_id=item.id,
                 label=item.name, after={**audit.snapshot(item, ITEM_FIELDS), "stock": stock})
    return item


def update_item(item: RewardItem, *, name: str, description: str, points_price: int, actor: User,
                now: datetime) -> None:
    """Change an item's name, description or price (requests already made keep the
    price they were made at).

    :raises RewardError: without a name or with a price below 1.
    """
    begin_write()
    _check(name, points_price)
    before = audit.snapshot(item, ITEM_FIELDS)
    item.name, item.description, item.points = name.strip(), description.strip(), points_price
    db.session.flush()
    audit.record("reward.update", actor=actor, now=now, subject_type="reward_items", subject_id=item.id,
                 label=item.name, before=before, after=audit.snapshot(item, ITEM_FIELDS))


def set_stock(item: RewardItem, left: int, *, actor: User, now: datetime) -> None:
    """Say how many of the item are left to redeem (e.g. after a delivery, or a count):
    under the stock's lock, so requests being made at the same moment still count.

    :raises RewardError: for a number below zero.
    """
    if left < 0:
        raise RewardError(_l("The stock can't be below zero."))
    stock = capacity.lock_quota(item.stock_quota_id)
    before = {"left": stock.left, "capacity": stock.capacity}
    capacity.set_capacity(item.stock_quota_id, stock.taken + left, now=now)
    db.session.refresh(stock)
    audit.record("reward.stock", actor=actor, now=now, subject_type="reward_items", subject_id=item.id,
                 label=item.name, before=before, after={"left": stock.left, "capacity": stock.capacity})


def retire_item(item: RewardItem, *, retired: bool, actor: User, now: datetime) -> None:
    """Take an item off the list (no new requests) or put it back."""
    begin_write()
    before = audit.snapshot(item, ITEM_FIELDS)
    item.retired_at = now if retired else None
    db.session.flush()
    audit.record("reward.retire" if retired else "reward.restore", actor=actor, now=now,
                 subject_type="reward_items", subject_id=item.id, label=item.name, before=before,
                 after=audit.snapshot(item, ITEM_FIELDS))


# --- redeeming --------------------------------------------------------------------------------


def request_redemption(item: RewardItem, user: User, *, now: datetime) -> Redemption:
    """Ask for one of ``item``: its points leave the balance now and one item is set aside
    until an organizer hands it over.

    :raises RewardWithdrawn: when the item is off the list.
    :raises NotEnoughPoints: when the balance doesn't cover the price.
    :raises OutOfStock: when none are left.
    """
    lock_person(user.id)
    capacity.lock_quota(item.stock_quota_id)
    db.session.refresh(item)
    if item.is_retired:
        raise RewardWithdrawn(item=item.name)
    balance = points.totals_of(user).points
    if balance < item.points:
        raise NotEnoughPoints(balance=balance, points=item.points)
    if not capacity.take_places(item.stock_quota_id, 1):
        raise OutOfStock(item=item.name)
    entry = points.redeem(user, points=item.points, reason=str(_l("Reward: %(item)s", item=item.name)),
                          organizer=user, now=now)
    redemption = Redemption(item_id=item.id, user_id=user.id, points=item.points, status=RedemptionStatus.REQUESTED,
                            requested_at=now, spend_entry_id=entry.id)
    db.session.add(redemption)
    db.session.flush()
    return redemption


def _close(redemption: Redemption, status: RedemptionStatus, *, by: User, reason: str, now: datetime) -> Redemption:
    """Give up an open request: the points come back (a refund line) and the item goes back
    to the stock. The caller holds the person's lock."""
    capacity.lock_quota(redemption.item.stock_quota_id)
    capacity.give_back_places(redemption.item.stock_quota_id, 1)
    entry = points.refund(redemption.user, points=redemption.points, by=by, now=now,
                          reason=reason or str(_l("Reward request given up: %(item)s", item=redemption.item.name)))
    redemption.status, redemption.decided_at, redemption.decided_by_id = status, now, by.id
    redemption.reason, redemption.refund_entry_id = reason, entry.id
    db.session.flush()
    return redemption


def _locked_open(redemption: Redemption) -> Redemption:
    lock_person(redemption.user_id)
    db.session.refresh(redemption)
    if not redemption.is_open:
        raise RedemptionDecided()
    return redemption


def cancel_redemption(redemption: Redemption, user: User, *, now: datetime) -> Redemption:
    """The person gives up their own request before it is handed over.

    :raises RedemptionDecided: when it was already handed over, cancelled or declined.
    """
    begin_write()
    if redemption.user_id != user.id:
        raise RedemptionDecided()
    _locked_open(redemption)
    return _close(redemption, RedemptionStatus.CANCELLED, by=user, reason="", now=now)


def decline_redemption(redemption: Redemption, *, reason: str, organizer: User, now: datetime) -> Redemption:
    """An organizer says no to a request, with the reason the person sees.

    :raises RedemptionDecided: when it was already handed over, cancelled or declined.
    :raises ReasonRequired: without a reason.
    """
    begin_write()
    if not reason.strip():
        raise ReasonRequired()
    _locked_open(redemption)
    return _close(redemption, RedemptionStatus.DECLINED, by=organizer, reason=reason.strip(), now=now)


def hand_over(redemption: Redemption, *, organizer: User, now: datetime) -> Redemption:
    """An organizer confirms giving the item to the person.

    :raises RedemptionDecided: when it was already handed over, cancelled or declined.
    """
    begin_write()
    _locked_open(redemption)
    redemption.status, redemption.decided_at, redemption.decided_by_id = RedemptionStatus.HANDED_OVER, now, organizer.id
    db.session.flush()
    return redemption


def get_redemption(redemption_id: int) -> Redemption | None:
    """The request with ``redemption_id``, with its item and person, or None."""
    return db.session.execute(
        sa.select(Redemption).where(Redemption.id == redemption_id)
        .options(joinedload(Redemption.item), joinedload(Redemption.user))
    ).scalar_one_or_none()


def redemptions_of(user: User, *, limit: int = 30) -> list[Redemption]:
    """The person's requests, newest first, with their items (one query)."""
    return list(db.session.execute(
        sa.select(Redemption).where(Redemption.user_id == user.id)
        .options(joinedload(Redemption.item))
        .order_by(Redemption.requested_at.desc(), Redemption.id.desc())
        .limit(limit)
    ).scalars())


def open_requests() -> list[Redemption]:
    """Requests waiting to be handed over, oldest first, with items and people (one query)."""
    return list(db.session.execute(
        sa.select(Redemption)
        .join(User, User.id == Redemption.user_id)
        .where(Redemption.status == RedemptionStatus.REQUESTED)
        .options(joinedload(Redemption.item), contains_eager(Redemption.user).lazyload(User.role_links))
        .order_by(Redemption.requested_at, Redemption.id)
    ).scalars())


def recently_decided(*, limit: int = 20) -> list[Redemption]:
    """The latest requests handed over or declined, newest first (one query)."""
    return list(db.session.execute(
        sa.select(Redemption)
        .where(Redemption.status.in_([RedemptionStatus.HANDED_OVER, RedemptionStatus.DECLINED]))
        .options(joinedload(Redemption.item), joinedload(Redemption.user).lazyload(User.role_links),
                 joinedload(Redemption.decided_by).lazyload(User.role_links))
        .order_by(Redemption.decided_at.desc(), Redemption.id.desc())
        .limit(limit)
    ).scalars())


# --- honours ----------------------------------------------------------------------------------


def person_for_honour(text: str) -> User:
    """The person an honour is for: by mobile number, or by name for someone without one
    (a neighbour a building leader added) when exactly one active person has that name.

    :raises NumberNotFound, NameNotFound, NameNotUnique: saying what to do instead.
    """
    text = text.strip()
    phone = accounts.normalize_phone(text)
    if accounts.is_valid_phone(phone):
        return buildings.person_by_phone(phone)
    people = db.session.execute(
        sa.select(User).where(User.display_name == text, User.is_active_account.is_(True)).limit(10)
    ).scalars().all()
    if not people:
        raise NameNotFound(name=text)
    if len(people) > 1:
        raise NameNotUnique(name=text, count=len(people))
    return people[0]


def give_honour(user: User, *, title: str, year: int, citation: str, actor: User, now: datetime) -> Honour:
    """Award a named honour (孝善之星, 身边榜样 …) for a year, with its citation.

    :raises HonourGiven: when the person already has it for that year.
    :raises RewardError: without a title, or for a year outside 2000–2100.
    """
    begin_write()
    title = title.strip()
    if not title:
        raise RewardError(_l("Please name the honour."))
    if not 2000 <= year <= 2100:
        raise RewardError(_l("Please give a year between 2000 and 2100."))
    honour = Honour(user_id=user.id, title=title, year=year, citation=citation.strip(), awarded_by_id=actor.id,
                    awarded_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(honour)
            db.session.flush()
    except IntegrityError:
        raise HonourGiven(name=user.display_name, title=title, year=year) from None
    audit.record("honour.give", actor=actor, now=now, subject_type="honours", subject_id=honour.id,
                 label=f"{year} {title} · {user.display_name}",
                 after={"user_id": user.id, "title": title, "year": year, "citation": honour.citation})
    return honour


def withdraw_honour(honour: Honour, *, actor: User, now: datetime) -> None:
    """Take back an honour given by mistake (the audit trail keeps what it said)."""
    begin_write()
    audit.record("honour.withdraw", actor=actor, now=now, subject_type="honours", subject_id=honour.id,
                 label=f"{honour.year} {honour.title}",
                 before={"user_id": honour.user_id, "title": honour.title, "year": honour.year,
                         "citation": honour.citation})
    db.session.delete(honour)
    db.session.flush()


def honours_by_year(*, years: int | None = None) -> list[tuple[int, list[Honour]]]:
    """The honours awarded, newest year first (the latest ``years`` years when given),
    each with the person, in one query."""
    query = (
        sa.select(Honour)
        .join(User, User.id == Honour.user_id)
        .where(User.is_active_account.is_(True))
        .options(contains_eager(Honour.user).lazyload(User.role_links))
        .order_by(Honour.year.desc(), Honour.title, User.display_name, Honour.id)
    )
    grouped: dict[int, list[Honour]] = {}
    for honour in db.session.execute(query).scalars():
        grouped.setdefault(honour.year, []).append(honour)
    result = list(grouped.items())
    return result[:years] if years is not None else result
