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


class BookingPaused(BookingError):
    """Too many no-shows: the person can't book until the pause ends."""

    message = _l(
        "You didn't come to %(count)s booked events in %(days)s days without cancelling, "
        "so you can't book until %(until)s. If that isn't right, please speak to the organizers."
    )


class AttendanceError(LinliError):
    """A check-in or attendance change the rules refuse."""


class CheckInNotOpen(AttendanceError):
    message = _l("Check-in opens at %(when)s, half an hour before the start.")


class CheckInClosed(AttendanceError):
    message = _l("The event is over, so check-in has closed. Please speak to the organizers.")


class CheckInCancelled(AttendanceError):
    message = _l("This event has been cancelled, so there is no check-in.")


class CheckInCodeInvalid(AttendanceError):
    message = _l("This check-in code isn't valid. Please scan the code on the organizers' screen.")


class CheckInCodeExpired(AttendanceError):
    message = _l("This check-in code has expired (the code changes every 30 seconds). Please scan the code on the screen again.")


class NoBookingToCheckIn(AttendanceError):
    message = _l("You have no confirmed booking for this event, so you can't check yourself in. Please see the organizers at the door.")


class TicketNotFound(AttendanceError):
    message = _l("No booking for this event has the ticket number %(code)s.")


class TicketNotConfirmed(AttendanceError):
    message = _l("Ticket %(code)s (%(name)s) is not a confirmed seat: it is on the waiting list or cancelled.")


class NotOnRoster(AttendanceError):
    message = _l("This person isn't on the list for this event.")


class NotAnAbsence(AttendanceError):
    message = _l("Only an absence can be excused.")
