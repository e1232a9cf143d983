"""Logging in: the password check and the brake on guessing."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from models import LoginFailure, db
from services.accounts import LOGIN_FAILURE_LIMIT, LOGIN_FAILURE_WINDOW, authenticate
from services.errors import TooManyLoginAttempts
from tests.conftest import PASSWORD, make_user


def fail(phone, now, times):
    for _ in range(times):
        assert authenticate(phone, "wrong password", now=now) is None
        db.session.commit()


def test_the_right_password_logs_in_and_a_wrong_one_is_recorded(app, now):
    user = make_user()
    assert authenticate(user.phone, PASSWORD, now=now) == user
    assert authenticate(user.phone, "nope nope", now=now) is None
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(LoginFailure)).scalar_one() == 1


def test_after_the_limit_even_the_right_password_waits_out_the_window(app, now):
    user = make_user()
    fail(user.phone, now, LOGIN_FAILURE_LIMIT - 1)
    assert authenticate(user.phone, PASSWORD, now=now) == user  # one below the limit: fine
    fail(user.phone, now, 1)
    with pytest.raises(TooManyLoginAttempts) as refused:
        authenticate(user.phone, PASSWORD, now=now + timedelta(minutes=1))
    with force_locale("zh"):
        assert "请在" in str(refused.value)
    assert authenticate(user.phone, PASSWORD, now=now + LOGIN_FAILURE_WINDOW) == user


def test_unknown_numbers_are_braked_too_and_numbers_are_counted_apart(app, now):
    fail("13912345678", now, LOGIN_FAILURE_LIMIT)
    with pytest.raises(TooManyLoginAttempts):
        authenticate("13912345678", "anything at all", now=now)
    other = make_user()
    assert authenticate(other.phone, PASSWORD, now=now) == other
