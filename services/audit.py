"""The audit trail of administrators' and organizers' actions (see models.audit).

Operations that change how the community is run call :func:`record` in the same
transaction as the change, with the values before and after. Values are written as JSON:
:func:`snapshot` turns a row's fields into plain values (dates as ISO strings, enums as
their values), and :func:`record` keeps only the fields that changed.
"""
from __future__ import annotations

import enum
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.orm import joinedload

from models import AuditEntry, User, db

from .dates import local_datetime


def _plain(value: Any) -> Any:
    """A JSON-friendly form of one value."""
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, (set, frozenset, tuple, list)):
        items = [_plain(item) for item in value]
        return sorted(items, key=str) if isinstance(value, (set, frozenset)) else items
    if isinstance(value, Mapping):
        return {str(key): _plain(item) for key, item in value.items()}
    if value is None or isinstance(value, (str, int, float, bool)):
        return value
    return str(value)


def snapshot(obj: Any, fields: Iterable[str]) -> dict[str, Any]:
    """The named attributes of ``obj`` as plain JSON values."""
    return {field: _plain(getattr(obj, field)) for field in fields}


def record(
    action: str, *, actor: User | None, now: datetime, subject_type: str,
    subject_id: int | None = None, label: str = "", program_id: int | None = None,
    before: Mapping[str, Any] | None = None, after: Mapping[str, Any] | None = None,
) -> AuditEntry:
    """Append one entry to the audit trail (the caller commits with its change).

    When both ``before`` and ``after`` are given, only the keys whose values differ are
    kept, so an entry reads as what changed.
    """
    before = _plain(dict(before)) if before is not None else None
    after = _plain(dict(after)) if after is not None else None
    if before is not None and after is not None:
        changed = {key for key in before.keys() | after.keys() if before.get(key) != after.get(key)}
        before = {key: before.get(key) for key in sorted(changed)}
        after = {key: after.get(key) for key in sorted(changed)}
    entry = AuditEntry(
        at=now, actor_id=actor.id if actor is not None else None, action=action,
        subject_type=subject_type, subject_id=subject_id, label=label[:200],
        program_id=program_id, before=before, after=after,
    )
    db.session.add(entry)
    db.session.flush()
    return entry


# --- reading the trail ------------------------------------------------------------------


@dataclass(frozen=True)
class TrailFilter:
    """What the admin's audit page filters by; empty fields don't filter."""

    person: str = ""  # a name or mobile number: who did it, or whom (or what) it was done to
    action: str = ""  # an action ("program.edit") or a group of them ("program.")
    program_id: int | None = None
    since: date | None = None  # local days, both included
    until: date | None = None


def trail_query(filters: TrailFilter):
    """A select of the entries matching ``filters``, newest first, with the actor and the
    program loaded (for ``db.paginate``)."""
    query = (
        sa.select(AuditEntry)
        .options(joinedload(AuditEntry.actor), joinedload(AuditEntry.program))
        .order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
    )
    text = filters.person.strip()
    if text:
        people = sa.select(User.id).where(sa.or_(
            User.display_name.contains(text, autoescape=True), User.phone.contains(text, autoescape=True),
        ))
        query = query.where(sa.or_(
            AuditEntry.actor_id.in_(people),
            sa.and_(AuditEntry.subject_type == "users", AuditEntry.subject_id.in_(people)),
            AuditEntry.label.contains(text, autoescape=True),  # e.g. "吕剧团 · 韩秀梅" (organizer added)
        ))
    if filters.action.endswith("."):
        query = query.where(AuditEntry.action.startswith(filters.action, autoescape=True))
    elif filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.program_id:
        query = query.where(AuditEntry.program_id == filters.program_id)
    if filters.since:
        query = query.where(AuditEntry.at >= local_datetime(filters.since, time.min))
    if filters.until:
        query = query.where(AuditEntry.at < local_datetime(filters.until + timedelta(days=1), time.min))
    return query


def actions_recorded() -> list[str]:
    """Every action the trail holds, for the filter's choices."""
    return list(db.session.execute(sa.select(AuditEntry.action).distinct().order_by(AuditEntry.action)).scalars())
