"""The community's clock: local time in Asia/Shanghai and dates as residents read them."""
from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time, timedelta, timezone
from zoneinfo import ZoneInfo

from babel.dates import get_day_names
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
    ``time``, ``full`` or ``month``)."""
    if moment is None:
        return ""
    language = getattr(get_locale(), "language", "zh")
    patterns = _PATTERNS.get(language, _PATTERNS["en"])
    return format_datetime(moment, patterns[style])


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
