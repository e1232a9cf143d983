"""The views every program kind shares for managing its events: editing one event,
laying out a schedule (checking its dates first), copying one, cancelling an event or
what is left of a schedule. Each blueprint's route loads what it needs (or 404s), checks
who may, and hands over to one of these, so the rules and the messages are the same for
lectures, talks, troupes and youth classes."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from flask import flash, redirect, render_template, request
from flask_babel import gettext as _
from flask_login import current_user

from models import Event, Program, WeeklySchedule, db
from services import booking as booking_service
from services import events, schedules
from services.dates import format_day, now_utc
from services.errors import LinliError, RoomSharingNotAllowed, VenueTaken
from services.venues import can_share_rooms

from .common import flash_error
from .event_forms import changes_from, fill_from_event, show_error
from .weekly_forms import ScheduleCancelForm, chosen_venue


def edit_event_page(event: Event, form, *, template: str, done_url: str, saved: str,
                    extra: Callable[[object], dict] | None = None, **context):
    """Show ``event`` in ``form`` and save the changes through the one edit path
    (:func:`services.events.edit_event`); ``extra`` gives the kind's own fields."""
    may_share = can_share_rooms(current_user)
    if request.method == "GET":
        fill_from_event(form, event)
    if form.validate_on_submit():
        changes = changes_from(form, event, may_share=may_share, **(extra(form) if extra else {}))
        try:
            edit = events.edit_event(event, changes, actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            if not show_error(form, error):
                flash_error(error)
        else:
            holders = booking_service.active_count(event) if edit.is_moved else 0
            db.session.commit()
            flash(saved, "success")
            if edit.promoted:
                flash(_("%(count)s people moved up from the waiting list.", count=len(edit.promoted)), "info")
            if holders:
                flash(_("%(count)s people who booked keep their places. Please let them know the new time and place.",
                        count=holders), "info")
            if edit.shared_with:
                flash(_("It shares the room with: %(events)s.", events="、".join(e.display_title for e in edit.shared_with)), "info")
            return redirect(done_url)
    return render_template(template, form=form, event=event, may_share=may_share, **context)


def cancel_event_page(event: Event, form, *, template: str, done_url: str, done: str, **context):
    """Cancel ``event`` with the reason on ``form`` (its bookings are cancelled with it)."""
    if form.validate_on_submit():
        try:
            events.cancel_event(event, form.reason.data, actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            flash_error(error)
        else:
            db.session.commit()
            flash(done, "info")
            return redirect(done_url)
    return render_template(template, form=form, event=event, **context)


def plan_from(form, **extra) -> schedules.WeeklyPlan:
    """The weekly plan on a layout form (weekdays, times, days, place, days left out or held)."""
    plan = schedules.WeeklyPlan(
        title=form.title.data, weekdays=frozenset(form.weekdays.data), start_time=form.start_time.data,
        end_time=form.end_time.data, first_day=form.first_day.data, last_day=form.last_day.data,
        venue=chosen_venue(form.venue_id), skip_days=getattr(form, "parsed_skip_days", frozenset()),
        include_days=form.include_days.data or frozenset(),
        share_room=can_share_rooms(current_user) and bool(form.share_room.data),
    )
    if hasattr(form, "capacity"):
        plan = replace(plan, capacity=form.capacity.data, booking_cutoff_minutes=form.booking_cutoff_minutes.data)
    return replace(plan, **extra)


def copied_schedule(program: Program, schedule_id) -> WeeklySchedule | None:
    """The program's schedule a new one copies (from ``?copy=`` or the form), or None."""
    try:
        schedule = schedules.get_schedule(int(schedule_id)) if schedule_id else None
    except (TypeError, ValueError, OverflowError):
        return None
    return schedule if schedule is not None and schedule.program_id == program.id else None


def prefill_copy(form, program: Program) -> WeeklySchedule | None:
    """Fill a new layout form with the layout of the schedule named by ``?copy=``: the same
    weekdays, times, place and places, a week after it ended."""
    source = copied_schedule(program, request.args.get("copy"))
    if source is None:
        return None
    plan = schedules.copy_plan(source, schedules.next_term_start(source, now=now_utc()))
    form.title.data = plan.title
    form.weekdays.data = sorted(plan.weekdays)
    form.start_time.data, form.end_time.data = plan.start_time, plan.end_time
    form.first_day.data, form.last_day.data = plan.first_day, plan.last_day
    form.venue_id.data = plan.venue.id if plan.venue else 0
    if hasattr(form, "capacity"):
        form.capacity.data, form.booking_cutoff_minutes.data = plan.capacity, plan.booking_cutoff_minutes
    form.copy_of.data = str(source.id)
    return source


def layout_page(program: Program, form, *, create, template: str, done_url: str,
                created: Callable[[int], str], copies_series: bool = False,
                extra: Callable[[object], dict] | None = None, **context):
    """Lay out a schedule in two steps: "check the dates" shows what would be created and
    which days are left out and why (holidays can be ticked to hold anyway), and "create"
    calls ``create(program, plan, actor=, now=)``."""
    layout, source = None, None
    if request.method == "GET":
        source = prefill_copy(form, program)
    elif form.validate_on_submit():
        source = copied_schedule(program, form.copy_of.data)
        plan = plan_from(form, **(extra(form) if extra else {}))
        if source is not None and copies_series and not plan.series_pattern:
            plan = replace(plan, series_pattern=schedules.series_pattern(source))
        now = now_utc()
        try:
            layout = schedules.plan_layout(program, plan, now=now)
            if form.wants_to_create:
                schedule = create(program, plan, actor=current_user, now=now)
                db.session.commit()
                flash(created(len(schedule.events)), "success")
                if layout.skipped:
                    flash(_("Left out: %(days)s.", days="；".join(
                        f"{format_day(off.day)} {off.reason}" for off in layout.skipped)), "info")
                return redirect(done_url)
        except LinliError as error:
            db.session.rollback()
            if isinstance(error, (VenueTaken, RoomSharingNotAllowed)):
                form.venue_id.errors = [*form.venue_id.errors, str(error)]
            else:
                flash_error(error)
    return render_template(template, form=form, layout=layout, program=program, source=source,
                           may_share=can_share_rooms(current_user), **context)


def cancel_schedule_page(schedule: WeeklySchedule, *, template: str, done_url: str, **context):
    """Cancel what is left of a term or schedule in one step, with a reason."""
    form = ScheduleCancelForm()
    now = now_utc()
    if form.validate_on_submit():
        try:
            cancellation = schedules.cancel_schedule(schedule, form.reason.data, actor=current_user, now=now)
        except LinliError as error:
            db.session.rollback()
            flash_error(error)
        else:
            db.session.commit()
            flash(_("%(events)s events are cancelled and %(bookings)s bookings with them. People who booked will see the reason.",
                    events=len(cancellation.events), bookings=len(cancellation.bookings)), "info")
            return redirect(done_url)
    coming = [e for e in schedule.events if not e.is_cancelled and not e.has_started(now)]
    return render_template(template, form=form, schedule=schedule, coming=coming,
                           booked=sum(e.seats.taken for e in coming), **context)
