"""People: finding them, a person's page, roles, deactivating and reactivating, merging
an account made at the door into the person's own."""
from __future__ import annotations

import sqlalchemy as sa
from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Role, User, db
from services import accounts, people
from services.dates import now_utc
from services.errors import LinliError

from ..common import ConfirmForm, flash_error, is_safe_next, page_arg
from .forms import DeactivateForm, MergeForm, MergeLookupForm, RolesForm, UserSearchForm
from .routes import bp

GRANTABLE = (Role.VOLUNTEER, Role.ORGANIZER, Role.ADMIN)
PEOPLE_PER_PAGE = 30


def get_user_or_404(user_id: int) -> User:
    """Load a person or answer 404."""
    return db.get_or_404(User, user_id)


def roles_form(user: User, **kwargs) -> RolesForm:
    """The roles form of ``user``, ticked as they are (prefixed, so a list can hold many)."""
    form = RolesForm(formdata=None, prefix=f"u{user.id}", **kwargs)
    for role in GRANTABLE:
        getattr(form, role.value).data = role in user.roles
    return form


@bp.route("/users")
def users():
    """Find people by name or number and see their roles."""
    search = UserSearchForm(request.args)
    query = sa.select(User).order_by(User.id.desc())
    text = (search.q.data or "").strip()[:40] if search.validate() else ""
    if text:
        query = query.where(sa.or_(
            User.display_name.contains(text, autoescape=True), User.phone.contains(text, autoescape=True)
        ))
    page = db.paginate(query, page=page_arg(), per_page=PEOPLE_PER_PAGE, error_out=False)
    forms = {user.id: roles_form(user) for user in page.items}
    return render_template("admin/users.html", page=page, search=search, forms=forms, text=text,
                           is_claimed=accounts.is_claimed)


@bp.route("/users/<int:user_id>/roles", methods=["POST"])
def set_roles(user_id: int):
    """Give a person exactly the roles ticked on the form."""
    user = get_user_or_404(user_id)
    form = RolesForm(prefix=f"u{user.id}")
    if not form.validate_on_submit():
        abort(400)
    back = form.next.data if is_safe_next(form.next.data) else url_for(".users", q=request.args.get("q") or None)
    roles = {role for role in GRANTABLE if getattr(form, role.value).data}
    try:
        people.set_roles(user, roles, by=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(back)
    db.session.commit()
    flash(_("Roles of %(name)s are saved.", name=user.display_name), "success")
    return redirect(back)


@bp.route("/users/<int:user_id>")
def person(user_id: int):
    """One person: roles, programs they run or belong to, bookings, children (names
    only), service hours and points, and what can be done about their account."""
    user = get_user_or_404(user_id)
    return render_template(
        "admin/person.html", person=people.person(user, now=now_utc()), user=user,
        roles_form=roles_form(user, next=request.path), confirm_form=ConfirmForm(),
        merge_form=MergeLookupForm(formdata=None),
    )


@bp.route("/users/<int:user_id>/deactivate", methods=["GET", "POST"])
def deactivate(user_id: int):
    """Deactivate an account, after showing what happens to the person's coming places."""
    user = get_user_or_404(user_id)
    form = DeactivateForm()
    now = now_utc()
    if form.validate_on_submit():
        try:
            released = people.deactivate(user, by=current_user, now=now,
                                         release_bookings=form.release_bookings.data)
        except LinliError as error:
            db.session.rollback()
            flash_error(error)
            return redirect(url_for(".person", user_id=user.id))
        db.session.commit()
        flash(_("%(name)s can no longer log in; every device they were logged in on is logged out.", name=user.display_name), "success")
        if released:
            flash(_("%(count)s of their places at coming events were given up; the waiting lists moved up.", count=len(released)), "info")
        return redirect(url_for(".person", user_id=user.id))
    return render_template("admin/deactivate.html", user=user, form=form,
                           coming=people.coming_bookings(user, now=now))


@bp.route("/users/<int:user_id>/reactivate", methods=["POST"])
def reactivate(user_id: int):
    """Let a deactivated person log in again."""
    user = get_user_or_404(user_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    people.reactivate(user, by=current_user, now=now_utc())
    db.session.commit()
    flash(_("%(name)s can log in again.", name=user.display_name), "success")
    return redirect(url_for(".person", user_id=user.id))


@bp.route("/users/<int:user_id>/merge", methods=["GET", "POST"])
def merge(user_id: int):
    """Merge an account made at the door into the person's own: whose (by number), what
    moves, then confirm."""
    walk_in = get_user_or_404(user_id)
    if accounts.is_claimed(walk_in):
        abort(404)
    if request.method == "POST":
        form = MergeForm()
        into = accounts.find_by_phone(form.phone.data or "") if form.validate_on_submit() else None
        if into is None:
            abort(400)
        try:
            result = people.merge_walk_in(walk_in, into, by=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            flash_error(error)
            return redirect(url_for(".merge", user_id=walk_in.id, phone=into.phone))
        db.session.commit()
        flash(_("The account made at the door is merged into %(name)s's: %(bookings)s bookings and %(attendance)s attendance records moved.", name=into.display_name, bookings=result.bookings, attendance=result.attendance), "success")
        if result.released:
            flash(_("Both accounts had booked %(count)s of the same events; one booking of each was kept and the other given up.", count=len(result.released)), "info")
        return redirect(url_for(".person", user_id=into.id))
    lookup = MergeLookupForm(request.args)
    into = None
    if lookup.phone.data and lookup.validate():
        into = accounts.find_by_phone(lookup.phone.data)
        if into is None:
            lookup.phone.errors.append(_("Nobody is registered with this mobile number."))
        elif into.id == walk_in.id:
            lookup.phone.errors.append(_("That is the number of this account. Please enter the number of the person's own account."))
            into = None
    return render_template("admin/merge.html", walk_in=walk_in, into=into, lookup=lookup,
                           form=MergeForm(formdata=None, phone=into.phone if into else ""),
                           preview=people.merge_preview(walk_in))
