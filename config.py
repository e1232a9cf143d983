"""Configuration defaults; ``create_app`` layers the environment and a test's mapping on top."""
from __future__ import annotations

import os
import secrets
from pathlib import Path


class Defaults:
    """Settings for a developer's machine; production overrides them from the environment."""

    SQLALCHEMY_ENGINE_OPTIONS = {"pool_pre_ping": True}
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_HTTPONLY = True
    REMEMBER_COOKIE_SAMESITE = "Lax"
    REMEMBER_COOKIE_DURATION = 60 * 60 * 24 * 30  # a month: residents share few devices
    WTF_CSRF_TIME_LIMIT = None  # a form left open on a phone still submits
    BABEL_DEFAULT_LOCALE = "zh"
    BABEL_DEFAULT_TIMEZONE = "Asia/Shanghai"
    LANGUAGES = ("zh", "en")
    BOOTSTRAP_SERVE_LOCAL = True
    BOOTSTRAP_BOOTSWATCH_THEME = None
    LECTURES_PER_PAGE = 20
    DEFAULT_BOOKING_CUTOFF_MINUTES = 60
    # The site's public address (scheme and host, e.g. https://linli.example.org). Calendar
    # feeds put absolute links in every event and take their UIDs' domain from it; unset,
    # links follow the address a request came in on (or SERVER_NAME when that is set).
    SITE_URL = None
    # Calendar feeds are written in the community's language whatever a reader's switch
    # says: calendar apps send no cookies, and one body per feed keeps ETags stable.
    CALENDAR_LANGUAGE = "zh"
    # No-shows (爽约): NO_SHOW_LIMIT missed events within NO_SHOW_WINDOW_DAYS pause a
    # person's booking for NO_SHOW_PAUSE_DAYS (see services/no_shows.py).
    NO_SHOW_LIMIT = 3
    NO_SHOW_WINDOW_DAYS = 90
    NO_SHOW_PAUSE_DAYS = 30
    # Email (Flask-Mail over SMTP). Without MAIL_SERVER no email is sent at all: messages
    # stay in the site (消息). The worker (flask --app app notifications run) sends them.
    MAIL_SERVER = None
    MAIL_PORT = 25
    MAIL_USE_TLS = False
    MAIL_USE_SSL = False
    MAIL_USERNAME = None
    MAIL_PASSWORD = None
    MAIL_DEFAULT_SENDER = None  # filled in by create_app from the site's address when unset
    MAIL_SUPPRESS_SEND = False  # Flask-Mail would otherwise not send while TESTING
    MAIL_TIMEOUT = 30  # seconds an SMTP conversation may stall before the try fails
    # A failed email is tried again after NOTIFY_RETRY_SECONDS, doubling each time, and
    # marked failed after NOTIFY_MAX_ATTEMPTS tries (1 + 2 + 4 + 8 minutes by default).
    NOTIFY_MAX_ATTEMPTS = 5
    NOTIFY_RETRY_SECONDS = 60
    # Behind a reverse proxy: how many proxies (nginx, a load balancer …) stand between the
    # visitor and the app. 0 trusts no X-Forwarded-* header; n trusts the last n entries.
    PROXY_COUNT = 0
    # PostgreSQL only: connections each server process keeps (and may add beyond them), how
    # long one statement may run, and the name the server's activity view shows.
    DATABASE_POOL_SIZE = 3
    DATABASE_MAX_OVERFLOW = 2
    DATABASE_STATEMENT_TIMEOUT_MS = 15_000
    DATABASE_APPLICATION_NAME = "linli"

    # --- security (see security/ and docs/SECURITY.md) ---
    # Passwords: scrypt N=2^17, r=8, p=1; older hashes are upgraded at the next login.
    PASSWORD_HASH_METHOD = "scrypt:131072:8:1"
    # Requests larger than this are refused (413): every form of the site is far smaller.
    MAX_CONTENT_LENGTH = 256 * 1024
    # In production (not debug, not tests) cookies are Secure and the session cookie is
    # __Host- prefixed; PLAIN_HTTP says the site is served over plain HTTP on purpose.
    PLAIN_HTTP = False
    # Host names answered besides LINLI_SITE_URL's (and the loopback names).
    EXTRA_HOSTS: tuple[str, ...] = ()
    # Throttles (limits' notation: "5 per 15 minutes", several joined by ";").
    RATELIMIT_ENABLED = True
    RATELIMIT_STORAGE_URI = None  # None: the site's database (security/throttle_storage.py)
    LOGIN_LIMIT_PER_NUMBER = "5 per 15 minutes"
    LOGIN_LIMIT_PER_DEVICE = "10 per 15 minutes"
    LOGIN_LIMIT_PER_ADDRESS = "100 per 15 minutes"
    REGISTER_LIMIT_PER_ADDRESS = "20 per hour"
    WRITE_LIMIT_PER_ACCOUNT = "60 per minute; 600 per hour"
    WRITE_LIMIT_PER_ADDRESS = "300 per minute"
    # Children's names are erased this many days after their last class ended
    # (flask --app app anonymize-children, meant for cron).
    CHILD_NAMES_KEPT_DAYS = 365


def _flag(value: str) -> bool:
    return value.strip().lower() in {"1", "true", "yes", "on"}


# Environment variables read at start-up: name -> (config key, converter).
ENVIRONMENT = {
    "DATABASE_URL": ("SQLALCHEMY_DATABASE_URI", str),
    "SECRET_KEY": ("SECRET_KEY", str),
    "LINLI_SECURE_COOKIES": ("SESSION_COOKIE_SECURE", lambda v: _flag(v)),
    "LINLI_SITE_URL": ("SITE_URL", lambda v: v.strip().rstrip("/")),
    "LINLI_NO_SHOW_LIMIT": ("NO_SHOW_LIMIT", int),
    "LINLI_NO_SHOW_WINDOW_DAYS": ("NO_SHOW_WINDOW_DAYS", int),
    "LINLI_NO_SHOW_PAUSE_DAYS": ("NO_SHOW_PAUSE_DAYS", int),
    "LINLI_MAIL_SERVER": ("MAIL_SERVER", str),
    "LINLI_MAIL_PORT": ("MAIL_PORT", int),
    "LINLI_MAIL_USE_TLS": ("MAIL_USE_TLS", lambda v: v.lower() in {"1", "true", "yes"}),
    "LINLI_MAIL_USE_SSL": ("MAIL_USE_SSL", lambda v: v.lower() in {"1", "true", "yes"}),
    "LINLI_MAIL_USERNAME": ("MAIL_USERNAME", str),
    "LINLI_MAIL_PASSWORD": ("MAIL_PASSWORD", str),
    "LINLI_MAIL_FROM": ("MAIL_DEFAULT_SENDER", str),
    "LINLI_NOTIFY_MAX_ATTEMPTS": ("NOTIFY_MAX_ATTEMPTS", int),
    "LINLI_NOTIFY_RETRY_SECONDS": ("NOTIFY_RETRY_SECONDS", int),
    "LINLI_PROXY_COUNT": ("PROXY_COUNT", int),
    "LINLI_DB_POOL_SIZE": ("DATABASE_POOL_SIZE", int),
    "LINLI_DB_MAX_OVERFLOW": ("DATABASE_MAX_OVERFLOW", int),
    "LINLI_DB_STATEMENT_TIMEOUT_MS": ("DATABASE_STATEMENT_TIMEOUT_MS", int),
    "LINLI_DB_APPLICATION_NAME": ("DATABASE_APPLICATION_NAME", str),
    "LINLI_PLAIN_HTTP": ("PLAIN_HTTP", _flag),
    "LINLI_EXTRA_HOSTS": ("EXTRA_HOSTS", lambda v: tuple(h.strip() for h in v.split(",") if h.strip())),
    "LINLI_PASSWORD_HASH_METHOD": ("PASSWORD_HASH_METHOD", str),
    "LINLI_RATELIMIT_ENABLED": ("RATELIMIT_ENABLED", _flag),
    "LINLI_RATELIMIT_STORAGE": ("RATELIMIT_STORAGE_URI", str),
    "LINLI_LOGIN_LIMIT_PER_NUMBER": ("LOGIN_LIMIT_PER_NUMBER", str),
    "LINLI_LOGIN_LIMIT_PER_DEVICE": ("LOGIN_LIMIT_PER_DEVICE", str),
    "LINLI_LOGIN_LIMIT_PER_ADDRESS": ("LOGIN_LIMIT_PER_ADDRESS", str),
    "LINLI_REGISTER_LIMIT_PER_ADDRESS": ("REGISTER_LIMIT_PER_ADDRESS", str),
    "LINLI_WRITE_LIMIT_PER_ACCOUNT": ("WRITE_LIMIT_PER_ACCOUNT", str),
    "LINLI_WRITE_LIMIT_PER_ADDRESS": ("WRITE_LIMIT_PER_ADDRESS", str),
    "LINLI_CHILD_NAMES_KEPT_DAYS": ("CHILD_NAMES_KEPT_DAYS", int),
}


def from_environment(environ=os.environ) -> dict:
    """The settings given by environment variables."""
    settings = {}
    for name, (key, convert) in ENVIRONMENT.items():
        if environ.get(name):
            settings[key] = convert(environ[name])
    secure = settings.pop("SESSION_COOKIE_SECURE", None)
    if secure is not None:
        settings["SESSION_COOKIE_SECURE"] = settings["REMEMBER_COOKIE_SECURE"] = secure
    return settings


def normalize_database_url(url: str) -> str:
    """Use psycopg 3 for ``postgres://`` and ``postgresql://`` URLs."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def postgresql_engine_options(config) -> dict:
    """Engine options for PostgreSQL from the settings: the pool each server process keeps,
    a statement timeout, no JIT and the application name, set on every new connection."""
    return {
        "pool_size": config["DATABASE_POOL_SIZE"],
        "max_overflow": config["DATABASE_MAX_OVERFLOW"],
        "pool_timeout": 10,
        "pool_recycle": 3600,
        "connect_args": {
            "application_name": config["DATABASE_APPLICATION_NAME"],
            "connect_timeout": 5,
            # No JIT: Linli's statements take milliseconds, and compiling one with LLVM
            # takes a second or more (seconds on a busy server) whenever the planner's
            # estimates are high, as they are after a table was emptied and refilled.
            "options": f"-c statement_timeout={int(config['DATABASE_STATEMENT_TIMEOUT_MS'])} -c jit=off",
        },
    }


def instance_secret_key(instance_path: str) -> str:
    """A secret key kept in the instance folder, made on first use (development only)."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        # Several server processes may start at once: each writes its own candidate and
        # links it into place; the first link wins and everyone reads the same key.
        path.parent.mkdir(parents=True, exist_ok=True)
        candidate = path.with_name(f".secret_key.{os.getpid()}")
        candidate.write_text(secrets.token_hex(32))
        candidate.chmod(0o600)
        try:
            os.link(candidate, path)
        except FileExistsError:
            pass
        finally:
            candidate.unlink()
    return path.read_text().strip()


def default_mail_sender(site_url: str | None) -> str:
    """The From address when LINLI_MAIL_FROM is unset: no-reply at the site's host."""
    from urllib.parse import urlsplit

    host = urlsplit(site_url).hostname if site_url else None
    return f"邻里 Linli <no-reply@{host or 'localhost'}>"
