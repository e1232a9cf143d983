"""Helpers shared by the blueprints: permission checks, safe redirects, the confirm form."""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import wraps
from urllib.parse import urlsplit

from flask import abort, flash, redirect, render_template, request, url_for
from flask_login import current_user, login_required
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField

from models import Event, Program, ProgramKind, Role


class WholeNumberField(IntegerField):
    """A number field that says one clear thing when what was typed isn't a whole number
    (full-width digits, as some phone keyboards type them, are accepted)."""

    def process_formdata(self, valuelist):
        if not valuelist or not valuelist[0].strip():
            self.data = None
            return
        try:
            self.data = int(unicodedata.normalize("NFKC", valuelist[0]).strip())
        except ValueError:
            self.data = None
            raise ValueError(_l("Please enter a whole number, e.g. 40.")) from None

    def validate(self, form, extra_validators=()):
        if self.process_errors:  # no second message from the range check
            self.errors = list(self.process_errors)
            return False
        return super().validate(form, extra_validators)


class ConfirmForm(FlaskForm):
    """An empty form: a POST button with its CSRF token."""


MAX_PAGE = 10_000
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value):
    """Form filter: trim a typed string and drop control characters (NUL included), which
    no one means to type and PostgreSQL refuses to store."""
    if not isinstance(value, str):
        return value
    return _CONTROL_CHARACTERS.sub("", value).strip()


def page_arg() -> int:
    """The ``page`` query argument as a sane page number (bad values mean page 1)."""
    page = request.args.get("page", 1, type=int)
    return page if 1 <= page <= MAX_PAGE else 1


def is_safe_next(target: str | None) -> bool:
    """Tell whether ``target`` is a local path we may redirect to."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return False
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in target):
        return False
    parts = urlsplit(target)
    return not parts.scheme and not parts.netloc and "\\" not in target


def redirect_next(default_endpoint: str, **values):
    """Redirect to the local ``next`` of the request, else to ``default_endpoint``."""
    target = request.form.get("next") or request.args.get("next")
    if is_safe_next(target):
        return redirect(target)
    return redirect(url_for(default_endpoint, **values))


def defer_write_lock(view):
    """Formerly: don't take the write lock before this POST view runs. No view takes it up
    front any more (each service declares its own write, see services/db.py), so this marks
    nothing; it stays only so branches written against it still merge, and can go."""
    view.defers_write_lock = True
    return view


def role_required(role: Role):
    """Let only people holding ``role`` (or admins) in; others get 403."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(*args, **kwargs):
            if not current_user.has_role(role):
                abort(403)
            return view(*args, **kwargs)

        return wrapped

    return decorator


def require_organizer_of(program: Program) -> None:
    """Abort with 403 unless the current user organizes ``program``."""
    if not program.is_organized_by(current_user):
        abort(403)


def next_or(default: str) -> str:
    """The request's local ``next`` path, else ``default``."""
    target = request.args.get("next") or request.form.get("next")
    return target if is_safe_next(target) else default


def render_confirmation(*, title: str, consequences: list[str], action: str, button: str,
                        keep: str, back: str, subject: str = "", when: str = "",
                        refusal: str | None = None, danger: bool = True, hidden: dict | None = None):
    """The confirmation page for an action that can't simply be taken back: what it is,
    what will happen, and a button for each choice. static/js/linli.js shows the same
    panel as a dialog over the page the person came from."""
    return render_template(
        "confirm.html", title=title, consequences=consequences, action=action, button=button,
        keep=keep, back=back, subject=subject, when=when, refusal=refusal, danger=danger,
        hidden=hidden or {}, form=ConfirmForm(),
    )


def flash_error(error: Exception) -> None:
    """Show a business failure's message to the person."""
    flash(str(error), "danger")


# The page that shows one event, by its program's kind; every endpoint takes ``event_id``.
# Feeds (absolute URLs), my bookings and every other link to an event go through
# :func:`event_page`, so a kind gets its page in one place.
EVENT_PAGES: dict[ProgramKind, str] = {
    ProgramKind.LECTURE_SERIES: "lectures.detail",
    ProgramKind.LECTURE_TEAM: "lecture_team.event",
    ProgramKind.TROUPE: "troupes.event",
    ProgramKind.YOUTH: "youth.class_detail",
}


def event_page(event: Event) -> tuple[str, dict]:
    """The endpoint and URL values of the page showing ``event`` (its program loaded);
    the home page for a kind without one."""
    endpoint = EVENT_PAGES.get(event.program.kind)
    return (endpoint, {"event_id": event.id}) if endpoint else ("main.index", {})


@dataclass(frozen=True)
class ProgramPages:
    """A kind's pages: a program's residents' page and organizers' page (with ``by_slug``
    both take the program's ``slug``; without, one page serves every program of the
    kind), and the page listing them all."""

    public: str
    manage: str
    by_slug: bool
    listing: str  # the page listing every program of the kind


# The HTTP side of the program-kind seam (services/program_kinds.py holds the rest).
PROGRAM_PAGES: dict[ProgramKind, ProgramPages] = {
    ProgramKind.LECTURE_SERIES: ProgramPages("lectures.index", "lectures.manage", False, "lectures.index"),
    ProgramKind.LECTURE_TEAM: ProgramPages("lecture_team.index", "lecture_team.manage", False, "lecture_team.index"),
    ProgramKind.TROUPE: ProgramPages("troupes.detail", "troupes.manage", True, "troupes.index"),
    ProgramKind.YOUTH: ProgramPages("youth.program", "youth.manage", True, "youth.index"),
}


def program_page(program: Program, *, manage: bool = False) -> tuple[str, dict]:
    """The endpoint and URL values of the residents' (or with ``manage``, the
    organizers') page of ``program``."""
    pages = PROGRAM_PAGES[program.kind]
    endpoint = pages.manage if manage else pages.public
    return endpoint, ({"slug": program.slug} if pages.by_slug else {})


class BookForm(FlaskForm):
    """Book a seat; ``waitlist`` is set by the "join the waiting list" button."""

    waitlist = BooleanField()


def book_seat_and_redirect(event, book, detail_url: str):
    """The one booking view: log in first (coming back to ``detail_url``), check the form,
    call ``book(event, user, now=, waitlist=)``, commit and say what happened."""
    from flask_babel import gettext as _

    from models import db
    from services.capacity import waitlist_position
    from services.dates import now_utc
    from services.errors import LinliError

    if not current_user.is_authenticated:
        # Back to the event after logging in: the booking URL itself only takes POSTs.
        flash(_("Please log in to continue."), "info")
        return redirect(url_for("auth.login", next=detail_url))
    form = BookForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        booking = book(event, current_user, now=now_utc(), waitlist=form.waitlist.data)
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(detail_url)
    position = waitlist_position(booking)
    db.session.commit()
    if booking.is_confirmed:
        flash(_("Your seat is booked. Ticket number: %(code)s", code=booking.display_code), "success")
    else:
        flash(_("You are on the waiting list, number %(position)s. If a seat frees up, it is yours automatically.", position=position), "info")
    return redirect(detail_url)
