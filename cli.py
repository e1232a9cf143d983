"""Command-line tasks: ``create-admin``, ``seed-demo``, and for cron ``mark-no-shows``,
``anonymize-children`` and ``forget-old-logins`` (``flask --app app …``)."""
from __future__ import annotations

import click
import sqlalchemy as sa
from flask import Flask

from models import Role, User, db


def register_commands(app: Flask) -> None:
    """Attach the project's commands to ``app.cli``."""

    @app.cli.command("create-admin")
    @click.option("--phone", prompt="Mobile number / 手机号")
    @click.option("--name", prompt="Name / 姓名")
    @click.password_option("--password", prompt="Password / 密码")
    def create_admin(phone: str, name: str, password: str) -> None:
        """Create an administrator account (or make an existing account an administrator)."""
        from services import accounts
        from services.dates import now_utc
        from services.db import begin_write
        from services.errors import PhoneTaken, WeakPassword

        phone = accounts.normalize_phone(phone)
        if not accounts.is_valid_phone(phone):
            raise click.BadParameter("an 11-digit mobile number starting with 1", param_hint="--phone")
        if not 8 <= len(password) <= 128 or not name.strip():
            raise click.BadParameter("a name and a password of 8 to 128 characters are needed")
        try:
            user = accounts.register_user(
                phone=phone, display_name=name, password=password, now=now_utc(),
                roles=(Role.RESIDENT, Role.ORGANIZER, Role.ADMIN),
            )
            verb = "created"
        except WeakPassword as error:
            raise click.BadParameter(str(error), param_hint="--password") from None
        except PhoneTaken:
            db.session.rollback()
            begin_write()
            user = accounts.find_by_phone(phone)
            accounts.set_roles(user, {Role.ORGANIZER, Role.ADMIN} | user.roles)
            verb = "promoted"
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

    @app.cli.command("anonymize-children")
    @click.option("--days", type=click.IntRange(min=1), default=None,
                  help="Erase names this many days after the last class (default: CHILD_NAMES_KEPT_DAYS).")
    def anonymize_children(days: int | None) -> None:
        """Erase the names of children whose classes ended long ago (safe to run again; for cron)."""
        from services import privacy
        from services.dates import now_utc

        kept = days if days is not None else app.config["CHILD_NAMES_KEPT_DAYS"]
        erased = privacy.anonymize_children(now=now_utc(), kept_days=kept)
        db.session.commit()
        click.echo(f"{erased} children's names erased (classes ended more than {kept} days ago).")

    @app.cli.command("forget-old-logins")
    def forget_old_logins() -> None:
        """Delete the records of logins older than a remember cookie lasts (for cron)."""
        from datetime import timedelta

        from services import privacy
        from services.dates import now_utc

        kept = timedelta(seconds=app.config["REMEMBER_COOKIE_DURATION"])
        forgotten = privacy.forget_old_logins(now=now_utc(), kept=kept)
        db.session.commit()
        click.echo(f"{forgotten} old login records deleted.")
