"""Browser fixtures: the app served on a loopback port, driven by Debian's Chromium.

Screenshots of each journey go to ``artifacts/e2e/`` (phone size, 390×844) for people
to look at; the tests assert on what the page says, not on pixels.
"""
from __future__ import annotations

import shutil
import threading
from datetime import datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

import demo
from models import AttendanceStatus, Booking, BookingStatus, Event, Program, ProgramKind, Quota, User, db
from services import attendance
from services.dates import LOCAL_TZ, now_utc

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
    "--disable-component-update", "--no-first-run", "--disable-sync",
]
PHONE = {"width": 390, "height": 844}
SHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "e2e"


@pytest.fixture
def live_server(app):
    """Serve ``app`` on a free loopback port for the length of one test."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.fail("Debian's chromium is needed for the browser tests: run `make browser`")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def phone(browser, live_server):
    """Open a new phone-sized browser, in Chinese, and return a function that opens more."""
    contexts = []

    def open_phone(lang: str = "zh"):
        context = browser.new_context(viewport=PHONE, locale="zh-CN" if lang == "zh" else "en-US")
        context.add_cookies([{"name": "lang", "value": lang, "url": live_server}])
        context.set_default_timeout(10_000)
        contexts.append(context)
        return context.new_page()

    yield open_phone
    for context in contexts:
        context.close()


@pytest.fixture
def shot(request):
    """Save a full-page screenshot named after the test and a step."""
    SHOTS.mkdir(parents=True, exist_ok=True)

    def take(page, step: str) -> None:
        page.screenshot(path=str(SHOTS / f"{request.node.name}-{step}.png"), full_page=True)

    return take


# --- the demo community, for tests that look at the site as its people do ------------

# The demo people, by the mobile number they log in with (see README.md).
PEOPLE = {
    "resident": "13900000001",   # 张桂芳: bookings, one on a full lecture
    "volunteer": "13900000003",  # 陈玉兰: the lecture team, shifts, points
    "parent": "13900000011",     # 冯晓梅: children and youth classes
    "leader": "13700000003",     # 韩秀梅: leads 吕剧团
    "organizer": "13800000001",  # 李秀兰: lectures and the lecture team
    "admin": "13800000000",      # 王建国
    "building_leader": "13600000001",  # 周淑华: a building leader with neighbours without a phone
}

def demo_places() -> dict[str, object]:
    """Ids and slugs of demo records the page paths name."""

    def first(query):
        return db.session.execute(query.limit(1)).scalar_one()

    def program_events(slug: str):
        return sa.select(Event).join(Program).where(Program.slug == slug).order_by(Event.starts_at)

    lectures = db.session.execute(program_events("wenshi-jiangtang")).scalars().all()
    today = next(e for e in lectures if e.title.startswith("今日加场"))
    resident = db.session.execute(sa.select(User).where(User.phone == PEOPLE["resident"])).scalar_one()
    return {
        "lecture": lectures[-1].id,
        "full_lecture": next(e.id for e in lectures if e.seats.is_full and e.starts_at > today.starts_at),
        "today": today.id,
        "talk": first(program_events("pugongying").where(Event.starts_at > today.starts_at)).id,
        "troupe": "lvju",
        "performance": _performance(),
        "youth": "shaoer-songdu",
        "youth_class": first(program_events("shaoer-songdu").where(Event.starts_at > today.starts_at)).id,
        "resident_booking": first(
            sa.select(Booking.id).where(
                Booking.user_id == resident.id, Booking.status == BookingStatus.CONFIRMED,
                Booking.event_id.in_([e.id for e in lectures if e.starts_at > today.starts_at]),
            ).order_by(Booking.id)
        ),
    }


def _performance() -> int:
    """A troupe performance with seats, the soonest."""
    return db.session.execute(
        sa.select(Event.id).join(Program).join(Event.seats)
        .where(Program.kind == ProgramKind.TROUPE, Quota.capacity > 0)
        .order_by(Event.starts_at).limit(1)
    ).scalar_one()


def log_in_as(page, base: str, who: str) -> None:
    """Log in as one of the demo ``PEOPLE``."""
    page.goto(base + "/auth/login")
    page.locator("#phone").fill(PEOPLE[who])
    page.locator("#password").fill(demo.DEMO_PASSWORD)
    page.locator("main button[type=submit]").click()
    expect(page.locator(".alert-success, .alert-info").first).to_be_visible()


@pytest.fixture
def demo_site(app, time_machine):
    """The demo community, made on a mid-month Wednesday morning."""
    time_machine.move_to(datetime(2026, 11, 18, 8, 0, tzinfo=LOCAL_TZ), tick=True)
    logins = dict(demo.seed())
    db.session.commit()
    # Someone came late to today's lecture, so the roster shows a pressed 迟到 button.
    today = db.session.execute(sa.select(Event).where(Event.title.startswith("今日加场"))).scalar_one()
    late = db.session.execute(
        sa.select(Booking).where(Booking.event_id == today.id, Booking.status == BookingStatus.CONFIRMED)
        .order_by(Booking.id.desc()).limit(1)
    ).scalar_one()
    attendance.mark_booking(today, late.id, AttendanceStatus.LATE, actor=logins["organizer"],
                            now=now_utc())
    db.session.commit()
    places = demo_places()
    db.session.remove()
    return places
