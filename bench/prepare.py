"""Get a seeded database ready for ``bench/run.py`` and say what to request.

Usage (``bench/run.py`` runs it): ``python bench/prepare.py OUT.json BOOKERS`` with
``DATABASE_URL`` and ``SECRET_KEY`` set, on a database that ``seed-demo`` (and perhaps
``seed-scale``) filled. It adds, through the services:

- a lecture starting in twenty minutes with 200 bookings, whose roster an organizer opens
  (check-in is open, so every row has its buttons);
- ten lectures with room for everyone, and BOOKERS residents to book them, each booking a
  new person's (a person books each lecture once);
- a personal calendar link for the demo resident 张桂芳.

and writes OUT.json: the ids, and the cookies of logged-in people. Logging in 2,000
people through the form would cost 2,000 scrypt checks, so their session cookies are made
here the way Flask-Login and Flask-WTF make them after a login (signed with SECRET_KEY),
for the client address and User-Agent the load generator uses.
"""
from __future__ import annotations

import json
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from flask import session  # noqa: E402
from flask_login import login_user  # noqa: E402
from flask_wtf.csrf import generate_csrf  # noqa: E402
from werkzeug.security import generate_password_hash  # noqa: E402

from app import create_app  # noqa: E402
from models import Program, ProgramKind, Role, User, UserRole, db  # noqa: E402
from services import events as event_service  # noqa: E402
from services import accounts, booking, feeds, lectures  # noqa: E402
from services.dates import now_utc  # noqa: E402
from services.db import begin_write  # noqa: E402

USER_AGENT = "linli-bench"
CLIENT_ADDRESS = "127.0.0.1"
RESIDENT = "13900000001"  # demo: 张桂芳
ORGANIZER = "13800000001"  # demo: 李秀兰, organizes the Wednesday lectures
ROSTER_SIZE = 200
BOOKABLE_LECTURES = 10
BOOKER_PHONE_BASE = 170_0000_0000


def _cookie(app, user: User, login_token: str) -> tuple[str, str]:
    """The session cookie a browser holds after ``user`` logged in (under the name the
    app's settings give it: ``__Host-linli_session`` in production), and the CSRF token its
    forms carry. ``login_token`` is the login recorded for it (``accounts.start_login``):
    a cookie without one is turned away, and the page is measured as a visitor's."""
    # A new app context each time: Flask-WTF keeps the token it made in ``g``.
    with app.app_context(), app.test_request_context("/", headers={"User-Agent": USER_AGENT},
                                                     environ_base={"REMOTE_ADDR": CLIENT_ADDRESS}):
        user.login_token = login_token
        login_user(user)
        token = generate_csrf()
        value = app.session_interface.get_signing_serializer(app).dumps(dict(session))
    return f"{app.config['SESSION_COOKIE_NAME']}={value}", token


def _people(count: int, now) -> list[User]:
    """``count`` residents made for the benchmark (one shared password hash)."""
    first = BOOKER_PHONE_BASE
    phones = [str(first + n) for n in range(count)]
    password_hash = generate_password_hash("linli-bench", method="scrypt")
    db.session.execute(sa.insert(User), [
        {"phone": phone, "display_name": f"测试{phone[-4:]}", "password_hash": password_hash, "created_at": now}
        for phone in phones
    ])
    people = list(db.session.execute(
        sa.select(User).where(User.phone >= phones[0], User.phone <= phones[-1]).order_by(User.id)
    ).scalars())
    db.session.execute(sa.insert(UserRole), [{"user_id": p.id, "role": Role.RESIDENT} for p in people])
    return people


def prepare(bookers: int) -> dict:
    app = create_app()
    with app.app_context():
        now = now_utc()
        begin_write()
        program = db.session.execute(
            sa.select(Program).where(Program.slug == "wenshi-jiangtang", Program.kind == ProgramKind.LECTURE_SERIES)
        ).scalar_one()
        resident = db.session.execute(sa.select(User).where(User.phone == RESIDENT)).scalar_one()
        organizer = db.session.execute(sa.select(User).where(User.phone == ORGANIZER)).scalar_one()
        people = _people(max(bookers, ROSTER_SIZE), now)

        start = now.replace(second=0, microsecond=0) + timedelta(minutes=20)
        roster_event = event_service.new_event(
            program, title="基准测试：二百人的讲座", starts_at=start, ends_at=start + timedelta(hours=3),
            capacity=ROSTER_SIZE, booking_cutoff=timedelta(minutes=5), speaker="孙立民", now=now,
        )
        bookable = [
            event_service.new_event(
                program, title=f"基准测试：人人有座 {n + 1}", starts_at=start + timedelta(days=7 + n),
                ends_at=start + timedelta(days=7 + n, hours=2), capacity=1_000_000,
                booking_cutoff=timedelta(hours=1), speaker="刘文华", now=now,
            )
            for n in range(BOOKABLE_LECTURES)
        ]
        db.session.flush()
        for person in people[:ROSTER_SIZE]:
            booking.book_seat(roster_event, person, now=now)
        token = feeds.reset_feed_token(resident, now=now)
        # Each logged-in person's login, as the login form records it.
        logins = {person.id: accounts.start_login(person, now=now)
                  for person in [resident, organizer, *people[:bookers]]}
        db.session.commit()

        client = app.test_client()
        headers = {"Host": "linli.bench", "User-Agent": USER_AGENT}
        etags = {
            "feed": client.get("/calendar/all.ics", headers=headers).headers["ETag"].strip('"'),
            "personal": client.get(f"/calendar/u/{token}.ics", headers=headers).headers["ETag"].strip('"'),
        }
        lecture = db.session.execute(
            lectures.upcoming_lectures_query(now=now).where(Program.slug == "wenshi-jiangtang").limit(1)
        ).scalar_one()
        return {
            "user_agent": USER_AGENT,
            "lecture": lecture.id,
            "roster_event": roster_event.id,
            "bookable": [event.id for event in bookable],
            "feed_token": token,
            "etags": etags,
            "resident": _cookie(app, resident, logins[resident.id]),
            "organizer": _cookie(app, organizer, logins[organizer.id]),
            "bookers": [_cookie(app, person, logins[person.id]) for person in people[:bookers]],
        }


if __name__ == "__main__":
    out, bookers = sys.argv[1], int(sys.argv[2])
    Path(out).write_text(json.dumps(prepare(bookers)), encoding="utf-8")
