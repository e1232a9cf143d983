"""Registering, logging in and logging out."""
from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from models import db
from services import accounts
from services.dates import now_utc
from services.errors import PhoneTaken, TooManyLoginAttempts

from ..common import ConfirmForm, defer_write_lock, redirect_next
from .forms import LoginForm, RegisterForm

bp = Blueprint("auth", __name__, url_prefix="/auth")


@bp.route("/register", methods=["GET", "POST"])
@defer_write_lock
def register():
    """Create a resident account and log the new resident in."""
    if current_user.is_authenticated:
        return redirect(url_for("lectures.index"))
    form = RegisterForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = accounts.register_user(
                phone=form.phone.data, display_name=form.display_name.data,
                password=form.password.data, now=now_utc(),
            )
        except PhoneTaken as error:
            db.session.rollback()
            form.phone.errors.append(str(error))
        else:
            db.session.commit()
            login_user(user, remember=True)
            flash(_("Welcome, %(name)s! Your account is ready.", name=user.display_name), "success")
            return redirect_next("lectures.index")
    return render_template("auth/register.html", form=form)


@bp.route("/login", methods=["GET", "POST"])
@defer_write_lock
def login():
    """Log in with a mobile number and password."""
    if current_user.is_authenticated:
        return redirect(url_for("lectures.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        try:
            user = accounts.authenticate(form.phone.data, form.password.data, now=now_utc())
        except TooManyLoginAttempts as error:
            db.session.rollback()
            form.password.errors.append(str(error))
            user = None
        else:
            db.session.commit()  # keeps the record of a failed attempt
            if user is None:
                form.password.errors.append(_("The mobile number or password is wrong."))
        if user is not None:
            login_user(user, remember=form.remember.data)
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            return redirect_next("lectures.index")
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out (a POST button, so a link can't log anyone out)."""
    if ConfirmForm().validate_on_submit():
        logout_user()
        flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))



