"""Business failures, each carrying a message a resident understands.

Messages are lazy translations, rendered in the reader's language when the view shows
them; datetimes among the parameters are formatted in local time at that moment.
"""
from __future__ import annotations

from datetime import datetime

from flask_babel import lazy_gettext as _l

from .dates import format_when


class ClockTime:
    """A parameter shown as the time of day only (e.g. the end of an event, ``11:00``)."""

    def __init__(self, moment: datetime):
        self.moment = moment

    def __str__(self) -> str:
        return format_when(self.moment, "time")


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


class EventError(LinliError):
    """An event that can't be created, changed or cancelled as described."""


class EventEndsBeforeStart(EventError):
    message = _l("The event must end after it starts.")


class EventInThePast(EventError):
    message = _l("An event can't be moved or added into the past.")


class EventAlreadyStarted(EventError):
    message = _l("This event has already begun, so its time can't be changed any more.")


class EventIsCancelled(EventError):
    message = _l("This event has been cancelled, so it can't be changed.")


class CancelReasonRequired(EventError):
    message = _l("Please give a reason.")


class VenueTaken(EventError):
    message = _l("%(venue)s is already in use then: %(title)s (%(program)s), %(when)s–%(until)s. Please choose another time or place.")


class VenueTakenOnDays(VenueTaken):
    message = _l("%(venue)s is already in use then: %(title)s (%(program)s), %(when)s–%(until)s, and on %(more)s more of the days. Please choose another time or place.")


class RoomSharingNotAllowed(EventError):
    message = _l("Only an administrator can let two events share a room.")


class HolidayError(LinliError):
    """A change to the office's closed days the rules refuse."""


class AccountError(LinliError):
    """A registration or account change the rules refuse."""


class WeakPassword(AccountError):
    """A new password the rules refuse."""


class CommonPassword(WeakPassword):
    message = _l("This password is one of the most common ones and easy to guess. Please choose another.")


class PasswordIsPhoneNumber(WeakPassword):
    message = _l("A password can't be your mobile number. Please choose another.")


class LastAdministrator(AccountError):
    message = _l("You are the only administrator. Make someone else an administrator before deleting your account.")


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
    message = _l("%(program)s is for ages %(min)s–%(max)s, and the child will only be %(age)s at the class on %(when)s.")


class ChildTooOld(YouthError):
    message = _l("%(program)s is for ages %(min)s–%(max)s, and the child will already be %(age)s at the class on %(when)s.")


class TermClassFull(YouthError):
    message = _l("The class on %(when)s is full, so nothing was booked. You can still book the other classes one by one.")


class TermClassWaiting(YouthError):
    message = _l("The child is on the waiting list for the class on %(when)s, so the whole term can't be booked at once. Nothing was booked.")


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


class MessageError(LinliError):
    """An organizer's message to the people of an event that can't be sent as written."""


class NoRecipients(MessageError):
    message = _l("Nobody is in the groups you chose, so the message was not sent.")


class MessageAlreadySent(MessageError):
    message = _l("You sent this message to %(count)s people at %(when)s already; it was not sent again.")


# --- running the community (admin pages) ---------------------------------------------


class ProgramError(LinliError):
    """A program, topic series or venue change the rules refuse."""


class SlugTaken(ProgramError):
    message = _l("Another program already uses the web address “%(slug)s”. Please choose another.")


class SlugReserved(ProgramError):
    message = _l("“%(slug)s” is a word the site uses in its own addresses. Please choose another.")


class ProgramHasComingEvents(ProgramError):
    message = _l("%(program)s still has %(count)s coming events (the first on %(when)s). Cancel them first, so nobody holds a seat at an event they can no longer see.")


class OnlyOneLectureTeam(ProgramError):
    message = _l("The site runs one volunteer lecture team, and %(program)s is it. Archive it first to start a new one.")


class SeriesNameTaken(ProgramError):
    message = _l("%(program)s already has a series called “%(name)s”.")


class VenueNameTaken(ProgramError):
    message = _l("There is already a venue called “%(name)s”.")


class PersonError(LinliError):
    """A change to a person's account the rules refuse."""


class PersonNotFound(PersonError):
    message = _l("Nobody is registered with this mobile number.")


class CannotRun(PersonError):
    message = _l("%(name)s can't run a program: the account is deactivated or was made at the door and has no password yet.")


class CannotDropOwnAdmin(PersonError):
    message = _l("You can't take the administrator role away from yourself.")


class CannotDeactivateSelf(PersonError):
    message = _l("You can't deactivate your own account.")


class NotAWalkIn(PersonError):
    message = _l("Only an account made at the door (one nobody has logged in to yet) can be merged into another.")


class MergeRefused(PersonError):
    message = _l("These two accounts can't be merged: %(reason)s")


class WrongPassword(AccountError):
    message = _l("Your current password is not right.")


class PhoneInUse(AccountError):
    message = _l("Someone else has already registered this mobile number.")


class PhoneHeldByWalkIn(AccountError):
    message = _l("This number belongs to an account the organizers made at the door. Please ask the community office to merge it into yours.")


class ResetCodeNotAllowed(AccountError):
    message = _l("Only the community office can give %(name)s a reset code. Organizers can give one to residents who booked, joined or applied to a program they run.")


class ResetCodeInvalid(AccountError):
    message = _l("The mobile number or the code is not right, or the code has been used, has expired or was tried too often. A code works once, for 24 hours; ask the community office or your program's organizer for a new one.")
class NeighbourhoodError(LinliError):
    """A change to grids, buildings, leaders or where people live the rules refuse."""


class GridNumberTaken(NeighbourhoodError):
    message = _l("There is already a grid numbered %(number)s.")


class BuildingNameTaken(NeighbourhoodError):
    message = _l("Grid %(grid)s already has a building called %(name)s.")


class GridNotEmpty(NeighbourhoodError):
    message = _l("This grid still has buildings. Move or remove them first.")


class BuildingInUse(NeighbourhoodError):
    message = _l("%(count)s people have this building as their home, so it can't be removed.")


class NumberNotFound(NeighbourhoodError):
    message = _l("Nobody is registered with the mobile number %(phone)s.")


class ImportRefused(NeighbourhoodError):
    message = _l("Nothing was imported: %(count)s lines need correcting first.")


class NotInYourCare(NeighbourhoodError):
    message = _l("This resident doesn't live in a building you look after.")


class ConsentRequired(NeighbourhoodError):
    message = _l("Please ask the resident (or their family) first, and tick that they agree.")


class PhoneHasAccount(NeighbourhoodError):
    message = _l("The number %(phone)s already has an account on Linli. If it is this resident's, an administrator can merge the two.")


class AlreadyHasPhone(NeighbourhoodError):
    message = _l("This resident already has a mobile number on record.")


class NotOffline(NeighbourhoodError):
    message = _l("Only a resident added by a building leader (without a login) can be merged into an account.")


class MergeIntoSelf(NeighbourhoodError):
    message = _l("Choose another person's account: a record can't be merged into itself.")


class ChildRequired(BookingError):
    message = _l("This is a children's class: choose which child the place is for.")


class NotInAudience(BookingError):
    message = _l("This event is only for %(group)s.")


class AudienceError(LinliError):
    """A group for an event that doesn't make sense."""


class RewardError(LinliError):
    """A reward redemption or a change to the reward list the rules refuse."""


class OutOfStock(RewardError):
    message = _l("Sorry, %(item)s has just run out. Please choose something else, or ask again when there are more.")


class RewardWithdrawn(RewardError):
    message = _l("%(item)s is no longer on the reward list.")


class RedemptionDecided(RewardError):
    message = _l("This request has already been handed over, cancelled or declined.")


class NotAllowedToCredit(PointsError):
    message = _l("You can credit service only to people in the grids you work for.")


class HonourGiven(LinliError):
    message = _l("%(name)s already has the honour %(title)s for %(year)s.")


class NameNotUnique(NeighbourhoodError):
    message = _l("%(count)s people are called %(name)s. Please give the mobile number instead.")


class NameNotFound(NeighbourhoodError):
    message = _l("Nobody called %(name)s is on Linli. Give a mobile number, or check the name.")
