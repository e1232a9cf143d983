"""Counters of the throttles (rate limits), shared by every worker of a site."""
from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from . import db


class ThrottleCounter(db.Model):
    """How many hits one throttle key had in its current window, and when the window ends
    (seconds since the epoch). Written only by ``security.throttle_storage``.

    On PostgreSQL the counters live in this table. On SQLite they live in the same table
    in a file beside the database (``<name>.throttle.sqlite3``), so that a flood of
    refused requests never queues for the database's single write lock; this table then
    stays empty.
    """

    __tablename__ = "throttle_counters"

    key: Mapped[str] = mapped_column(sa.String(255), primary_key=True)
    count: Mapped[int] = mapped_column()
    expires_at: Mapped[float] = mapped_column(sa.Float, index=True)
