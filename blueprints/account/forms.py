"""Forms of a resident's own pages."""
from __future__ import annotations

import unicodedata

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField, PasswordField, RadioField, SelectChoice, SelectField, SelectMultipleField, StringField, widgets,
)
from wtforms.validators import DataRequired, Email, Length, Optional, ValidationError

from services.accounts import is_valid_phone, normalize_phone

from ..auth.forms import new_password_field, password_again_field
from ..common import clean_text


class ChildrenInCalendarForm(FlaskForm):
    """Whether the parent's children's classes appear in their calendar feed."""

    show = BooleanField(_l("Show my children’s classes in my calendar, with the child’s first name"))


def _full_width_to_ascii(value):
    """Form filter: full-width letters and digits (some phone keyboards type them) and
    surrounding spaces don't make an address invalid."""
    if not isinstance(value, str):
        return value
    return unicodedata.normalize("NFKC", value).strip()


class TopicsField(SelectMultipleField):
    """Tick boxes, one per topic."""

    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class EmailSettingsForm(FlaskForm):
    """An optional email address, the topics wanted by email, and their language."""

    email = StringField(
        _l("Email address (optional)"), filters=[_full_width_to_ascii],
        description=_l("Your mobile number stays your login. Leave this empty to get messages on the site only."),
        validators=[Optional(), Length(max=254, message=_l("At most 254 characters.")),
                    Email(message=_l("Please enter an email address like name@example.com."))],
        render_kw={"inputmode": "email", "autocomplete": "email", "maxlength": 254},
    )
    topics = TopicsField(
        _l("Also by email"),
        choices=[
            SelectChoice("places", _l("A place for me from a waiting list, my memberships, a booking pause")),
            SelectChoice("changes", _l("Events I booked cancelled or moved, shifts released")),
            SelectChoice("reminders", _l("Reminders the day before")),
            SelectChoice("messages", _l("Messages from the organizers")),
        ],
    )
    language = RadioField(
        _l("Language of my emails"), choices=[SelectChoice("zh", "中文"), SelectChoice("en", "English")], default="zh",
        validators=[DataRequired(_l("Please choose a language."))],
    )


class CalendarAlarmForm(FlaskForm):
    """How long before each booked event the personal calendar reminds the person."""

    minutes = SelectField(
        _l("Reminder in my calendar"), coerce=int,
        choices=[SelectChoice(0, _l("No reminder")), SelectChoice(60, _l("1 hour before")),
                 SelectChoice(120, _l("2 hours before")), SelectChoice(1440, _l("The day before (24 hours)"))],
    )


class DeleteAccountForm(FlaskForm):
    """Deleting one's account: the password again, and a tick that says one understands."""

    password = PasswordField(
        _l("Your password"),
        validators=[
            DataRequired(_l("Please enter your password.")),
            Length(max=128, message=_l("A password can be at most 128 characters.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    understood = BooleanField(
        _l("I understand that my account, my name and my number are removed for good, and that this can't be undone."),
        validators=[DataRequired(_l("Please tick the box to confirm."))],
    )
def _current_password_field(label=_l("Current password")) -> PasswordField:
    return PasswordField(
        label, validators=[Length(max=128, message=_l("A password can be at most 128 characters."))],
        render_kw={"autocomplete": "current-password"},
    )


class ProfileForm(FlaskForm):
    """My name and mobile number; a new number needs my password."""

    display_name = StringField(
        _l("Name"), filters=[clean_text],
        validators=[DataRequired(_l("Please enter the name others will see.")),
                    Length(max=20, message=_l("A name can be at most 20 characters."))],
        render_kw={"autocomplete": "name", "maxlength": 20},
    )
    phone = StringField(
        _l("Mobile number"), filters=[normalize_phone],
        description=_l("You log in with it. Organizers call it if an event changes."),
        validators=[DataRequired(_l("Please enter your mobile number."))],
        render_kw={"inputmode": "numeric", "autocomplete": "tel", "maxlength": 20},
    )
    current_password = _current_password_field(_l("Current password (only to change the number)"))

    def validate_phone(self, field):
        if not is_valid_phone(field.data or ""):
            raise ValidationError(_l("Please enter an 11-digit mobile number starting with 1."))


class PasswordForm(FlaskForm):
    """Change my password: the current one, then the new one twice."""

    current_password = _current_password_field()
    password = new_password_field(_l("New password"))
    confirm = password_again_field()

    def validate_current_password(self, field):
        if not field.data:
            raise ValidationError(_l("Please enter your current password."))
