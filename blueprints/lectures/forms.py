"""Forms for booking lectures and for organizers managing them."""
from __future__ import annotations

import re
from datetime import date, datetime

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField, SelectField, StringField, TextAreaField,
    TimeField,
)
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from ..common import WholeNumberField, clean_text

EARLIEST_YEAR, LATEST_YEAR = 2000, 2100


def _sane_date(form, field):
    if field.data and not EARLIEST_YEAR <= field.data.year <= LATEST_YEAR:
        raise ValidationError(_l("Please choose a date between the years 2000 and 2100."))


def _choice_int(value):
    try:
        return int(value)
    except (TypeError, ValueError):
        return 0


def _parse_skip_days(text: str) -> tuple[set[date], list[str]]:
    """Read dates like 2026-10-01 (or 2026/10/1, 2026.10.1) separated by commas, spaces or lines."""
    days, bad = set(), []
    for token in re.split(r"[\s,，、;；]+", text or ""):
        if not token:
            continue
        normalized = re.sub(r"[./年月]", "-", token).rstrip("日")
        try:
            days.add(datetime.strptime(normalized, "%Y-%m-%d").date())
        except ValueError:
            bad.append(token)
    return days, bad


class _LectureFields(FlaskForm):
    venue_id = SelectField(_l("Venue"), coerce=_choice_int, validators=[Optional()])
    series_id = SelectField(_l("Topic series"), coerce=_choice_int, validators=[Optional()])
    speaker = StringField(
        _l("Speaker"), filters=[clean_text],
        validators=[Length(max=80, message=_l("At most 80 characters."))],
        render_kw={"maxlength": 80},
    )
    capacity = WholeNumberField(
        _l("Seats"),
        validators=[
            InputRequired(_l("Please enter the number of seats.")),
            NumberRange(min=1, max=2000, message=_l("Please enter a number from 1 to 2000.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    booking_cutoff_minutes = WholeNumberField(
        _l("Booking closes (minutes before the start)"), default=60,
        validators=[
            InputRequired(_l("Please enter a number of minutes.")),
            NumberRange(min=0, max=10080, message=_l("Please enter a number from 0 to 10080 (a week).")),
        ],
        render_kw={"inputmode": "numeric"},
    )


class TermForm(_LectureFields):
    """Lay out a term: one lecture every Wednesday between two days."""

    first_day = DateField(_l("First day"), validators=[InputRequired(_l("Please choose a date.")), _sane_date])
    last_day = DateField(_l("Last day"), validators=[InputRequired(_l("Please choose a date.")), _sane_date])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired(_l("Please choose a time."))])
    duration_minutes = WholeNumberField(
        _l("Length (minutes)"), default=90,
        validators=[
            InputRequired(_l("Please enter a number of minutes.")),
            NumberRange(min=15, max=480, message=_l("Please enter a number from 15 to 480.")),
        ],
        render_kw={"inputmode": "numeric"},
    )
    title = StringField(
        _l("Title for every lecture (optional)"), filters=[clean_text],
        validators=[Length(max=120, message=_l("At most 120 characters."))],
        render_kw={"maxlength": 120},
    )
    skip_days = TextAreaField(
        _l("Days to skip (holidays)"),
        description=_l("One date per line or separated by commas, e.g. 2026-10-01"),
        validators=[Length(max=2000, message=_l("At most 2000 characters."))],
    )

    def validate_skip_days(self, field):
        days, bad = _parse_skip_days(field.data)
        if bad:
            raise ValidationError(
                _l("These aren't dates: %(bad)s. Please write dates like 2026-10-01.", bad="、".join(bad[:5]))
            )
        self.parsed_skip_days = frozenset(days)


class LectureForm(_LectureFields):
    """Edit one lecture."""

    title = StringField(
        _l("Title"), filters=[clean_text],
        description=_l("Leave it empty while the topic is to be announced."),
        validators=[Length(max=120, message=_l("At most 120 characters."))],
        render_kw={"maxlength": 120},
    )
    summary = TextAreaField(
        _l("Summary"), filters=[clean_text],
        validators=[Length(max=2000, message=_l("At most 2000 characters."))],
    )
    day = DateField(_l("Date"), validators=[InputRequired(_l("Please choose a date.")), _sane_date])
    start_time = TimeField(_l("Starts at"), validators=[InputRequired(_l("Please choose a time."))])
    end_time = TimeField(_l("Ends at"), validators=[InputRequired(_l("Please choose a time."))])

    def validate_end_time(self, field):
        if self.start_time.data and field.data and field.data <= self.start_time.data:
            raise ValidationError(_l("The lecture must end after it starts."))


class CancelLectureForm(FlaskForm):
    reason = StringField(
        _l("Reason (residents will see it)"), filters=[clean_text],
        validators=[
            DataRequired(_l("Please give a reason.")),
            Length(max=200, message=_l("At most 200 characters.")),
        ],
        render_kw={"maxlength": 200},
    )
