"""Forms of a resident's own pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from services.accounts import is_valid_phone, normalize_phone

from ..auth.forms import new_password_field, password_again_field
from ..common import clean_text


class ChildrenInCalendarForm(FlaskForm):
    """Whether the parent's children's classes appear in their calendar feed."""

    show = BooleanField(_l("Show my children’s classes in my calendar, with the child’s first name"))


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
