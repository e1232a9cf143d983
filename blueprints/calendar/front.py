"""Answering calendar apps below Flask: a feed that hasn't changed, from one query.

Calendar apps ask for their feeds every hour or so, nearly always to hear "unchanged".
Inside Flask that answer already costs only one indexed lookup of the feed's versions
(``services.feed_cache``), yet the request still goes through the whole stack (the session,
the security hooks, Flask-SQLAlchemy's session) — five times what the simplest Flask page
costs. So the app's WSGI callable is wrapped in :class:`FeedFront`:

- When the calendar views answer a feed (``/calendar/all.ics``, a program's, a personal
  one) with 200 or 304, they leave in the WSGI environ which versions the feed was built
  at (:func:`remember`); the front keeps the feed, those versions and the response's
  headers under the exact request (scheme, host, path, query).
- The next request for the same address, if it carries no cookie, is answered by the
  front when the feed is still good: the clock hasn't reached the moment its window would
  change (``Feed.valid_until``) and one query finds the same versions. A matching
  ``If-None-Match`` gets a 304, anything else the kept body; otherwise the request goes
  on to Flask as before, which builds and remembers anew.

What can stop a feed from being right is exactly what raises its versions: every write
to what a feed shows, a personal feed's token being replaced (``calendar_tokens`` is one
of the person's own tables) or its owner being deactivated or deleted (``users``). A bad
``Host``, a control character or an unknown token never gets this far: only answers Flask
gave are kept. Requests with a cookie (a logged-in browser) always go through Flask, so
nothing a session does is skipped.
"""
from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING

import sqlalchemy as sa
from werkzeug.http import parse_etags, remove_entity_headers

from models import FeedVersion
from services.dates import now_utc

if TYPE_CHECKING:
    from services.feeds import Feed

ENVIRON_KEY = "linli.feed"
VERSIONS_KEY = "linli.feed_versions"
PREFIX = "/calendar/"
# Headers never replayed: the server dates each response, and a cookie is one person's.
_NOT_REPLAYED = {"date", "set-cookie", "content-length"}


def remember(environ: dict, scopes: Iterable[str], versions: tuple[int, ...], feed: Feed) -> None:
    """Tell the front that this request was answered with ``feed``, built at ``versions``
    of ``scopes`` (called by the calendar views)."""
    environ[ENVIRON_KEY] = (tuple(scopes), tuple(versions), feed)


def versions_read(environ: dict, scopes: Iterable[str]) -> tuple[int, ...] | None:
    """The versions of ``scopes`` the front read for this request, if it did (it found
    the kept feed out of date and passed the request on)."""
    read = environ.get(VERSIONS_KEY)
    return read[1] if read is not None and read[0] == tuple(scopes) else None


class _Kept:
    """A feed as last sent for one address: its versions, and the headers of a 200 (None
    when Flask has only answered 304 here yet: then only a 304 can be given) and of a 304."""

    __slots__ = ("scopes", "versions", "feed", "headers", "not_modified_headers")

    def __init__(self, scopes, versions, feed, *, headers, not_modified_headers):
        self.scopes, self.versions, self.feed = scopes, versions, feed
        self.headers, self.not_modified_headers = headers, not_modified_headers

    @classmethod
    def from_answer(cls, code: str, headers, remembered, before: _Kept | None) -> _Kept:
        """What to keep after Flask answered ``code`` with ``headers`` (``before``: what
        was kept for the address, whose 200 headers still hold for the same body)."""
        headers = [(k, v) for k, v in headers if k.lower() not in _NOT_REPLAYED]
        scopes, versions, feed = remembered
        if code == "304":
            full = before.headers if before is not None and before.feed.etag == feed.etag else None
            return cls(scopes, versions, feed, headers=full, not_modified_headers=headers)
        # What Flask's own 304 carries: no Content-Type, -Length or -Disposition.
        not_modified = [(k, v) for k, v in headers if k.lower() != "content-disposition"]
        remove_entity_headers(not_modified)
        return cls(scopes, versions, feed, headers=headers, not_modified_headers=not_modified)


class FeedFront:
    """WSGI middleware: answers a feed request from what the calendar views last sent for
    it while its versions stand (see the module docstring). One per process; the ``size``
    most recently used addresses are kept (bodies are shared with the views' feed cache)."""

    def __init__(self, wsgi_app: Callable, engine: Callable[[], sa.Engine], size: int = 512):
        self.wsgi_app = wsgi_app
        self._engine = engine
        self._engine_instance: sa.Engine | None = None
        self.size = size
        self._kept: OrderedDict[tuple, _Kept] = OrderedDict()
        self._lock = threading.Lock()
        self._queries: dict[int, str] = {}

    def __call__(self, environ, start_response):
        if environ.get("REQUEST_METHOD") != "GET" or not environ.get("PATH_INFO", "").startswith(PREFIX):
            return self.wsgi_app(environ, start_response)
        key = (environ.get("wsgi.url_scheme"), environ.get("HTTP_HOST"), environ.get("SCRIPT_NAME", ""),
               environ["PATH_INFO"], environ.get("QUERY_STRING", ""))
        if "HTTP_COOKIE" not in environ:
            answer = self._answer(key, environ, start_response)
            if answer is not None:
                return answer
        return self._through(key, environ, start_response)

    # --- answering from what was kept ---------------------------------------------------

    def _answer(self, key, environ, start_response):
        with self._lock:
            kept = self._kept.get(key)
        if kept is None or not now_utc() < kept.feed.valid_until:
            return None
        if kept.headers is None and not environ.get("HTTP_IF_NONE_MATCH"):
            return None
        current = self._versions(kept.scopes)
        if current != kept.versions:
            environ[VERSIONS_KEY] = (kept.scopes, current)  # Flask needn't read them again
            return None
        feed = kept.feed
        if parse_etags(environ.get("HTTP_IF_NONE_MATCH")).contains_weak(feed.etag):
            start_response("304 NOT MODIFIED", list(kept.not_modified_headers))
            return []
        if kept.headers is None:  # only a 304 was seen here: Flask sends the body once
            return None
        start_response("200 OK", [*kept.headers, ("Content-Length", str(len(feed.body)))])
        return [feed.body]

    def _versions(self, scopes: tuple[str, ...]) -> tuple[int, ...]:
        """The current versions of ``scopes``: one statement on the driver's connection
        (a pooled one of the app's engine). Through SQLAlchemy's Connection the begin,
        compile and rollback around it cost five times the query itself."""
        engine = self._engine_instance
        if engine is None:
            engine = self._engine_instance = self._engine()
        query = self._queries.get(len(scopes))
        if query is None:
            mark = "?" if engine.dialect.paramstyle == "qmark" else "%s"
            query = self._queries[len(scopes)] = (
                f"SELECT scope, version FROM {FeedVersion.__tablename__} "
                f"WHERE scope IN ({', '.join([mark] * len(scopes))})"
            )
        connection = engine.raw_connection()
        try:
            cursor = connection.cursor()
            cursor.execute(query, scopes)
            found = dict(cursor.fetchall())
            cursor.close()
        finally:
            connection.close()  # back to the pool, which ends the transaction
        return tuple(found.get(scope, 0) for scope in scopes)

    # --- keeping what Flask answered ----------------------------------------------------

    def _through(self, key, environ, start_response):
        def keeping_start_response(status, headers, exc_info=None):
            remembered = environ.pop(ENVIRON_KEY, None)
            code = status.split(" ", 1)[0]
            if remembered is not None and code in ("200", "304") and not any(
                name.lower() == "set-cookie" for name, _ in headers
            ):
                with self._lock:
                    before = self._kept.get(key)
                self._keep(key, _Kept.from_answer(code, headers, remembered, before))
            else:
                self._forget(key)
            return start_response(status, headers, exc_info)

        return self.wsgi_app(environ, keeping_start_response)

    def _keep(self, key, kept: _Kept) -> None:
        with self._lock:
            self._kept[key] = kept
            self._kept.move_to_end(key)
            while len(self._kept) > self.size:
                self._kept.popitem(last=False)

    def _forget(self, key) -> None:
        with self._lock:
            self._kept.pop(key, None)

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
