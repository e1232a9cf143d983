"""Who we reach: the organizers' dashboard by grid and building — bookings, check-ins and
the share of households that took part in a month or quarter — with a chart and the same
exports (CSV, Excel) as the rest of the dashboard. Registered on the attendance blueprint."""
from __future__ import annotations

from flask import abort, render_template, request
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Role
from services import buildings, exports, reach
from services.dates import now_utc

from . import charts
from .routes import _send, bp


def _allowed_grids():
    """All grids for organizers and administrators; a grid worker's own grids; else 403."""
    grids = buildings.grids()
    if current_user.has_role(Role.ORGANIZER):
        return grids
    if current_user.has_role(Role.GRID_WORKER):
        mine = {b.grid_id for b in buildings.care_of(current_user)}
        return [g for g in grids if g.id in mine]
    abort(403)


def _figures():
    key = request.args.get("period", "month")
    period = reach.period(key if key in reach.PERIODS else "month", now=now_utc())
    grids = _allowed_grids()
    chosen = next((g for g in grids if str(g.id) == request.args.get("grid")), None)
    figures = reach.reach(since=period.since, until=period.until, grids=[chosen] if chosen else grids)
    return period, grids, chosen, figures


@bp.route("/reach")
@login_required
def reach_page():
    """Bookings, check-ins and the share of households that took part, by grid (or by
    building within one grid), this month or quarter."""
    period, grids, chosen, figures = _figures()
    if chosen:
        rows = figures[0].buildings
        chart = charts.reach_chart([b.building.name for b in rows], [b.share for b in rows],
                                   _("Grid %(grid)s: households that took part", grid=chosen.number))
    else:
        chart = charts.reach_chart([f.grid.number for f in figures], [f.share for f in figures],
                                   _("Households that took part, by grid"))
    return render_template("attendance/reach.html", period=period, periods=reach.PERIODS, grids=grids,
                           chosen=chosen, figures=figures, chart=chart)


@bp.route("/reach.<any(csv, xlsx):fmt>")
@login_required
def export_reach(fmt: str):
    """The figures of every building (of the chosen grid) as a CSV or Excel file."""
    period, _grids, chosen, figures = _figures()
    table = exports.reach_table(figures, period)
    data = exports.to_csv(table) if fmt == "csv" else exports.to_xlsx([table])
    span = f"{period.first_day.isoformat()}~{period.last_day.isoformat()}"
    return _send(data, fmt, _("reach"), _("grid %(grid)s", grid=chosen.number) if chosen else "", span)
