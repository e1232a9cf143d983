"""The Wednesday lectures: browsing and booking for residents, managing for organizers."""
from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from models import Booking, BookingStatus, Event, Program, ProgramKind, Role, Series, Venue, db
from services import booking as booking_service
from services import capacity, lectures
from services.dates import local_datetime, now_utc, to_local
from services.errors import LinliError, ShiftsOverlapAfterMove

from ..common import (
    BookForm, ConfirmForm, book_seat_and_redirect, flash_error, page_arg, require_organizer_of, role_required,
)
from .forms import CancelLectureForm, LectureForm, TermForm

bp = Blueprint("lectures", __name__, url_prefix="/lectures")


def get_lecture_or_404(event_id: int) -> Event:
    """Load a lecture or answer 404."""
    event = lectures.get_lecture(event_id)
    if event is None:
        abort(404)
    return event


def get_program_or_404(slug: str) -> Program:
    """Load a lecture-series program by slug or answer 404."""
    program = db.session.execute(
        sa.select(Program).where(Program.slug == slug, Program.kind == ProgramKind.LECTURE_SERIES)
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
        lectures.upcoming_lectures_query(now=now, series=chosen),
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
        book_form=BookForm(), cancel_form=ConfirmForm(),
        can_manage=event.program.is_organized_by(current_user),
        refusal=booking_service.booking_refusal(event, now),
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
    )


def _fill_choices(form, program: Program) -> None:
    venues = db.session.execute(sa.select(Venue).order_by(Venue.id)).scalars().all()
    form.venue_id.choices = [(0, "—")] + [(v.id, v.name) for v in venues]
    form.series_id.choices = [(0, "—")] + [(s.id, s.name) for s in program.series]


def _chosen(model, form_field, program: Program | None = None):
    if not form_field.data:
        return None
    obj = db.session.get(model, form_field.data)
    if obj is None or (program is not None and getattr(obj, "program_id", program.id) != program.id):
        return None
    return obj


@bp.route("/programs/<slug>/term", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def new_term(slug: str):
    """Lay out a term: one lecture every Wednesday between two days."""
    program = get_program_or_404(slug)
    require_organizer_of(program)
    form = TermForm()
    _fill_choices(form, program)
    if form.validate_on_submit():
        plan = lectures.TermPlan(
            first_day=form.first_day.data, last_day=form.last_day.data,
            start_time=form.start_time.data, duration_minutes=form.duration_minutes.data,
            capacity=form.capacity.data, booking_cutoff_minutes=form.booking_cutoff_minutes.data,
            venue=_chosen(Venue, form.venue_id), series=_chosen(Series, form.series_id, program),
            title=form.title.data or "", speaker=form.speaker.data or "",
            skip_days=getattr(form, "parsed_skip_days", frozenset()),
        )
        try:
            created = lectures.create_term(program, plan, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            flash_error(error)
        else:
            db.session.commit()
            flash(_("%(count)s lectures were added. You can now give each one its title and speaker.", count=len(created)), "success")
            return redirect(url_for(".manage"))
    return render_template("lectures/term.html", form=form, program=program)


@bp.route("/<int:event_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def edit(event_id: int):
    """Edit one lecture; a larger capacity moves waiting people up."""
    event = get_lecture_or_404(event_id)
    require_organizer_of(event.program)
    form = LectureForm(obj=event)
    _fill_choices(form, event.program)
    if request.method == "GET":
        local_start = to_local(event.starts_at)
        form.day.data = local_start.date()
        form.start_time.data = local_start.time()
        form.end_time.data = to_local(event.ends_at).time()
        form.capacity.data = event.seats.capacity
        form.venue_id.data = event.venue_id or 0
        form.series_id.data = event.series_id or 0
        form.booking_cutoff_minutes.data = int((event.starts_at - event.booking_closes_at).total_seconds() // 60)
    if form.validate_on_submit():
        changes = lectures.LectureChanges(
            title=form.title.data or "", speaker=form.speaker.data or "", summary=form.summary.data or "",
            series=_chosen(Series, form.series_id, event.program), venue=_chosen(Venue, form.venue_id),
            starts_at=local_datetime(form.day.data, form.start_time.data),
            ends_at=local_datetime(form.day.data, form.end_time.data),
            capacity=form.capacity.data, booking_cutoff_minutes=form.booking_cutoff_minutes.data,
        )
        try:
            promoted = lectures.update_lecture(event, changes, now=now_utc())
        except ShiftsOverlapAfterMove as error:
            db.session.rollback()
            form.start_time.errors.append(str(error))
        except LinliError as error:
            db.session.rollback()
            form.capacity.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The lecture is saved."), "success")
            if promoted:
                flash(_("%(count)s people moved up from the waiting list.", count=len(promoted)), "info")
            return redirect(url_for(".detail", event_id=event.id))
    return render_template("lectures/edit.html", form=form, event=event)


@bp.route("/<int:event_id>/cancel", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def cancel(event_id: int):
    """Cancel one lecture with a reason that its bookers will see."""
    event = get_lecture_or_404(event_id)
    require_organizer_of(event.program)
    form = CancelLectureForm()
    if form.validate_on_submit():
        lectures.cancel_lecture(event, form.reason.data, now=now_utc())
        db.session.commit()
        flash(_("The lecture is cancelled. People who booked will see the reason."), "info")
        return redirect(url_for(".manage"))
    return render_template("lectures/cancel.html", form=form, event=event)


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
    return render_template("lectures/bookings.html", event=event, confirmed=confirmed, waiting=waiting)
