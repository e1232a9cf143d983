"""Move a site from one database to another — a SQLite site growing onto PostgreSQL.

The target is made first with ``flask --app app db upgrade`` (so it has the same schema
and migration revision) and must be empty. Every table is copied in foreign-key order
from one snapshot of the source, in one transaction on the target, through the models'
column types (times stay timezone-aware, statuses stay statuses). PostgreSQL's id
sequences are moved past the copied ids, and each table's row count is compared before
the transaction commits: a copy that doesn't match leaves the target empty.
"""
from __future__ import annotations

import sqlalchemy as sa

from config import normalize_database_url

BATCH = 1000


class TransferError(RuntimeError):
    """The copy could not be made; the message says why (nothing was written)."""


def copy_database(source: sa.Engine, target_url: str, metadata: sa.MetaData) -> dict[str, int]:
    """Copy every table of ``metadata`` from ``source`` to the empty database at
    ``target_url``; return each table's row count.

    :raises TransferError: when the target is the source, isn't migrated to the same
        revision, already holds data, or ends up with other counts than the source.
    """
    target = sa.create_engine(normalize_database_url(target_url), poolclass=sa.pool.NullPool)
    try:
        if target.url == source.url:
            raise TransferError("the target is the database the site uses now")
        with source.connect() as reading, reading.begin(), target.connect() as writing, writing.begin():
            _check_same_revision(reading, writing)
            _check_empty(writing, metadata)
            counts = {}
            for table in metadata.sorted_tables:
                counts[table.name] = _copy_table(table, reading, writing)
            if writing.dialect.name == "postgresql":
                _move_sequences(writing, metadata)
            copied = _counts(writing, metadata)
            if copied != counts:
                raise TransferError(f"the copy's counts differ from the source's: {copied} != {counts}")
        return counts
    finally:
        target.dispose()


def _revision(connection) -> str | None:
    if "alembic_version" not in sa.inspect(connection).get_table_names():
        return None
    return connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


def _check_same_revision(reading, writing) -> None:
    source, target = _revision(reading), _revision(writing)
    if target is None:
        raise TransferError("the target has no schema yet: run `flask --app app db upgrade` with DATABASE_URL set to it first")
    if source != target:
        raise TransferError(f"the source is at migration {source} and the target at {target}: upgrade both to the same one")


def _counts(connection, metadata: sa.MetaData) -> dict[str, int]:
    return {
        table.name: connection.execute(sa.select(sa.func.count()).select_from(table)).scalar_one()
        for table in metadata.sorted_tables
    }


def _check_empty(writing, metadata: sa.MetaData) -> None:
    full = {name: count for name, count in _counts(writing, metadata).items() if count}
    if full:
        raise TransferError(f"the target already holds data ({full}); copy only into an empty database")


def _copy_table(table: sa.Table, reading, writing) -> int:
    rows = reading.execute(sa.select(table).order_by(*table.primary_key.columns))
    copied = 0
    while batch := rows.fetchmany(BATCH):
        writing.execute(table.insert(), [row._asdict() for row in batch])
        copied += len(batch)
    return copied


def _move_sequences(writing, metadata: sa.MetaData) -> None:
    """Set each table's id sequence past the largest copied id (PostgreSQL)."""
    for table in metadata.sorted_tables:
        for column in table.primary_key.columns:
            if not (isinstance(column.type, sa.Integer) and column.autoincrement in (True, "auto")):
                continue
            if len(table.primary_key.columns) != 1:
                continue
            sequence = writing.execute(
                sa.text("SELECT pg_get_serial_sequence(:table, :column)"), {"table": table.name, "column": column.name}
            ).scalar_one()
            if sequence:
                writing.execute(
                    sa.text(f"SELECT setval(:sequence, COALESCE((SELECT MAX({column.name}) FROM {table.name}), 0) + 1, false)"),
                    {"sequence": sequence},
                )
