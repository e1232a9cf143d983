"""The community's clock: local time in Asia/Shanghai and dates as residents read them."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from functools import cache

from babel.dates import get_day_names, get_month_names
from flask_babel import format_date, format_datetime, get_locale

LOCAL_TZ = ZoneInfo("Asia/Shanghai")

# Babel patterns: "12月3日 周三 19:00" in Chinese, "Wed 3 Dec 19:00" in English.
_PATTERNS = {
    "zh": {"when": "M月d日 EEE HH:mm", "day": "M月d日 EEE", "time": "HH:mm", "full": "yyyy年M月d日 EEE HH:mm",
           "month": "yyyy年M月"},
    "en": {"when": "EEE d MMM HH:mm", "day": "EEE d MMM", "time": "HH:mm", "full": "EEE d MMM yyyy HH:mm",
           "month": "MMMM yyyy"},
}


def local_datetime(day: date, at: time) -> datetime:
    """Combine a local calendar day and wall-clock time into an aware datetime."""
    return datetime.combine(day, at, tzinfo=LOCAL_TZ)


def to_local(moment: datetime) -> datetime:
    """Express an aware datetime in the community's time zone."""
    return moment.astimezone(LOCAL_TZ)


def now_utc() -> datetime:
    """The current moment, aware, in UTC."""
    return datetime.now(timezone.utc)


def format_when(moment: datetime | None, style: str = "when") -> str:
    """Format ``moment`` in local time for the current language (``when``, ``day``,
    ``time``, ``full`` or ``month``).

    Pages show dozens of these, so Chinese and English are written here directly from
    Babel's names — the same text as Babel's own formatting of :data:`_PATTERNS` (a test
    compares them), at a fraction of its cost; other languages go through Babel.
    """
    if moment is None:
        return ""
    language = getattr(get_locale(), "language", "zh")
    if language not in _PATTERNS:
        return format_datetime(moment, _PATTERNS["en"][style])
    if moment.tzinfo is None:  # as Babel does: a naive moment is UTC
        moment = moment.replace(tzinfo=timezone.utc)
    local = moment.astimezone(LOCAL_TZ)
    days, months, month_names = _names(language)
    clock = f"{local.hour:02d}:{local.minute:02d}"
    if style == "time":
        return clock
    weekday = days[local.weekday()]
    if language == "zh":
        day = f"{local.month}月{local.day}日 {weekday}"
        return {"when": f"{day} {clock}", "day": day, "full": f"{local.year:04d}年{day} {clock}",
                "month": f"{local.year:04d}年{local.month}月"}[style]
    day = f"{weekday} {local.day} {months[local.month]}"
    return {"when": f"{day} {clock}", "day": day, "full": f"{day} {local.year:04d} {clock}",
            "month": f"{month_names[local.month]} {local.year:04d}"}[style]


@cache
def _names(language: str) -> tuple[dict, dict, dict]:
    """Abbreviated weekday and month names and full month names, from Babel's data."""
    return (get_day_names("abbreviated", locale=language), get_month_names("abbreviated", locale=language),
            get_month_names("wide", locale=language))


def format_day(day: date) -> str:
    """Format a calendar day for the current language, e.g. ``12月3日`` or ``3 Dec``."""
    language = getattr(get_locale(), "language", "zh")
    return format_date(day, "M月d日" if language == "zh" else "d MMM")


def weekly_days(
    first_day: date, last_day: date, weekdays: Iterable[int], skip_days: Iterable[date] = (),
) -> list[date]:
    """Every day from ``first_day`` to ``last_day`` (both included) that falls on one of
    ``weekdays`` (Monday = 0), less ``skip_days``, in order."""
    wanted, skipped = set(weekdays), set(skip_days)
    days = []
    for start in sorted(wanted):
        day = first_day + timedelta(days=(start - first_day.weekday()) % 7)
        while day <= last_day:
            if day not in skipped:
                days.append(day)
            day += timedelta(days=7)
    return sorted(days)


def format_weekdays(weekdays: Iterable[int]) -> str:
    """Weekday names for the current language, e.g. ``周二、周四`` or ``Tue, Thu``."""
    language = getattr(get_locale(), "language", "zh")
    names = get_day_names("abbreviated", locale="zh" if language == "zh" else "en")
    separator = "、" if language == "zh" else ", "
    return separator.join(names[day] for day in sorted(set(weekdays)))
