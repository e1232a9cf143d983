"""Registering, logging in and out, through the client."""
from __future__ import annotations

import re

import pytest
import sqlalchemy as sa

from models import Role, User, db
from tests.blueprints.conftest import alerts, field_errors, page
from tests.conftest import PASSWORD, login, make_user

GOOD = {"phone": "13812345678", "display_name": "张桂芳", "password": "juhua2026", "confirm": "juhua2026"}
PHONE_FORMAT = "请输入以 1 开头的 11 位手机号。"


def register(client, **changes):
    return client.post("/auth/register", data={**GOOD, **changes})


def user_count() -> int:
    return db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()


def is_logged_in(client) -> bool:
    return client.get("/account/bookings").status_code == 200


# --- registering ----------------------------------------------------------------------


def test_register_creates_a_resident_logs_them_in_and_goes_to_the_lectures(client):
    response = register(client)

    assert response.status_code == 302
    assert response.headers["Location"] == "/lectures/"
    user = db.session.execute(sa.select(User)).scalar_one()
    assert (user.phone, user.display_name, user.roles) == ("13812345678", "张桂芳", {Role.RESIDENT})
    assert is_logged_in(client)


def test_register_welcomes_the_resident_by_name(client):
    response = register(client, display_name="刘建华")
    assert alerts(client.get(response.headers["Location"])) == ["刘建华，欢迎您！账号已注册成功。"]


def test_register_stores_only_a_scrypt_hash_of_the_password(client):
    register(client)
    user = db.session.execute(sa.select(User)).scalar_one()
    assert user.password_hash.startswith("scrypt:")
    assert "juhua2026" not in user.password_hash
    assert user.check_password("juhua2026")


def test_register_accepts_a_phone_typed_with_country_code_spaces_and_dashes(client):
    response = register(client, phone="+86 139-0000-0001")
    assert response.status_code == 302
    assert db.session.execute(sa.select(User.phone)).scalar_one() == "13900000001"


def test_register_follows_a_local_next(client):
    response = register(client, next="/lectures/7")
    assert response.headers["Location"] == "/lectures/7"


def test_register_form_keeps_next_from_the_address(client):
    assert 'value="/lectures/7"' in page(client.get("/auth/register?next=/lectures/7"))


@pytest.mark.parametrize("bad, field, message", [
    ({"display_name": "张" * 21}, "display_name", "姓名最多 20 个字。"),
    ({"display_name": "   "}, "display_name", "请输入您的姓名（其他人会看到）。"),
    ({"phone": "abcdefghijk"}, "phone", PHONE_FORMAT),
    ({"phone": "1381234"}, "phone", PHONE_FORMAT),
    ({"phone": "23812345678"}, "phone", PHONE_FORMAT),
    ({"phone": "138123456789"}, "phone", PHONE_FORMAT),
    ({"password": "short7!", "confirm": "short7!"}, "password", "密码需要 8 到 128 个字符。"),
    ({"confirm": "juhua2027"}, "confirm", "两次输入的密码不一致。"),
], ids=["name-21-chars", "name-blank", "phone-letters", "phone-short", "phone-not-1", "phone-12-digits",
        "password-7", "confirm-differs"])
def test_register_refuses_bad_input_beside_the_field(client, bad, field, message):
    response = register(client, **bad)

    assert response.status_code == 200
    assert field_errors(response, field) == [message]
    assert user_count() == 0
    assert not is_logged_in(client)


def test_register_with_an_empty_form_asks_for_every_field(client):
    response = client.post("/auth/register", data={})

    assert response.status_code == 200
    assert field_errors(response, "phone") == ["请输入手机号。"]
    assert field_errors(response, "display_name") == ["请输入您的姓名（其他人会看到）。"]
    assert field_errors(response, "password") == ["请设置密码。"]
    assert field_errors(response, "confirm") == ["请再输入一次密码。"]
    assert user_count() == 0


def test_register_refuses_a_phone_already_registered(client):
    make_user("李秀兰", phone="13812345678")

    response = register(client, phone="138 1234 5678", display_name="冒名者")

    assert response.status_code == 200
    assert field_errors(response, "phone") == ["该手机号已注册，请直接登录。"]
    assert db.session.execute(sa.select(User.display_name)).scalars().all() == ["李秀兰"]
    assert not is_logged_in(client)


@pytest.mark.parametrize("typed", ["1381234５６７８", "138١٢٣٤٥٦٧٨"], ids=["full-width", "arabic-indic"])
def test_the_same_number_typed_in_other_digits_cannot_open_a_second_account(client, typed):
    make_user("李秀兰", phone="13812345678")

    register(client, phone=typed, display_name="冒名者")

    assert user_count() == 1


def test_register_page_sends_a_logged_in_person_to_the_lectures(client):
    login(client, make_user())
    response = client.get("/auth/register")
    assert response.status_code == 302
    assert response.headers["Location"] == "/lectures/"


# --- logging in -----------------------------------------------------------------------


def test_login_with_the_right_password_logs_in_and_welcomes_back(client):
    user = make_user("王建国")

    response = client.post("/auth/login", data={"phone": user.phone, "password": PASSWORD})

    assert response.headers["Location"] == "/lectures/"
    assert alerts(client.get("/lectures/")) == ["王建国，欢迎回来。"]
    assert is_logged_in(client)


def test_login_accepts_the_phone_typed_with_spaces(client):
    user = make_user(phone="13812345678")
    response = client.post("/auth/login", data={"phone": "138 1234 5678", "password": PASSWORD})
    assert response.status_code == 302
    assert is_logged_in(client)


@pytest.mark.parametrize("phone", ["13812345678", "13899999999"], ids=["wrong-password", "unknown-phone"])
def test_login_refusal_says_phone_or_password_is_wrong(client, phone):
    make_user(phone="13812345678")

    response = client.post("/auth/login", data={"phone": phone, "password": "not the password"})

    assert response.status_code == 200
    assert field_errors(response, "password") == ["手机号或密码不正确。"]
    assert not is_logged_in(client)


def test_login_with_an_empty_form_asks_for_phone_and_password(client):
    response = client.post("/auth/login", data={})
    assert field_errors(response, "phone") == ["请输入手机号。"]
    assert field_errors(response, "password") == ["请输入密码。"]


@pytest.mark.parametrize("target, expected", [
    ("/lectures/1", "/lectures/1"),
    ("/account/bookings?x=1", "/account/bookings?x=1"),
    ("//evil.com", "/lectures/"),
    ("//evil.com/lectures/1", "/lectures/"),
    ("http://evil.com", "/lectures/"),
    ("https://evil.com/auth/login", "/lectures/"),
    ("/\\evil.com", "/lectures/"),
    ("/\t/evil.com", "/lectures/"),
    ("javascript:alert(1)", "/lectures/"),
])
def test_login_follows_next_only_to_a_local_path(client, target, expected):
    user = make_user()
    response = client.post("/auth/login", data={"phone": user.phone, "password": PASSWORD, "next": target})
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_login_with_a_next_holding_a_line_break_still_redirects_safely(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    user = make_user()

    response = client.post("/auth/login", data={
        "phone": user.phone, "password": PASSWORD, "next": "/lectures/\r\nSet-Cookie: a=b"})

    assert response.status_code == 302
    assert "\n" not in response.headers["Location"]


def test_login_follows_next_given_in_the_address(client):
    user = make_user()
    response = client.post("/auth/login?next=/lectures/3", data={"phone": user.phone, "password": PASSWORD})
    assert response.headers["Location"] == "/lectures/3"


def test_login_form_carries_next_from_the_address_into_a_hidden_field(client):
    body = page(client.get("/auth/login?next=/lectures/3"))
    assert re.search(r'<input[^>]*name="next"[^>]*value="/lectures/3"', body)


def test_remember_me_sets_a_remember_cookie(client):
    user = make_user()
    client.post("/auth/login", data={"phone": user.phone, "password": PASSWORD, "remember": "y"})
    assert client.get_cookie("remember_token") is not None


def test_without_remember_me_there_is_no_remember_cookie(client):
    login(client, make_user())
    assert client.get_cookie("remember_token") is None


def test_remember_cookie_alone_keeps_the_person_logged_in(app, client):
    user = make_user()
    client.post("/auth/login", data={"phone": user.phone, "password": PASSWORD, "remember": "y"})
    returning = app.test_client()
    returning.set_cookie("remember_token", client.get_cookie("remember_token").value)
    assert is_logged_in(returning)


# --- logging out ----------------------------------------------------------------------


def test_logout_by_post_logs_out(client):
    login(client, make_user())

    response = client.post("/auth/logout")

    assert response.headers["Location"] == "/"
    assert "您已退出登录。" in alerts(client.get("/"))
    assert not is_logged_in(client)


def test_logout_also_forgets_the_remember_cookie(client):
    user = make_user()
    client.post("/auth/login", data={"phone": user.phone, "password": PASSWORD, "remember": "y"})
    client.post("/auth/logout")
    assert client.get_cookie("remember_token") is None
    assert not is_logged_in(client)


def test_logout_by_get_is_refused_with_the_405_page_and_keeps_the_person_in(client):
    login(client, make_user())

    response = client.get("/auth/logout")

    assert response.status_code == 405
    assert "请使用页面上的按钮操作。" in page(response)
    assert 'class="site-nav"' in page(response)
    assert is_logged_in(client)


# --- CSRF -----------------------------------------------------------------------------


def csrf_token(response) -> str:
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', page(response)).group(1)


def test_with_csrf_on_a_post_without_token_gets_the_page_expired_page_and_writes_nothing(app, client):
    app.config["WTF_CSRF_ENABLED"] = True

    response = register(client)

    assert response.status_code == 400
    assert "页面已过期" in page(response)
    assert "表单已过期。请返回并刷新页面后重试。" in page(response)
    assert user_count() == 0


def test_with_csrf_on_the_token_from_the_form_lets_the_post_through(app, client):
    app.config["WTF_CSRF_ENABLED"] = True

    token = csrf_token(client.get("/auth/register"))
    response = client.post("/auth/register", data={**GOOD, "csrf_token": token})

    assert response.status_code == 302
    assert user_count() == 1


def test_with_csrf_on_logout_without_token_keeps_the_person_logged_in(app, client):
    login(client, make_user())
    app.config["WTF_CSRF_ENABLED"] = True

    assert client.post("/auth/logout").status_code == 400
    assert is_logged_in(client)


# --- forgetting a password: reset codes -------------------------------------------------

from services import reset_codes  # noqa: E402
from services.booking import book_seat  # noqa: E402
from services.dates import now_utc  # noqa: E402
from tests.conftest import fresh_client, make_event, make_program  # noqa: E402

NEW = {"password": "a brand new secret", "confirm": "a brand new secret"}


def code_for(person, by=None) -> str:
    by = by or make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN))
    _, code = reset_codes.issue_code(person.phone, by=by, now=now_utc())
    db.session.commit()
    return code


def test_the_login_page_links_to_the_forgotten_password_page_which_says_how_to_get_a_code(client):
    assert 'href="/auth/forgot"' in page(client.get("/auth/login"))
    body = page(client.get("/auth/forgot"))
    assert "社区办公室" in body and "组织者" in body and "24 小时" in body


def test_a_reset_code_sets_a_new_password_logs_in_here_and_out_everywhere_else(app, client):
    person = make_user("张桂芳")
    elsewhere = fresh_client(app)
    login(elsewhere, person)
    code = code_for(person)

    response = client.post("/auth/forgot", data={"phone": person.phone, "code": code[:4] + " " + code[4:], **NEW})

    assert response.headers["Location"] == "/lectures/"
    assert is_logged_in(client)
    assert not is_logged_in(elsewhere)
    assert db.session.get(User, person.id).check_password(NEW["password"])
    again = fresh_client(app)
    response = again.post("/auth/forgot", data={"phone": person.phone, "code": code, **NEW})
    assert "重置码只能用一次" in field_errors(response, "code")[0]


def test_a_wrong_code_says_so_and_counts(client):
    person = make_user("张桂芳")
    code = code_for(person)
    wrong = f"{(int(code) + 7) % 10**8:08d}"
    response = client.post("/auth/forgot", data={"phone": person.phone, "code": wrong, **NEW})
    assert response.status_code == 200
    assert "手机号或重置码不对" in field_errors(response, "code")[0]
    from models import PasswordResetCode

    assert db.session.execute(sa.select(PasswordResetCode.failed_attempts)).scalar_one() == 1
    assert db.session.get(User, person.id).check_password(PASSWORD)


def test_the_new_password_follows_the_password_rules(client):
    person = make_user("张桂芳")
    code = code_for(person)
    response = client.post("/auth/forgot", data={"phone": person.phone, "code": code, "password": "short",
                                                 "confirm": "short"})
    assert field_errors(response, "password") == ["密码需要 8 到 128 个字符。"]
    response = client.post("/auth/forgot", data={"phone": person.phone, "code": code, "password": "long enough 1",
                                                 "confirm": "long enough 2"})
    assert field_errors(response, "confirm") == ["两次输入的密码不一致。"]


def test_a_logged_in_person_is_sent_to_change_their_password_instead(client):
    login(client, make_user())
    assert client.get("/auth/forgot").headers["Location"] == "/account/password"


def test_an_organizer_gives_a_code_shown_once_to_someone_who_booked_their_lecture(client, now):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    resident = make_user("张桂芳")
    book_seat(make_event(make_program(organizers=[organizer])), resident, now=now)
    db.session.commit()
    login(client, organizer)

    response = client.post("/auth/reset-code", data={"phone": resident.phone})
    shown = client.get(response.headers["Location"])
    [code] = re.findall(r'class="reset-code ticket">(\d{4} \d{4})<', page(shown))
    assert shown.headers["Cache-Control"] == "no-store"
    assert "张桂芳" in page(shown)
    assert "reset-code ticket" not in page(client.get("/auth/reset-code"))  # shown once
    other = fresh_client(client.application)
    assert other.post("/auth/forgot", data={"phone": resident.phone, "code": code, **NEW}).status_code == 302


def test_an_organizer_cannot_give_a_code_to_a_stranger_and_a_resident_gets_no_page(client):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    stranger = make_user("刘建华")
    login(client, organizer)
    response = client.post("/auth/reset-code", data={"phone": stranger.phone})
    assert "只有社区办公室能给 刘建华 重置码" in field_errors(response, "phone")[0]
    response = client.post("/auth/reset-code", data={"phone": "13000000000"})
    assert field_errors(response, "phone") == ["没有人用这个手机号注册。"]

    resident = fresh_client(client.application)
    login(resident, stranger)
    assert resident.get("/auth/reset-code").status_code == 403
    assert resident.post("/auth/reset-code", data={"phone": organizer.phone}).status_code == 403
