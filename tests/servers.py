"""The real server for tests: gunicorn with the project's gunicorn.conf.py on a free
loopback port, stopped (with its workers) when the test is done.

The listening socket is bound here, on port 0, and handed to gunicorn as ``fd://N``: no
port is guessed and nothing else can take it in between.
"""
from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
GUNICORN = Path(sys.executable).with_name("gunicorn")
# Variables of the test run that a server must not inherit.
NOT_INHERITED = ("TEST_DATABASE_URL", "LINLI_TEST_CLOCK", "PYTEST_XDIST_WORKER", "PYTEST_CURRENT_TEST")


@dataclass
class Server:
    url: str
    host: str
    port: int
    process: subprocess.Popen
    access_log: Path
    error_log: Path

    def errors(self) -> str:
        """What the server wrote to its error log so far."""
        return self.error_log.read_text(errors="replace") if self.error_log.exists() else ""


def server_environment(extra: dict[str, str]) -> dict[str, str]:
    """The environment of this test run, less the test-only variables, plus ``extra``."""
    environment = {k: v for k, v in os.environ.items() if k not in NOT_INHERITED}
    environment.update(extra)
    return environment


def get(host: str, port: int, path: str, timeout: float = 5.0) -> tuple[int, bytes]:
    """One GET request; (status, body)."""
    connection = http.client.HTTPConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


def wait_until_healthy(host: str, port: int, process: subprocess.Popen, *, within: float = 90.0) -> None:
    """Wait until /healthz answers 200; fail if the process ends or time runs out."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with {process.returncode} before it answered")
        try:
            status, _ = get(host, port, "/healthz", timeout=2)
            if status == 200:
                return
        except OSError:
            pass
        time.sleep(0.2)
    raise RuntimeError(f"the server did not answer /healthz within {within:.0f} s")


def stop(process: subprocess.Popen) -> None:
    """Stop a server started in its own session: SIGTERM (graceful), then SIGKILL."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@contextmanager
def gunicorn(env: dict[str, str], logs: Path, *, workers: int = 4, args: tuple[str, ...] = ()) -> Iterator[Server]:
    """Run ``gunicorn -c gunicorn.conf.py`` with ``workers`` workers and ``env`` on a free
    loopback port until the block ends; logs go to files in ``logs``."""
    logs.mkdir(parents=True, exist_ok=True)
    access_log, error_log = logs / "access.log", logs / "error.log"
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.bind(("127.0.0.1", 0))
    listener.listen(256)
    host, port = listener.getsockname()
    environment = server_environment({
        **env,
        "WEB_CONCURRENCY": str(workers),
        "LINLI_BIND": f"fd://{listener.fileno()}",
        "LINLI_ACCESS_LOG": str(access_log),
        "LINLI_ERROR_LOG": str(error_log),
    })
    process = subprocess.Popen(
        [str(GUNICORN), "-c", str(ROOT / "gunicorn.conf.py"), *args],
        cwd=ROOT, env=environment, pass_fds=(listener.fileno(),), start_new_session=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )
    listener.close()  # gunicorn holds its own copy
    try:
        wait_until_healthy(host, port, process)
        _wait_for_workers(error_log, workers)
        yield Server(f"http://{host}:{port}", host, port, process, access_log, error_log)
    finally:
        stop(process)


def _wait_for_workers(error_log: Path, workers: int, within: float = 60.0) -> None:
    """Wait until gunicorn says it booted ``workers`` workers."""
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if error_log.read_text(errors="replace").count("Booting worker") >= workers:
            return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not boot {workers} workers within {within:.0f} s")
