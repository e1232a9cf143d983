"""Forms for taking attendance, exporting it, and checking oneself in."""
from __future__ import annotations

from datetime import timedelta

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, HiddenField, StringField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, ValidationError

from services.accounts import is_valid_phone, normalize_phone
from services.attendance import MARKABLE, normalize_ticket_code

from ..common import clean_text

MAX_EXPORT_DAYS = 366


class MarkForm(FlaskForm):
    """One tap on a roster row: the pressed button sends its status."""

    status = StringField(validators=[AnyOf([status.value for status in MARKABLE])])
    q = HiddenField(filters=[clean_text])


class TicketForm(FlaskForm):
    """Check someone in by the 8-digit ticket number they show or read out."""

    code = StringField(
        _l("Ticket number"), filters=[clean_text, normalize_ticket_code],
        validators=[DataRequired(_l("Please type the 8-digit ticket number."))],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20, "placeholder": "0000 0000"},
    )

    def validate_code(self, field):
        if not (len(field.data) == 8 and field.data.isascii() and field.data.isdigit()):
            raise ValidationError(_l("A ticket number has 8 digits, e.g. 2741 0936."))


def _valid_phone(form, field):
    if not is_valid_phone(field.data or ""):
        raise ValidationError(_l("Please enter an 11-digit mobile number starting with 1."))


class WalkInForm(FlaskForm):
    """Someone who came without a booking, added at the door."""

    name = StringField(
        _l("Name"), filters=[clean_text],
        validators=[
            DataRequired(_l("Please enter the person's name.")),
            Length(max=20, message=_l("A name can be at most 20 characters.")),
        ],
        render_kw={"maxlength": 20, "autocomplete": "off"},
    )
    phone = StringField(
        _l("Mobile number"), filters=[clean_text, normalize_phone],
        validators=[DataRequired(_l("Please enter the person's mobile number.")), _valid_phone],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )


class ExcuseForm(FlaskForm):
    """Excuse an absence, with the reason kept on record."""

    reason = StringField(
        _l("Reason"), filters=[clean_text],
        validators=[
            DataRequired(_l("Please give the reason.")),
            Length(max=200, message=_l("At most 200 characters.")),
        ],
        render_kw={"maxlength": 200},
    )


def _sane_year(form, field):
    if field.data and not 2000 <= field.data.year <= 2100:
        raise ValidationError(_l("Please choose a date between the years 2000 and 2100."))


class ExportForm(FlaskForm):
    """A date range of a program's attendance to download (a GET form, no CSRF)."""

    class Meta:
        csrf = False

    start = DateField(_l("From"), validators=[InputRequired(_l("Please choose a date.")), _sane_year])
    end = DateField(_l("To"), validators=[InputRequired(_l("Please choose a date.")), _sane_year])

    def validate_end(self, field):
        if self.start.data and field.data:
            if field.data < self.start.data:
                raise ValidationError(_l("The last day must not be before the first day."))
            if field.data - self.start.data > timedelta(days=MAX_EXPORT_DAYS):
                raise ValidationError(_l("At most one year at a time, please."))
