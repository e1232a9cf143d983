"""A Wednesday-morning rush against the real server, on the database the suite runs on.

gunicorn runs the project's gunicorn.conf.py with 4 worker processes on a free loopback
port, against a fresh database built by the migrations. Residents log in through the
login form, open the page, and press the button together (a barrier releases each
wave's requests at once); afterwards SQL checks what the rush left (``checks.py``).
``make race RUNS=5`` repeats the module; CI runs it once per database.

The server runs on the real clock whatever ``LINLI_TEST_CLOCK`` says, so the clock runs
of CI skip this module: they cannot change what it tests.
"""
from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone

import flask_migrate
import pytest
import sqlalchemy as sa
import time_machine

from app import create_app
from models import Role, ShiftRole, db
from services.booking import book_seat
from services.dates import local_datetime, to_local
from tests.conftest import (
    PASSWORD, TEST_CLOCK, make_child, make_event, make_member, make_program, make_talk, make_team,
    make_user, make_youth_program, new_database,
)
from tests.servers import gunicorn

from . import checks
from .client import Visitor, form_posting_to

pytestmark = [
    pytest.mark.skipif(bool(TEST_CLOCK), reason="the server under test runs on the real clock"),
    pytest.mark.xdist_group("http-race"),
    pytest.mark.timeout(600),
]

WORKERS = 4
RESIDENTS, VOLUNTEERS, PARENTS = 60, 15, 12


def real_now() -> datetime:
    """The real time, whatever clock a test has moved to: the server lives on it."""
    if time_machine.escape_hatch.is_travelling():
        return time_machine.escape_hatch.datetime.datetime.now(timezone.utc)
    return datetime.now(timezone.utc)


@dataclass
class Person:
    user_id: int
    phone: str
    visitor: Visitor
    child_id: int | None = None


@dataclass
class Rush:
    """The running server, its database and the people logged in to it."""

    server: object
    engine: sa.Engine
    residents: list[Person]
    volunteers: list[Person]
    parents: list[Person]
    organizer: Person
    events: dict[str, int]
    quotas: dict[str, int]

    def sql(self):
        return self.engine.connect()


def together(jobs: list[Callable[[], checks.Answer | None]]) -> list[checks.Answer]:
    """Run the jobs in threads released at once by a barrier; their answers (a job with
    nothing to tell returns None). A 5xx or any other failure in a job fails the test
    after every job has finished."""
    barrier = threading.Barrier(len(jobs))
    answers: list[checks.Answer] = []
    failures: list[BaseException] = []
    lock = threading.Lock()

    def run(job):
        try:
            barrier.wait(timeout=60)
            answer = job()
            if answer is not None:
                with lock:
                    answers.append(answer)
        except BaseException as error:  # reported below
            with lock:
                failures.append(error)

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not failures, failures[:5]
    return answers


def _address(n: int) -> str:
    # Documentation ranges (RFC 5737): only ever a header value, never contacted.
    return f"198.51.100.{n}" if n < 250 else f"203.0.113.{n - 250}"


@pytest.fixture(scope="module")
def rush(tmp_path_factory):
    """Build the community on a fresh migrated database, start the server, log everyone in."""
    folder = tmp_path_factory.mktemp("rush")
    with new_database(folder) as url:
        app = create_app({"TESTING": True, "SECRET_KEY": "race", "SQLALCHEMY_DATABASE_URI": url})
        with app.app_context():
            flask_migrate.upgrade()
            people, events, quotas = _build_community()
            db.session.remove()
            db.engine.dispose()
        env = {"DATABASE_URL": url, "SECRET_KEY": "linli-race-secret", "LINLI_PROXY_COUNT": "1"}
        with gunicorn(env, folder / "logs", workers=WORKERS) as server:
            everyone = [(kind, *person) for kind, group in people.items() for person in group]
            visitors = [Visitor(server.host, server.port, _address(n)) for n in range(1, len(everyone) + 1)]

            def log_in(kind, user_id, phone, child_id, visitor):
                visitor.log_in(phone, PASSWORD)
                return kind, Person(user_id, phone, visitor, child_id)

            with ThreadPoolExecutor(max_workers=8) as pool:
                done = list(pool.map(lambda args: log_in(*args[0], args[1]), zip(everyone, visitors)))
            logged_in = {kind: [person for k, person in done if k == kind] for kind in people}
            engine = sa.create_engine(url)
            yield Rush(
                server, engine, logged_in["residents"], logged_in["volunteers"], logged_in["parents"],
                logged_in["organizer"][0], events, quotas,
            )
            engine.dispose()
            statuses = [s for v in visitors for s in v.replies]
            assert not [s for s in statuses if s >= 500], "the server answered 5xx"
            assert "Traceback" not in server.errors(), server.errors()[-3000:]


def _build_community():
    """The people and events of the rush, committed; ids and phone numbers only."""
    now = real_now()
    # Every event at 10:00 local some days on, whatever the hour now: one starting at 23:00
    # would end after midnight, which the organizer's one-day edit form can't hold.
    ten = local_datetime(to_local(now).date(), time(10)) - now
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    residents = [make_user(f"居民{n:02d}") for n in range(RESIDENTS)]
    wenshi = make_program(slug="wenshi-jiangtang", organizers=[organizer])
    events = {
        name: make_event(wenshi, capacity=capacity, title=f"讲座 {name}", now=now, starts_in=ten + timedelta(days=days))
        for name, capacity, days in (
            ("sixty-for-twenty", 20, 7), ("double-submit", 5, 8), ("cancellations", 10, 9), ("capacity", 5, 10),
        )
    }
    team = make_team(organizers=[organizer])
    volunteers = [make_member(team, f"志愿者{n:02d}") for n in range(VOLUNTEERS)]
    talk = make_talk(team, roles=(("摄影", 3),), now=now, starts_in=ten + timedelta(days=11))
    youth = make_youth_program(organizers=[organizer], parent_attends=True)
    events["class"] = make_event(youth, capacity=9, title="少儿诵读班 第 1 课", now=now,
                                 starts_in=ten + timedelta(days=12))
    parents = [make_user(f"家长{n:02d}") for n in range(PARENTS)]
    children = [make_child(parent, f"孩子{n:02d}") for n, parent in enumerate(parents)]

    # Before the cancellations rush: ten seats held, ten people waiting.
    cancellations = events["cancellations"]
    for person in residents[:20]:
        book_seat(cancellations, person, now=now, waitlist=True)
        db.session.commit()

    role = db.session.execute(sa.select(ShiftRole).where(ShiftRole.event_id == talk.id)).scalar_one()
    quotas = {name: event.seat_quota_id for name, event in events.items()}
    quotas["role"] = role.quota_id
    ids = {name: event.id for name, event in events.items()}
    ids["talk"], ids["role"] = talk.id, role.id
    people = {
        "residents": [(u.id, u.phone, None) for u in residents],
        "volunteers": [(u.id, u.phone, None) for u in volunteers],
        "parents": [(u.id, u.phone, c.id) for u, c in zip(parents, children)],
        "organizer": [(organizer.id, organizer.phone, None)],
    }
    return people, ids, quotas


def book_lecture(person: Person, event_id: int, *, waitlist: bool, own_tab: bool = False) -> Callable[[], checks.Answer]:
    """Open the lecture's page now; the returned job presses its button."""
    page = person.visitor.get(f"/lectures/{event_id}")
    form = form_posting_to(page, f"/lectures/{event_id}/book")
    fields = {"csrf_token": form.fields["csrf_token"]}
    if waitlist:
        fields["waitlist"] = "y"

    def press():
        _, messages = person.visitor.submit(f"/lectures/{event_id}/book", fields, own_tab=own_tab)
        return checks.read_answer(person.user_id, messages)

    return press


def assert_no_problems(*problem_lists):
    problems = [p for found in problem_lists for p in found]
    assert problems == []


def test_sixty_residents_for_twenty_seats(rush):
    """Everyone presses "book" at once; the forty turned away then join the waiting list
    at once, each told their number."""
    event_id, quota_id = rush.events["sixty-for-twenty"], rush.quotas["sixty-for-twenty"]
    first = together([book_lecture(p, event_id, waitlist=False) for p in rush.residents])
    with rush.sql() as sql:
        assert_no_problems(checks.counter_problems(sql), checks.answer_problems(sql, quota_id, first))
        assert checks.status_counts(sql, quota_id) == {"confirmed": 20}
    assert sorted(a.kind for a in first) == ["booked"] * 20 + ["full"] * 40

    turned_away = {a.user_id for a in first if a.kind == "full"}
    second = together([book_lecture(p, event_id, waitlist=True) for p in rush.residents if p.user_id in turned_away])
    with rush.sql() as sql:
        assert_no_problems(
            checks.counter_problems(sql),
            checks.answer_problems(sql, quota_id, [a for a in first if a.kind == "booked"] + second),
            checks.waiting_number_problems(sql, quota_id, second), checks.in_order_problems(sql, quota_id),
        )
        assert checks.status_counts(sql, quota_id) == {"confirmed": 20, "waitlisted": 40}
    assert sorted(a.number for a in second) == list(range(1, 41))


def test_one_person_double_submitting_eight_times(rush):
    """Eight taps on "book" from one phone, in eight tabs at once: one booking, and every
    tab shows its ticket number."""
    event_id, quota_id = rush.events["double-submit"], rush.quotas["double-submit"]
    person = rush.residents[0]
    answers = together([book_lecture(person, event_id, waitlist=False, own_tab=True) for _ in range(8)])
    with rush.sql() as sql:
        assert_no_problems(checks.counter_problems(sql), checks.answer_problems(sql, quota_id, answers))
        assert checks.status_counts(sql, quota_id) == {"confirmed": 1}
    assert {a.kind for a in answers} == {"booked"} and len({a.code for a in answers}) == 1


def test_cancellations_while_others_join_the_waiting_list(rush):
    """Five seat holders cancel while ten newcomers join: the five at the head of the
    list move up, in order, and nobody jumps the queue."""
    event_id, quota_id = rush.events["cancellations"], rush.quotas["cancellations"]
    holders, newcomers = rush.residents[:5], rush.residents[20:30]
    with rush.sql() as sql:
        before = {r.id for r in sql.execute(sa.text("SELECT id FROM bookings WHERE quota_id = :q"), {"q": quota_id})}
        head = [r.user_id for r in sql.execute(sa.text(
            "SELECT user_id FROM bookings WHERE quota_id = :q AND status = 'waitlisted' ORDER BY waitlisted_at, id"
        ), {"q": quota_id})][:5]

    def cancel(person):
        booking_id = _my_booking(rush, quota_id, person.user_id)
        # "取消预约" on my bookings opens the page that asks first; its form does the cancelling.
        page = person.visitor.get(f"/account/bookings/{booking_id}/cancel")
        form = form_posting_to(page, f"/account/bookings/{booking_id}/cancel")

        def press():
            _, messages = person.visitor.submit(f"/account/bookings/{booking_id}/cancel", form.fields)
            return checks.read_answer(person.user_id, messages)

        return press

    jobs = [cancel(p) for p in holders] + [book_lecture(p, event_id, waitlist=True) for p in newcomers]
    answers = together(jobs)
    with rush.sql() as sql:
        assert_no_problems(
            checks.counter_problems(sql), checks.answer_problems(sql, quota_id, answers, before=before),
            checks.waiting_number_problems(sql, quota_id, answers, promotions=len(holders)),
            checks.in_order_problems(sql, quota_id),
        )
        assert checks.status_counts(sql, quota_id) == {"confirmed": 10, "waitlisted": 15, "cancelled": 5}
        confirmed = {r.user_id for r in sql.execute(sa.text(
            "SELECT user_id FROM bookings WHERE quota_id = :q AND status = 'confirmed'"), {"q": quota_id})}
    assert confirmed == {p.user_id for p in rush.residents[5:10]} | set(head)
    assert sorted(a.kind for a in answers) == ["cancelled"] * 5 + ["waiting"] * 10


def _my_booking(rush: Rush, quota_id: int, user_id: int) -> int:
    with rush.sql() as sql:
        return sql.execute(sa.text(
            "SELECT id FROM bookings WHERE quota_id = :q AND user_id = :u AND status != 'cancelled'"
        ), {"q": quota_id, "u": user_id}).scalar_one()


def test_fifteen_volunteers_for_a_three_slot_role(rush):
    talk_id, role_id, quota_id = rush.events["talk"], rush.events["role"], rush.quotas["role"]

    def sign_up(person):
        page = person.visitor.get(f"/lecture-team/events/{talk_id}")
        form = form_posting_to(page, f"/lecture-team/roles/{role_id}/sign-up")
        fields = {"csrf_token": form.fields["csrf_token"], "waitlist": "y"}

        def press():
            _, messages = person.visitor.submit(f"/lecture-team/roles/{role_id}/sign-up", fields)
            return checks.read_answer(person.user_id, messages)

        return press

    answers = together([sign_up(p) for p in rush.volunteers])
    with rush.sql() as sql:
        assert_no_problems(
            checks.counter_problems(sql), checks.answer_problems(sql, quota_id, answers),
            checks.waiting_number_problems(sql, quota_id, answers), checks.in_order_problems(sql, quota_id),
        )
        assert checks.status_counts(sql, quota_id) == {"confirmed": 3, "waitlisted": 12}
    assert sorted(a.number for a in answers if a.kind == "waiting") == list(range(1, 13))


def test_parents_for_a_class_with_few_places(rush):
    """Twelve parents book a class where a parent comes along (two places each) and nine
    places are free: four families fit, one place stays empty, eight families wait."""
    event_id, quota_id = rush.events["class"], rush.quotas["class"]

    def book(person):
        page = person.visitor.get(f"/youth/classes/{event_id}")
        form = form_posting_to(page, f"/youth/classes/{event_id}/book")
        fields = {"csrf_token": form.fields["csrf_token"], "child_id": str(person.child_id), "waitlist": "y"}

        def press():
            _, messages = person.visitor.submit(f"/youth/classes/{event_id}/book", fields)
            return checks.read_answer(person.user_id, messages, child_id=person.child_id)

        return press

    answers = together([book(p) for p in rush.parents])
    with rush.sql() as sql:
        assert_no_problems(
            checks.counter_problems(sql), checks.answer_problems(sql, quota_id, answers),
            checks.waiting_number_problems(sql, quota_id, answers), checks.in_order_problems(sql, quota_id),
        )
        assert checks.status_counts(sql, quota_id) == {"confirmed": 4, "waitlisted": 8}
        taken = sql.execute(sa.text("SELECT taken FROM quotas WHERE id = :q"), {"q": quota_id}).scalar_one()
    assert taken == 8


def test_an_organizer_raises_the_capacity_while_people_book(rush):
    """Twenty people book five seats while the organizer saves the lecture with twelve:
    twelve end up seated, the rest wait in the order they came."""
    event_id, quota_id = rush.events["capacity"], rush.quotas["capacity"]
    organizer = rush.organizer
    edit_page = organizer.visitor.get(f"/lectures/{event_id}/edit")
    edit = form_posting_to(edit_page, f"/lectures/{event_id}/edit", here=f"/lectures/{event_id}/edit")
    assert edit.fields["capacity"] == "5"

    def raise_capacity():
        status, messages = organizer.visitor.submit(f"/lectures/{event_id}/edit", {**edit.fields, "capacity": "12"})
        assert status == 302 and "The lecture is saved." in messages, messages

    bookers = rush.residents[30:50]
    answers = together([raise_capacity] + [book_lecture(p, event_id, waitlist=True) for p in bookers])
    with rush.sql() as sql:
        assert_no_problems(
            checks.counter_problems(sql), checks.answer_problems(sql, quota_id, answers),
            checks.waiting_number_problems(sql, quota_id, answers, promotions=7),
            checks.in_order_problems(sql, quota_id),
        )
        assert checks.status_counts(sql, quota_id) == {"confirmed": 12, "waitlisted": 8}
        capacity = sql.execute(sa.text("SELECT capacity FROM quotas WHERE id = :q"), {"q": quota_id}).scalar_one()
    assert capacity == 12


def test_the_checks_catch_an_oversell_a_lost_booking_and_a_wrong_number(rush):
    """Negative control: the same checks on a database made wrong on purpose (inside a
    transaction that is rolled back) must each find the fault."""
    quota_id = rush.quotas["sixty-for-twenty"]
    with rush.sql() as sql, sql.begin() as transaction:
        assert checks.counter_problems(sql) == []
        first_waiting = sql.execute(sa.text(
            "SELECT id, user_id FROM bookings WHERE quota_id = :q AND status = 'waitlisted' ORDER BY waitlisted_at, id"
        ), {"q": quota_id}).first()
        # An oversell as a missing guard would make it: one more confirmed row, counter untouched.
        sql.execute(sa.text("UPDATE bookings SET status = 'confirmed' WHERE id = :id"), {"id": first_waiting.id})
        oversold = checks.counter_problems(sql)
        assert any("oversold" in p for p in oversold) and any("counter says" in p for p in oversold)

        # A booking acknowledged to someone but not in the database.
        told = [checks.Answer(first_waiting.user_id, "booked", code="00000000")]
        sql.execute(sa.text("DELETE FROM bookings WHERE id = :id"), {"id": first_waiting.id})
        assert any(p.startswith("lost:") for p in checks.answer_problems(sql, quota_id, told))

        # A waiting number that isn't the person's place, and a row nobody was told about.
        second = sql.execute(sa.text(
            "SELECT user_id FROM bookings WHERE quota_id = :q AND status = 'waitlisted' ORDER BY waitlisted_at, id"
        ), {"q": quota_id}).first()
        wrong = [checks.Answer(second.user_id, "waiting", number=7)]
        assert checks.waiting_number_problems(sql, quota_id, wrong) == [
            f"person ({second.user_id}, None) was told number 7, their true place is 1"
        ]
        assert any("never acknowledged" in p for p in checks.answer_problems(sql, quota_id, []))
        transaction.rollback()
    with rush.sql() as sql:
        assert checks.counter_problems(sql) == []
