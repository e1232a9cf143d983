"""Looking after a site's database: backups, restores, and moving a SQLite site to
PostgreSQL. The ``flask --app app backup / restore / copy-database`` commands (cli.py) call
these; like the demo, none of it is a booking rule, so it lives beside the CLI."""
