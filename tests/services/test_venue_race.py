"""Organizers adding or moving events in one room at the same moment never double-book it:
the venue's row lock (PostgreSQL) or the write transaction (SQLite) makes them take turns,
and whoever comes second sees the first one's event.

Runs against a file-based SQLite database, and against PostgreSQL when
``TEST_DATABASE_URL`` is set (CI does both).
"""
from __future__ import annotations

import threading
from dataclasses import replace
from datetime import time, timedelta

import sqlalchemy as sa

from models import Event, EventStatus, Program, Venue, db
from services import events, schedules, troupes
from services.dates import now_utc, to_local
from services.errors import VenueTaken
from services.venues import overlaps_in
from tests.conftest import make_event, make_troupe, make_venue

RACERS = 8


def race(app, jobs) -> tuple[int, list[BaseException]]:
    """Run each job in its own thread and app context, all starting together; return how
    many committed and the errors of the others."""
    barrier = threading.Barrier(len(jobs))
    done, errors = [], []

    def run(job):
        with app.app_context():
            try:
                barrier.wait()
                job()
                db.session.commit()
                done.append(job)
            except BaseException as error:  # collected and checked by the test
                db.session.rollback()
                errors.append(error)
            finally:
                db.session.remove()

    threads = [threading.Thread(target=run, args=(job,)) for job in jobs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return len(done), errors


def scheduled_in(venue_id: int) -> list[Event]:
    return list(db.session.execute(
        sa.select(Event).where(Event.venue_id == venue_id, Event.status == EventStatus.SCHEDULED)
    ).scalars())


def test_organizers_adding_overlapping_performances_to_one_room_at_once(app):
    hall = make_venue("社区文化服务中心 多功能厅")
    programs = [make_troupe(f"队伍{i}") for i in range(RACERS)]
    start = (now_utc() + timedelta(days=5)).replace(microsecond=0)
    ids = (hall.id, [p.id for p in programs])
    db.session.remove()

    def adder(index: int):
        def job():
            troupes.add_performance(db.session.get(Program, ids[1][index]), troupes.PerformancePlan(
                title=f"演出{index}", summary="", starts_at=start + timedelta(minutes=10 * index),
                ends_at=start + timedelta(hours=2), capacity=50, booking_cutoff_minutes=60,
                venue=db.session.get(Venue, ids[0])), actor=None, now=now_utc())
        return job

    committed, errors = race(app, [adder(i) for i in range(RACERS)])

    assert committed == 1
    assert len(errors) == RACERS - 1 and all(isinstance(error, VenueTaken) for error in errors), errors
    assert len(scheduled_in(hall.id)) == 1


def test_organizers_moving_events_into_one_free_slot_at_once(app):
    hall = make_venue("城市书房")
    start = (now_utc() + timedelta(days=3)).replace(microsecond=0)
    movers = [make_event(title=f"讲座{i}", starts_in=timedelta(days=10 + i)) for i in range(RACERS)]
    for event in movers:
        event.venue_id = hall.id
    db.session.commit()
    ids = [event.id for event in movers]
    db.session.remove()

    def mover(event_id: int):
        def job():
            event = db.session.get(Event, event_id)
            events.edit_event(event, replace(events.EventChanges.of(event), starts_at=start,
                                             ends_at=start + timedelta(minutes=90)), actor=None, now=now_utc())
        return job

    committed, errors = race(app, [mover(event_id) for event_id in ids])

    assert committed == 1 and all(isinstance(error, VenueTaken) for error in errors), errors
    moved = [e for e in scheduled_in(hall.id) if e.starts_at == start]
    assert len(moved) == 1
    assert overlaps_in(scheduled_in(hall.id)) == []


def test_two_rehearsal_schedules_laid_out_in_one_room_at_once(app):
    hall = make_venue("社区老年大学 101 教室")
    programs = [make_troupe(f"队伍{i}") for i in range(4)]
    first = to_local(now_utc()).date() + timedelta(days=1)
    ids = (hall.id, [p.id for p in programs])
    db.session.remove()

    def layer(index: int):
        def job():
            troupes.add_rehearsals(db.session.get(Program, ids[1][index]), schedules.WeeklyPlan(
                title="排练", weekdays=frozenset(range(7)), start_time=time(9), end_time=time(11),
                first_day=first, last_day=first + timedelta(days=6),
                venue=db.session.get(Venue, ids[0]), include_days=frozenset(first + timedelta(days=d) for d in range(7))),
                actor=None, now=now_utc())
        return job

    committed, errors = race(app, [layer(i) for i in range(4)])

    assert committed == 1 and all(isinstance(error, VenueTaken) for error in errors), errors
    assert len(scheduled_in(hall.id)) == 7
    assert overlaps_in(scheduled_in(hall.id)) == []
