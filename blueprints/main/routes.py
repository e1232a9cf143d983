"""The home page, the language switch and the health check."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, current_app, make_response, redirect, render_template, request, url_for
from sqlalchemy.exc import SQLAlchemyError
from flask_login import current_user

from models import Program, ProgramKind, db
from services import lectures, program_kinds
from services.dates import format_day, format_weekdays, format_when, now_utc

from ..common import PROGRAM_PAGES, event_page, is_safe_next, program_page

bp = Blueprint("main", __name__)

ONE_YEAR = 60 * 60 * 24 * 365


@bp.app_template_filter("when")
def when_filter(moment, style: str = "when") -> str:
    """Format a datetime in local time for the current language."""
    return format_when(moment, style)


@bp.app_template_filter("day")
def day_filter(day) -> str:
    """Format a calendar day for the current language, e.g. 12月3日."""
    return format_day(day)


@bp.app_template_filter("weekdays")
def weekdays_filter(days) -> str:
    """Name weekdays (Monday = 0) in the current language, e.g. 周二、周四."""
    return format_weekdays(days)


@bp.app_template_global()
def event_url(event) -> str:
    """The URL of the page showing ``event`` (its program must be loaded)."""
    endpoint, values = event_page(event)
    return url_for(endpoint, **values)


@bp.app_template_global()
def program_url(program, manage: bool = False) -> str:
    """The URL of the residents' (or with ``manage``, the organizers') page of ``program``."""
    endpoint, values = program_page(program, manage=manage)
    return url_for(endpoint, **values)


@bp.route("/")
def index():
    """The home page: the next lectures and the community's programs."""
    now = now_utc()
    upcoming = db.session.execute(lectures.upcoming_lectures_query(now=now, viewer=current_user).limit(3)).scalars().all()
    programs = db.session.execute(
        sa.select(Program).where(Program.kind != ProgramKind.LECTURE_SERIES, Program.is_listed())
        .order_by(Program.kind, Program.id)
    ).scalars().all()
    by_kind: dict[ProgramKind, list[Program]] = {}
    for program in programs:
        by_kind.setdefault(program.kind, []).append(program)
    return render_template(
        "main/index.html", upcoming=upcoming, by_kind=by_kind,
        specs=[spec for spec in program_kinds.all_specs() if spec.kind in by_kind], pages=PROGRAM_PAGES,
    )


@bp.route("/lang/<code>")
def set_language(code: str):
    """Switch the site's language and remember the choice for a year."""
    target = request.args.get("next")
    response = make_response(redirect(target if is_safe_next(target) else url_for("main.index")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


@bp.route("/healthz")
def healthz():
    """For load balancers, monitors and the benchmarks' baseline: 200 when the database
    answers one trivial query, 503 when it doesn't (the statement timeout bounds the wait)."""
    try:
        db.session.execute(sa.select(sa.literal(1))).scalar_one()
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("health check: the database did not answer")
        response = make_response({"status": "database unavailable"}, 503)
    else:
        response = make_response({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response
