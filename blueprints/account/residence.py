"""Where I live: a resident chooses their building from the list (with unit and room if
they like), so their building leader can help them book. Registered on the account blueprint."""
from __future__ import annotations

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user, login_required
from flask_wtf import FlaskForm
from wtforms import SelectField, SubmitField

from models import db
from services import buildings
from services.dates import now_utc

from ..buildings.forms import building_choices, home_fields
from .routes import bp


class HomeForm(FlaskForm):
    building_id = SelectField(_l("My building"), coerce=int, validate_choice=False)
    unit, room = home_fields()
    forget = SubmitField(_l("I’d rather not say"))


@bp.route("/home", methods=["GET", "POST"])
@login_required
def home():
    """Choose my building (from the list) and, if I like, my unit and room."""
    options = buildings.all_buildings()
    current = buildings.residence_of(current_user)
    form = HomeForm(data=None if current is None else {
        "building_id": current.building_id, "unit": current.unit, "room": current.room,
    })
    form.building_id.choices = building_choices(options)
    if form.validate_on_submit():
        if form.forget.data:
            buildings.clear_residence(current_user)
            db.session.commit()
            flash(_("Your building is no longer on record."), "info")
            return redirect(url_for(".home"))
        building = next((b for b in options if b.id == form.building_id.data), None)
        if building is None:
            form.building_id.errors.append(_("Please choose your building from the list."))
        else:
            buildings.set_residence(current_user, building, unit=form.unit.data or "", room=form.room.data or "",
                                    now=now_utc())
            db.session.commit()
            flash(_("Saved: you live in %(building)s.", building=buildings.building_label(building)), "success")
            return redirect(url_for(".home"))
    leaders = buildings.leaders_by_building([current.building_id]).get(current.building_id, []) if current else []
    return render_template("account/home.html", form=form, current=current, leaders=leaders,
                           has_buildings=bool(options)), 400 if form.errors else 200
