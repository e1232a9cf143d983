"""The audit trail, to read and filter: who did what, when, before → after. Nothing here
(or anywhere on the site) changes or deletes an entry."""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa
from flask import render_template, request
from flask_babel import lazy_gettext as _l

from models import Program, db
from services import audit, program_kinds
from services.dates import format_when

from ..common import page_arg
from .forms import TrailFilterForm
from .routes import bp

ENTRIES_PER_PAGE = 50
FILTERS = ("person", "action", "program", "since", "until")

# How each action reads; an action without a label here shows as recorded.
ACTION_LABELS = {
    "program.": _l("Programs (all)"),
    "program.create": _l("Program created"),
    "program.edit": _l("Program edited"),
    "program.archive": _l("Program archived"),
    "program.unarchive": _l("Program shown again"),
    "program.organizer_add": _l("Organizer added"),
    "program.organizer_remove": _l("Organizer removed"),
    "program.leader": _l("Troupe leader changed"),
    "series.": _l("Topic series (all)"),
    "series.add": _l("Series added"),
    "series.rename": _l("Series renamed"),
    "series.reorder": _l("Series reordered"),
    "series.retire": _l("Series retired"),
    "series.restore": _l("Series offered again"),
    "venue.": _l("Venues (all)"),
    "venue.create": _l("Venue added"),
    "venue.edit": _l("Venue edited"),
    "venue.retire": _l("Venue retired"),
    "venue.restore": _l("Venue offered again"),
    "user.": _l("People (all)"),
    "user.roles": _l("Roles changed"),
    "user.deactivate": _l("Account deactivated"),
    "user.reactivate": _l("Account reactivated"),
    "user.reset_code": _l("Reset code given"),
    "user.password_reset": _l("Password reset with a code"),
    "user.password_change": _l("Password changed"),
    "user.profile": _l("Name or number changed"),
    "user.merge": _l("Walk-in account merged"),
    "user.create_admin": _l("Administrator made on the server"),
}

# How the names of recorded values read.
FIELD_LABELS = {
    "name": _l("Called"), "slug": _l("Web address"), "description": _l("Description"),
    "contact": _l("Contact for residents"), "cover_colour": _l("Colour"), "kind": _l("Kind"),
    "archived": _l("Archived"), "organizers": _l("Organizers"), "leader": _l("Leader"),
    "order": _l("Order"), "retired": _l("Retired"), "address": _l("Where it is"), "seats": _l("Seats in the room"),
    "access_notes": _l("Getting in"), "roles": _l("Account roles"), "active": _l("Active"),
    "released_bookings": _l("Places given up"), "display_name": _l("Name"), "phone": _l("Mobile number"),
    "booking_opens_days_before": _l("Booking opens (days before the lecture)"),
    "booking_closes_minutes_before": _l("Booking closes (minutes before the start)"),
    "rehearsal_times": _l("Rehearsal times"), "rehearsal_place": _l("Rehearsal place"),
    "member_limit": _l("Member limit"), "min_age": _l("Youngest age"), "max_age": _l("Oldest age"),
    "parent_attends": _l("A parent comes along"), "valid_until": _l("Valid until"),
    "code_issued_at": _l("Code given at"), "walk_in": _l("Account made at the door"),
    "bookings": _l("Bookings moved"), "released": _l("Bookings given up"),
    "attendance": _l("Attendance records moved"), "memberships": _l("Memberships moved"),
}


# Recorded moments (ISO strings), shown in local time.
TIME_FIELDS = frozenset({"valid_until", "code_issued_at"})
# How recorded values read, for the fields whose values are codes.
ROLE_LABELS = {"resident": _l("Resident"), "volunteer": _l("Volunteer"), "organizer": _l("Organizer"),
               "admin": _l("Administrator")}


def _value_labels(field: str) -> dict:
    if field == "roles":
        return ROLE_LABELS
    if field == "kind":
        return {spec.value: spec.label for spec in program_kinds.all_specs()}
    return {}


@bp.app_template_filter("audit_value")
def audit_value_filter(value, field: str) -> str:
    """A recorded value as it reads: role and kind codes named, lists joined."""
    labels = _value_labels(field)
    if isinstance(value, list):
        return "、".join(str(labels.get(item, item)) for item in value) or "—"
    if value is None or value == "":
        return "—"
    if value is True or value is False:
        return str(_l("Yes") if value else _l("No"))
    if field in TIME_FIELDS and isinstance(value, str):
        try:
            return format_when(datetime.fromisoformat(value), "full")
        except ValueError:
            return value
    return str(labels.get(value, value)) if isinstance(value, str) else str(value)


@bp.app_template_filter("audit_changes")
def audit_changes_filter(entry) -> list[tuple[str, str | None, str]]:
    """What an entry changed, as (field, before, after) to read: before is None for a new
    thing, whose empty values are left out."""
    before, after = entry.before, entry.after or {}
    keys = list(dict.fromkeys([*(before or {}), *after]))
    if before is None:
        keys = [key for key in keys if after.get(key) not in (None, "", [], False)]
    return [
        (audit_field_filter(key),
         audit_value_filter(before.get(key), key) if before is not None else None,
         audit_value_filter(after.get(key), key))
        for key in keys
    ]


@bp.app_template_filter("audit_action")
def audit_action_filter(action: str) -> str:
    """The readable name of an audit action."""
    return str(ACTION_LABELS.get(action, action))


@bp.app_template_filter("audit_field")
def audit_field_filter(name: str) -> str:
    """The readable name of a recorded value."""
    return str(FIELD_LABELS.get(name, name))


@bp.route("/audit")
def audit_trail():
    """The audit trail, newest first, filtered by person, action, program and dates."""
    form = TrailFilterForm(request.args)
    recorded = audit.actions_recorded()
    groups = sorted({action.split(".")[0] + "." for action in recorded})
    form.action.choices = [("", _l("Every action"))] + [(a, audit_action_filter(a)) for a in groups + recorded]
    all_programs = db.session.execute(sa.select(Program).order_by(Program.kind, Program.name)).scalars().all()
    form.program.choices = [("", _l("Every program"))] + [(str(p.id), p.name) for p in all_programs]
    form.validate()  # shows what was mistyped; a mistyped date filters nothing
    program = form.program.data or ""
    filters = audit.TrailFilter(
        person=(form.person.data or "")[:40], action=(form.action.data or "")[:60],
        program_id=int(program) if program.isascii() and program.isdigit() and len(program) < 10 else None,
        since=form.since.data if not form.since.errors else None,
        until=form.until.data if not form.until.errors else None,
    )
    page = db.paginate(audit.trail_query(filters), page=page_arg(), per_page=ENTRIES_PER_PAGE, error_out=False)
    query = {key: value for key, value in request.args.items() if key in FILTERS and value}
    return render_template("admin/audit.html", form=form, page=page, query=query)
