"""Ways a message leaves the site besides the person's in-site messages (消息).

In-site messages always exist: they are the :class:`~models.Notification` rows. Every
other way out is a :class:`Channel` — today only email. A channel says whether it is
set up, where a person is reached (or None: not by this channel, or not for this
topic), and sends one :class:`Letter`. :mod:`services.notifications` writes a
:class:`~models.Delivery` per channel that reaches the person, in the same transaction
as the message; the worker (:mod:`services.outbox`) sends it later.

To add a channel (an SMS or WeChat gateway), write a class with these four members,
register an instance in :data:`CHANNELS`, and give people a way to choose it (their
number, or an account id, and the topics they want) on the account page. See the README.
"""
from __future__ import annotations

import smtplib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

from flask import current_app
from flask_mail import Connection, Message

from models import NotificationSettings


@dataclass(frozen=True)
class Letter:
    """One message written for sending: the same words in plain text and simple HTML,
    with the absolute link back to what it is about."""

    to: str
    subject: str
    text: str
    html: str | None = None
    link: str | None = None


class Channel(Protocol):
    """A way to reach people outside the site."""

    name: str  # stored in Delivery.channel; at most 20 characters

    def is_configured(self, config: Mapping) -> bool:
        """Tell whether the site has what this channel needs to send anything."""

    def address_for(self, settings: NotificationSettings, topic: str) -> str | None:
        """Where to send a message on ``topic`` to the person with ``settings``, or None."""

    def sender(self) -> Sender:
        """Something that sends letters one after the other (e.g. over one connection)."""


class Sender(Protocol):
    def send(self, letter: Letter) -> None:
        """Send one letter; raise on any failure (the worker retries it later)."""

    def close(self) -> None:
        """Let go of whatever the sender holds open."""


# --- email ------------------------------------------------------------------------------


class _TimedConnection(Connection):
    """Flask-Mail's SMTP connection with a timeout, so a dead server can't hang a worker."""

    def __init__(self, mail, timeout: float):
        super().__init__(mail)
        self.timeout = timeout

    def configure_host(self):
        if self.mail.use_ssl:
            host = smtplib.SMTP_SSL(self.mail.server, self.mail.port, timeout=self.timeout)
        else:
            host = smtplib.SMTP(self.mail.server, self.mail.port, timeout=self.timeout)
        host.set_debuglevel(int(self.mail.debug))
        if self.mail.use_tls:
            host.starttls()
        if self.mail.username and self.mail.password:
            host.login(self.mail.username, self.mail.password)
        return host


class _EmailSender:
    """Sends letters over one SMTP connection, opened at the first letter and opened
    again after a failure."""

    def __init__(self):
        self.connection: _TimedConnection | None = None

    def send(self, letter: Letter) -> None:
        if self.connection is None:
            connection = _TimedConnection(current_app.extensions["mail"], current_app.config["MAIL_TIMEOUT"])
            connection.__enter__()
            self.connection = connection
        message = Message(subject=letter.subject, recipients=[letter.to], body=letter.text, html=letter.html)
        try:
            self.connection.send(message)
        except Exception:
            self.close()
            raise

    def close(self) -> None:
        connection, self.connection = self.connection, None
        if connection is not None and connection.host is not None:
            try:
                connection.host.quit()
            except (smtplib.SMTPException, OSError):
                connection.host.close()


class EmailChannel:
    """Email over SMTP with Flask-Mail, to the address a person gave on their account page."""

    name = "email"

    def is_configured(self, config: Mapping) -> bool:
        return bool(config.get("MAIL_SERVER"))

    def address_for(self, settings: NotificationSettings, topic: str) -> str | None:
        if not settings.email:
            return None
        if topic in (settings.email_topics_off or []):
            return None
        return settings.email

    def sender(self) -> _EmailSender:
        return _EmailSender()


# Every channel the site can use, by name; notifications and the worker read it.
CHANNELS: dict[str, Channel] = {"email": EmailChannel()}


def configured_channels(config: Mapping | None = None) -> list[Channel]:
    """The channels set up on this site (none when nothing is configured)."""
    config = config if config is not None else current_app.config
    return [channel for channel in CHANNELS.values() if channel.is_configured(config)]
