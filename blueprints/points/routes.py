"""Points across the community (积分): my points and the reward list (积分兑换), asking to
redeem and giving a request up; for organizers, handing rewards over; for organizers and
grid workers, crediting community service beyond the lecture team."""
from __future__ import annotations

from datetime import time

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Role, ServiceActivity, User, db
from services import points, rewards
from services.dates import local_datetime, now_utc, to_local
from services.errors import LinliError

from ..common import ConfirmForm, flash_error, role_required
from ..lecture_team.forms import to_minutes
from .forms import CreditForm, DeclineForm, SearchForm

bp = Blueprint("points", __name__, url_prefix="/points")

LEDGER_LINES = 10


def item_or_404(item_id: int):
    item = rewards.get_item(item_id)
    if item is None:
        abort(404)
    return item


def redemption_or_404(redemption_id: int):
    redemption = rewards.get_redemption(redemption_id)
    if redemption is None:
        abort(404)
    return redemption


def can_credit_anyone() -> bool:
    return current_user.has_role(Role.ORGANIZER) or current_user.has_role(Role.GRID_WORKER)


@bp.route("/")
@login_required
def index():
    """My points and hours, the reward list with what I can afford, and my requests."""
    ledger = points.ledger_of(current_user, limit=LEDGER_LINES)
    return render_template(
        "points/index.html", totals=points.totals_of(current_user), items=rewards.reward_list(),
        requests=rewards.redemptions_of(current_user), ledger=ledger, cancel_form=ConfirmForm(),
        can_credit=can_credit_anyone(),
    )


@bp.route("/rewards/<int:item_id>/redeem", methods=["GET", "POST"])
@login_required
def redeem(item_id: int):
    """Ask for a reward: confirm first; the points are spent and the item set aside."""
    item = item_or_404(item_id)
    form = ConfirmForm()
    if request.method == "POST":
        if not form.validate_on_submit():
            abort(400)
        try:
            redemption = rewards.request_redemption(item, current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            flash_error(error)
            return redirect(url_for(".index"))
        db.session.commit()
        flash(_("Your request for %(item)s is sent: %(points)s points are spent. Collect it from the community office.",
                item=item.name, points=redemption.points), "success")
        return redirect(url_for(".index", _anchor="my-requests"))
    return render_template("points/redeem.html", item=item, form=form, totals=points.totals_of(current_user))


@bp.route("/requests/<int:redemption_id>/cancel", methods=["POST"])
@login_required
def cancel(redemption_id: int):
    """Give up my request before it is handed over; the points come back."""
    redemption = redemption_or_404(redemption_id)
    if redemption.user_id != current_user.id:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        rewards.cancel_redemption(redemption, current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("Your request is cancelled and %(points)s points are back.", points=redemption.points), "info")
    return redirect(url_for(".index", _anchor="my-requests"))


# --- organizers: handing rewards over ------------------------------------------------------


def _render_requests(decline_form=None, decline_id=None, status=200):
    return render_template(
        "points/requests.html", requests=rewards.open_requests(), recent=rewards.recently_decided(),
        confirm_form=ConfirmForm(), decline_form=decline_form or DeclineForm(), decline_id=decline_id,
    ), status


@bp.route("/requests")
@role_required(Role.ORGANIZER)
def requests():
    """Reward requests waiting to be handed over, oldest first, and the latest decided."""
    return _render_requests()


@bp.route("/requests/<int:redemption_id>/hand-over", methods=["POST"])
@role_required(Role.ORGANIZER)
def hand_over(redemption_id: int):
    """Confirm the reward was given to the person."""
    redemption = redemption_or_404(redemption_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        rewards.hand_over(redemption, organizer=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("%(item)s handed over to %(name)s.", item=redemption.item.name, name=redemption.user.display_name),
              "success")
    return redirect(url_for(".requests"))


@bp.route("/requests/<int:redemption_id>/decline", methods=["POST"])
@role_required(Role.ORGANIZER)
def decline(redemption_id: int):
    """Say no to a request, with the reason; the points go back to the person."""
    redemption = redemption_or_404(redemption_id)
    form = DeclineForm()
    if not form.validate_on_submit():
        return _render_requests(form, redemption.id, 400)
    try:
        rewards.decline_redemption(redemption, reason=form.reason.data, organizer=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("The request of %(name)s is declined; the points are back.", name=redemption.user.display_name),
              "info")
    return redirect(url_for(".requests"))


# --- organizers and grid workers: crediting community service ------------------------------


@bp.route("/credit")
@login_required
def credit_search():
    """Find the person to credit community service to (by name, or number)."""
    if not can_credit_anyone():
        abort(403)
    search = SearchForm(request.args)
    text = (search.q.data or "") if search.validate() else ""
    return render_template("points/credit_search.html", search=search, text=text,
                           people=points.people_to_credit(current_user, text))


@bp.route("/credit/<int:user_id>", methods=["GET", "POST"])
@login_required
def credit(user_id: int):
    """Credit community service (visits, helping at a program) with hours and points."""
    if not can_credit_anyone():
        abort(403)
    person = db.get_or_404(User, user_id)
    if not person.is_active_account or not points.can_credit(current_user, person):
        abort(404)
    form = CreditForm()
    if request.method == "GET":
        form.served_on.data = to_local(now_utc()).date()
    if form.validate_on_submit():
        try:
            points.credit_service(
                person, minutes=to_minutes(form.hours.data) or 0, points=form.points.data or 0,
                activity=ServiceActivity(form.activity.data), reason=form.reason.data, by=current_user,
                now=now_utc(), served_at=local_datetime(form.served_on.data, time(12, 0)),
            )
        except LinliError as error:
            db.session.rollback()
            form.hours.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Service of %(name)s is credited.", name=person.display_name), "success")
            return redirect(url_for(".credit_search"))
    totals = points.totals_of(person)
    return render_template("points/credit.html", person=person, form=form, totals=totals,
                           ledger=points.ledger_of(person, limit=LEDGER_LINES)), 400 if form.errors else 200
