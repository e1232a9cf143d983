"""The production server: gunicorn.conf.py, its redacted access log, ProxyFix by setting,
and ``make serve`` answering on gunicorn."""
from __future__ import annotations

import http.client
import os
import runpy
import signal
import socket
import subprocess
import sqlite3
from datetime import timedelta

import pytest
from flask import request

from app import create_app
from models import db
from serving import redact_path, redact_query, redact_url
from services import checkin, feeds
from services.dates import now_utc
from tests.conftest import make_event, make_user
from tests.servers import GUNICORN, ROOT, get, gunicorn, server_environment, wait_until_healthy

TOKEN = "pX3k9QmZ0vTq7LrS2aYw8NdE5hJc1UbF4gKo6Wi_-Ms"
CODE = "WzEsIDU5MzY2MzJd.aGVsbG8td29ybGQtc2lnbmF0dXJl"


# --- what the access log may show ----------------------------------------------------


def test_personal_feed_tokens_and_check_in_codes_are_hidden_from_paths():
    assert redact_path(f"/calendar/u/{TOKEN}.ics") == "/calendar/u/[redacted].ics"
    assert redact_path(f"/attendance/checkin/{CODE}") == "/attendance/checkin/[redacted]"
    assert redact_path("/calendar/wenshi-jiangtang.ics") == "/calendar/wenshi-jiangtang.ics"
    assert redact_path("/lectures/12/book") == "/lectures/12/book"


def test_a_token_looking_segment_anywhere_is_hidden_too():
    assert redact_path("/auth/reset/Zk29fQx81LmwPq0aTr5vYc") == "/auth/reset/[redacted]"
    assert redact_path("/troupes/lvju-tuan/manage") == "/troupes/lvju-tuan/manage"


def test_query_values_are_kept_only_for_harmless_parameters():
    assert redact_query("page=2&months=6") == "page=2&months=6"
    assert redact_query("q=13900000001&page=3") == "q=[redacted]&page=3"
    assert redact_query(f"next=/attendance/checkin/{CODE}") == "next=/attendance/checkin/[redacted]"
    assert redact_query("next=https://evil.example/x") == "next=[redacted]"
    assert redact_url(f"https://linli.example.org/calendar/u/{TOKEN}.ics?x=1") == (
        "https://linli.example.org/calendar/u/[redacted].ics?x=[redacted]"
    )


def test_an_error_page_logs_its_path_without_the_secret(caplog):
    app = _whoami_app(0)
    app.config["PROPAGATE_EXCEPTIONS"] = False

    @app.route("/broken/<token>")
    def broken(token):
        raise RuntimeError("boom")

    assert app.test_client().get(f"/broken/{TOKEN}?q=13900000042").status_code == 500
    assert "Exception on /broken/[redacted]?q=[redacted] [GET]" in caplog.text
    assert TOKEN not in caplog.text and "13900000042" not in caplog.text


# --- gunicorn.conf.py ------------------------------------------------------------------


def _settings(**env) -> dict:
    """gunicorn.conf.py's settings as gunicorn would read them with ``env``."""
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        return runpy.run_path(str(ROOT / "gunicorn.conf.py"))
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def test_workers_default_to_twice_the_cores_plus_one_and_follow_the_environment(monkeypatch):
    monkeypatch.delenv("WEB_CONCURRENCY", raising=False)
    assert _settings()["workers"] == 2 * os.cpu_count() + 1
    settings = _settings(WEB_CONCURRENCY="3", LINLI_TIMEOUT="45", LINLI_THREADS="4", LINLI_ACCESS_LOG="off")
    assert (settings["workers"], settings["timeout"], settings["threads"], settings["accesslog"]) == (3, 45, 4, None)


def test_gunicorn_accepts_the_configuration():
    result = subprocess.run(
        [str(GUNICORN), "-c", "gunicorn.conf.py", "--check-config"], cwd=ROOT,
        env=server_environment({}), capture_output=True, text=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr


def test_the_access_log_keeps_secrets_out_and_names_the_visitor_behind_the_proxy(tmp_path, scratch_database_url):
    """A personal feed, a check-in link, a login that carries it and a search by phone
    number, served by gunicorn behind one (pretend) proxy: the log shows none of them."""
    app = create_app({"TESTING": True, "SECRET_KEY": "serving-test", "SQLALCHEMY_DATABASE_URI": scratch_database_url})
    with app.app_context():
        db.create_all()
        resident = make_user()
        event = make_event(starts_in=timedelta(minutes=10))
        token = feeds.reset_feed_token(resident, now=now_utc())
        db.session.commit()
        code = checkin.checkin_code(event.id, now=now_utc(), secret="serving-test")
        db.session.remove()
        db.engine.dispose()
    env = {"DATABASE_URL": scratch_database_url, "SECRET_KEY": "serving-test", "LINLI_PROXY_COUNT": "1"}
    secrets = [token, code, "13900000042"]
    with gunicorn(env, tmp_path / "logs", workers=1) as server:
        for path, referer in [
            (f"/calendar/u/{token}.ics", "-"),
            (f"/attendance/checkin/{code}", f"https://linli.example.org/calendar/u/{token}.ics"),
            (f"/auth/login?next=/attendance/checkin/{code}", "-"),
            ("/admin/users?q=13900000042", "-"),
        ]:
            connection = http.client.HTTPConnection(server.host, server.port, timeout=10)
            connection.request("GET", path, headers={"X-Forwarded-For": "203.0.113.7", "Referer": referer})
            status = connection.getresponse().status
            connection.close()
            assert status < 500
    log = server.access_log.read_text()
    assert "/calendar/u/[redacted].ics" in log and "/attendance/checkin/[redacted]" in log and "q=[redacted]" in log
    assert not [secret for secret in secrets if secret in log]
    assert log.count("203.0.113.7 ") == 4  # the visitor as ProxyFix saw them, not the proxy


# --- ProxyFix by setting ----------------------------------------------------------------


def _whoami_app(proxies: int):
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "PROXY_COUNT": proxies,
                      "SQLALCHEMY_DATABASE_URI": "sqlite://"})
    app.add_url_rule("/whoami", "whoami", lambda: {"address": request.remote_addr, "url": request.url})
    return app


PROXIED = {"X-Forwarded-For": "198.51.100.20, 203.0.113.5", "X-Forwarded-Proto": "https",
           "X-Forwarded-Host": "linli.example.org"}


def test_forwarded_headers_are_ignored_without_the_setting():
    seen = _whoami_app(0).test_client().get("/whoami", headers=PROXIED, environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()
    assert seen == {"address": "127.0.0.1", "url": "http://localhost/whoami"}


def test_one_proxy_trusts_the_last_forwarded_address_scheme_and_host():
    seen = _whoami_app(1).test_client().get("/whoami", headers=PROXIED, environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()
    assert seen == {"address": "203.0.113.5", "url": "https://linli.example.org/whoami"}


def test_two_proxies_reach_one_address_further_back():
    seen = _whoami_app(2).test_client().get("/whoami", headers=PROXIED, environ_base={"REMOTE_ADDR": "127.0.0.1"}).get_json()
    assert seen["address"] == "198.51.100.20"


# --- make serve ------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.timeout(240)
def test_make_serve_migrates_and_answers_on_gunicorn(tmp_path):
    port = _free_port()
    database = tmp_path / "serve.sqlite3"
    process = subprocess.Popen(
        ["make", "--no-print-directory", "serve", "HOST=127.0.0.1", f"PORT={port}"],
        cwd=ROOT, env=server_environment({"DATABASE_URL": f"sqlite:///{database}", "WEB_CONCURRENCY": "2"}),
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, start_new_session=True,
    )
    try:
        wait_until_healthy("127.0.0.1", port, process, within=180)
        status, _ = get("127.0.0.1", port, "/lectures/")
        assert status == 200
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert "Running upgrade" in output and "Starting gunicorn" in output
    assert output.count("Booting worker") == 2
    with sqlite3.connect(database) as migrated:
        assert migrated.execute("SELECT COUNT(*) FROM users").fetchone() == (0,)  # no demo people added
