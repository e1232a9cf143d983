"""axe-core on every main page, for every kind of person, in Chinese and English.

To check a new page, add a ``(who, path)`` line to ``PAGES``: ``who`` is one of the demo
people in ``PEOPLE`` (or ``anonymous``), and a path may name demo records in braces
(``{lecture}``, ``{talk}`` … — see ``demo_places`` in conftest.py). The run fails on any serious or
critical finding and prints each one with the page it was found on.
"""
from __future__ import annotations

import pytest
from axe_playwright_python.sync_playwright import Axe

from tests.e2e.conftest import PEOPLE, log_in_as

pytestmark = pytest.mark.e2e

# Every main page and who looks at it. Add yours here.
PAGES: list[tuple[str, str]] = [
    ("anonymous", "/"),
    ("anonymous", "/lectures/"),
    ("anonymous", "/lectures/{lecture}"),
    ("anonymous", "/lecture-team/"),
    ("anonymous", "/lecture-team/honour-board"),
    ("anonymous", "/troupes/"),
    ("anonymous", "/troupes/{troupe}"),
    ("anonymous", "/troupes/events/{performance}"),
    ("anonymous", "/youth/"),
    ("anonymous", "/youth/{youth}"),
    ("anonymous", "/auth/login"),
    ("anonymous", "/auth/register"),
    ("anonymous", "/no-such-page"),
    ("resident", "/"),
    ("resident", "/account/bookings"),
    ("resident", "/account/bookings/{resident_booking}/cancel"),
    ("resident", "/account/calendar"),
    ("resident", "/lectures/{full_lecture}"),
    ("resident", "/troupes/mine"),
    ("volunteer", "/lecture-team/"),
    ("volunteer", "/lecture-team/events/{talk}"),
    ("volunteer", "/lecture-team/me"),
    ("volunteer", "/lecture-team/honour-board"),
    ("parent", "/youth/children"),
    ("parent", "/youth/{youth}"),
    ("parent", "/youth/classes/{youth_class}"),
    ("parent", "/account/bookings"),
    ("leader", "/troupes/{troupe}"),
    ("leader", "/troupes/{troupe}/manage"),
    ("organizer", "/lectures/manage"),
    ("organizer", "/lectures/{lecture}"),
    ("organizer", "/lectures/{full_lecture}/bookings"),
    ("organizer", "/lectures/{lecture}/edit"),
    ("organizer", "/lectures/programs/wenshi-jiangtang/term"),
    ("organizer", "/lecture-team/manage"),
    ("organizer", "/lecture-team/applications"),
    ("organizer", "/lecture-team/members"),
    ("organizer", "/lecture-team/talks/new"),
    ("organizer", "/lecture-team/events/{talk}/shifts"),
    ("organizer", "/lecture-team/events/{talk}/roles"),
    ("organizer", "/attendance/"),
    ("organizer", "/attendance/{today}/"),
    ("organizer", "/attendance/{today}/screen"),
    ("organizer", "/attendance/dashboard"),
    ("organizer", "/attendance/programs/wenshi-jiangtang/export"),
    ("organizer", "/youth/{youth}/manage"),
    ("organizer", "/youth/classes/{youth_class}/list"),
    ("admin", "/admin/users"),
    ("admin", "/troupes/{troupe}/manage"),
    # Messages, the account's own pages, points, forgetting a password.
    ("anonymous", "/auth/forgot"),
    ("resident", "/messages/"),
    ("resident", "/account/"),
    ("resident", "/account/profile"),
    ("resident", "/account/password"),
    ("resident", "/account/notifications"),
    ("resident", "/account/data"),
    ("resident", "/account/delete"),
    ("resident", "/account/home"),
    ("resident", "/points/"),
    ("organizer", "/messages/events/{lecture}/new"),
    ("organizer", "/audiences/events/{lecture}"),
    ("organizer", "/attendance/reach"),
    ("organizer", "/points/requests"),
    ("organizer", "/youth/classes/{youth_class}/edit"),
    ("leader", "/troupes/events/{performance}/edit"),
    ("leader", "/troupes/{troupe}/rehearsals/new"),
    # The building leader's pages.
    ("building_leader", "/buildings/"),
    ("building_leader", "/buildings/sheet"),
    ("building_leader", "/buildings/residents/new"),
    # Running the community.
    ("admin", "/admin/"),
    ("admin", "/admin/programs"),
    ("admin", "/admin/venues"),
    ("admin", "/admin/audit"),
    ("admin", "/admin/holidays"),
    ("admin", "/admin/notifications"),
    ("admin", "/admin/grids"),
    ("admin", "/admin/offline-residents"),
    ("admin", "/admin/rewards"),
    ("admin", "/admin/honours"),
    ("admin", "/auth/reset-code"),
]

SERIOUS = {"serious", "critical"}
# Findings that fail the run whatever axe rates them, and the rule axe leaves off by default
# that checks a control's name contains the words it shows (WCAG 2.5.3, label in name).
ALSO_FAIL = {"heading-order", "label-content-name-mismatch"}
AXE_OPTIONS = {"resultTypes": ["violations"], "rules": {"label-content-name-mismatch": {"enabled": True}}}


def serious_findings(axe: Axe, page) -> list[str]:
    """The serious and critical axe findings on the page, one line per element."""
    results = axe.run(page, options=AXE_OPTIONS)
    lines = []
    for violation in results.response["violations"]:
        if violation["impact"] in SERIOUS or violation["id"] in ALSO_FAIL:
            for node in violation["nodes"]:
                lines.append(f"{violation['id']} ({violation['impact']}): {' '.join(node['target'])} "
                             f"— {node['html'][:160]}")
    return lines


@pytest.mark.timeout(900)  # some fifty pages, each checked by axe: minutes on a busy machine
@pytest.mark.parametrize("lang", ["zh", "en"])
def test_every_main_page_has_no_serious_accessibility_finding(demo_site, live_server, phone, lang):
    axe = Axe()
    findings: list[str] = []
    visited = 0
    for who in ["anonymous", *PEOPLE]:
        page = phone(lang)
        if who != "anonymous":
            log_in_as(page, live_server, who)
        for person, path in PAGES:
            if person != who:
                continue
            url = live_server + path.format(**demo_site)
            response = page.goto(url)
            assert response is not None and response.status < 500, url
            findings += [f"{lang} {who} {path}: {line}" for line in serious_findings(axe, page)]
            visited += 1
        page.context.close()
    assert visited == len(PAGES)
    assert not findings, "\n".join(findings)
