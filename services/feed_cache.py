"""Knowing that a calendar feed is unchanged without building it.

Building a feed costs about half a millisecond per event (most of it in ``icalendar``),
and calendar apps ask every hour whether it changed. So:

- **Versions, kept on write.** ``feed_versions`` holds counters: ``events`` for everything
  every feed may show (events, programs, venues, series, roles, schedules …) and
  ``person:<id>`` for what only one person's feed shows (their bookings, memberships,
  children, the choice to show them). Every commit raises the counters of what it
  changed, found from the rows the session wrote (:func:`_collect`), in one statement as
  the transaction's last, in a fixed order, so PostgreSQL can't deadlock on them. Tables
  known to change no feed are :data:`QUIET_TABLES`; any other table — including ones
  added later — raises ``events``, so a new kind of data can make feeds be rebuilt too
  often but never leave one stale.
- **A cache of built feeds by version** (:class:`FeedCache`, one per process): a feed is
  reused while the versions it was built at are current and the clock hasn't reached
  the moment its window would let an event in or out (``Feed.valid_until``). An
  ``If-None-Match`` naming that feed's ETag is then answered 304 from one small query.

Writes that bypass the ORM session (raw SQL on a connection) are not seen; the app does
none, and a restart starts with an empty cache.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from models import FeedVersion, db

if TYPE_CHECKING:  # feeds reads versions through this module
    from .feeds import Feed

EVENTS = "events"

# Tables whose rows no feed shows: writing them leaves every feed as it was.
QUIET_TABLES = frozenset({
    "feed_versions", "quotas", "audit_entries", "attendance", "attendance_changes",
    "service_entries", "shift_outcomes", "user_roles", "program_organizers",
    "youth_rules", "alembic_version", "notifications", "deliveries", "organizer_messages",
    "logins", "throttle_counters", "password_reset_codes", "closed_days",
    # Where people live and who looks after them, the reward list: no feed shows them.
    "grids", "buildings", "building_leaders", "grid_workers", "residences", "offline_residents",
    "reward_items", "redemptions", "honours",
})

# Tables whose rows show in one person's feed only: table -> the column naming the person.
PERSON_COLUMNS = {
    "bookings": "user_id",
    "memberships": "user_id",
    "troupe_memberships": "user_id",
    "children": "parent_id",
    "users": "id",
    "notification_settings": "user_id",  # the alarm a person chose for their own feed
    # A replaced token retires the old feed address (blueprints/calendar/front.py answers
    # an address while its versions stand).
    "calendar_tokens": "user_id",
}

_SCOPES = "linli_feed_scopes"


PERSON_PREFIX = "person:"


def person_scope(user_id: int) -> str:
    """The version that counts changes to one person's own feed."""
    return f"{PERSON_PREFIX}{user_id}"


def _scopes_of_row(table: str, obj) -> Iterable[str]:
    if table in QUIET_TABLES:
        return ()
    column = PERSON_COLUMNS.get(table)
    if column is None:
        return (EVENTS,)
    state = sa.inspect(obj)
    person = getattr(obj, column, None)
    scopes = {person_scope(person)} if person is not None else {EVENTS}
    # A row moved from one person to another changes both feeds.
    history = state.attrs[column].history if column in state.attrs else None
    for before in (history.deleted if history else ()) or ():
        if before is not None:
            scopes.add(person_scope(before))
    return scopes


def _remember(session: Session, scopes: Iterable[str]) -> None:
    session.info.setdefault(_SCOPES, set()).update(scopes)


@event.listens_for(Session, "after_flush")
def _collect(session, flush_context) -> None:
    """Note the feeds that the rows just written change (ids and keys are known now; the
    session still lists what the flush wrote)."""
    changed = [*session.new, *session.deleted, *(o for o in session.dirty if session.is_modified(o))]
    for obj in changed:
        table = getattr(obj, "__tablename__", None)
        if table is not None:
            _remember(session, _scopes_of_row(table, obj))


@event.listens_for(Session, "do_orm_execute")
def _collect_statement(orm_execute_state) -> None:
    """Note the feeds an INSERT, UPDATE or DELETE statement changes (by its table: a bulk
    statement on a person's table may touch anyone, so it counts for every feed)."""
    if not (orm_execute_state.is_insert or orm_execute_state.is_update or orm_execute_state.is_delete):
        return
    table = getattr(orm_execute_state.statement, "table", None)
    name = getattr(table, "name", None)
    if name not in QUIET_TABLES:
        _remember(orm_execute_state.session, (EVENTS,))


@event.listens_for(Session, "before_commit")
def _bump(session) -> None:
    """Raise the versions of what this transaction changed, as its last statement (a
    savepoint's commit waits for the transaction's)."""
    if session.in_nested_transaction():
        return
    session.flush()
    scopes = sorted(session.info.pop(_SCOPES, ()))
    if not scopes:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(FeedVersion).values([{"scope": scope, "version": 1} for scope in scopes])
    statement = statement.on_conflict_do_update(
        index_elements=[FeedVersion.scope], set_={"version": FeedVersion.version + 1}
    )
    session.execute(statement)
    session.info.pop(_SCOPES, None)


@event.listens_for(Session, "after_transaction_end")
def _forget(session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_SCOPES, None)


def version_of(scope) -> sa.ScalarSelect:
    """SQL for the current version of ``scope`` (a string or an SQL expression), 0 for one
    never raised: a column for a query that reads the versions with something else."""
    return sa.func.coalesce(
        sa.select(FeedVersion.version).where(FeedVersion.scope == scope).scalar_subquery(), 0
    )


def person_scope_of(user_id) -> sa.ColumnElement[str]:
    """``person_scope`` in SQL, for a person's id column."""
    return sa.literal(PERSON_PREFIX) + sa.cast(user_id, sa.String)


def versions(scopes: Iterable[str]) -> tuple[int, ...]:
    """The current versions of ``scopes``, in the order given (0 for one never raised)."""
    scopes = list(scopes)
    found = dict(db.session.execute(
        sa.select(FeedVersion.scope, FeedVersion.version).where(FeedVersion.scope.in_(scopes))
    ).all())
    return tuple(found.get(scope, 0) for scope in scopes)


class FeedCache:
    """Built feeds by what they are (a key) and the versions they were built at; the
    least recently used are dropped beyond ``size``. One per process; thread-safe."""

    def __init__(self, size: int = 512):
        self.size = size
        self._entries: OrderedDict[Hashable, tuple[tuple, datetime, Feed]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: Hashable, current: tuple, *, now: datetime) -> Feed | None:
        """The feed stored for ``key`` if it was built at the ``current`` versions and the
        clock alone hasn't changed it since (``now`` inside its validity)."""
        with self._lock:
            entry = self._entries.get(key)
            if entry is None:
                return None
            built_versions, built_at, feed = entry
            if built_versions != current or not built_at <= now < feed.valid_until:
                del self._entries[key]
                return None
            self._entries.move_to_end(key)
            return feed

    def put(self, key: Hashable, current: tuple, feed: Feed, *, now: datetime) -> None:
        """Keep ``feed`` for ``key``, built at ``now`` from the ``current`` versions."""
        with self._lock:
            self._entries[key] = (current, now, feed)
            self._entries.move_to_end(key)
            while len(self._entries) > self.size:
                self._entries.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
