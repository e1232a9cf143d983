"""Transactions: how a unit of work that writes begins.

SQLite allows one writer at a time. A transaction that reads first and writes later can
fail at its first write when another writer got in between, so every write transaction
on SQLite begins with ``BEGIN IMMEDIATE`` and waits (busy timeout) for its turn. On
PostgreSQL the capacity code takes row locks instead; ``begin_write`` only opens the
transaction there.
"""
from __future__ import annotations

import fcntl
import os
import sqlite3
import threading
import time

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.pool import Pool

from models import db

WRITE_OPTION = "linli_write"
_WROTE = "linli_wrote"

_STRICT = "linli_strict_writes"


class UndeclaredWrite(RuntimeError):
    """A write on SQLite in a transaction not begun with :func:`begin_write`."""


def refuse_undeclared_writes(session: Session) -> None:
    """From now on, writing on SQLite in a transaction that :func:`begin_write` did not
    begin raises :class:`UndeclaredWrite` in ``session`` instead of going ahead.

    Such a write works until another writer commits between its first read and its first
    write, and then fails with SQLITE_BUSY. The app turns this on for every request when
    testing, so the test suite finds each unit of work that forgot to declare its write.
    """
    session.info[_STRICT] = True


def begin_write() -> None:
    """Make sure the current transaction may write; open it as a write transaction if
    none is open yet.

    On SQLite a transaction that has only read so far is ended (it changed nothing) and a
    write transaction begun in its place. What was loaded stays loaded, as it would in a
    PostgreSQL transaction: a service reads what decides its write after this call, under
    the lock (``populate_existing``, ``refresh``), never from objects read before it.

    :raises RuntimeError: on SQLite, when the open transaction has already written
        without the write lock (a programming error: declare the write first).
    """
    session = db.session()
    if session.in_transaction():
        connection = session.connection()
        if connection.dialect.name != "sqlite" or connection.get_execution_options().get(WRITE_OPTION):
            return
        if session.info.get(_WROTE) or session.new or session.dirty or session.deleted:
            raise RuntimeError("begin_write() must come before the transaction's first write")
        session.commit()  # ends the read; expire_on_commit is off, so nothing is reloaded
    session.connection(execution_options={WRITE_OPTION: True})


def is_write_transaction(session: Session) -> bool:
    """Tell whether the session's open transaction was begun by :func:`begin_write` (on
    SQLite; elsewhere any transaction may write)."""
    connection = session.connection()
    return connection.dialect.name != "sqlite" or bool(connection.get_execution_options().get(WRITE_OPTION))


def _check_declared(session: Session) -> None:
    if session.info.get(_STRICT) and not is_write_transaction(session):
        raise UndeclaredWrite("a write on SQLite must begin with begin_write() (services/db.py)")


@event.listens_for(Session, "before_flush")
def _check_flush(session, flush_context, instances) -> None:
    if session.new or session.deleted or any(session.is_modified(o) for o in session.dirty):
        _check_declared(session)


@event.listens_for(Session, "after_flush")
def _remember_flush(session, flush_context) -> None:
    session.info[_WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _remember_dml(orm_execute_state) -> None:
    if orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete:
        _check_declared(orm_execute_state.session)
        orm_execute_state.session.info[_WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _forget_writes(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_WROTE, None)


@event.listens_for(Engine, "connect")
def _configure_sqlite(dbapi_connection, connection_record) -> None:
    """WAL, foreign keys and a busy timeout on every SQLite connection; the driver's
    own transaction handling is turned off so that ``_begin`` decides how to begin."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA busy_timeout = 15000")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()


@event.listens_for(Engine, "begin")
def _begin(connection) -> None:
    """Begin SQLite transactions ourselves: IMMEDIATE for writes (in the writers' queue),
    DEFERRED for reads."""
    if connection.dialect.name != "sqlite":
        return
    if connection.get_execution_options().get(WRITE_OPTION):
        _join_writers_queue(connection)
        try:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
        except BaseException:
            _leave_writers_queue(connection.connection.info)
            raise
    else:
        connection.exec_driver_sql("BEGIN")


# --- the writers' queue ------------------------------------------------------------------
#
# A writer that finds SQLite's write lock taken waits in SQLite's busy handler, which
# sleeps 1, 2, 5, 10 … up to 100 ms between tries: under a rush of bookings an unlucky
# writer sleeps through many commits, and a booking's slowest answers took most of a
# second. So writers first take a lock on a file beside the database (``flock``, which
# every process and thread sees), tried every fraction of a millisecond, and begin
# IMMEDIATE only once they hold it: the next writer goes as soon as the last one commits.
# The queue only orders writers; SQLite's own lock still guards the data, and a writer
# that can't get into the queue within the busy timeout goes on to SQLite's lock as before.

QUEUE_SUFFIX = "-writers"
QUEUE_WAIT_SECONDS = 15.0  # as the busy timeout
_QUEUE_KEY = "linli_writers_queue"
_queued_here = threading.local()  # the queues this thread holds a place in


def _queue_path(connection) -> str | None:
    database = connection.engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None  # an in-memory database has one connection's writers only
    return os.path.abspath(database) + QUEUE_SUFFIX


def _join_writers_queue(connection) -> None:
    info = connection.connection.info
    path = _queue_path(connection)
    held = getattr(_queued_here, "paths", None)
    if held is None:
        held = _queued_here.paths = set()
    if path is None or _QUEUE_KEY in info or path in held:
        # A second write transaction of this thread on the same database (another
        # connection) would wait for its own first one: it waits in SQLite instead.
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    deadline, pause = time.monotonic() + QUEUE_WAIT_SECONDS, 0.0002
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            if time.monotonic() > deadline:
                os.close(fd)
                return
            time.sleep(pause)
            pause = min(pause * 1.5, 0.002)
    info[_QUEUE_KEY] = (fd, path, held)
    held.add(path)


def _leave_writers_queue(info) -> None:
    place = info.pop(_QUEUE_KEY, None)
    if place is not None:
        fd, path, held = place
        held.discard(path)
        os.close(fd)  # closing the file gives the lock up


@event.listens_for(Engine, "commit")
def _commit(connection) -> None:
    if connection.dialect.name == "sqlite":
        _leave_writers_queue(connection.connection.info)


@event.listens_for(Engine, "rollback")
def _rollback(connection) -> None:
    if connection.dialect.name == "sqlite":
        _leave_writers_queue(connection.connection.info)


@event.listens_for(Pool, "checkin")
def _checkin(dbapi_connection, connection_record) -> None:
    """A connection that goes back to the pool never keeps a place in the queue."""
    if connection_record is not None:
        _leave_writers_queue(connection_record.info)
