"""Gunicorn settings for Linli: ``gunicorn -c gunicorn.conf.py`` (``make serve``, the systemd unit).

Every setting can be changed from the environment without editing this file:

- ``LINLI_BIND``        where to listen (default ``127.0.0.1:8000``; nginx sits in front);
- ``WEB_CONCURRENCY``   worker processes (default 2 × cores + 1);
- ``LINLI_THREADS``     threads per worker (default 1: plain sync workers);
- ``LINLI_TIMEOUT``     seconds a worker may spend on one request before it is restarted (30);
- ``LINLI_ACCESS_LOG``  where the access log goes: a path, ``-`` for standard output
  (default), or ``off``; paths and queries in it are redacted (``serving.py``);
- ``LINLI_ERROR_LOG``   where errors go (default ``-``, standard error: journald keeps it);
- ``LINLI_LOG_LEVEL``   gunicorn's own log level (``info``);
- ``LINLI_MAX_REQUESTS``  restart a worker after this many requests (20000; 0 never);

and ``GUNICORN_CMD_ARGS`` or command-line options override anything here (the benchmarks
and the race tests pass ``--workers`` and ``--bind`` that way). The app itself reads its
own settings (``DATABASE_URL``, ``SECRET_KEY``, ``LINLI_PROXY_COUNT`` …) from the
environment; see README.md.
"""
import multiprocessing
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import serving  # noqa: E402


def _env_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


wsgi_app = "app:create_app()"
bind = [os.environ.get("LINLI_BIND", "127.0.0.1:8000")]
workers = _env_int("WEB_CONCURRENCY", 2 * multiprocessing.cpu_count() + 1)
threads = _env_int("LINLI_THREADS", 1)

# A booking takes milliseconds; a request still running after 30 s is stuck (the database's
# statement timeout is 15 s), so its worker is replaced. Workers get as long to finish
# their requests on a graceful restart (systemctl reload).
timeout = _env_int("LINLI_TIMEOUT", 30)
graceful_timeout = _env_int("LINLI_GRACEFUL_TIMEOUT", 30)
keepalive = 5  # seconds an idle connection from nginx stays open
# Workers are replaced now and then, in case something grows that shouldn't (every cache
# the app keeps is bounded). Not too often: a new worker loads the app (1–2 s of CPU) and
# builds its feeds anew, and at 2,000 requests a worker under a rush of cheap requests
# (calendar apps revalidating, ~300 a second per worker) was replaced every few seconds —
# all workers within the same second or two, as they share the load evenly, so for a
# moment none answered. A wide jitter keeps their turns apart.
max_requests = _env_int("LINLI_MAX_REQUESTS", 20000)
max_requests_jitter = max_requests // 2

# Logs: the access log never shows a calendar token, a check-in code or a search for a
# phone number (serving.RedactingLogger); it records the real visitor's address as the
# app sees it after ProxyFix, not nginx's.
logger_class = serving.RedactingLogger
_access_log = os.environ.get("LINLI_ACCESS_LOG", "-")
accesslog = None if _access_log == "off" else _access_log
access_log_format = '%(h)s %(t)s "%(r)s" %(s)s %(b)s %(M)sms "%(f)s" "%(a)s"'
errorlog = os.environ.get("LINLI_ERROR_LOG", "-")
loglevel = os.environ.get("LINLI_LOG_LEVEL", "info")

# The app trusts X-Forwarded-* headers itself, by LINLI_PROXY_COUNT (werkzeug's ProxyFix);
# gunicorn's own handling of them is switched off so that there is one rule, not two.
forwarded_allow_ips = ""
proc_name = "linli"
# No runtime control socket: systemd (or make serve's terminal) manages the processes.
control_socket_disable = True


def post_worker_init(worker):
    """Once the app is loaded in a worker: what start-up built (the app, its templates,
    models and translations) lives as long as the worker, so it leaves the garbage
    collector's view, and a full collection walks only what requests made."""
    serving.freeze_startup_objects()
