"""The demo community double-books no room (it once put two troupes in 多功能厅 on Tuesday
mornings). Performances fall on different weekdays depending on the day it is seeded, so
it is seeded on a weekday and on a weekend day."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

import demo
from models import Event, db
from services import venues
from services.dates import LOCAL_TZ

MONDAY = datetime(2026, 11, 9, 8, 40, tzinfo=LOCAL_TZ)


@pytest.mark.parametrize("days", [1, 5], ids=["tuesday", "saturday"])
def test_the_demo_puts_no_two_events_in_one_room_at_once(app, time_machine, days):
    time_machine.move_to(MONDAY + timedelta(days=days, hours=days * 2), tick=True)
    demo.seed()
    db.session.commit()

    every_event = db.session.execute(sa.select(Event)).scalars().all()

    assert len(every_event) > 300
    clashes = [(a.title, b.title, a.venue.name) for a, b in venues.overlaps_in(every_event)]
    assert clashes == []
    assert not any(event.shares_room for event in every_event)
