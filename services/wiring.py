"""Plugging each program's rules into the shared extension points.

The calendar feeds, the rosters, the dashboard and the waiting lists each expose a hook
that another area fills: troupe rehearsals in personal feeds, troupe members on rehearsal
rosters, the lecture team's served shifts as the dashboard's volunteer hours, the message
telling people they moved up from a waiting list or that their building leader booked
for them. They are connected here,
in one place, by :func:`connect`, which ``app.create_app`` calls — so tests, the CLI and
the web server all run with the same wiring.
"""
from __future__ import annotations

from models import ProgramKind

from . import capacity, dashboard, feeds, households, notifications, points, roster, troupes
from .dates import now_utc
# Importing it connects it: every commit raises the versions of the feeds it changes.
from . import feed_cache  # noqa: F401


def connect() -> None:
    """Register every area's hooks; calling it again (one app per test) changes nothing."""
    if troupes.rehearsal_entries not in feeds.PERSONAL_SOURCES:
        feeds.PERSONAL_SOURCES.append(troupes.rehearsal_entries)
    roster.register_expected_source(ProgramKind.TROUPE, troupes.members_at_rehearsals)
    dashboard.register_volunteer_minutes(points.minutes_by_event)
    capacity.on_promotion(notifications.places_confirmed)
    households.register_listener(_tell_resident)


def _tell_resident(booking, leader, what: str) -> None:
    """A building leader booked or cancelled for a resident: it goes in their messages."""
    notifications.done_for_resident(booking, leader, what, now=now_utc())
