"""Linli 邻里: the application factory.

``flask --app app run`` serves the site; ``flask --app app db upgrade`` creates or
upgrades the schema; ``flask --app app seed-demo`` fills it with a demo community.
"""
from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from flask import Flask, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from werkzeug.exceptions import SecurityError
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter

import config as settings
from extensions import babel, bootstrap, csrf, db, login_manager, mail, migrate

HERE = Path(__file__).resolve().parent


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in URLs, limited to what an integer column holds (larger ids are 404s)."""

    MAX_ID = 2**31 - 1

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", self.MAX_ID)
        super().__init__(url_map, *args, **kwargs)


class Linli(Flask):
    """Flask, with the error log keeping secrets in URLs out as the access log does."""

    def log_exception(self, exc_info) -> None:
        from serving import redact_url

        self.logger.error("Exception on %s [%s]", redact_url(request.full_path.rstrip("?")), request.method,
                          exc_info=exc_info)


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``config`` (tests pass one)."""
    app = Linli(__name__, instance_relative_config=True)
    app.url_map.converters["int"] = DatabaseIdConverter
    app.config.from_object(settings.Defaults)
    app.config.from_mapping(settings.from_environment())
    if config:
        app.config.from_mapping(config)
    _finish_config(app)

    db.init_app(app)
    migrate.init_app(app, db, directory=str(HERE / "migrations"), render_as_batch=True)
    csrf.init_app(app)
    babel.init_app(app, locale_selector=_select_locale)
    _install_template_gettext(app)
    bootstrap.init_app(app)
    mail.init_app(app)
    _init_login(app)
    import security

    security.init_app(app)  # before the other hooks: bad requests go before the database

    from blueprints import register_blueprints

    register_blueprints(app)
    from services import wiring

    wiring.connect()
    _register_hooks(app)
    _register_error_handlers(app)
    _wrap_wsgi_app(app)

    from cli import register_commands

    register_commands(app)
    return app


def _finish_config(app: Flask) -> None:
    """Fill in what depends on the instance folder: the SQLite path and the secret key."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = "sqlite:///" + os.path.join(app.instance_path, "linli.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = uri = settings.normalize_database_url(uri)
    if uri.startswith("postgresql"):
        # What a test or the environment set explicitly wins over the settings' options.
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {
            **settings.postgresql_engine_options(app.config), **app.config["SQLALCHEMY_ENGINE_OPTIONS"],
        }
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.instance_secret_key(app.instance_path)
    app.config.setdefault("SQLALCHEMY_SESSION_OPTIONS", {})
    if not app.config.get("MAIL_DEFAULT_SENDER"):
        app.config["MAIL_DEFAULT_SENDER"] = settings.default_mail_sender(app.config.get("SITE_URL"))
    if not app.config.get("RATELIMIT_STORAGE_URI"):
        uri = app.config["SQLALCHEMY_DATABASE_URI"]
        if uri.startswith("sqlite") and (uri in ("sqlite://", "sqlite:///:memory:") or "mode=memory" in uri):
            # A database in memory lives in one process: so may its throttle counters.
            app.config["RATELIMIT_STORAGE_URI"] = "memory://"
        else:
            # The throttles count in the site's own database (security/throttle_storage.py).
            app.config["RATELIMIT_STORAGE_URI"] = "linli+db://"
            app.config["RATELIMIT_STORAGE_OPTIONS"] = {"database_url": uri}


def _wrap_wsgi_app(app: Flask) -> None:
    """What answers before Flask: unchanged calendar feeds (``blueprints/calendar/front.py``),
    inside ProxyFix when the site is behind proxies, so it sees the visitor's address."""
    from blueprints.calendar.front import FeedFront

    def engine():
        with app.app_context():
            return db.engine

    app.wsgi_app = FeedFront(app.wsgi_app, engine)
    if app.config["PROXY_COUNT"]:
        trusted = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=trusted, x_proto=trusted, x_host=trusted)


def _select_locale() -> str:
    """The language the visitor chose with the switch, else Chinese."""
    from flask import current_app, has_request_context

    chosen = request.cookies.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _request_translations():
    """The translations of the current locale, looked up once per request and locale:
    Flask-Babel's own lookup walks its request context several times for every string,
    and a roster of 200 translates over two thousand. A changed locale (``force_locale``,
    ``refresh``) is a new locale object, so it is looked up again."""
    from flask import g
    from flask_babel import get_locale, get_translations

    locale = get_locale()
    if locale is None:  # outside a request and an app context: Flask-Babel's null catalog
        return get_translations()
    cached = g.get("_linli_translations")
    if cached is None or cached[0] is not locale:
        cached = g._linli_translations = (locale, get_translations())
    return cached[1]


def _install_template_gettext(app: Flask) -> None:
    """Templates' ``_()``, ``gettext`` and ``ngettext`` through ``_request_translations``
    (Flask-Babel installs the same callables, each looking the translations up anew)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: _request_translations().ugettext(s),
        ngettext=lambda s, p, n: _request_translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _request_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _request_translations().unpgettext(c, s, p, n),
    )


def _init_login(app: Flask) -> None:
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        """The person a session or remember cookie names, if it is still good: the account
        is active, the cookie carries its current session version and its device's login
        hasn't ended (``services.accounts.user_for_cookie``)."""
        from services.accounts import user_for_cookie

        return user_for_cookie(user_id)


def _register_hooks(app: Flask) -> None:
    from services.db import refuse_undeclared_writes

    @app.context_processor
    def template_globals():
        from flask_babel import get_locale

        from models import Role

        # The log-out button takes csrf_token() itself: no form object is built per page.
        return {
            "current_lang": str(get_locale() or "zh"), "Role": Role,
            "large_text": request.cookies.get("text_size") == "large",
        }

    # No request takes the write lock up front: each service that writes declares its write
    # (services.db.begin_write) before the reads that decide it, so password hashing, form
    # parsing and rendering happen outside SQLite's single write lock. Under test, a write
    # that forgot to declare itself fails at once rather than only under contention.
    if app.testing:
        @app.before_request
        def refuse_undeclared_writes_in_tests():
            refuse_undeclared_writes(db.session())


def _register_error_handlers(app: Flask) -> None:
    def render_error(code: int, title, message):
        return render_template("errors.html", code=code, title=title, message=message), code

    @app.errorhandler(403)
    def forbidden(error):
        return render_error(403, _l("Not allowed"), _l("This page is for the program's organizers."))

    @app.errorhandler(404)
    def not_found(error):
        return render_error(404, _l("Page not found"), _l("The page you asked for doesn't exist or has been removed."))

    @app.errorhandler(405)
    def method_not_allowed(error):
        return render_error(405, _l("Not allowed"), _l("Please use the buttons on the page."))

    @app.errorhandler(SecurityError)
    def untrusted_host(error):
        # No page: without a trusted host no URL can be built for its links.
        return "400 Bad Request: unknown host / 未知的网站地址\n", 400, {"Content-Type": "text/plain; charset=utf-8"}

    @app.errorhandler(400)
    def bad_request(error):
        return render_error(400, _l("Something is wrong with the address"), _l("The address or form contained something the site can't read. Please go back and try again."))

    @app.errorhandler(413)
    def too_large(error):
        return render_error(413, _l("Too much at once"), _l("What was sent is larger than any form of this site takes. Please shorten it and try again."))

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _l("Page expired"), _l("The form had expired. Please go back, reload the page and try again."))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500, _l("Something went wrong"), _l("Sorry, the site ran into a problem. Nothing was saved. Please try again in a moment."))
