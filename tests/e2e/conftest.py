"""Browser fixtures: the app served on a loopback port, driven by Debian's Chromium.

Screenshots of each journey go to ``artifacts/e2e/`` (phone size, 390×844) for people
to look at; the tests assert on what the page says, not on pixels.
"""
from __future__ import annotations

import shutil
import threading
from pathlib import Path

import pytest
from playwright.sync_api import sync_playwright
from werkzeug.serving import make_server

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
