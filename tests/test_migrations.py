"""Outside tests the schema comes from migrations: they must build what the models describe,
and going down and up again must never lose a row of what stays.

Each test works on a database of its own (``scratch_database_url``): a SQLite file, or a
new PostgreSQL database when the suite runs there.
"""
from __future__ import annotations

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from app import HERE, create_app
from models import db
from services.db import begin_write


def _app(url):
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url})


def _differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def _revisions() -> list[str]:
    """Every revision from the first to the head."""
    script = ScriptDirectory(str(HERE / "migrations"))
    return [r.revision for r in reversed(list(script.walk_revisions()))]


def _row_counts() -> dict[str, int]:
    """How many rows each table holds (Alembic's own table left out)."""
    with db.engine.connect() as connection:
        names = set(sa.inspect(connection).get_table_names()) - {"alembic_version"}
        return {
            name: connection.execute(sa.select(sa.func.count()).select_from(sa.table(name))).scalar_one()
            for name in sorted(names)
        }


def _broken_foreign_keys() -> list:
    """Rows that point at a row that isn't there (SQLite checks on demand; PostgreSQL always)."""
    if db.engine.dialect.name != "sqlite":
        return []
    with db.engine.connect() as connection:
        return connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()


def test_migrations_upgrade_to_the_models_schema_and_back(scratch_database_url):
    app = _app(scratch_database_url)
    with app.app_context():
        flask_migrate.upgrade()
        assert _differences() == []

        flask_migrate.downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()

        flask_migrate.upgrade()
        assert _differences() == []
        db.engine.dispose()


def test_every_migration_goes_down_and_up_again_on_the_demo_data(scratch_database_url, cached_password_hashes):
    """Walk down one migration at a time to the first and back up to the head, with the
    demo community in the database: every table that exists on both sides of a step keeps
    all its rows (a table rebuild on SQLite must not fire ``ON DELETE`` rules)."""
    import demo

    app = _app(scratch_database_url)
    revisions = _revisions()
    with app.app_context():
        flask_migrate.upgrade()
        begin_write()
        demo.seed()
        db.session.commit()
        db.session.remove()
        seeded = _row_counts()
        assert seeded["users"] > 10 and seeded["bookings"] > 10 and seeded["attendance"] > 0

        steps = [(revisions[i], revisions[i - 1]) for i in range(len(revisions) - 1, 0, -1)]
        steps += [(older, newer) for newer, older in reversed(steps)]
        before = seeded
        for start, target in steps:
            if target in revisions[: revisions.index(start)]:
                flask_migrate.downgrade(revision=target)
            else:
                flask_migrate.upgrade(revision=target)
            after = _row_counts()
            kept = {name: count for name, count in before.items() if name in after}
            assert {name: after[name] for name in kept} == kept, f"{start} -> {target} lost rows"
            assert _broken_foreign_keys() == [], f"{start} -> {target}"
            if target == revisions[0]:
                bottom = set(after)
            before = after

        # The first migration's tables were there all the way down and back: every row kept.
        final = _row_counts()
        assert {name: final[name] for name in bottom} == {name: seeded[name] for name in bottom}
        assert _differences() == []
        db.engine.dispose()

