"""Security through the test client: sessions that end, throttles, headers, hosts,
request sizes, cookies in production and caching of personal pages."""
from __future__ import annotations

import re
import threading
from collections import Counter
from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from app import create_app
from models import User, db
from services import accounts
from services.dates import now_utc
from tests.blueprints.conftest import field_errors, page
from tests.conftest import PASSWORD, TEST_HASH_METHOD, fresh_client, make_event, make_user

THROTTLED = pytest.mark.app_config(RATELIMIT_ENABLED=True)


def is_logged_in(client) -> bool:
    return client.get("/account/bookings").status_code == 200


def cookies_of(client) -> dict[str, str]:
    return {name: client.get_cookie(name).value for name in ("session", "remember_token") if client.get_cookie(name)}


def login(client, user, password=PASSWORD):
    """Log in through the form with "keep me logged in" ticked (its default)."""
    response = client.post("/auth/login", data={"phone": user.phone, "password": password, "remember": "y"})
    assert response.status_code == 302, response.get_data(as_text=True)
    return response


def with_cookies(app, cookies: dict[str, str]):
    """A client on another device holding copies of ``cookies`` (a thief's)."""
    thief = fresh_client(app)
    for name, value in cookies.items():
        thief.set_cookie(name, value)
    return thief


# --- sessions ----------------------------------------------------------------------------


def test_a_cookie_captured_before_logout_stops_working_and_other_devices_stay_logged_in(app):
    user = make_user()
    phone, tablet = fresh_client(app), fresh_client(app)
    login(phone, user)
    login(tablet, user)
    stolen = cookies_of(phone)
    assert set(stolen) == {"session", "remember_token"}
    assert is_logged_in(with_cookies(app, stolen))

    phone.post("/auth/logout")

    assert not is_logged_in(phone)
    assert not is_logged_in(with_cookies(app, stolen))  # session and remember cookie
    assert not is_logged_in(with_cookies(app, {"remember_token": stolen["remember_token"]}))
    assert not is_logged_in(with_cookies(app, {"session": stolen["session"]}))
    assert is_logged_in(tablet)  # logging out on one phone leaves the others alone


def test_log_out_on_all_devices_ends_every_session_and_remember_cookie(app):
    user = make_user()
    phone, tablet = fresh_client(app), fresh_client(app)
    login(phone, user)
    login(tablet, user)
    stolen = cookies_of(tablet)
    assert "在所有设备上退出" in page(phone.get("/account/"))

    response = phone.post("/account/sessions/end", follow_redirects=True)

    assert "已在所有设备上退出登录" in page(response)
    assert not is_logged_in(phone) and not is_logged_in(tablet)
    assert not is_logged_in(with_cookies(app, stolen))
    assert not is_logged_in(with_cookies(app, {"remember_token": stolen["remember_token"]}))
    login(tablet, user)
    assert is_logged_in(tablet)


def test_a_password_change_ends_a_stolen_cookie(app):
    user = make_user()
    client = fresh_client(app)
    login(client, user)
    stolen = cookies_of(client)
    accounts.set_password(user, "a brand new one", now=now_utc())  # what every password change calls
    db.session.commit()
    assert not is_logged_in(with_cookies(app, stolen))
    assert not is_logged_in(with_cookies(app, {"remember_token": stolen["remember_token"]}))
    assert not is_logged_in(client)


def test_a_cookie_from_before_logins_were_recorded_works_and_logging_out_with_it_ends_all(app):
    user = make_user()
    old, other = fresh_client(app), fresh_client(app)
    for client in (old, other):
        with client.session_transaction() as cookie_session:
            cookie_session["_user_id"] = f"{user.id}:1"
            cookie_session["_fresh"] = True
        assert is_logged_in(client)
    old.post("/auth/logout")
    assert not is_logged_in(old) and not is_logged_in(other)


# --- throttles ---------------------------------------------------------------------------


def attempt(client, user_or_phone, password="not the password", **kwargs):
    phone = getattr(user_or_phone, "phone", user_or_phone)
    return client.post("/auth/login", data={"phone": phone, "password": password}, **kwargs)


@THROTTLED
def test_a_login_after_the_numbers_limit_is_429_in_the_readers_language_with_retry_after(app, client):
    user = make_user()
    for _ in range(5):
        assert field_errors(attempt(client, user), "password") == ["手机号或密码不正确。"]

    refused = attempt(client, user, PASSWORD)

    assert refused.status_code == 429
    assert 1 <= int(refused.headers["Retry-After"]) <= 15 * 60
    [message] = field_errors(refused, "password")
    assert message.startswith("短时间内尝试次数太多，请") and "分钟后再试" in message
    assert not is_logged_in(client)
    client.set_cookie("lang", "en")
    assert "Too many tries in a short time" in page(attempt(client, user, PASSWORD))


@THROTTLED
def test_the_numbers_window_passes_and_logins_work_again(app, client, time_machine):
    user = make_user()
    time_machine.move_to(now_utc(), tick=False)
    for _ in range(5):
        attempt(client, user)
    assert attempt(client, user, PASSWORD).status_code == 429
    time_machine.shift(timedelta(minutes=15, seconds=1))
    assert attempt(client, user, PASSWORD).status_code == 302


@THROTTLED
def test_a_stranger_typing_an_organizers_number_cannot_lock_out_the_organizers_own_phone(app):
    organizer = make_user("李秀兰")
    own_phone, stranger, new_phone = fresh_client(app), fresh_client(app), fresh_client(app)
    login(own_phone, organizer)  # the phone becomes a known device of the number
    own_phone.post("/auth/logout")
    for _ in range(12):
        attempt(stranger, organizer)
    assert attempt(stranger, organizer, PASSWORD).status_code == 429

    assert attempt(own_phone, organizer, PASSWORD).status_code == 302
    assert is_logged_in(own_phone)
    # A phone that never logged in waits like the stranger: slowed down, for 15 minutes.
    assert attempt(new_phone, organizer, PASSWORD).status_code == 429


@THROTTLED
def test_a_known_device_cookie_counts_only_for_its_own_number(app):
    organizer, other = make_user("李秀兰"), make_user("刘建华")
    device = fresh_client(app)
    login(device, organizer)
    device.post("/auth/logout")
    for _ in range(5):
        attempt(device, other)
    assert attempt(device, other, PASSWORD).status_code == 429
    assert attempt(device, organizer, PASSWORD).status_code == 302


@THROTTLED
@pytest.mark.app_config(RATELIMIT_ENABLED=True, LOGIN_LIMIT_PER_ADDRESS="3 per 15 minutes")
def test_one_address_trying_many_numbers_is_stopped(app, client):
    for number in ("13900000101", "13900000102", "13900000103"):
        assert attempt(client, number).status_code == 200
    refused = attempt(client, "13900000104")
    assert refused.status_code == 429 and "Retry-After" in refused.headers
    other_address = client.post("/auth/login", data={"phone": "13900000105", "password": "x" * 9},
                                environ_base={"REMOTE_ADDR": "10.1.2.3"})
    assert other_address.status_code == 200


@pytest.mark.app_config(RATELIMIT_ENABLED=True, REGISTER_LIMIT_PER_ADDRESS="2 per hour")
def test_registering_again_and_again_from_one_address_is_stopped(app, client):
    for i in range(2):
        client.post("/auth/register", data={"phone": f"1370000000{i}", "display_name": "居民",
                                            "password": "juhua2026", "confirm": "juhua2026"})
        client.post("/auth/logout")
    refused = fresh_client(app).post("/auth/register", data={
        "phone": "13700000009", "display_name": "居民", "password": "juhua2026", "confirm": "juhua2026"})
    assert refused.status_code == 429
    assert "短时间内尝试次数太多" in page(refused) and int(refused.headers["Retry-After"]) > 0


@pytest.mark.app_config(RATELIMIT_ENABLED=True, WRITE_LIMIT_PER_ACCOUNT="3 per minute")
def test_one_account_posting_bookings_fast_is_stopped_and_others_are_not(app, now):
    events = [make_event(capacity=5, title=f"讲座{i}") for i in range(5)]
    eager, other = make_user("张桂芳"), make_user("刘建华")
    client, other_client = fresh_client(app), fresh_client(app)
    login(client, eager)
    login(other_client, other)
    statuses = [client.post(f"/lectures/{e.id}/book").status_code for e in events[:3]]
    assert statuses == [302, 302, 302]
    refused = client.post(f"/lectures/{events[3].id}/book")
    assert refused.status_code == 429 and int(refused.headers["Retry-After"]) <= 61
    assert "请稍等片刻" in page(refused)
    assert client.get(f"/lectures/{events[3].id}").status_code == 200  # reading is not limited
    assert other_client.post(f"/lectures/{events[3].id}/book").status_code == 302
    assert db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() == 2


@THROTTLED
def test_24_simultaneous_logins_on_one_number_get_at_most_the_limit_checked(app, monkeypatch):
    user = make_user()
    checked, lock = [], threading.Lock()
    real_check = User.check_password

    def counting_check(self, password):
        with lock:
            checked.append(password)
        return real_check(self, password)

    monkeypatch.setattr(User, "check_password", counting_check)
    db.session.commit()
    passwords = ["wrong password"] * 23 + [PASSWORD]
    statuses, start = [], threading.Barrier(len(passwords))

    def try_once(password):
        client = FlaskClient(app, app.response_class, use_cookies=True)
        start.wait()
        response = attempt(client, user, password)
        with lock:
            statuses.append(response.status_code)

    threads = [threading.Thread(target=try_once, args=(p,)) for p in passwords]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    assert len(statuses) == 24
    assert len(checked) <= 5
    assert Counter(statuses)[429] == 24 - len(checked) >= 19


# --- headers, hosts, sizes ---------------------------------------------------------------


def assert_security_headers(response, url):
    csp = response.headers.get("Content-Security-Policy", "")
    for directive in ("default-src 'self'", "script-src 'self'", "object-src 'none'", "base-uri 'none'",
                      "frame-ancestors 'none'"):
        assert directive in csp, (url, directive)
    assert "unsafe-inline" not in csp and "script-src 'self';" in csp + ";", url
    assert response.headers["X-Content-Type-Options"] == "nosniff", url
    assert response.headers["Referrer-Policy"] in {"same-origin", "no-referrer"}, url
    assert response.headers["X-Frame-Options"] == "DENY", url
    html = response.get_data(as_text=True)
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url  # no inline script
    assert not re.search(r"\son[a-z]+\s*=", html), url  # no inline event handlers
    assert not re.search(r"<[^>]+\sstyle=", html), url  # no inline style attributes
    nonce = re.search(r"'nonce-([^']+)'", csp).group(1)
    for tag in re.findall(r"<style[^>]*>", html):
        assert f'nonce="{nonce}"' in tag, url


def test_every_html_page_carries_the_security_headers(app):
    from tests.conftest import make_program
    from models import Role

    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER, Role.ADMIN))
    program = make_program(slug="wenshi-jiangtang", organizers=[organizer])
    event = make_event(program)
    client = fresh_client(app)
    anonymous = ["/", "/lectures/", f"/lectures/{event.id}", "/auth/login", "/auth/register", "/troupes/",
                 "/youth/", "/lecture-team/", "/no/such/page"]
    for url in anonymous:
        response = client.get(url)
        assert response.mimetype == "text/html", url
        assert_security_headers(response, url)
    login(client, organizer)
    for url in ["/account/", "/account/bookings", "/account/calendar", "/account/data", "/account/delete",
                "/youth/children", "/attendance/", f"/attendance/{event.id}/", "/attendance/dashboard",
                "/admin/users", "/lectures/manage"]:
        response = client.get(url)
        assert response.status_code == 200 and response.mimetype == "text/html", url
        assert_security_headers(response, url)
    assert_security_headers(client.post("/auth/login"), "405 page")


def test_hsts_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


@pytest.mark.app_config(SITE_URL="https://linli.example.org")
def test_with_a_site_address_other_hosts_are_refused(app, client):
    assert client.get("/", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/calendar/all.ics", headers={"Host": "evil.example"}).status_code == 400
    assert client.get("/", base_url="https://linli.example.org").status_code == 200
    assert client.get("/healthz", base_url="http://127.0.0.1:8000").status_code == 200


def test_a_request_larger_than_any_form_is_413(client):
    response = client.post("/auth/login", data={"phone": "13900000001", "password": "x" * (2 * 1024 * 1024)})
    assert response.status_code == 413
    assert "内容太多" in page(response)


def test_personal_pages_are_never_stored_in_a_cache(app):
    client = fresh_client(app)
    login(client, make_user())
    for url in ("/account/", "/account/bookings", "/account/calendar", "/youth/children", "/account/data",
                "/account/data.json", "/account/data.csv", "/lectures/"):
        assert client.get(url).headers["Cache-Control"] == "no-store", url
    public = fresh_client(app).get("/calendar/all.ics")
    assert public.headers["Cache-Control"] == "public, max-age=300"


# --- production --------------------------------------------------------------------------


def production_app(tmp_path, **config):
    return create_app({
        "SECRET_KEY": "production-secret", "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        "PASSWORD_HASH_METHOD": TEST_HASH_METHOD, "RATELIMIT_ENABLED": False, **config,
    })


def test_in_production_cookies_are_secure_and_the_session_cookie_host_prefixed(tmp_path):
    site = production_app(tmp_path)
    assert not site.testing and not site.debug
    with site.app_context():
        db.create_all()
        make_user(phone="13900000001")
        client = site.test_client()
        response = client.post("/auth/login", base_url="https://localhost", data={
            "phone": "13900000001", "password": PASSWORD, "remember": "y", "csrf_token": _csrf(client)},
            headers={"Referer": "https://localhost/auth/login"})
        db.session.remove()
        db.engine.dispose()
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    session_cookie = next(c for c in cookies if c.startswith("__Host-linli_session="))
    remember_cookie = next(c for c in cookies if c.startswith("__Host-linli_remember="))
    device_cookie = next(c for c in cookies if c.startswith("__Host-linli_device="))
    for cookie in (session_cookie, remember_cookie, device_cookie):
        assert "Secure" in cookie and "Path=/" in cookie and "Domain" not in cookie and "HttpOnly" in cookie


def _csrf(client) -> str:
    text = client.get("/auth/login", base_url="https://localhost").get_data(as_text=True)
    return re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', text).group(1)


def test_a_site_on_plain_http_on_purpose_gets_plain_cookies_and_a_warning(tmp_path, caplog):
    with caplog.at_level("WARNING"):
        site = production_app(tmp_path, PLAIN_HTTP=True, SITE_URL="http://linli.example.org")
    assert not site.config["SESSION_COOKIE_SECURE"] and site.config["SESSION_COOKIE_NAME"] == "session"
    assert "LINLI_PLAIN_HTTP" in caplog.text


def test_a_production_site_without_its_address_warns_at_start(tmp_path, caplog):
    with caplog.at_level("WARNING"):
        site = production_app(tmp_path)
    assert "LINLI_SITE_URL is not set" in caplog.text
    assert site.config["SESSION_COOKIE_SECURE"] and site.config["REMEMBER_COOKIE_SECURE"]


@THROTTLED
def test_guessing_the_current_password_is_throttled_like_logging_in(client):
    """A borrowed, logged-in phone can't be used to guess the owner's password on the
    change-password or change-number pages: each try counts against the login limit (here
    the device's ten: the owner logged in on it)."""
    user = make_user()
    login(client, user)
    wrong = {"current_password": "a guess", "password": "a brand new secret", "confirm": "a brand new secret"}
    for _ in range(7):
        assert field_errors(client.post("/account/password", data=wrong), "current_password") == ["当前密码不对。"]
    for _ in range(3):
        response = client.post("/account/profile", data={
            "display_name": user.display_name, "phone": "13911119999", "current_password": "a guess"})
        assert field_errors(response, "current_password") == ["当前密码不对。"]

    refused = client.post("/account/password", data={**wrong, "current_password": PASSWORD})

    assert refused.status_code == 429 and "Retry-After" in refused.headers
    assert field_errors(refused, "current_password")[0].startswith("短时间内尝试次数太多")
    assert db.session.get(type(user), user.id).check_password(PASSWORD)
