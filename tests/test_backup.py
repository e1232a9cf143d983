"""``flask --app app backup`` while people book, and ``restore`` into another database:
the copy is consistent and holds everything acknowledged before the backup began.

Runs on the suite's database kind: SQLite's backup API, or pg_dump / pg_restore."""
from __future__ import annotations

import threading
import time
from contextlib import contextmanager
from pathlib import Path

import flask_migrate
import pytest
import sqlalchemy as sa

from app import create_app
from models import Booking, Event, User, db
from services.booking import book_seat
from services.dates import now_utc
from tests.conftest import make_event, make_user, new_database
from tests.load import checks

BOOKERS = 4


@contextmanager
def migrated(url: str):
    """An app on the database at ``url``, migrated; its connections closed afterwards."""
    app = create_app({"TESTING": True, "SECRET_KEY": "backup-test", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()
    try:
        yield app
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def site(scratch_database_url):
    """The site's app on a migrated database of its own."""
    with migrated(scratch_database_url) as app:
        yield app


def _cli(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    return result.exit_code, result.output


def _counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            names = sorted(set(sa.inspect(connection).get_table_names()))
            return {n: connection.execute(sa.select(sa.func.count()).select_from(sa.table(n))).scalar_one() for n in names}
    finally:
        engine.dispose()


@pytest.mark.timeout(300)
def test_a_backup_taken_while_people_book_restores_consistent_and_complete(tmp_path, site):
    app = site
    with app.app_context():
        events = [make_event(capacity=400, title=f"讲座{n}") for n in range(2)]
        people = [make_user(f"居民{n}") for n in range(BOOKERS * 40)]
        event_ids, user_ids = [e.id for e in events], [p.id for p in people]
        db.session.remove()

    acknowledged: list[tuple[float, int]] = []  # (when the commit returned, booking id)
    stop = threading.Event()
    errors: list[BaseException] = []

    def book_in_a_loop(mine: list[int]):
        with app.app_context():
            try:
                for n, user_id in enumerate(mine):
                    if stop.is_set():
                        break
                    event = db.session.get(Event, event_ids[n % 2])
                    booking = book_seat(event, db.session.get(User, user_id), now=now_utc())
                    db.session.commit()
                    acknowledged.append((time.monotonic(), booking.id))
            except BaseException as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=book_in_a_loop, args=(user_ids[n::BOOKERS],)) for n in range(BOOKERS)]
    for thread in threads:
        thread.start()
    while len(acknowledged) < 20 and not errors:
        time.sleep(0.05)
    began = time.monotonic()
    backup_file = tmp_path / "backups" / "linli.backup"
    with app.app_context():
        exit_code, output = _cli(app, "backup", str(backup_file))
    during = len(acknowledged)
    deadline = time.monotonic() + 60
    while len(acknowledged) <= during + 5 and not errors and time.monotonic() < deadline:
        time.sleep(0.05)  # bookings go on after the backup, too
    stop.set()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == [] and exit_code == 0, (errors, output)
    assert "Backup written to" in output and backup_file.stat().st_mode & 0o077 == 0
    assert len(acknowledged) > during > 20  # people booked before, during and after

    with new_database(tmp_path) as restored_url:
        restored = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": restored_url})
        with restored.app_context():
            db.engine.dispose()
            exit_code, output = _cli(restored, "restore", str(backup_file))
            assert exit_code == 0, output
            with db.engine.connect() as connection:
                assert checks.counter_problems(connection) == []
                kept = set(connection.execute(sa.select(Booking.id)).scalars())
            db.engine.dispose()
        before_backup = {booking_id for when, booking_id in acknowledged if when < began}
        assert before_backup <= kept
        assert kept <= {booking_id for _, booking_id in acknowledged}
        assert _counts(restored_url)["users"] == BOOKERS * 40


def test_restore_refuses_a_database_in_use_without_force(tmp_path, site):
    app = site
    with app.app_context():
        make_user("原来的人")
        db.session.remove()
        db.engine.dispose()
    with new_database(tmp_path) as other_url, migrated(other_url) as other:
        with other.app_context():
            make_user("备份里的人", phone="13912345678")
            db.session.remove()
            assert _cli(other, "backup", str(tmp_path / "other.backup"))[0] == 0
            db.engine.dispose()

        with app.app_context():
            exit_code, output = _cli(app, "restore", str(tmp_path / "other.backup"))
            assert exit_code != 0 and "is in use (it holds 1 accounts" in output and "--force" in output
            assert db.session.execute(sa.select(User.display_name)).scalars().all() == ["原来的人"]
            db.session.remove()
            db.engine.dispose()

            exit_code, output = _cli(app, "restore", "--force", str(tmp_path / "other.backup"))
            assert exit_code == 0, output
            assert db.session.execute(sa.select(User.display_name)).scalars().all() == ["备份里的人"]
            db.session.remove()
            db.engine.dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(tmp_path, site):
    app = site
    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("not a database")
    with app.app_context():
        exit_code, output = _cli(app, "restore", "--force", str(not_a_backup))
    assert exit_code != 0 and "is not a" in output


def test_backup_refuses_a_folder(tmp_path, site):
    app = site
    with app.app_context():
        exit_code, output = _cli(app, "backup", str(Path(tmp_path)))
    assert exit_code != 0
