"""Emails: a message written for sending, in the person's language, with links back.

The worker writes letters outside any request, so links are built from the site's
address (``LINLI_SITE_URL``) and the templates are rendered straight from the Jinja
environment (they extend nothing and read only what they are given).
"""
from __future__ import annotations

from urllib.parse import urlsplit

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _

from models import Delivery, NotificationSettings, db
from services.channels import Letter
from services.notification_texts import render

from .links import message_target


def site_url() -> str | None:
    """The site's public address for links in emails: LINLI_SITE_URL, else SERVER_NAME."""
    site = current_app.config.get("SITE_URL")
    if site:
        return site.rstrip("/")
    server = current_app.config.get("SERVER_NAME")
    return f"http://{server}" if server else None


def external_url(site: str, endpoint: str, **values) -> str:
    """An absolute URL under ``site`` without a request to take the address from."""
    parts = urlsplit(site)
    adapter = current_app.url_map.bind(parts.netloc, script_name=parts.path or "/", url_scheme=parts.scheme or "https")
    return adapter.build(endpoint, values, force_external=True)


def compose(delivery: Delivery, *, site: str) -> Letter:
    """The email for one delivery: subject, plain text and simple HTML in the person's
    chosen language, linking to what the message is about and to their email settings."""
    notification = delivery.notification
    settings = db.session.get(NotificationSettings, delivery.user_id)
    language = settings.language if settings is not None else current_app.config["BABEL_DEFAULT_LOCALE"]
    endpoint, values = message_target(notification) or ("messages.index", {})
    link = external_url(site, endpoint, **values)
    with force_locale(language):
        text = render(notification)
        context = {
            "name": delivery.user.display_name, "text": text, "link": link,
            "messages_link": external_url(site, "messages.index"),
            "settings_link": external_url(site, "account.notifications"),
            "lang": language,
        }
        environment = current_app.jinja_env
        return Letter(
            to=delivery.address,
            subject=_("Linli: %(title)s", title=text.title),
            text=environment.get_template("messages/email.txt").render(context),
            html=environment.get_template("messages/email.html").render(context),
            link=link,
        )
