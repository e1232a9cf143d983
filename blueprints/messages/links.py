"""Where each message leads: the page of what it is about."""
from __future__ import annotations

from models import Notification, NotificationKind, ProgramKind

from ..common import event_page

# A program's own page, by kind: (endpoint, whether it takes the program's slug).
PROGRAM_PAGES: dict[ProgramKind, tuple[str, bool]] = {
    ProgramKind.LECTURE_SERIES: ("lectures.index", False),
    ProgramKind.LECTURE_TEAM: ("lecture_team.index", False),
    ProgramKind.TROUPE: ("troupes.detail", True),
    ProgramKind.YOUTH: ("youth.program", True),
}
# Messages about the person's own bookings rather than one event or program.
ACCOUNT_PAGES = {
    NotificationKind.BOOKING_PAUSED: "account.bookings",
    NotificationKind.PAUSE_LIFTED: "account.bookings",
}


def message_target(notification: Notification) -> tuple[str, dict] | None:
    """The endpoint and values of the page the message is about, or None (its event or
    program loaded: a list of messages loads them in the same query)."""
    if notification.event is not None:
        return event_page(notification.event)
    if notification.program is not None:
        endpoint, by_slug = PROGRAM_PAGES.get(notification.program.kind, ("main.index", False))
        return endpoint, ({"slug": notification.program.slug} if by_slug else {})
    endpoint = ACCOUNT_PAGES.get(notification.kind)
    return (endpoint, {}) if endpoint else None
