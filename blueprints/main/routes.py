"""The home page, the language switch and the health check."""
from __future__ import annotations

import sqlalchemy as sa
from flask import (
    Blueprint, current_app, jsonify, make_response, redirect, render_template, request, send_from_directory,
    url_for,
)
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import SQLAlchemyError

from models import Program, ProgramKind, db
from models.shift import role_title
from services import lectures, talks, troupes
from services.dates import format_day, format_weekdays, format_when, now_utc

from ..common import event_page, is_safe_next, program_page

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


@bp.app_template_filter("role_title")
def role_title_filter(name: str) -> str:
    """A volunteer role's name in the reader's language (主讲 → Speaker)."""
    return role_title(name)


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


WHATS_ON = 4  # performances and talks on the home page


@bp.route("/")
def index():
    """The home page: the next lectures, then a short "what's on" (the next performances
    and talks) and a link to each of the community's areas with how many programs it has."""
    now = now_utc()
    upcoming = db.session.execute(lectures.upcoming_lectures_query(now=now, viewer=current_user).limit(3)).scalars().all()
    team = talks.team_program()
    whats_on = sorted(
        troupes.upcoming_performances(now=now, limit=WHATS_ON, viewer=current_user)
        + (talks.coming_events([team], now=now, limit=WHATS_ON, viewer=current_user) if team else []),
        key=lambda event: (event.starts_at, event.id),
    )[:WHATS_ON]
    counts = dict(db.session.execute(
        sa.select(Program.kind, sa.func.count()).where(Program.is_listed()).group_by(Program.kind)
    ).all())
    return render_template(
        "main/index.html", upcoming=upcoming, whats_on=whats_on, counts=counts, team=team,
        ProgramKind=ProgramKind,
    )


@bp.route("/lang/<code>")
def set_language(code: str):
    """Switch the site's language and remember the choice for a year."""
    target = request.args.get("next")
    response = make_response(redirect(target if is_safe_next(target) else url_for("main.index")))
    if code in current_app.config["LANGUAGES"]:
        response.set_cookie("lang", code, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


TEXT_SIZES = ("normal", "large")


@bp.route("/text-size/<size>")
def set_text_size(size: str):
    """Switch large text (大字) on or off and remember the choice for a year."""
    target = request.args.get("next")
    response = make_response(redirect(target if is_safe_next(target) else url_for("main.index")))
    if size in TEXT_SIZES:
        response.set_cookie("text_size", size, max_age=ONE_YEAR, samesite="Lax", httponly=True)
    return response


@bp.route("/favicon.ico")
def favicon():
    """The site's icon, where browsers look for it first."""
    return send_from_directory(
        current_app.static_folder, "icons/favicon.ico", mimetype="image/vnd.microsoft.icon", max_age=ONE_YEAR // 12,
    )


@bp.route("/manifest.webmanifest")
def manifest():
    """The web app manifest, so Linli can be put on a phone's home screen with its name and colour."""
    icons = [
        {"src": url_for("static", filename=f"icons/icon-{size}.png"), "sizes": f"{size}x{size}", "type": "image/png"}
        for size in (192, 512)
    ]
    icons.append({"src": url_for("static", filename="icons/icon-maskable-512.png"), "sizes": "512x512",
                  "type": "image/png", "purpose": "maskable"})
    response = jsonify({
        "name": _("Linli community bookings"), "short_name": _("Linli"),
        "lang": "zh-CN" if str(get_locale()) == "zh" else "en",
        "start_url": url_for("main.index"), "scope": "/", "display": "standalone",
        "background_color": "#fbf8f3", "theme_color": "#a61b1b", "icons": icons,
    })
    response.mimetype = "application/manifest+json"
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
