"""The home page, the language switch, error pages and the health check."""
from __future__ import annotations

from datetime import timedelta

import pytest

from models import ProgramKind
from tests.blueprints.conftest import page
from tests.conftest import login, make_event, make_program, make_user


def test_home_page_reads_in_chinese_by_default(client):
    response = client.get("/")

    assert response.status_code == 200
    assert '<html lang="zh-CN">' in page(response)
    assert "欢迎来到邻里" in page(response)


def test_home_page_reads_in_english_with_the_lang_cookie(client):
    client.set_cookie("lang", "en")

    response = client.get("/")

    assert response.status_code == 200
    assert '<html lang="en">' in page(response)
    assert "Welcome to Linli" in page(response)
    assert "欢迎来到邻里" not in page(response)


def test_an_unknown_lang_cookie_falls_back_to_chinese(client):
    client.set_cookie("lang", "fr")
    assert "欢迎来到邻里" in page(client.get("/"))


def test_home_page_shows_coming_lectures_then_whats_on_not_every_troupe(client, now):
    make_event(title="管仲与齐国的富国之道", now=now)
    troupes = [make_program(ProgramKind.TROUPE, name=f"队伍{n}") for n in range(6)]
    show = make_event(troupes[0], title="京剧票友会汇报演出", starts_in=timedelta(days=3), now=now)
    make_event(troupes[1], title="很久以后的演出", starts_in=timedelta(days=60), now=now)

    body = page(client.get("/"))

    assert "管仲与齐国的富国之道" in body
    assert body.index("管仲与齐国的富国之道") < body.index("近期活动") < body.index("京剧票友会汇报演出")
    assert f'href="/troupes/events/{show.id}"' in body
    assert "6 支队伍欢迎加入" in body and 'href="/troupes/"' in body
    assert "队伍5" not in body  # not every troupe


def test_switching_to_english_sets_the_cookie_and_returns_to_the_page(client):
    response = client.get("/lang/en", query_string={"next": "/lectures/?series=s0"})

    assert response.status_code == 302
    assert response.headers["Location"] == "/lectures/?series=s0"
    assert client.get_cookie("lang").value == "en"
    assert "Wednesday culture & history lectures" in page(client.get("/lectures/"))


def test_switching_back_to_chinese(client):
    client.get("/lang/en")
    client.get("/lang/zh")
    assert client.get_cookie("lang").value == "zh"
    assert "周三文史讲堂" in page(client.get("/lectures/"))


@pytest.mark.parametrize("target", ["//evil.com", "http://evil.com/", "https://evil.com/lectures/", "/\\evil.com", ""])
def test_language_switch_follows_only_a_local_next(client, target):
    response = client.get("/lang/en", query_string={"next": target})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", ["/lectures/\n", "/\r\nSet-Cookie: lang=xx"])
def test_language_switch_with_a_line_break_in_next_is_refused_without_a_header_injected(app, client, target):
    app.config["PROPAGATE_EXCEPTIONS"] = False

    response = client.get("/lang/en", query_string={"next": target})

    # Control characters in a query are refused in one place (security.refuse_control_characters).
    assert response.status_code == 400
    assert client.get_cookie("lang") is None and "lang=xx" not in str(response.headers)


def test_language_switch_ignores_an_unknown_language(client):
    response = client.get("/lang/xx")
    assert response.status_code == 302
    assert client.get_cookie("lang") is None


def test_english_detail_page_offers_to_book_a_seat(client, now):
    event = make_event(now=now)
    login(client, make_user())
    client.set_cookie("lang", "en")

    body = page(client.get(f"/lectures/{event.id}"))

    assert "Book a seat" in body
    assert "预约座位" not in body


def test_english_refusals_read_in_english(app, client, now):
    """Business failures are translated when shown, not when raised."""
    event = make_event(capacity=1, now=now)
    login(client, make_user("甲"))
    client.post(f"/lectures/{event.id}/book")
    other = app.test_client()
    login(other, make_user("乙"))
    other.set_cookie("lang", "en")

    response = other.post(f"/lectures/{event.id}/book", follow_redirects=True)

    assert "All seats are taken. You can join the waiting list instead." in page(response)


def test_404_page_is_a_styled_page_with_the_site_nav(client):
    response = client.get("/no-such-page")

    assert response.status_code == 404
    body = page(response)
    assert "找不到页面" in body
    assert 'class="site-nav"' in body
    assert 'href="/lectures/"' in body


def test_404_page_reads_in_english_too(client):
    client.set_cookie("lang", "en")
    assert "Page not found" in page(client.get("/no-such-page"))


def test_healthz_answers_ok(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_asks_the_database_once_and_is_not_cached(client, count_queries):
    with count_queries() as statements:
        response = client.get("/healthz")
    assert response.status_code == 200 and response.get_json() == {"status": "ok"}
    assert len(statements) == 1
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path, caplog):
    from app import create_app

    broken = create_app({
        "TESTING": True, "SECRET_KEY": "x",
        "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'no-such-folder' / 'linli.sqlite3'}",
    })
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json() == {"status": "database unavailable"}
    assert "the database did not answer" in caplog.text
# --- large text, icons, the manifest ----------------------------------------------------


def test_the_large_text_switch_is_remembered_and_marks_the_page(client):
    assert 'class="large-text"' not in page(client.get("/lectures/"))
    response = client.get("/text-size/large", query_string={"next": "/lectures/"})
    assert response.status_code == 302 and response.headers["Location"] == "/lectures/"
    body = page(client.get("/lectures/"))
    assert '<html lang="zh-CN" class="large-text">' in body and 'aria-pressed="true"' in body
    client.get("/text-size/normal")
    assert 'class="large-text"' not in page(client.get("/"))
    assert client.get("/text-size/huge", query_string={"next": "//evil.example"}).headers["Location"] == "/"


def test_the_favicon_icons_and_manifest_are_served_locally(client):
    with client.get("/favicon.ico") as favicon:
        assert favicon.status_code == 200 and favicon.data[:4] == b"\x00\x00\x01\x00"
    manifest = client.get("/manifest.webmanifest")
    assert manifest.mimetype == "application/manifest+json"
    data = manifest.get_json()
    assert data["short_name"] == "邻里" and data["theme_color"] == "#a61b1b" and data["start_url"] == "/"
    for icon in data["icons"]:
        with client.get(icon["src"]) as image:
            assert image.status_code == 200 and image.data[:8] == b"\x89PNG\r\n\x1a\n"
    home = page(client.get("/"))
    assert 'rel="manifest"' in home and 'rel="apple-touch-icon"' in home and "//cdn" not in home
