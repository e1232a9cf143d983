"""The one place the four kinds of program differ: what each is called, what it allows,
which fields its program form and its events have.

Lectures (周三文史讲堂), the lecture team (蒲公英宣讲队), troupes (文体队伍) and youth programs
(青少年项目) share one ``programs`` table, one ``events`` table and the booking rules.
Where they differ is written here once, as a :class:`KindSpec` per kind, and the shared
pieces — the admin pages, the home page, the organizers' overview, the venue-seat
default — read it instead of each testing ``program.kind`` on its own. A new difference
(or a new kind) is a new field here plus the code that honours it; the pages follow.

This module knows no HTTP and imports no other service; the page each kind is shown on
lives beside it in ``blueprints/common.py`` (``PROGRAM_PAGES``, ``EVENT_PAGES``).
"""
from __future__ import annotations

from dataclasses import dataclass

from flask_babel import lazy_gettext as _l

from models import ProgramKind

# The fields every program form has, whatever its kind.
SHARED_PROGRAM_FIELDS = ("name", "slug", "description", "contact", "cover_colour")


@dataclass(frozen=True)
class KindSpec:
    """What one kind of program is and allows."""

    kind: ProgramKind
    # One program of the kind, and the heading of a list of them.
    label: object
    plural: object
    # What the people who run a program of the kind are called (all are organizers of
    # it in the model, ``program_organizers``; a youth program's are its teachers).
    runner: object
    runners: object
    # The kind's own fields on the program form, beyond SHARED_PROGRAM_FIELDS; each is
    # stored by services.programs (on the program, the troupe row or the youth rules).
    program_fields: tuple[str, ...] = ()
    # What its events carry beyond a title, a time and a place: "series", "speaker",
    # "summary", "seats" (places booked through services.capacity), "booking_window",
    # "roles" (volunteer roles, booked instead of seats).
    event_fields: tuple[str, ...] = ()
    # The name of its topic series (专题) when it has them; None: it has none.
    series_label: object | None = None
    # A troupe has one leader (not necessarily an organizer) who manages it.
    has_leader: bool = False
    # The site runs one program of the kind at a time (the lecture team: /lecture-team/).
    only_one: bool = False

    @property
    def has_series(self) -> bool:
        return self.series_label is not None

    @property
    def has_seats(self) -> bool:
        """Tell whether events of the kind have places to book (so a venue's seats are
        their default capacity)."""
        return "seats" in self.event_fields

    @property
    def value(self) -> str:
        return self.kind.value


KINDS: dict[ProgramKind, KindSpec] = {
    spec.kind: spec
    for spec in (
        KindSpec(
            ProgramKind.LECTURE_SERIES, _l("Lecture series"), _l("Lecture series"),
            _l("Organizer"), _l("Organizers"),
            program_fields=("booking_opens_days_before", "booking_closes_minutes_before"),
            event_fields=("series", "speaker", "summary", "seats", "booking_window"),
            series_label=_l("Topic series"),
        ),
        KindSpec(
            ProgramKind.LECTURE_TEAM, _l("Volunteer lecture team"), _l("Volunteer lecture team"),
            _l("Organizer"), _l("Organizers"),
            event_fields=("series", "summary", "roles"),
            series_label=_l("Themes"), only_one=True,
        ),
        KindSpec(
            ProgramKind.TROUPE, _l("Troupe"), _l("Troupes"), _l("Organizer"), _l("Organizers"),
            program_fields=("rehearsal_times", "rehearsal_place", "member_limit"),
            event_fields=("summary", "seats", "booking_window"),
            has_leader=True,
        ),
        KindSpec(
            ProgramKind.YOUTH, _l("Youth program"), _l("Youth programs"), _l("Teacher"), _l("Teachers"),
            program_fields=("min_age", "max_age", "parent_attends"),
            event_fields=("seats", "booking_window"),
        ),
    )
}


def spec_of(kind: ProgramKind) -> KindSpec:
    """The spec of ``kind``."""
    return KINDS[kind]


def all_specs() -> list[KindSpec]:
    """Every kind, in the order the site lists them."""
    return list(KINDS.values())


def kind_from_value(value: str | None) -> ProgramKind | None:
    """The kind named ``value`` (e.g. "troupe"), or None for anything else."""
    try:
        return ProgramKind(value)
    except ValueError:
        return None
