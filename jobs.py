"""Work done outside requests, each step its own unit of work that commits, as a request
does: sending the outbox (the notifications worker) and writing the day-before reminders.

``cli.py`` runs them (``flask --app app notifications run`` / ``--once``,
``flask --app app reminders send``); tests call them directly.
"""
from __future__ import annotations

import os
import secrets
import socket
import time
from dataclasses import dataclass, field

from models import DeliveryStatus, db
from services import outbox, reminders
from services.channels import CHANNELS, Sender
from services.dates import now_utc

BATCH = 20


@dataclass
class Round:
    """What one round of the worker did."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed


def worker_name() -> str:
    """A name for this worker, unique enough to tell its claims from another's."""
    return f"{socket.gethostname()[:20]}:{os.getpid()}:{secrets.token_hex(3)}"


def deliver_once(*, worker: str, site: str, batch: int = BATCH) -> Round:
    """Claim one batch of due deliveries, send each, and record what became of it.

    The claim is committed before anything is sent, and each result right after its
    send, so a crash loses at most the record of the letter in flight.
    """
    from blueprints.messages.mail import compose

    result = Round()
    ids = outbox.claim(worker=worker, now=now_utc(), limit=batch)
    db.session.commit()
    senders: dict[str, Sender] = {}
    try:
        for delivery in outbox.claimed(ids):
            try:
                letter = compose(delivery, site=site)
                sender = senders.get(delivery.channel)
                if sender is None:
                    sender = senders[delivery.channel] = CHANNELS[delivery.channel].sender()
                sender.send(letter)
            except Exception as error:  # any failure of one letter is retried later
                db.session.rollback()
                message = f"{type(error).__name__}: {error}"
                status = outbox.record_failure(delivery.id, message, worker=worker, now=now_utc())
                result.errors.append(message)
                if status is DeliveryStatus.FAILED:
                    result.failed += 1
                elif status is DeliveryStatus.PENDING:
                    result.retrying += 1
            else:
                if outbox.record_sent(delivery.id, worker=worker, now=now_utc()):
                    result.sent += 1
            db.session.commit()
    finally:
        for sender in senders.values():
            sender.close()
    return result


def deliver_until_idle(*, worker: str, site: str, batch: int = BATCH) -> Round:
    """Send everything that is due now, batch after batch (``notifications run --once``)."""
    total = Round()
    while True:
        result = deliver_once(worker=worker, site=site, batch=batch)
        total.sent += result.sent
        total.retrying += result.retrying
        total.failed += result.failed
        total.errors += result.errors
        if result.handled < batch:
            return total


def run_forever(*, worker: str, site: str, interval: float, echo=print) -> None:
    """Deliver, then sleep ``interval`` seconds when nothing was due; until stopped."""
    while True:
        result = deliver_until_idle(worker=worker, site=site)
        if result.handled:
            echo(f"{result.sent} sent, {result.retrying} to retry, {result.failed} failed.")
        time.sleep(interval)


def send_reminders() -> int:
    """Write the reminders that are due now; returns how many (``reminders send``)."""
    written = reminders.send_reminders(now=now_utc())
    db.session.commit()
    return written
