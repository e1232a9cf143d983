"""Self check-in by QR code: rotating signed codes, and QR pictures as inline SVG.

The organizers' check-in screen shows a QR code of a URL carrying a *check-in code*: the
event's id and the current 30-second time slot, signed with the site's secret key
(itsdangerous). A code is accepted in its own slot and the next one, so it lives 30 to
60 seconds: a photo of the screen sent to a friend at home is soon useless, and a code
can't be made up or changed without the key.

A resident who scans a fresh code may still need to log in, which takes longer than a
minute. The view therefore remembers, in the resident's own (signed) session cookie,
that this browser scanned a fresh code of the event, and accepts that scan for
``SCAN_GRACE``. The grace travels with the browser, not with the link, so a forwarded
link is as short-lived as the code in it.
"""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

import segno
from itsdangerous import BadSignature, URLSafeSerializer

from .errors import CheckInCodeExpired, CheckInCodeInvalid

SLOT_SECONDS = 30
SCAN_GRACE = timedelta(minutes=10)
_SALT = "linli.attendance.checkin"


def time_slot(now: datetime) -> int:
    """The number of the 30-second slot that ``now`` falls in."""
    return int(now.timestamp()) // SLOT_SECONDS


def seconds_to_next_slot(now: datetime) -> int:
    """Whole seconds until the code changes (at least 1)."""
    return max(1, SLOT_SECONDS - int(now.timestamp()) % SLOT_SECONDS)


def _serializer(secret: str) -> URLSafeSerializer:
    return URLSafeSerializer(secret, salt=_SALT)


def checkin_code(event_id: int, *, now: datetime, secret: str) -> str:
    """The check-in code of ``event_id`` for the time slot of ``now``."""
    return _serializer(secret).dumps([event_id, time_slot(now)])


@dataclass(frozen=True)
class Scan:
    """A check-in code that was accepted: its event, and when this browser scanned it
    while it was fresh."""

    event_id: int
    scanned_at: datetime


def read_checkin_code(
    code: str, *, now: datetime, secret: str, recent_scans: Mapping[int, datetime] | None = None,
) -> Scan:
    """Check a scanned check-in code and tell which event it is for.

    A code from the current or the previous slot is fresh. An older one is still taken
    when ``recent_scans`` (what this browser scanned, by event id) shows a fresh scan of
    the same event within ``SCAN_GRACE``.

    :raises CheckInCodeInvalid: when the code is malformed or not signed by us.
    :raises CheckInCodeExpired: when the code is too old and there was no recent scan.
    """
    try:
        payload = _serializer(secret).loads(code)
    except BadSignature as error:
        raise CheckInCodeInvalid() from error
    if (
        not isinstance(payload, list) or len(payload) != 2
        or not all(type(part) is int for part in payload)
    ):
        raise CheckInCodeInvalid()
    event_id, slot = payload
    age = time_slot(now) - slot
    if age < 0:  # from the future: not made by this clock
        raise CheckInCodeInvalid()
    if age <= 1:
        return Scan(event_id=event_id, scanned_at=now)
    scanned_at = (recent_scans or {}).get(event_id)
    if scanned_at is not None and now - SCAN_GRACE <= scanned_at <= now:
        return Scan(event_id=event_id, scanned_at=scanned_at)
    raise CheckInCodeExpired()


def qr_svg(text: str, *, title: str = "", scale: int = 4) -> str:
    """An inline SVG picture of a QR code of ``text`` that scales with its container."""
    qr = segno.make(text, error="m", micro=False)
    return qr.svg_inline(
        scale=scale, border=4, dark="#000", light="#fff", omitsize=True, title=title or None,
        svgclass="qr-code",
    )
