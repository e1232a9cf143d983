"""Fixtures and small builders shared by every test.

The database is a fresh SQLite file per test, or — when ``TEST_DATABASE_URL`` names a
PostgreSQL database — that database, emptied after each test.

``LINLI_TEST_CLOCK`` (an ISO moment with its offset, e.g. ``2027-01-01T00:01+08:00``) starts
every test's clock at that moment, ticking on from there: CI runs the suite at the first
minute of a month and of a year, so a test that quietly assumes "today" is mid-month fails
there. A test that needs a particular day moves the clock itself with time-machine's
``time_machine`` fixture.
"""
from __future__ import annotations

import functools
import itertools
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
import time_machine
from flask.testing import FlaskClient

from app import create_app
from models import Membership, MembershipStatus, Program, ProgramKind, Role, Series, ShiftRole, User, Venue, db
from services import events as event_service
from services import shifts
from services.dates import LOCAL_TZ, now_utc


def _worker_database(url: str | None) -> str | None:
    """Under pytest-xdist on PostgreSQL, each worker gets a database of its own, made
    afresh beside the one ``TEST_DATABASE_URL`` names (workers would empty each other's)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    given = sa.make_url(url)
    name = f"{given.database}_{worker}"
    engine = sa.create_engine(given, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    engine.dispose()
    os.environ["TEST_DATABASE_URL"] = given.set(database=name).render_as_string(hide_password=False)
    return os.environ["TEST_DATABASE_URL"]


TEST_DATABASE_URL = _worker_database(os.environ.get("TEST_DATABASE_URL"))
TEST_CLOCK = os.environ.get("LINLI_TEST_CLOCK")
PASSWORD = "correct horse battery"
TEST_HASH_METHOD = "scrypt:1024:8:1"
_phones = itertools.count(1)
_schema_ready = False


def _database_uri(tmp_path) -> str:
    return TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'test.sqlite3'}"


class RequestScopedClient(FlaskClient):
    """A test client whose every request gets its own app context, as on a server.

    The ``app`` fixture keeps an app context open for the whole test, and Flask would reuse
    it for each request: ``g`` (the logged-in user, the language) and the database session
    would carry over between requests and clients, and a view that forgot to commit would
    still look right to a test reading the same session. Here the test's own session
    commits before each request and reloads what the request wrote afterwards.
    """

    def open(self, *args, **kwargs):
        db.session.commit()  # end the test's transaction so its snapshot holds no locks
        with self.application.app_context():
            response = super().open(*args, **kwargs)
        db.session.commit()
        db.session.expire_all()
        return response


@pytest.fixture(autouse=True)
def suite_clock():
    """Start the test's clock at ``LINLI_TEST_CLOCK`` when it is set (see the module docstring)."""
    if not TEST_CLOCK:
        yield
        return
    with time_machine.travel(datetime.fromisoformat(TEST_CLOCK), tick=True):
        yield


@pytest.fixture
def app(tmp_path, request):
    """An app on an empty database, with CSRF and the throttles off; a test can set more
    with ``@pytest.mark.app_config(KEY=value, …)`` (e.g. ``RATELIMIT_ENABLED=True``)."""
    global _schema_ready
    marker = request.node.get_closest_marker("app_config")
    app = create_app({
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "WTF_CSRF_ENABLED": False,
        "SQLALCHEMY_DATABASE_URI": _database_uri(tmp_path),
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_size": 40, "max_overflow": 10} if TEST_DATABASE_URL else {},
        # Cheap hashes (the site's N = 2^17 takes half a second each); tests of the real
        # cost and of the throttles set their own.
        "PASSWORD_HASH_METHOD": TEST_HASH_METHOD,
        "RATELIMIT_ENABLED": False,
        # The site's 15 s guards production; a test machine under load (two suites and a
        # browser at once) may take longer, and a slow test is not a wrong one.
        "DATABASE_STATEMENT_TIMEOUT_MS": 120_000,
        **(marker.kwargs if marker else {}),
    })
    app.test_client_class = RequestScopedClient
    with app.app_context():
        if not TEST_DATABASE_URL or not _schema_ready:
            db.drop_all()
            db.create_all()
            _schema_ready = True
        yield app
        db.session.remove()
        limiter = app.extensions.get("linli_limiter")
        engine = getattr(getattr(limiter, "_storage", None), "_engine", None)
        if engine is not None:
            engine.dispose()
        if TEST_DATABASE_URL:
            tables = ", ".join(t.name for t in db.metadata.sorted_tables)
            with db.engine.begin() as connection:
                connection.execute(sa.text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
        db.engine.dispose()


@contextmanager
def new_database(folder: Path) -> Iterator[str]:
    """A new, empty database of the kind the suite runs on — a SQLite file in ``folder``,
    or a PostgreSQL database beside the test database — removed afterwards; yields its URL."""
    if not TEST_DATABASE_URL:
        yield f"sqlite:///{folder / f'scratch-{next(_phones)}.sqlite3'}"
        return
    given = sa.make_url(TEST_DATABASE_URL)
    name = f"{given.database}_scratch_{next(_phones)}"
    engine = sa.create_engine(given, isolation_level="AUTOCOMMIT")
    with engine.connect() as connection:
        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        yield given.set(database=name).render_as_string(hide_password=False)
    finally:
        with engine.connect() as connection:
            connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        engine.dispose()


@pytest.fixture
def scratch_database_url(tmp_path):
    """The URL of a new, empty database for one test (see :func:`new_database`)."""
    with new_database(tmp_path) as url:
        yield url


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def now():
    return now_utc()


@functools.cache
def password_hash(password: str) -> str:
    """The stored hash of ``password``, made once per run: hashing is slow on purpose
    (scrypt), and hundreds of test accounts don't need a salt each."""
    user = User()
    _set_password(user, password, method=TEST_HASH_METHOD)
    return user.password_hash


_set_password = User.set_password


@pytest.fixture
def cached_password_hashes(monkeypatch):
    """Make ``User.set_password`` reuse :func:`password_hash` (for tests that seed the demo)."""
    monkeypatch.setattr(User, "set_password", lambda user, password, method=None: setattr(
        user, "password_hash", password_hash(password)))
# A Monday morning with no public holiday, make-up working day or unknown year in the eight
# weeks after it: schedules laid out from here have every day they ask for.
QUIET_WEEKS = datetime(2026, 11, 2, 9, 0, tzinfo=LOCAL_TZ)


def every_day(first, last) -> frozenset:
    """Every day from ``first`` to ``last``: a weekly plan holding them all, for tests that
    lay out a schedule from today but aren't about holidays (today may be one)."""
    return frozenset(first + timedelta(days=n) for n in range((last - first).days + 1))


@pytest.fixture
def quiet_weeks(time_machine):
    """Move the clock to :data:`QUIET_WEEKS` (ticking on) and return that moment, for tests
    that lay out schedules: holidays are date-bound, so such a test can't use today."""
    time_machine.move_to(QUIET_WEEKS, tick=True)
    return now_utc()


def make_user(name: str = "张桂芳", *, phone: str | None = None, roles=(Role.RESIDENT,),
              password: str = PASSWORD) -> User:
    """A committed account; every call gets a new phone number unless one is given."""
    user = User(phone=phone or f"139{next(_phones):08d}", display_name=name)
    user.password_hash = password_hash(password)
    for role in roles:
        user.grant(role)
    db.session.add(user)
    db.session.commit()
    return user


def make_program(kind: ProgramKind = ProgramKind.LECTURE_SERIES, *, slug: str | None = None,
                 name: str = "周三文史讲堂", organizers=(), series=()) -> Program:
    """A committed program with optional organizers and topic series."""
    program = Program(kind=kind, slug=slug or f"program-{next(_phones)}", name=name,
                      organizers=list(organizers))
    program.series = [Series(slug=f"s{i}", name=title, position=i) for i, title in enumerate(series)]
    db.session.add(program)
    db.session.commit()
    return program


def make_venue(name: str = "社区文化服务中心") -> Venue:
    venue = Venue(name=name)
    db.session.add(venue)
    db.session.commit()
    return venue


def make_event(program: Program | None = None, *, capacity: int = 5, starts_in=timedelta(days=7),
               length=timedelta(minutes=90), cutoff=timedelta(hours=1), title: str = "管仲与齐国的富国之道",
               series: Series | None = None, now=None):
    """A committed lecture starting ``starts_in`` from now."""
    now = now or now_utc()
    program = program or make_program()
    start = (now + starts_in).replace(microsecond=0)
    event = event_service.new_event(
        program, title=title, starts_at=start, ends_at=start + length, capacity=capacity,
        booking_cutoff=cutoff, series=series, now=now,
    )
    db.session.commit()
    return event


def make_team(*, organizers=(), themes=("理论知识", "爱国教育", "精神文明")) -> Program:
    """The lecture team (蒲公英宣讲队) with its themes as topic series."""
    return make_program(ProgramKind.LECTURE_TEAM, slug="pugongying", name="蒲公英宣讲队",
                        organizers=organizers, series=themes)


def make_member(team: Program, name: str = "陈玉兰", **kwargs) -> User:
    """A committed volunteer who is an active member of ``team``."""
    user = make_user(name, roles=(Role.RESIDENT, Role.VOLUNTEER), **kwargs)
    db.session.add(Membership(program_id=team.id, user_id=user.id, status=MembershipStatus.ACTIVE,
                              note="", decided_at=now_utc()))
    db.session.commit()
    return user


def make_role(event, name: str = "摄影", slots: int = 1, **kwargs) -> ShiftRole:
    """A committed volunteer role at ``event``; ``kwargs`` go to :class:`shifts.RoleSpec`."""
    role = shifts.add_role(event, shifts.RoleSpec(name, slots, **kwargs), now=now_utc())
    db.session.commit()
    return role


def make_talk(team: Program, *, roles=(("摄影", 1),), title: str = "学习二十大精神宣讲", **kwargs):
    """A committed talk of ``team`` with roles given as (name, slots); ``kwargs`` as for make_event."""
    event = make_event(team, capacity=0, cutoff=timedelta(0), title=title, **kwargs)
    for name, slots in roles:
        make_role(event, name, slots)
    return event


def login(client, user: User, password: str = PASSWORD):
    """Log ``user`` in through the real login form."""
    response = client.post("/auth/login", data={"phone": user.phone, "password": password})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


@pytest.fixture
def count_queries(app):
    """Count the SQL statements run inside a ``with count_queries() as counter:`` block."""
    from contextlib import contextmanager

    @contextmanager
    def counting():
        statements: list[str] = []

        def before(conn, cursor, statement, *args):
            if not statement.lstrip().upper().startswith(("BEGIN", "PRAGMA", "SAVEPOINT", "RELEASE")):
                statements.append(statement)

        sa.event.listen(db.engine, "before_cursor_execute", before)
        try:
            yield statements
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", before)

    return counting


def make_troupe(name: str = "吕剧团", *, leader: User | None = None, organizers=(),
                member_limit: int | None = None, slug: str | None = None) -> Program:
    """A committed troupe program with its leader and optional member limit."""
    from models import Quota, Troupe

    program = make_program(ProgramKind.TROUPE, name=name, organizers=organizers, slug=slug)
    troupe = Troupe(program_id=program.id, leader_id=leader.id if leader else None,
                    rehearsal_times="每周二、四 9:00–11:00", rehearsal_place="社区文化服务中心")
    if member_limit is not None:
        troupe.member_quota = Quota(capacity=member_limit, taken=0)
    db.session.add(troupe)
    db.session.commit()
    return program


def make_youth_program(name: str = "少儿诵读班", *, min_age: int = 6, max_age: int = 12,
                       parent_attends: bool = False, organizers=(), slug: str | None = None) -> Program:
    """A committed youth program with its age range."""
    from models import YouthRules

    program = make_program(ProgramKind.YOUTH, name=name, organizers=organizers, slug=slug)
    db.session.add(YouthRules(program_id=program.id, min_age=min_age, max_age=max_age,
                              parent_attends=parent_attends))
    db.session.commit()
    return program


def make_child(parent: User, name: str = "小明", *, born_on=None, age: int = 8):
    """A committed child of ``parent``, born ``age`` years (and a month) ago unless given."""
    from datetime import date

    from models import Child

    if born_on is None:
        today = date.today()
        born_on = date(today.year - age, 1, 1) if today.month > 1 else date(today.year - age - 1, 6, 1)
    child = Child(parent_id=parent.id, name=name, born_on=born_on)
    db.session.add(child)
    db.session.commit()
    return child


from flask.testing import FlaskClient  # noqa: E402


class FreshContextClient(FlaskClient):
    """A test client whose every request runs in its own app context, as in production.

    The plain client reuses the test's app context, so ``g`` (where Flask-Login keeps the
    logged-in user) and the database session carry over from one request to the next —
    wrong as soon as a test has two people on two clients. The test's own session is
    committed before each request (the request sees what the test set up) and expired
    after it (the test then reads what the request wrote).
    """

    def open(self, *args, **kwargs):
        db.session.commit()
        try:
            with self.application.app_context():
                return super().open(*args, **kwargs)
        finally:
            db.session.expire_all()


def fresh_client(app) -> FreshContextClient:
    """A test client that gives each request a fresh app context (see FreshContextClient)."""
    return FreshContextClient(app, app.response_class, use_cookies=True)


# --- a real SMTP server for the email tests -------------------------------------------------


class MailCatcher:
    """An aiosmtpd handler that keeps what it receives and refuses chosen recipients."""

    def __init__(self):
        import threading

        self.messages = []  # email.message.EmailMessage, in the order received
        self.refuse: set[str] = set()
        self.delay = 0.0
        self.lock = threading.Lock()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        import asyncio
        from email import message_from_bytes, policy

        if self.delay:
            await asyncio.sleep(self.delay)
        message = message_from_bytes(envelope.content, policy=policy.default)
        with self.lock:
            self.messages.append(message)
        return "250 Message accepted"

    def to(self, address: str):
        """The messages received for ``address``."""
        return [m for m in self.messages if address in m["To"]]


@pytest.fixture
def smtp_server(app):
    """A real SMTP server (aiosmtpd) on a free loopback port, and the app sending email to
    it: returns the handler holding what arrived. Stopped after the test."""
    import socket

    from aiosmtpd.controller import Controller

    from extensions import mail

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    catcher = MailCatcher()
    controller = Controller(catcher, hostname="127.0.0.1", port=port, ready_timeout=10)
    controller.start()
    app.config.update(MAIL_SERVER="127.0.0.1", MAIL_PORT=port, MAIL_DEFAULT_SENDER="邻里 Linli <no-reply@linli.test>",
                      SITE_URL="https://linli.test", MAIL_TIMEOUT=10)
    mail.init_app(app)
    yield catcher
    controller.stop()


def give_email(user: User, email: str, *, topics=("places", "changes", "reminders", "messages"),
               language: str = "zh") -> None:
    """Record an email address (and topics) for ``user`` and commit."""
    from services import notifications

    notifications.save_email_settings(user, email=email, topics_on=topics, language=language, now=now_utc())
    db.session.commit()
def make_building(name: str = "3号楼", *, grid: str = "12", grid_name: str = "幸福里", households=None,
                  leaders=()):
    """A committed building in grid ``grid`` (made when missing), with its leaders."""
    from models import Building, BuildingLeader, Grid

    found = db.session.execute(sa.select(Grid).where(Grid.number == grid)).scalar_one_or_none()
    if found is None:
        found = Grid(number=grid, name=grid_name)
        db.session.add(found)
        db.session.flush()
    building = Building(grid_id=found.id, name=name, households=households)
    db.session.add(building)
    db.session.flush()
    for leader in leaders:
        db.session.add(BuildingLeader(building_id=building.id, user_id=leader.id))
        leader.grant(Role.BUILDING_LEADER)
    db.session.commit()
    return building


def make_resident(building, name: str = "王桂英", *, unit: str = "", room: str = "", **kwargs) -> User:
    """A committed resident living in ``building`` (``kwargs`` as for make_user)."""
    from models import Residence

    user = make_user(name, **kwargs)
    db.session.add(Residence(user_id=user.id, building_id=building.id, unit=unit, room=room))
    db.session.commit()
    return user
