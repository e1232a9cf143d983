"""The lecture team (蒲公英宣讲队) at /lecture-team/: talks and volunteer openings, signing
up for roles, joining the team, one's service record and the honour board; for
organizers: applications, talks and roles, who served, adjustments and redemptions."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import (
    Event, OutcomeStatus, PointsRule, Program, ProgramKind, Role, Series, ShiftRole, User, Venue, db,
)
from services import audiences, capacity, membership, points, rewards, shifts, talks
from services.dates import format_when, local_datetime, now_utc, to_local
from services.errors import (
    LinliError, NotEnoughPoints, ReasonRequired, RoleNameTaken, SlotsBelowTaken, StillHoldsShifts,
)
from services.venues import can_share_rooms

from .. import event_pages
from ..common import (
    ConfirmForm, flash_error, next_or, page_arg, redirect_next, render_confirmation, require_organizer_of,
    role_required,
)
from ..event_forms import show_error
from ..weekly_forms import fill_venue_choices, series_choices
from .forms import (
    AdjustForm, ApplyForm, CancelTalkForm, DeclineForm, NewTalkForm, OutcomeForm, RedeemForm, ReleaseForm,
    RoleForm, SignUpForm, TalkForm, to_minutes,
)

bp = Blueprint("lecture_team", __name__, url_prefix="/lecture-team")

PAST_SHIFTS_SHOWN = 30
LEDGER_LINES_SHOWN = 100
HONOUR_YEARS_SHOWN = 5


@bp.app_template_filter("hours")
def hours_filter(minutes: int | None) -> str:
    """Minutes as hours with at most one decimal: 90 → "1.5", 120 → "2"."""
    return f"{(minutes or 0) / 60:.1f}".removesuffix(".0")


@bp.app_template_filter("signed")
def signed_filter(number: int | str) -> str:
    """A change with its sign: +15, −10 (a true minus sign), 0."""
    text = str(number)
    if text.startswith("-"):
        return "−" + text[1:]
    return text if text in ("0", "0.0") else "+" + text


# --- loading ---------------------------------------------------------------------------


def team_or_404() -> Program:
    """The lecture-team program, or 404 when the site has none."""
    team = talks.team_program()
    if team is None:
        abort(404)
    return team


def event_or_404(event_id: int) -> Event:
    """A talk or an event with volunteer roles, or 404."""
    event = talks.get_event(event_id)
    if event is None or not (current_user.is_authenticated and current_user.has_role(Role.VOLUNTEER)
                             or audiences.may_see(event, current_user)):
        abort(404)  # volunteers serve at events for a group too; others see only their own
    return event


def talk_or_404(event_id: int) -> Event:
    """A lecture-team talk, or 404."""
    event = talks.get_any_event(event_id)
    if event is None or not talks.is_talk(event):
        abort(404)
    return event


def managed_event_or_404(event_id: int) -> Event:
    """Any event, for an organizer of its program (403 for others)."""
    event = talks.get_any_event(event_id)
    if event is None:
        abort(404)
    require_organizer_of(event.program)
    return event


def role_or_404(role_id: int) -> ShiftRole:
    role = shifts.get_role(role_id)
    if role is None:
        abort(404)
    return role


def shift_or_404(booking_id: int):
    """A shift booking and its role (a seat booking is a 404 here)."""
    found = shifts.get_shift(booking_id)
    if found is None:
        abort(404)
    return found


def person_or_404(team: Program, user_id: int) -> User:
    """Someone who applied to the team or has a service record, or 404."""
    user = db.session.get(User, user_id)
    if user is None or not points.has_record(team, user.id):
        abort(404)
    return user


# --- for everyone --------------------------------------------------------------------------


@bp.route("/")
def index():
    """Coming talks and other events' volunteer openings, with each role's slots left."""
    team = team_or_404()
    now = now_utc()
    themes = team.current_series  # retired themes are no filter
    chosen = request.args.get("theme")
    theme = next((s for s in themes if s.slug == chosen), None)
    other = chosen == talks.OTHER
    openings = talks.openings_query(team, now=now, theme=theme, other=other)
    if not (current_user.is_authenticated and current_user.has_role(Role.VOLUNTEER)):
        openings = openings.where(audiences.visible_to(current_user))  # volunteers see every shift
    page = db.paginate(
        openings,
        page=page_arg(), per_page=current_app.config["LECTURES_PER_PAGE"], error_out=False,
    )
    events = page.items
    roles = shifts.roles_by_event(e.id for e in events)
    quota_ids = [role.quota_id for event_roles in roles.values() for role in event_roles]
    return render_template(
        "lecture_team/index.html", team=team, themes=themes, theme=theme, other=other, page=page,
        events=events, roles=roles, waiting=capacity.waiting_counts(quota_ids),
        mine=shifts.my_shifts_by_quota(current_user, quota_ids),
        membership=membership.latest_membership(team, current_user),
        can_manage=team.is_organized_by(current_user), now=now,
    )


@bp.route("/events/<int:event_id>")
def event(event_id: int):
    """One talk (or another event's openings): its roles, who holds them, signing up."""
    event = event_or_404(event_id)
    now = now_utc()
    roles = shifts.roles_by_event([event.id])[event.id]
    holders = shifts.holders_by_quota(role.quota_id for role in roles)
    mine, positions = {}, {}
    if current_user.is_authenticated:
        for quota_id, (confirmed, waiting) in holders.items():
            for booking in confirmed + waiting:
                if booking.user_id == current_user.id:
                    mine[quota_id] = booking
            for number, booking in enumerate(waiting, start=1):
                positions[booking.id] = number
    can_manage = event.program.is_organized_by(current_user)
    sees_names = current_user.is_authenticated and (
        current_user.has_role(Role.VOLUNTEER) or current_user.has_role(Role.ORGANIZER)
    )
    return render_template(
        "lecture_team/event.html", event=event, roles=roles, holders=holders, mine=mine,
        positions=positions, now=now, can_manage=can_manage, sees_names=sees_names,
        may_take=shifts.can_take_shifts_at(event, current_user), is_talk=talks.is_talk(event),
        sign_up_form=SignUpForm(), confirm_form=ConfirmForm(),
    )


@bp.route("/roles/<int:role_id>/sign-up", methods=["GET"])
@login_required
def confirm_sign_up(role_id: int):
    """Ask before a sign-up that can't be withdrawn any more: its withdrawal deadline has passed."""
    role = role_or_404(role_id)
    event = role.event
    back = url_for(".event", event_id=event.id, _anchor=f"role-{role.id}")
    closes = role.withdraw_closes_at(event)
    waitlist = request.args.get("waitlist") == "y"
    return render_confirmation(
        title=_("Sign up as %(role)s?", role=role.display_name),
        consequences=[
            _("Withdrawing closed on %(when)s. Once you sign up you can’t withdraw yourself: if you then can’t come, you must call an organizer.", when=format_when(closes)),
        ],
        action=url_for(".sign_up", role_id=role.id), button=_("Yes, sign me up"), keep=_("Not now"),
        back=back, subject=event.display_title, when=format_when(event.starts_at, "full"), danger=False,
        hidden={"waitlist": "y"} if waitlist else None,
    )


@bp.route("/roles/<int:role_id>/sign-up", methods=["POST"])
@login_required
def sign_up(role_id: int):
    """Take a slot in a role, or join the role's waiting list when it is full."""
    role = role_or_404(role_id)
    form = SignUpForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        booking = shifts.sign_up(role, current_user, now=now_utc(), waitlist=form.waitlist.data)
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for(".event", event_id=role.event_id))
    position = capacity.waitlist_position(booking)
    db.session.commit()
    if booking.is_confirmed:
        flash(_("You are signed up as %(role)s. Thank you!", role=role.display_name), "success")
    else:
        flash(_("You are number %(position)s on the waiting list for %(role)s. If a slot frees up, it is yours automatically.",
                position=position, role=role.display_name), "info")
    return redirect(url_for(".event", event_id=role.event_id))


@bp.route("/shifts/<int:booking_id>/withdraw", methods=["GET"])
@login_required
def confirm_withdraw(booking_id: int):
    """Ask before giving up a shift or a place on a role's waiting list, saying who gets it."""
    booking, role = shift_or_404(booking_id)
    if booking.user_id != current_user.id:
        abort(404)
    back = next_or(url_for(".me"))
    if not booking.is_active:
        flash(_("You had already withdrawn."), "info")
        return redirect(back)
    event = booking.event
    preview = shifts.preview_withdrawal(booking, now=now_utc())
    if booking.is_waitlisted:
        title, button, keep = _("Leave the waiting list?"), _("Yes, leave the waiting list"), _("No, stay on the waiting list")
        line = _("You will lose your place on the waiting list for %(role)s (number %(position)s). If you join again, you go to the end of the list.",
                 role=role.display_name, position=preview.position)
    else:
        title, button, keep = _("Withdraw from %(role)s?", role=role.display_name), _("Yes, withdraw"), _("No, keep my role")
        if preview.gives_seat_away:
            line = _("Your place as %(role)s will go at once to number %(number)s on its waiting list. You can’t get it back.",
                     role=role.display_name, number=preview.next_in_line)
        else:
            line = _("Your place as %(role)s will be free for another volunteer to take.", role=role.display_name)
    return render_confirmation(
        title=title, consequences=[line], button=button, keep=keep, back=back,
        action=url_for(".withdraw", booking_id=booking.id, next=back),
        subject=event.display_title, when=format_when(event.starts_at, "full"),
        refusal=str(preview.refusal) if preview.refusal else None,
    )


@bp.route("/shifts/<int:booking_id>/withdraw", methods=["POST"])
@login_required
def withdraw(booking_id: int):
    """Give up my shift (until the cutoff) or my place on a role's waiting list."""
    booking, role = shift_or_404(booking_id)
    if booking.user_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not booking.is_active:
        flash(_("You had already withdrawn."), "info")
        return redirect_next(".me")
    was_waiting = booking.is_waitlisted
    try:
        shifts.withdraw(booking, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("You have left the waiting list.") if was_waiting
              else _("You have withdrawn from %(role)s.", role=role.display_name), "info")
    return redirect_next(".me")


@bp.route("/join", methods=["GET", "POST"])
@login_required
def join():
    """Apply to join the lecture team with a short note."""
    team = team_or_404()
    current = membership.latest_membership(team, current_user)
    form = ApplyForm()
    if form.validate_on_submit():
        try:
            membership.apply_to_join(team, current_user, form.note.data, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            flash_error(error)
        else:
            db.session.commit()
            flash(_("Your application is sent. An organizer will look at it soon."), "success")
        return redirect(url_for(".index"))
    return render_template("lecture_team/join.html", team=team, form=form, current=current)


@bp.route("/leave", methods=["GET"])
@login_required
def confirm_leave():
    """Ask before leaving the team or withdrawing an application, saying what stays and what goes."""
    team = team_or_404()
    mine = membership.open_membership(team.id, current_user.id)
    back = url_for(".me")
    if mine is None:
        return redirect(url_for(".index"))
    if mine.is_active:
        title, button = _("Leave %(team)s?", team=team.name), _("Yes, leave the team")
        lines = [_("You will no longer be able to take the team’s roles. Your service hours and points stay on record, and you can apply again later.")]
        count = membership.coming_shift_count(current_user.id, now=now_utc())
        refusal = str(StillHoldsShifts(count=count)) if count else None
    else:
        title, button = _("Withdraw your application?"), _("Yes, withdraw my application")
        lines = [_("The organizers will no longer see your application. You can apply again later.")]
        refusal = None
    return render_confirmation(
        title=title, consequences=lines, button=button, keep=_("No, stay"), back=back,
        action=url_for(".leave"), refusal=refusal,
    )


@bp.route("/leave", methods=["POST"])
@login_required
def leave():
    """Leave the team, or withdraw a waiting application."""
    team = team_or_404()
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        left = membership.leave(team, current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for(".me"))
    db.session.commit()
    if left.decided_at is None:
        flash(_("Your application is withdrawn."), "info")
    else:
        flash(_("You have left %(team)s. Thank you for your service!", team=team.name), "info")
    return redirect(url_for(".index"))


@bp.route("/me")
@login_required
def me():
    """My volunteer page: coming shifts, past service with hours, points history and balance."""
    team = team_or_404()
    now = now_utc()
    coming = shifts.shifts_of(current_user, now=now)
    ledger = points.ledger_of(current_user, limit=LEDGER_LINES_SHOWN)
    last = ledger[0][0] if ledger else None
    return render_template(
        "lecture_team/me.html", team=team, now=now, coming=coming,
        past=shifts.shifts_of(current_user, now=now, past=True, limit=PAST_SHIFTS_SHOWN),
        positions=capacity.waitlist_positions(booking for booking, _, _ in coming),
        ledger=ledger, totals=points.Totals(last.minutes_total, last.points_balance) if last else points.Totals(),
        membership=membership.latest_membership(team, current_user), confirm_form=ConfirmForm(),
    )


@bp.route("/honour-board")
@login_required
def honour_board():
    """The honour board (光荣榜): most hours served this month and this year, and the
    honours the community awarded (孝善之星, 身边榜样 …) by year."""
    team = team_or_404()
    now = now_utc()
    return render_template("lecture_team/honour_board.html", team=team, board=points.honour_board(now=now),
                           local_now=to_local(now), honours=rewards.honours_by_year(years=HONOUR_YEARS_SHOWN))


# --- organizers: the team ------------------------------------------------------------------


@bp.route("/manage")
@role_required(Role.ORGANIZER)
def manage():
    """Organizers' overview: applications, coming talks, shifts to confirm, other events."""
    team = team_or_404()
    now = now_utc()
    organized = talks.programs_organized_by(current_user)
    runs_team = any(p.id == team.id for p in organized)
    coming = talks.coming_events([team], now=now) if runs_team else []
    others = talks.coming_events([p for p in organized if p.id != team.id], now=now, limit=10)
    to_confirm = talks.past_events_with_shifts(organized, now=now)
    roles = shifts.roles_by_event([e.id for e in coming + others])
    return render_template(
        "lecture_team/manage.html", team=team, runs_team=runs_team, coming=coming, others=others,
        roles=roles, to_confirm=to_confirm, unconfirmed=shifts.unconfirmed_counts(e.id for e in to_confirm),
        pending=membership.pending_applications(team) if runs_team else [], now=now,
    )


def _render_applications(team: Program, failed: int | None = None, failed_form: DeclineForm | None = None):
    pending = membership.pending_applications(team)
    forms = {
        m.id: failed_form if m.id == failed else DeclineForm(formdata=None, prefix=f"m{m.id}") for m in pending
    }
    return render_template("lecture_team/applications.html", team=team, pending=pending, forms=forms,
                           approve_form=ConfirmForm())


@bp.route("/applications")
@role_required(Role.ORGANIZER)
def applications():
    """Applications waiting for a decision."""
    team = team_or_404()
    require_organizer_of(team)
    return _render_applications(team)


def _application_or_404(team: Program, membership_id: int):
    found = membership.get_membership(team, membership_id)
    if found is None:
        abort(404)
    return found


@bp.route("/applications/<int:membership_id>/approve", methods=["POST"])
@role_required(Role.ORGANIZER)
def approve(membership_id: int):
    """Accept an application: the applicant becomes a member and a volunteer."""
    team = team_or_404()
    require_organizer_of(team)
    application = _application_or_404(team, membership_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        membership.approve(application, current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("%(name)s is now a member of the team.", name=application.user.display_name), "success")
    return redirect(url_for(".applications"))


@bp.route("/applications/<int:membership_id>/decline", methods=["POST"])
@role_required(Role.ORGANIZER)
def decline(membership_id: int):
    """Turn an application down with a reason the applicant will see."""
    team = team_or_404()
    require_organizer_of(team)
    application = _application_or_404(team, membership_id)
    form = DeclineForm(prefix=f"m{application.id}")
    if not form.validate_on_submit():
        return _render_applications(team, failed=application.id, failed_form=form)
    try:
        membership.decline(application, current_user, form.reason.data, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("The application of %(name)s is declined.", name=application.user.display_name), "info")
    return redirect(url_for(".applications"))


@bp.route("/members")
@role_required(Role.ORGANIZER)
def members():
    """The team's members with their hours and points."""
    team = team_or_404()
    require_organizer_of(team)
    return render_template("lecture_team/members.html", team=team, rows=points.members_with_totals(team))


def _render_person(team: Program, user: User, adjust_form=None, redeem_form=None):
    ledger = points.ledger_of(user, limit=LEDGER_LINES_SHOWN)
    last = ledger[0][0] if ledger else None
    return render_template(
        "lecture_team/person.html", team=team, person=user, ledger=ledger,
        totals=points.Totals(last.minutes_total, last.points_balance) if last else points.Totals(),
        membership=membership.latest_membership(team, user),
        adjust_form=adjust_form or AdjustForm(formdata=None, prefix="adjust"),
        redeem_form=redeem_form or RedeemForm(formdata=None, prefix="redeem"),
    )


@bp.route("/people/<int:user_id>")
@role_required(Role.ORGANIZER)
def person(user_id: int):
    """A volunteer's service record, with forms to adjust it and record redemptions."""
    team = team_or_404()
    require_organizer_of(team)
    return _render_person(team, person_or_404(team, user_id))


@bp.route("/people/<int:user_id>/adjust", methods=["POST"])
@role_required(Role.ORGANIZER)
def adjust(user_id: int):
    """Add or take away hours and points, with a reason."""
    team = team_or_404()
    require_organizer_of(team)
    user = person_or_404(team, user_id)
    form = AdjustForm(prefix="adjust")
    if form.validate_on_submit():
        try:
            points.adjust(user, minutes=to_minutes(form.hours.data) or 0, points=form.points.data or 0,
                          reason=form.reason.data, organizer=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.hours.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The change is recorded."), "success")
            return redirect(url_for(".person", user_id=user.id))
    return _render_person(team, user, adjust_form=form)


@bp.route("/people/<int:user_id>/redeem", methods=["POST"])
@role_required(Role.ORGANIZER)
def redeem(user_id: int):
    """Record points exchanged (积分兑换), with what was given."""
    team = team_or_404()
    require_organizer_of(team)
    user = person_or_404(team, user_id)
    form = RedeemForm(prefix="redeem")
    if form.validate_on_submit():
        try:
            points.redeem(user, points=form.points.data, reason=form.reason.data, organizer=current_user,
                          now=now_utc())
        except NotEnoughPoints as error:
            db.session.rollback()
            form.points.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(points)s points exchanged.", points=form.points.data), "success")
            return redirect(url_for(".person", user_id=user.id))
    return _render_person(team, user, redeem_form=form)


# --- organizers: talks ------------------------------------------------------------------------


def _fill_talk_choices(form: TalkForm, team: Program, event: Event | None = None) -> None:
    """Current themes and venues in use, keeping the talk's own even if retired."""
    form.theme_id.choices = series_choices(team, keep_id=event.series_id if event else None)
    fill_venue_choices(form.venue_id, keep_id=event.venue_id if event else None)


def _talk_details(form: TalkForm, team: Program) -> talks.TalkDetails:
    theme = db.session.get(Series, form.theme_id.data) if form.theme_id.data else None
    venue = db.session.get(Venue, form.venue_id.data) if form.venue_id.data else None
    return talks.TalkDetails(
        title=form.title.data, theme=theme if theme is not None and theme.program_id == team.id else None,
        venue=venue, new_place=form.new_place.data or "", summary=form.summary.data or "",
        starts_at=local_datetime(form.day.data, form.start_time.data),
        ends_at=local_datetime(form.day.data, form.end_time.data),
        share_room=can_share_rooms(current_user) and bool(form.share_room.data),
    )


def _show_talk_error(form: TalkForm, error: LinliError) -> None:
    if not show_error(form, error):
        form.day.errors = [*form.day.errors, str(error)]


@bp.route("/talks/new", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def new_talk():
    """Create a talk with its roles (主讲 1, 主持 1, 摄影 1, 场务 2, 签到 1 to start with)."""
    team = team_or_404()
    require_organizer_of(team)
    form = NewTalkForm()
    _fill_talk_choices(form, team)
    if request.method == "GET":
        form.fill_default_roles()
    if form.validate_on_submit():
        specs = [
            shifts.RoleSpec(line.form.name.data, line.form.slots.data)
            for line in form.roles if line.form.name.data and (line.form.slots.data or 0) > 0
        ]
        try:
            event = talks.create_talk(team, _talk_details(form, team), specs, actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            _show_talk_error(form, error)
        else:
            db.session.commit()
            flash(_("The talk is created. Members can now sign up for its roles."), "success")
            return redirect(url_for(".event", event_id=event.id))
    return render_template("lecture_team/talk_form.html", form=form, team=team, event=None,
                           may_share=can_share_rooms(current_user))


@bp.route("/events/<int:event_id>/edit", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def edit_talk(event_id: int):
    """Edit a talk; a new time must not make any holder's shifts overlap."""
    event = talk_or_404(event_id)
    require_organizer_of(event.program)
    form = TalkForm(obj=event)
    _fill_talk_choices(form, event.program, event)
    if request.method == "GET":
        form.theme_id.data = event.series_id or 0
        form.venue_id.data = event.venue_id or 0
        form.day.data = to_local(event.starts_at).date()
        form.start_time.data = to_local(event.starts_at).time()
        form.end_time.data = to_local(event.ends_at).time()
    if form.validate_on_submit():
        try:
            edit = talks.update_talk(event, _talk_details(form, event.program), actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            _show_talk_error(form, error)
        else:
            db.session.commit()
            flash(_("The talk is saved."), "success")
            if edit.shared_with:
                flash(_("It shares the room with: %(events)s.", events="、".join(e.display_title for e in edit.shared_with)), "info")
            return redirect(url_for(".event", event_id=event.id))
    return render_template("lecture_team/talk_form.html", form=form, team=event.program, event=event,
                           may_share=can_share_rooms(current_user))


@bp.route("/events/<int:event_id>/cancel", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def cancel_talk(event_id: int):
    """Cancel a talk with a reason its volunteers will see."""
    event = talk_or_404(event_id)
    require_organizer_of(event.program)
    return event_pages.cancel_event_page(
        event, CancelTalkForm(), template="lecture_team/cancel.html", done_url=url_for(".event", event_id=event.id),
        done=_("The talk is cancelled. Its volunteers will see the reason."),
    )


# --- organizers: roles at any event ----------------------------------------------------------------


def _role_spec(form: RoleForm) -> shifts.RoleSpec:
    return shifts.RoleSpec(
        name=form.name.data, slots=form.slots.data, points_rule=PointsRule(form.points_rule.data),
        points=form.points.data, credit_minutes=to_minutes(form.credit_hours.data),
        withdraw_cutoff_minutes=form.withdraw_cutoff_hours.data * 60,
    )


def _role_form(role: ShiftRole) -> RoleForm:
    form = RoleForm(formdata=None, prefix=f"r{role.id}")
    form.name.data, form.slots.data = role.name, role.slots.capacity
    form.points.data, form.points_rule.data = role.points, role.points_rule.value
    form.credit_hours.data = None if role.credit_minutes is None else (role.credit_minutes / 60)
    form.withdraw_cutoff_hours.data = role.withdraw_cutoff_minutes // 60
    return form


def _render_roles(event: Event, add_form: RoleForm | None = None, failed: int | None = None,
                  failed_form: RoleForm | None = None):
    roles = shifts.roles_by_event([event.id])[event.id]
    forms = {role.id: failed_form if role.id == failed else _role_form(role) for role in roles}
    return render_template(
        "lecture_team/roles.html", event=event, roles=roles, forms=forms,
        add_form=add_form or RoleForm(formdata=None, prefix="new"), remove_form=ConfirmForm(),
        is_talk=talks.is_talk(event), is_lecture=event.program.kind is ProgramKind.LECTURE_SERIES,
    )


@bp.route("/events/<int:event_id>/roles", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
def roles(event_id: int):
    """The volunteer roles of any event (a talk, a Wednesday lecture, a performance); add one."""
    event = managed_event_or_404(event_id)
    form = RoleForm(prefix="new")
    if form.validate_on_submit():
        try:
            shifts.add_role(event, _role_spec(form), now=now_utc())
        except RoleNameTaken as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The role %(role)s is added.", role=form.name.data), "success")
            return redirect(url_for(".roles", event_id=event.id))
    return _render_roles(event, add_form=form if request.method == "POST" else None)


@bp.route("/roles/<int:role_id>/edit", methods=["POST"])
@role_required(Role.ORGANIZER)
def edit_role(role_id: int):
    """Change a role's name, slots or earning rule; more slots move waiting people up."""
    role = role_or_404(role_id)
    require_organizer_of(role.event.program)
    form = RoleForm(prefix=f"r{role.id}")
    if form.validate_on_submit():
        try:
            promoted = shifts.update_role(role, _role_spec(form), now=now_utc())
        except RoleNameTaken as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        except SlotsBelowTaken as error:
            db.session.rollback()
            form.slots.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The role %(role)s is saved.", role=role.display_name), "success")
            if promoted:
                flash(_("%(count)s people moved up from the waiting list.", count=len(promoted)), "info")
            return redirect(url_for(".roles", event_id=role.event_id))
    return _render_roles(role.event, failed=role.id, failed_form=form)


@bp.route("/roles/<int:role_id>/remove", methods=["POST"])
@role_required(Role.ORGANIZER)
def remove_role(role_id: int):
    """Remove a role nobody has signed up for."""
    role = role_or_404(role_id)
    require_organizer_of(role.event.program)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    event_id, name = role.event_id, role.display_name
    try:
        shifts.remove_role(role)
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("The role %(role)s is removed.", role=name), "info")
    return redirect(url_for(".roles", event_id=event_id))


# --- organizers: who holds the shifts, who served -------------------------------------------------


def _render_roster(event: Event, failed: int | None = None, failed_form=None):
    now = now_utc()
    roles = shifts.roles_by_event([event.id])[event.id]
    quota_ids = [role.quota_id for role in roles]
    holders = shifts.holders_by_quota(quota_ids)
    held = [b for confirmed, _ in holders.values() for b in confirmed]
    outcomes = shifts.outcomes_by_booking(b.id for b in held)
    started = event.has_started(now)
    forms = {}
    for role in roles:
        confirmed, waiting = holders[role.quota_id]
        for booking in confirmed + (waiting if not started else []):
            if booking.id == failed:
                forms[booking.id] = failed_form
            elif started:
                form = OutcomeForm(formdata=None, prefix=f"o{booking.id}")
                outcome = outcomes.get(booking.id)
                minutes = outcome.minutes if outcome and outcome.is_served else role.default_minutes(event)
                form.hours.data = minutes / 60
                forms[booking.id] = form
            else:
                forms[booking.id] = ReleaseForm(formdata=None, prefix=f"b{booking.id}")
    return render_template(
        "lecture_team/roster.html", event=event, roles=roles, holders=holders, outcomes=outcomes,
        released=shifts.released_by_quota(quota_ids), forms=forms, started=started, now=now,
    )


@bp.route("/events/<int:event_id>/shifts")
@role_required(Role.ORGANIZER)
def roster(event_id: int):
    """Who holds each role (with phone numbers) and who waits; after the start, who served."""
    return _render_roster(managed_event_or_404(event_id))


@bp.route("/shifts/<int:booking_id>/release", methods=["POST"])
@role_required(Role.ORGANIZER)
def release(booking_id: int):
    """Let a volunteer go from a shift (also after the cutoff), with a reason."""
    booking, role = shift_or_404(booking_id)
    require_organizer_of(booking.event.program)
    form = ReleaseForm(prefix=f"b{booking.id}")
    if not form.validate_on_submit():
        return _render_roster(booking.event, failed=booking.id, failed_form=form)
    try:
        promoted = shifts.release(booking, current_user, form.reason.data, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("%(name)s is released from %(role)s.", name=booking.user.display_name, role=role.display_name), "info")
        for moved in promoted:
            flash(_("%(name)s moved up from the waiting list.", name=moved.user.display_name), "info")
    return redirect(url_for(".roster", event_id=booking.event_id))


@bp.route("/shifts/<int:booking_id>/outcome", methods=["POST"])
@role_required(Role.ORGANIZER)
def record_outcome(booking_id: int):
    """Record that a volunteer served (crediting hours and points) or didn't show up."""
    booking, role = shift_or_404(booking_id)
    require_organizer_of(booking.event.program)
    form = OutcomeForm(prefix=f"o{booking.id}")
    if not form.validate_on_submit():
        return _render_roster(booking.event, failed=booking.id, failed_form=form)
    status = OutcomeStatus(form.status.data)
    try:
        entry = points.record_outcome(booking, status, current_user, now=now_utc(),
                                      minutes=to_minutes(form.hours.data), reason=form.reason.data or "")
    except ReasonRequired as error:
        db.session.rollback()
        form.reason.errors.append(str(error))
        return _render_roster(booking.event, failed=booking.id, failed_form=form)
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for(".roster", event_id=booking.event_id))
    db.session.commit()
    name = booking.user.display_name
    if status is OutcomeStatus.NO_SHOW:
        flash(_("%(name)s is recorded as a no-show.", name=name), "info")
    elif entry is None:
        flash(_("This was already recorded; nothing changed."), "info")
    else:
        flash(_("%(name)s served. Service record: %(hours)s hours, %(points)s points.", name=name,
                hours=signed_filter(hours_filter(entry.minutes)), points=signed_filter(entry.points)), "success")
    return redirect(url_for(".roster", event_id=booking.event_id))
