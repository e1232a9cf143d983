"""Topic series (专题) of a program — the Wednesday lectures' series, the lecture team's
themes: adding, renaming, ordering and retiring them.

A retired series keeps its past events but is offered for no new ones and shown as no
filter (``Program.current_series``). Series are never deleted: events name them.
"""
from __future__ import annotations

from datetime import datetime

import sqlalchemy as sa

from models import Program, Series, User, db

from . import audit
from .db import begin_write
from .errors import SeriesNameTaken


def _lock_program(program: Program) -> None:
    """Serialise changes to one program's series (their slugs and positions)."""
    begin_write()
    db.session.execute(sa.select(Program.id).where(Program.id == program.id).with_for_update())


def _ordered(program: Program) -> list[Series]:
    """The program's series in display order: current ones first, then retired ones."""
    return sorted(program.series, key=lambda s: (s.retired_at is not None, s.position, s.id))


def _renumber(series: list[Series]) -> None:
    for position, item in enumerate(series):
        item.position = position


def _check_name(program: Program, name: str, *, other_than: Series | None = None) -> None:
    for item in program.series:
        if item is not other_than and item.retired_at is None and item.name == name:
            raise SeriesNameTaken(program=program.name, name=name)


def _record(action: str, series: Series, *, by: User, now: datetime, before=None, after=None) -> None:
    audit.record(
        action, actor=by, now=now, subject_type="series", subject_id=series.id,
        label=f"{series.program.name} · {series.name}", program_id=series.program_id,
        before=before, after=after,
    )


def _free_slug(program: Program) -> str:
    """A slug no series of the program has, for its filter links (e.g. ``t4``)."""
    taken = set(db.session.execute(
        sa.select(Series.slug).where(Series.program_id == program.id)
    ).scalars())
    number = len(taken) + 1
    while f"t{number}" in taken:
        number += 1
    return f"t{number}"


def add_series(program: Program, name: str, *, by: User, now: datetime, description: str = "") -> Series:
    """Add a series at the end of the program's list.

    :raises SeriesNameTaken: when a current series of the program has that name.
    """
    _lock_program(program)
    _check_name(program, name)
    ordered = _ordered(program)
    current = [s for s in ordered if s.retired_at is None]
    series = Series(program=program, slug=_free_slug(program), name=name, description=description)
    _renumber(current + [series] + [s for s in ordered if s.retired_at is not None])
    db.session.add(series)
    db.session.flush()
    _record("series.add", series, by=by, now=now, after={"name": name})
    return series


def rename_series(series: Series, name: str, *, by: User, now: datetime) -> None:
    """Rename a series; its events show the new name.

    :raises SeriesNameTaken: when another current series of the program has that name.
    """
    begin_write()
    if series.name == name:
        return
    _check_name(series.program, name, other_than=series)
    before = series.name
    series.name = name
    db.session.flush()
    _record("series.rename", series, by=by, now=now, before={"name": before}, after={"name": name})


def move_series(series: Series, step: int, *, by: User, now: datetime) -> None:
    """Move a current series one place up (``step`` -1) or down (+1) among the current ones."""
    _lock_program(series.program)
    ordered = _ordered(series.program)
    current = [s for s in ordered if s.retired_at is None]
    if series not in current:
        return
    index = current.index(series)
    target = index + (1 if step > 0 else -1)
    if not 0 <= target < len(current):
        return
    before = [s.name for s in current]
    current[index], current[target] = current[target], current[index]
    _renumber(current + [s for s in ordered if s.retired_at is not None])
    db.session.flush()
    _record("series.reorder", series, by=by, now=now, before={"order": before},
            after={"order": [s.name for s in current]})


def retire_series(series: Series, *, by: User, now: datetime) -> None:
    """Retire a series: its past events keep it, new events can't choose it, and it is
    no longer a filter."""
    begin_write()
    if series.retired_at is not None:
        return
    series.retired_at = now
    _renumber(_ordered(series.program))
    db.session.flush()
    _record("series.retire", series, by=by, now=now, before={"retired": False}, after={"retired": True})


def restore_series(series: Series, *, by: User, now: datetime) -> None:
    """Offer a retired series again, at the end of the current ones.

    :raises SeriesNameTaken: when a current series of the program has its name meanwhile.
    """
    begin_write()
    if series.retired_at is None:
        return
    _check_name(series.program, series.name, other_than=series)
    ordered = _ordered(series.program)
    current = [s for s in ordered if s.retired_at is None]
    retired = [s for s in ordered if s.retired_at is not None and s is not series]
    series.retired_at = None
    _renumber(current + [series] + retired)
    db.session.flush()
    _record("series.restore", series, by=by, now=now, before={"retired": True}, after={"retired": False})
