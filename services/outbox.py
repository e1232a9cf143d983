"""The outbox: claiming deliveries for a worker, and recording what became of each.

A worker (``flask --app app notifications run``, see ``jobs.deliver_once``) claims a batch
of due deliveries in one short write transaction and commits the claim before it sends
anything, so two workers never hold the same row:

- on PostgreSQL the due rows are selected ``FOR UPDATE SKIP LOCKED`` — a second worker
  skips the rows the first is claiming instead of waiting for them;
- on SQLite the claim runs under ``BEGIN IMMEDIATE`` (``begin_write``), the database's
  only write lock, so claims run one after the other and the second sees the first's.

A claimed row is ``sending`` until the worker records it ``sent``, or after a failure
``pending`` again with a later ``next_attempt_at`` (the wait doubles each time), and
``failed`` after the last attempt — shown to administrators at /admin/notifications. A
claim older than :data:`LEASE` (a worker that died mid-send) may be claimed again; the
SMTP timeout is far shorter, so a live worker never loses its claim.
"""
from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from models import Delivery, DeliveryStatus, Event, Notification, db

from .channels import configured_channels
from .db import begin_write

LEASE = timedelta(minutes=10)


def retry_delay(attempts: int, config: Mapping | None = None) -> timedelta:
    """How long to wait after the ``attempts``-th failed try: the base delay, doubled
    after each further failure (1, 2, 4, 8 … minutes by default)."""
    config = config if config is not None else current_app.config
    return timedelta(seconds=int(config["NOTIFY_RETRY_SECONDS"]) * 2 ** max(attempts - 1, 0))


def claim(*, worker: str, now: datetime, limit: int) -> list[int]:
    """Claim up to ``limit`` due deliveries for ``worker`` (oldest due first) and return
    their ids; the caller commits before sending."""
    begin_write()
    channels = [channel.name for channel in configured_channels()]
    if not channels:
        return []
    due = sa.or_(
        sa.and_(Delivery.status == DeliveryStatus.PENDING, Delivery.next_attempt_at <= now),
        sa.and_(Delivery.status == DeliveryStatus.SENDING, Delivery.claimed_at < now - LEASE),
    )
    ids = list(db.session.execute(
        sa.select(Delivery.id)
        .where(due, Delivery.channel.in_(channels))
        .order_by(Delivery.next_attempt_at, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).scalars())
    if ids:
        db.session.execute(
            sa.update(Delivery).where(Delivery.id.in_(ids))
            .values(status=DeliveryStatus.SENDING, claimed_by=worker, claimed_at=now,
                    attempts=Delivery.attempts + 1)
            .execution_options(synchronize_session=False)
        )
    return ids


def claimed(ids: list[int]) -> list[Delivery]:
    """The claimed deliveries with their messages and what those are about, in id order."""
    if not ids:
        return []
    return list(db.session.execute(
        sa.select(Delivery).where(Delivery.id.in_(ids))
        .options(
            joinedload(Delivery.notification).joinedload(Notification.event).joinedload(Event.program),
            joinedload(Delivery.notification).joinedload(Notification.program),
            joinedload(Delivery.user),
        )
        .order_by(Delivery.id)
        .execution_options(populate_existing=True)
    ).scalars())


def record_sent(delivery_id: int, *, worker: str, now: datetime) -> bool:
    """Record that the worker sent the delivery; False when its claim had lapsed."""
    begin_write()
    result = db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery_id, Delivery.claimed_by == worker,
               Delivery.status == DeliveryStatus.SENDING)
        .values(status=DeliveryStatus.SENT, sent_at=now, last_error="")
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def record_failure(delivery_id: int, error: str, *, worker: str, now: datetime) -> DeliveryStatus | None:
    """Record a failed try: try again after :func:`retry_delay`, or give up after
    ``NOTIFY_MAX_ATTEMPTS`` tries. Returns the new status (None when the claim lapsed)."""
    begin_write()
    delivery = db.session.execute(
        sa.select(Delivery).where(Delivery.id == delivery_id).with_for_update()
        .execution_options(populate_existing=True)
    ).scalar_one_or_none()
    if delivery is None or delivery.claimed_by != worker or delivery.status is not DeliveryStatus.SENDING:
        return None
    delivery.last_error = error[:500]
    if delivery.attempts >= int(current_app.config["NOTIFY_MAX_ATTEMPTS"]):
        delivery.status = DeliveryStatus.FAILED
    else:
        delivery.status = DeliveryStatus.PENDING
        delivery.next_attempt_at = now + retry_delay(delivery.attempts)
    db.session.flush()
    return delivery.status


def retry(delivery: Delivery, *, now: datetime) -> None:
    """Give a failed delivery a fresh set of tries, starting now (an administrator's button)."""
    begin_write()
    db.session.execute(
        sa.update(Delivery)
        .where(Delivery.id == delivery.id, Delivery.status == DeliveryStatus.FAILED)
        .values(status=DeliveryStatus.PENDING, attempts=0, next_attempt_at=now, claimed_by="", claimed_at=None)
        .execution_options(synchronize_session="fetch")
    )


def status_counts() -> dict[DeliveryStatus, int]:
    """How many deliveries are in each state, in one query."""
    counts = {status: 0 for status in DeliveryStatus}
    for status, count in db.session.execute(
        sa.select(Delivery.status, sa.func.count()).group_by(Delivery.status)
    ):
        counts[status] = count
    return counts


def deliveries_query(status: DeliveryStatus):
    """A select of the deliveries in ``status``, latest first, with their people and messages."""
    return (
        sa.select(Delivery)
        .where(Delivery.status == status)
        .options(joinedload(Delivery.user), joinedload(Delivery.notification))
        .order_by(Delivery.created_at.desc(), Delivery.id.desc())
    )
