"""How write transactions begin: the rule the capacity code relies on."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import User, db
from services.db import WRITE_OPTION, begin_write
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
