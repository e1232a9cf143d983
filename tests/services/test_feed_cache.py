"""Feed versions: every commit raises the versions of the feeds it changes, and only those."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

from models import Quota, db
from services import events as event_service
from services import feeds, lectures
from services.booking import book_seat, cancel_booking
from services.db import begin_write
from services.feed_cache import EVENTS, FeedCache, person_scope, versions
from tests.conftest import make_event, make_program, make_user, make_venue


def current(*scopes):
    return dict(zip(scopes, versions(scopes)))


def test_a_booking_changes_its_holders_feed_and_no_other(app, now):
    event = make_event()
    alice, bob = make_user("甲"), make_user("乙")
    before = current(EVENTS, person_scope(alice.id), person_scope(bob.id))

    book_seat(event, alice, now=now)
    db.session.commit()

    after = current(EVENTS, person_scope(alice.id), person_scope(bob.id))
    assert after[person_scope(alice.id)] == before[person_scope(alice.id)] + 1
    assert after[EVENTS] == before[EVENTS]
    assert after[person_scope(bob.id)] == before[person_scope(bob.id)]


def test_cancelling_changes_the_feeds_of_whoever_moves_up(app, now):
    event = make_event(capacity=1)
    alice, bob = make_user("甲"), make_user("乙")
    seat = book_seat(event, alice, now=now)
    book_seat(event, bob, now=now, waitlist=True)
    db.session.commit()
    before = current(person_scope(alice.id), person_scope(bob.id))

    cancel_booking(seat, now=now)
    db.session.commit()

    after = current(person_scope(alice.id), person_scope(bob.id))
    assert after[person_scope(alice.id)] == before[person_scope(alice.id)] + 1
    assert after[person_scope(bob.id)] == before[person_scope(bob.id)] + 1


def test_what_every_feed_shows_changes_the_events_version(app, now):
    event = make_event()
    venue = make_venue("城市书房")
    seen = current(EVENTS)[EVENTS]
    for change in (
        lambda: setattr(event, "venue", venue),
        lambda: setattr(venue, "address", "社区文化服务中心一楼东侧"),
        lambda: setattr(event.program, "name", "周三文史讲堂（新）"),
        lambda: event_service.cancel_event(event, "下雨", actor=None, now=now),
    ):
        begin_write()
        change()
        db.session.commit()
        assert current(EVENTS)[EVENTS] == seen + 1
        seen += 1


def test_writes_no_feed_shows_change_no_version(app, now):
    event = make_event()
    before = current(EVENTS)
    begin_write()
    db.session.execute(sa.update(Quota).where(Quota.id == event.seat_quota_id).values(capacity=9))
    db.session.commit()
    assert current(EVENTS) == before


def test_nothing_is_raised_when_the_transaction_is_rolled_back(app, now):
    event = make_event()
    before = current(EVENTS)
    begin_write()
    event.title = "改了又不改"
    db.session.flush()
    db.session.rollback()
    db.session.commit()
    assert current(EVENTS) == before


def test_the_cache_gives_a_feed_back_only_at_the_same_versions_and_inside_its_validity(app, now):
    cache = FeedCache(size=2)
    feed = feeds.Feed(body=b"BEGIN:VCALENDAR", valid_until=now + timedelta(hours=1))
    cache.put("all", (1,), feed, now=now)
    assert cache.get("all", (1,), now=now + timedelta(minutes=59)) is feed
    assert cache.get("all", (2,), now=now) is None
    cache.put("all", (1,), feed, now=now)
    assert cache.get("all", (1,), now=now + timedelta(hours=1)) is None
    cache.put("all", (1,), feed, now=now)
    assert cache.get("all", (1,), now=now - timedelta(seconds=1)) is None  # a clock moved back
    for key in ("a", "b", "c"):
        cache.put(key, (1,), feed, now=now)
    assert cache.get("a", (1,), now=now) is None  # the least recently used went first
    assert cache.get("c", (1,), now=now) is feed


def test_a_feed_knows_when_the_clock_alone_will_change_it(app, now):
    program = make_program()
    soon = make_event(program, starts_in=timedelta(days=2), length=timedelta(hours=2), now=now)
    make_event(program, starts_in=timedelta(days=400), now=now)  # beyond the window for now
    links = feeds.FeedLinks(event_url=lambda e: f"https://linli.test/{e.id}")
    feed = feeds.public_feed(now=now, links=links, language="zh")
    leaves = soon.ends_at + feeds.WINDOW_PAST
    enters = (now + timedelta(days=400)).replace(microsecond=0) - feeds.WINDOW_AHEAD
    assert feed.valid_until == min(leaves, enters)
