"""Measure what load on the machine can't move: SQL statements and CPU time per request.

Usage (``bench/run.py`` runs it): ``python bench/inprocess.py SPEC.json OUT.json`` with
``DATABASE_URL`` and ``SECRET_KEY`` set. SPEC lists, per route, the requests to make (as
wrk makes them); each is handed straight to the WSGI app of Linli, or of the hello-world
baseline, in this process: no server, no network. For every route the result says how
many SQL statements one request runs (all of them, ``BEGIN`` included: it must not grow
with the data), the CPU time one request costs (``time.process_time``, so other programs
on the machine don't count), how many Python function calls it makes (counted by
cProfile: the same on a quiet machine and a busy one, so it shows what a change saved
even when CPU time is noisy), the status and the size of the body.

With ``BENCH_PROFILE=DIR`` it also writes a pyinstrument profile of each route to DIR.
"""
from __future__ import annotations

import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from werkzeug.test import EnvironBuilder  # noqa: E402

WARMUP = 20
COUNTED = 10  # requests whose Python function calls are counted
_statements = [0]


@sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
def _count(*args) -> None:
    _statements[0] += 1


def _environ(request: dict) -> dict:
    builder = EnvironBuilder(
        path=request["path"], method=request["method"], headers=request["headers"],
        data=request["body"].encode() if request["body"] else None,
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    try:
        return builder.get_environ()
    finally:
        builder.close()


LOGGED_IN_MARK = b'class="log-out"'  # the log-out button every page shows a logged-in person


def _call(app, environ: dict, keep: list | None = None) -> tuple[int, int]:
    """Run one request through the WSGI app; return its status and body size (and with
    ``keep``, append the body to it)."""
    status = []

    def start_response(line, headers, exc_info=None):
        status.append(int(line.split()[0]))

    size = 0
    chunks = []
    body = app(environ, start_response)
    try:
        for chunk in body:
            size += len(chunk)
            chunks.append(chunk)
    finally:
        if hasattr(body, "close"):
            body.close()
    if keep is not None:
        keep.append(b"".join(chunks))
    return status[0], size


def measure(app, requests: list[dict], count: int, profile_to: Path | None = None) -> dict:
    """Make ``count`` requests (after WARMUP untimed ones) from ``requests`` in turn; with
    ``profile_to``, then ``count`` more under pyinstrument (not timed: it slows them)."""
    needed = WARMUP + count * (2 if profile_to else 1) + COUNTED
    environs = [_environ(requests[i % len(requests)]) for i in range(needed)]
    for environ in environs[:WARMUP]:
        _call(app, environ)
    cpu, statements, statuses, sizes = [], [], set(), set()
    seen: list[bytes] = []
    _call(app, environs[WARMUP - 1], seen)
    for environ in environs[WARMUP:WARMUP + count]:
        _statements[0] = 0
        started = time.process_time()
        status, size = _call(app, environ)
        cpu.append(time.process_time() - started)
        statements.append(_statements[0])
        statuses.add(status)
        sizes.add(size)
    counter = cProfile.Profile()
    counter.enable()
    for environ in environs[WARMUP + count:WARMUP + count + COUNTED]:
        _call(app, environ)
    counter.disable()
    calls = pstats.Stats(counter).total_calls / COUNTED
    if profile_to is not None:
        from pyinstrument import Profiler

        profiler = Profiler(interval=0.0005)
        profiler.start()
        for environ in environs[WARMUP + count + COUNTED:]:
            _call(app, environ)
        profiler.stop()
        profile_to.write_text(profiler.output_text(unicode=True, color=False, show_all=False), encoding="utf-8")
    return {
        "cpu_us": statistics.median(cpu) * 1e6,
        "cpu_mean_us": statistics.fmean(cpu) * 1e6,
        "calls": calls,
        "statements": sorted(set(statements)),
        "statuses": sorted(statuses),
        "bytes": max(sizes),
        "logged_in": LOGGED_IN_MARK in seen[0],
    }


def _with_current_etag(app, requests: list[dict]) -> list[dict]:
    """The revalidation requests with the feed's ETag of this moment in If-None-Match."""
    plain = dict(requests[0], headers={k: v for k, v in requests[0]["headers"].items() if k != "If-None-Match"})
    headers = []
    environ = _environ(plain)
    body = app(environ, lambda status, response_headers, exc_info=None: headers.extend(response_headers))
    if hasattr(body, "close"):
        body.close()
    etag = dict(headers)["ETag"]
    return [dict(r, headers={**r["headers"], "If-None-Match": etag}) for r in requests]


def main(spec_path: str, out_path: str) -> None:
    spec = json.loads(Path(spec_path).read_text(encoding="utf-8"))
    from app import create_app
    from bench.hello import app as hello

    linli = create_app()
    from serving import freeze_startup_objects

    freeze_startup_objects()  # as gunicorn.conf.py does once a worker has loaded the app
    profile_dir = os.environ.get("BENCH_PROFILE")
    results = {}
    for route in spec["routes"]:
        app = hello if route["server"] == "hello" else linli
        target = None
        if profile_dir:
            Path(profile_dir).mkdir(parents=True, exist_ok=True)
            target = Path(profile_dir) / f"{spec['dataset']}-{route['key']}.txt"
        requests = route.get("inprocess_requests") or route["requests"]
        if route.get("revalidates"):
            requests = _with_current_etag(app, requests)
        results[route["key"]] = measure(app, requests, spec["count"], target)
    Path(out_path).write_text(json.dumps(results), encoding="utf-8")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
