"""What the production server adds around the app: an access log that keeps secrets out.

Some addresses are keys: a personal calendar feed (``/calendar/u/<token>.ics``) opens
without a login, a QR check-in link (``/attendance/checkin/<code>``) checks people in, and
``next=`` carries such a path through the login page. Anyone who reads a log must not be
able to use them, so the access log shows them as ``[redacted]``. Query values are kept only for
the few parameters known to be harmless; a search (``q=``) may hold a phone number.
"""
from __future__ import annotations

import gc
import re
from urllib.parse import parse_qsl, quote, urlencode, urlsplit

from gunicorn.glogging import Logger  # a runtime requirement: the production server

HIDDEN = "[redacted]"

# Paths whose segment is a secret, by pattern; the group is what is hidden.
SECRET_PATHS = [
    re.compile(r"^(/calendar/u/)([^/]+?)(\.ics)?$"),
    re.compile(r"^(/attendance/checkin/)([^/]+)()$"),
]
# Any other segment that looks like a token (long, random-looking) is hidden too, so a
# secret added to a URL later is safe before anyone remembers this file.
TOKEN_SEGMENT = re.compile(r"^(?=[^/]*\d)(?=[^/]*[A-Za-z])[A-Za-z0-9_.~-]{20,}$")
# Query parameters whose values are safe to log (paging, filters, formats).
SAFE_QUERY_KEYS = frozenset({
    "page", "months", "program", "series", "theme", "format", "child", "next_ticket", "lang",
})


def redact_path(path: str) -> str:
    """``path`` with every secret segment replaced by ``[redacted]``."""
    for pattern in SECRET_PATHS:
        match = pattern.match(path)
        if match:
            return f"{match.group(1)}{HIDDEN}{match.group(3) or ''}"
    return "/".join(HIDDEN if TOKEN_SEGMENT.match(part) else part for part in path.split("/"))


def redact_query(query: str) -> str:
    """``query`` with the values of all but the harmless parameters hidden; a ``next``
    path keeps its shape with its secrets hidden."""
    if not query:
        return ""
    kept = []
    for key, value in parse_qsl(query, keep_blank_values=True):
        if key in SAFE_QUERY_KEYS and len(value) <= 40:
            kept.append((key, value))
        elif key == "next" and value.startswith("/"):
            kept.append((key, redact_url(value)))
        else:
            kept.append((key, HIDDEN))
    return urlencode(kept, safe="/[]")


def redact_url(url: str) -> str:
    """A path with its query (or a full URL, as in a Referer header), secrets hidden."""
    if not url or url == "-":
        return url
    parts = urlsplit(url)
    redacted = quote(redact_path(parts.path), safe="/[]")
    query = redact_query(parts.query)
    prefix = f"{parts.scheme}://{parts.netloc}" if parts.scheme else ""
    return prefix + redacted + (f"?{query}" if query else "")


class RedactingLogger(Logger):
    """Gunicorn's logger with the request line, path, query and referrer redacted, and no
    cookies, credentials or raw WSGI environment available to the access log format."""

    HIDDEN_HEADERS = ("cookie", "authorization", "proxy-authorization", "x-csrftoken")

    def atoms(self, resp, req, environ, request_time):
        atoms = super().atoms(resp, req, environ, request_time)
        raw = environ.get("RAW_URI") or environ.get("PATH_INFO", "")
        atoms["r"] = f"{environ['REQUEST_METHOD']} {redact_url(raw)} {environ['SERVER_PROTOCOL']}"
        atoms["U"] = redact_path(environ.get("PATH_INFO", ""))
        atoms["q"] = redact_query(environ.get("QUERY_STRING", ""))
        atoms["f"] = redact_url(environ.get("HTTP_REFERER", "-"))
        atoms["{referer}i"] = atoms["f"]
        for header in self.HIDDEN_HEADERS:
            atoms.pop("{%s}i" % header, None)
        for key in [key for key in atoms if key.endswith("}e")]:
            del atoms[key]  # the environ holds the raw path, query and cookies
        return atoms


def freeze_startup_objects() -> None:
    """Move every object alive now out of the garbage collector's view (``gc.freeze``):
    called once a worker has loaded the app, so a full collection during a large page
    walks what requests made, not the app's many thousand start-up objects again."""
    gc.collect()
    gc.freeze()
