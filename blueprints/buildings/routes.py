"""The building leader's pages (红色楼长; grid workers too): the residents of their
buildings and what they booked, booking on a resident's behalf, neighbours without a
phone, and the printable weekly sheet. Scoped to the buildings the person looks after:
anyone else's resident is a 404, whatever id is typed."""
from __future__ import annotations

from datetime import date, time, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Building, Event, db
from services import accounts, audiences, buildings, capacity, households, youth
from services import booking as booking_service
from services.dates import format_when, local_datetime, now_utc, to_local
from services.errors import ConsentRequired, LinliError, NotInYourCare, PhoneHasAccount

from ..common import ConfirmForm, flash_error
from .forms import BookForForm, EditNeighbourForm, NeighbourForm, PhoneForm, building_choices

bp = Blueprint("buildings", __name__, url_prefix="/buildings")

# More buildings than this (a grid worker of a big grid, an administrator): choose one first.
ALL_AT_ONCE = 8


@bp.app_template_filter("day_with_weekday")
def day_with_weekday_filter(day: date) -> str:
    """Jinja filter: a calendar day with its weekday, e.g. 12月7日 周一 or Mon 7 Dec."""
    return format_when(local_datetime(day, time(12, 0)), "day")


@bp.before_request
@login_required
def caretakers_only():
    """Only building leaders, grid workers and administrators use these pages."""
    if not buildings.is_caretaker(current_user):
        abort(403)


def my_buildings() -> list[Building]:
    return buildings.care_of(current_user)


def chosen_buildings(mine: list[Building]) -> tuple[list[Building], Building | None]:
    """The buildings a page shows: the one asked for (404 if not the person's), else all
    of them when there are few."""
    asked = request.args.get("building", type=int)
    if asked is not None:
        building = next((b for b in mine if b.id == asked), None)
        if building is None:
            abort(404)
        return [building], building
    return (mine if len(mine) <= ALL_AT_ONCE else []), None


def resident_or_404(resident_id: int):
    """A resident of a building the current user looks after, or 404."""
    resident = households.resident_in_care(current_user, resident_id)
    if resident is None:
        abort(404)
    return resident


def back_to_resident(resident_id: int):
    return redirect(url_for(".resident", resident_id=resident_id))


@bp.route("/")
def index():
    """My buildings: each resident with what they booked this week and next, and who
    hasn't taken part in anything for three months."""
    now = now_utc()
    mine = my_buildings()
    shown, chosen = chosen_buildings(mine)
    lines = households.residents_of([b.id for b in shown], now=now)
    return render_template(
        "buildings/index.html", mine=mine, shown=shown, chosen=chosen, lines=lines, now=now,
        by_grid=_by_grid(mine) if not shown else None,
        positions=capacity.waitlist_positions(b for line in lines for b in line.bookings),
    )


def _by_grid(mine: list[Building]) -> list[tuple[str, list[Building]]]:
    grouped: dict[str, list[Building]] = {}
    for building in mine:
        grouped.setdefault(buildings.grid_label(building.grid), []).append(building)
    return list(grouped.items())


@bp.route("/residents/<int:resident_id>")
def resident(resident_id: int):
    """One resident: their coming bookings (to cancel for them) and what can be booked for
    them — lectures and performances, and classes for their children."""
    resident = resident_or_404(resident_id)
    now = now_utc()
    upcoming = households.upcoming_bookings(resident, now=now)
    events = households.bookable_events(resident, now=now)
    children = youth.children_of(resident)
    classes = households.bookable_classes(resident, now=now) if children else []
    rules = youth.rules_by_program({e.program_id for e in classes})
    booked_events = {b.event_id: b for b in upcoming if b.child_id is None}
    booked_classes = {(b.event_id, b.child_id) for b in upcoming if b.child_id is not None}
    return render_template(
        "buildings/resident.html", resident=resident, now=now, upcoming=upcoming,
        positions=capacity.waitlist_positions(upcoming), events=events, children=children, classes=classes,
        booked_events=booked_events, booked_classes=booked_classes,
        refusals={e.id: booking_service.booking_refusal(e, now) for e in [*events, *classes]},
        age_refusals={(e.id, c.id): youth.age_refusal(rules.get(e.program_id), e, c) for e in classes for c in children},
        waiting=capacity.waiting_counts(e.seat_quota_id for e in [*events, *classes]),
        groups=audiences.audiences_by_event(e.id for e in events),
        home=buildings.residence_of(resident), offline=households.offline_record(resident),
        can_log_in=accounts.is_claimed(resident),
        book_form=BookForForm(), cancel_form=ConfirmForm(),
    )


@bp.route("/residents/<int:resident_id>/events/<int:event_id>/book", methods=["POST"])
def book(resident_id: int, event_id: int):
    """Book a seat, a waiting-list place or a child's class for the resident (代约)."""
    resident = resident_or_404(resident_id)
    event = db.get_or_404(Event, event_id)
    form = BookForForm()
    if not form.validate_on_submit():
        abort(400)
    child = None
    if form.child_id.data is not None:
        child = youth.child_of(resident, form.child_id.data)
        if child is None:
            abort(404)
    try:
        booking, is_new = households.book_for(current_user, resident, event, now=now_utc(),
                                              waitlist=form.waitlist.data, child=child)
    except NotInYourCare:
        abort(404)
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return back_to_resident(resident.id)
    position = capacity.waitlist_position(booking)
    if is_new:
        households.tell_resident(booking, by=current_user, what="booked")
    db.session.commit()
    who = child.name if child is not None else resident.display_name
    if not is_new:
        flash(_("%(name)s already has this booking.", name=who), "info")
    elif booking.is_confirmed:
        flash(_("Booked for %(name)s: %(title)s. Ticket number: %(code)s",
                name=who, title=event.display_title, code=booking.display_code), "success")
    else:
        flash(_("%(name)s is number %(position)s on the waiting list for %(title)s and gets the seat automatically if one frees up.",
                name=who, position=position, title=event.display_title), "info")
    return back_to_resident(resident.id)


@bp.route("/residents/<int:resident_id>/bookings/<int:booking_id>/cancel", methods=["POST"])
def cancel(resident_id: int, booking_id: int):
    """Cancel a resident's seat or waiting place for them; the seat goes to the next in line."""
    resident = resident_or_404(resident_id)
    booking = households.booking_of_resident(resident, booking_id)
    if booking is None:
        abort(404)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not booking.is_active:
        flash(_("This booking was already cancelled."), "info")
        return back_to_resident(resident.id)
    try:
        households.cancel_for(current_user, resident, booking, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        households.tell_resident(booking, by=current_user, what="cancelled")
        db.session.commit()
        flash(_("The booking of %(name)s for %(title)s is cancelled.", name=resident.display_name,
                title=booking.event.display_title), "info")
    return back_to_resident(resident.id)


# --- neighbours without a phone ---------------------------------------------------------------


def _fill_buildings(form, mine: list[Building]) -> None:
    form.building_id.choices = building_choices(mine)


@bp.route("/residents/new", methods=["GET", "POST"])
def new_neighbour():
    """Add a neighbour who has no login (or no phone), with their consent, to book for them."""
    mine = my_buildings()
    form = NeighbourForm()
    _fill_buildings(form, mine)
    if request.method == "GET" and request.args.get("building", type=int):
        form.building_id.data = request.args.get("building", type=int)
    if form.validate_on_submit():
        building = next((b for b in mine if b.id == form.building_id.data), None)
        if building is None:
            form.building_id.errors.append(_("Please choose one of your buildings."))
        else:
            try:
                person = households.add_offline_resident(
                    current_user, name=form.name.data, building=building, unit=form.unit.data or "",
                    room=form.room.data or "", phone=form.phone.data or "", consent=form.consent.data,
                    note=form.note.data or "", now=now_utc(),
                )
            except ConsentRequired as error:
                db.session.rollback()
                form.consent.errors.append(str(error))
            except PhoneHasAccount as error:
                db.session.rollback()
                form.phone.errors.append(str(error))
            except LinliError as error:
                db.session.rollback()
                form.building_id.errors.append(str(error))
            else:
                db.session.commit()
                flash(_("%(name)s is added. You can now book for them.", name=person.display_name), "success")
                return back_to_resident(person.id)
    return render_template("buildings/neighbour_form.html", form=form, statement=households.CONSENT_STATEMENT,
                           editing=None), 400 if form.errors else 200


@bp.route("/residents/<int:resident_id>/edit", methods=["GET", "POST"])
def edit_neighbour(resident_id: int):
    """Correct the name or home of a neighbour you added."""
    resident = resident_or_404(resident_id)
    offline = households.offline_record(resident)
    if offline is None or accounts.is_claimed(resident):
        abort(404)
    mine = my_buildings()
    home = buildings.residence_of(resident)
    form = EditNeighbourForm(data=None if request.method == "POST" else {
        "name": resident.display_name, "building_id": home.building_id if home else None,
        "unit": home.unit if home else "", "room": home.room if home else "",
    })
    _fill_buildings(form, mine)
    if form.validate_on_submit():
        building = next((b for b in mine if b.id == form.building_id.data), None)
        if building is None:
            form.building_id.errors.append(_("Please choose one of your buildings."))
        else:
            try:
                households.update_offline_resident(current_user, resident, name=form.name.data, building=building,
                                                   unit=form.unit.data or "", room=form.room.data or "", now=now_utc())
            except LinliError as error:
                db.session.rollback()
                form.name.errors.append(str(error))
            else:
                db.session.commit()
                flash(_("The details of %(name)s are saved.", name=resident.display_name), "success")
                return back_to_resident(resident.id)
    return render_template("buildings/neighbour_form.html", form=form, editing=resident,
                           statement=households.CONSENT_STATEMENT), 400 if form.errors else 200


@bp.route("/residents/<int:resident_id>/phone", methods=["GET", "POST"])
def give_phone(resident_id: int):
    """Record the mobile number a neighbour now has, so they can register and use their own account."""
    resident = resident_or_404(resident_id)
    if households.offline_record(resident) is None or resident.has_phone:
        abort(404)
    form = PhoneForm()
    if form.validate_on_submit():
        try:
            households.give_phone(current_user, resident, form.phone.data, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.phone.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The number is saved. When %(name)s registers with it, the bookings are theirs to see.",
                    name=resident.display_name), "success")
            return back_to_resident(resident.id)
    return render_template("buildings/phone.html", form=form, resident=resident), 400 if form.errors else 200


# --- the weekly sheet --------------------------------------------------------------------------


@bp.route("/sheet")
def sheet():
    """The week's bookings of my residents with dates, places and ticket numbers, to print
    (A4, large type) and hand out on visits."""
    now = now_utc()
    mine = my_buildings()
    shown, chosen = chosen_buildings(mine)
    today = to_local(now).date()
    this_week = households.week_start(today)
    try:
        first = households.week_start(date.fromisoformat(request.args.get("week", "")))
    except ValueError:
        first = this_week
    if abs((first - this_week).days) > 366:
        first = this_week
    sheet = households.weekly_sheet([b.id for b in shown], first)
    return render_template(
        "buildings/sheet.html", sheet=sheet, mine=mine, shown=shown, chosen=chosen, now=now,
        this_week=this_week, next_week=this_week + timedelta(days=7),
        by_grid=_by_grid(mine) if not shown else None,
    )
