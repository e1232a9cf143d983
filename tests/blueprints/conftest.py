"""Helpers for the blueprint tests: arranging bookings and reading what a page shows."""
from __future__ import annotations

import html
import re

from models import Booking, db
from services.booking import book_seat


def seat(event, person, now, *, waitlist: bool = False) -> Booking:
    """Book through the service (arranging a test, not acting in it) and commit."""
    booking = book_seat(event, person, now=now, waitlist=waitlist)
    db.session.commit()
    return booking


def page(response) -> str:
    """The page's HTML with entities decoded, to assert on the text people read."""
    return html.unescape(response.get_data(as_text=True))


def field_errors(response, field_id: str) -> list[str]:
    """The error messages shown beside the form field ``field_id``."""
    return re.findall(rf'id="{re.escape(field_id)}-error">([^<]*)</div>', page(response))


def alerts(response) -> list[str]:
    """The flashed messages shown at the top of the page (an undo offer's too)."""
    return [m.strip() for m in re.findall(
        r'<div class="alert alert-\w+ mt-3(?: undo-offer)?"[^>]*>\s*(?:<p class="mb-2">)?([^<]*)</', page(response)
    )]


def visible_text(response) -> str:
    """The page's text without tags, whitespace collapsed: what a reader sees in a row."""
    return " ".join(re.sub(r"<[^>]+>", " ", page(response)).split())
