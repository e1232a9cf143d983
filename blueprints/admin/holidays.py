"""The community's holiday list at /admin/holidays: the official public holidays as the
site knows them, and the office's own closed days, which administrators add and remove.
Every recurring schedule leaves these days out (services.holidays)."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import ClosedDay, Role, db
from services import holidays
from services.dates import format_day, now_utc, to_local
from services.errors import LinliError

from ..common import ConfirmForm, flash_error, role_required
from .forms import ClosedDaysForm
from .routes import bp

EVENTS_NAMED = 5


def render_holidays(form: ClosedDaysForm):
    """The holiday page, with ``form`` (again with its errors after a refused POST)."""
    today = to_local(now_utc()).date()
    years = [(year, holidays.official_periods(year)) for year in (today.year, today.year + 1)]
    return render_template(
        "admin/holidays.html", form=form, remove_form=ConfirmForm(), years=years,
        closed=holidays.closed_days_from(today),
    )


@bp.route("/holidays")
@role_required(Role.ADMIN)
def holidays_page():
    """The official holidays of this year and next, and the office's own closed days."""
    return render_holidays(ClosedDaysForm())


@bp.route("/holidays", methods=["POST"])
@role_required(Role.ADMIN)
def add_closed_days():
    """Close the office on one day or several days in a row; schedules laid out from now on skip them."""
    form = ClosedDaysForm()
    if not form.validate_on_submit():
        return render_holidays(form)
    try:
        closed = holidays.add_closed_days(form.first_day.data, form.last_day.data, form.name.data,
                                          actor=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return render_holidays(form)
    planned = holidays.events_on(closed.first_day, closed.last_day)
    db.session.commit()
    flash(_("The office is closed on %(days)s: %(name)s. Schedules laid out from now on leave these days out.",
            days=_days(closed), name=closed.name), "success")
    if planned:
        named = "、".join(f"{event.display_title}（{format_day(to_local(event.starts_at).date())}）" for event in planned[:EVENTS_NAMED])
        flash(_("%(count)s events were already planned on these days and still take place: %(events)s. Cancel them from their own pages if they shouldn't.",
                count=len(planned), events=named), "warning")
    return redirect(url_for(".holidays_page"))


@bp.route("/holidays/<int:closed_id>/remove", methods=["POST"])
@role_required(Role.ADMIN)
def remove_closed_days(closed_id: int):
    """Open the office again on days it was to be closed."""
    closed = db.session.get(ClosedDay, closed_id)
    if closed is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    days, name = _days(closed), closed.name
    holidays.remove_closed_days(closed, actor=current_user, now=now_utc())
    db.session.commit()
    flash(_("%(days)s (%(name)s) are open days again.", days=days, name=name), "info")
    return redirect(url_for(".holidays_page"))


def _days(closed: ClosedDay) -> str:
    if closed.first_day == closed.last_day:
        return format_day(closed.first_day)
    return f"{format_day(closed.first_day)}–{format_day(closed.last_day)}"
