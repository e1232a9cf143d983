"""What every request and response goes through to stay safe: the hosts we answer to,
cookies, headers, refusing control characters, and the throttles (``throttles.py``).

``init_app`` is called by ``app.create_app`` before the other hooks, so a bad request is
turned away before anything reads the database. See docs/SECURITY.md.
"""
from __future__ import annotations

import ipaddress
import re
import secrets
from urllib.parse import urlsplit

from flask import Flask, abort, g, request
from flask_login import current_user

# C0 controls and DEL: nobody means them in a path or a query, and PostgreSQL refuses
# NUL in text. In form fields tab, line feed and carriage return are fine (text areas).
_CONTROL_IN_URL = re.compile(r"[\x00-\x1f\x7f]")
_CONTROL_IN_FORM = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Names the site always answers to besides LINLI_SITE_URL's host: the machine itself,
# for health checks and the operator's own curl.
LOOPBACK_HOSTS = ("localhost", "127.0.0.1", "[::1]")

HSTS = "max-age=31536000"
SECURE_COOKIE_NAMES = {
    "SESSION_COOKIE_NAME": "__Host-linli_session",
    "REMEMBER_COOKIE_NAME": "__Host-linli_remember",
}


def init_app(app: Flask) -> None:
    """Attach the request checks, response headers and throttles to ``app``."""
    _configure(app)
    app.before_request(refuse_control_characters)
    from . import throttles

    throttles.init_app(app)
    app.after_request(add_security_headers)
    app.after_request(keep_personal_pages_out_of_caches)
    app.add_template_global(csp_nonce)


def is_production(app: Flask) -> bool:
    """Tell whether ``app`` serves real people: neither a debug run nor tests."""
    return not (app.debug or app.testing)


def uses_secure_cookies(app: Flask) -> bool:
    """Tell whether cookies go out over HTTPS only (in production unless the site says it
    runs on plain HTTP on purpose)."""
    return bool(app.config.get("SESSION_COOKIE_SECURE"))


def _configure(app: Flask) -> None:
    config = app.config
    # The address and scheme a visitor used come from our own reverse proxies through
    # ProxyFix, which create_app sets up from LINLI_PROXY_COUNT.
    site = config.get("SITE_URL")
    if site:
        host = urlsplit(site).netloc.lower()
        extra = [h.strip().lower() for h in config.get("EXTRA_HOSTS", ()) if h.strip()]
        config["TRUSTED_HOSTS"] = sorted({host, host.split(":")[0], *LOOPBACK_HOSTS, *extra})

    if is_production(app):
        if config.get("PLAIN_HTTP"):
            config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = False
            app.logger.warning(
                "LINLI_PLAIN_HTTP is set: cookies are sent over plain HTTP, where anyone on the "
                "network can read them. Only for a site that can't have HTTPS."
            )
        else:
            config["SESSION_COOKIE_SECURE"] = config["REMEMBER_COOKIE_SECURE"] = True
            for key, name in SECURE_COOKIE_NAMES.items():
                config[key] = name
        if not site:
            app.logger.warning(
                "LINLI_SITE_URL is not set: the site answers to any host name, and calendar "
                "feeds carry no links back to the site. Set it to the site's public address."
            )


def refuse_control_characters():
    """Control characters in the path are a 404, in a query or form value a 400 — one
    place, before any view can hand them to the database."""
    if _CONTROL_IN_URL.search(request.path):
        abort(404)
    for key, value in request.args.items(multi=True):
        if _CONTROL_IN_URL.search(key) or _CONTROL_IN_URL.search(value):
            abort(400)
    if request.method not in ("GET", "HEAD", "OPTIONS") and request.mimetype in (
        "application/x-www-form-urlencoded", "multipart/form-data",
    ):
        for key, value in request.form.items(multi=True):
            if _CONTROL_IN_FORM.search(key) or _CONTROL_IN_FORM.search(value):
                abort(400)


def csp_nonce() -> str:
    """This response's nonce for an inline ``<style>`` (pygal's charts); scripts never
    get one: every script is a file under /static."""
    nonce = g.get("csp_nonce")
    if nonce is None:
        nonce = g.csp_nonce = secrets.token_urlsafe(16)
    return nonce


def content_security_policy() -> str:
    """The Content-Security-Policy of every page."""
    return "; ".join((
        "default-src 'self'",
        "script-src 'self'",
        f"style-src 'self' 'nonce-{csp_nonce()}'",
        "img-src 'self' data:",
        "font-src 'self'",
        "connect-src 'self'",
        "form-action 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
    ))


def add_security_headers(response):
    """Headers on every response: CSP, no sniffing, no framing, referrers only to our own
    origin, and HSTS when the request came over HTTPS."""
    headers = response.headers
    headers.setdefault("Content-Security-Policy", content_security_policy())
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("X-Frame-Options", "DENY")
    # Our own pages get the referrer (Flask-WTF checks it on HTTPS posts); no other site does.
    headers.setdefault("Referrer-Policy", "same-origin")
    headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
    headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=(), payment=()")
    if request.is_secure:
        headers.setdefault("Strict-Transport-Security", HSTS)
    return response


def keep_personal_pages_out_of_caches(response):
    """Whatever is answered to a logged-in person (or sets a cookie) is ``no-store``,
    unless the view chose its own caching (public calendar feeds): pages with bookings,
    children, phone numbers or a secret link must not stay in any cache."""
    if request.endpoint == "static":
        return response
    personal = "Set-Cookie" in response.headers or (
        g.get("_login_user") is not None and current_user.is_authenticated
    )
    if personal and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    elif response.mimetype == "text/html" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-cache"
    return response


def client_address() -> str:
    """The visitor's address as the throttles count it: an IPv6 address by its /64 (one
    household or phone gets a whole /64, and changes addresses inside it)."""
    address = request.remote_addr or "unknown"
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if ip.version == 6:
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)
