"""A visitor to the real server: cookies, the real login form, CSRF tokens from each page's
forms, and the flashed message each action ends with — what a person sees on the phone.

Only the standard library: ``http.client`` with one connection per request, as a phone on
a flaky network would. Every visitor sends its own ``X-Forwarded-For`` address (from the
documentation ranges, never contacted) as nginx would add it: the race server runs with
``LINLI_PROXY_COUNT=1``, as behind nginx, so each resident is a different address.
"""
from __future__ import annotations

import html
import http.client
import re
import threading
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http.cookies import SimpleCookie
from urllib.parse import urlencode, urlsplit

ALERT = re.compile(r'<div class="alert alert-\w+ mt-3"[^>]*>([^<]*)</div>')


class ServerError(AssertionError):
    """The server answered 5xx."""


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    body: str
    set_cookies: dict[str, str | None]

    @property
    def location(self) -> str:
        return self.headers.get("location", "")


@dataclass
class Form:
    action: str
    fields: dict[str, str]


class _Forms(HTMLParser):
    """Collect the forms of a page with their fields' current values."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.forms: list[Form] = []
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form":
            self.forms.append(Form(action=a.get("action") or "", fields={}))
        elif not self.forms:
            return
        elif tag == "input" and a.get("name"):
            kind = (a.get("type") or "text").lower()
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.forms[-1].fields[a["name"]] = a.get("value") or "y"
            elif kind not in {"submit", "button"}:
                self.forms[-1].fields[a["name"]] = a.get("value") or ""
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select:
            fields = self.forms[-1].fields
            if "selected" in a or self._select not in fields:
                fields[self._select] = a.get("value") or ""
        elif tag == "textarea":
            self._textarea = a.get("name")
            self.forms[-1].fields[self._textarea] = ""

    def handle_endtag(self, tag):
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data):
        if self._textarea and self.forms:
            self.forms[-1].fields[self._textarea] += data


def forms_of(page: str) -> list[Form]:
    """The forms on ``page``."""
    parser = _Forms()
    parser.feed(page)
    return parser.forms


def form_posting_to(page: str, action: str, *, here: str | None = None) -> Form:
    """The form on ``page`` whose action is ``action`` (a path); a form without an action
    posts to the page's own address, ``here``."""
    for form in forms_of(page):
        if (urlsplit(form.action).path or here) == action:
            return form
    raise AssertionError(f"no form posting to {action}")


def alerts(page: str) -> list[str]:
    """The flashed messages at the top of a page."""
    return [html.unescape(m).strip() for m in ALERT.findall(page)]


@dataclass
class Visitor:
    """One person with a phone: their cookies and the address nginx would report."""

    host: str
    port: int
    address: str
    cookies: dict[str, str] = field(default_factory=dict)
    replies: list[int] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def request(self, method: str, path: str, form: dict | None = None,
                cookies: dict[str, str] | None = None) -> Reply:
        """One request with ``cookies`` (the visitor's own by default); 5xx raises."""
        cookies = self.cookies if cookies is None else cookies
        headers = {
            "X-Forwarded-For": self.address, "X-Forwarded-Proto": "http",
            "User-Agent": "Mozilla/5.0 (Linux; Android 12) MicroMessenger/8.0 linli-race",
        }
        if cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        connection = http.client.HTTPConnection(self.host, self.port, timeout=120)
        try:
            connection.request(method, path, body=body, headers=headers)
            response = connection.getresponse()
            text = response.read().decode("utf-8", errors="replace")
            set_cookies = _parse_set_cookies(response.headers.get_all("Set-Cookie") or [])
            reply = Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, text, set_cookies)
        finally:
            connection.close()
        with self._lock:
            self.replies.append(reply.status)
        if reply.status >= 500:
            raise ServerError(f"{method} {path} answered {reply.status}")
        return reply

    def get(self, path: str) -> str:
        """Open a page (following redirects), keeping the cookies it sets; its HTML."""
        reply = self.request("GET", path)
        self._keep(self.cookies, reply)
        for _ in range(5):
            if reply.status not in (301, 302, 303):
                break
            reply = self.request("GET", _local(reply.location))
            self._keep(self.cookies, reply)
        assert reply.status == 200, f"GET {path} answered {reply.status}"
        return reply.body

    def submit(self, action: str, fields: dict, *, own_tab: bool = False) -> tuple[int, list[str]]:
        """Post a form and open the page it redirects to, as a browser tab does; the
        status of the POST and the messages flashed on the page it leads to.

        ``own_tab`` keeps this tab's cookies apart (several tabs submitting at once each
        read their own message); otherwise the visitor's cookies follow the tab.
        """
        cookies = dict(self.cookies) if own_tab else self.cookies
        reply = self.request("POST", action, fields, cookies=cookies)
        self._keep(cookies, reply)
        if reply.status not in (302, 303):
            return reply.status, alerts(reply.body)
        page = self.request("GET", _local(reply.location), cookies=cookies)
        self._keep(cookies, page)
        return reply.status, alerts(page.body)

    def log_in(self, phone: str, password: str) -> None:
        """Log in through the login form, with its CSRF token, in English."""
        self.cookies["lang"] = "en"
        page = self.get("/auth/login")
        form = form_posting_to(page, "/auth/login", here="/auth/login")
        fields = {**form.fields, "phone": phone, "password": password}
        reply = self.request("POST", "/auth/login", fields)
        self._keep(self.cookies, reply)
        assert reply.status == 302, f"login of {phone} failed: {alerts(reply.body)}"

    def _keep(self, cookies: dict[str, str], reply: Reply) -> None:
        for name, value in reply.set_cookies.items():
            if value is None:
                cookies.pop(name, None)
            else:
                cookies[name] = value


def _local(location: str) -> str:
    parts = urlsplit(location)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _parse_set_cookies(headers: list[str]) -> dict[str, str | None]:
    """Cookie name -> value from Set-Cookie headers; None for a cookie being deleted."""
    found: dict[str, str | None] = {}
    for header in headers:
        cookie = SimpleCookie()
        cookie.load(header)
        for name, morsel in cookie.items():
            expired = morsel["max-age"] == "0" or "1970" in (morsel["expires"] or "")
            found[name] = None if expired else morsel.value
    return found
