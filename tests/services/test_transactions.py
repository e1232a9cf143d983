"""How write transactions begin: the rule the capacity code relies on."""
from __future__ import annotations

import os
import threading
import time

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import make_url

from models import User, db
from services.db import QUEUE_SUFFIX, WRITE_OPTION, begin_write
from tests.conftest import make_user


def _is_write_transaction() -> bool:
    """On SQLite: begun IMMEDIATE. PostgreSQL takes row locks, so any transaction will do."""
    if db.engine.dialect.name != "sqlite":
        return db.session().in_transaction()
    return bool(db.session().connection().get_execution_options().get(WRITE_OPTION))


def test_begin_write_opens_a_write_transaction(app):
    assert not db.session().in_transaction()
    begin_write()
    assert _is_write_transaction()
    begin_write()  # a second call inside the same transaction is harmless
    assert _is_write_transaction()


def test_a_transaction_that_only_read_is_begun_again_as_a_write(app):
    user = make_user()
    db.session.execute(sa.select(User)).all()
    assert db.session().in_transaction()
    begin_write()
    assert _is_write_transaction()
    user.display_name = "改名"
    db.session.commit()
    assert db.session.get(User, user.id).display_name == "改名"


def test_writing_before_declaring_the_write_is_refused_only_where_it_matters(app):
    """On SQLite a late write could fail half-way under contention, so it is refused;
    PostgreSQL locks rows instead and lets the transaction go on."""
    user = make_user()
    db.session.get(User, user.id).display_name = "先写"
    db.session.flush()
    if db.engine.dialect.name == "sqlite":
        with pytest.raises(RuntimeError):
            begin_write()
    else:
        begin_write()
    db.session.rollback()


def test_write_transactions_begin_immediate_on_sqlite(app):
    seen = []

    def remember(conn, cursor, statement, *args):
        seen.append(statement)

    sa.event.listen(db.engine, "before_cursor_execute", remember)
    try:
        begin_write()
        db.session.rollback()
    finally:
        sa.event.remove(db.engine, "before_cursor_execute", remember)
    assert ("BEGIN IMMEDIATE" in seen) == (db.engine.dialect.name == "sqlite")


@pytest.fixture
def sqlite_only(app):
    if db.engine.dialect.name != "sqlite":
        pytest.skip("the writers' queue orders SQLite's writers; PostgreSQL locks rows")


def _writer(app, order: list, name: str, hold: float) -> None:
    with app.app_context():
        begin_write()
        order.append(f"{name} in")
        time.sleep(hold)
        order.append(f"{name} out")
        db.session.commit()


def test_writers_wait_in_the_queue_and_go_in_one_at_a_time(app, sqlite_only):
    order: list[str] = []
    threads = [threading.Thread(target=_writer, args=(app, order, name, 0.05)) for name in "abcd"]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(order) == 8
    # Nobody came in while another was inside.
    assert all(order[i].endswith("in") and order[i + 1] == order[i].replace("in", "out") for i in range(0, 8, 2))
    assert os.path.exists(make_url(str(db.engine.url)).database + QUEUE_SUFFIX)


def test_a_place_in_the_queue_ends_with_the_transaction(app, sqlite_only):
    for end in (db.session.commit, db.session.rollback):
        begin_write()
        connection = db.session.connection()
        assert "linli_writers_queue" in connection.connection.info
        info = connection.connection.info
        end()
        assert "linli_writers_queue" not in info
    # … so another thread's writer gets in at once.
    order: list[str] = []
    writer = threading.Thread(target=_writer, args=(app, order, "other", 0))
    writer.start()
    writer.join(timeout=5)
    assert order == ["other in", "other out"]


def test_a_second_write_connection_of_the_same_thread_does_not_queue_behind_the_first(app, sqlite_only):
    begin_write()
    db.session.connection()
    started = time.monotonic()
    with db.engine.connect() as other:
        other.exec_driver_sql("PRAGMA busy_timeout = 50")
        other.commit()
        other = other.execution_options(**{WRITE_OPTION: True})
        # It would wait for its own thread for ever in the queue; in SQLite's lock it is
        # told at once that the database is busy.
        with pytest.raises(sa.exc.OperationalError, match="locked"):
            other.begin()
    assert time.monotonic() - started < 5
    db.session.rollback()
