"""Administration: people and their roles."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Role, User, db
from services import accounts

from ..common import page_arg, role_required
from .forms import RolesForm, UserSearchForm

bp = Blueprint("admin", __name__, url_prefix="/admin")

GRANTABLE = (Role.VOLUNTEER, Role.ORGANIZER, Role.ADMIN)


@bp.route("/users")
@role_required(Role.ADMIN)
def users():
    """Find people by name or number and see their roles."""
    search = UserSearchForm(request.args)
    query = sa.select(User).order_by(User.id.desc())
    text = (search.q.data or "").strip()[:40] if search.validate() else ""
    if text:
        query = query.where(sa.or_(
            User.display_name.contains(text, autoescape=True), User.phone.contains(text, autoescape=True)
        ))
    page = db.paginate(query, page=page_arg(), per_page=30, error_out=False)
    forms = {}
    for user in page.items:
        form = RolesForm(formdata=None, prefix=f"u{user.id}")
        for role in GRANTABLE:
            getattr(form, role.value).data = role in user.roles
        forms[user.id] = form
    return render_template("admin/users.html", page=page, search=search, forms=forms, text=text)


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
@role_required(Role.ADMIN)
def set_roles(user_id: int):
    """Give a person exactly the roles ticked on the form."""
    user = db.get_or_404(User, user_id)
    form = RolesForm(prefix=f"u{user.id}")
    if not form.validate_on_submit():
        abort(400)
    roles = {role for role in GRANTABLE if getattr(form, role.value).data}
    if user.id == current_user.id and Role.ADMIN not in roles:
        flash(_("You can't take the administrator role away from yourself."), "danger")
        return redirect(url_for(".users"))
    accounts.set_roles(user, roles)
    db.session.commit()
    flash(_("Roles of %(name)s are saved.", name=user.display_name), "success")
    return redirect(url_for(".users", q=request.args.get("q", "")))
