"""The words of each kind of message, written when the message is read or sent.

A :class:`~models.Notification` stores a kind and the values of the moment (a title, a
time, a reason); :func:`render` writes its title and text in the language of the moment
— the reader's on the site, the person's chosen language in an email (the caller wraps
it in ``flask_babel.force_locale``). Values whose key ends in ``_at`` are timestamps and
are shown in local time in that language.
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import lazy_gettext as _l

from models import Notification, NotificationKind
from models.event import event_title
from models.shift import role_title

from .dates import format_when

K = NotificationKind


@dataclass(frozen=True)
class Text:
    """A message as a person reads it."""

    title: str
    body: str


# (title, text) per kind; variants chosen by which values are present live in _VARIANTS.
_TEXTS = {
    K.SEAT_CONFIRMED: (
        _l("You have a seat: %(title)s"),
        _l("A seat came free and it is now yours: %(title)s, %(starts_at)s. Your ticket number is %(ticket)s. If you can't come, please cancel so that the next person gets the seat."),
    ),
    K.CHILD_PLACE_CONFIRMED: (
        _l("%(child)s has a place: %(title)s"),
        _l("A place came free and it is now %(child)s’s: %(title)s, %(starts_at)s. If your child can't come, please cancel so that the next family gets the place."),
    ),
    K.ROLE_CONFIRMED: (
        _l("You are %(role)s at %(title)s"),
        _l("A slot came free: you now hold the role %(role)s at %(title)s, %(starts_at)s. If you can't come, please withdraw in time."),
    ),
    K.EVENT_CANCELLED: (
        _l("Cancelled: %(title)s"),
        _l("%(title)s, %(starts_at)s, is cancelled. Reason: %(reason)s"),
    ),
    K.EVENT_MOVED: (
        _l("Changed: %(title)s"),
        _l("%(title)s has changed. Now: %(starts_at)s, %(place)s. Before: %(was_starts_at)s, %(was_place)s."),
    ),
    K.SHIFT_RELEASED: (
        _l("Your shift is released: %(role)s at %(title)s"),
        _l("The organizers released you from the role %(role)s at %(title)s, %(starts_at)s. Reason: %(reason)s"),
    ),
    K.MEMBERSHIP_APPROVED: (
        _l("Welcome to %(program)s"),
        _l("Your application to join %(program)s was approved. Welcome!"),
    ),
    K.MEMBERSHIP_DECLINED: (
        _l("Your application to %(program)s"),
        _l("Your application to join %(program)s was declined. Reason: %(reason)s"),
    ),
    K.MEMBERSHIP_WAITLISTED: (
        _l("On the waiting list of %(program)s"),
        _l("Your application to %(program)s was accepted, but it is full for now: you are number %(position)s on its waiting list. When a place comes free you become a member by yourself, and we will tell you."),
    ),
    K.MEMBERSHIP_PROMOTED: (
        _l("You are now a member of %(program)s"),
        _l("A place came free in %(program)s and you moved up from the waiting list: you are now a member."),
    ),
    K.BOOKING_PAUSED: (
        _l("Booking paused until %(until_at)s"),
        _l("You missed %(count)s events within %(days)s days without cancelling, so you can't book seats until %(until_at)s. If you had a good reason, please talk to the organizers: they can excuse an absence."),
    ),
    K.PAUSE_LIFTED: (
        _l("You can book seats again"),
        _l("The pause on your bookings is lifted: you can book seats again."),
    ),
    K.PASSWORD_RESET: (
        _l("Your password was reset"),
        _l("A new password was set for your Linli account on %(at)s with a reset code from the community office or an organizer, and every other phone or computer was logged out. If this wasn't you, please contact the community office at once."),
    ),
    K.ACCOUNT_DEACTIVATED: (
        _l("Your account was deactivated"),
        _l("Your Linli account was deactivated on %(at)s, so you can no longer log in. If you think this is a mistake, please contact the community office."),
    ),
    K.ORGANIZER_MESSAGE: (
        _l("Message about %(title)s"),
        _l("%(body)s — %(sender)s, about %(title)s, %(starts_at)s"),
    ),
    K.REMINDER: (
        _l("Reminder: %(title)s, %(starts_at)s"),
        _l("You have a seat at %(title)s, %(starts_at)s, %(place)s. Your ticket number is %(ticket)s. If you can't come, please cancel so that someone else can."),
    ),
    K.WAITING_REMINDER: (
        _l("Still waiting: %(title)s"),
        _l("You are number %(position)s on the waiting list for %(title)s, %(starts_at)s. If a seat comes free it is yours by itself, and we will tell you."),
    ),
    K.BOOKED_FOR_YOU: (
        _l("%(by)s booked for you: %(title)s"),
        _l("%(by)s, your building leader, booked a seat for you: %(title)s, %(starts_at)s, %(place)s. Your ticket number is %(ticket)s. If you can't come, please cancel it under My bookings or tell them."),
    ),
    K.CANCELLED_FOR_YOU: (
        _l("%(by)s cancelled for you: %(title)s"),
        _l("%(by)s, your building leader, cancelled your booking for %(title)s, %(starts_at)s. If that is a mistake, please book again or ask them."),
    ),
}

# Texts for the same kind when a value is missing or another is present.
_VARIANTS = {
    (K.EVENT_CANCELLED, "no_reason"): _l("%(title)s, %(starts_at)s, is cancelled."),
    (K.SHIFT_RELEASED, "no_reason"): _l("The organizers released you from the role %(role)s at %(title)s, %(starts_at)s."),
    (K.MEMBERSHIP_DECLINED, "no_reason"): _l("Your application to join %(program)s was declined."),
    (K.REMINDER, "role"): _l("You hold the role %(role)s at %(title)s, %(starts_at)s, %(place)s. If you can't come, please tell the organizers at once."),
    (K.REMINDER, "child"): _l("%(child)s has a place at %(title)s, %(starts_at)s, %(place)s. If your child can't come, please cancel so that another family can take the place."),
    (K.WAITING_REMINDER, "role"): _l("You are number %(position)s on the waiting list for the role %(role)s at %(title)s, %(starts_at)s. If a slot comes free it is yours by itself, and we will tell you."),
    (K.BOOKED_FOR_YOU, "waiting"): _l("%(by)s, your building leader, put you on the waiting list for %(title)s, %(starts_at)s: you are number %(position)s. If a seat comes free it is yours by itself, and we will tell you."),
    (K.BOOKED_FOR_YOU, "child"): _l("%(by)s, your building leader, booked a place for %(child)s: %(title)s, %(starts_at)s, %(place)s. If your child can't come, please cancel it under My bookings or tell them."),
    (K.WAITING_REMINDER, "child"): _l("%(child)s is number %(position)s on the waiting list for %(title)s, %(starts_at)s. If a place comes free it is your child’s by itself, and we will tell you."),
}

PLACE_TO_BE_ANNOUNCED = _l("place to be announced")


def _variant(kind: NotificationKind, params: dict[str, Any]) -> str | None:
    if kind in (K.EVENT_CANCELLED, K.SHIFT_RELEASED, K.MEMBERSHIP_DECLINED) and not params.get("reason"):
        return "no_reason"
    if kind is K.BOOKED_FOR_YOU:
        if params.get("position"):
            return "waiting"
        if params.get("child"):
            return "child"
    if kind in (K.REMINDER, K.WAITING_REMINDER):
        if params.get("role"):
            return "role"
        if params.get("child"):
            return "child"
    return None


def _values(params: dict[str, Any]) -> dict[str, Any]:
    """The parameters as the text shows them: timestamps in local time, blanks filled."""
    values = {}
    for key, value in params.items():
        if key.endswith("_at") and isinstance(value, str):
            try:
                value = format_when(datetime.fromisoformat(value))
            except ValueError:
                pass
        values[key] = value
    for key in ("place", "was_place"):
        if key in values and not values[key]:
            values[key] = str(PLACE_TO_BE_ANNOUNCED)
    # Titles and role names as the reader reads them: "题目待定" for a lecture still to be
    # announced, a class as "寒假学期 · 第 3 课", 主讲 as "Speaker" (models.event, models.shift).
    if "title" in values:
        values["title"] = event_title(values["title"] or "", values.pop("class_number", None))
    if values.get("role"):
        values["role"] = role_title(values["role"])
    return values


class _Lenient(dict):
    """Parameters for %-formatting; a value missing from an old message shows as blank."""

    def __missing__(self, key):
        return ""


def render(notification: Notification) -> Text:
    """The message's title and text in the current language."""
    kind, params = notification.kind, notification.params or {}
    title, body = _TEXTS[kind]
    variant = _variant(kind, params)
    if variant is not None:
        body = _VARIANTS[(kind, variant)]
    values = _Lenient(_values(params))
    return Text(title=str(title) % values, body=str(body) % values)


def serialise(params: dict[str, Any]) -> dict[str, Any]:
    """Parameters as they are stored: datetimes as ISO strings, everything else as is."""
    return {
        key: value.isoformat() if isinstance(value, datetime) else value
        for key, value in params.items()
    }
