"""Password reset codes: what someone who forgot their password gets from the community
office (or from an organizer of a program they take part in) and types on the
"忘记密码" page. No SMS gateway is assumed: the code is handed over in person or by phone.

The rules: a code is 8 digits, shown once to whoever issued it, stored only as a scrypt
hash, good for 24 hours and once; it is void after five wrong tries, when a newer code is
issued, or when the account is deactivated. Who may issue one:

- an administrator, for anyone;
- an organizer, for a resident — someone holding neither the organizer nor the
  administrator role — who booked, joined or applied to one of the programs the organizer
  runs (a child's place counts for the parent). An organizer can't hand themselves or
  another organizer a way into an account; the office can.

Every code issued and used is in the audit trail.
"""
from __future__ import annotations

import secrets
import unicodedata
from datetime import datetime, timedelta

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from models import (
    Booking, Event, Membership, PasswordResetCode, Role, TroupeMembership, User, db, program_organizers,
)

from . import audit, notifications
from .accounts import check_new_password, end_all_sessions, find_by_phone, hash_method
from .db import begin_write
from .errors import CannotRun, PersonNotFound, ResetCodeInvalid, ResetCodeNotAllowed

CODE_DIGITS = 8
CODE_LIFETIME = timedelta(hours=24)
WRONG_TRIES_LIMIT = 5
_DUMMY_HASH = generate_password_hash("00000000", method="scrypt")


def normalize_code(raw: str) -> str:
    """The digits of a typed code: spaces and dashes dropped, full-width digits made ASCII."""
    return "".join(ch for ch in unicodedata.normalize("NFKC", raw or "") if ch.isascii() and ch.isdigit())


def display_code(code: str) -> str:
    """A code split in two for reading aloud, e.g. ``2741 0936``."""
    return f"{code[:4]} {code[4:]}"


def _is_connected(user: User, organizer: User) -> bool:
    """Tell whether ``user`` booked, joined or applied to a program ``organizer`` runs."""
    runs = sa.select(program_organizers.c.program_id).where(program_organizers.c.user_id == organizer.id)
    booked = sa.exists().where(
        Booking.user_id == user.id, Booking.event_id == Event.id, Event.program_id.in_(runs)
    )
    joined = sa.exists().where(Membership.user_id == user.id, Membership.program_id.in_(runs))
    in_troupe = sa.exists().where(TroupeMembership.user_id == user.id, TroupeMembership.program_id.in_(runs))
    return bool(db.session.execute(sa.select(sa.or_(booked, joined, in_troupe))).scalar())


def can_issue_code(actor: User, user: User) -> bool:
    """Tell whether ``actor`` may give ``user`` a reset code (see the module's rules)."""
    if actor.has_role(Role.ADMIN):
        return True
    if not actor.has_role(Role.ORGANIZER) or user.id == actor.id:
        return False
    if user.roles & {Role.ORGANIZER, Role.ADMIN}:
        return False
    return _is_connected(user, actor)


def issue_code(phone: str, *, by: User, now: datetime) -> tuple[User, str]:
    """Make a new reset code for the person registered with ``phone`` (voiding any
    earlier one); returns the person and the code — the only time it can be read.

    :raises PersonNotFound: when nobody is registered with the number.
    :raises ResetCodeNotAllowed: when ``by`` may not give that person a code.
    :raises CannotRun: when the account is deactivated (reactivate it first).
    """
    user = find_by_phone(phone)
    if user is None:
        raise PersonNotFound()
    if not can_issue_code(by, user):
        raise ResetCodeNotAllowed(name=user.display_name)
    if not user.is_active_account:
        raise CannotRun(name=user.display_name)
    code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
    code_hash = generate_password_hash(code, method="scrypt")  # slow: before the write lock
    begin_write()
    void_codes(user, now=now)
    db.session.add(PasswordResetCode(
        user_id=user.id, code_hash=code_hash, issued_by_id=by.id, created_at=now,
        expires_at=now + CODE_LIFETIME,
    ))
    db.session.flush()
    audit.record(
        "user.reset_code", actor=by, now=now, subject_type="users", subject_id=user.id,
        label=user.display_name, after={"valid_until": now + CODE_LIFETIME},
    )
    return user, code


def void_codes(user: User, *, now: datetime) -> None:
    """Void the person's live reset code, if any (the caller has begun the write)."""
    db.session.execute(
        sa.update(PasswordResetCode)
        .where(PasswordResetCode.user_id == user.id, PasswordResetCode.used_at.is_(None),
               PasswordResetCode.voided_at.is_(None))
        .values(voided_at=now)
        .execution_options(synchronize_session="fetch")
    )


def _live_code(user_id: int, now: datetime, *, lock: bool = False) -> PasswordResetCode | None:
    query = sa.select(PasswordResetCode).where(
        PasswordResetCode.user_id == user_id, PasswordResetCode.used_at.is_(None),
        PasswordResetCode.voided_at.is_(None), PasswordResetCode.expires_at > now,
    )
    if lock:
        query = query.with_for_update().execution_options(populate_existing=True)
    return db.session.execute(query).scalar_one_or_none()


def reset_password(phone: str, code: str, new_password: str, *, now: datetime) -> User:
    """Set a new password with a reset code, spending the code and ending every session
    the person had; returns the person (to log in on this device).

    :raises ResetCodeInvalid: for an unknown number, a wrong, spent, void or expired code.
        A wrong code counts against the code (five make it void): commit before showing
        the error.
    :raises WeakPassword: when the new password is refused (``check_new_password``); the
        code is not spent.
    """
    digits = normalize_code(code)
    user = find_by_phone(phone)
    check_new_password(new_password, phone=user.phone if user is not None else phone)
    row = _live_code(user.id, now) if user is not None else None
    # The slow hashes come before the write lock; an unknown number costs the same.
    matches = check_password_hash(row.code_hash if row else _DUMMY_HASH, digits) and row is not None
    new_hash = generate_password_hash(new_password, method=hash_method()) if matches else None
    if row is None:
        raise ResetCodeInvalid()
    begin_write()
    row = _live_code(user.id, now, lock=True)
    if row is None or not user.is_active_account:
        raise ResetCodeInvalid()
    if not matches:
        row.failed_attempts += 1
        if row.failed_attempts >= WRONG_TRIES_LIMIT:
            row.voided_at = now
        db.session.flush()
        raise ResetCodeInvalid()
    row.used_at = now
    user.password_hash = new_hash
    db.session.flush()
    end_all_sessions(user, now=now)
    notifications.password_was_reset(user, now=now)
    audit.record(
        "user.password_reset", actor=user, now=now, subject_type="users", subject_id=user.id,
        label=user.display_name, after={"code_issued_at": row.created_at},
    )
    return user
