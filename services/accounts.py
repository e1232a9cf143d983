"""Accounts: registering residents, passwords, logins on each device, roles."""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
import unicodedata
from datetime import datetime
from functools import cache
from pathlib import Path

import sqlalchemy as sa
from flask import current_app, has_app_context
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from werkzeug.security import check_password_hash, generate_password_hash

from models import Login, Role, User, UserRole, db
from models.user import NO_PHONE_PREFIX, PASSWORD_HASH_METHOD

from . import audit
from .db import begin_write
from .errors import CommonPassword, PasswordIsPhoneNumber, PhoneHeldByWalkIn, PhoneInUse, PhoneTaken, WrongPassword

PHONE_PATTERN = re.compile(r"^1[3-9][0-9]{9}$")
LOGIN_TOKEN_BYTES = 32

# The password "hash" of an account made for someone else (a walk-in added at the door):
# not in werkzeug's "method$salt$hash" form, so no password matches it and nobody can log
# in until the person registers with the number and so claims the account.
UNCLAIMED_PREFIX = "!unclaimed:"

_EXTRA_COMMON_PASSWORDS = Path(__file__).with_name("common_passwords_extra.txt")


def normalize_phone(raw: str) -> str:
    """Strip spaces, dashes and a +86 prefix from a typed mobile number; full-width
    digits (as some phone keyboards type them) become ASCII ones."""
    digits = re.sub(r"[\s\-()]", "", unicodedata.normalize("NFKC", raw or ""))
    if digits.startswith("+86"):
        digits = digits[3:]
    elif digits.startswith("0086"):
        digits = digits[4:]
    return digits


def is_valid_phone(phone: str) -> bool:
    """Tell whether ``phone`` is an 11-digit mainland mobile number."""
    return bool(PHONE_PATTERN.match(phone))


def find_by_phone(phone: str) -> User | None:
    """The account registered with ``phone``, if any."""
    return db.session.execute(sa.select(User).where(User.phone == phone)).scalar_one_or_none()


def administrators() -> list[User]:
    """The active administrators — the community office — by name: whom organizers ask
    to be added to a program."""
    return list(db.session.execute(
        sa.select(User).join(UserRole, UserRole.user_id == User.id)
        .where(UserRole.role == Role.ADMIN, User.is_active_account.is_(True))
        .order_by(User.display_name, User.id)
    ).scalars())


def is_claimed(user: User) -> bool:
    """Tell whether the account has a password its owner chose (see ``UNCLAIMED_PREFIX``)."""
    return not user.password_hash.startswith(UNCLAIMED_PREFIX)


# --- passwords ---------------------------------------------------------------------------


@cache
def _common_passwords() -> frozenset[str]:
    """The 30,000 most common passwords (the list shipped inside ``zxcvbn``, from real
    leaks) and a few common among Chinese users that it lacks; loaded on first use."""
    from zxcvbn.frequency_lists import FREQUENCY_LISTS

    extra = (
        line.strip() for line in _EXTRA_COMMON_PASSWORDS.read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith("#")
    )
    return frozenset(FREQUENCY_LISTS["passwords"]) | frozenset(extra)


def _is_repetition(text: str) -> bool:
    """Tell whether ``text`` is one short piece said over and over: 88888888, 123123123."""
    return any(
        len(text) % size == 0 and text == text[:size] * (len(text) // size)
        for size in range(1, 5) if len(text) > size
    )


def check_new_password(password: str, *, phone: str | None) -> None:
    """Refuse a new password anyone could guess: one of the most common passwords, a
    short piece repeated, or the person's own mobile number (or part of it).

    Forms check it through ``new_password_field()``; every service that sets a password
    checks again here, so a form that forgot can't let one through.

    :raises CommonPassword: for a common or repetitive password.
    :raises PasswordIsPhoneNumber: when the password contains the mobile number, or is
        nothing but digits taken from it.
    """
    folded = unicodedata.normalize("NFKC", password).casefold()
    bare = re.sub(r"[\s\-+()]", "", folded)
    if phone:
        if phone in bare or (bare.isdigit() and len(bare) >= 6 and bare in phone):
            raise PasswordIsPhoneNumber()
    if folded in _common_passwords() or bare in _common_passwords() or _is_repetition(bare):
        raise CommonPassword()


def hash_method() -> str:
    """How new password hashes are made: the site's PASSWORD_HASH_METHOD."""
    if has_app_context():
        return current_app.config.get("PASSWORD_HASH_METHOD", PASSWORD_HASH_METHOD)
    return PASSWORD_HASH_METHOD


@cache
def _dummy_hash(method: str) -> str:
    # Compared against when the phone number is unknown, so a login takes as long either way.
    return generate_password_hash("not a real password", method=method)


def set_password(user: User, password: str, *, now: datetime) -> None:
    """Give the person a new password and end every session they hold (on every device):
    whoever knew the old password, or held a cookie, is out.

    A caller that keeps the person logged in where they are logs them in again after
    committing (``start_login`` and ``login_user``).

    :raises WeakPassword: when the password is refused (see ``check_new_password``).
    """
    check_new_password(password, phone=user.phone)
    new_hash = generate_password_hash(password, method=hash_method())  # slow: before the lock
    begin_write()
    user.password_hash = new_hash
    end_all_sessions(user, now=now)


def register_user(
    *, phone: str, display_name: str, password: str, now: datetime,
    roles: tuple[Role, ...] = (Role.RESIDENT,),
) -> User:
    """Create an account with a hashed password and the given roles; a number that an
    organizer registered for a walk-in is claimed by the person who registers it.

    :raises PhoneTaken: when the number is already registered (also under a race).
    :raises WeakPassword: when the password is refused (see ``check_new_password``).
    """
    check_new_password(password, phone=phone)
    user = User(phone=phone, display_name=display_name.strip(), created_at=now)
    user.set_password(password, method=hash_method())  # slow on purpose: before the write lock
    begin_write()
    existing = find_by_phone(phone)
    if existing is not None:
        if is_claimed(existing):
            raise PhoneTaken()
        # As safe as registering a fresh number: the account holds only its attendance.
        existing.password_hash = user.password_hash
        existing.display_name = user.display_name
        for role in roles:
            existing.grant(role)
        db.session.flush()
        return existing
    for role in roles:
        user.grant(role)
    try:
        with db.session.begin_nested():
            db.session.add(user)
            db.session.flush()
    except IntegrityError as error:
        raise PhoneTaken() from error
    return user


def create_unclaimed_account(*, phone: str | None, display_name: str, now: datetime) -> User:
    """Create a resident account for someone added by others — a walk-in at the door, a
    neighbour a building leader books for: nobody can log in to it until the person
    registers with the number (``register_user``). Without a number (``phone`` None) it
    gets a placeholder no one can type (``models.user.NO_PHONE_PREFIX``).

    The caller has begun the write transaction and checked that the number is free.
    """
    for _attempt in range(5):
        user = User(
            phone=phone or _placeholder_phone(), display_name=display_name.strip(), created_at=now,
            password_hash=UNCLAIMED_PREFIX + secrets.token_hex(16),
        )
        user.grant(Role.RESIDENT)
        if phone:
            db.session.add(user)
            db.session.flush()
            return user
        try:
            with db.session.begin_nested():
                db.session.add(user)
                db.session.flush()
        except IntegrityError:
            continue  # the one-in-10¹⁴ placeholder that was already taken: draw again
        return user
    raise RuntimeError("no free placeholder for a person without a phone")


def _placeholder_phone() -> str:
    """A unique-looking stand-in for a missing mobile number: "#" and ten letters."""
    return NO_PHONE_PREFIX + "".join(secrets.choice(string.ascii_lowercase) for _ in range(10))


def authenticate(phone: str, password: str, *, now: datetime) -> User | None:
    """The active account matching ``phone`` and ``password``, or None. A hash made with
    older settings is made again with the current ones (commit it).

    Guessing is slowed down before this is called: the login view counts every attempt
    against the number's throttle first (``security.throttles``).
    """
    method = hash_method()
    user = find_by_phone(phone)
    if user is None:
        check_password_hash(_dummy_hash(method), password)
        return None
    if not (user.check_password(password) and user.is_active):
        return None
    if user.password_needs_upgrade(method):
        upgraded = generate_password_hash(password, method=method)
        begin_write()
        user.password_hash = upgraded
        db.session.flush()
    return user


# --- logins on each device ---------------------------------------------------------------


def _token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def start_login(user: User, *, now: datetime) -> str:
    """Record a login of the person on one device and return its token (kept only in that
    device's cookies; the row holds its hash). ``user.login_token`` is set, so the
    cookies Flask-Login writes next carry it."""
    token = secrets.token_urlsafe(LOGIN_TOKEN_BYTES)
    begin_write()
    db.session.add(Login(user_id=user.id, token_hash=_token_hash(token), created_at=now))
    db.session.flush()
    user.login_token = token
    return token


def user_for_cookie(cookie_id: str) -> User | None:
    """The person a session or remember cookie names, if it is still good: the account
    is active, the cookie carries its current session version and names a login that
    hasn't ended (``User.get_id`` writes ``id:version:token``). One query, roles included:
    every page asks what the person may do.

    Cookies written before logins were recorded (``id:version``, or the id alone before
    session versions) are honoured while the version matches; logging out with one of
    them ends every session of the person (``end_login``), as nothing else could end it.
    """
    parts = cookie_id.split(":")
    if len(parts) == 1:
        parts.append("1")
    if len(parts) not in (2, 3) or not all(p.isascii() and p.isdigit() for p in parts[:2]):
        return None
    account, version = int(parts[0]), int(parts[1])
    if account > 2**31 - 1 or version > 2**31 - 1:
        return None
    token = parts[2] if len(parts) == 3 else None
    if token is None:
        user = db.session.execute(
            sa.select(User).where(User.id == account).options(joinedload(User.role_links))
        ).unique().scalar_one_or_none()
    else:
        row = db.session.execute(
            sa.select(User, Login.token_hash)
            .join(Login, Login.user_id == User.id)
            .where(User.id == account, Login.token_hash == _token_hash(token), Login.ended_at.is_(None))
            .options(joinedload(User.role_links))
        ).unique().first()
        if row is None or not hmac.compare_digest(row.token_hash, _token_hash(token)):
            return None
        user = row.User
    if user is None or not user.is_active or user.session_version != version:
        return None
    user.login_token = token
    return user


def end_login(user: User, *, now: datetime) -> None:
    """Log the person out on this device: the login its cookies name ends, so a copy of
    those cookies no longer works; their other devices stay logged in. A cookie from
    before logins were recorded can't be ended alone, so every session of the person ends."""
    if not user.login_token:
        end_all_sessions(user, now=now)
        return
    begin_write()
    db.session.execute(
        sa.update(Login)
        .where(Login.token_hash == _token_hash(user.login_token), Login.ended_at.is_(None))
        .values(ended_at=now)
    )
    db.session.flush()


def end_all_sessions(user: User, *, now: datetime | None = None) -> None:
    """End every session and remember cookie the person holds, on every device.

    Raises the person's session version with a guarded UPDATE, so two callers at once both
    count; the cookies carry the old version and are turned away from the next request on
    (see ``user_for_cookie``). With ``now`` the person's open logins are marked ended too.
    A caller that keeps the person logged in where they are logs them in again after
    committing.
    """
    begin_write()
    db.session.execute(
        sa.update(User).where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session="fetch")
    )
    if now is not None:
        db.session.execute(
            sa.update(Login).where(Login.user_id == user.id, Login.ended_at.is_(None)).values(ended_at=now)
        )
    db.session.flush()


# Roles that come with an appointment (leading a building, working a grid): services.buildings
# grants and takes them with the appointment, so the roles form leaves them as they are.
APPOINTED_ROLES = frozenset({Role.BUILDING_LEADER, Role.GRID_WORKER})


def set_roles(user: User, roles: set[Role]) -> None:
    """Give ``user`` exactly ``roles`` (a resident role is always kept; appointed roles
    stay as they are)."""
    begin_write()
    wanted = set(roles) | {Role.RESIDENT}
    for role in Role:
        if role in APPOINTED_ROLES:
            continue
        if role in wanted:
            user.grant(role)
        else:
            user.revoke(role)
    db.session.flush()


# --- people changing their own account -----------------------------------------------


def _check_current_password(user: User, password: str, *, now: datetime) -> None:
    """Make sure ``password`` is the person's own. Guessing is slowed down before this is
    called: the view counts the attempt against the number's login throttle first.

    :raises WrongPassword: when it isn't.
    """
    if authenticate(user.phone, password, now=now) is None:
        raise WrongPassword()


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    """Change one's password, which ends every session and login the person holds (the
    caller logs this device in again: ``start_login`` before committing, then ``login_user``).

    :raises WrongPassword: when ``current`` isn't the person's password.
    :raises WeakPassword: when the new password is refused (see ``check_new_password``).
    """
    _check_current_password(user, current, now=now)
    set_password(user, new, now=now)
    audit.record("user.password_change", actor=user, now=now, subject_type="users", subject_id=user.id,
                 label=user.display_name)


def update_profile(user: User, *, display_name: str, phone: str, current_password: str | None,
                   now: datetime) -> None:
    """Change one's display name and mobile number (already normalised and checked for
    shape). A new number needs the current password and must be free.

    :raises WrongPassword: when the number changes and the password isn't right.
    :raises PhoneInUse: when someone else registered the number.
    :raises PhoneHeldByWalkIn: when the organizers registered it for a walk-in (the
        office merges that account into this one instead).
    """
    changes_phone = phone != user.phone
    if changes_phone:
        _check_current_password(user, current_password or "", now=now)
    begin_write()
    if changes_phone:
        holder = find_by_phone(phone)
        if holder is not None and holder.id != user.id:
            raise PhoneInUse() if is_claimed(holder) else PhoneHeldByWalkIn()
    before = {"display_name": user.display_name, "phone": user.phone}
    if (display_name.strip(), phone) == (user.display_name, user.phone):
        return
    user.display_name = display_name.strip()
    user.phone = phone
    try:
        with db.session.begin_nested():
            db.session.flush()
    except IntegrityError as error:  # registered just now by someone else
        raise PhoneInUse() from error
    audit.record("user.profile", actor=user, now=now, subject_type="users", subject_id=user.id,
                 label=user.display_name, before=before,
                 after={"display_name": user.display_name, "phone": user.phone})
