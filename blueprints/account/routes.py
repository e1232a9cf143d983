"""A resident's own pages: their bookings and their calendar link."""
from __future__ import annotations

from datetime import timedelta

from flask import Blueprint, abort, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import db
from services import capacity, feeds, no_shows, roster, youth
from services import booking as booking_service
from services.dates import format_when, now_utc
from services.errors import LinliError

from ..common import MAX_PAGE, ConfirmForm, flash_error, next_or, redirect_next, render_confirmation
from .forms import ChildrenInCalendarForm

bp = Blueprint("account", __name__, url_prefix="/account")

PAST_PER_PAGE = 10


@bp.route("/bookings")
@login_required
def bookings():
    """My bookings: what is coming first (with ticket numbers), then what is past and
    whether I came (folded away, ten at a time), and a booking pause for no-shows."""
    now = now_utc()
    past_page = request.args.get("past", 1, type=int)
    past_page = past_page if 1 <= past_page <= MAX_PAGE else 1
    upcoming = booking_service.bookings_of(current_user, now=now)
    past = booking_service.bookings_of(
        current_user, now=now, past=True, limit=PAST_PER_PAGE + 1, offset=(past_page - 1) * PAST_PER_PAGE,
    )
    more_past, past = len(past) > PAST_PER_PAGE, past[:PAST_PER_PAGE]
    positions = capacity.waitlist_positions(upcoming)
    return render_template(
        "account/bookings.html", upcoming=upcoming, past=past, positions=positions, now=now,
        past_page=past_page, more_past=more_past, soon=now + timedelta(days=1),
        cancel_form=ConfirmForm(), no_shows=no_shows.no_show_record(current_user, now=now),
        attended=roster.attendance_of_bookings(upcoming + past),
        taken=roster.attendance_taken_at({b.event_id for b in past}),
    )


def _my_booking_or_404(booking_id: int):
    booking = booking_service.booking_for_user_or_none(booking_id, current_user)
    if booking is None:
        abort(404)
    return booking


def _cancel_texts(booking, preview) -> tuple[str, list[str], str, str]:
    """The confirmation's title, what will happen, and the two buttons' words."""
    child = booking.child.name if booking.child else None
    if booking.is_waitlisted:
        title = _("Leave the waiting list?")
        if child:
            line = _("%(child)s will lose their place on the waiting list (number %(position)s). If you join again, they go to the end of the list.", child=child, position=preview.position)
        else:
            line = _("You will lose your place on the waiting list (number %(position)s). If you join again, you go to the end of the list.", position=preview.position)
        return title, [line], _("Yes, leave the waiting list"), _("No, stay on the waiting list")
    title = _("Cancel %(child)s’s place?", child=child) if child else _("Cancel your seat?")
    if preview.gives_seat_away:
        line = (_("%(child)s’s place will go at once to number %(number)s on the waiting list. You can’t get it back.", child=child, number=preview.next_in_line)
                if child else _("Your seat will go at once to number %(number)s on the waiting list. You can’t get it back.", number=preview.next_in_line))
    else:
        line = (_("%(child)s’s place will be free for others to book.", child=child) if child
                else _("Your seat will be free for others to book."))
        line += " " + _("If you change your mind, you can undo this for %(minutes)s minutes, as long as nobody has taken it.", minutes=preview.undo_minutes)
    return title, [line], _("Yes, cancel my booking"), _("No, keep my booking")


@bp.route("/bookings/<int:booking_id>/cancel", methods=["GET"])
@login_required
def confirm_cancel(booking_id: int):
    """Ask before cancelling a seat or leaving a waiting list, saying who gets the seat."""
    booking = _my_booking_or_404(booking_id)
    back = next_or(url_for(".bookings"))
    if not booking.is_active:
        flash(_("This booking was already cancelled."), "info")
        return redirect(back)
    event = booking.event
    preview = booking_service.preview_cancellation(booking, now=now_utc())
    title, lines, button, keep = _cancel_texts(booking, preview)
    return render_confirmation(
        title=title, consequences=lines, button=button, keep=keep, back=back,
        action=url_for(".cancel_booking", booking_id=booking.id, next=back),
        subject=event.display_title, when=format_when(event.starts_at, "full"),
        refusal=str(preview.refusal) if preview.refusal else None,
    )


@bp.route("/bookings/<int:booking_id>/cancel", methods=["POST"])
@login_required
def cancel_booking(booking_id: int):
    """Cancel my seat or leave a waiting list; the seat goes to the next in line."""
    booking = _my_booking_or_404(booking_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not booking.is_active:
        flash(_("This booking was already cancelled."), "info")
        return redirect_next("account.bookings")
    was_waiting = booking.is_waitlisted
    now = now_utc()
    try:
        promoted = booking_service.cancel_booking(booking, now=now)
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return redirect_next("account.bookings")
    db.session.commit()
    if was_waiting:
        flash(_("You have left the waiting list."), "info")
    elif booking_service.can_undo(booking, now=now, promoted=promoted):
        flash(_("Your booking is cancelled. Changed your mind? For %(minutes)s minutes you can undo it, as long as nobody has taken the seat.",
                minutes=booking_service.UNDO_MINUTES), f"undo:{booking.id}")
    elif promoted:
        flash(_("Your booking is cancelled. The seat has gone to the next person on the waiting list."), "info")
    else:
        flash(_("Your booking is cancelled."), "info")
    return redirect_next("account.bookings")


@bp.route("/bookings/<int:booking_id>/undo", methods=["POST"])
@login_required
def undo_cancel(booking_id: int):
    """Take back a seat I cancelled a few minutes ago, if nobody has taken it meanwhile."""
    booking = _my_booking_or_404(booking_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        booking_service.undo_cancellation(booking, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return redirect_next("account.bookings")
    db.session.commit()
    flash(_("Your seat is yours again. Ticket number: %(code)s", code=booking.display_code), "success")
    return redirect_next("account.bookings")


# A new personal-feed token waits here between the POST that makes it and the page that
# shows it once: only its hash is stored, so this is the one time it can be read.
NEW_FEED_TOKEN = "new_calendar_token"


@bp.route("/calendar")
@login_required
def calendar():
    """My calendar link: subscribe to my bookings in a calendar app, or make a new link."""
    token = session.pop(NEW_FEED_TOKEN, None)
    if token is not None and feeds.user_for_feed_token(token) != current_user:
        token = None  # replaced meanwhile (e.g. from another phone)
    response = make_response(render_template(
        "account/calendar.html", token=token, feed_token=feeds.feed_token_of(current_user),
        reset_form=ConfirmForm(), has_children=bool(youth.children_of(current_user)),
        children_form=ChildrenInCalendarForm(show=current_user.children_in_calendar),
    ))
    # The page may carry the secret link: keep it out of every cache.
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.route("/calendar/reset", methods=["POST"])
@login_required
def reset_calendar():
    """Make a new personal calendar link; the old one stops working at once."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    had_link = feeds.feed_token_of(current_user) is not None
    token = feeds.reset_feed_token(current_user, now=now_utc())
    db.session.commit()
    session[NEW_FEED_TOKEN] = token
    if had_link:
        flash(_("Here is your new calendar link. The old link no longer works."), "success")
    else:
        flash(_("Here is your calendar link."), "success")
    return redirect(url_for(".calendar"))


@bp.route("/calendar/children", methods=["POST"])
@login_required
def children_in_calendar():
    """Choose whether my children's classes show in my calendar feed (by first name)."""
    form = ChildrenInCalendarForm()
    if not form.validate_on_submit():
        abort(400)
    feeds.show_children(current_user, form.show.data)
    db.session.commit()
    if form.show.data:
        flash(_("Your children’s classes appear in your calendar with their first names."), "success")
    else:
        flash(_("Your children’s classes no longer appear in your calendar."), "success")
    return redirect(url_for(".calendar", _anchor="children"))
