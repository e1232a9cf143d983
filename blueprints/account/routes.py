"""A resident's own pages: their account, bookings, calendar link, data and how they are told things."""
from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint, Response, abort, current_app, flash, make_response, redirect, render_template, request, session,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from models import db
from security import throttles
from services import accounts, capacity, feeds, no_shows, notifications, privacy, roster, youth
from services import booking as booking_service
from services.channels import CHANNELS
from services.dates import format_when, now_utc, to_local
from services.errors import LastAdministrator, LinliError, WrongPassword

from ..common import (
    MAX_PAGE, ConfirmForm, defer_write_lock, flash_error, next_or, redirect_next, render_confirmation,
)
from .forms import (
    CalendarAlarmForm, ChildrenInCalendarForm, DeleteAccountForm, EmailSettingsForm, PasswordForm, ProfileForm,
)

bp = Blueprint("account", __name__, url_prefix="/account")

PAST_PER_PAGE = 10


@bp.route("/")
@login_required
def index():
    """My account: who I am here, my data, logging out everywhere, deleting the account."""
    return render_template("account/index.html", end_form=ConfirmForm())


@bp.route("/sessions/end", methods=["POST"])
@login_required
def end_sessions():
    """Log out on every device (this one too): every session and "keep me logged in"
    cookie of the person stops working, wherever it is."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    accounts.end_all_sessions(current_user, now=now_utc())
    db.session.commit()
    logout_user()
    flash(_("You have logged out on every device. Log in again on the ones you use."), "success")
    return redirect(url_for("auth.login"))


@bp.route("/data")
@login_required
def data():
    """Download my data: everything the site holds about me and my children."""
    sections = privacy.personal_data(current_user, now=now_utc())
    return render_template("account/data.html", sections=sections)


@bp.route("/data.<any(json, csv):kind>")
@login_required
def data_download(kind: str):
    """My data as a JSON or CSV file."""
    now = now_utc()
    sections = privacy.personal_data(current_user, now=now)
    stamp = to_local(now).strftime("%Y%m%d")
    if kind == "json":
        response = Response(privacy.to_json(sections, now=now), mimetype="application/json")
    else:
        response = Response(privacy.to_csv(sections), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="linli-my-data-{stamp}.{kind}"'
    response.headers["Cache-Control"] = "no-store"
    return response


def _throttled(form, field, template: str):
    """Count a password check against the person's login throttle (as a login is); when
    it refuses, the form again with the wait, as a 429. None when the check may go on."""
    try:
        throttles.count_login_attempt(current_user.phone)
    except throttles.Throttled as refused:
        field.errors.append(str(throttles.retry_message(refused.retry_after)))
        response = make_response(render_template(template, form=form), 429)
        response.headers["Retry-After"] = str(refused.retry_after)
        return response
    return None


@bp.route("/delete", methods=["GET", "POST"])
@login_required
def delete():
    """Delete my account (注销账号), after my password and a tick that I understand."""
    form = DeleteAccountForm()
    if form.validate_on_submit():
        refused = _throttled(form, form.password, "account/delete.html")
        if refused is not None:
            return refused
        if not current_user.check_password(form.password.data):
            form.password.errors.append(_("The password is wrong."))
        else:
            try:
                privacy.delete_account(current_user, now=now_utc())
            except LastAdministrator as error:
                db.session.rollback()
                flash_error(error)
            else:
                db.session.commit()
                logout_user()
                flash(_("Your account is deleted. Thank you for taking part in our community."), "info")
                return redirect(url_for("main.index"))
    return render_template("account/delete.html", form=form)


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
    settings = notifications.settings_of(current_user)
    response = make_response(render_template(
        "account/calendar.html", token=token, feed_token=feeds.feed_token_of(current_user),
        reset_form=ConfirmForm(), has_children=bool(youth.children_of(current_user)),
        children_form=ChildrenInCalendarForm(show=current_user.children_in_calendar),
        alarm_form=CalendarAlarmForm(minutes=(settings.calendar_alarm_minutes or 0) if settings else 0),
    ))
    # The page may carry the secret link: keep it out of every cache. (Its address holds
    # no secret, and its forms need the referrer on HTTPS: Flask-WTF checks it.)
    response.headers["Cache-Control"] = "no-store"
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


@bp.route("/calendar/alarm", methods=["POST"])
@login_required
def calendar_alarm():
    """Choose a reminder (an alarm) before each booked event in my calendar feed."""
    form = CalendarAlarmForm()
    if not form.validate_on_submit():
        abort(400)
    notifications.save_calendar_alarm(current_user, form.minutes.data or None, now=now_utc())
    db.session.commit()
    if form.minutes.data:
        flash(_("Your calendar will remind you before each event you booked."), "success")
    else:
        flash(_("Your calendar no longer reminds you before events."), "success")
    return redirect(url_for(".calendar", _anchor="alarm"))


@bp.route("/notifications", methods=["GET", "POST"], endpoint="notifications")
@login_required
def notifications_settings():
    """How I am told things: messages on the site always; by email too, if I give an
    address, for the topics I tick, in the language I choose."""
    settings = notifications.settings_of(current_user)
    form = EmailSettingsForm()
    if not form.is_submitted():
        if settings is not None:
            form.email.data = settings.email
            form.topics.data = [t.value for t in notifications.OPTIONAL_TOPICS
                                if t.value not in (settings.email_topics_off or [])]
            form.language.data = settings.language
        else:
            form.topics.data = [t.value for t in notifications.OPTIONAL_TOPICS]
            form.language.data = str(get_locale() or "zh")
    if form.validate_on_submit():
        notifications.save_email_settings(
            current_user, email=form.email.data or None, topics_on=form.topics.data or [],
            language=form.language.data, now=now_utc(),
        )
        db.session.commit()
        if form.email.data:
            flash(_("Saved. Messages you chose also go to %(email)s.", email=form.email.data), "success")
        else:
            flash(_("Saved. Your messages stay on the site only."), "success")
        return redirect(url_for(".notifications"))
    return render_template(
        "account/notifications.html", form=form, settings=settings,
        email_on=CHANNELS["email"].is_configured(current_app.config),
    )
# --- my details and password ----------------------------------------------------------


@bp.route("/profile", methods=["GET", "POST"])
@login_required
@defer_write_lock
def profile():
    """My name and mobile number (a new number needs my password and must be free)."""
    form = ProfileForm(obj=current_user)
    if form.validate_on_submit():
        if form.phone.data != current_user.phone:
            refused = _throttled(form, form.current_password, "account/profile.html")
            if refused is not None:
                return refused
        try:
            accounts.update_profile(
                current_user, display_name=form.display_name.data, phone=form.phone.data,
                current_password=form.current_password.data, now=now_utc(),
            )
        except WrongPassword as error:
            db.session.rollback()
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
        refused = _throttled(form, form.current_password, "account/password.html")
        if refused is not None:
            return refused
        now = now_utc()
        try:
            accounts.change_password(current_user, form.current_password.data, form.password.data, now=now)
        except WrongPassword as error:
            db.session.rollback()
            form.current_password.errors.append(str(error))
        except LinliError as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            accounts.start_login(current_user, now=now)
            db.session.commit()
            login_user(current_user._get_current_object(), remember=remembered)  # this device stays logged in
            flash(_("Your password is changed. Any other phone or computer logged in to your account has been logged out."), "success")
            return redirect(url_for(".profile"))
    return render_template("account/password.html", form=form)

