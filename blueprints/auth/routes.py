"""Registering, logging in and logging out."""
from __future__ import annotations

from flask import Blueprint, flash, make_response, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required, login_user, logout_user

from models import Role, User, db
from security import throttles
from services import accounts, reset_codes
from services.dates import now_utc
from services.errors import LinliError, PhoneTaken, ResetCodeInvalid, WeakPassword

from ..common import ConfirmForm, defer_write_lock, redirect_next, role_required
from .forms import ForgotPasswordForm, IssueCodeForm, LoginForm, RegisterForm

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
        throttles.count_registration()
        try:
            user = accounts.register_user(
                phone=form.phone.data, display_name=form.display_name.data,
                password=form.password.data, now=now_utc(),
            )
        except PhoneTaken as error:
            db.session.rollback()
            form.phone.errors.append(str(error))
        except WeakPassword as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            accounts.start_login(user, now=now_utc())
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
            # Counted before the password is checked, so a burst can't get more checked.
            throttles.count_login_attempt(form.phone.data)
        except throttles.Throttled as refused:
            form.password.errors.append(str(throttles.retry_message(refused.retry_after)))
            response = make_response(render_template("auth/login.html", form=form), 429)
            response.headers["Retry-After"] = str(refused.retry_after)
            return response
        now = now_utc()
        user = accounts.authenticate(form.phone.data, form.password.data, now=now)
        if user is None:
            db.session.rollback()
            form.password.errors.append(_("The mobile number or password is wrong."))
        else:
            accounts.start_login(user, now=now)
            db.session.commit()
            login_user(user, remember=form.remember.data)
            flash(_("Welcome back, %(name)s.", name=user.display_name), "success")
            response = redirect_next("lectures.index")
            throttles.remember_device(response, user.phone)
            return response
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["POST"])
@login_required
def logout():
    """Log out on this device (a POST button, so a link can't log anyone out): a copy of
    this device's cookies stops working too; other devices stay logged in."""
    if ConfirmForm().validate_on_submit():
        accounts.end_login(current_user, now=now_utc())
        db.session.commit()
        logout_user()
        flash(_("You have logged out."), "info")
    return redirect(url_for("main.index"))


@bp.route("/forgot", methods=["GET", "POST"])
@defer_write_lock
def forgot_password():
    """How to get a reset code, and choosing a new password with one."""
    if current_user.is_authenticated:
        return redirect(url_for("account.password"))
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        now = now_utc()
        try:
            user = reset_codes.reset_password(form.phone.data, form.code.data, form.password.data, now=now)
        except ResetCodeInvalid as error:
            db.session.commit()  # keeps the count of wrong tries against the code
            form.code.errors.append(str(error))
        except WeakPassword as error:
            db.session.rollback()
            form.password.errors.append(str(error))
        else:
            accounts.start_login(user, now=now)
            db.session.commit()
            login_user(user, remember=False)
            flash(_("Your new password is set and you are logged in. Any other phone that was logged in to your account has been logged out."), "success")
            return redirect(url_for("lectures.index"))
    return render_template("auth/forgot.html", form=form)


# A new reset code waits here between the POST that makes it and the page that shows it
# once: only its hash is stored, so this is the one time it can be read.
NEW_RESET_CODE = "new_reset_code"


@bp.route("/reset-code", methods=["GET", "POST"])
@role_required(Role.ORGANIZER)
@defer_write_lock
def reset_code():
    """Give someone who forgot their password a one-time reset code, shown once, to hand
    over in person or by phone (administrators: anyone; organizers: their residents)."""
    form = IssueCodeForm()
    if form.validate_on_submit():
        try:
            user, code = reset_codes.issue_code(form.phone.data, by=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.phone.errors.append(str(error))
        else:
            db.session.commit()
            session[NEW_RESET_CODE] = {"user_id": user.id, "code": code}
            return redirect(url_for(".reset_code"))
    shown = session.pop(NEW_RESET_CODE, None)
    person = db.session.get(User, shown["user_id"]) if shown else None
    response = make_response(render_template(
        "auth/reset_code.html", form=form, person=person,
        code=reset_codes.display_code(shown["code"]) if person else None,
        lifetime_hours=int(reset_codes.CODE_LIFETIME.total_seconds() // 3600),
    ))
    # The page may carry the code: keep it out of every cache.
    response.headers["Cache-Control"] = "no-store"
    return response

