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
from werkzeug.routing import IntegerConverter

import config as settings
from extensions import babel, bootstrap, csrf, db, login_manager, migrate

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
HERE = Path(__file__).resolve().parent


class DatabaseIdConverter(IntegerConverter):
    """``<int:…>`` in URLs, limited to what an integer column holds (larger ids are 404s)."""

    MAX_ID = 2**31 - 1

    def __init__(self, url_map, *args, **kwargs):
        kwargs.setdefault("max", self.MAX_ID)
        super().__init__(url_map, *args, **kwargs)


def create_app(config: Mapping | None = None) -> Flask:
    """Build the app: defaults, then the environment, then ``config`` (tests pass one)."""
    app = Flask(__name__, instance_relative_config=True)
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
    bootstrap.init_app(app)
    _init_login(app)

    from blueprints import register_blueprints

    register_blueprints(app)
    from services import wiring

    wiring.connect()
    _register_hooks(app)
    _register_error_handlers(app)

    from cli import register_commands

    register_commands(app)
    return app


def _finish_config(app: Flask) -> None:
    """Fill in what depends on the instance folder: the SQLite path and the secret key."""
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    uri = app.config.get("SQLALCHEMY_DATABASE_URI")
    if not uri:
        uri = "sqlite:///" + os.path.join(app.instance_path, "linli.sqlite3")
    app.config["SQLALCHEMY_DATABASE_URI"] = settings.normalize_database_url(uri)
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = settings.instance_secret_key(app.instance_path)
    app.config.setdefault("SQLALCHEMY_SESSION_OPTIONS", {})


def _select_locale() -> str:
    """The language the visitor chose with the switch, else Chinese."""
    from flask import current_app, has_request_context

    chosen = request.cookies.get("lang") if has_request_context() else None
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def _init_login(app: Flask) -> None:
    from models import User

    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please log in to continue.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"

    @login_manager.user_loader
    def load_user(user_id: str):
        """The person a session or remember cookie names, if it is still good: the account
        is active and the cookie carries its current session version (``User.get_id``)."""
        account, colon, version = user_id.partition(":")
        if not colon:  # cookies from before session versions name the account alone
            version = "1"
        if not (account.isascii() and account.isdigit() and version.isascii() and version.isdigit()):
            return None
        if int(account) > DatabaseIdConverter.MAX_ID:
            return None
        user = db.session.get(User, int(account))
        if user is None or not user.is_active or user.session_version != int(version):
            return None
        return user


def _register_hooks(app: Flask) -> None:
    from services.db import begin_write

    @app.context_processor
    def template_globals():
        from flask_babel import get_locale

        from blueprints.common import ConfirmForm
        from models import Role

        return {
            "current_lang": str(get_locale() or "zh"), "Role": Role, "logout_form": ConfirmForm(),
            "large_text": request.cookies.get("text_size") == "large",
        }

    @app.before_request
    def begin_write_for_unsafe_methods():
        """A request that may write begins its transaction as a write transaction."""
        view = app.view_functions.get(request.endpoint)
        if request.method not in SAFE_METHODS and not getattr(view, "defers_write_lock", False):
            begin_write()


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

    @app.errorhandler(CSRFError)
    def csrf_error(error):
        return render_error(400, _l("Page expired"), _l("The form had expired. Please go back, reload the page and try again."))

    @app.errorhandler(500)
    def server_error(error):
        db.session.rollback()
        return render_error(500, _l("Something went wrong"), _l("Sorry, the site ran into a problem. Nothing was saved. Please try again in a moment."))
