"""The throttles hold across the workers of a real gunicorn: they count in the database,
not in each worker's memory. Starts its own gunicorn (2 workers, a free port, no config
file) on the test's database and stops it at the end."""
from __future__ import annotations

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from pathlib import Path

from models import db
from tests.conftest import make_user

ROOT = Path(__file__).resolve().parents[1]
HASH = "scrypt:16384:8:1"  # slow enough (tens of ms) that both workers get requests


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_up(base: str, server: subprocess.Popen) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert server.poll() is None, "gunicorn stopped"
        try:
            with urllib.request.urlopen(base + "/healthz", timeout=2) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise AssertionError("gunicorn did not answer within a minute")


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def try_login(base: str, phone: str, password: str) -> int:
    """Open the login page (a session and CSRF token), post the form; the status."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirects)
    with opener.open(base + "/auth/login", timeout=30) as response:
        token = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', response.read().decode()).group(1)
    body = urllib.parse.urlencode({"phone": phone, "password": password, "csrf_token": token}).encode()
    request = urllib.request.Request(base + "/auth/login", data=body, headers={"Referer": base + "/auth/login"})
    try:
        with opener.open(request, timeout=30) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code


def test_429s_hold_across_two_gunicorn_workers(app, tmp_path):
    users = [make_user(phone=f"1350000000{i}") for i in range(3)]
    for user in users:
        user.set_password("correct horse battery", method=HASH)
    db.session.commit()
    config_file = tmp_path / "gunicorn.conf.py"
    config_file.write_text("# empty: the test says everything on the command line\n")
    access_log = tmp_path / "access.log"
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ, "DATABASE_URL": app.config["SQLALCHEMY_DATABASE_URI"], "SECRET_KEY": "gunicorn-test",
        "LINLI_PLAIN_HTTP": "1", "LINLI_PASSWORD_HASH_METHOD": HASH, "LINLI_RATELIMIT_ENABLED": "1",
        "LINLI_LOGIN_LIMIT_PER_NUMBER": "5 per 15 minutes", "LINLI_LOGIN_LIMIT_PER_ADDRESS": "1000 per minute",
    }
    env.pop("FLASK_DEBUG", None)
    error_log = (tmp_path / "gunicorn.log").open("wb")
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "--config", str(config_file), "--workers", "2",
         "--bind", f"127.0.0.1:{port}", "--access-logfile", str(access_log),
         "--access-logformat", "%(p)s %(m)s %(s)s", "app:create_app()"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=error_log,
    )
    try:
        wait_until_up(base, server)
        for user in users:  # a second number only in the unlikely case one worker took all
            statuses: list[int] = []
            lock, start = threading.Lock(), threading.Barrier(20)

            def attempt():
                start.wait()
                status = try_login(base, user.phone, "wrong password")
                with lock:
                    statuses.append(status)

            threads = [threading.Thread(target=attempt) for _ in range(20)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join(120)
            assert Counter(statuses) == {200: 5, 429: 15}, (statuses, (tmp_path / "gunicorn.log").read_text()[-3000:])
            time.sleep(0.2)  # the access log is written after each response
            posts = [line.split() for line in access_log.read_text().splitlines() if " POST " in line]
            if len({pid for pid, _method, _status in posts}) >= 2:
                break
        else:
            raise AssertionError("every request went to one worker three times over")
        workers = {pid for pid, _method, status in posts if status == "429"}
        assert len({pid for pid, _m, _s in posts}) >= 2 and workers
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
        error_log.close()
