"""Dates as residents read them: the quick formatting says exactly what Babel would."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask_babel import force_locale, format_datetime

from services.dates import _PATTERNS, format_when


def test_dates_read_as_babel_writes_them_in_both_languages(app):
    moment = datetime(2026, 12, 31, 23, 59, tzinfo=timezone.utc)
    with app.test_request_context():
        for language in ("zh", "en"):
            with force_locale(language):
                for step in range(0, 400 * 24, 37):  # every weekday and month, day and night
                    at = moment + timedelta(hours=step)
                    for style, pattern in _PATTERNS[language].items():
                        assert format_when(at, style) == format_datetime(at, pattern), (language, style, at)
                assert format_when(moment.replace(tzinfo=None)) == format_datetime(moment, _PATTERNS[language]["when"])
        with force_locale("zh"):
            assert format_when(moment) == "1月1日 周五 07:59"
            assert format_when(None) == ""
