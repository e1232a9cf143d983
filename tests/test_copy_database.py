"""``flask --app app copy-database``: a SQLite site moves to PostgreSQL (or, in the SQLite
run of the suite, to another SQLite file) with every row, and keeps working there."""
from __future__ import annotations

import flask_migrate
import pytest
import sqlalchemy as sa

from app import create_app
from models import User, db
from services import accounts
from services.booking import book_seat
from services.dates import now_utc
from services.db import begin_write
from tests.conftest import make_event, make_user


def _app(url: str):
    return create_app({"TESTING": True, "SECRET_KEY": "copy-test", "SQLALCHEMY_DATABASE_URI": url})


def _rows(url: str) -> dict[str, list[tuple]]:
    """Every row of every table, in primary-key order, as the models read them."""
    engine = sa.create_engine(url)
    try:
        with engine.connect() as connection:
            return {
                table.name: [tuple(row) for row in connection.execute(sa.select(table).order_by(*table.primary_key.columns))]
                for table in db.metadata.sorted_tables
            }
    finally:
        engine.dispose()


@pytest.fixture
def demo_site(tmp_path, cached_password_hashes):
    """A SQLite site made the production way (migrations), with the demo community."""
    url = f"sqlite:///{tmp_path / 'site.sqlite3'}"
    app = _app(url)
    with app.app_context():
        flask_migrate.upgrade()
        import demo

        begin_write()
        demo.seed()
        db.session.commit()
        db.session.remove()
    yield app
    with app.app_context():
        db.engine.dispose()


@pytest.mark.timeout(300)
def test_the_demo_community_moves_with_every_row_and_keeps_working(demo_site, scratch_database_url):
    target = _app(scratch_database_url)
    with target.app_context():
        flask_migrate.upgrade()
        db.engine.dispose()

    with demo_site.app_context():
        result = demo_site.test_cli_runner().invoke(args=["copy-database", scratch_database_url])
        assert result.exit_code == 0, result.output
        source_rows = _rows(demo_site.config["SQLALCHEMY_DATABASE_URI"])
    assert "every count matches" in result.output
    copied_rows = _rows(scratch_database_url)
    assert {t: len(r) for t, r in copied_rows.items()} == {t: len(r) for t, r in source_rows.items()}
    assert copied_rows == source_rows
    assert len(source_rows["users"]) > 10 and len(source_rows["bookings"]) > 10

    with target.app_context():
        # New rows get new ids (sequences moved past the copied ones), and people can log in.
        newcomer = make_user("新来的居民", phone="13612345678")
        booking = book_seat(make_event(capacity=3), newcomer, now=now_utc())
        db.session.commit()
        assert newcomer.id > max(row[0] for row in source_rows["users"])
        assert booking.id > max(row[0] for row in source_rows["bookings"])
        resident = accounts.authenticate("13900000001", "linli-demo-2026", now=now_utc())
        assert resident is not None and resident.display_name == "张桂芳"
        db.session.remove()
        db.engine.dispose()


def test_copying_into_a_database_with_data_or_without_the_schema_is_refused(demo_site, scratch_database_url):
    with demo_site.app_context():
        runner = demo_site.test_cli_runner()
        unmigrated = runner.invoke(args=["copy-database", scratch_database_url])
        assert unmigrated.exit_code != 0 and "db upgrade" in unmigrated.output

        target = _app(scratch_database_url)
        with target.app_context():
            flask_migrate.upgrade()
            make_user("已经在这里")
            db.session.remove()
            db.engine.dispose()
        full = runner.invoke(args=["copy-database", scratch_database_url])
        assert full.exit_code != 0 and "already holds data" in full.output

        itself = runner.invoke(args=["copy-database", demo_site.config["SQLALCHEMY_DATABASE_URI"]])
        assert itself.exit_code != 0 and "the database the site uses now" in itself.output
        with target.app_context():
            assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 1
            db.session.remove()
            db.engine.dispose()
