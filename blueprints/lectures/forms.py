"""Forms for organizers managing lectures: a term, one lecture, a cancellation."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional

from ..common import clean_text
from ..event_forms import EventFields, PlaceFields
from ..weekly_forms import LayoutFields, WeeklyScheduleForm, choice_int

WEDNESDAY = 2


class _LectureFields(FlaskForm):
    series_id = SelectField(_l("Topic series"), coerce=choice_int, validators=[Optional()])
    speaker = StringField(
        _l("Speaker"), filters=[clean_text],
        validators=[Length(max=80, message=_l("At most 80 characters."))],
        render_kw={"maxlength": 80},
    )


class TermForm(WeeklyScheduleForm, LayoutFields, PlaceFields, _LectureFields):
    """Lay out a term: one lecture on each chosen weekday (Wednesday, usually) between two days."""

    title = StringField(
        _l("Term name"), filters=[clean_text], description=_l("E.g. 2026 autumn term"),
        validators=[DataRequired(_l("Please enter a title.")), Length(max=100, message=_l("At most 100 characters."))],
        render_kw={"maxlength": 100},
    )
    lecture_title = StringField(
        _l("Title for every lecture (optional)"), filters=[clean_text],
        validators=[Length(max=120, message=_l("At most 120 characters."))],
        render_kw={"maxlength": 120},
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if not self.is_submitted() and not self.weekdays.data:
            self.weekdays.data = [WEDNESDAY]


class LectureForm(EventFields, PlaceFields, _LectureFields):
    """Edit one lecture; its title may stay empty while the topic is to be announced."""

    title = StringField(
        _l("Title"), filters=[clean_text],
        description=_l("Leave it empty while the topic is to be announced."),
        validators=[Length(max=120, message=_l("At most 120 characters."))],
        render_kw={"maxlength": 120},
    )


class CancelLectureForm(FlaskForm):
    reason = StringField(
        _l("Reason (residents will see it)"), filters=[clean_text],
        validators=[
            DataRequired(_l("Please give a reason.")),
            Length(max=200, message=_l("At most 200 characters.")),
        ],
        render_kw={"maxlength": 200},
    )
