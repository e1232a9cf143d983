"""A storage for the ``limits`` library (under Flask-Limiter) kept in an SQL database,
so every gunicorn worker — and every host of a PostgreSQL site — counts in one place.

``limits`` ships storages for Redis, Memcached and MongoDB, and one in memory that each
worker would keep for itself. A site of Linli has only its database, so the counters live
there: one row per key (``models.ThrottleCounter``) with the count and the end of its
window, raised by one atomic ``INSERT … ON CONFLICT DO UPDATE … RETURNING`` statement.
Two workers hitting the same key at once both count, in order; a burst of 24 attempts
against a limit of 5 lets exactly 5 through.

On SQLite the counters go into a file of their own beside the database, so refused
requests — cheap to send by the thousand — never queue for the database's single write
lock that bookings need. The storage has its own engine and commits each hit at once,
whatever the request's own transaction does afterwards.

Registered for the scheme ``linli+db://``; the database URL comes in the storage options
(``RATELIMIT_STORAGE_OPTIONS = {"database_url": …}``, see ``app._finish_config``).
"""
from __future__ import annotations

import random
import threading
import time
from pathlib import Path

import sqlalchemy as sa
from limits.storage import Storage
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import make_url

from models import ThrottleCounter
from services.db import WRITE_OPTION

# Expired rows are deleted now and then (on about one hit in CLEANUP_ONE_IN).
CLEANUP_ONE_IN = 200

_table = ThrottleCounter.__table__


def side_database_url(database_url: str) -> str:
    """Where a SQLite site keeps its throttle counters: ``linli.sqlite3`` → ``linli.throttle.sqlite3``."""
    url = make_url(database_url)
    if url.get_backend_name() != "sqlite":
        return database_url
    if not url.database or url.database == ":memory:":
        raise ValueError("throttle counters need a SQLite database file, not an in-memory one")
    path = Path(url.database)
    return str(url.set(database=str(path.with_name(path.stem + ".throttle.sqlite3"))))


class DatabaseStorage(Storage):
    """Fixed-window counters in an SQL table (see the module docstring)."""

    STORAGE_SCHEME = ["linli+db"]

    def __init__(self, uri: str | None = None, wrap_exceptions: bool = False, *,
                 database_url: str | None = None, **options):
        super().__init__(uri, wrap_exceptions=wrap_exceptions, **options)
        if not database_url:
            raise ValueError("DatabaseStorage needs the database_url storage option")
        self.url = side_database_url(database_url)
        self._engine: sa.Engine | None = None
        self._writer: sa.Engine | None = None
        self._upsert = None
        self._lock = threading.Lock()

    @property
    def base_exceptions(self):
        return sa.exc.SQLAlchemyError

    @property
    def engine(self) -> sa.Engine:
        """The storage's own engine, made on first use (after gunicorn forks its workers)."""
        if self._engine is None:
            with self._lock:
                if self._engine is None:
                    # A SQLite file has no server to drop the connection: no ping per hit.
                    engine = sa.create_engine(self.url, pool_pre_ping=make_url(self.url).get_backend_name() != "sqlite")
                    if engine.dialect.name == "sqlite":
                        # Every worker may get here at once: IF NOT EXISTS, not check-then-create.
                        with engine.begin() as connection:
                            connection.execute(sa.schema.CreateTable(_table, if_not_exists=True))
                            for index in _table.indexes:
                                connection.execute(sa.schema.CreateIndex(index, if_not_exists=True))
                    self._engine = engine
        return self._engine

    @property
    def writer(self) -> sa.Engine:
        """The engine for writes: on SQLite they begin IMMEDIATE, in the writers' queue of
        the counters' file (services/db.py), like the site's own writes."""
        if self._writer is None:
            self._writer = self.engine.execution_options(**{WRITE_OPTION: True})
        return self._writer

    def _insert(self):
        return (postgresql.insert if self.engine.dialect.name == "postgresql" else sqlite.insert)(_table)

    def _upsert_statement(self):
        """The statement ``incr`` runs, built once (each write request hits three limits)."""
        if self._upsert is None:
            amount = sa.bindparam("amount", type_=sa.Integer)
            now = sa.bindparam("now", type_=_table.c.expires_at.type)
            until = sa.bindparam("until", type_=_table.c.expires_at.type)
            expired = _table.c.expires_at <= now
            self._upsert = self._insert().values(
                key=sa.bindparam("key", type_=_table.c.key.type), count=amount, expires_at=until,
            ).on_conflict_do_update(
                index_elements=[_table.c.key],
                set_={
                    "count": sa.case((expired, amount), else_=_table.c.count + amount),
                    "expires_at": sa.case((expired, until), else_=_table.c.expires_at),
                },
            ).returning(_table.c.count)
        return self._upsert

    def incr(self, key: str, expiry: int, amount: int = 1) -> int:
        """Add ``amount`` to the key's count, starting a new window of ``expiry`` seconds
        when the last one has ended; return the count after it, in one statement."""
        now = time.time()
        statement = self._upsert_statement()
        with self.writer.begin() as connection:
            count = connection.execute(
                statement, {"key": key, "amount": amount, "now": now, "until": now + expiry}
            ).scalar_one()
            if random.randrange(CLEANUP_ONE_IN) == 0:
                connection.execute(sa.delete(_table).where(_table.c.expires_at < now))
        return count

    def get(self, key: str) -> int:
        """The key's count in its current window (0 once the window has ended)."""
        with self.engine.connect() as connection:
            count = connection.execute(
                sa.select(_table.c.count).where(_table.c.key == key, _table.c.expires_at > time.time())
            ).scalar_one_or_none()
        return count or 0

    def get_expiry(self, key: str) -> float:
        """When the key's window ends (now, if it has no window)."""
        with self.engine.connect() as connection:
            expires_at = connection.execute(
                sa.select(_table.c.expires_at).where(_table.c.key == key)
            ).scalar_one_or_none()
        now = time.time()
        return expires_at if expires_at is not None and expires_at > now else now

    def check(self) -> bool:
        """Tell whether the database answers."""
        try:
            with self.engine.connect() as connection:
                connection.execute(sa.select(1))
            return True
        except sa.exc.SQLAlchemyError:
            return False

    def reset(self) -> int | None:
        """Forget every counter; return how many there were."""
        with self.writer.begin() as connection:
            return connection.execute(sa.delete(_table)).rowcount

    def clear(self, key: str) -> None:
        """Forget one key's counter."""
        with self.writer.begin() as connection:
            connection.execute(sa.delete(_table).where(_table.c.key == key))
