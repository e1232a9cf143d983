"""The throttles' storage in the database (security/throttle_storage.py), as ``limits``
uses it: counts that add up across connections, windows that end, keys apart."""
from __future__ import annotations

import threading

import pytest
from limits import parse
from limits.strategies import FixedWindowRateLimiter
from sqlalchemy.engine import make_url

from security.throttle_storage import DatabaseStorage, side_database_url


@pytest.fixture
def storage(app):
    storage = DatabaseStorage("linli+db://", database_url=app.config["SQLALCHEMY_DATABASE_URI"])
    yield storage
    storage.reset()
    storage.engine.dispose()


def test_sqlite_counters_live_beside_the_database_and_postgresql_ones_inside_it():
    assert side_database_url("sqlite:////srv/linli/instance/linli.sqlite3") == \
        "sqlite:////srv/linli/instance/linli.throttle.sqlite3"
    url = "postgresql+psycopg://linli@localhost/linli"
    assert make_url(side_database_url(url)) == make_url(url)
    with pytest.raises(ValueError):
        side_database_url("sqlite://")


def test_hits_count_until_the_limit_and_keys_are_apart(storage, time_machine):
    limiter = FixedWindowRateLimiter(storage)
    five = parse("5 per 15 minutes")
    assert [limiter.hit(five, "13900000001") for _ in range(6)] == [True] * 5 + [False]
    assert limiter.hit(five, "13900000002")
    assert storage.get(five.key_for("13900000001")) == 6
    stats = limiter.get_window_stats(five, "13900000001")
    assert stats.remaining == 0
    storage.clear(five.key_for("13900000001"))
    assert limiter.hit(five, "13900000001")


def test_a_window_ends_and_counting_starts_again(storage, time_machine):
    import time as clock

    time_machine.move_to(clock.time(), tick=False)
    assert storage.incr("k", 60) == 1 and storage.incr("k", 60) == 2
    assert storage.get_expiry("k") == pytest.approx(clock.time() + 60)
    time_machine.shift(61)
    assert storage.get("k") == 0
    assert storage.incr("k", 60) == 1


def test_simultaneous_hits_all_count(storage):
    counts, lock = [], threading.Lock()

    def hit():
        count = storage.incr("burst", 60)
        with lock:
            counts.append(count)

    threads = [threading.Thread(target=hit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(counts) == list(range(1, 21))
    assert storage.check()
