"""Accounts: registering residents, checking passwords, granting roles."""
from __future__ import annotations

import re
import secrets
import unicodedata
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from models import LoginFailure, Role, User, UserRole, db

from . import audit
from .db import begin_write
from .errors import PhoneHeldByWalkIn, PhoneInUse, PhoneTaken, TooManyLoginAttempts, WrongPassword

LOGIN_FAILURE_LIMIT = 5
LOGIN_FAILURE_WINDOW = timedelta(minutes=15)
PHONE_PATTERN = re.compile(r"^1[3-9][0-9]{9}$")

# Compared against when the phone number is unknown, so a login takes as long either way.
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")

# The password "hash" of an account made for someone else (a walk-in added at the door):
# not in werkzeug's "method$salt$hash" form, so no password matches it and nobody can log
# in until the person registers with the number and so claims the account.
UNCLAIMED_PREFIX = "!unclaimed:"


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


def register_user(
    *, phone: str, display_name: str, password: str, now: datetime,
    roles: tuple[Role, ...] = (Role.RESIDENT,),
) -> User:
    """Create an account with a hashed password and the given roles; a number that an
    organizer registered for a walk-in is claimed by the person who registers it.

    :raises PhoneTaken: when the number is already registered (also under a race).
    """
    user = User(phone=phone, display_name=display_name.strip(), created_at=now)
    user.set_password(password)  # slow on purpose, so done before taking the write lock
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


def create_unclaimed_account(*, phone: str, display_name: str, now: datetime) -> User:
    """Create a resident account for someone an organizer added at the door: nobody can
    log in to it until the person registers with the number (``register_user``).

    The caller has begun the write transaction and checked that the number is free.
    """
    user = User(
        phone=phone, display_name=display_name.strip(), created_at=now,
        password_hash=UNCLAIMED_PREFIX + secrets.token_hex(16),
    )
    user.grant(Role.RESIDENT)
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(
    phone: str, password: str, *, now: datetime, limit: int = LOGIN_FAILURE_LIMIT,
    window: timedelta = LOGIN_FAILURE_WINDOW,
) -> User | None:
    """The active account matching ``phone`` and ``password``, or None (the failure is
    recorded: commit it).

    :raises TooManyLoginAttempts: after ``limit`` failures for the number within
        ``window``, until the oldest of them is older than ``window`` — even with the
        right password, so guessing can't go on.
    """
    recent = db.session.execute(
        sa.select(LoginFailure.failed_at)
        .where(LoginFailure.phone == phone, LoginFailure.failed_at > now - window)
        .order_by(LoginFailure.failed_at.desc())
        .limit(limit)
    ).scalars().all()
    if len(recent) >= limit:
        raise TooManyLoginAttempts(when=recent[-1] + window)
    user = find_by_phone(phone)
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
    elif user.check_password(password) and user.is_active:
        return user
    begin_write()  # after the slow hash check, as in registration
    db.session.add(LoginFailure(phone=phone, failed_at=now))
    db.session.flush()
    return None


def end_all_sessions(user: User) -> None:
    """End every session and remember cookie the person holds, on every device.

    Raises the person's session version with a guarded UPDATE, so two callers at once both
    count; the cookies carry the old version and are turned away from the next request on
    (see ``app._init_login``). A caller that keeps the person logged in where they are logs
    them in again after committing.
    """
    begin_write()
    db.session.execute(
        sa.update(User).where(User.id == user.id)
        .values(session_version=User.session_version + 1)
        .execution_options(synchronize_session="fetch")
    )
    db.session.flush()


def set_roles(user: User, roles: set[Role]) -> None:
    """Give ``user`` exactly ``roles`` (a resident role is always kept)."""
    begin_write()
    wanted = set(roles) | {Role.RESIDENT}
    for role in Role:
        if role in wanted:
            user.grant(role)
        else:
            user.revoke(role)
    db.session.flush()


# --- people changing their own account -----------------------------------------------


def _check_current_password(user: User, password: str, *, now: datetime) -> None:
    """Make sure ``password`` is the person's own, counting a wrong one as a failed login
    (so a borrowed phone can't be used to guess it).

    :raises WrongPassword: when it isn't (commit to keep the count).
    :raises TooManyLoginAttempts: after too many wrong passwords for the number.
    """
    if authenticate(user.phone, password, now=now) is None:
        raise WrongPassword()


def change_password(user: User, current: str, new: str, *, now: datetime) -> None:
    """Change one's password, which ends every session the person holds (the caller logs
    this device in again after committing).

    :raises WrongPassword: when ``current`` isn't the person's password (commit to keep
        the count of wrong passwords).
    :raises TooManyLoginAttempts: after too many wrong passwords for the number.
    """
    _check_current_password(user, current, now=now)
    new_hash = generate_password_hash(new, method="scrypt")  # slow: before the write lock
    begin_write()
    user.password_hash = new_hash
    db.session.flush()
    end_all_sessions(user)
    audit.record("user.password_change", actor=user, now=now, subject_type="users", subject_id=user.id,
                 label=user.display_name)


def update_profile(user: User, *, display_name: str, phone: str, current_password: str | None,
                   now: datetime) -> None:
    """Change one's display name and mobile number (already normalised and checked for
    shape). A new number needs the current password and must be free.

    :raises WrongPassword: when the number changes and the password isn't right (commit
        to keep the count of wrong passwords).
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
