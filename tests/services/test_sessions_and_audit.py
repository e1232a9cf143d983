"""Session versions (every cookie a person holds can be turned away at once) and the
append-only audit trail."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import AuditEntry, User, db
from services import accounts, audit
from services.dates import now_utc
from tests.conftest import fresh_client, login, make_program, make_user


def _cookies(client) -> dict[str, str]:
    return {cookie.key: cookie.value for cookie in client._cookies.values()}


def _client_with(app, cookies: dict[str, str]):
    other = fresh_client(app)
    for key, value in cookies.items():
        other.set_cookie(key, value)
    return other


def _can_see_bookings(client) -> bool:
    return client.get("/account/bookings").status_code == 200


def test_ending_all_sessions_turns_away_a_captured_session_and_remember_cookie(app):
    person = make_user("张桂芳")
    client = fresh_client(app)
    client.post("/auth/login", data={"phone": person.phone, "password": "correct horse battery", "remember": "y"})
    captured = _cookies(client)
    assert {"session", "remember_token"} <= captured.keys()
    remember_only = {"remember_token": captured["remember_token"]}
    assert _can_see_bookings(_client_with(app, captured))
    assert _can_see_bookings(_client_with(app, remember_only))

    accounts.end_all_sessions(db.session.get(User, person.id))
    db.session.commit()

    assert not _can_see_bookings(_client_with(app, captured))
    assert not _can_see_bookings(_client_with(app, remember_only))
    assert not _can_see_bookings(client)
    # Logging in again works, and the new session is good.
    login(client, person)
    assert _can_see_bookings(client)


def test_a_deactivated_persons_cookies_stop_working_at_once(app):
    person = make_user("刘建华")
    client = fresh_client(app)
    login(client, person)
    assert _can_see_bookings(client)
    db.session.get(User, person.id).is_active_account = False
    db.session.commit()
    assert not _can_see_bookings(client)


def test_cookies_from_before_session_versions_count_as_the_first_version(app):
    person = make_user("陈玉兰")
    client = fresh_client(app)
    with client.session_transaction() as session:
        session["_user_id"] = str(person.id)  # as Flask-Login wrote it before
        session["_fresh"] = True
    assert _can_see_bookings(client)
    accounts.end_all_sessions(db.session.get(User, person.id))
    db.session.commit()
    assert not _can_see_bookings(client)


@pytest.mark.parametrize("forged", ["1:x", "x:1", "１:1", "99999999999:1", "1:", ":", "", "1:1:1"])
def test_forged_ids_in_a_session_are_turned_away(app, forged):
    make_user("张桂芳")
    client = fresh_client(app)
    with client.session_transaction() as session:
        session["_user_id"] = forged
    assert client.get("/account/bookings").status_code == 302


def test_two_at_once_both_raise_the_version(app):
    person = make_user("张桂芳")
    accounts.end_all_sessions(person)
    accounts.end_all_sessions(person)
    db.session.commit()
    assert db.session.execute(sa.select(User.session_version).where(User.id == person.id)).scalar_one() == 3


def test_the_audit_trail_keeps_only_what_changed_and_refuses_rewrites(app):
    admin = make_user("王建国")
    program = make_program(name="周三文史讲堂")
    now = now_utc()
    entry = audit.record(
        "program.edit", actor=admin, now=now, subject_type="programs", subject_id=program.id,
        label=program.name, program_id=program.id,
        before={"name": "文史讲堂", "slug": "wenshi", "opens": now - timedelta(days=1)},
        after={"name": "周三文史讲堂", "slug": "wenshi", "opens": now},
    )
    db.session.commit()
    stored = db.session.execute(sa.select(AuditEntry)).scalar_one()
    assert stored.id == entry.id and stored.actor_id == admin.id and stored.action == "program.edit"
    assert stored.before == {"name": "文史讲堂", "opens": (now - timedelta(days=1)).isoformat()}
    assert stored.after == {"name": "周三文史讲堂", "opens": now.isoformat()}

    stored.label = "changed"
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    db.session.delete(db.session.get(AuditEntry, entry.id))
    with pytest.raises(RuntimeError, match="append-only"):
        db.session.flush()
    db.session.rollback()
    assert db.session.execute(sa.select(sa.func.count()).select_from(AuditEntry)).scalar_one() == 1
