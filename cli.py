"""Command-line tasks: ``create-admin``, ``seed-demo``, ``mark-no-shows``, ``backup``, ``restore``
and ``copy-database`` (``flask --app app …``)."""
from __future__ import annotations

from pathlib import Path

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
        from services.errors import PhoneTaken

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

    @app.cli.command("backup")
    @click.argument("path", type=click.Path(dir_okay=False, path_type=Path))
    def backup(path: Path) -> None:
        """Write a consistent copy of the database to PATH while the site runs (SQLite's
        backup API; pg_dump on PostgreSQL)."""
        from maintenance.backup import BackupError, backup as make_backup

        try:
            made = make_backup(app.config["SQLALCHEMY_DATABASE_URI"], path)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Backup written to {made.path} ({made.size} bytes).")

    @app.cli.command("restore")
    @click.argument("path", type=click.Path(exists=True, dir_okay=False, path_type=Path))
    @click.option("--force", is_flag=True, help="Replace a database that holds data or is in use.")
    def restore(path: Path, force: bool) -> None:
        """Replace the database with the backup at PATH; refuses a database in use
        without --force. Run `db upgrade` afterwards."""
        from maintenance.backup import BackupError, restore as restore_backup

        db.engine.dispose()  # this process's own connections don't count as "in use"
        try:
            restore_backup(app.config["SQLALCHEMY_DATABASE_URI"], path, force=force)
        except BackupError as error:
            raise click.ClickException(str(error)) from error
        click.echo(f"Database restored from {path}. Now run: flask --app app db upgrade")

    @app.cli.command("copy-database")
    @click.argument("target_url")
    def copy_database(target_url: str) -> None:
        """Copy every table into the empty, migrated database at TARGET_URL (e.g. from
        SQLite to PostgreSQL) and compare the counts."""
        from maintenance.transfer import TransferError, copy_database as copy

        try:
            counts = copy(db.engine, target_url, db.metadata)
        except TransferError as error:
            raise click.ClickException(str(error)) from error
        for table, count in counts.items():
            click.echo(f"  {table:<28} {count:>8}")
        click.echo(f"Copied {sum(counts.values())} rows in {len(counts)} tables; every count matches.")
