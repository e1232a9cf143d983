"""What a rush must leave behind, checked with SQL: each function returns the problems it
finds as sentences (an empty list is a pass), so the negative controls can show that each
check does catch what it is for.
"""
from __future__ import annotations

import re
from dataclasses import dataclass

import sqlalchemy as sa

BOOKED = [
    re.compile(r"Your seat is booked\. Ticket number: (?P<code>\d{4} \d{4})"),
    re.compile(r"has a place\. Ticket number: (?P<code>\d{4} \d{4})"),
    re.compile(r"The place is booked\. Ticket number: (?P<code>\d{4} \d{4})"),
    re.compile(r"You are signed up as .+\. Thank you!"),
]
WAITING = [
    re.compile(r"You are on the waiting list, number (?P<number>\d+)\."),
    re.compile(r"number (?P<number>\d+) on the waiting list"),
]
FULL = [re.compile(r"All seats are taken"), re.compile(r"All slots in this role are taken")]
CANCELLED = [re.compile(r"Your booking is cancelled\.")]


@dataclass(frozen=True)
class Answer:
    """What one action told one person: booked (with a ticket code), waiting (with a
    number), full, cancelled — or something else, kept as text."""

    user_id: int
    kind: str
    child_id: int | None = None
    code: str | None = None
    number: int | None = None
    text: str = ""


def read_answer(user_id: int, messages: list[str], child_id: int | None = None) -> Answer:
    """Turn the flashed messages of one action into an :class:`Answer`."""
    text = " | ".join(messages)
    for kind, patterns in (("booked", BOOKED), ("waiting", WAITING), ("full", FULL), ("cancelled", CANCELLED)):
        for pattern in patterns:
            match = pattern.search(text)
            if match:
                found = match.groupdict()
                return Answer(
                    user_id, kind, child_id,
                    code=found.get("code", "").replace(" ", "") or None,
                    number=int(found["number"]) if found.get("number") else None, text=text,
                )
    return Answer(user_id, "other", child_id, text=text)


def _rows(connection, quota_id: int):
    return connection.execute(sa.text(
        "SELECT id, user_id, child_id, status, places, ticket_code, waitlisted_at, confirmed_at "
        "FROM bookings WHERE quota_id = :quota ORDER BY id"
    ), {"quota": quota_id}).mappings().all()


def counter_problems(connection) -> list[str]:
    """Every quota: never more places confirmed than it has, and its counter equal to the
    places its confirmed bookings hold."""
    problems = []
    rows = connection.execute(sa.text(
        "SELECT q.id, q.capacity, q.taken, COALESCE(SUM(b.places), 0) AS confirmed "
        "FROM quotas q LEFT JOIN bookings b ON b.quota_id = q.id AND b.status = 'confirmed' "
        "GROUP BY q.id, q.capacity, q.taken ORDER BY q.id"
    )).mappings()
    for row in rows:
        if row["confirmed"] > row["capacity"]:
            problems.append(f"quota {row['id']} oversold: {row['confirmed']} places confirmed, capacity {row['capacity']}")
        if row["taken"] != row["confirmed"]:
            problems.append(f"quota {row['id']} counter says {row['taken']}, its confirmed bookings hold {row['confirmed']}")
        if not 0 <= row["taken"] <= row["capacity"]:
            problems.append(f"quota {row['id']} counter {row['taken']} outside 0…{row['capacity']}")
    return problems


def answer_problems(connection, quota_id: int, answers: list[Answer], *, before: set[int] = frozenset()) -> list[str]:
    """Every "booked" or "waiting" answer maps to exactly one active row of that person
    (a ticket code to that row's code), every "full" answer to none, and every active row
    made during the rush (ids not in ``before``) to at least one answer."""
    problems = []
    active = {}
    for row in _rows(connection, quota_id):
        if row["status"] != "cancelled":
            key = (row["user_id"], row["child_id"])
            if key in active:
                problems.append(f"{key} holds two active bookings in quota {quota_id}")
            active[key] = row
    answered = set()
    for answer in answers:
        key = (answer.user_id, answer.child_id)
        row = active.get(key)
        if answer.kind in ("booked", "waiting"):
            if row is None:
                problems.append(f"lost: person {key} was told {answer.kind!r} but holds no booking")
                continue
            answered.add(row["id"])
            if answer.kind == "booked" and row["status"] != "confirmed":
                problems.append(f"person {key} was told booked, the row is {row['status']}")
            if answer.code and row["ticket_code"] != answer.code:
                problems.append(f"person {key} was told ticket {answer.code}, the row has {row['ticket_code']}")
        elif answer.kind == "full":
            if row is not None and row["id"] not in before:
                problems.append(f"person {key} was told it was full, yet holds booking {row['id']}")
        elif answer.kind != "cancelled":
            problems.append(f"person {key} got an unexpected answer: {answer.text!r}")
    for key, row in active.items():
        if row["id"] not in before and row["id"] not in answered:
            problems.append(f"booking {row['id']} of {key} was never acknowledged to anyone")
    return problems


def waiting_number_problems(connection, quota_id: int, answers: list[Answer], *, promotions: int = 0) -> list[str]:
    """Waiting numbers told equal true places: the place in the list ordered by
    (``waitlisted_at``, id), counting people who have since moved up (``promotions`` is
    how many could have moved up after someone was told: 0 where nobody leaves)."""
    rows = [r for r in _rows(connection, quota_id) if r["waitlisted_at"] is not None and r["status"] != "cancelled"]
    rows.sort(key=lambda r: (r["waitlisted_at"], r["id"]))
    still_waiting = [r for r in rows if r["status"] == "waitlisted"]
    place = {(r["user_id"], r["child_id"]): n for n, r in enumerate(still_waiting, start=1)}
    problems = []
    for answer in answers:
        if answer.kind != "waiting":
            continue
        key = (answer.user_id, answer.child_id)
        if key not in place:
            continue  # moved up since; in_order_problems checks that it was their turn
        if promotions == 0 and answer.number != place[key]:
            problems.append(f"person {key} was told number {answer.number}, their true place is {place[key]}")
        elif not place[key] <= answer.number <= place[key] + promotions:
            problems.append(f"person {key} was told number {answer.number}, now at {place[key]} after at most {promotions} moved up")
    return problems


def in_order_problems(connection, quota_id: int) -> list[str]:
    """Nobody jumps the queue: everyone moved up from the waiting list was ahead of
    everyone still on it, and nobody confirmed directly came after someone still waiting."""
    rows = [r for r in _rows(connection, quota_id) if r["status"] != "cancelled"]
    waiting = [r for r in rows if r["status"] == "waitlisted"]
    promoted = [r for r in rows if r["status"] == "confirmed" and r["waitlisted_at"] is not None]
    direct = [r for r in rows if r["status"] == "confirmed" and r["waitlisted_at"] is None]
    problems = []
    if waiting and promoted:
        last_promoted = max(promoted, key=lambda r: (r["waitlisted_at"], r["id"]))
        first_waiting = min(waiting, key=lambda r: (r["waitlisted_at"], r["id"]))
        if (first_waiting["waitlisted_at"], first_waiting["id"]) < (last_promoted["waitlisted_at"], last_promoted["id"]):
            problems.append(f"booking {last_promoted['id']} moved up ahead of booking {first_waiting['id']}")
    if waiting and direct:
        first_waiting = min(waiting, key=lambda r: r["id"])
        jumped = [r["id"] for r in direct if r["id"] > first_waiting["id"]]
        if jumped:
            problems.append(f"bookings {jumped} got seats while booking {first_waiting['id']} was waiting")
    by_time = [r["id"] for r in sorted(waiting, key=lambda r: (r["waitlisted_at"], r["id"]))]
    if by_time != sorted(by_time):
        problems.append(f"waiting list is not in the order of the lock: {by_time}")
    return problems


def status_counts(connection, quota_id: int) -> dict[str, int]:
    """How many bookings of the quota are in each state."""
    return dict(connection.execute(sa.text(
        "SELECT status, COUNT(*) FROM bookings WHERE quota_id = :quota GROUP BY status"
    ), {"quota": quota_id}).all())
