"""Calendar feeds (iCalendar, RFC 5545) that calendar apps keep up to date.

Four kinds, all built here with the ``icalendar`` library: every public event
(``public_feed``), one program's events (``program_feed``), one event to download
(``event_feed``) and a person's own feed (``personal_feed``) — their bookings, waiting-list
places marked tentative, and whatever else :data:`PERSONAL_SOURCES` adds.

What makes subscribers' calendars right, and stay right:

- every event carries its UID, a random UUID made once with the event and stored with
  it (``Event.calendar_uid``), so the same event is always the same UID, and the UID says
  nothing about the event's id, the site or how many events there are (RFC 7986 §5.3);
- nothing in the body depends on the clock except which events are in the window:
  DTSTAMP and LAST-MODIFIED are the event's ``updated_at`` and SEQUENCE is its
  ``sequence`` (raised by every edit, see :func:`services.events.touch`), so unchanged
  data renders to byte-identical output and a strong ETag;
- times are written in Asia/Shanghai with a matching VTIMEZONE, never floating;
- a cancelled event stays for :data:`CANCELLED_KEPT` as STATUS:CANCELLED with 已取消 in
  its title, so apps that already show it cross it out instead of silently keeping it;
- the window runs from :data:`WINDOW_PAST` ago to :data:`WINDOW_AHEAD` ahead.

The text is written in the language given (the site passes ``CALENDAR_LANGUAGE``, Chinese),
not the reader's switch: calendar apps send no cookies, and one body per feed is what
keeps the ETag meaningful.
"""
from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta, timezone
from functools import cache

import icalendar
import sqlalchemy as sa
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy.orm import contains_eager, joinedload

from models.shift import role_title
from models import (
    Booking, CalendarToken, Event, EventStatus, NotificationSettings, Program, ProgramKind, ShiftRole, User, db,
)

from . import audiences, feed_cache, schedules
from .booking import held_or_cancelled_with_event
from .dates import LOCAL_TZ, to_local
from .db import begin_write

PRODID = "-//Linli//Community calendar feeds//ZH"
TIMEZONE_NAME = "Asia/Shanghai"
WINDOW_PAST = timedelta(days=30)
WINDOW_AHEAD = timedelta(days=365)
CANCELLED_KEPT = timedelta(days=30)
# How often subscribers should fetch again (REFRESH-INTERVAL and X-PUBLISHED-TTL).
REFRESH_INTERVAL = timedelta(hours=1)
FOREVER = datetime.max.replace(tzinfo=timezone.utc)
# The longest a built personal feed is reused while nothing is written (see Feed.valid_until).
PERSONAL_REUSE = timedelta(hours=1)
TOKEN_BYTES = 32

# Kinds of program whose events only their members see: they stay out of the public
# feeds (and their program feed answers 404). Every kind is public: a troupe's
# performances are for everyone, and only its rehearsals are for members, which
# :func:`members_only` keeps out event by event.
PRIVATE_PROGRAM_KINDS: frozenset[ProgramKind] = frozenset()

# token_urlsafe(32) gives 43 characters; anything else can't be a token of ours.
_TOKEN_PATTERN = re.compile(r"[A-Za-z0-9_-]{43,128}")


@dataclass(frozen=True)
class FeedLinks:
    """How a feed refers to the site; the web layer builds it from the configured site
    address. ``event_url`` returns None when the site has no configured address: then the
    feed carries no links (never ones made from a request's Host header)."""

    event_url: Callable[[Event], str | None]


@dataclass(frozen=True)
class Window:
    """Which events a feed holds at one moment."""

    starts_at: datetime
    ends_at: datetime
    cancelled_since: datetime

    @classmethod
    def at(cls, now: datetime) -> Window:
        """The window around ``now``: 30 days back, a year ahead."""
        return cls(now - WINDOW_PAST, now + WINDOW_AHEAD, now - CANCELLED_KEPT)

    def next_change(self, entries: Iterable[Entry], *, entering: datetime | None) -> datetime:
        """When the clock alone would change a feed of ``entries`` built at this window:
        the first of them to leave it (30 days after it ends, or after it was cancelled)
        or the first event to come in (``entering``: the soonest start beyond the window)."""
        moments = [entering - WINDOW_AHEAD] if entering is not None else []
        for entry in entries:
            event = entry.event
            moments.append(event.ends_at + WINDOW_PAST)
            if event.is_cancelled:
                moments.append((event.cancelled_at or event.updated_at) + CANCELLED_KEPT)
        return min(moments, default=FOREVER)

    def clause(self):
        """SQL condition: the event overlaps the window and, if cancelled, was cancelled
        recently enough to still be shown crossed out."""
        cancelled_at = sa.func.coalesce(Event.cancelled_at, Event.updated_at)
        return sa.and_(
            Event.ends_at >= self.starts_at,
            Event.starts_at < self.ends_at,
            sa.or_(Event.status != EventStatus.CANCELLED, cancelled_at >= self.cancelled_since),
        )


@dataclass(frozen=True)
class Entry:
    """One event as a feed shows it; personal feeds add how the person takes part."""

    event: Event
    tentative: bool = False  # only on the waiting list: STATUS:TENTATIVE
    notes: tuple[str, ...] = ()  # shown after the title, e.g. a child's first name
    roles: tuple[str, ...] = ()  # volunteer roles held at the event: "【志愿】主持 · title"
    changed_at: datetime | None = None  # when the person's part last changed
    revision: int = 0  # added to the event's SEQUENCE for changes of the person's part


@dataclass(frozen=True)
class Feed:
    """A rendered calendar: the bytes to send and what HTTP caching needs.

    ``valid_until`` is the first moment at which the clock alone could change the body
    (an event entering or leaving the window); until then only a write can, which
    :mod:`services.feed_cache` notices.
    """

    body: bytes
    last_modified: datetime | None = None
    valid_until: datetime = FOREVER
    etag: str = field(init=False)

    def __post_init__(self):
        object.__setattr__(self, "etag", hashlib.sha256(self.body).hexdigest())


# --- what goes in ----------------------------------------------------------------------


def _with_details(query):
    return query.options(joinedload(Event.venue), joinedload(Event.series))


def members_only():
    """SQL condition (the query joins Program): the event is for a program's members only —
    a troupe's rehearsal, i.e. an event its rehearsal schedule generated."""
    return sa.and_(Program.kind == ProgramKind.TROUPE, schedules.is_scheduled())


def _public_events_query(window: Window):
    query = (
        sa.select(Event)
        .join(Event.program)
        # Events for a group (building leaders, one grid, a troupe) stay out of public feeds.
        .where(window.clause(), ~members_only(), Program.is_listed(), audiences.is_open())
        .options(contains_eager(Event.program))
        .order_by(Event.starts_at, Event.id)
    )
    if PRIVATE_PROGRAM_KINDS:
        query = query.where(Program.kind.not_in(PRIVATE_PROGRAM_KINDS))
    return _with_details(query)


def is_public(program: Program) -> bool:
    """Tell whether ``program``'s events appear in the public feeds."""
    return program.kind not in PRIVATE_PROGRAM_KINDS


def public_program(slug: str) -> Program | None:
    """The program with ``slug`` if it has a public feed (an archived program has none)."""
    program = db.session.execute(
        sa.select(Program).where(Program.slug == slug, Program.is_listed())
    ).scalar_one_or_none()
    return program if program is not None and is_public(program) else None


def public_event(event_id: int, viewer: User | None = None) -> Event | None:
    """The event with ``event_id`` if it is public (its program's kind is, it isn't a
    members-only rehearsal) and open to everyone — or to ``viewer``, when it is for a
    group they belong to — with what a feed shows."""
    query = _with_details(
        sa.select(Event).join(Event.program)
        .where(Event.id == event_id, ~members_only(), audiences.visible_to(viewer))
        .options(contains_eager(Event.program))
    )
    event = db.session.execute(query).scalar_one_or_none()
    return event if event is not None and is_public(event.program) else None


def booking_entry(booking: Booking, *, role_name: str | None = None, show_children: bool = True) -> Entry | None:
    """How one active booking shows in its holder's feed (None leaves it out).

    Every kind of booking counts — a lecture seat, a volunteer shift (``role_name`` is
    its role), a place in a children's class — because all of them are bookings on a
    quota of an event. A child appears by first name, or not at all when the parent
    chose so (``show_children`` False).
    """
    if booking.child_id is not None and not show_children:
        return None
    event = booking.event
    notes = (booking.child.first_name,) if booking.child_id is not None else ()
    roles = (role_name,) if role_name else ()
    if not booking.is_active:  # cancelled with its event: shown crossed out, like the event
        return Entry(event=event, notes=notes, roles=roles, changed_at=booking.cancelled_at)
    if booking.is_waitlisted:
        return Entry(event=event, tentative=True, notes=notes, roles=roles, changed_at=booking.waitlisted_at)
    # A place that came off the waiting list changed STATUS: that is a new revision.
    promoted = booking.waitlisted_at is not None
    return Entry(event=event, notes=notes, roles=roles, changed_at=booking.confirmed_at,
                 revision=1 if promoted else 0)


def booked_entries(user: User, window: Window) -> list[Entry]:
    """The events the person holds an active booking for, or held one for when the event
    was cancelled (with the role of each shift and the child of each child's place), in
    one query."""
    rows = db.session.execute(
        sa.select(Booking, ShiftRole.name)
        .join(Booking.event)
        .join(Event.program)
        .outerjoin(ShiftRole, ShiftRole.quota_id == Booking.quota_id)
        .where(
            Booking.user_id == user.id,
            held_or_cancelled_with_event(),
            window.clause(),
        )
        .options(
            contains_eager(Booking.event).contains_eager(Event.program),
            contains_eager(Booking.event).joinedload(Event.venue),
            contains_eager(Booking.event).joinedload(Event.series),
            joinedload(Booking.child),
        )
        .order_by(Event.starts_at, Event.id, Booking.id)
    ).unique()
    entries = (
        booking_entry(booking, role_name=role_name, show_children=user.children_in_calendar)
        for booking, role_name in rows
    )
    return [entry for entry in entries if entry is not None]


PersonalSource = Callable[[User, Window], Iterable[Entry]]

# Where a personal feed's events come from; each source runs a fixed number of queries,
# loading its events with their program, venue and series. Troupe rehearsals come from
# membership, not bookings: ``services.wiring`` adds ``troupes.rehearsal_entries`` when the
# app starts.
PERSONAL_SOURCES: list[PersonalSource] = [booked_entries]


def _merge(entries: Iterable[Entry]) -> list[Entry]:
    """One entry per event (a seat and a shift at the same event are one calendar event):
    tentative only if every part is, with all notes, the latest change and revision."""
    merged: dict[int, Entry] = {}
    for entry in entries:
        seen = merged.get(entry.event.id)
        if seen is None:
            merged[entry.event.id] = entry
            continue
        stamps = [t for t in (seen.changed_at, entry.changed_at) if t is not None]
        merged[entry.event.id] = replace(
            seen,
            tentative=seen.tentative and entry.tentative,
            notes=seen.notes + tuple(n for n in entry.notes if n not in seen.notes),
            roles=seen.roles + tuple(r for r in entry.roles if r not in seen.roles),
            changed_at=max(stamps) if stamps else None,
            revision=max(seen.revision, entry.revision),
        )
    return sorted(merged.values(), key=lambda e: (e.event.starts_at, e.event.id))


# --- the feeds --------------------------------------------------------------------------


def _next_public_start(window: Window, program_id: int | None = None) -> datetime | None:
    """The soonest start of a public event beyond the window (of one program): the next
    event to come into a public feed as time passes."""
    query = (
        sa.select(sa.func.min(Event.starts_at)).join(Event.program)
        .where(Event.starts_at >= window.ends_at, ~members_only())
    )
    if program_id is not None:
        query = query.where(Event.program_id == program_id)
    return db.session.execute(query).scalar_one()


def public_feed(*, now: datetime, links: FeedLinks, language: str) -> Feed:
    """Every public event in the window, of every program."""
    window = Window.at(now)
    entries = [Entry(event=e) for e in db.session.execute(_public_events_query(window)).unique().scalars()]
    with force_locale(language):
        return _render(
            entries, links,
            name=_("Linli community events"),
            description=_("All public events of our community on Linli: lectures, talks, performances and classes."),
            valid_until=window.next_change(entries, entering=_next_public_start(window)),
        )


def program_feed(program: Program, *, now: datetime, links: FeedLinks, language: str) -> Feed:
    """The events of one program in the window."""
    window = Window.at(now)
    query = _public_events_query(window).where(Event.program_id == program.id)
    entries = [Entry(event=e) for e in db.session.execute(query).unique().scalars()]
    with force_locale(language):
        return _render(
            entries, links, name=program.name,
            description=program.description or _("Events of %(program)s on Linli.", program=program.name),
            valid_until=window.next_change(entries, entering=_next_public_start(window, program.id)),
        )


def event_feed(event: Event, *, links: FeedLinks, language: str) -> Feed:
    """One event, for the "add to calendar" download."""
    with force_locale(language):
        return _render([Entry(event=event)], links)


def personal_feed(user: User, *, now: datetime, links: FeedLinks, language: str,
                  alarm_minutes: int | None = None) -> Feed:
    """The person's own calendar: what they booked (waiting-list places as tentative)
    and what the other :data:`PERSONAL_SOURCES` add, in the window — with an alarm
    ``alarm_minutes`` before each event they hold a place at, when they chose one."""
    window = Window.at(now)
    entries = _merge(entry for source in PERSONAL_SOURCES for entry in source(user, window))
    with force_locale(language):
        return _render(
            entries, links, name=_("My Linli calendar"),
            description=_("What I booked on Linli. Waiting-list places are marked tentative."),
            alarm=timedelta(minutes=alarm_minutes) if alarm_minutes else None,
            # The sources can't say cheaply what enters their window next: reuse it a while.
            valid_until=window.next_change(entries, entering=now + WINDOW_AHEAD + PERSONAL_REUSE),
        )


# --- rendering --------------------------------------------------------------------------


def event_uid(event: Event) -> str:
    """The event's permanent UID: its random ``calendar_uid`` (every event gets one when
    it is made; migration 0012 gave the older ones theirs)."""
    if not event.calendar_uid:
        raise ValueError(f"event {event.id} has no calendar UID")
    return event.calendar_uid


@cache
def _vtimezone() -> icalendar.Timezone:
    # Asia/Shanghai has kept UTC+8 without daylight saving since 1991: one STANDARD
    # rule from 2000 on describes every event a feed can hold.
    return icalendar.Timezone.from_tzinfo(
        LOCAL_TZ, tzid=TIMEZONE_NAME, first_date=date(2000, 1, 1), last_date=date(2100, 1, 1)
    )


def _location(event: Event) -> str:
    venue = event.venue
    if venue is None:
        return _("Place to be announced")
    return f"{venue.name}（{venue.address}）" if venue.address else venue.name


def _description(entry: Entry, url: str | None) -> str:
    event = entry.event
    lines = []
    if event.is_cancelled:
        lines.append(_("This event is cancelled."))
        if event.cancel_reason:
            lines.append(_("Reason: %(reason)s", reason=event.cancel_reason))
    elif entry.tentative:
        lines.append(_("You are on the waiting list. If a place frees up, it is yours automatically."))
    if event.speaker:
        lines.append(_("Speaker: %(speaker)s", speaker=event.speaker))
    if event.series:
        lines.append(_("Series: %(series)s", series=event.series.name))
    if event.summary:
        lines.append(event.summary)
    if url:
        lines.append(_("Details: %(url)s", url=url))
    return "\n".join(lines)


def _summary(entry: Entry) -> str:
    title = entry.event.display_title
    if entry.notes:
        title = f"{title}（{'、'.join(entry.notes)}）"
    if entry.roles:
        title = _("[Volunteer] %(roles)s · %(title)s", roles="、".join(role_title(r) for r in entry.roles), title=title)
    if entry.event.is_cancelled:
        return _("Cancelled: %(title)s", title=title)
    if entry.tentative:
        return _("Waiting list: %(title)s", title=title)
    return title


def _valarm(entry: Entry, before: timedelta) -> icalendar.Alarm:
    """A reminder ``before`` the event starts (RFC 5545 VALARM, shown by the calendar app)."""
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("trigger", -before)
    alarm.add("description", _("Reminder: %(title)s", title=entry.event.display_title))
    return alarm


def _vevent(entry: Entry, links: FeedLinks, alarm: timedelta | None = None) -> tuple[icalendar.Event, datetime]:
    event = entry.event
    changed = max(event.updated_at, entry.changed_at or event.updated_at)
    url = links.event_url(event)
    if event.is_cancelled:
        status = "CANCELLED"
    elif entry.tentative:
        status = "TENTATIVE"
    else:
        status = "CONFIRMED"
    vevent = icalendar.Event()
    vevent.add("uid", event_uid(event))
    vevent.add("dtstamp", changed)
    vevent.add("created", event.created_at)
    vevent.add("last-modified", changed)
    vevent.add("sequence", event.sequence + entry.revision)
    vevent.add("dtstart", to_local(event.starts_at))
    vevent.add("dtend", to_local(event.ends_at))
    vevent.add("summary", _summary(entry))
    vevent.add("location", _location(event))
    vevent.add("description", _description(entry, url))
    if url:
        vevent.add("url", url)
    vevent.add("categories", [event.program.name])
    vevent.add("status", status)
    # A cancelled event no longer blocks the time in anyone's calendar.
    vevent.add("transp", "TRANSPARENT" if event.is_cancelled else "OPAQUE")
    if alarm is not None and status == "CONFIRMED":
        vevent.add_component(_valarm(entry, alarm))
    return vevent, changed


def _render(entries: list[Entry], links: FeedLinks, *, name: str | None = None,
            description: str | None = None, alarm: timedelta | None = None,
            valid_until: datetime = FOREVER) -> Feed:
    """Write the calendar; ``name`` marks a subscription (a download has none)."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    if name is not None:
        calendar.add("name", name)
        calendar.add("x-wr-calname", name)
        calendar.add("description", description or name)
        calendar.add("x-wr-caldesc", description or name)
        calendar.add("refresh-interval", REFRESH_INTERVAL, parameters={"VALUE": "DURATION"})
        calendar.add("x-published-ttl", icalendar.vDuration(REFRESH_INTERVAL).to_ical().decode())
    calendar.add("x-wr-timezone", TIMEZONE_NAME)
    # Always present, so even an empty feed has the component RFC 5545 asks for.
    calendar.add_component(_vtimezone())
    last_modified = None
    for entry in entries:
        vevent, changed = _vevent(entry, links, alarm)
        calendar.add_component(vevent)
        last_modified = changed if last_modified is None else max(last_modified, changed)
    return Feed(body=calendar.to_ical(), last_modified=last_modified, valid_until=valid_until)


# --- personal feed tokens ---------------------------------------------------------------


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def reset_feed_token(user: User, *, now: datetime) -> str:
    """Give the person a new personal-feed token and return it (the only time it is
    seen); the previous token stops working in the same transaction."""
    begin_write()
    # Serialise two resets by the same person (the row may not exist yet).
    db.session.execute(sa.select(User.id).where(User.id == user.id).with_for_update())
    token = secrets.token_urlsafe(TOKEN_BYTES)
    row = db.session.get(CalendarToken, user.id)
    if row is None:
        row = CalendarToken(user_id=user.id)
        db.session.add(row)
    row.token_hash = _digest(token)
    row.created_at = now
    db.session.flush()
    return token


def show_children(user: User, shown: bool) -> None:
    """Record the parent's choice: their children's classes appear in their personal
    feed by the child's first name (``shown``), or not at all."""
    begin_write()
    user.children_in_calendar = shown
    db.session.flush()


def feed_token_of(user: User) -> CalendarToken | None:
    """The person's current personal-feed token record (its hash), if they made one."""
    return db.session.get(CalendarToken, user.id)


@dataclass(frozen=True)
class FeedOwner:
    """Whose personal feed a token opens, what their feed depends on besides the data
    (their calendar alarm), and the versions of that data (``EVENTS``, then theirs)."""

    user_id: int
    alarm_minutes: int | None
    versions: tuple[int, int]


def feed_owner(token: str) -> FeedOwner | None:
    """The active person whose personal feed ``token`` opens, with their alarm and the
    feed's versions, in one query (a revalidation needs nothing more); None for an
    unknown or replaced token or an inactive account. The token is looked up and compared
    as in ``user_for_feed_token``."""
    if not _TOKEN_PATTERN.fullmatch(token or ""):
        return None
    digest = _digest(token)
    row = db.session.execute(
        sa.select(
            CalendarToken.token_hash, User.id, NotificationSettings.calendar_alarm_minutes,
            feed_cache.version_of(feed_cache.EVENTS), feed_cache.version_of(feed_cache.person_scope_of(User.id)),
        )
        .join(User, User.id == CalendarToken.user_id)
        .outerjoin(NotificationSettings, NotificationSettings.user_id == User.id)
        .where(CalendarToken.token_hash == digest, User.is_active_account.is_(True))
    ).first()
    if row is None or not hmac.compare_digest(row[0], digest):
        return None
    return FeedOwner(user_id=row[1], alarm_minutes=row[2], versions=(row[3], row[4]))


def user_for_feed_token(token: str) -> User | None:
    """The active person whose personal feed ``token`` opens, or None.

    The token is looked up by its SHA-256. Timing can only tell an attacker about the
    hash of what they sent, which helps nothing towards a token whose hash matches;
    the found hash is still compared with ``hmac.compare_digest``.
    """
    if not _TOKEN_PATTERN.fullmatch(token or ""):
        return None
    digest = _digest(token)
    row = db.session.execute(
        sa.select(CalendarToken).where(CalendarToken.token_hash == digest)
        # The person, not their roles: a feed needs no permissions (one query, not two).
        .options(joinedload(CalendarToken.user).lazyload(User.role_links))
    ).scalar_one_or_none()
    if row is None or not hmac.compare_digest(row.token_hash, digest) or not row.user.is_active:
        return None
    return row.user
