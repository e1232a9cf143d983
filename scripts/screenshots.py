"""Take phone-sized screenshots of the main pages of a running Linli (for looking, not testing).

Usage: .venv/bin/python scripts/screenshots.py [base_url] [out_dir]
Logs in with the demo accounts printed by ``flask --app app seed-demo``.
"""
from __future__ import annotations

import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--no-first-run", "--disable-sync"]
PASSWORD = "linli-demo-2026"


def shoot(base: str, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        for lang in ("zh", "en"):
            context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            context.add_cookies([{"name": "lang", "value": lang, "url": base}])
            page = context.new_page()
            for name, path in [("home", "/"), ("lectures", "/lectures/"), ("lecture", "/lectures/2"),
                               ("troupes", "/troupes/"), ("troupe", "/troupes/lvju"), ("youth", "/youth/"),
                               ("youth-program", "/youth/shaoer-songdu"),
                               ("login", "/auth/login"), ("register", "/auth/register"), ("404", "/nope")]:
                page.goto(base + path)
                page.screenshot(path=str(out / f"{lang}-{name}.png"), full_page=True)
            page.goto(base + "/auth/register")
            page.click("button[type=submit]")
            page.screenshot(path=str(out / f"{lang}-register-errors.png"), full_page=True)
            page.goto(base + "/auth/login")
            page.fill("#phone", "13800000001")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            for name, path in [("bookings", "/account/bookings"), ("manage", "/lectures/manage"),
                               ("term", "/lectures/programs/wenshi-jiangtang/term"), ("edit", "/lectures/2/edit"),
                               ("term-copy", "/lectures/programs/wenshi-jiangtang/term?copy=1"),
                               ("troupe-rehearsals-new", "/troupes/lvju/rehearsals/new"),
                               ("who", "/lectures/2/bookings"), ("detail-organizer", "/lectures/2"),
                               ("my-calendar", "/account/calendar"),
                               ("team-manage", "/lecture-team/manage"), ("team-applications", "/lecture-team/applications"),
                               ("team-members", "/lecture-team/members"), ("team-new-talk", "/lecture-team/talks/new"),
                               ("troupe-manage", "/troupes/lvju/manage"), ("youth-manage", "/youth/jiating-jiaoyu/manage"),
                               # event 19 is the demo's lecture starting just after seeding
                               ("attendance", "/attendance/"), ("roster", "/attendance/19/"),
                               ("checkin-screen", "/attendance/19/screen"), ("dashboard", "/attendance/dashboard"),
                               ("export", "/attendance/programs/wenshi-jiangtang/export")]:
                page.goto(base + path)
                page.screenshot(path=str(out / f"{lang}-{name}.png"), full_page=True)
            context.close()
            # The demo volunteer (陈玉兰): openings, a talk, my service, the honour board.
            context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            context.add_cookies([{"name": "lang", "value": lang, "url": base}])
            page = context.new_page()
            page.goto(base + "/auth/login")
            page.fill("#phone", "13900000003")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            page.goto(base + "/lecture-team/")
            page.screenshot(path=str(out / f"{lang}-team-openings.png"), full_page=True)
            page.locator("article h3 a").first.click()
            page.screenshot(path=str(out / f"{lang}-team-talk.png"), full_page=True)
            for name, path in [("team-me", "/lecture-team/me"), ("team-honour-board", "/lecture-team/honour-board")]:
                page.goto(base + path)
                page.screenshot(path=str(out / f"{lang}-{name}.png"), full_page=True)
            context.close()
            # The demo administrator (王建国): the admin pages, a person, the audit trail.
            context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
            context.add_cookies([{"name": "lang", "value": lang, "url": base}])
            page = context.new_page()
            page.goto(base + "/auth/login")
            page.fill("#phone", "13800000000")
            page.fill("#password", PASSWORD)
            page.click("button[type=submit]")
            for name, path in [("admin", "/admin/"), ("admin-programs", "/admin/programs"),
                               ("admin-program", "/admin/programs/1"), ("admin-series", "/admin/programs/1/series"),
                               ("admin-venues", "/admin/venues"), ("admin-people", "/admin/users"),
                               ("admin-person", "/admin/users/2"), ("admin-audit", "/admin/audit"),
                               ("reset-code", "/auth/reset-code"), ("my-details", "/account/profile")]:
                page.goto(base + path)
                page.screenshot(path=str(out / f"{lang}-{name}.png"), full_page=True)
            context.close()
            # The demo building leader (周淑华), then the administrator's grid pages.
            for phone, pages in (
                ("13600000001", [("buildings", "/buildings/"), ("buildings-sheet", "/buildings/sheet"),
                                 ("buildings-new", "/buildings/residents/new"), ("points", "/points/"),
                                 ("account-home", "/account/home")]),
                ("13800000000", [("admin-grids", "/admin/grids"), ("admin-grid", "/admin/grids/1"),
                                 ("admin-offline", "/admin/offline-residents"), ("admin-rewards", "/admin/rewards"),
                                 ("admin-honours", "/admin/honours"), ("reach", "/attendance/reach"),
                                 ("reward-requests", "/points/requests"), ("credit", "/points/credit?q=王"),
                                 ("honour-board", "/lecture-team/honour-board")]),
            ):
                context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=1)
                context.add_cookies([{"name": "lang", "value": lang, "url": base}])
                page = context.new_page()
                page.goto(base + "/auth/login")
                page.fill("#phone", phone)
                page.fill("#password", PASSWORD)
                page.click("button[type=submit]")
                for name, path in pages:
                    page.goto(base + path)
                    page.screenshot(path=str(out / f"{lang}-{name}.png"), full_page=True)
                if phone == "13600000001":
                    page.goto(base + "/buildings/")
                    page.locator(".resident-card", has_text="王桂英").get_by_role("link").first.click()
                    page.screenshot(path=str(out / f"{lang}-buildings-resident.png"), full_page=True)
                context.close()
        browser.close()


if __name__ == "__main__":
    shoot(sys.argv[1] if len(sys.argv) > 1 else "http://127.0.0.1:5000",
          Path(sys.argv[2] if len(sys.argv) > 2 else "artifacts/screens"))
