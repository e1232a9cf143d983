"""The Wednesday lectures: browsing and booking for residents, managing for organizers."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from models import Booking, BookingStatus, Event, Program, ProgramKind, Role, Series, WeeklySchedule, db
from services import booking as booking_service
from services import audiences, capacity, lectures, schedules
from services import programs as program_service
from services.dates import now_utc, to_local

from .. import event_pages
from ..common import book_seat_and_redirect, page_arg, require_organizer_of, role_required
from ..weekly_forms import fill_venue_choices, series_choices
from .forms import CancelLectureForm, LectureForm, TermForm

bp = Blueprint("lectures", __name__, url_prefix="/lectures")


def get_lecture_or_404(event_id: int) -> Event:
    """Load a lecture or answer 404."""
    event = lectures.get_lecture(event_id, viewer=current_user)
    if event is None:
        abort(404)  # also a lecture for a group (e.g. building leaders) the person isn't in
    return event


def get_program_or_404(slug: str) -> Program:
    """Load a lecture-series program by slug or answer 404."""
    program = db.session.execute(
        sa.select(Program).where(Program.slug == slug, Program.kind == ProgramKind.LECTURE_SERIES, Program.is_listed())
    ).scalar_one_or_none()
    if program is None:
        abort(404)
    return program


@bp.route("/")
def index():
    """Upcoming lectures with seats left, filterable by topic series."""
    now = now_utc()
    all_series = lectures.lecture_series()
    chosen = next((s for s in all_series if s.slug == request.args.get("series")), None)
    page = db.paginate(
        lectures.upcoming_lectures_query(now=now, series=chosen, viewer=current_user),
        page=page_arg(), per_page=current_app.config["LECTURES_PER_PAGE"], error_out=False,
    )
    events = page.items
    return render_template(
        "lectures/index.html", page=page, events=events, all_series=all_series, chosen=chosen,
        waiting=capacity.waiting_counts(e.seat_quota_id for e in events),
        mine=booking_service.bookings_by_event(current_user, [e.id for e in events]),
        now=now, programs=lectures.lecture_programs(),
    )


@bp.route("/<int:event_id>")
def detail(event_id: int):
    """One lecture: what it is about, seats left, and the person's booking."""
    event = get_lecture_or_404(event_id)
    now = now_utc()
    mine = booking_service.bookings_by_event(current_user, [event.id]).get(event.id)
    return render_template(
        "lectures/detail.html", event=event, mine=mine, now=now,
        position=capacity.waitlist_position(mine) if mine else None,
        waiting=capacity.waiting_counts([event.seat_quota_id]).get(event.seat_quota_id, 0),
        can_manage=event.program.is_organized_by(current_user),
        refusal=booking_service.booking_refusal(event, now),
        group=audiences.describe(group) if (group := audiences.audience_of(event)) else None,
    )


@bp.route("/<int:event_id>/book", methods=["POST"])
def book(event_id: int):
    """Book a seat, or join the waiting list when the lecture is full."""
    event = get_lecture_or_404(event_id)
    return book_seat_and_redirect(event, booking_service.book_seat, url_for(".detail", event_id=event.id))


# --- organizers ---------------------------------------------------------------------


@bp.route("/manage")
@role_required(Role.ORGANIZER)
def manage():
    """Organizers' list of coming lectures with bookings and waiting counts."""
    programs = lectures.lecture_programs(organized_by=current_user)
    now = now_utc()
    events = db.session.execute(
        sa.select(Event)
        .where(Event.program_id.in_([p.id for p in programs]), Event.ends_at >= now - timedelta(days=7))
        .options(joinedload(Event.series), joinedload(Event.venue))
        .order_by(Event.starts_at, Event.id)
    ).scalars().all()
    return render_template(
        "lectures/manage.html", programs=programs, events=events, now=now,
        waiting=capacity.waiting_counts(e.seat_quota_id for e in events),
        terms=lectures.terms_of([p.id for p in programs], now=now), today=to_local(now).date(),
        others=[p for p in program_service.programs_run_by(current_user) if p.kind is not ProgramKind.LECTURE_SERIES],
    )


def _fill_series(form, program: Program, event: Event | None = None) -> None:
    """The program's current series, keeping the event's own even if retired."""
    form.series_id.choices = series_choices(program, keep_id=event.series_id if event else None)


def _chosen_series(form, program: Program) -> Series | None:
    series = db.session.get(Series, form.series_id.data) if form.series_id.data else None
    return series if series is not None and series.program_id == program.id else None


def get_term_or_404(term_id: int) -> WeeklySchedule:
    """Load a lecture term (a weekly schedule of a lecture-series program), or answer 404."""
    term = schedules.get_schedule(term_id)
    if term is None or term.program.kind is not ProgramKind.LECTURE_SERIES:
        abort(404)
    return term


@bp.route("/programs/<slug>/term", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def new_term(slug: str):
    """Lay out a term: one lecture a week between two days, holidays left out (or a copy
    of an earlier term's layout, with ``?copy=<term id>``)."""
    program = get_program_or_404(slug)
    require_organizer_of(program)
    form = TermForm()
    _fill_series(form, program)
    if request.method == "GET" and not request.args.get("copy"):
        form.booking_cutoff_minutes.data = program.booking_closes_minutes_before  # the program's default
    return event_pages.layout_page(
        program, form, create=lectures.create_term, template="lectures/term.html",
        done_url=url_for(".manage"), copies_series=True,
        created=lambda count: _("%(count)s lectures were added. You can now give each one its title and speaker.", count=count),
        extra=lambda form: {"series_pattern": (_chosen_series(form, program),) if form.series_id.data else (),
                            "speaker": form.speaker.data or "", "event_title": form.lecture_title.data or ""},
    )


@bp.route("/terms/<int:term_id>/cancel", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def cancel_term(term_id: int):
    """Cancel every lecture of a term that hasn't taken place, with one reason."""
    term = get_term_or_404(term_id)
    require_organizer_of(term.program)
    return event_pages.cancel_schedule_page(term, template="lectures/term_cancel.html", done_url=url_for(".manage"))


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def edit(event_id: int):
    """Edit one lecture; its bookings stay, a larger capacity moves waiting people up."""
    event = get_lecture_or_404(event_id)
    require_organizer_of(event.program)
    form = LectureForm()
    _fill_series(form, event.program, event)
    fill_venue_choices(form.venue_id, keep_id=event.venue_id)
    if request.method == "GET":
        form.speaker.data = event.speaker
        form.series_id.data = event.series_id or 0
    return event_pages.edit_event_page(
        event, form, template="lectures/edit.html", done_url=url_for(".detail", event_id=event.id),
        saved=_("The lecture is saved."),
        extra=lambda form: {"speaker": form.speaker.data or "", "series": _chosen_series(form, event.program)},
    )


@bp.route("/<int:event_id>/cancel", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def cancel(event_id: int):
    """Cancel one lecture with a reason that its bookers will see."""
    event = get_lecture_or_404(event_id)
    require_organizer_of(event.program)
    return event_pages.cancel_event_page(
        event, CancelLectureForm(), template="lectures/cancel.html", done_url=url_for(".manage"),
        done=_("The lecture is cancelled. People who booked will see the reason."),
    )


@bp.route("/<int:event_id>/bookings")
@role_required(Role.ORGANIZER)
def bookings(event_id: int):
    """Who booked a lecture and who is waiting, with phone numbers for organizers."""
    event = get_lecture_or_404(event_id)
    require_organizer_of(event.program)
    rows = db.session.execute(
        sa.select(Booking)
        .where(Booking.quota_id == event.seat_quota_id, Booking.status != BookingStatus.CANCELLED)
        .options(joinedload(Booking.user))
        .order_by(Booking.status, Booking.waitlisted_at, Booking.confirmed_at, Booking.id)
    ).scalars().all()
    confirmed = [b for b in rows if b.is_confirmed]
    waiting = sorted((b for b in rows if b.is_waitlisted), key=lambda b: (b.waitlisted_at, b.id))
    return render_template("lectures/bookings.html", event=event, confirmed=confirmed, waiting=waiting,
                           held=booking_service.held_at_cancellation(event))
