"""Command-line tasks: ``create-admin``, ``seed-demo`` and ``mark-no-shows`` (``flask --app app …``)."""
from __future__ import annotations

import sys

import click
import sqlalchemy as sa
from flask import Flask

from models import Role, User, db


def register_commands(app: Flask) -> None:
    """Attach the project's commands to ``app.cli``."""

    @app.cli.command("create-admin")
    @click.option("--mobile", "--phone", "phone", help="The administrator's mobile number (11 digits).")
    @click.option("--name", help="The name others will see.")
    def create_admin(phone: str | None, name: str | None) -> None:
        """Create an administrator account (or make an existing account an administrator).

        At a terminal, asks for what --mobile and --name don't give, and for the password
        (twice). Otherwise (a script, a pipe) --mobile and --name are needed and the password
        is the first line of standard input, e.g.
        ``printf '%s\\n' "$PASSWORD" | flask --app app create-admin --mobile 13800000000 --name 王建国``.
        """
        from services import accounts, audit
        from services.dates import now_utc
        from services.db import begin_write
        from services.errors import PhoneTaken

        interactive = sys.stdin.isatty()
        if not interactive and not (phone and name):
            raise click.UsageError("--mobile and --name are needed when the password comes from standard input")
        if phone is None:
            phone = click.prompt("Mobile number / 手机号")
        if name is None:
            name = click.prompt("Name / 姓名")
        if interactive:
            password = click.prompt("Password / 密码", hide_input=True, confirmation_prompt=True)
        else:
            password = sys.stdin.readline().rstrip("\r\n")
        phone = accounts.normalize_phone(phone)
        if not accounts.is_valid_phone(phone):
            raise click.BadParameter("an 11-digit mobile number starting with 1", param_hint="--mobile")
        if not name.strip() or len(name.strip()) > 20:
            raise click.BadParameter("a name of 1 to 20 characters", param_hint="--name")
        if not 8 <= len(password) <= 128:
            raise click.BadParameter("a password of 8 to 128 characters is needed")
        now = now_utc()
        try:
            user = accounts.register_user(
                phone=phone, display_name=name, password=password, now=now,
                roles=(Role.RESIDENT, Role.ORGANIZER, Role.ADMIN),
            )
            verb = "created"
        except PhoneTaken:
            db.session.rollback()
            begin_write()
            user = accounts.find_by_phone(phone)
            accounts.set_roles(user, {Role.ORGANIZER, Role.ADMIN} | user.roles)
            verb = "promoted"
        audit.record("user.create_admin", actor=None, now=now, subject_type="users", subject_id=user.id,
                     label=user.display_name, after={"roles": sorted(r.value for r in user.roles)})
        db.session.commit()
        click.echo(f"Administrator {user.display_name} ({user.phone}) {verb}.")

    @app.cli.command("seed-demo")
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database already has people.")
    def seed_demo(if_empty: bool) -> None:
        """Fill the database with a believable demo community."""
        import demo
        from services.db import begin_write

        begin_write()
        has_people = db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one() > 0
        if has_people:
            message = "The database already has data; demo content was not added."
            if if_empty:
                click.echo(message)
                return
            raise click.ClickException(message)
        logins = demo.seed()
        db.session.commit()
        click.echo("Demo community created. Demo logins (password for all: %s):" % demo.DEMO_PASSWORD)
        for role, user in logins:
            click.echo(f"  {role:<10} {user.phone}  {user.display_name}")

    @app.cli.command("mark-no-shows")
    def mark_no_shows() -> None:
        """Write down the no-shows of events that have ended (safe to run again; for cron)."""
        from services import no_shows
        from services.dates import now_utc

        written = no_shows.mark_no_shows(now=now_utc())
        db.session.commit()
        click.echo(f"{written} no-shows recorded.")
