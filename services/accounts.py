"""Accounts: registering residents, checking passwords, granting roles."""
from __future__ import annotations

import re
import secrets
import string
import unicodedata
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from models import LoginFailure, Role, User, db
from models.user import NO_PHONE_PREFIX

from .db import begin_write
from .errors import PhoneTaken, TooManyLoginAttempts

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
