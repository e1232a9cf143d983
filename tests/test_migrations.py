"""Outside tests the schema comes from migrations: they must build what the models describe."""
from __future__ import annotations

import os

import flask_migrate
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app import create_app
from models import db


def _app(tmp_path):
    uri = os.environ.get("TEST_DATABASE_URL") or f"sqlite:///{tmp_path / 'migrated.sqlite3'}"
    return create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": uri})


def _differences():
    with db.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_migrations_upgrade_to_the_models_schema_and_back(tmp_path):
    app = _app(tmp_path)
    with app.app_context():
        if db.engine.dialect.name == "postgresql":
            with db.engine.begin() as connection:
                connection.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        flask_migrate.upgrade()
        assert _differences() == []

        flask_migrate.downgrade(revision="base")
        remaining = set(sa.inspect(db.engine).get_table_names()) - {"alembic_version"}
        assert remaining == set()

        flask_migrate.upgrade()
        assert _differences() == []
        db.engine.dispose()
