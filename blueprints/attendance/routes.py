"""Attendance: rosters and check-in at the door, self check-in by QR, exports, dashboard."""
from __future__ import annotations

import io
import re
from datetime import date, datetime, timedelta

import sqlalchemy as sa
from flask import (
    Blueprint, abort, current_app, flash, jsonify, redirect, render_template, request, send_file,
    session, url_for,
)
from flask_babel import format_date, get_locale
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf.csrf import generate_csrf
from markupsafe import Markup
from sqlalchemy.orm import joinedload

from models import AttendanceStatus, Event, Program, Role, db
from services import attendance, checkin, dashboard, exports
from services import roster as roster_service
from services.dates import now_utc, to_local
from services.errors import LinliError

from ..common import ConfirmForm, clean_text, flash_error, require_organizer_of, role_required
from . import charts
from .forms import ExcuseForm, ExportForm, MarkForm, TicketForm, WalkInForm

bp = Blueprint("attendance", __name__, url_prefix="/attendance")

SEARCH_MAX = 40
SCANS_KEY = "checkin_scans"
DASHBOARD_MONTHS = (3, 6, 12)


@bp.app_template_filter("qr_svg")
def qr_svg_filter(text: str, title: str = "") -> Markup:
    """Jinja filter: an inline SVG QR code of ``text`` (ticket numbers on "my bookings")."""
    return Markup(checkin.qr_svg(text, title=title))


@bp.app_template_filter("format_month")
def format_month_filter(month: date) -> str:
    """Jinja filter: a month as residents write it, e.g. 2026年5月 or May 2026."""
    if getattr(get_locale(), "language", "zh") == "zh":
        return f"{month.year}年{month.month}月"
    return format_date(month, "MMM yyyy")


def get_event_or_404(event_id: int) -> Event:
    """Load any program's event with what the pages show, or answer 404."""
    event = db.session.execute(
        sa.select(Event).where(Event.id == event_id)
        .options(joinedload(Event.program), joinedload(Event.venue))
    ).scalar_one_or_none()
    if event is None:
        abort(404)
    return event


def organized_event_or_404(event_id: int) -> Event:
    """Load an event the current user organizes: 404 if there is none, 403 if not theirs."""
    event = get_event_or_404(event_id)
    require_organizer_of(event.program)
    return event


def _wants_json() -> bool:
    """Tell whether the roster's script asked (it sends ``Accept: application/json``)."""
    return request.accept_mimetypes.best == "application/json"


def _search_query() -> str:
    return (clean_text(request.args.get("q", "")) or "")[:SEARCH_MAX]


# --- the organizer's list of events ---------------------------------------------------


DAYS_SHOWN = 7  # a week from the chosen day (today by default)
DAYS_OPEN = 12  # at most this many events show unfolded; more fold into their days


def _day_arg() -> date | None:
    """The ``day`` query argument as a date (bad values mean none)."""
    try:
        return date.fromisoformat(request.args.get("day", ""))
    except ValueError:
        return None


@bp.route("/")
@role_required(Role.ORGANIZER)
def index():
    """Events to take attendance of: today and the coming week of the programs I run (or
    of one program, from a chosen day), the past week folded away, exports at the top."""
    now = now_utc()
    today = to_local(now).date()
    programs = roster_service.programs_organized_by(current_user)
    chosen = next((p for p in programs if p.slug == request.args.get("program")), None)
    first_day = _day_arg() or today
    shown = [chosen] if chosen else programs
    days = roster_service.events_by_day(shown, first_day, first_day + timedelta(days=DAYS_SHOWN - 1))
    past_days = roster_service.events_by_day(shown, today - timedelta(days=7), today) if first_day == today else {}
    past = [e for day in sorted(past_days, reverse=True) for e in reversed(past_days[day]) if e.ends_at <= now]
    events = [e for day_events in days.values() for e in day_events]
    # Late in the evening the first events after midnight already take check-ins: they
    # get the full card with the QR screen, as today's do.
    open_early = {e.id for e in events if to_local(e.starts_at).date() > today
                  and attendance.self_checkin_refusal(e, now) is None}
    return render_template(
        "attendance/index.html", now=now, today=today, programs=programs, chosen=chosen,
        first_day=first_day, days=days, past=past, unfold_all=len(events) <= DAYS_OPEN,
        checked_in=roster_service.checked_in_counts(e.id for e in events + past),
        open_early=open_early,
    )


# --- the roster ------------------------------------------------------------------------


def _labels() -> dict:
    """What the roster's templates use to name statuses and ways of checking in, already
    in the reader's language: a roster of 200 shows them over a thousand times, and each
    lazy label would be looked up again every time."""
    return dict(
        markable=attendance.MARKABLE,
        labels={status: str(label) for status, label in roster_service.STATUS_LABELS.items()},
        method_labels={method: str(label) for method, label in roster_service.METHOD_LABELS.items()},
        not_yet=str(roster_service.NOT_YET_LABEL),
        no_show=str(roster_service.NO_SHOW_LABEL),
        kind_labels={kind: str(label) for kind, label in roster_service.KIND_LABELS.items()},
        # Every row's forms carry the same token: made once, not once per row.
        form_token=generate_csrf(),
    )


def _render_roster(event: Event, *, ticket_form=None, walk_in_form=None, excuse_form=None,
                   excuse_key: str | None = None, status: int = 200):
    now = now_utc()
    roster = roster_service.roster(event, now=now)
    query = _search_query()
    return render_template(
        "attendance/roster.html", event=event, roster=roster, rows=roster.search(query),
        query=query, now=now, refusal=attendance.roster_refusal(event, now),
        focus_ticket=request.args.get("next_ticket") == "1" or ticket_form is not None,
        ticket_form=ticket_form or TicketForm(),
        walk_in_form=walk_in_form or WalkInForm(), excuse_form=excuse_form or ExcuseForm(),
        excuse_key=excuse_key, **_labels(),
    ), status


@bp.route("/<int:event_id>/")
@role_required(Role.ORGANIZER)
def roster(event_id: int):
    """The event's roster: everyone expected, one tap each to mark them, and the record."""
    return _render_roster(organized_event_or_404(event_id))


def _back_to_roster(event: Event, key: str | None = None, query: str = ""):
    url = url_for(".roster", event_id=event.id, q=query or None)
    return redirect(url + (f"#row-{key}" if key else ""))


def _after_mark(event: Event, marked: attendance.Marked, message: str, query: str = ""):
    """Answer a change on the roster: the new row as JSON for the page's script, or a
    redirect back to the row for a browser without it."""
    if _wants_json():
        roster = roster_service.roster(event, now=now_utc())
        row = roster.row(marked.key)
        parts = dict(roster=roster, event=event, query=query, excuse_form=ExcuseForm(), excuse_key=None,
                     refusal=None, **_labels())
        return jsonify(
            ok=True, message=message, key=marked.key,
            row=render_template("attendance/_row.html", row=row, **parts) if row is not None else "",
            counts=render_template("attendance/_counts.html", **parts),
            changes=render_template("attendance/_changes.html", **parts),
        )
    flash(message, "success")
    return _back_to_roster(event, marked.key, query)


def _refused(event: Event, error: LinliError, key: str | None = None, query: str = ""):
    db.session.rollback()
    if _wants_json():
        return jsonify(ok=False, message=str(error)), 409
    flash_error(error)
    return _back_to_roster(event, key, query)


def _marked_message(marked: attendance.Marked) -> str:
    label = roster_service.STATUS_LABELS[marked.attendance.status]
    if not marked.changed:
        return _("%(name)s was already marked: %(status)s.", name=marked.name, status=label)
    return _("%(name)s: %(status)s.", name=marked.name, status=label)


@bp.route("/<int:event_id>/bookings/<int:booking_id>/mark", methods=["POST"])
@role_required(Role.ORGANIZER)
def mark_booking(event_id: int, booking_id: int):
    """Mark the holder of a booking present, late or absent (one tap on the roster)."""
    event = organized_event_or_404(event_id)
    form = MarkForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        marked = attendance.mark_booking(
            event, booking_id, AttendanceStatus(form.status.data), actor=current_user, now=now_utc()
        )
    except LinliError as error:
        return _refused(event, error, f"b{booking_id}", form.q.data)
    db.session.commit()
    return _after_mark(event, marked, _marked_message(marked), form.q.data)


@bp.route("/<int:event_id>/people/<int:user_id>/mark", methods=["POST"])
@role_required(Role.ORGANIZER)
def mark_person(event_id: int, user_id: int):
    """Mark someone without a booking (a walk-in, a member) present, late or absent."""
    event = organized_event_or_404(event_id)
    form = MarkForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        marked = attendance.mark_person(
            event, user_id, AttendanceStatus(form.status.data), actor=current_user, now=now_utc()
        )
    except LinliError as error:
        return _refused(event, error, f"u{user_id}", form.q.data)
    db.session.commit()
    return _after_mark(event, marked, _marked_message(marked), form.q.data)


@bp.route("/<int:event_id>/bookings/<int:booking_id>/excuse", methods=["POST"])
@role_required(Role.ORGANIZER)
def excuse(event_id: int, booking_id: int):
    """Excuse an absence or no-show, with the reason on record."""
    event = organized_event_or_404(event_id)
    form = ExcuseForm()
    if not form.validate_on_submit():
        return _render_roster(event, excuse_form=form, excuse_key=f"b{booking_id}", status=400)
    try:
        marked = attendance.excuse(event, booking_id, form.reason.data, actor=current_user, now=now_utc())
    except LinliError as error:
        return _refused(event, error, f"b{booking_id}")
    db.session.commit()
    flash(_("%(name)s's absence is excused.", name=marked.name), "success")
    return _back_to_roster(event, marked.key)


@bp.route("/<int:event_id>/ticket", methods=["POST"])
@role_required(Role.ORGANIZER)
def check_in_ticket(event_id: int):
    """Check in the holder of a typed ticket number."""
    event = organized_event_or_404(event_id)
    form = TicketForm()
    if form.validate_on_submit():
        try:
            marked = attendance.check_in_ticket(event, form.code.data, actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.code.errors.append(str(error))
        else:
            db.session.commit()
            if marked.changed:
                flash(_("%(name)s is checked in.", name=marked.name), "success")
            else:
                flash(_("%(name)s had already checked in.", name=marked.name), "info")
            # Back to the box, ready for the next number.
            return redirect(url_for(".roster", event_id=event.id, next_ticket=1))
    return _render_roster(event, ticket_form=form, status=400)


@bp.route("/<int:event_id>/walk-in", methods=["POST"])
@role_required(Role.ORGANIZER)
def walk_in(event_id: int):
    """Check in someone who came without a booking, by name and mobile number."""
    event = organized_event_or_404(event_id)
    form = WalkInForm()
    if form.validate_on_submit():
        try:
            marked = attendance.add_walk_in(
                event, name=form.name.data, phone=form.phone.data, actor=current_user, now=now_utc()
            )
        except LinliError as error:
            db.session.rollback()
            form.phone.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s is checked in.", name=marked.name), "success")
            return _back_to_roster(event, marked.key)
    return _render_roster(event, walk_in_form=form, status=400)


# --- exports -----------------------------------------------------------------------------

_UNSAFE_IN_FILENAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f]+')

MIMETYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _send(data: bytes, fmt: str, *parts: str):
    name = "_".join(_UNSAFE_IN_FILENAMES.sub(" ", part).strip() for part in parts if part)
    return send_file(
        io.BytesIO(data), mimetype=MIMETYPES[fmt], as_attachment=True,
        download_name=f"{name[:120]}.{fmt}", max_age=0,
    )


@bp.route("/<int:event_id>/export.<any(csv, xlsx):fmt>")
@role_required(Role.ORGANIZER)
def export_event(event_id: int, fmt: str):
    """The event's attendance as a CSV or Excel file."""
    event = organized_event_or_404(event_id)
    table = exports.event_table(roster_service.roster(event, now=now_utc()))
    data = exports.to_csv(table) if fmt == "csv" else exports.to_xlsx([table])
    return _send(data, fmt, _("attendance"), to_local(event.starts_at).strftime("%Y-%m-%d"), event.display_title)


def get_program_or_404(slug: str) -> Program:
    program = db.session.execute(sa.select(Program).where(Program.slug == slug)).scalar_one_or_none()
    if program is None:
        abort(404)
    return program


@bp.route("/programs/<slug>/export")
@role_required(Role.ORGANIZER)
def export_program(slug: str):
    """A program's attendance over a date range: choose the days, download CSV or Excel."""
    program = get_program_or_404(slug[:60])
    require_organizer_of(program)
    fmt = request.args.get("format")
    form = ExportForm(formdata=request.args if fmt else None)
    if fmt is None:  # the last three months, to begin with
        now = now_utc()
        form.start.data = dashboard.month_starts(now, 3)[0]
        form.end.data = to_local(now).date()
    elif fmt in MIMETYPES and form.validate():
        tables = exports.program_tables(program, form.start.data, form.end.data, now=now_utc())
        data = exports.to_csv(tables[0]) if fmt == "csv" else exports.to_xlsx(tables)
        span = f"{form.start.data.isoformat()}~{form.end.data.isoformat()}"
        return _send(data, fmt, _("attendance"), program.name, span)
    return render_template("attendance/export.html", program=program, form=form)


# --- dashboard --------------------------------------------------------------------------


@bp.route("/dashboard")
@role_required(Role.ORGANIZER)
def dashboard_page():
    """Per program and month: events held, seats, bookings, attendance and no-show rates."""
    now = now_utc()
    programs = roster_service.programs_organized_by(current_user)
    months = request.args.get("months", 6, type=int)
    if months not in DASHBOARD_MONTHS:
        months = 6
    chosen = next((p for p in programs if p.slug == request.args.get("program")), None)
    figures = dashboard.monthly_figures([chosen] if chosen else programs, now=now, months=months)
    shown = [f for f in figures if chosen or f.has_events]
    return render_template(
        "attendance/dashboard.html", programs=programs, chosen=chosen, months=months,
        month_choices=DASHBOARD_MONTHS, figures=shown, now=now,
        charts={f.program.id: (charts.bookings_chart(f), charts.rates_chart(f)) for f in shown},
    )


# --- the check-in screen and self check-in ---------------------------------------------------


@bp.route("/<int:event_id>/screen")
@role_required(Role.ORGANIZER)
def screen(event_id: int):
    """The check-in screen: a QR code residents scan, changing every 30 seconds."""
    event = organized_event_or_404(event_id)
    now = now_utc()
    refusal = attendance.self_checkin_refusal(event, now)
    url = svg = None
    if refusal is None:
        code = checkin.checkin_code(event.id, now=now, secret=current_app.config["SECRET_KEY"])
        url = url_for(".checkin_page", code=code, _external=True)
        svg = Markup(checkin.qr_svg(url, title=_("Check-in code")))
    seconds = checkin.seconds_to_next_slot(now)
    response = current_app.make_response(render_template(
        "attendance/screen.html", event=event, refusal=refusal, url=url, svg=svg, seconds=seconds,
        checked_in=roster_service.checked_in_counts([event.id]).get(event.id, 0), now=now,
    ))
    # Reload when the code changes (the page's script does it sooner and smoother).
    response.headers["Refresh"] = str(seconds if refusal is None else checkin.SLOT_SECONDS)
    response.headers["Cache-Control"] = "no-store"
    return response


def _recent_scans(now: datetime) -> dict[int, datetime]:
    scans = {}
    for key, stamp in (session.get(SCANS_KEY) or {}).items():
        try:
            when = datetime.fromisoformat(stamp)
        except (TypeError, ValueError):
            continue
        if str(key).isdigit() and when.tzinfo is not None and now - when <= checkin.SCAN_GRACE:
            scans[int(key)] = when
    return scans


def _remember_scan(scan: checkin.Scan, now: datetime) -> None:
    scans = {str(k): v.isoformat() for k, v in _recent_scans(now).items()}
    scans[str(scan.event_id)] = scan.scanned_at.isoformat()
    session[SCANS_KEY] = scans


@bp.route("/checkin/<code>", methods=["GET", "POST"])
def checkin_page(code: str):
    """Where the QR code leads: a resident checks themself in (after logging in if needed)."""
    now = now_utc()
    try:
        scan = checkin.read_checkin_code(
            code[:200], now=now, secret=current_app.config["SECRET_KEY"], recent_scans=_recent_scans(now)
        )
    except LinliError as error:
        db.session.rollback()
        return render_template("attendance/checkin.html", error=error, event=None), 400
    _remember_scan(scan, now)
    if not current_user.is_authenticated:
        flash(_("Please log in to check in. You have ten minutes."), "info")
        return redirect(url_for("auth.login", next=request.path))
    event = get_event_or_404(scan.event_id)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            attendance.check_in_self(event, current_user, now=now)
        except LinliError as error:
            db.session.rollback()
            flash_error(error)
        else:
            db.session.commit()
        return redirect(request.path)
    state = attendance.self_checkin_state(event, current_user, now=now)
    return render_template("attendance/checkin.html", event=event, state=state, form=form, error=None)
