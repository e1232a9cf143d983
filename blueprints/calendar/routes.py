"""Calendar feeds: public subscriptions, one-event downloads and personal feeds.

Feeds need no login — calendar apps fetch them on their own — and are always written in
the community's language (``CALENDAR_LANGUAGE``), whatever the reader's switch says.
"""
from __future__ import annotations

import re
from urllib.parse import quote

from flask import Blueprint, Response, abort, current_app, request, url_for
from flask_login import current_user

from models import Event, Program, User, db
from services import feed_cache, feeds
from services.dates import now_utc

from ..common import event_page
from . import front

bp = Blueprint("calendar", __name__, url_prefix="/calendar")

PUBLIC_CACHE = "public, max-age=300"
# Personal feeds: no cache may keep them (they name one person's bookings and children).
PRIVATE_CACHE = "no-store"


def site_address() -> str | None:
    """The site's configured public address (SITE_URL, else SERVER_NAME with the preferred
    scheme), never the Host header of a request; None when neither is set."""
    site = current_app.config.get("SITE_URL")
    if site:
        return site.rstrip("/")
    server = current_app.config.get("SERVER_NAME")
    if server:
        return f"{current_app.config.get('PREFERRED_URL_SCHEME', 'http')}://{server}"
    return None


def absolute_url(endpoint: str, **values) -> str:
    """An absolute URL on the site, for pages (subscribe boxes): under the configured
    address, else the address this page was asked for (a page goes back to whoever asked
    for it; feeds, which caches share, use :func:`feed_url` instead)."""
    site = site_address()
    if site:
        return site + url_for(endpoint, **values)
    return url_for(endpoint, _external=True, **values)


def feed_url(endpoint: str, **values) -> str | None:
    """An absolute URL for inside a feed: only under the configured address, else None."""
    site = site_address()
    return site + url_for(endpoint, **values) if site else None


def event_url(event: Event) -> str | None:
    """The absolute URL of the page that shows ``event`` (see ``common.EVENT_PAGES``), or
    None when the site's address isn't configured."""
    endpoint, values = event_page(event)
    return feed_url(endpoint, **values)


def _links() -> feeds.FeedLinks:
    return feeds.FeedLinks(event_url=event_url)


def _language() -> str:
    return current_app.config["CALENDAR_LANGUAGE"]


def _cached(key: tuple, scopes: list[str], build, versions: tuple[int, ...] | None = None) -> feeds.Feed:
    """The feed ``key`` from this process's cache when the versions of ``scopes`` haven't
    moved and the clock hasn't changed it; else ``build(now)`` and keep it. ``versions``:
    those of ``scopes``, when already read."""
    cache = current_app.extensions.setdefault("linli_feed_cache", feed_cache.FeedCache())
    now = now_utc()
    # Everything a feed's bytes depend on besides the data: where links point, the language.
    key = (*key, absolute_url("calendar.all_events"), _language())
    if versions is None:
        versions = front.versions_read(request.environ, scopes) or feed_cache.versions(scopes)
    feed = cache.get(key, versions, now=now)
    if feed is None:
        feed = build(now)
        cache.put(key, versions, feed, now=now)
    front.remember(request.environ, scopes, versions, feed)
    return feed


@bp.app_template_global()
def subscribe_links(feed_url: str) -> dict[str, str]:
    """The ways to subscribe to ``feed_url``: webcal:// (Apple, Outlook, Thunderbird),
    Google Calendar's add-by-URL page, and the https address to copy."""
    webcal = "webcal://" + feed_url.split("://", 1)[1]
    return {
        "https": feed_url,
        "webcal": webcal,
        "google": "https://calendar.google.com/calendar/r?cid=" + quote(webcal, safe=""),
    }


@bp.app_template_global()
def program_feed_url(program: Program) -> str:
    """The absolute address of ``program``'s feed."""
    return absolute_url("calendar.program", slug=program.slug)


@bp.app_template_global()
def all_events_feed_url() -> str:
    """The absolute address of the feed of every public event."""
    return absolute_url("calendar.all_events")


@bp.app_template_global()
def personal_feed_url(token: str) -> str:
    """The absolute address of the personal feed opened by ``token``."""
    return absolute_url("calendar.personal", token=token)


def ics_response(feed: feeds.Feed, *, filename: str, download: bool = False) -> Response:
    """Send a feed as ``text/calendar`` with a strong ETag, answering 304 when the
    client's If-None-Match already names it.

    If-Modified-Since alone never gives a 304: a feed can change without any event in it
    changing (a booking cancelled, an event leaving the window), so only the ETag, a hash
    of the body, can tell that nothing changed.
    """
    if request.if_none_match.contains_weak(feed.etag):
        response = Response(status=304)
    else:
        response = Response(feed.body, mimetype="text/calendar")
        disposition = "attachment" if download else "inline"
        response.headers["Content-Disposition"] = f'{disposition}; filename="{filename}"'
    response.set_etag(feed.etag)
    if feed.last_modified is not None:
        response.last_modified = feed.last_modified
    response.headers["Cache-Control"] = PUBLIC_CACHE
    return response


@bp.after_request
def keep_personal_feeds_private(response: Response) -> Response:
    """Personal feed answers (404s included): no shared caching, no referrer, no index —
    the URL is the secret."""
    if request.endpoint == "calendar.personal":
        response.headers["Cache-Control"] = PRIVATE_CACHE
        response.headers["Referrer-Policy"] = "no-referrer"
        response.headers["X-Robots-Tag"] = "noindex, nofollow"
    return response


@bp.route("/all.ics")
def all_events():
    """Every public event of the community, for calendar apps to subscribe to."""
    feed = _cached(("all",), [feed_cache.EVENTS],
                   lambda now: feeds.public_feed(now=now, links=_links(), language=_language()))
    return ics_response(feed, filename="linli.ics")


@bp.route("/<slug>.ics")
def program(slug: str):
    """One program's events, for calendar apps to subscribe to."""
    program = feeds.public_program(slug)
    if program is None:
        abort(404)
    feed = _cached(("program", program.id), [feed_cache.EVENTS],
                   lambda now: feeds.program_feed(program, now=now, links=_links(), language=_language()))
    return ics_response(feed, filename=re.sub(r"[^A-Za-z0-9_-]", "-", program.slug) + ".ics")


@bp.route("/events/<int:event_id>.ics")
def event(event_id: int):
    """One event as a file to add to a calendar ("add to calendar")."""
    event = feeds.public_event(event_id, viewer=current_user)
    if event is None:
        abort(404)
    feed = feeds.event_feed(event, links=_links(), language=_language())
    return ics_response(feed, filename=f"linli-event-{event.id}.ics", download=True)


@bp.route("/u/<token>.ics")
def personal(token: str):
    """A person's own feed, opened by the secret token in its URL (no login: calendar
    apps can't log in). An unknown or replaced token is a 404."""
    # One query answers a revalidation: the token's owner, their alarm, the versions.
    owner = feeds.feed_owner(token)
    if owner is None:
        abort(404)
    alarm = owner.alarm_minutes
    feed = _cached(("personal", owner.user_id, alarm),
                   [feed_cache.EVENTS, feed_cache.person_scope(owner.user_id)],
                   lambda now: feeds.personal_feed(db.session.get(User, owner.user_id), now=now, links=_links(),
                                                   language=_language(), alarm_minutes=alarm),
                   versions=owner.versions)
    return ics_response(feed, filename="linli-my-calendar.ics")
