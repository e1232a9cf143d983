"""A resident's own pages: their bookings and their calendar link."""
from __future__ import annotations

from flask import (
    Blueprint, abort, current_app, flash, make_response, redirect, render_template, request, session, url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user

from models import db
from services import accounts, capacity, feeds, no_shows, roster, youth
from services import booking as booking_service
from services.dates import now_utc
from services.errors import LinliError, WrongPassword

from ..common import ConfirmForm, defer_write_lock, flash_error, redirect_next
from .forms import ChildrenInCalendarForm, PasswordForm, ProfileForm

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
        cancel_form=ConfirmForm(), no_shows=no_shows.no_show_record(current_user, now=now),
        attended=roster.attendance_of_bookings(upcoming + past),
        taken=roster.attendance_taken_at({b.event_id for b in past}),
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


# --- my details and password ----------------------------------------------------------


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@defer_write_lock
def profile():
    """My name and mobile number (a new number needs my password and must be free)."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        try:
            accounts.update_profile(
                current_user, display_name=form.display_name.data, phone=form.phone.data,
                current_password=form.current_password.data, now=now_utc(),
            )
        except WrongPassword as error:
            db.session.commit()  # keeps the count of wrong passwords
            form.current_password.errors.append(str(error))
        except LinliError as error:
            db.session.rollback()
            form.phone.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Your details are saved."), "success")
            return redirect(url_for(".profile"))
    return render_template("account/profile.html", form=form)


@bp.route("/password", methods=["GET", "POST"])
@login_required
@defer_write_lock
def password():
    """Change my password; every other phone or computer logged in to my account is logged out."""
    form = PasswordForm()
    if form.validate_on_submit():
        remembered = current_app.config.get("REMEMBER_COOKIE_NAME", "remember_token") in request.cookies
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data, now=now_utc())
        except WrongPassword as error:
            db.session.commit()  # keeps the count of wrong passwords
            form.current_password.errors.append(str(error))
        except LinliError as error:
            db.session.rollback()
            form.current_password.errors.append(str(error))
        else:
            db.session.commit()
            login_user(current_user._get_current_object(), remember=remembered)  # this device stays logged in
            flash(_("Your password is changed. Any other phone or computer logged in to your account has been logged out."), "success")
            return redirect(url_for(".profile"))
    return render_template("account/password.html", form=form)

