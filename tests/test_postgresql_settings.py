"""PostgreSQL as the scale-out engine: the pool each server process keeps, the statement
timeout, JIT off and the application name come from the settings and reach the server."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import OperationalError

import config
from app import create_app
from models import db
from tests.conftest import TEST_DATABASE_URL


def _options(url: str, **settings) -> dict:
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": url, **settings})
    return app.config["SQLALCHEMY_ENGINE_OPTIONS"]


def test_postgresql_urls_get_a_small_pool_a_statement_timeout_and_a_name():
    options = _options("postgresql://linli@db.internal/linli")
    assert (options["pool_size"], options["max_overflow"], options["pool_pre_ping"]) == (3, 2, True)
    assert options["connect_args"] == {
        "application_name": "linli", "connect_timeout": 5, "options": "-c statement_timeout=15000 -c jit=off",
    }


def test_the_environment_sets_them():
    settings = config.from_environment({
        "LINLI_DB_POOL_SIZE": "8", "LINLI_DB_MAX_OVERFLOW": "0", "LINLI_DB_STATEMENT_TIMEOUT_MS": "5000",
        "LINLI_DB_APPLICATION_NAME": "linli-app2", "LINLI_PROXY_COUNT": "2",
    })
    options = _options("postgresql://linli@db.internal/linli", **settings)
    assert (options["pool_size"], options["max_overflow"]) == (8, 0)
    assert options["connect_args"]["application_name"] == "linli-app2"
    assert options["connect_args"]["options"] == "-c statement_timeout=5000 -c jit=off"
    assert settings["PROXY_COUNT"] == 2


def test_sqlite_keeps_its_own_options():
    assert "connect_args" not in _options("sqlite://")


@pytest.mark.skipif(not TEST_DATABASE_URL, reason="needs PostgreSQL (make test-pg runs it)")
def test_the_server_sees_the_name_and_enforces_the_timeout():
    app = create_app({
        "TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": TEST_DATABASE_URL,
        "DATABASE_APPLICATION_NAME": "linli-web1", "DATABASE_STATEMENT_TIMEOUT_MS": 300, "DATABASE_POOL_SIZE": 4,
    })
    with app.app_context():
        try:
            assert db.engine.pool.size() == 4
            assert db.session.execute(sa.text("SHOW application_name")).scalar_one() == "linli-web1"
            assert db.session.execute(sa.text("SHOW statement_timeout")).scalar_one() == "300ms"
            assert db.session.execute(sa.text("SHOW jit")).scalar_one() == "off"
            with pytest.raises(OperationalError, match="statement timeout"):
                db.session.execute(sa.text("SELECT pg_sleep(2)"))
            db.session.rollback()
            names = db.session.execute(sa.text(
                "SELECT application_name FROM pg_stat_activity WHERE pid = pg_backend_pid()")).scalar_one()
            assert names == "linli-web1"
        finally:
            db.session.remove()
            db.engine.dispose()
