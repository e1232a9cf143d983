"""Passwords and logins: the password check, the rules for new passwords, the hash's cost
and its upgrade, and logins that end one device at a time or all at once."""
from __future__ import annotations

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

import config
from models import Login, User, db
from models.user import PASSWORD_HASH_METHOD
from services import accounts
from services.accounts import authenticate, check_new_password
from services.errors import CommonPassword, PasswordIsPhoneNumber
from tests.conftest import PASSWORD, TEST_HASH_METHOD, make_user


def test_the_right_password_logs_in_and_a_wrong_one_or_an_unknown_number_does_not(app, now):
    user = make_user()
    assert authenticate(user.phone, PASSWORD, now=now) == user
    assert authenticate(user.phone, "nope nope", now=now) is None
    assert authenticate("13912345678", PASSWORD, now=now) is None


def test_a_deactivated_account_does_not_log_in(app, now):
    user = make_user()
    user.is_active_account = False
    db.session.commit()
    assert authenticate(user.phone, PASSWORD, now=now) is None


@pytest.mark.parametrize("password", [
    "password", "12345678", "qwertyuiop", "Password", "iloveyou", "woaini1314", "88888888", "123123123",
    "abcabcabc", " 12345678 ",
])
def test_the_most_common_passwords_are_refused(app, password):
    with pytest.raises(CommonPassword) as refused:
        check_new_password(password, phone="13900000001")
    with force_locale("zh"):
        assert "常见" in str(refused.value)


@pytest.mark.parametrize("password", [
    "13812345678", "+86 138 1234 5678", "13812345678abc", "my13812345678", "812345678", "１３８１２３４５６７８",
])
def test_the_mobile_number_or_its_digits_are_refused(app, password):
    with pytest.raises(PasswordIsPhoneNumber) as refused:
        check_new_password(password, phone="13812345678")
    with force_locale("zh"):
        assert "手机号" in str(refused.value)


@pytest.mark.parametrize("password", ["juhua2026", "correct horse battery", "linli-demo-2026", "吕剧团老队员2026"])
def test_ordinary_passwords_are_fine(app, password):
    check_new_password(password, phone="13812345678")


def test_every_service_that_sets_a_password_applies_the_rules(app, now):
    with pytest.raises(CommonPassword):
        accounts.register_user(phone="13812345678", display_name="张桂芳", password="qwertyuiop", now=now)
    with pytest.raises(PasswordIsPhoneNumber):
        accounts.register_user(phone="13812345678", display_name="张桂芳", password="13812345678", now=now)
    db.session.rollback()
    user = make_user(phone="13812345679")
    with pytest.raises(PasswordIsPhoneNumber):
        accounts.set_password(user, "x13812345679", now=now)
    db.session.rollback()
    assert authenticate(user.phone, PASSWORD, now=now) == user


def test_the_site_hashes_with_scrypt_n_2_17(app):
    assert config.Defaults.PASSWORD_HASH_METHOD == PASSWORD_HASH_METHOD == "scrypt:131072:8:1"
    user = User(phone="13812345678", display_name="x")
    user.set_password("juhua2026")  # the model's default is the site's (half a second)
    assert user.password_hash.startswith("scrypt:131072:8:1$")
    assert user.check_password("juhua2026")


def test_an_older_hash_is_upgraded_at_the_next_login(app, now):
    user = make_user()
    user.set_password(PASSWORD, method="scrypt:32768:8:1")  # werkzeug's default, before
    db.session.commit()
    app.config["PASSWORD_HASH_METHOD"] = "scrypt:2048:8:1"
    assert authenticate(user.phone, "wrong password", now=now) is None
    assert user.password_hash.startswith("scrypt:32768:8:1$")  # a wrong password changes nothing
    assert authenticate(user.phone, PASSWORD, now=now) == user
    db.session.commit()
    db.session.expire_all()
    assert db.session.get(User, user.id).password_hash.startswith("scrypt:2048:8:1$")
    assert authenticate(user.phone, PASSWORD, now=now) == user


def test_an_account_made_at_the_door_has_nothing_to_upgrade(app, now):
    user = accounts.create_unclaimed_account(phone="13812345678", display_name="刘建华", now=now)
    assert not user.password_needs_upgrade(TEST_HASH_METHOD)
    assert authenticate(user.phone, "", now=now) is None


def test_a_login_is_recorded_by_the_hash_of_its_token_and_ends_alone(app, now):
    user = make_user()
    first = accounts.start_login(user, now=now)
    second = accounts.start_login(user, now=now)
    db.session.commit()
    rows = db.session.execute(sa.select(Login).order_by(Login.id)).scalars().all()
    assert len(rows) == 2 and first not in {r.token_hash for r in rows}
    assert accounts.user_for_cookie(f"{user.id}:1:{first}") == user

    user.login_token = first
    accounts.end_login(user, now=now)
    db.session.commit()
    assert accounts.user_for_cookie(f"{user.id}:1:{first}") is None
    assert accounts.user_for_cookie(f"{user.id}:1:{second}") == user


def test_cookies_naming_nonsense_are_turned_away(app, now):
    user = make_user()
    token = accounts.start_login(user, now=now)
    db.session.commit()
    for cookie in ("", ":", "x:1", f"{user.id}:x", f"{user.id}:2:{token}", f"{user.id}:1:wrong",
                   f"{user.id}:1:{token}:more", "99999999999:1", f"{user.id + 1}:1:{token}", "٣:1"):
        assert accounts.user_for_cookie(cookie) is None, cookie
    # From before logins were recorded: still good while the version matches.
    assert accounts.user_for_cookie(f"{user.id}:1") == user
    assert accounts.user_for_cookie(f"{user.id}") == user


def test_a_new_password_ends_every_session(app, now):
    user = make_user()
    token = accounts.start_login(user, now=now)
    db.session.commit()
    accounts.set_password(user, "juhua2026 new", now=now)
    db.session.commit()
    assert accounts.user_for_cookie(f"{user.id}:1:{token}") is None
    assert accounts.user_for_cookie(f"{user.id}:1") is None
    assert db.session.execute(sa.select(Login.ended_at)).scalar_one() is not None
    assert authenticate(user.phone, "juhua2026 new", now=now) == user
