"""Serve Linli on 127.0.0.1 for the benchmark: a real threaded Werkzeug server, one process.

Started by ``bench/run.py``; not meant to be run by hand. Usage:
``python bench/serve.py PORT_FILE`` — binds a free port, writes its number to PORT_FILE and
serves until terminated. The database and secret key come from the environment
(``DATABASE_URL``, ``SECRET_KEY``), as for ``flask --app app run``.

Each response carries ``X-Bench-Queries``: how many SQL statements SQLAlchemy sent while
the request was handled (``BEGIN`` included). Counting costs one integer increment per
statement, the same for every route.
"""
from __future__ import annotations

import logging
import os
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlalchemy as sa  # noqa: E402
from werkzeug.serving import make_server  # noqa: E402

from app import create_app  # noqa: E402

QUERIES_HEADER = "X-Bench-Queries"
_counter = threading.local()


@sa.event.listens_for(sa.engine.Engine, "before_cursor_execute")
def _count_statement(conn, cursor, statement, parameters, context, executemany) -> None:
    _counter.value = getattr(_counter, "value", 0) + 1


def count_queries(app):
    """Wrap a WSGI app so each response says how many SQL statements it took."""

    def wrapped(environ, start_response):
        _counter.value = 0

        def counting_start_response(status, headers, exc_info=None):
            headers = [*headers, (QUERIES_HEADER, str(_counter.value))]
            return start_response(status, headers, exc_info)

        return app(environ, counting_start_response)

    return wrapped


def _exit_with_parent(parent_pid: int) -> None:
    """Stop serving if the benchmark that started us is gone (killed without clean-up)."""
    while True:
        time.sleep(1)
        if os.getppid() != parent_pid:
            os._exit(0)


def main(port_file: str) -> None:
    """Bind 127.0.0.1 on a free port, publish the port, and serve until terminated."""
    # Werkzeug logs every request at INFO; that would be part of what we measure.
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    app = create_app()
    server = make_server("127.0.0.1", 0, count_queries(app), threaded=True)
    staging = Path(port_file + ".tmp")
    staging.write_text(str(server.port))
    staging.rename(port_file)
    threading.Thread(target=_exit_with_parent, args=(os.getppid(),), daemon=True).start()
    server.serve_forever()


if __name__ == "__main__":
    main(sys.argv[1])
