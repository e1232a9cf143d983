"""Measure Linli's response times against /healthz on a real server, with the demo data.

Run from the repository root::

    .venv/bin/python bench/run.py                 # print the tables
    .venv/bin/python bench/run.py --write-doc     # ... and rewrite docs/PERFORMANCE.md's results
    .venv/bin/python bench/run.py --requests 100  # quicker, noisier

What it does: makes a throwaway SQLite database in a temporary folder, runs
``flask --app app db upgrade`` and ``flask --app app seed-demo`` on it, starts
``bench/serve.py`` (Werkzeug's threaded server on 127.0.0.1, a free port), and sends a
bounded number of requests per route with the standard library's ``http.client``: first
from one client, then from ``--concurrency`` client threads. Routes are measured in
interleaved rounds, so a burst of load from elsewhere on the machine hits every route
alike. Each route's median is divided by /healthz's median in the same run and mode: the
ratio is the figure to compare between machines and runs, not the milliseconds.

``--database-url`` measures an existing database instead (e.g. PostgreSQL): it is
migrated, seeded only if empty, and must hold the demo accounts. The write path books and
cancels seats, so it leaves cancelled bookings behind: use a throwaway database.

The server is stopped and the temporary folder removed at the end, also on errors.
All traffic goes to 127.0.0.1.
"""
from __future__ import annotations

import argparse
import html
import http.client
import math
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "PERFORMANCE.md"
START_MARKER = "<!-- bench:start -->"
END_MARKER = "<!-- bench:end -->"
HOST = "127.0.0.1"
SECRET_KEY = "linli-bench-not-secret"
PASSWORD = "linli-demo-2026"  # demo/__init__.py: DEMO_PASSWORD
RESIDENT = "13900000001"  # the demo resident with bookings
# More demo residents, one per concurrent writer, so writers don't share a booking.
WRITERS = [RESIDENT] + [f"139000000{n:02d}" for n in range(2, 13)]
QUERIES_HEADER = "X-Bench-Queries"  # set by bench/serve.py
BASELINE = "GET /healthz"


class BenchError(RuntimeError):
    """Something went wrong that makes the figures meaningless; the message says what."""


# --- HTTP client ---------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    body: str
    seconds: float

    @property
    def queries(self) -> int | None:
        value = self.headers.get(QUERIES_HEADER)
        return int(value) if value is not None else None

    @property
    def location_path(self) -> str:
        return urlsplit(self.headers.get("Location", "")).path


class Client:
    """One browser-like visitor: its own cookies, one request at a time.

    Werkzeug's server closes the connection after every response (it sends
    ``Connection: close`` even on HTTP/1.1), so each request opens a new loopback
    connection; that cost is the same for every route, /healthz included.
    """

    def __init__(self, port: int, timeout: float, cookies: dict[str, str] | None = None):
        self.port = port
        self.timeout = timeout
        self.cookies = dict(cookies or {})

    def clone(self) -> Client:
        """Another client with the same cookies (the same logged-in session)."""
        return Client(self.port, self.timeout, self.cookies)

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> Response:
        """Send one request and read the whole response; the time covers both."""
        headers = {"User-Agent": "linli-bench", "Accept": "text/html"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        conn = http.client.HTTPConnection(HOST, self.port, timeout=self.timeout)
        try:
            started = time.perf_counter()
            conn.request(method, path, body=body, headers=headers)
            raw = conn.getresponse()
            data = raw.read()
            seconds = time.perf_counter() - started
        finally:
            conn.close()
        self._store_cookies(raw.headers.get_all("Set-Cookie") or [])
        return Response(raw.status, raw.headers, data.decode("utf-8", "replace"), seconds)

    def get(self, path: str, expect: int = 200) -> Response:
        response = self.request("GET", path)
        _expect(response, expect, f"GET {path}")
        return response

    def post(self, path: str, form: dict[str, str], expect: int = 302) -> Response:
        response = self.request("POST", path, form)
        _expect(response, expect, f"POST {path}")
        return response

    def _store_cookies(self, set_cookies: list[str]) -> None:
        for header in set_cookies:
            name, _, value = header.split(";", 1)[0].strip().partition("=")
            attributes = header.lower()
            if not value or "max-age=0" in attributes or "expires=thu, 01 jan 1970" in attributes:
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = value


def _expect(response: Response, status: int, what: str) -> None:
    if response.status != status:
        snippet = re.sub(r"\s+", " ", response.body)[:300]
        raise BenchError(f"{what} answered {response.status}, expected {status}: {snippet}")


class FormScraper(HTMLParser):
    """The forms of a page at ``path``: their actions and the values of their inputs."""

    def __init__(self, page: str, path: str):
        super().__init__(convert_charrefs=True)
        self.path = path
        self.forms: list[dict] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            # A form without an action posts back to its own page.
            action = html.unescape(attrs.get("action") or "") or self.path
            self.forms.append({"action": action, "inputs": {}})
        elif tag == "input" and self.forms and attrs.get("name"):
            self.forms[-1]["inputs"][attrs["name"]] = attrs.get("value") or ""

    def form(self, action_pattern: str) -> dict | None:
        """The first form whose action path matches ``action_pattern`` (a regex)."""
        for form in self.forms:
            if re.fullmatch(action_pattern, urlsplit(form["action"]).path):
                return form
        return None


def log_in(client: Client, phone: str) -> None:
    """Log ``client`` in through the login form, as a resident would."""
    page = client.get("/auth/login")
    form = FormScraper(page.body, "/auth/login").form(r"/auth/login")
    if form is None or "csrf_token" not in form["inputs"]:
        raise BenchError("the login page has no login form with a CSRF token")
    client.post("/auth/login", {
        "csrf_token": form["inputs"]["csrf_token"], "phone": phone, "password": PASSWORD,
        "remember": "y", "next": "",
    })
    client.get("/account/bookings")  # a 302 to the login page here would fail the run


# --- what is measured ----------------------------------------------------------------


@dataclass
class Route:
    """One line of the results: a label and how to make one request (or one step)."""

    label: str
    kind: str  # "read", "login" or "write": which request count applies
    step: Callable[[ClientSet, Callable[[str, Response], None]], None]  # record(label, response)
    labels: tuple[str, ...] = ()
    whole_steps: bool = False  # a step holds more than the timed request: rate counts steps

    def __post_init__(self):
        self.labels = self.labels or (self.label,)


@dataclass
class ClientSet:
    """The clients of one worker: a visitor, the demo resident, this worker's writer (its own
    demo resident) and a client whose cookies each login starts from scratch."""

    anonymous: Client
    resident: Client
    writer: Client
    fresh: Client


def read(label: str, path: str, who: str = "anonymous") -> Route:
    """GET ``path`` as the visitor or (``who="resident"``) the logged-in demo resident."""

    def step(clients: ClientSet, record) -> None:
        record(label, getattr(clients, who).get(path))

    return Route(label, "read", step)


def login_route() -> Route:
    """POST /auth/login with the right password: scrypt checks it on every request."""
    label = "POST /auth/login (scrypt)"

    def step(clients: ClientSet, record) -> None:
        client = clients.fresh
        client.cookies.clear()
        page = client.get("/auth/login")
        form = FormScraper(page.body, "/auth/login").form(r"/auth/login")
        if form is None:
            raise BenchError("the login page has no login form")
        record(label, client.post("/auth/login", {
            "csrf_token": form["inputs"].get("csrf_token", ""), "phone": RESIDENT, "password": PASSWORD,
            "remember": "y", "next": "",
        }))

    return Route(label, "login", step, whole_steps=True)


def write_route(event_id: int) -> Route:
    """Book a seat, then cancel it from the lecture page (the GET between is not timed)."""
    book_label = f"POST /lectures/{event_id}/book"
    cancel_label = "POST /account/bookings/<id>/cancel"
    detail = f"/lectures/{event_id}"

    def step(clients: ClientSet, record) -> None:
        client = clients.writer
        forms = FormScraper(client.get(detail).body, detail)
        book = forms.form(rf"/lectures/{event_id}/book")
        if book is None or "waitlist" in book["inputs"]:
            raise BenchError(f"lecture {event_id} no longer offers a free seat")
        response = client.post(f"/lectures/{event_id}/book", {"csrf_token": book["inputs"]["csrf_token"]})
        if response.location_path != detail:
            raise BenchError(f"booking redirected to {response.location_path!r}, not {detail}")
        record(book_label, response)
        # The lecture page now shows the booking, with its cancel button.
        cancel = FormScraper(client.get(detail).body, detail).form(r"/account/bookings/\d+/cancel")
        if cancel is None:
            raise BenchError(f"after booking lecture {event_id} the page shows no cancel button")
        record(cancel_label, client.post(cancel["action"], {"csrf_token": cancel["inputs"]["csrf_token"]}))

    return Route(f"book + cancel lecture {event_id}", "write", step, labels=(book_label, cancel_label),
                 whole_steps=True)


@dataclass
class Timings:
    seconds: list[float] = field(default_factory=list)
    queries: list[int] = field(default_factory=list)
    wall: float = 0.0  # time the batches of this route took, for requests per second
    whole_steps: bool = False


def discover(port: int, timeout: float, writers: list[str]) -> dict:
    """Find the ids and slugs to measure by reading the site as a visitor would."""
    anonymous = Client(port, timeout)
    listing = anonymous.get("/lectures/").body
    lecture_ids = list(dict.fromkeys(int(i) for i in re.findall(r'href="/lectures/(\d+)"', listing)))
    slugs = re.findall(r'href="/lectures/\?series=([\w-]+)"', listing)
    if not lecture_ids or not slugs:
        raise BenchError("the lecture list shows no lectures or no series: is the demo data there?")
    clients = []
    for phone in writers:
        client = Client(port, timeout)
        log_in(client, phone)
        clients.append(client)
    # A lecture with a free seat that none of the writers holds yet.
    for event_id in lecture_ids:
        if all(_offers_free_seat(c, event_id) for c in clients):
            writable = event_id
            break
    else:
        raise BenchError("no lecture offers a free seat to the writers")
    return {"lecture": lecture_ids[0], "series": slugs[0], "writable": writable, "writers": clients}


def _offers_free_seat(client: Client, event_id: int) -> bool:
    path = f"/lectures/{event_id}"
    form = FormScraper(client.get(path).body, path).form(rf"/lectures/{event_id}/book")
    return form is not None and "waitlist" not in form["inputs"]


def routes_for(found: dict) -> list[Route]:
    lecture = found["lecture"]
    return [
        read(BASELINE, "/healthz"),
        read("GET /", "/"),
        read("GET /lectures/", "/lectures/"),
        read(f"GET /lectures/?series={found['series']}", f"/lectures/?series={found['series']}"),
        read(f"GET /lectures/{lecture}", f"/lectures/{lecture}"),
        read("GET /auth/login", "/auth/login"),
        read("GET /account/bookings (logged in)", "/account/bookings", who="resident"),
        read(f"GET /lectures/{lecture} (logged in)", f"/lectures/{lecture}", who="resident"),
        login_route(),
        write_route(found["writable"]),
    ]


def measure(routes: list[Route], workers: list[ClientSet], counts: dict[str, int], rounds: int,
            warmup: int) -> dict[str, Timings]:
    """Run every route ``counts[kind]`` times split over the workers, in interleaved rounds."""
    results: dict[str, Timings] = {}
    for route in routes:
        for label in route.labels:
            results[label] = Timings(whole_steps=route.whole_steps)
    for route in routes:  # warm-up: not recorded
        _run_batch(route, workers, min(warmup, counts[route.kind]), lambda label, response: None)
    lock = threading.Lock()

    def record(label: str, response: Response) -> None:
        with lock:
            results[label].seconds.append(response.seconds)
            if response.queries is not None:
                results[label].queries.append(response.queries)

    for index in range(rounds):
        for route in routes:
            total = counts[route.kind]
            batch = total * (index + 1) // rounds - total * index // rounds
            wall = _run_batch(route, workers, batch, record)
            for label in route.labels:
                results[label].wall += wall
    return results


def _run_batch(route: Route, workers: list[ClientSet], count: int, record) -> float:
    """Do ``count`` steps of ``route`` spread over the workers; return the wall time."""
    if count <= 0:
        return 0.0
    shares = [count * (i + 1) // len(workers) - count * i // len(workers) for i in range(len(workers))]
    errors: list[BaseException] = []
    barrier = threading.Barrier(len(workers) + 1)

    def work(clients: ClientSet, share: int) -> None:
        barrier.wait()
        try:
            for _ in range(share):
                route.step(clients, record)
        except BaseException as error:  # noqa: BLE001 — reported by the main thread
            errors.append(error)

    threads = [threading.Thread(target=work, args=(w, s), daemon=True) for w, s in zip(workers, shares)]
    for thread in threads:
        thread.start()
    barrier.wait()
    started = time.perf_counter()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    if errors:
        raise errors[0]
    return wall


# --- figures and reporting -----------------------------------------------------------


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(fraction * len(ordered)) - 1)]


def table(results: dict[str, Timings]) -> str:
    baseline = statistics.median(results[BASELINE].seconds)
    lines = [
        "| route | requests | SQL statements | median ms | p95 ms | requests/s | median ÷ /healthz |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for label, timings in results.items():
        median = statistics.median(timings.seconds)
        queries = "–"
        if timings.queries:
            low, high = min(timings.queries), max(timings.queries)
            queries = str(low) if low == high else f"{low}–{high}"
        rate = len(timings.seconds) / timings.wall if timings.wall else 0.0
        mark = "\\*" if timings.whole_steps else ""
        lines.append(
            f"| `{label}` | {len(timings.seconds)} | {queries} | {median * 1000:.2f} | "
            f"{percentile(timings.seconds, 0.95) * 1000:.2f} | {rate:.0f}{mark} | {median / baseline:.1f}× |"
        )
    if any(t.whole_steps for t in results.values()):
        lines += ["", "\\* Whole steps per second: a login includes fetching the login form first; "
                  "a book + cancel pair includes the lecture page between the two POSTs."]
    return "\n".join(lines)


def machine() -> str:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = " (" + line.split(":", 1)[1].strip() + ")"
                break
    except OSError:
        pass
    load = ""
    if hasattr(os, "getloadavg"):
        load = ", load average %.2f at start" % os.getloadavg()[0]
    return (f"{os.cpu_count()} CPUs{model}, {platform.system()} {platform.machine()}, "
            f"Python {platform.python_version()}{load}")


def code_version() -> str:
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                                text=True, timeout=10, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=ROOT,
                               capture_output=True, text=True, timeout=10, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return "unknown (not a git checkout)"
    return f"commit {commit}" + (" plus uncommitted changes" if dirty else "")


def describe_database(url: str, throwaway: bool) -> str:
    from sqlalchemy.engine import make_url

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        kind = "SQLite (WAL), a temporary file" if throwaway else f"SQLite at {parsed.database}"
    else:
        kind = f"{parsed.get_backend_name()} at {parsed.render_as_string(hide_password=True)}"
    return kind + ", demo data from `flask --app app seed-demo`"


def report(args, results_by_mode: dict[str, dict[str, Timings]], database: str, found: dict,
           started_at: datetime, seconds: float, machine_line: str) -> str:
    counts = (f"{args.warmup} warm-up requests per route, then {args.requests} per page, "
              f"{args.login_requests} logins and {args.write_requests} book + cancel pairs, "
              f"in {args.rounds} interleaved rounds")
    parts = [
        f"_Written by `bench/run.py --write-doc` on {started_at:%Y-%m-%d %H:%M} UTC; "
        "rerun it rather than editing these lines._",
        "",
        f"- **Code:** {code_version()}",
        f"- **Machine:** {machine_line}",
        f"- **Database:** {database}",
        "- **Server:** `bench/serve.py` — Werkzeug's threaded server, one process, on 127.0.0.1; "
        "the client (stdlib `http.client`) runs on the same machine",
        f"- **Requests:** {counts}; lecture {found['lecture']} for the lecture pages, "
        f"lecture {found['writable']} for booking; the whole run took {seconds:.0f} s",
    ]
    for mode, results in results_by_mode.items():
        parts += ["", f"### {mode}", "", table(results)]
    return "\n".join(parts)


def write_doc(section: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    start, end = text.find(START_MARKER), text.find(END_MARKER)
    if start < 0 or end < start:
        raise BenchError(f"{DOC} lacks the {START_MARKER} … {END_MARKER} markers")
    new = text[: start + len(START_MARKER)] + "\n" + section + "\n" + text[end:]
    DOC.write_text(new, encoding="utf-8")


# --- database and server -------------------------------------------------------------


def flask_command(env: dict[str, str], *args: str) -> None:
    """Run ``flask --app app ARGS`` with this Python, in the repository root."""
    done = subprocess.run([sys.executable, "-m", "flask", "--app", "app", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise BenchError(f"flask {' '.join(args)} failed:\n{done.stdout}{done.stderr}")


def start_server(env: dict[str, str], workdir: Path, timeout: float) -> tuple[subprocess.Popen, int]:
    """Start bench/serve.py and wait until /healthz answers; return the process and port."""
    port_file = workdir / "port"
    log = open(workdir / "server.log", "wb")
    process = subprocess.Popen([sys.executable, str(ROOT / "bench" / "serve.py"), str(port_file)],
                               cwd=ROOT, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=log)
    log.close()
    deadline = time.monotonic() + timeout
    while not port_file.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            raise BenchError("the server did not start:\n" + _tail(workdir / "server.log"))
        time.sleep(0.05)
    port = int(port_file.read_text())
    while True:
        try:
            if Client(port, 2).request("GET", "/healthz").status == 200:
                return process, port
        except OSError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            raise BenchError("/healthz did not answer:\n" + _tail(workdir / "server.log"))
        time.sleep(0.05)


def stop_server(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no server log)"


# --- main ----------------------------------------------------------------------------


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--requests", type=int, default=300, help="timed requests per page and mode (300)")
    parser.add_argument("--login-requests", type=int, default=30,
                        help="timed logins per mode; each costs a scrypt check (30)")
    parser.add_argument("--write-requests", type=int,
                        help="timed book + cancel pairs per mode (default: as many as --requests)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per route first (20)")
    parser.add_argument("--concurrency", type=int, default=4, help="client threads in the concurrent mode (4)")
    parser.add_argument("--rounds", type=int, default=5, help="interleaved rounds per mode (5)")
    parser.add_argument("--timeout", type=float, default=30, help="seconds before one request fails (30)")
    parser.add_argument("--database-url", help="measure this existing database instead of a throwaway SQLite one")
    parser.add_argument("--write-doc", action="store_true", help=f"rewrite the results in {DOC.relative_to(ROOT)}")
    args = parser.parse_args(argv)
    if args.write_requests is None:
        args.write_requests = args.requests
    for name in ("requests", "login_requests", "write_requests", "concurrency", "rounds"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.concurrency > len(WRITERS):
        parser.error(f"--concurrency can be at most {len(WRITERS)} (one demo resident per writer)")
    return args


def main(argv=None) -> int:
    args = parse_args(argv)
    # A plain `kill` should still stop the server and remove the temporary folder.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    started_at = datetime.now(timezone.utc)
    clock = time.monotonic()
    machine_line = machine()  # before we load the machine ourselves
    workdir = Path(tempfile.mkdtemp(prefix="linli-bench-"))
    server = None
    try:
        url = args.database_url or f"sqlite:///{workdir / 'linli.sqlite3'}"
        env = {**os.environ, "DATABASE_URL": url, "SECRET_KEY": SECRET_KEY, "PYTHONUNBUFFERED": "1"}
        env.pop("FLASK_APP", None)
        print("Preparing the database…", file=sys.stderr)
        flask_command(env, "db", "upgrade")
        flask_command(env, "seed-demo", *(["--if-empty"] if args.database_url else []))
        server, port = start_server(env, workdir, timeout=60)
        print(f"Server on http://{HOST}:{port}; measuring…", file=sys.stderr)

        found = discover(port, args.timeout, WRITERS[: args.concurrency])
        resident = found["writers"][0]
        routes = routes_for(found)
        counts = {"read": args.requests, "login": args.login_requests, "write": args.write_requests}

        def worker(index: int) -> ClientSet:
            return ClientSet(anonymous=Client(port, args.timeout), resident=resident.clone(),
                             writer=found["writers"][index], fresh=Client(port, args.timeout))

        results_by_mode = {}
        for mode, workers in (
            ("Sequential (1 client)", [worker(0)]),
            (f"Concurrent ({args.concurrency} clients)", [worker(i) for i in range(args.concurrency)]),
        ):
            print(f"  {mode}", file=sys.stderr)
            results_by_mode[mode] = measure(routes, workers, counts, args.rounds, args.warmup)

        section = report(args, results_by_mode, describe_database(url, not args.database_url), found,
                         started_at, time.monotonic() - clock, machine_line)
        print(section)
        if args.write_doc:
            write_doc(section)
            print(f"\nWrote the results into {DOC.relative_to(ROOT)}.", file=sys.stderr)
        return 0
    except BenchError as error:
        print(f"bench: {error}", file=sys.stderr)
        return 1
    finally:
        if server is not None:
            stop_server(server)
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
