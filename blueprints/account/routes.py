"""A resident's own pages: their bookings."""
from __future__ import annotations

from flask import Blueprint, abort, flash, render_template
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import db
from services import attendance, capacity
from services import booking as booking_service
from services.dates import now_utc
from services.errors import LinliError

from ..common import ConfirmForm, flash_error, redirect_next

bp = Blueprint("account", __name__, url_prefix="/account")

PAST_SHOWN = 30


@bp.route("/bookings")
@login_required
def bookings():
    """My bookings: what is coming (with ticket numbers), what is past and whether I came,
    and a booking pause for no-shows with its reason and end."""
    now = now_utc()
    upcoming = booking_service.bookings_of(current_user, now=now)
    past = booking_service.bookings_of(current_user, now=now, past=True, limit=PAST_SHOWN)
    positions = capacity.waitlist_positions(upcoming)
    return render_template(
        "account/bookings.html", upcoming=upcoming, past=past, positions=positions, now=now,
        cancel_form=ConfirmForm(), no_shows=attendance.no_show_record(current_user, now=now),
        attended=attendance.attendance_of_bookings(upcoming + past),
        taken=attendance.attendance_taken_at({b.event_id for b in past}),
    )


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@login_required
def cancel_booking(booking_id: int):
    """Cancel my seat or leave a waiting list; the seat goes to the next in line."""
    booking = booking_service.booking_for_user_or_none(booking_id, current_user)
    if booking is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not booking.is_active:
        flash(_("This booking was already cancelled."), "info")
        return redirect_next("account.bookings")
    was_waiting = booking.is_waitlisted
    try:
        booking_service.cancel_booking(booking, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("You have left the waiting list.") if was_waiting else _("Your booking is cancelled."), "info")
    return redirect_next("account.bookings")
