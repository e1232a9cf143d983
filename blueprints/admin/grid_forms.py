"""Forms of the administrators' grid, building, reward and honour pages."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import IntegerField, StringField, TextAreaField
from wtforms.validators import DataRequired, InputRequired, Length, NumberRange, Optional, ValidationError

from services.accounts import is_valid_phone, normalize_phone

from ..common import WholeNumberField, clean_text


def _valid_phone(form, field):
    if not is_valid_phone(field.data or ""):
        raise ValidationError(_l("Please enter an 11-digit mobile number starting with 1."))


def phone_field(label=_l("Mobile number")) -> StringField:
    return StringField(
        label, filters=[clean_text, normalize_phone],
        validators=[DataRequired(_l("Please enter the mobile number.")), _valid_phone],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )


class GridForm(FlaskForm):
    number = StringField(_l("Grid number"), filters=[clean_text],
                         validators=[DataRequired(_l("Please give the grid's number.")),
                                     Length(max=20, message=_l("At most 20 characters."))],
                         render_kw={"maxlength": 20, "placeholder": _l("e.g. 12")})
    name = StringField(_l("Name (optional)"), filters=[clean_text],
                       validators=[Length(max=80, message=_l("At most 80 characters."))],
                       render_kw={"maxlength": 80, "placeholder": _l("e.g. 幸福里")})


class BuildingForm(FlaskForm):
    name = StringField(_l("Building"), filters=[clean_text],
                       validators=[DataRequired(_l("Please give the building's name.")),
                                   Length(max=40, message=_l("At most 40 characters."))],
                       render_kw={"maxlength": 40, "placeholder": _l("e.g. 3号楼")})
    households = WholeNumberField(
        _l("Households (optional)"),
        validators=[Optional(), NumberRange(min=0, max=100000, message=_l("Please enter a number from 0 to 100000."))],
        render_kw={"inputmode": "numeric"},
    )


class PersonByPhoneForm(FlaskForm):
    phone = phone_field()


class ImportForm(FlaskForm):
    file = FileField(_l("CSV file"), validators=[FileRequired(_l("Please choose the CSV file."))])


class MergeForm(FlaskForm):
    phone = phone_field(_l("Mobile number of their own account"))


class RewardForm(FlaskForm):
    name = StringField(_l("Reward"), filters=[clean_text],
                       validators=[DataRequired(_l("Please give the item a name.")),
                                   Length(max=60, message=_l("At most 60 characters."))],
                       render_kw={"maxlength": 60, "placeholder": _l("e.g. 洗衣液一瓶")})
    description = StringField(_l("Description (optional)"), filters=[clean_text],
                              validators=[Length(max=300, message=_l("At most 300 characters."))],
                              render_kw={"maxlength": 300})
    points = WholeNumberField(_l("Price in points"),
                              validators=[DataRequired(_l("Please give the price.")),
                                          NumberRange(min=1, max=100000, message=_l("Please enter a number from 1 to 100000."))],
                              render_kw={"inputmode": "numeric"})


class NewRewardForm(RewardForm):
    stock = WholeNumberField(_l("How many there are"),
                             validators=[Optional(), NumberRange(min=0, max=100000, message=_l("Please enter a number from 0 to 100000."))],
                             render_kw={"inputmode": "numeric"})


class StockForm(FlaskForm):
    left = WholeNumberField(_l("Left to exchange"),
                            validators=[InputRequired(_l("Please give a number.")),
                                        NumberRange(min=0, max=100000, message=_l("Please enter a number from 0 to 100000."))],
                            render_kw={"inputmode": "numeric"})


class HonourForm(FlaskForm):
    person = StringField(_l("Who (mobile number, or the name of someone without one)"), filters=[clean_text],
                         validators=[DataRequired(_l("Please say who.")), Length(max=40)],
                         render_kw={"maxlength": 40, "autocomplete": "off"})
    title = StringField(_l("Honour"), filters=[clean_text],
                        validators=[DataRequired(_l("Please name the honour.")),
                                    Length(max=40, message=_l("At most 40 characters."))],
                        render_kw={"maxlength": 40, "list": "honour-titles"})
    year = IntegerField(_l("Year"), validators=[DataRequired(_l("Please give the year.")),
                                               NumberRange(min=2000, max=2100, message=_l("Please give a year between 2000 and 2100."))],
                        render_kw={"inputmode": "numeric"})
    citation = TextAreaField(_l("Citation (read out and shown on the honour board)"), filters=[clean_text],
                             validators=[Length(max=300, message=_l("At most 300 characters."))],
                             render_kw={"maxlength": 300})
