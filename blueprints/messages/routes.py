"""Messages (消息): a person's messages, newest first, and organizers' messages to the
people of an event."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlalchemy.exc import SQLAlchemyError

from models import Event, ProgramKind, db
from services import notifications, organizer_messages, troupes
from services.dates import now_utc
from services.errors import LinliError, NoRecipients
from services.notification_texts import render

from ..common import ConfirmForm, event_page, flash_error, page_arg
from .forms import OrganizerMessageForm
from .links import message_target

bp = Blueprint("messages", __name__, url_prefix="/messages")

PER_PAGE = 30
# The header shows at most this many; more read "99+".
MOST_SHOWN = 99


@bp.app_context_processor
def unread_messages():
    """``unread_message_count()`` for the header: one query, only when a logged-in
    person's page asks for it."""

    def unread_message_count() -> int:
        if not current_user.is_authenticated:
            return 0
        try:
            return notifications.unread_count(current_user.id)
        except SQLAlchemyError:  # an error page while the database is away: no badge
            db.session.rollback()
            return 0

    return {"unread_message_count": unread_message_count, "MOST_UNREAD_SHOWN": MOST_SHOWN}


@bp.route("/")
@login_required
def index():
    """My messages, newest first, each with what it is about; unread ones stand out."""
    page = db.paginate(notifications.messages_query(current_user), page=page_arg(), per_page=PER_PAGE,
                       error_out=False)
    items = [(n, render(n), message_target(n)) for n in page.items]
    return render_template("messages/index.html", page=page, items=items, form=ConfirmForm(),
                           unread=any(not n.is_read for n in page.items))


def _my_message_or_404(notification_id: int):
    notification = notifications.message_of(current_user, notification_id)
    if notification is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    return notification


@bp.route("/<int:notification_id>/open", methods=["POST"])
@login_required
def open_message(notification_id: int):
    """Mark a message read and go to what it is about."""
    notification = _my_message_or_404(notification_id)
    notifications.mark_read(notification, now=now_utc())
    db.session.commit()
    target = message_target(notification)
    return redirect(url_for(target[0], **target[1]) if target else url_for(".index"))


@bp.route("/<int:notification_id>/read", methods=["POST"])
@login_required
def mark_read(notification_id: int):
    """Mark one message read and stay on the list."""
    notification = _my_message_or_404(notification_id)
    notifications.mark_read(notification, now=now_utc())
    db.session.commit()
    return redirect(url_for(".index", page=page_arg(), _anchor=f"m{notification.id}"))


@bp.route("/read-all", methods=["POST"])
@login_required
def mark_all_read():
    """Mark every message read."""
    if not ConfirmForm().validate_on_submit():
        abort(400)
    count = notifications.mark_all_read(current_user, now=now_utc())
    db.session.commit()
    if count:
        flash(_("All messages are marked read."), "success")
    return redirect(url_for(".index"))


# --- organizers' messages ------------------------------------------------------------


def _event_to_message_or_404(event_id: int) -> Event:
    """The event, if the person may write to its people: its program's organizers (and
    admins), and for a troupe's events its leader; others get 403."""
    event = db.get_or_404(Event, event_id)
    program = event.program
    allowed = program.is_organized_by(current_user) or (
        program.kind is ProgramKind.TROUPE and troupes.troupe_of(program).is_led_by(current_user)
    )
    if not allowed:
        abort(403)
    return event


@bp.route("/events/<int:event_id>/new", methods=["GET", "POST"])
@login_required
def new_event_message(event_id: int):
    """Write a short message to chosen groups of an event's people, check how many it
    reaches, then send it."""
    event = _event_to_message_or_404(event_id)
    form = OrganizerMessageForm()
    groups = organizer_messages.audiences_of(event)
    counts = {audience.value: len(people) for audience, people in groups.items()}
    if form.validate_on_submit():
        chosen = form.chosen()
        reach = len(set().union(*(groups[a] for a in chosen)))
        if not form.confirmed.data or reach == 0:
            if reach == 0:
                form.audiences.errors.append(str(NoRecipients()))
            return render_template("messages/compose.html", event=event, form=form, counts=counts,
                                   reach=reach, preview=reach > 0, back=event_page(event),
                                   sent=organizer_messages.messages_about(event))
        try:
            message = organizer_messages.send_message(event, current_user, form.body.data, chosen, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            flash_error(error)
        else:
            db.session.commit()
            flash(_("Your message was sent to %(count)s people.", count=message.recipient_count), "success")
        return redirect(url_for(".new_event_message", event_id=event.id))
    return render_template("messages/compose.html", event=event, form=form, counts=counts, reach=None,
                           preview=False, back=event_page(event), sent=organizer_messages.messages_about(event))
