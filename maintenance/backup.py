"""Backups that are consistent while the site runs, and restores that don't overwrite a
live database by accident.

- SQLite: SQLite's online backup API copies the database in one step, inside one read
  transaction — a snapshot of one moment; in WAL mode bookings go on meanwhile.
- PostgreSQL: ``pg_dump`` (custom format) with the configured URL; it too reads one
  snapshot. ``pg_restore`` puts it back in a single transaction.

The file is written under a temporary name and renamed when complete, readable by its
owner only (it holds residents' names and phone numbers).
"""
from __future__ import annotations

import os
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

import sqlalchemy as sa

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore that could not be done; the message says why."""


class RestoreRefused(BackupError):
    """The target database holds data (or is being used) and ``--force`` was not given."""


@dataclass(frozen=True)
class Backup:
    path: Path
    size: int


def backup(database_url: str, path: Path) -> Backup:
    """Write a consistent copy of the database at ``database_url`` to ``path``.

    :raises BackupError: when the database can't be read or the copy can't be written.
    """
    url = sa.make_url(database_url)
    path = Path(path)
    if path.is_dir():
        raise BackupError(f"{path} is a folder; give the backup file's name")
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.partial")
    partial.unlink(missing_ok=True)
    try:
        if url.get_backend_name() == "sqlite":
            _sqlite_backup(_sqlite_file(url), partial)
        elif url.get_backend_name() == "postgresql":
            _pg_dump(url, partial)
        else:
            raise BackupError(f"backups of {url.get_backend_name()} databases are not supported")
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)
    return Backup(path, path.stat().st_size)


def restore(database_url: str, path: Path, *, force: bool = False) -> None:
    """Replace the database at ``database_url`` with the backup at ``path``.

    :raises RestoreRefused: when the database holds data or, on PostgreSQL, others are
        connected to it, and ``force`` is false.
    :raises BackupError: when ``path`` isn't a backup of this kind of database.
    """
    url = sa.make_url(database_url)
    path = Path(path)
    if not path.is_file():
        raise BackupError(f"{path} does not exist")
    if url.get_backend_name() == "sqlite":
        _check_magic(path, SQLITE_MAGIC, "a SQLite backup")
        target = _sqlite_file(url)
        if not force:
            _refuse_if_in_use(url)
        _sqlite_restore(path, target)
    elif url.get_backend_name() == "postgresql":
        _check_magic(path, PG_DUMP_MAGIC, "a pg_dump backup (custom format)")
        if not force:
            _refuse_if_in_use(url)
        _pg_restore(url, path)
    else:
        raise BackupError(f"restores of {url.get_backend_name()} databases are not supported")


# --- SQLite -----------------------------------------------------------------------------


def _sqlite_file(url: sa.URL) -> Path:
    if not url.database or url.database == ":memory:":
        raise BackupError("an in-memory SQLite database can't be backed up")
    return Path(url.database)


def _sqlite_connect(path: Path) -> sqlite3.Connection:
    connection = sqlite3.connect(path, timeout=15, isolation_level=None)
    connection.execute("PRAGMA busy_timeout = 15000")
    return connection


def _sqlite_backup(source: Path, target: Path) -> None:
    if not source.is_file():
        raise BackupError(f"there is no database at {source}")
    target.touch(mode=0o600)
    origin, copy = _sqlite_connect(source), _sqlite_connect(target)
    try:
        origin.backup(copy)  # all pages in one step: one consistent snapshot
        verdict = copy.execute("PRAGMA integrity_check").fetchone()[0]
        if verdict != "ok":
            raise BackupError(f"the copy failed its integrity check: {verdict}")
    finally:
        copy.close()
        origin.close()


def _sqlite_restore(backup_file: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    origin, live = _sqlite_connect(backup_file), _sqlite_connect(target)
    try:
        if origin.execute("PRAGMA integrity_check").fetchone()[0] != "ok":
            raise BackupError(f"{backup_file} is damaged (integrity check failed)")
        # The backup API writes the whole database under its write lock: a connection
        # open meanwhile sees the old database or the restored one, never a mixture.
        origin.backup(live)
    finally:
        live.close()
        origin.close()


# --- PostgreSQL -------------------------------------------------------------------------


def _libpq(url: sa.URL) -> tuple[str, dict[str, str]]:
    """A libpq connection URI without the password, and the environment carrying it
    (so it never shows in the process list)."""
    environment = dict(os.environ)
    if url.password:
        environment["PGPASSWORD"] = str(url.password)
    plain = url.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environment


def _run(command: list[str], environment: dict[str, str], what: str) -> None:
    try:
        result = subprocess.run(command, env=environment, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError as error:
        raise BackupError(f"{command[0]} is not installed (Debian: postgresql-client)") from error
    if result.returncode != 0:
        raise BackupError(f"{what} failed: {result.stderr.strip()}")


def _pg_dump(url: sa.URL, target: Path) -> None:
    uri, environment = _libpq(url)
    target.touch(mode=0o600)
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", f"--dbname={uri}"],
         environment, "pg_dump")


def _pg_restore(url: sa.URL, backup_file: Path) -> None:
    uri, environment = _libpq(url)
    _run(["pg_restore", "--clean", "--if-exists", "--no-owner", "--no-privileges", "--single-transaction",
          "--exit-on-error", f"--dbname={uri}", str(backup_file)], environment, "pg_restore")


# --- shared -----------------------------------------------------------------------------


def _check_magic(path: Path, magic: bytes, what: str) -> None:
    with path.open("rb") as file:
        if not file.read(len(magic)).startswith(magic):
            raise BackupError(f"{path} is not {what}")


def _refuse_if_in_use(url: sa.URL) -> None:
    """Refuse a database that holds people's accounts, or that others are connected to."""
    if url.get_backend_name() == "sqlite" and not _sqlite_file(url).exists():
        return
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    try:
        with engine.connect() as connection:
            tables = set(sa.inspect(connection).get_table_names())
            people = connection.execute(sa.text("SELECT COUNT(*) FROM users")).scalar_one() if "users" in tables else 0
            others = 0
            if connection.dialect.name == "postgresql":
                others = connection.execute(sa.text(
                    "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )).scalar_one()
    finally:
        engine.dispose()
    if people or others:
        reasons = []
        if people:
            reasons.append(f"it holds {people} accounts")
        if others:
            reasons.append(f"{others} other connections are open to it")
        raise RestoreRefused(
            f"The database {url.render_as_string(hide_password=True)} is in use ({' and '.join(reasons)}). "
            "Stop the site, then run the restore again with --force to replace it."
        )
