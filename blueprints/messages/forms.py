"""Forms of the messages pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, SelectChoice, SelectMultipleField, TextAreaField, widgets
from wtforms.validators import DataRequired, Length

from services.organizer_messages import AUDIENCE_LABELS, MAX_LENGTH, Audience

from ..common import clean_text


class AudienceField(SelectMultipleField):
    """Tick boxes, one per group of people at the event."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class OrganizerMessageForm(FlaskForm):
    """A short message to chosen groups of the people at an event; ``confirmed`` is set
    by the button on the page that shows how many it will reach."""

    body = TextAreaField(
        _l("Message"), filters=[clean_text],
        description=_l("Short and clear, e.g. “Please bring your reading glasses” or “We meet in room 101 today”."),
        validators=[DataRequired(_l("Please write the message.")),
                    Length(max=MAX_LENGTH, message=_l("At most %(max)s characters.", max=MAX_LENGTH))],
        render_kw={"maxlength": MAX_LENGTH, "rows": 4},
    )
    audiences = AudienceField(
        _l("Send to"), choices=[SelectChoice(a.value, label) for a, label in AUDIENCE_LABELS.items()],
        validators=[DataRequired(_l("Please choose who gets the message."))],
    )
    confirmed = BooleanField()

    def chosen(self) -> list[Audience]:
        return [Audience(value) for value in self.audiences.data or []]
