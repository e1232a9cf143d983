"""Throttles (rate limits): Flask-Limiter, counting in the site's database so that every
worker and host of a site shares the counts (``throttle_storage.py``; Redis instead when
``LINLI_RATELIMIT_STORAGE`` names one).

What is limited, each by a setting (see config.py and docs/SECURITY.md):

- **logging in, per mobile number** (``LOGIN_LIMIT_PER_NUMBER``): every attempt is counted
  *before* the password is checked, so a burst of simultaneous attempts can't get more
  checked than the limit. A device the person logged in on before carries a signed
  "known device" cookie, and its attempts count in a bucket of its own
  (``LOGIN_LIMIT_PER_DEVICE``): a stranger typing an organizer's number can slow down
  logins on new devices, never lock the organizer out of their own phone;
- **logging in and registering, per address** (``LOGIN_LIMIT_PER_ADDRESS``,
  ``REGISTER_LIMIT_PER_ADDRESS``): one machine trying many numbers;
- **every write** (POST and the like) **per account** (``WRITE_LIMIT_PER_ACCOUNT``) and
  **per address** (``WRITE_LIMIT_PER_ADDRESS``): bookings and everything else.

Refusals are 429 with a page in the reader's language and ``Retry-After``.
"""
from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time

from flask import Flask, current_app, request
from flask_babel import lazy_gettext as _l
from flask_limiter import ApplicationLimit, Limiter
from flask_login import current_user
from itsdangerous import BadSignature, URLSafeSerializer
from limits import parse_many
from werkzeug.exceptions import TooManyRequests

from . import client_address
from . import throttle_storage  # noqa: F401  (registers the linli+db:// storage scheme)

EXTENSION = "linli_limiter"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})

DEVICE_COOKIE = "linli_device"
SECURE_DEVICE_COOKIE = "__Host-linli_device"
DEVICE_COOKIE_AGE = 60 * 60 * 24 * 365
_DEVICE_SALT = "linli-known-device"


class Throttled(TooManyRequests):
    """A request refused by a throttle; ``retry_after`` seconds until it may be tried again."""

    def __init__(self, retry_after: int):
        super().__init__()
        self.retry_after = max(1, int(retry_after))


def _writes(per: str):
    def exempt() -> bool:
        if request.method in SAFE_METHODS or request.endpoint == "static":
            return True
        return per == "account" and not current_user.is_authenticated

    return exempt


def _is_read() -> bool:
    return request.method in SAFE_METHODS


def _account_key() -> str:
    return f"account:{current_user.id}" if current_user.is_authenticated else "anonymous"


def init_app(app: Flask) -> None:
    """Make the app's limiter: the write limits apply to every request; the login and
    registration limits are counted by their views (``count_login_attempt``)."""
    limiter = Limiter(
        key_func=client_address,
        application_limits=[
            ApplicationLimit(
                limit_provider=lambda: current_app.config["WRITE_LIMIT_PER_ACCOUNT"], key_function=_account_key,
                scope="writes-per-account", exempt_when=_writes("account"),
            ),
            ApplicationLimit(
                limit_provider=lambda: current_app.config["WRITE_LIMIT_PER_ADDRESS"], key_function=client_address,
                scope="writes-per-address", exempt_when=_writes("address"),
            ),
        ],
        strategy="fixed-window",
        key_prefix="linli",
    )
    limiter.init_app(app)
    # Every limit here is on writes: reads skip the limiter's per-request work entirely
    # (resolving and parsing the limits cost more than many a page's query).
    limiter.request_filter(_is_read)
    app.extensions[EXTENSION] = limiter

    @app.errorhandler(429)
    def too_many_requests(error):
        from flask import render_template

        retry_after = getattr(error, "retry_after", None) or _limiter_retry_after()
        response = current_app.make_response((render_template(
            "errors.html", code=429, title=_l("Please wait a moment"),
            message=retry_message(retry_after),
        ), 429))
        response.headers["Retry-After"] = str(retry_after)
        return response


def _limiter_retry_after() -> int:
    limit = current_app.extensions[EXTENSION].current_limit
    if limit is None:
        return 60
    return max(1, math.ceil(limit.reset_at - time.time()))


def retry_message(retry_after: int):
    """"Try again in N minutes" (or seconds), in the reader's language."""
    if retry_after < 60:
        return _l("Too many tries in a short time. Please try again in %(seconds)s seconds.", seconds=retry_after)
    return _l("Too many tries in a short time. Please try again in %(minutes)s minutes.",
              minutes=math.ceil(retry_after / 60))


def is_enabled() -> bool:
    """Tell whether the site's throttles are on (RATELIMIT_ENABLED)."""
    limiter = current_app.extensions.get(EXTENSION)
    return bool(limiter is not None and limiter.enabled and limiter.initialized)


def _hit(setting: str, *identifiers: str) -> None:
    """Count one hit against every limit in the setting for ``identifiers``.

    :raises Throttled: when any of them is used up.
    """
    strategy = current_app.extensions[EXTENSION].limiter
    for item in parse_many(current_app.config[setting]):
        if not strategy.hit(item, "linli", setting, *identifiers):
            reset = strategy.get_window_stats(item, "linli", setting, *identifiers).reset_time
            raise Throttled(math.ceil(reset - time.time()))


def count_login_attempt(phone: str) -> None:
    """Count a login attempt before its password is checked: against the address, then
    against the number — or, from a device the number's owner logged in on before,
    against that device.

    :raises Throttled: when the address, the number or the device has had its tries.
    """
    if not is_enabled():
        return
    _hit("LOGIN_LIMIT_PER_ADDRESS", client_address())
    device = known_device(phone)
    if device is not None:
        _hit("LOGIN_LIMIT_PER_DEVICE", device)
    else:
        _hit("LOGIN_LIMIT_PER_NUMBER", phone)


def count_registration() -> None:
    """Count an attempt to register from this address.

    :raises Throttled: when the address has registered too often.
    """
    if is_enabled():
        _hit("REGISTER_LIMIT_PER_ADDRESS", client_address())


# --- known devices ---------------------------------------------------------------------


def _device_cookie_name() -> str:
    return SECURE_DEVICE_COOKIE if current_app.config.get("SESSION_COOKIE_SECURE") else DEVICE_COOKIE


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.secret_key, salt=_DEVICE_SALT)


def _number_tag(phone: str) -> str:
    # The number itself stays out of the cookie (which is signed, not encrypted).
    return hmac.new(current_app.secret_key.encode(), phone.encode(), hashlib.sha256).hexdigest()[:32]


def known_device(phone: str) -> str | None:
    """The id of this device if the owner of ``phone`` logged in on it before, else None."""
    raw = request.cookies.get(_device_cookie_name())
    if not raw:
        return None
    try:
        tag, device = _serializer().loads(raw)
    except (BadSignature, ValueError, TypeError):
        return None
    return device if isinstance(device, str) and hmac.compare_digest(str(tag), _number_tag(phone)) else None


def remember_device(response, phone: str) -> None:
    """After a successful login: mark this device as one the owner of ``phone`` uses."""
    device = known_device(phone) or secrets.token_urlsafe(16)
    response.set_cookie(
        _device_cookie_name(), _serializer().dumps([_number_tag(phone), device]),
        max_age=DEVICE_COOKIE_AGE, httponly=True, samesite="Lax",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")), path="/",
    )

