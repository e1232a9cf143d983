"""Pages fit a 390 px phone in both languages: the whole navigation in sight, long pages
kept short, large text that scales everything, confirmations before anything final."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from models import db
from services.booking import book_seat
from services.dates import now_utc
from tests.conftest import PASSWORD, make_event, make_user
from tests.e2e.conftest import PHONE, log_in_as

pytestmark = pytest.mark.e2e

SCREEN = PHONE["height"]


def links_out_of_sight(page, selector: str) -> list[str]:
    """The links (and buttons) matching ``selector`` whose box or words are not wholly on
    the screen, whose words spill out of their box, or that overlap each other."""
    return page.eval_on_selector_all(selector, """(items) => {
        const words = (item) => { const r = document.createRange(); r.selectNodeContents(item); return r.getBoundingClientRect(); };
        const boxes = items.map((item) => item.getBoundingClientRect());
        return items.filter((item, i) => {
            const box = boxes[i], text = words(item);
            const off = box.width === 0 || box.left < 0 || box.right > window.innerWidth
                || text.left < box.left - 1 || text.right > box.right + 1;
            const overlaps = boxes.some((other, j) => j !== i && other.left < box.right - 1 && box.left < other.right - 1
                && other.top < box.bottom - 1 && box.top < other.bottom - 1);
            return off || overlaps;
        }).map((item) => item.textContent.trim());
    }""")


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("large_text", [False, True])
def test_every_top_level_area_is_in_sight_at_390_px(demo_site, live_server, phone, shot, lang, large_text):
    page = phone(lang)
    log_in_as(page, live_server, "admin")  # the longest personal row: every link an admin has
    if large_text:
        page.get_by_role("button", name="大字" if lang == "zh" else "Large text").click()
        expect(page.locator("html")).to_have_class("large-text")

    for path in ["/", "/lectures/", "/account/bookings"]:
        page.goto(live_server + path)
        areas = page.locator(".site-nav .areas a")
        expect(areas).to_have_count(4)
        assert links_out_of_sight(page, ".site-nav a, .site-nav button") == []
        assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    shot(page, f"nav-{lang}{'-large' if large_text else ''}")


def test_large_text_is_remembered_and_scales_the_page(live_server, phone):
    page = phone("zh")
    page.goto(live_server + "/lectures/")
    normal = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    switch = page.get_by_role("button", name="大字")
    expect(switch).to_have_attribute("aria-pressed", "false")
    switch.click()
    expect(page).to_have_url(live_server + "/lectures/")
    page.goto(live_server + "/")  # another page: the cookie remembers
    expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "true")
    large = page.evaluate("parseFloat(getComputedStyle(document.body).fontSize)")
    assert large >= normal * 1.2
    page.get_by_role("button", name="大字").click()
    expect(page.get_by_role("button", name="大字")).to_have_attribute("aria-pressed", "false")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_demo_organizers_attendance_page_is_under_three_screens(demo_site, live_server, phone, shot, lang):
    page = phone(lang)
    log_in_as(page, live_server, "organizer")
    page.goto(live_server + "/attendance/")
    # Exports and the filter come first; today's lecture is there to open.
    expect(page.locator("#exports")).to_be_visible()
    assert page.locator("#exports").bounding_box()["y"] < SCREEN
    expect(page.get_by_role("link", name="今日加场：《论语》里的邻里之道").first).to_be_visible()
    height = page.evaluate("document.documentElement.scrollHeight")
    shot(page, f"attendance-{lang}")
    assert height < 3 * SCREEN, f"{height} px"

    # One program from a chosen day: only its events.
    page.get_by_label("项目" if lang == "zh" else "Program").select_option("lvju")
    page.get_by_role("button", name="查看" if lang == "zh" else "Show").click()
    expect(page.locator("main h2").first).to_contain_text("吕剧")
    assert page.get_by_text("今日加场").count() == 0


@pytest.mark.parametrize("who", ["resident", "organizer"])
def test_the_home_page_and_my_bookings_stay_short(demo_site, live_server, phone, who):
    page = phone("en")
    log_in_as(page, live_server, who)
    page.goto(live_server + "/")
    assert page.evaluate("document.documentElement.scrollHeight") < 4 * SCREEN
    if who == "resident":  # coming first; the past folded away
        page.goto(live_server + "/account/bookings")
        expect(page.locator("#past")).to_be_visible()
        assert page.locator("#past").get_attribute("open") is None
        assert page.locator("article.event-card").first.bounding_box()["y"] < page.locator("#past").bounding_box()["y"]


def test_a_seat_on_a_full_lecture_is_cancelled_only_after_asking_and_can_be_undone(live_server, phone, shot):
    event = make_event(capacity=2, title="稷下学宫与百家争鸣")
    resident = make_user("张桂芳")
    neighbour = make_user("刘建华")
    book_seat(event, resident, now=now_utc())
    book_seat(event, neighbour, now=now_utc())  # full, and nobody waiting
    db.session.commit()

    page = phone("zh")
    page.goto(live_server + "/auth/login")
    page.get_by_label("手机号").fill(resident.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(live_server + f"/lectures/{event.id}")
    expect(page.get_by_text("剩余名额")).to_have_count(0)
    ticket = page.locator(".ticket").inner_text()

    # The tap asks first, saying what will happen; "no" keeps the seat.
    page.get_by_role("link", name="取消预约").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("您的座位会空出来，其他人可以预约。")
    expect(dialog).to_contain_text("10 分钟内可以撤销")
    shot(page, "1-asked")
    dialog.get_by_role("link", name="不，保留预约").click()
    expect(dialog).to_have_count(0)
    expect(page.locator(".ticket")).to_have_text(ticket)

    page.get_by_role("link", name="取消预约").click()
    page.get_by_role("dialog").get_by_role("button", name="确定取消预约").click()
    expect(page.locator(".undo-offer")).to_contain_text("已取消预约")
    shot(page, "2-cancelled")

    # Nobody has taken the seat: undo gives it back, with the same ticket.
    page.get_by_role("button", name="撤销：保留我的座位").click()
    expect(page.locator(".alert-success")).to_contain_text("座位已为您保留")
    expect(page.locator(".ticket")).to_have_text(ticket)
    shot(page, "3-undone")

    # Without JavaScript the same question is a page of its own.
    quiet = page.context.browser.new_context(viewport=PHONE, java_script_enabled=False)
    try:
        nojs = quiet.new_page()
        quiet.add_cookies(page.context.cookies())
        nojs.goto(live_server + f"/lectures/{event.id}")
        nojs.get_by_role("link", name="取消预约").click()
        expect(nojs.get_by_role("heading", name="取消您的座位？")).to_be_visible()
        nojs.get_by_role("button", name="确定取消预约").click()
        expect(nojs.locator(".undo-offer")).to_be_visible()
    finally:
        quiet.close()


def test_undo_is_refused_once_someone_else_took_the_seat(live_server, phone):
    event = make_event(capacity=1, title="管仲与齐国")
    resident = make_user("张桂芳")
    book_seat(event, resident, now=now_utc())
    db.session.commit()

    page = phone("zh")
    page.goto(live_server + "/auth/login")
    page.get_by_label("手机号").fill(resident.phone)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(live_server + f"/lectures/{event.id}")
    page.get_by_role("link", name="取消预约").click()
    page.get_by_role("dialog").get_by_role("button", name="确定取消预约").click()
    expect(page.locator(".undo-offer")).to_be_visible()

    book_seat(event, make_user("刘建华"), now=now_utc())  # meanwhile, on another phone
    db.session.commit()
    page.get_by_role("button", name="撤销：保留我的座位").click()
    expect(page.locator(".alert-danger")).to_contain_text("座位已经被别人订走")
