"""Row locks that serialise work on one venue, one event or one person.

On PostgreSQL these are ``SELECT … FOR UPDATE`` on the row, held to the end of the
transaction. On SQLite the write transaction (``BEGIN IMMEDIATE``) already holds the
database's only write lock, so ``FOR UPDATE`` is left out and the calls cost one read.

Lock order, to keep PostgreSQL free of deadlocks: a venue first (venues in ascending id),
then events in ascending id, then people in ascending id, then quotas
(:func:`services.capacity.lock_quota`). Nothing takes a person's lock and then waits for
an event's, and nothing takes an event's lock and then waits for a venue's: the venue
lock is what makes "no two events overlap in one room" hold when two organizers add or
move events at the same moment (services.venues).

The locks are ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: they queue writers of the same
row as strongly, but let a transaction insert a row that *refers* to the locked one (its
foreign-key check takes a ``KEY SHARE`` lock, which ``FOR UPDATE`` would block). Every
booking names its event, so with ``FOR UPDATE`` a booking holding a quota would wait for
an organizer holding the event, who waits for the quota: a deadlock the HTTP race suite
found (``tests/load``; the regression test is in ``tests/services/test_race.py``).
"""
from __future__ import annotations

from collections.abc import Iterable

import sqlalchemy as sa

from models import Event, User, Venue, db

from .db import begin_write


def lock_person(user_id: int) -> None:
    """Lock a person's row: their shifts, memberships and ledger change one writer at a time."""
    lock_people([user_id])


def lock_people(user_ids: Iterable[int]) -> None:
    """Lock several people's rows, in ascending id (the order every writer uses)."""
    begin_write()
    for user_id in sorted(set(user_ids)):
        db.session.execute(sa.select(User.id).where(User.id == user_id).with_for_update(key_share=True))


def lock_event(event_id: int) -> None:
    """Lock an event's row, so its time can't change while shifts at it are being taken."""
    begin_write()
    db.session.execute(sa.select(Event.id).where(Event.id == event_id).with_for_update(key_share=True))


def lock_venue(venue_id: int) -> None:
    """Lock a venue's row, so what happens there can change one writer at a time."""
    begin_write()
    db.session.execute(sa.select(Venue.id).where(Venue.id == venue_id).with_for_update(key_share=True))


def lock_events(event_ids: Iterable[int]) -> None:
    """Lock several events' rows, in ascending id (the order every writer uses)."""
    begin_write()
    for event_id in sorted(set(event_ids)):
        db.session.execute(sa.select(Event.id).where(Event.id == event_id).with_for_update(key_share=True))
