"""Business failures, each carrying a message a resident understands.

Messages are lazy translations, rendered in the reader's language when the view shows
them; datetimes among the parameters are formatted in local time at that moment.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from .dates import format_when


class LinliError(Exception):
    """A request that the rules refuse; ``str(error)`` is the message to show."""

    message = _l("That can't be done right now.")

    def __init__(self, message=None, **params):
        super().__init__(message or self.message)
        if message is not None:
            self.message = message
        self.params = params

    def __str__(self) -> str:
        text = str(self.message)
        if not self.params:
            return text
        values = {
            key: format_when(value) if isinstance(value, datetime) else value
            for key, value in self.params.items()
        }
        return text % values


class BookingError(LinliError):
    """A booking the rules refuse."""


class EventFull(BookingError):
    message = _l("All seats are taken. You can join the waiting list instead.")


class EventCancelled(BookingError):
    message = _l("This event has been cancelled.")


class EventStarted(BookingError):
    message = _l("This event has already started or is over.")


class BookingNotOpen(BookingError):
    message = _l("Booking opens on %(when)s.")


class BookingClosed(BookingError):
    message = _l("Booking closed on %(when)s.")


class CancellationClosed(BookingError):
    message = _l("The event has already started, so the booking can no longer be cancelled.")


class CapacityBelowTaken(BookingError):
    message = _l("%(taken)s seats are already booked, so the number of seats can't be lower than %(taken)s.")


class TermError(LinliError):
    """A lecture term that can't be created as described."""


class AccountError(LinliError):
    """A registration or account change the rules refuse."""


class PhoneTaken(AccountError):
    message = _l("This mobile number is already registered. Please log in instead.")


class ScheduleError(LinliError):
    """A weekly schedule (rehearsals, a term of classes) that can't be laid out as described."""


class NotBookable(BookingError):
    message = _l("Rehearsals are for the troupe's members; there are no seats to book.")


class TroupeError(LinliError):
    """A membership change or troupe setting the rules refuse."""


class ApplicationDecided(TroupeError):
    message = _l("This application has already been decided.")


class NotAMember(TroupeError):
    message = _l("You are not a member of this troupe.")


class MemberLimitBelowMembers(TroupeError):
    message = _l("The troupe already has %(count)s members, so the limit can't be lower than %(count)s.")


class LeaderNotFound(TroupeError):
    message = _l("Nobody is registered with this mobile number. The leader needs an account first.")


class YouthError(BookingError):
    """A booking for a child, or a change to a child, the rules refuse."""


class ChildNotFound(YouthError):
    message = _l("This child is not in your account.")


class ChildTooYoung(YouthError):
    message = _l("%(program)s is for ages %(min)s–%(max)s, and %(child)s will only be %(age)s at the class on %(when)s.")


class ChildTooOld(YouthError):
    message = _l("%(program)s is for ages %(min)s–%(max)s, and %(child)s will already be %(age)s at the class on %(when)s.")


class TermClassFull(YouthError):
    message = _l("The class on %(when)s is full, so nothing was booked. You can still book the other classes one by one.")


class TermClassWaiting(YouthError):
    message = _l("%(child)s is on the waiting list for the class on %(when)s, so the whole term can't be booked at once. Nothing was booked.")


class TermClassRefused(YouthError):
    message = _l("The class on %(when)s can't be booked (%(reason)s), so nothing was booked.")


class TermOver(YouthError):
    message = _l("No class of this term can be booked any more.")
