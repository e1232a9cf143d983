"""Administration of the reward list (积分兑换: items, prices, stock) and the honours the
community awards (孝善之星, 身边榜样 …). Registered on the admin blueprint."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Honour, Role, db
from services import rewards
from services.dates import now_utc, to_local
from services.errors import LinliError

from ..common import ConfirmForm, flash_error, role_required
from .grid_forms import HonourForm, NewRewardForm, RewardForm, StockForm
from .routes import bp


def item_or_404(item_id: int):
    item = rewards.get_item(item_id)
    if item is None:
        abort(404)
    return item


def _render_rewards(new_form=None, edit_forms=None, stock_forms=None, status=200):
    items = rewards.reward_list(include_retired=True)
    edit_forms = edit_forms or {}
    stock_forms = stock_forms or {}
    for item in items:
        edit_forms.setdefault(item.id, RewardForm(formdata=None, prefix=f"e{item.id}", obj=item))
        stock_forms.setdefault(item.id, StockForm(formdata=None, prefix=f"s{item.id}", data={"left": item.left}))
    return render_template(
        "admin/rewards.html", items=items, new_form=new_form or NewRewardForm(formdata=None),
        edit_forms=edit_forms, stock_forms=stock_forms, confirm_form=ConfirmForm(),
        open_count=len(rewards.open_requests()),
    ), status


@bp.route("/rewards")
@role_required(Role.ADMIN)
def reward_items():
    """The reward list: items, their price in points and how many are left."""
    return _render_rewards()


@bp.route("/rewards", methods=["POST"])
@role_required(Role.ADMIN)
def create_reward():
    """Put an item on the reward list."""
    form = NewRewardForm()
    if form.validate_on_submit():
        try:
            item = rewards.create_item(name=form.name.data, description=form.description.data or "",
                                       points_price=form.points.data, stock=form.stock.data or 0,
                                       actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(item)s is on the reward list.", item=item.name), "success")
            return redirect(url_for(".reward_items"))
    return _render_rewards(new_form=form, status=400)


@bp.route("/rewards/<int:item_id>/edit", methods=["POST"])
@role_required(Role.ADMIN)
def edit_reward(item_id: int):
    """Change an item's name, description or price."""
    item = item_or_404(item_id)
    form = RewardForm(prefix=f"e{item.id}")
    if form.validate_on_submit():
        try:
            rewards.update_item(item, name=form.name.data, description=form.description.data or "",
                                points_price=form.points.data, actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(item)s is saved.", item=item.name), "success")
            return redirect(url_for(".reward_items", _anchor=f"item-{item.id}"))
    return _render_rewards(edit_forms={item.id: form}, status=400)


@bp.route("/rewards/<int:item_id>/stock", methods=["POST"])
@role_required(Role.ADMIN)
def set_reward_stock(item_id: int):
    """Say how many are left to exchange (after a delivery or a count)."""
    item = item_or_404(item_id)
    form = StockForm(prefix=f"s{item.id}")
    if form.validate_on_submit():
        try:
            rewards.set_stock(item, form.left.data, actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.left.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(item)s: %(left)s left.", item=item.name, left=item.left), "success")
            return redirect(url_for(".reward_items", _anchor=f"item-{item.id}"))
    return _render_rewards(stock_forms={item.id: form}, status=400)


@bp.route("/rewards/<int:item_id>/retire", methods=["POST"])
@role_required(Role.ADMIN)
def retire_reward(item_id: int):
    """Take an item off the list, or put it back."""
    item = item_or_404(item_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    retired = not item.is_retired
    rewards.retire_item(item, retired=retired, actor=current_user, now=now_utc())
    db.session.commit()
    flash(_("%(item)s is off the list; requests already made can still be handed over.", item=item.name)
          if retired else _("%(item)s is back on the list.", item=item.name), "info")
    return redirect(url_for(".reward_items", _anchor=f"item-{item.id}"))


# --- honours --------------------------------------------------------------------------------


def _render_honours(form=None, status=200):
    if form is None:
        form = HonourForm(formdata=None, data={"year": to_local(now_utc()).year})
    return render_template(
        "admin/honours.html", form=form, by_year=rewards.honours_by_year(), confirm_form=ConfirmForm(),
        suggestions=rewards.HONOUR_SUGGESTIONS,
    ), status


@bp.route("/honours")
@role_required(Role.ADMIN)
def honours():
    """The honours awarded, by year; award one."""
    return _render_honours()


@bp.route("/honours", methods=["POST"])
@role_required(Role.ADMIN)
def give_honour():
    """Award an honour to a person for a year, with a citation."""
    form = HonourForm()
    if form.validate_on_submit():
        try:
            person = rewards.person_for_honour(form.person.data)
            honour = rewards.give_honour(person, title=form.title.data, year=form.year.data,
                                         citation=form.citation.data or "", actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.person.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s is %(title)s %(year)s.", name=person.display_name, title=honour.title,
                    year=honour.year), "success")
            return redirect(url_for(".honours"))
    return _render_honours(form, status=400)


@bp.route("/honours/<int:honour_id>/withdraw", methods=["POST"])
@role_required(Role.ADMIN)
def withdraw_honour(honour_id: int):
    """Take back an honour given by mistake."""
    honour = db.get_or_404(Honour, honour_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        rewards.withdraw_honour(honour, actor=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("The honour is withdrawn."), "info")
    return redirect(url_for(".honours"))
