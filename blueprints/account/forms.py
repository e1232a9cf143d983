"""Forms of a resident's own pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, PasswordField
from wtforms.validators import DataRequired, Length


class ChildrenInCalendarForm(FlaskForm):
    """Whether the parent's children's classes appear in their calendar feed."""

    show = BooleanField(_l("Show my children’s classes in my calendar, with the child’s first name"))


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
