"""Attendance exports for the community office: CSV and XLSX.

CSV is written as UTF-8 with a byte-order mark, which is how Excel recognises UTF-8 and
shows Chinese correctly. Headers and statuses are in the reader's language (Chinese by
default). Cells that a spreadsheet would run as a formula (text starting with ``=``,
``+``, ``-`` or ``@``) get a leading apostrophe, so a name typed at the door can't
become one.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlalchemy.orm import joinedload

from models import Event, EventStatus, Program, db

from .dates import local_datetime, to_local
from .roster import Roster, RosterRow, rosters

_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class Table:
    """A sheet of an export: its title, header row and rows of plain values."""

    title: str
    headers: list[str]
    rows: list[list]


def _safe(value):
    if isinstance(value, str) and value.startswith(_FORMULA_STARTS):
        return "'" + value
    return value


def _local(moment: datetime | None) -> str:
    return to_local(moment).strftime("%Y-%m-%d %H:%M") if moment is not None else ""


def _person_headers() -> list[str]:
    return [str(h) for h in (
        _l("Name"), _l("Mobile number"), _l("Kind"), _l("Ticket number"), _l("Status"),
        _l("Checked in at"), _l("How"), _l("Note"),
    )]


def _person_cells(row: RosterRow) -> list:
    attendance = row.attendance
    return [
        row.name, row.user.phone if row.user.has_phone else "", str(row.kind_label), row.ticket_code, str(row.status_label),
        _local(attendance.checked_in_at) if attendance is not None else "",
        str(row.method_label) if attendance is not None else "",
        attendance.excuse_reason if attendance is not None else "",
    ]


def event_table(roster: Roster) -> Table:
    """One row per person on the event's roster."""
    return Table(
        title=str(_l("Attendance")), headers=_person_headers(),
        rows=[_person_cells(row) for row in roster.rows],
    )


def program_events(program: Program, first_day: date, last_day: date) -> list[Event]:
    """The program's events (not cancelled) held from ``first_day`` to ``last_day``, local dates."""
    start = local_datetime(first_day, time(0, 0))
    end = local_datetime(last_day + timedelta(days=1), time(0, 0))
    return list(
        db.session.execute(
            sa.select(Event)
            .where(
                Event.program_id == program.id, Event.status == EventStatus.SCHEDULED,
                Event.starts_at >= start, Event.starts_at < end,
            )
            .options(joinedload(Event.program))
            .order_by(Event.starts_at, Event.id)
        ).scalars()
    )


def program_tables(program: Program, first_day: date, last_day: date, *, now: datetime) -> list[Table]:
    """Every person at every event of the program in the date range, and a summary per
    event (in a constant number of queries)."""
    detail = Table(
        title=str(_l("Attendance")),
        headers=[str(_l("Date")), str(_l("Event"))] + _person_headers(), rows=[],
    )
    summary = Table(
        title=str(_l("Totals by event")),
        headers=[str(h) for h in (
            _l("Date"), _l("Event"), _l("Expected"), _l("Present"), _l("Late"), _l("Absent"),
            _l("No-shows"), _l("Excused"), _l("Walk-ins"),
        )],
        rows=[],
    )
    for roster in rosters(program_events(program, first_day, last_day), now=now):
        when, title = _local(roster.event.starts_at), roster.event.display_title
        detail.rows.extend([when, title, *_person_cells(row)] for row in roster.rows)
        counts = roster.counts
        summary.rows.append([
            when, title, counts.expected, counts.present, counts.late, counts.absent,
            counts.no_shows, counts.excused, counts.walk_ins,
        ])
    return [detail, summary]


def reach_table(figures, period) -> Table:
    """Who we reach (:mod:`services.reach`): one row per building with its grid, the
    households, bookings, check-ins, households that took part and the share (in per cent)."""
    table = Table(
        title=str(_l("Reach %(first)s to %(last)s", first=period.first_day.isoformat(), last=period.last_day.isoformat())),
        headers=[str(h) for h in (
            _l("Grid"), _l("Grid name"), _l("Building"), _l("Residents on Linli"), _l("Households"),
            _l("Households counted by the office"), _l("Bookings"), _l("Check-ins"), _l("Households that took part"),
            _l("Share of households (%)"),
        )],
        rows=[],
    )
    for grid in figures:
        for b in grid.buildings:
            table.rows.append([
                grid.grid.number, grid.grid.name, b.building.name, b.residents, b.households,
                str(_l("yes") if b.building.households is not None else _l("no")), b.bookings, b.attended,
                b.households_took_part, None if b.share is None else round(b.share * 100),
            ])
    return table


def to_csv(table: Table) -> bytes:
    """The table as CSV, UTF-8 with a byte-order mark, CRLF line ends (as Excel writes)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow([_safe(h) for h in table.headers])
    writer.writerows([_safe(value) for value in row] for row in table.rows)
    return buffer.getvalue().encode("utf-8-sig")


def to_xlsx(tables: list[Table]) -> bytes:
    """The tables as the sheets of one Excel workbook."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    for table in tables:
        sheet = workbook.create_sheet(title=table.title[:31])
        sheet.append([_safe(h) for h in table.headers])
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        for row in table.rows:
            sheet.append([_safe(value) for value in row])
        for index, header in enumerate(table.headers, start=1):
            width = max([len(str(header))] + [len(str(r[index - 1])) for r in table.rows[:200]])
            sheet.column_dimensions[sheet.cell(row=1, column=index).column_letter].width = min(40, 2 + width * 1.8)
        sheet.freeze_panes = "A2"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
