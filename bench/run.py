"""Measure Linli as production runs it: gunicorn, a load generator, and a hello-world to compare.

Run from the repository root (``make bench`` / ``make bench DB=postgres`` do)::

    .venv/bin/python bench/run.py                       # SQLite, demo and scale data, print
    .venv/bin/python bench/run.py --write-doc           # ... and rewrite docs/PERFORMANCE.md
    .venv/bin/python bench/run.py --database-url URL    # PostgreSQL (a server you may create databases on)
    .venv/bin/python bench/run.py --datasets demo --duration 2 --rounds 1   # quick look

For each data set (``demo``: ``seed-demo``; ``scale``: ``seed-demo`` then ``seed-scale``,
~5,000 events, 20,000 residents, 200,000 bookings) it makes a throwaway database, adds
what the routes need (``bench/prepare.py``: a roster of 200, lectures with room for
everyone, 2,000 logged-in residents to book them), and then:

1. **in process** (``bench/inprocess.py``): each route's SQL statements per request and
   CPU time per request, straight through the WSGI app — figures load can't move;
2. **under load**: starts Linli under gunicorn with the production config
   (``gunicorn -c gunicorn.conf.py`` when that file exists, else ``--workers 2×CPUs+1``
   sync workers) and a one-line Flask hello-world under an identical gunicorn, and drives
   each route with wrk (``-t1 -c8``, Debian's package; ``bench/wrk/requests.lua``) for a
   few seconds, in interleaved rounds with hello-world first in each, so load from
   elsewhere hits every route alike. Each route's median requests per second is shown
   as a share of hello-world's in the same run, with p50/p99 latencies.

Every request is one a browser or a calendar app would make: logged-in pages carry a
session cookie, bookings a CSRF token and a new person each time, revalidations the
feed's ETag. Before timing, each route is requested once and must answer what it should
(200, 302 back to the lecture, 304); the bookings made are counted in the database after.
Servers are stopped and throwaway databases removed at the end, also on errors.
"""
from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
LUA = ROOT / "bench" / "wrk" / "requests.lua"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
HOST = "127.0.0.1"
HOST_HEADER = "linli.bench"  # every request names the same site, in process and over HTTP
SECRET_KEY = "linli-bench-not-secret"
UNIT = "\x1f"


class BenchError(RuntimeError):
    """Something makes the figures meaningless; the message says what."""


# --- what is measured ------------------------------------------------------------------


@dataclass
class Route:
    key: str
    label: str
    server: str  # "linli" or "hello"
    requests: list[dict]
    expect: int
    target: float | None = None  # share of hello-world to reach
    p99_target_ms: float | None = None
    inprocess_requests: list[dict] | None = None
    note: str = ""
    # A revalidation: If-None-Match must carry the feed's ETag of the moment (the window
    # moves with the clock, so an event can leave a feed between two phases of a run).
    revalidates: bool = False


def _request(method: str, path: str, *, cookie: str | None = None, body: str = "", **headers) -> dict:
    fields = {"Host": HOST_HEADER, "User-Agent": "linli-bench", "Accept": "text/html"}
    if cookie:
        fields["Cookie"] = cookie
    if body:
        fields["Content-Type"] = "application/x-www-form-urlencoded"
    fields.update({name.replace("_", "-"): value for name, value in headers.items()})
    return {"method": method, "path": path, "headers": fields, "body": body}


def routes_for(fixtures: dict, inprocess_count: int, profile: bool = False) -> list[Route]:
    resident, _ = fixtures["resident"]
    organizer, _ = fixtures["organizer"]
    lecture = fixtures["lecture"]
    token = fixtures["feed_token"]
    personal = f"/calendar/u/{token}.ics"
    # Booking: every booker books every bench lecture once; consecutive requests are
    # different people. The first lecture's first bookers are kept for the in-process run.
    reserved = inprocess_count * (2 if profile else 1) + 20 + 10
    bookings = []
    for index, event_id in enumerate(fixtures["bookable"]):
        for number, (cookie, csrf) in enumerate(fixtures["bookers"]):
            line = _request("POST", f"/lectures/{event_id}/book", cookie=cookie, body=f"csrf_token={csrf}")
            bookings.append(line)
    inprocess_bookings, bookings = bookings[:reserved], bookings[reserved:]
    return [
        Route("hello", "hello-world (baseline)", "hello", [_request("GET", "/")], 200),
        Route("healthz", "`GET /healthz`", "linli", [_request("GET", "/healthz")], 200),
        Route("home", "`GET /` (visitor)", "linli", [_request("GET", "/")], 200),
        Route("lectures", "`GET /lectures/` logged in", "linli", [_request("GET", "/lectures/", cookie=resident)],
              200, target=0.10),
        Route("lecture", "a lecture page logged in", "linli",
              [_request("GET", f"/lectures/{lecture}", cookie=resident)], 200, target=0.12),
        Route("book", "booking a seat (POST, a new person each time)", "linli", bookings, 302,
              target=0.10, p99_target_ms=100, inprocess_requests=inprocess_bookings),
        Route("feed", "`GET /calendar/all.ics`", "linli", [_request("GET", "/calendar/all.ics", Accept="*/*")],
              200, target=0.30),
        Route("feed304", "the same, answered 304 (If-None-Match)", "linli",
              [_request("GET", "/calendar/all.ics", Accept="*/*", If_None_Match=f'"{fixtures["etags"]["feed"]}"')],
              304, target=0.60, revalidates=True),
        Route("personal", "a personal feed", "linli", [_request("GET", personal, Accept="*/*")], 200, target=0.30),
        Route("personal304", "the same, answered 304", "linli",
              [_request("GET", personal, Accept="*/*", If_None_Match=f'"{fixtures["etags"]["personal"]}"')],
              304, target=0.60, revalidates=True),
        Route("roster", "the roster of an event with 200 bookings (organizer)", "linli",
              [_request("GET", f"/attendance/{fixtures['roster_event']}/", cookie=organizer)], 200, target=0.08),
    ]


# --- databases ---------------------------------------------------------------------------


def _run(command: list[str], env: dict, what: str, timeout: float = 1800) -> str:
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise BenchError(f"{what} failed:\n{done.stdout[-3000:]}{done.stderr[-3000:]}")
    return done.stdout


def _flask(env: dict, *args: str) -> str:
    return _run([sys.executable, "-m", "flask", "--app", "app", *args], env, "flask " + " ".join(args))


class Databases:
    """Throwaway databases: SQLite files in the work folder, or PostgreSQL databases
    created next to ``server_url`` and dropped at the end."""

    def __init__(self, workdir: Path, server_url: str | None):
        self.workdir = workdir
        self.server_url = server_url
        self.made: list[str] = []

    @property
    def kind(self) -> str:
        return "postgresql" if self.server_url else "sqlite"

    def new(self, name: str) -> str:
        if not self.server_url:
            return f"sqlite:///{self.workdir / (name + '.sqlite3')}"
        database = f"linli_bench_{name}"
        engine = sa.create_engine(_psycopg(self.server_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            connection.execute(sa.text(f"DROP DATABASE IF EXISTS {database}"))
            connection.execute(sa.text(f"CREATE DATABASE {database}"))
        engine.dispose()
        self.made.append(database)
        return make_url(_psycopg(self.server_url)).set(database=database).render_as_string(hide_password=False)

    def drop_all(self) -> None:
        if not self.server_url or not self.made:
            return
        engine = sa.create_engine(_psycopg(self.server_url), isolation_level="AUTOCOMMIT")
        with engine.connect() as connection:
            for database in self.made:
                connection.execute(sa.text(f"DROP DATABASE IF EXISTS {database} WITH (FORCE)"))
        engine.dispose()


def _psycopg(url: str) -> str:
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def row_counts(url: str) -> dict[str, int]:
    engine = sa.create_engine(_psycopg(url))
    with engine.connect() as connection:
        counts = {table: connection.execute(sa.text(f"SELECT count(*) FROM {table}")).scalar_one()
                  for table in ("events", "users", "bookings")}
    engine.dispose()
    return counts


# --- servers and load --------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind((HOST, 0))
        return probe.getsockname()[1]


def gunicorn_command(app_spec: str, port: int, workdir: Path) -> list[str]:
    """gunicorn as production starts it: the production config when there is one, else
    the same settings as flags. Both servers of a run get exactly the same."""
    command = [sys.executable, "-m", "gunicorn"]
    if GUNICORN_CONF.exists():
        command += ["-c", str(GUNICORN_CONF)]
    else:
        command += ["--workers", str(2 * (os.cpu_count() or 1) + 1), "--worker-class", "sync"]
    return command + ["--bind", f"{HOST}:{port}", "--error-logfile", str(workdir / f"gunicorn-{port}.log"),
                      app_spec]


def server_description() -> str:
    if GUNICORN_CONF.exists():
        return "gunicorn with the production config (`gunicorn -c gunicorn.conf.py`)"
    return f"gunicorn, {2 * (os.cpu_count() or 1) + 1} sync workers (no gunicorn.conf.py yet: `--workers 2×CPUs+1`)"


class Server:
    def __init__(self, app_spec: str, env: dict, workdir: Path, ready_path: str):
        self.port = _free_port()
        self.log = workdir / f"gunicorn-{self.port}.log"
        self.process = subprocess.Popen(gunicorn_command(app_spec, self.port, workdir), cwd=ROOT, env=env,
                                        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 60
        while True:
            try:
                if http_request(self.port, _request("GET", ready_path))[0] == 200:
                    return
            except OSError:
                pass
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise BenchError(f"gunicorn ({app_spec}) did not start:\n{_tail(self.log)}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def http_request(port: int, request: dict) -> tuple[int, dict, bytes]:
    connection = http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        connection.request(request["method"], request["path"], body=request["body"] or None,
                           headers=request["headers"])
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def write_requests(path: Path, requests: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for r in requests:
            headers = UNIT.join(f"{name}: {value}" for name, value in r["headers"].items())
            out.write(f"{r['method']}\t{r['path']}\t{headers}\t{r['body']}\n")


def wrk(port: int, requests_file: Path, *, seconds: float, connections: int, skip: int = 0) -> dict:
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds:g}s", "--timeout", "10s", "-s", str(LUA),
               f"http://{HOST}:{port}", "--", str(requests_file), str(skip)]
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 60)
    line = next((l for l in done.stdout.splitlines() if l.startswith("BENCH ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(f"wrk failed:\n{done.stdout}{done.stderr}")
    result = json.loads(line[len("BENCH "):])
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


# --- one data set ----------------------------------------------------------------------------


@dataclass
class DatasetResult:
    name: str
    counts: dict
    routes: list[Route]
    inprocess: dict
    runs: dict[str, list[dict]] = field(default_factory=dict)
    bookings_made: int = 0
    notes: list[str] = field(default_factory=list)


def refresh_etag(port: int, route: Route) -> None:
    """Put the feed's current ETag into a revalidation's If-None-Match."""
    plain = {**route.requests[0], "headers": {k: v for k, v in route.requests[0]["headers"].items()
                                              if k != "If-None-Match"}}
    status, headers, _ = http_request(port, plain)
    if status != 200 or "ETag" not in headers:
        raise BenchError(f"{route.label}: the feed answered {status} without an ETag")
    for request in route.requests:
        request["headers"]["If-None-Match"] = headers["ETag"]


def probe(port: int, route: Route, fixtures: dict) -> None:
    """One request, which must answer as a browser would be answered."""
    status, headers, body = http_request(port, route.requests[-1])
    if status != route.expect:
        raise BenchError(f"{route.label} answered {status}, expected {route.expect}: {body[:300]!r}")
    if route.expect == 200 and "Cookie" in route.requests[-1]["headers"] and b'class="log-out"' not in body:
        raise BenchError(f"{route.label} was answered as to a visitor: the session cookie was refused")
    if route.key == "book":
        location = headers.get("Location", "")
        if not location.rstrip("/").endswith(route.requests[-1]["path"].rsplit("/book", 1)[0]):
            raise BenchError(f"booking redirected to {location!r}")


def run_dataset(name: str, args, databases: Databases, workdir: Path) -> DatasetResult:
    print(f"[{name}] preparing the database…", file=sys.stderr)
    url = databases.new(name)
    env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "PYTHONUNBUFFERED": "1",
           # Every request of the load generator comes from 127.0.0.1, where a site sees one
           # address per resident: the throttles still count every write, but don't refuse.
           "LINLI_WRITE_LIMIT_PER_ADDRESS": "1000000 per minute"}
    for variable in ("FLASK_APP", "LINLI_SITE_URL"):
        env.pop(variable, None)
    _flask(env, "db", "upgrade")
    _flask(env, "seed-demo")
    if name == "scale":
        _flask(env, "seed-scale", "--events", str(args.scale_events), "--residents", str(args.scale_residents),
               "--bookings", str(args.scale_bookings))
    fixtures_path = workdir / f"{name}-fixtures.json"
    _run([sys.executable, str(ROOT / "bench" / "prepare.py"), str(fixtures_path), str(args.bookers)], env,
         "bench/prepare.py")
    fixtures = json.loads(fixtures_path.read_text(encoding="utf-8"))
    counts = row_counts(url)
    routes = routes_for(fixtures, args.inprocess_count, profile=bool(args.profile))
    if args.only:
        routes = [r for r in routes if r.key in args.only or r.key == "hello"]

    print(f"[{name}] in process: statements and CPU per request…", file=sys.stderr)
    spec = {"dataset": name, "count": args.inprocess_count, "routes": [vars(r) for r in routes]}
    spec_path, out_path = workdir / f"{name}-spec.json", workdir / f"{name}-inprocess.json"
    spec_path.write_text(json.dumps(spec), encoding="utf-8")
    profile_env = dict(env, BENCH_PROFILE=str(args.profile)) if args.profile else env
    _run([sys.executable, str(ROOT / "bench" / "inprocess.py"), str(spec_path), str(out_path)], profile_env,
         "bench/inprocess.py")
    inprocess = json.loads(out_path.read_text(encoding="utf-8"))
    for route in routes:
        statuses = inprocess[route.key]["statuses"]
        if statuses != [route.expect]:
            raise BenchError(f"[{name}] {route.label} answered {statuses} in process, expected {route.expect}")
        if route.expect == 200 and "Cookie" in route.requests[0]["headers"] and not inprocess[route.key]["logged_in"]:
            # A cookie the app turns away still gets a 200: the page a visitor sees.
            raise BenchError(f"[{name}] {route.label} was answered as to a visitor: the session cookie was refused")
    result = DatasetResult(name, counts, routes, inprocess)
    if args.no_load:
        return result

    files = {route.key: workdir / f"{name}-{route.key}.requests" for route in routes}
    before = _bench_bookings(url, fixtures)
    linli = hello = None
    try:
        linli = Server("app:create_app()", env, workdir, "/healthz")
        hello = Server("bench.hello:app", env, workdir, "/")
        ports = {"linli": linli.port, "hello": hello.port}
        for route in routes:
            if route.revalidates:
                refresh_etag(ports[route.server], route)
            write_requests(files[route.key], route.requests)
            probe(ports[route.server], route, fixtures)
        print(f"[{name}] under load: {len(routes)} routes × {args.rounds} rounds × {args.duration:g} s…",
              file=sys.stderr)
        # How far down its list each route has gone (with room for requests in flight when
        # wrk stopped), so the next run sends only new ones: a person books a lecture once.
        sent = {route.key: 0 for route in routes}
        for route in routes:  # warm-up, not recorded
            run = wrk(ports[route.server], files[route.key], seconds=1, connections=args.connections)
            sent[route.key] += run["requests"] + 2 * args.connections
        for round_number in range(args.rounds):
            for route in routes:
                run = wrk(ports[route.server], files[route.key], seconds=args.duration,
                          connections=args.connections, skip=sent[route.key])
                sent[route.key] += run["requests"] + 2 * args.connections
                print(f"[{name}] round {round_number + 1} {route.key}: {run['rps']:.0f}/s, "
                      f"p50 {run['p50_us'] / 1000:.1f} ms, p99 {run['p99_us'] / 1000:.1f} ms, "
                      f"timeouts {run['errors']['timeout']}", file=sys.stderr)
                errors = sum(run["errors"].values()) - run["errors"]["timeout"]
                ran_out = "the booking list ran out: some bookings were sent twice (raise --bookers)"
                if route.key == "book" and sent[route.key] > len(route.requests) and ran_out not in result.notes:
                    result.notes.append(ran_out)
                if run["errors"]["status"] or run["errors"]["connect"]:
                    raise BenchError(f"[{name}] {route.label}: {errors} errors under load: {run['errors']}\n"
                                     + _tail(linli.log))
                result.runs.setdefault(route.key, []).append(run)
        for route in routes:  # still answering as it should after the load
            if route.revalidates and http_request(ports[route.server], route.requests[-1])[0] != route.expect:
                result.notes.append(f"{route.label}: the feed changed during the run (an event left its "
                                    "window as the clock moved), so some of these requests were full answers")
            elif route.key != "book" and not route.revalidates:
                probe(ports[route.server], route, fixtures)
    finally:
        for server in (linli, hello):
            if server is not None:
                server.stop()
    result.bookings_made = _bench_bookings(url, fixtures) - before
    return result


def _bench_bookings(url: str, fixtures: dict) -> int:
    engine = sa.create_engine(_psycopg(url))
    ids = ", ".join(str(i) for i in fixtures["bookable"])
    with engine.connect() as connection:
        count = connection.execute(sa.text(
            f"SELECT count(*) FROM bookings WHERE event_id IN ({ids}) AND status = 'confirmed'"
        )).scalar_one()
    engine.dispose()
    return count


# --- report --------------------------------------------------------------------------------


def _median(runs: list[dict], key: str) -> float:
    return statistics.median(run[key] for run in runs)


def dataset_table(result: DatasetResult) -> str:
    hello_runs = result.runs.get("hello")
    hello_cpu = result.inprocess["hello"]["cpu_us"]
    lines = [
        "| route | share of hello-world | target | requests/s | p50 ms | p99 ms | SQL statements | "
        "CPU per request (in process) | CPU share | Python calls | body |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for route in result.routes:
        figures = result.inprocess[route.key]
        statements = "–" if route.server == "hello" else "–".join(
            str(n) for n in sorted({min(figures["statements"]), max(figures["statements"])}))
        cpu = f"{figures['cpu_us'] / 1000:.2f} ms"
        cpu_share = f"{hello_cpu / figures['cpu_us']:.3f}"
        body = f"{figures['bytes'] / 1024:.1f} KB" if figures["bytes"] >= 1024 else f"{figures['bytes']} B"
        target = f"≥ {route.target:.2f}" if route.target else ""
        if route.p99_target_ms:
            target += f", p99 < {route.p99_target_ms:g} ms"
        runs = result.runs.get(route.key)
        if runs and hello_runs:
            rps = _median(runs, "rps")
            shares = [run["rps"] / base["rps"] for run, base in zip(runs, hello_runs)]
            share = rps / _median(hello_runs, "rps")
            verdict = ""
            if route.target:
                met = share >= route.target and (not route.p99_target_ms
                                                 or _median(runs, "p99_us") / 1000 < route.p99_target_ms)
                verdict = " ✅" if met else " ❌"
            share_text = f"{share:.3f}{verdict}" + (f" ({min(shares):.3f}–{max(shares):.3f})" if len(runs) > 1 else "")
            lines.append(
                f"| {route.label} | {share_text if route.key != 'hello' else '1'} | {target} | {rps:.0f} | "
                f"{_median(runs, 'p50_us') / 1000:.1f} | {_median(runs, 'p99_us') / 1000:.1f} | {statements} | "
                f"{cpu} | {cpu_share} | {figures['calls']:,.0f} | {body} |"
            )
        else:
            lines.append(f"| {route.label} | | {target} | | | | {statements} | {cpu} | {cpu_share} | "
                         f"{figures['calls']:,.0f} | {body} |")
    return "\n".join(lines)


def scale_table(demo: DatasetResult, scale: DatasetResult) -> str:
    lines = [
        "| route | p50 demo → scale | ratio (≤ 1.5) | CPU demo → scale | Python calls demo → scale | "
        "SQL statements demo → scale |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for route in demo.routes:
        if route.key == "hello" or route.key not in scale.inprocess:
            continue
        d, s = demo.inprocess[route.key], scale.inprocess[route.key]
        same = "same" if d["statements"] == s["statements"] else "**differ**"
        statements = f"{'–'.join(map(str, sorted(set(d['statements']))))} → " \
                     f"{'–'.join(map(str, sorted(set(s['statements']))))} ({same})"
        cpu = f"{d['cpu_us'] / 1000:.2f} → {s['cpu_us'] / 1000:.2f} ms | {d['calls']:,.0f} → {s['calls']:,.0f}"
        if demo.runs.get(route.key) and scale.runs.get(route.key):
            p50d, p50s = _median(demo.runs[route.key], "p50_us"), _median(scale.runs[route.key], "p50_us")
            ratio = p50s / p50d
            lines.append(f"| {route.label} | {p50d / 1000:.1f} → {p50s / 1000:.1f} ms | {ratio:.2f}"
                         f"{' ✅' if ratio <= 1.5 else ' ❌'} | {cpu} | {statements} |")
        else:
            ratio = s["cpu_us"] / d["cpu_us"]
            lines.append(f"| {route.label} | | CPU {ratio:.2f} | {cpu} | {statements} |")
    return "\n".join(lines)


def machine(load_start: float, load_end: float) -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " (" + line.split(":", 1)[1].strip() + ")"
                break
    except OSError:
        pass
    return (f"{os.cpu_count()} CPUs{model}, {platform.system()} {platform.machine()}, Python "
            f"{platform.python_version()}; **load average {load_start:.2f} at start, {load_end:.2f} at the end**")


def code_version() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"commit {commit}" + (" plus uncommitted changes" if dirty else "")


def _version(command: list[str]) -> str:
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=10)
        return (done.stdout or done.stderr).strip().splitlines()[0]
    except (OSError, subprocess.SubprocessError, IndexError):
        return "?"


def report(args, databases: Databases, results: list[DatasetResult], started_at: datetime, seconds: float,
           loads: tuple[float, float]) -> str:
    database = ("SQLite (WAL), a file in a temporary folder" if databases.kind == "sqlite"
                else f"PostgreSQL ({_version(['psql', '--version'])}), throwaway databases on the given server")
    parts = [
        f"_Written by `make bench{' DB=postgres' if databases.kind == 'postgresql' else ''}` "
        f"(`bench/run.py --write-doc`) on {started_at:%Y-%m-%d %H:%M} UTC; rerun it rather than editing._",
        "",
        f"- **Code:** {code_version()}",
        f"- **Machine:** {machine(*loads)}",
        f"- **Database:** {database}",
        f"- **Server:** {server_description()}; the hello-world baseline under an identical gunicorn",
        f"- **Load:** {_version(['wrk', '--version'])} — `-t1 -c{args.connections}`, {args.duration:g} s per "
        f"route, {args.rounds} interleaved rounds (hello-world first in each), medians; the whole run took "
        f"{seconds / 60:.0f} min",
        f"- **In process:** {args.inprocess_count} requests per route through the WSGI app after 20 untimed; "
        "median CPU time (`time.process_time`); *CPU share* = hello-world's CPU per request ÷ the route's; "
        "*Python calls* = function calls per request counted by cProfile (load can't change it)",
    ]
    for result in results:
        c = result.counts
        parts += ["", f"#### {result.name.capitalize()} data: {c['events']:,} events, {c['users']:,} people, "
                  f"{c['bookings']:,} bookings", "", dataset_table(result)]
        if result.runs.get("book"):
            requests = sum(run["requests"] for run in result.runs["book"])
            parts += ["", f"Bookings confirmed during the timed and warm-up runs: {result.bookings_made:,} "
                      f"(timed booking requests: {requests:,})."]
        parts += [f"\n**Note:** {note}" for note in result.notes]
    by_name = {r.name: r for r in results}
    if "demo" in by_name and "scale" in by_name:
        parts += ["", "#### Scale against demo", "", scale_table(by_name["demo"], by_name["scale"])]
    return "\n".join(parts)


def write_doc(section: str, kind: str) -> None:
    start_marker, end_marker = f"<!-- bench:{kind}:start -->", f"<!-- bench:{kind}:end -->"
    text = DOC.read_text(encoding="utf-8")
    start, end = text.find(start_marker), text.find(end_marker)
    if start < 0 or end < start:
        raise BenchError(f"{DOC} lacks the {start_marker} … {end_marker} markers")
    DOC.write_text(text[: start + len(start_marker)] + "\n" + section + "\n" + text[end:], encoding="utf-8")


# --- main ------------------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to make throwaway databases on (else SQLite)")
    parser.add_argument("--datasets", default="demo,scale", help="demo, scale or both (default demo,scale)")
    parser.add_argument("--duration", type=float, default=5, help="seconds of load per route and round (5)")
    parser.add_argument("--rounds", type=int, default=3, help="interleaved rounds (3)")
    parser.add_argument("--connections", type=int, default=8, help="connections wrk keeps busy (8)")
    parser.add_argument("--bookers", type=int, default=2000, help="logged-in residents who book (2000)")
    parser.add_argument("--inprocess-count", type=int, default=200, help="requests per route in process (200)")
    parser.add_argument("--scale-events", type=int, default=5_000)
    parser.add_argument("--scale-residents", type=int, default=20_000)
    parser.add_argument("--scale-bookings", type=int, default=200_000)
    parser.add_argument("--only", help="measure only these routes (comma-separated keys, e.g. feed,feed304)")
    parser.add_argument("--no-load", action="store_true", help="only the in-process figures (no gunicorn, no wrk)")
    parser.add_argument("--profile", type=Path, help="write a pyinstrument profile of each route to this folder")
    parser.add_argument("--write-doc", action="store_true", help=f"rewrite the results in {DOC.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    args.datasets = [d.strip() for d in args.datasets.split(",") if d.strip()]
    if not set(args.datasets) <= {"demo", "scale"}:
        parser.error("--datasets takes demo and/or scale")
    args.only = set(args.only.split(",")) if args.only else None
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    if not args.no_load and shutil.which("wrk") is None:
        print("bench: wrk is missing (scripts/ensure-wrk installs Debian's package)", file=sys.stderr)
        return 1
    started_at, clock = datetime.now(timezone.utc), time.monotonic()
    load_start = os.getloadavg()[0]
    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    databases = Databases(workdir, args.database_url)
    try:
        results = [run_dataset(name, args, databases, workdir) for name in args.datasets]
        section = report(args, databases, results, started_at, time.monotonic() - clock,
                         (load_start, os.getloadavg()[0]))
        print(section)
        if args.write_doc:
            write_doc(section, databases.kind)
            print(f"\nWrote the results into {DOC.relative_to(ROOT)}.", file=sys.stderr)
        return 0
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    finally:
        try:
            databases.drop_all()
        finally:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
