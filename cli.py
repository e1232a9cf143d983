"""Command-line tasks (``flask --app app …``): ``create-admin``, ``seed-demo``, ``seed-scale``,
``mark-no-shows``, ``notifications run|status``, ``reminders send``, ``backup``, ``restore``,
``copy-database``, and for cron ``anonymize-children`` and ``forget-old-logins``."""
from __future__ import annotations

import sys
from pathlib import Path

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
        from services.errors import PhoneTaken, WeakPassword

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
        except WeakPassword as error:
            raise click.BadParameter(str(error), param_hint="--password") from None
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

    @app.cli.command("seed-scale")
    @click.option("--events", default=5_000, show_default=True, help="Events over four years and the coming quarter.")
    @click.option("--residents", default=20_000, show_default=True)
    @click.option("--bookings", default=200_000, show_default=True, help="About this many bookings.")
    def seed_scale(events: int, residents: int, bookings: int) -> None:
        """Add years of history at scale (for the benchmark); never on a real community's database."""
        import demo
        from demo.scale import seed_scale as seed
        from services.dates import now_utc

        made = seed(now=now_utc(), events=events, residents=residents, bookings=bookings,
                    password=demo.DEMO_PASSWORD)
        db.session.commit()
        click.echo(f"Added {made.residents} residents, {made.events} events and {made.bookings} bookings.")

    @app.cli.command("mark-no-shows")
    def mark_no_shows() -> None:
        """Write down the no-shows of events that have ended (safe to run again; for cron)."""
        from services import no_shows
        from services.dates import now_utc

        written = no_shows.mark_no_shows(now=now_utc())
        db.session.commit()
        click.echo(f"{written} no-shows recorded.")

    @app.cli.group("notifications")
    def notifications_group() -> None:
        """Sending messages by email (the outbox worker)."""

    @notifications_group.command("run")
    @click.option("--once", is_flag=True, help="Send what is due now and stop (for cron).")
    @click.option("--interval", default=10.0, show_default=True, help="Seconds to wait when nothing is due.")
    def notifications_run(once: bool, interval: float) -> None:
        """Send the messages waiting in the outbox; retries failures with backoff."""
        import jobs
        from blueprints.messages.mail import site_url
        from services.channels import configured_channels

        if not configured_channels():
            click.echo(email_status(app))
            return
        site = site_url()
        if site is None:
            raise click.ClickException("Set LINLI_SITE_URL (e.g. https://linli.example.org): emails link back to the site.")
        worker = jobs.worker_name()
        if once:
            result = jobs.deliver_until_idle(worker=worker, site=site)
            click.echo(f"{result.sent} sent, {result.retrying} to retry, {result.failed} failed.")
            for error in result.errors[:5]:
                click.echo(f"  {error}", err=True)
            return
        click.echo(f"Worker {worker} sending email through {app.config['MAIL_SERVER']}; Ctrl+C stops it.")
        try:
            jobs.run_forever(worker=worker, site=site, interval=interval, echo=click.echo)
        except KeyboardInterrupt:
            click.echo("Stopped.")

    @notifications_group.command("status")
    def notifications_status() -> None:
        """Say whether email is set up, and how many messages wait or failed."""
        from models import DeliveryStatus
        from services import outbox

        click.echo(email_status(app))
        counts = outbox.status_counts()
        click.echo(", ".join(f"{counts[s]} {s.value}" for s in DeliveryStatus) + " email deliveries.")

    @app.cli.group("reminders")
    def reminders_group() -> None:
        """Reminders the day before events."""

    @reminders_group.command("send")
    def reminders_send() -> None:
        """Write the reminders due now (each once; safe to run every few minutes from cron)."""
        import jobs

        written = jobs.send_reminders()
        click.echo(f"{written} reminders written.")

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


def email_status(app: Flask) -> str:
    """One line saying where email goes."""
    server = app.config.get("MAIL_SERVER")
    if not server:
        return ("Email: not configured (LINLI_MAIL_SERVER is unset): messages stay on the site, "
                "no email goes anywhere.")
    return f"Email: sent through {server}:{app.config.get('MAIL_PORT')} by `flask --app app notifications run`."
