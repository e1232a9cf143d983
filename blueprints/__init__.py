"""HTTP only: one package per area of the site, each with routes.py and forms.py."""
from flask import Flask


def register_blueprints(app: Flask) -> None:
    """Attach every area of the site to ``app``."""
    from . import (
        account, admin, attendance, audiences, auth, buildings, calendar, lecture_team, lectures, main, messages,
        points, troupes, youth,
    )

    for module in (main, auth, lectures, lecture_team, troupes, youth, account, admin, calendar, attendance,
                   messages, buildings, audiences, points):
        app.register_blueprint(module.bp)
