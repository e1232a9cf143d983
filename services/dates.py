"""The community's clock: local time in Asia/Shanghai and dates as residents read them."""
from __future__ import annotations

from datetime import date, datetime, time, timezone
from zoneinfo import ZoneInfo

from flask_babel import format_datetime, get_locale

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
