"""docs/DEPLOY.md and deploy/: the guide's commands run, and the configuration files are
accepted by the tools that will read them.

- Every ``sh`` block of the guide runs, in order, in one shell, in a sandbox: absolute
  paths under /etc, /srv/linli and /var are moved into a temporary folder (the code's
  folder, /srv/linli/app, is this checkout), the database is the suite's PostgreSQL
  cluster, and a few host tools are stand-ins that check their arguments (``apt-get``:
  the packages exist; ``useradd``, ``chown``: recorded; ``sudo -u NAME``: runs as this
  user with PGUSER=NAME; ``git clone/pull``: the checkout is already here; ``systemctl``:
  ``systemd-analyze verify`` on the unit, then its ExecStart with its EnvironmentFile;
  ``nginx``: Debian's nginx on the sandboxed configuration).
- Debian's ``nginx -t`` accepts the site, and an nginx started with it serves the site
  over TLS in front of gunicorn: static files from disk, the rest proxied with the
  forwarded headers the app trusts, the secret parts of paths kept out of its log.
- ``systemd-analyze verify`` accepts the unit.
"""
from __future__ import annotations

import http.client
import json
import os
import re
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

import flask_bootstrap
import flask_migrate
import sqlalchemy as sa

from app import create_app
from models import db
from services import feeds
from services.booking import book_seat
from services.dates import now_utc
from tests.conftest import TEST_CLOCK, TEST_DATABASE_URL, make_event, make_user
from tests.deploy_sandbox import (
    NGINX, ROOT, SITE, SYSTEMD_ANALYZE, Sandbox, install_shims, nginx_configuration,
)
from tests.servers import gunicorn, server_environment

GUIDE = ROOT / "docs" / "DEPLOY.md"
DEPLOY = ROOT / "deploy"

needs_nginx = pytest.mark.skipif(not Path(NGINX).exists(), reason="Debian's nginx is missing (make test installs it as root)")


def guide_commands(sections: tuple[str, ...] | None = None) -> list[str]:
    """The commands of the guide's ``sh`` blocks, in order — of the sections whose
    heading starts with one of ``sections`` (e.g. "1.", "2."), or of all."""
    commands = []
    for part in re.split(r"^## ", GUIDE.read_text(), flags=re.M)[1:]:
        if sections is not None and not part.startswith(sections):
            continue
        for block in re.findall(r"^```sh\n(.*?)^```", part, flags=re.M | re.S):
            for line in block.replace("\\\n", " ").splitlines():
                if line.strip() and not line.lstrip().startswith("#"):
                    commands.append(line.strip())
    return commands


# --- the tests ---------------------------------------------------------------------------


@needs_nginx
@pytest.mark.skipif(not TEST_DATABASE_URL, reason="the guide deploys on PostgreSQL (make test-pg runs it)")
@pytest.mark.skipif(bool(TEST_CLOCK), reason="the guide's servers run on the real clock; the test clock changes nothing here")
@pytest.mark.timeout(600)
def test_every_command_of_the_guide_runs_in_order(tmp_path):
    """Sections 1 and 2 (one server, backups and the drill) in one shell; then section 3
    (from SQLite to PostgreSQL) on a SQLite site of its own; then section 5's query."""
    sandbox = Sandbox(tmp_path / "server")
    binary = install_shims(sandbox)
    database = sa.make_url(TEST_DATABASE_URL)
    environment = server_environment({
        "PATH": f"{binary}:{os.environ['PATH']}",
        "PGHOST": database.query["host"],
        "LINLI_ENV_FILE": str(sandbox.root / "etc" / "linli" / "linli.env"),
        "LINLI_SANDBOX": json.dumps({
            "root": str(sandbox.root), "app_port": sandbox.app_port, "http_port": sandbox.http_port,
            "https_port": sandbox.https_port, "rewrites": sandbox.rewrites,
        }),
        "LINLI_SANDBOX_LOG": str(sandbox.root / "run" / "commands.log"),
    })

    def run(sections, answers=""):
        script = "set -euo pipefail\n" + "\n".join(sandbox.rewrite(c) for c in guide_commands(sections)) + "\n"
        result = subprocess.run(["bash", "-c", script], input=answers, env=environment, cwd=sandbox.root,
                                capture_output=True, text=True, timeout=400)
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-5000:]
        return result.stdout

    try:
        one_server = run(("1.", "2."), answers="linli-admin-2026\n")
        assert one_server.replace(" ", "").count('{"status":"ok"}') == 1
        assert "Administrator 王建国 (13800000000) created." in one_server
        assert "Backup written to" in one_server and "Database restored" in one_server
        assert re.search(r"people \| bookings .*\n.*\n\s+1 \|\s+0 \|", one_server), one_server

        # Section 3 starts from a community on SQLite, with no PostgreSQL database yet.
        _shell(environment, "systemctl stop linli && sudo -u postgres dropdb linli && sudo -u postgres dropuser linli")
        sqlite_site = sandbox.root / "srv" / "linli" / "instance" / "linli.sqlite3"
        _make_sqlite_site(sqlite_site)
        moved = run(("3.",))
        assert "every count matches" in moved and '"status":"ok"' in moved.replace(" ", "")

        activity = run(("5.",))
        assert "linli" in activity and "application_name" in activity
    finally:
        pid_file = sandbox.root / "run" / "linli.pid"
        if pid_file.exists():
            os.killpg(int(pid_file.read_text()), 15)
            time.sleep(1)
    shimmed = {json.loads(line)[0] for line in (sandbox.root / "run" / "commands.log").read_text().splitlines()}
    assert {"apt-get", "useradd", "sudo", "git", "systemctl", "systemd-analyze", "nginx", "chown"} <= shimmed
    env_file = sandbox.root / "etc" / "linli" / "linli.env"
    assert "SECRET_KEY=change-me" not in env_file.read_text() and oct(env_file.stat().st_mode)[-3:] == "640"
    assert (sandbox.root / "etc" / "cron.d" / "linli").read_text() == (DEPLOY / "linli.cron").read_text()
    assert guide_commands() == guide_commands(("1.", "2.", "3.", "5."))  # nothing left unrun


def _shell(environment: dict, command: str) -> None:
    subprocess.run(["bash", "-c", command], env=environment, check=True, capture_output=True, timeout=120)


def _make_sqlite_site(path: Path) -> None:
    """A small community on SQLite, built by the migrations as make serve would."""
    path.parent.mkdir(parents=True, exist_ok=True)
    app = create_app({"TESTING": True, "SECRET_KEY": "x", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{path}"})
    with app.app_context():
        flask_migrate.upgrade()
        make_user("张桂芳", phone="13900000001")
        book_seat(make_event(capacity=3), make_user("陈玉兰", phone="13900000003"), now=now_utc())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()


@needs_nginx
def test_nginx_accepts_the_site(tmp_path):
    sandbox = Sandbox(tmp_path / "server")
    site = sandbox.root / "etc" / "nginx" / "sites-enabled" / "linli"
    site.symlink_to(DEPLOY / "nginx-linli.conf")
    (sandbox.root / "etc" / "nginx" / "sites-enabled" / "default").unlink()
    result = subprocess.run([NGINX, "-t", "-c", str(nginx_configuration(sandbox))], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert "syntax is ok" in result.stderr and "test is successful" in result.stderr


@pytest.mark.skipif(not SYSTEMD_ANALYZE, reason="systemd-analyze is not installed")
def test_systemd_accepts_the_unit(tmp_path):
    sandbox = Sandbox(tmp_path / "server")
    (sandbox.root / "etc" / "linli").mkdir(parents=True)
    (sandbox.root / "etc" / "linli" / "linli.env").write_text((DEPLOY / "linli.env.example").read_text())
    unit = tmp_path / "linli.service"
    unit.write_text(sandbox.rewrite((DEPLOY / "linli.service").read_text()))
    result = subprocess.run([SYSTEMD_ANALYZE, "verify", str(unit)], capture_output=True, text=True)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr


def test_the_example_settings_are_the_ones_the_app_reads():
    import config

    names = set(re.findall(r"^([A-Z_]+)=", (DEPLOY / "linli.env.example").read_text(), flags=re.M))
    gunicorn_names = {"LINLI_BIND", "WEB_CONCURRENCY", "LINLI_ACCESS_LOG"}
    assert names - gunicorn_names <= set(config.ENVIRONMENT)
    assert gunicorn_names <= set(re.findall(r"[A-Z_]{5,}", (ROOT / "gunicorn.conf.py").read_text()))


@needs_nginx
@pytest.mark.timeout(300)
def test_nginx_serves_the_site_over_tls_in_front_of_gunicorn(tmp_path, scratch_database_url):
    """Debian's nginx with deploy/nginx-linli.conf, gunicorn behind it (one proxy):
    static files from disk, pages proxied, HTTP redirected, the visitor's real scheme and
    host reaching the app, and secrets kept out of nginx's log."""
    sandbox = Sandbox(tmp_path / "server")
    (sandbox.root / "etc" / "nginx" / "sites-enabled" / "default").unlink()
    (sandbox.root / "etc" / "nginx" / "sites-enabled" / "linli").symlink_to(DEPLOY / "nginx-linli.conf")
    bootstrap = Path(flask_bootstrap.__file__).parent / "static" / "bootstrap5"
    (sandbox.root / "srv" / "linli").mkdir(parents=True)
    (sandbox.root / "srv" / "linli" / "bootstrap-static").symlink_to(bootstrap)

    app = create_app({"TESTING": True, "SECRET_KEY": "deploy-test", "SQLALCHEMY_DATABASE_URI": scratch_database_url})
    with app.app_context():
        db.create_all()
        resident = make_user()
        book_seat(make_event(), resident, now=now_utc())
        token = feeds.reset_feed_token(resident, now=now_utc())
        db.session.commit()
        db.session.remove()
        db.engine.dispose()

    env = {"DATABASE_URL": scratch_database_url, "SECRET_KEY": "deploy-test", "LINLI_PROXY_COUNT": "1",
           "LINLI_SITE_URL": f"https://{SITE}"}
    with gunicorn(env, tmp_path / "logs", workers=1) as server:
        sandbox.rewrites[-1] = ("127.0.0.1:8000", f"127.0.0.1:{server.port}")
        configuration = nginx_configuration(sandbox)
        nginx = subprocess.Popen([NGINX, "-c", str(configuration), "-g", "daemon off;"],
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            _wait_for_port(sandbox.https_port, nginx)
            context = ssl.create_default_context(cafile=str(sandbox.root / "etc" / "ssl" / "linli" / "fullchain.pem"))

            def fetch(path, headers=None):
                connection = http.client.HTTPSConnection("127.0.0.1", sandbox.https_port, context=context, timeout=20)
                connection.sock = context.wrap_socket(
                    socket.create_connection(("127.0.0.1", sandbox.https_port)), server_hostname=SITE)
                connection.request("GET", path, headers={"Host": SITE, **(headers or {})})
                response = connection.getresponse()
                body = response.read()
                connection.close()
                return response, body

            css, body = fetch("/static/css/linli.css")
            assert css.status == 200 and css.getheader("Cache-Control") == "public, max-age=3600"
            assert body == (ROOT / "static" / "css" / "linli.css").read_bytes()
            bootstrap_css, _ = fetch("/bootstrap/static/css/bootstrap.min.css")
            assert bootstrap_css.status == 200
            home, _ = fetch("/", headers={"X-Forwarded-For": "203.0.113.66"})
            assert home.status == 200 and home.getheader("Strict-Transport-Security")
            feed, ics = fetch(f"/calendar/u/{token}.ics")
            assert feed.status == 200 and f"https://{SITE}/".encode() in ics  # links to the site's address

            plain = http.client.HTTPConnection("127.0.0.1", sandbox.http_port, timeout=10)
            plain.request("GET", "/lectures/", headers={"Host": SITE})
            redirect = plain.getresponse()
            assert redirect.status == 301 and redirect.getheader("Location") == f"https://{SITE}/lectures/"
            plain.close()
        finally:
            nginx.terminate()
            nginx.wait(timeout=30)
    nginx_log = (sandbox.root / "var" / "log" / "nginx" / "linli.access.log").read_text()
    assert "/calendar/u/[redacted]" in nginx_log and token not in nginx_log
    assert "/static/" not in nginx_log  # static files aren't logged
    app_log = server.access_log.read_text()
    assert "GET / " in app_log and "/static/css" not in app_log  # served by nginx, not the app
    assert "203.0.113.66" not in app_log  # a visitor's own X-Forwarded-For isn't believed


def _wait_for_port(port: int, process: subprocess.Popen, within: float = 30.0) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited with {process.returncode}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("nginx did not listen in time")
