"""Troupes (文体队伍): the directory, joining and leaving, rehearsals for members,
performances residents book seats for, and the leader's management pages."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Event, Program, ProgramKind, Troupe, TroupeMembership, WeeklySchedule, db
from services import booking as booking_service
from services import capacity, schedules, troupes
from services.dates import local_datetime, now_utc, to_local
from services.errors import LinliError
from services.venues import can_share_rooms

from .. import event_pages
from ..common import (
    ConfirmForm, book_seat_and_redirect, flash_error, redirect_next, render_confirmation,
    require_organizer_of,
)
from ..event_forms import show_error
from ..weekly_forms import chosen_venue
from .forms import (
    ApplyForm, CancelEventForm, DeclineForm, LeaderForm, PerformanceForm, RehearsalForm,
    RehearsalScheduleForm, SettingsForm,
)

bp = Blueprint("troupes", __name__, url_prefix="/troupes")


def get_troupe_or_404(slug: str) -> tuple[Program, Troupe]:
    """Load a troupe program and its details by slug, or answer 404."""
    program = troupes.get_troupe_program(slug)
    if program is None:
        abort(404)
    return program, troupes.troupe_of(program)


def get_event_or_404(event_id: int) -> Event:
    """Load a troupe's rehearsal or performance, or answer 404."""
    event = troupes.get_troupe_event(event_id, viewer=current_user)
    if event is None:
        abort(404)
    return event


def require_manager(program: Program, troupe: Troupe) -> None:
    """Abort with 403 unless the current user leads or organizes the troupe."""
    if not troupes.can_manage(current_user, program, troupe):
        abort(403)


def get_membership_or_404(program: Program, membership_id: int) -> TroupeMembership:
    """Load a membership of this troupe, or answer 404."""
    membership = db.session.get(TroupeMembership, membership_id)
    if membership is None or membership.program_id != program.id:
        abort(404)
    return membership


# --- residents ----------------------------------------------------------------------


@bp.route("/")
def index():
    """The troupe directory and the coming performances."""
    now = now_utc()
    performances = troupes.upcoming_performances(now=now, limit=10, viewer=current_user)
    return render_template(
        "troupes/index.html", entries=troupes.directory(now=now), performances=performances,
        waiting=capacity.waiting_counts(e.seat_quota_id for e in performances),
        mine=booking_service.bookings_by_event(current_user, [e.id for e in performances]),
    )


@bp.route("/mine")
@login_required
def mine():
    """My troupes: applications, memberships, the troupes I lead, and coming rehearsals."""
    return render_template("troupes/mine.html", mine=troupes.my_troupes(current_user, now=now_utc()))


def render_detail(program: Program, troupe: Troupe, apply_form: ApplyForm):
    """Render a troupe's page (also again with the apply form's errors)."""
    now = now_utc()
    membership = troupes.latest_membership(program, current_user)
    can_manage = troupes.can_manage(current_user, program, troupe)
    sees_rehearsals = can_manage or (membership is not None and membership.is_member)
    performances = troupes.upcoming_performances(now=now, program=program, viewer=current_user)
    return render_template(
        "troupes/detail.html", program=program, troupe=troupe, membership=membership,
        position=troupes.waiting_position(membership) if membership else None,
        members=troupes.member_counts([program.id]).get(program.id, 0),
        schedules=schedules.schedules_of([program.id], now=now),
        performances=performances,
        waiting=capacity.waiting_counts(e.seat_quota_id for e in performances),
        mine=booking_service.bookings_by_event(current_user, [e.id for e in performances]),
        rehearsals=troupes.upcoming_rehearsals([program.id], now=now) if sees_rehearsals else [],
        can_manage=can_manage, apply_form=apply_form, leave_form=ConfirmForm(),
    )


@bp.route("/<slug>")
def detail(slug: str):
    """One troupe: leader, rehearsals, members, performances, and joining."""
    program, troupe = get_troupe_or_404(slug)
    return render_detail(program, troupe, ApplyForm())


@bp.route("/<slug>/apply", methods=["POST"])
@login_required
def apply(slug: str):
    """Apply to join the troupe; the leader decides."""
    program, troupe = get_troupe_or_404(slug)
    form = ApplyForm()
    if not form.validate_on_submit():
        return render_detail(program, troupe, form)
    membership = troupes.apply(program, current_user, note=form.note.data or "", now=now_utc())
    db.session.commit()
    if membership.is_pending:
        flash(_("Your application is sent. The leader will decide soon."), "success")
    else:
        flash(_("You already belong to this troupe or are on its waiting list."), "info")
    return redirect(url_for(".detail", slug=slug))


@bp.route("/<slug>/leave", methods=["GET"])
@login_required
def confirm_leave(slug: str):
    """Ask before leaving the troupe, giving up a waiting place or withdrawing an application."""
    program, _troupe = get_troupe_or_404(slug)
    back = url_for(".detail", slug=slug)
    membership = troupes.active_membership(program.id, current_user.id)
    if membership is None:
        return redirect(back)
    if membership.is_member:
        title, button, keep = _("Leave %(name)s?", name=program.name), _("Yes, leave the troupe"), _("No, stay")
        line = (_("Your place will go at once to the first person on the troupe’s waiting list. To come back, you would apply again.")
                if troupes.gives_place_away(membership) else
                _("You will no longer be a member or see the rehearsals. To come back, you would apply again."))
    elif membership.is_waitlisted:
        title, button, keep = _("Leave the waiting list?"), _("Yes, leave the waiting list"), _("No, stay on the waiting list")
        line = _("You will lose your place on the waiting list (number %(position)s). To come back, you would apply again.",
                 position=troupes.waiting_position(membership))
    else:
        title, button, keep = _("Withdraw your application?"), _("Yes, withdraw my application"), _("No, keep it")
        line = _("The leader will no longer see your application. You can apply again later.")
    return render_confirmation(
        title=title, consequences=[line], button=button, keep=keep, back=back,
        action=url_for(".leave", slug=slug), subject=program.name,
    )


@bp.route("/<slug>/leave", methods=["POST"])
@login_required
def leave(slug: str):
    """Leave the troupe, give up a waiting place, or withdraw an application."""
    program, _troupe = get_troupe_or_404(slug)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    membership = troupes.active_membership(program.id, current_user.id)
    if membership is None:
        flash(_("You are not a member of this troupe."), "info")
        return redirect_next("troupes.detail", slug=slug)
    was_member = membership.is_member
    troupes.leave(membership, now=now_utc())
    db.session.commit()
    flash(_("You have left %(name)s.", name=program.name) if was_member
          else _("Your application is withdrawn."), "info")
    return redirect_next("troupes.detail", slug=slug)


@bp.route("/events/<int:event_id>")
def event(event_id: int):
    """One rehearsal or performance; performances can be booked here."""
    event = get_event_or_404(event_id)
    program, troupe = event.program, troupes.troupe_of(event.program)
    now = now_utc()
    mine = booking_service.bookings_by_event(current_user, [event.id]).get(event.id)
    return render_template(
        "troupes/event.html", event=event, program=program, now=now, mine=mine,
        is_rehearsal=troupes.is_rehearsal(event),
        position=capacity.waitlist_position(mine) if mine else None,
        waiting=capacity.waiting_counts([event.seat_quota_id]).get(event.seat_quota_id, 0),
        refusal=booking_service.booking_refusal(event, now),
        can_manage=troupes.can_manage(current_user, program, troupe),
    )


@bp.route("/events/<int:event_id>/book", methods=["POST"])
def book(event_id: int):
    """Book a seat at a performance, or join its waiting list."""
    event = get_event_or_404(event_id)
    return book_seat_and_redirect(event, troupes.book_performance, url_for(".event", event_id=event.id))


# --- leaders and organizers ---------------------------------------------------------


@bp.route("/<slug>/manage")
@login_required
def manage(slug: str):
    """The leader's page: applications, members, waiting list, rehearsals, performances."""
    program, troupe = get_troupe_or_404(slug)
    require_manager(program, troupe)
    now = now_utc()
    performances = troupes.upcoming_performances(now=now, program=program, viewer=current_user)
    return render_template(
        "troupes/manage.html", program=program, troupe=troupe, roster=troupes.roster(program),
        schedules=schedules.recent_schedules([program.id], now=now), today=to_local(now).date(),
        rehearsals=troupes.upcoming_rehearsals([program.id], now=now, limit=20),
        performances=performances,
        waiting=capacity.waiting_counts(e.seat_quota_id for e in performances),
        approve_form=ConfirmForm(),
    )


@bp.route("/<slug>/members/<int:membership_id>/approve", methods=["POST"])
@login_required
def approve(slug: str, membership_id: int):
    """Accept an application; at the member limit the applicant joins the waiting list."""
    program, troupe = get_troupe_or_404(slug)
    require_manager(program, troupe)
    membership = get_membership_or_404(program, membership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        troupes.approve(membership, by=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for(".manage", slug=slug))
    position = troupes.waiting_position(membership)
    db.session.commit()
    name = membership.user.display_name
    if membership.is_member:
        flash(_("%(name)s is now a member.", name=name), "success")
    else:
        flash(_("The troupe is full: %(name)s is number %(position)s on the waiting list and becomes a member when a place frees up.", name=name, position=position), "info")
    return redirect(url_for(".manage", slug=slug))


@bp.route("/<slug>/members/<int:membership_id>/decline", methods=["GET", "POST"])
@login_required
def decline(slug: str, membership_id: int):
    """Turn an application down with a reason the applicant sees."""
    program, troupe = get_troupe_or_404(slug)
    require_manager(program, troupe)
    membership = get_membership_or_404(program, membership_id)
    form = DeclineForm()
    if form.validate_on_submit():
        try:
            troupes.decline(membership, reason=form.reason.data, by=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            flash_error(error)
        else:
            db.session.commit()
            flash(_("The application of %(name)s is declined.", name=membership.user.display_name), "info")
        return redirect(url_for(".manage", slug=slug))
    return render_template("troupes/decline.html", program=program, membership=membership, form=form)


@bp.route("/<slug>/settings", methods=["GET", "POST"])
@login_required
def settings(slug: str):
    """Rehearsal times and place as the directory shows them, and the member limit."""
    program, troupe = get_troupe_or_404(slug)
    require_manager(program, troupe)
    form = SettingsForm()
    if request.method == "GET":
        form.rehearsal_times.data = troupe.rehearsal_times
        form.rehearsal_place.data = troupe.rehearsal_place
        form.member_limit.data = troupe.member_limit
    if form.validate_on_submit():
        try:
            promoted = troupes.update_settings(
                program, times=form.rehearsal_times.data or "", place=form.rehearsal_place.data or "",
                member_limit=form.member_limit.data, now=now_utc(),
            )
        except LinliError as error:
            db.session.rollback()
            form.member_limit.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The troupe's details are saved."), "success")
            if promoted:
                flash(_("%(count)s people moved up from the waiting list.", count=len(promoted)), "info")
            return redirect(url_for(".manage", slug=slug))
    leader_form = LeaderForm(formdata=None)
    leader_form.phone.data = troupe.leader.phone if troupe.leader else ""
    return render_template(
        "troupes/settings.html", program=program, troupe=troupe, form=form, leader_form=leader_form,
        may_set_leader=program.is_organized_by(current_user),
    )


@bp.route("/<slug>/leader", methods=["POST"])
@login_required
def set_leader(slug: str):
    """Choose the troupe's leader by mobile number (organizers only)."""
    program, troupe = get_troupe_or_404(slug)
    require_organizer_of(program)
    leader_form = LeaderForm()
    if leader_form.validate_on_submit():
        try:
            leader = troupes.set_leader(program, leader_form.phone.data or None)
        except LinliError as error:
            db.session.rollback()
            leader_form.phone.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s now leads %(troupe)s.", name=leader.display_name, troupe=program.name) if leader
                  else _("%(troupe)s has no leader now.", troupe=program.name), "success")
            return redirect(url_for(".settings", slug=slug))
    form = SettingsForm(formdata=None)
    form.rehearsal_times.data = troupe.rehearsal_times
    form.rehearsal_place.data = troupe.rehearsal_place
    form.member_limit.data = troupe.member_limit
    return render_template(
        "troupes/settings.html", program=program, troupe=troupe, form=form, leader_form=leader_form,
        may_set_leader=True,
    )


def get_schedule_or_404(schedule_id: int) -> WeeklySchedule:
    """Load a troupe's rehearsal schedule, or answer 404."""
    schedule = schedules.get_schedule(schedule_id)
    if schedule is None or schedule.program.kind is not ProgramKind.TROUPE:
        abort(404)
    return schedule


@bp.route("/<slug>/rehearsals/new", methods=["GET", "POST"])
@login_required
def new_rehearsals(slug: str):
    """Lay out a rehearsal schedule: weekdays, time and place between two days, holidays
    left out (or a copy of an earlier schedule, with ``?copy=<schedule id>``)."""
    program, troupe = get_troupe_or_404(slug)
    require_manager(program, troupe)
    form = RehearsalScheduleForm()
    if request.method == "GET" and not request.args.get("copy"):
        form.title.data = _("Rehearsal")
    return event_pages.layout_page(
        program, form, create=troupes.add_rehearsals, template="troupes/rehearsals_new.html",
        done_url=url_for(".manage", slug=slug),
        created=lambda count: _("%(count)s rehearsals were added.", count=count),
    )


@bp.route("/schedules/<int:schedule_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_schedule(schedule_id: int):
    """Cancel every rehearsal of a schedule that hasn't taken place, with one reason."""
    schedule = get_schedule_or_404(schedule_id)
    require_manager(schedule.program, troupes.troupe_of(schedule.program))
    return event_pages.cancel_schedule_page(
        schedule, template="troupes/schedule_cancel.html", done_url=url_for(".manage", slug=schedule.program.slug),
    )


@bp.route("/<slug>/performances/new", methods=["GET", "POST"])
@login_required
def new_performance(slug: str):
    """Add a performance or activity residents can book seats for."""
    program, troupe = get_troupe_or_404(slug)
    require_manager(program, troupe)
    form = PerformanceForm()
    may_share = can_share_rooms(current_user)
    if form.validate_on_submit():
        plan = troupes.PerformancePlan(
            title=form.title.data, summary=form.summary.data or "",
            starts_at=local_datetime(form.day.data, form.start_time.data),
            ends_at=local_datetime(form.day.data, form.end_time.data),
            capacity=form.capacity.data, booking_cutoff_minutes=form.booking_cutoff_minutes.data,
            venue=chosen_venue(form.venue_id), share_room=may_share and form.share_room.data,
        )
        try:
            event = troupes.add_performance(program, plan, actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            if not show_error(form, error):
                form.day.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The performance is added. Residents can book seats now."), "success")
            return redirect(url_for(".event", event_id=event.id))
    return render_template("troupes/performance_new.html", program=program, form=form, may_share=may_share)


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit(event_id: int):
    """Change a rehearsal or performance — time, place, seats, title — keeping its bookings."""
    event = get_event_or_404(event_id)
    require_manager(event.program, troupes.troupe_of(event.program))
    is_rehearsal = troupes.is_rehearsal(event)
    return event_pages.edit_event_page(
        event, RehearsalForm() if is_rehearsal else PerformanceForm(), template="troupes/event_edit.html",
        done_url=url_for(".event", event_id=event.id), saved=_("The changes are saved."),
        is_rehearsal=is_rehearsal,
    )


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel(event_id: int):
    """Cancel one rehearsal or performance with a reason members and bookers see."""
    event = get_event_or_404(event_id)
    require_manager(event.program, troupes.troupe_of(event.program))
    return event_pages.cancel_event_page(
        event, CancelEventForm(), template="troupes/cancel.html", done_url=url_for(".manage", slug=event.program.slug),
        done=_("Cancelled. Members and people who booked will see the reason."), is_rehearsal=troupes.is_rehearsal(event),
    )


@bp.route("/events/<int:event_id>/bookings")
@login_required
def bookings(event_id: int):
    """Who booked a performance and who is waiting, with phone numbers."""
    event = get_event_or_404(event_id)
    require_manager(event.program, troupes.troupe_of(event.program))
    roll = troupes.who_booked(event)
    return render_template("troupes/bookings.html", event=event, confirmed=roll[0], waiting=roll[1],
                           held=booking_service.held_at_cancellation(event))
