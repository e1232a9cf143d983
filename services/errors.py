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


class UndoExpired(BookingError):
    message = _l("This cancellation can no longer be undone. If seats are free, please book again.")


class SeatTaken(BookingError):
    message = _l("Sorry, the seat has gone to someone else meanwhile, so the cancellation can't be undone.")


class CapacityBelowTaken(BookingError):
    message = _l("%(taken)s seats are already booked, so the number of seats can't be lower than %(taken)s.")


class TermError(LinliError):
    """A lecture term that can't be created as described."""


class AccountError(LinliError):
    """A registration or account change the rules refuse."""


class TooManyLoginAttempts(AccountError):
    message = _l("Too many wrong passwords for this number. Please try again after %(when)s.")


class PhoneTaken(AccountError):
    message = _l("This mobile number is already registered. Please log in instead.")


class ShiftError(LinliError):
    """A volunteer shift the rules refuse."""


class RoleFull(EventFull):
    message = _l("All slots in this role are taken. You can join its waiting list instead.")


class RoleClosed(ShiftError):
    message = _l("This role takes no volunteers at the moment.")


class NotAMember(ShiftError):
    message = _l("Only active members of %(program)s can take this shift. You can apply to join.")


class NotAVolunteer(ShiftError):
    message = _l("Only volunteers can take this shift. Members of the lecture team are volunteers.")


class ShiftOverlap(ShiftError):
    message = _l("You already have a shift at that time: %(title)s, %(when)s.")


class ShiftsOverlapAfterMove(ShiftError):
    message = _l("%(names)s already hold another shift at the new time, so the time can't be changed. Release them from one of the two shifts first.")


class WithdrawalClosed(ShiftError):
    message = _l("Withdrawing closed on %(when)s. Please ask an organizer to release you.")


class ReleaseTooLate(ShiftError):
    message = _l("The event has begun, so the shift can't be released any more. Record it as a no-show instead.")


class RoleNameTaken(ShiftError):
    message = _l("This event already has a role called %(name)s.")


class RoleInUse(ShiftError):
    message = _l("People have signed up for this role, so it can't be removed. Set its slots to 0 instead.")


class SlotsBelowTaken(ShiftError):
    message = _l("%(taken)s people hold this role, so it can't have fewer than %(taken)s slots.")


class TalkError(LinliError):
    """A talk that can't be created or changed as described."""


class MembershipError(LinliError):
    """A membership change the rules refuse."""


class AlreadyMember(MembershipError):
    message = _l("You are already a member of %(program)s.")


class NotMember(MembershipError):
    message = _l("You are not a member of %(program)s.")


class AlreadyDecided(MembershipError):
    message = _l("This application has already been decided.")


class StillHoldsShifts(MembershipError):
    message = _l("You still hold %(count)s coming shifts. Please withdraw from them first, or ask an organizer to release you.")


class PointsError(LinliError):
    """A change to the service record the rules refuse."""


class NotEnoughPoints(PointsError):
    message = _l("Only %(balance)s points are left, so %(points)s points can't be redeemed.")


class BalanceBelowZero(PointsError):
    message = _l("This would take the points of %(name)s below zero (the balance is %(balance)s). Record a smaller change, or none.")


class HoursBelowZero(PointsError):
    message = _l("This would take the service hours of %(name)s below zero (the total is %(hours)s hours).")


class OutcomeTooEarly(PointsError):
    message = _l("Who served can be recorded once the event has begun.")


class NotAShift(PointsError):
    message = _l("Only a confirmed shift can be recorded as served or as a no-show.")


class ReasonRequired(PointsError):
    message = _l("Please give a reason.")


class NothingToChange(PointsError):
    message = _l("Please enter the hours or points to add or take away.")


class ScheduleError(LinliError):
    """A weekly schedule (rehearsals, a term of classes) that can't be laid out as described."""


class NotBookable(BookingError):
    message = _l("Rehearsals are for the troupe's members; there are no seats to book.")


class TroupeError(LinliError):
    """A membership change or troupe setting the rules refuse."""


class ApplicationDecided(TroupeError):
    message = _l("This application has already been decided.")


class NotATroupeMember(TroupeError):
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
