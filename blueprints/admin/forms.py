"""Forms for administrators."""
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, StringField
from wtforms.validators import Length

from ..common import clean_text


class UserSearchForm(FlaskForm):
    class Meta:
        csrf = False

    q = StringField(_l("Name or mobile number"), filters=[clean_text], validators=[Length(max=40)])


class RolesForm(FlaskForm):
    volunteer = BooleanField(_l("Volunteer"))
    organizer = BooleanField(_l("Organizer"))
    admin = BooleanField(_l("Administrator"))
