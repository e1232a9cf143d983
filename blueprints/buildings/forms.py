"""Forms of the building leader's pages: they check shape; services decide."""
from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from models.neighbourhood import Building
from services import buildings
from services.accounts import is_valid_phone, normalize_phone

from ..common import clean_text


def _valid_phone_if_given(form, field):
    if field.data and not is_valid_phone(field.data):
        raise ValidationError(_l("Please enter an 11-digit mobile number starting with 1, or leave it empty."))


def _valid_phone(form, field):
    if not is_valid_phone(field.data or ""):
        raise ValidationError(_l("Please enter an 11-digit mobile number starting with 1."))


def building_choices(options: list[Building]) -> dict | list:
    """Choices for a building select, grouped by grid when there is more than one."""
    grids: dict[str, list[tuple[int, str]]] = {}
    for building in options:
        grids.setdefault(buildings.grid_label(building.grid), []).append((building.id, building.name))
    if len(grids) == 1:
        return next(iter(grids.values()))
    return {str(_l("Grid %(grid)s", grid=label)): items for label, items in grids.items()}


def name_field(label=_l("Name")) -> StringField:
    return StringField(
        label, filters=[clean_text],
        validators=[DataRequired(_l("Please enter the name.")), Length(max=40, message=_l("A name can be at most 40 characters."))],
        render_kw={"maxlength": 40, "autocomplete": "off"},
    )


def home_fields():
    """The unit (单元) and room (室) fields, both optional and short."""
    unit = StringField(_l("Unit (optional)"), filters=[clean_text],
                       validators=[Length(max=10, message=_l("At most 10 characters."))],
                       render_kw={"maxlength": 10, "placeholder": _l("e.g. 2单元")})
    room = StringField(_l("Room (optional)"), filters=[clean_text],
                       validators=[Length(max=10, message=_l("At most 10 characters."))],
                       render_kw={"maxlength": 10, "inputmode": "numeric", "placeholder": _l("e.g. 301")})
    return unit, room


class NeighbourForm(FlaskForm):
    """A neighbour without a login: name, home, an optional number, and their consent."""

    name = name_field(_l("Resident's name"))
    building_id = SelectField(_l("Building"), coerce=int, validate_choice=False)
    unit, room = home_fields()
    phone = StringField(
        _l("Mobile number (optional)"), filters=[clean_text, normalize_phone], validators=[_valid_phone_if_given],
        description=_l("Leave empty if the resident has no mobile phone."),
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )
    note = StringField(_l("Note for yourself (optional)"), filters=[clean_text],
                       validators=[Length(max=200, message=_l("At most 200 characters."))],
                       render_kw={"maxlength": 200, "placeholder": _l("e.g. hard of hearing; daughter helps")})
    consent = BooleanField()


class EditNeighbourForm(FlaskForm):
    """Correct a neighbour's name or home."""

    name = name_field(_l("Resident's name"))
    building_id = SelectField(_l("Building"), coerce=int, validate_choice=False)
    unit, room = home_fields()


class PhoneForm(FlaskForm):
    """The mobile number a neighbour now has."""

    phone = StringField(
        _l("Mobile number"), filters=[clean_text, normalize_phone],
        validators=[DataRequired(_l("Please enter the mobile number.")), _valid_phone],
        render_kw={"inputmode": "numeric", "autocomplete": "off", "maxlength": 20},
    )


class BookForForm(FlaskForm):
    """Book for a resident: a seat, a waiting-list place (``waitlist``), or a child's class."""

    waitlist = BooleanField()
    child_id = IntegerField(validators=[Optional()])
