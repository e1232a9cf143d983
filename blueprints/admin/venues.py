"""Venues: the community's rooms and places — their seats, where they are, how to get in."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Venue, db
from services import venues
from services.dates import now_utc
from services.errors import LinliError

from ..common import ConfirmForm
from .forms import VenueForm
from .routes import bp


def get_venue_or_404(venue_id: int) -> Venue:
    """Load a venue or answer 404."""
    return db.get_or_404(Venue, venue_id)


def _details(form: VenueForm) -> venues.VenueDetails:
    return venues.VenueDetails(name=form.name.data, address=form.address.data or "", seats=form.seats.data,
                               access_notes=form.access_notes.data or "")


@bp.route("/venues")
def venue_list():
    """The venues in use and the retired ones, with how many events each has coming."""
    now = now_utc()
    in_use, retired = venues.all_venues(), venues.all_venues(retired=True)
    return render_template(
        "admin/venues.html", in_use=in_use, retired=retired,
        coming=venues.coming_event_counts([v.id for v in in_use + retired], now=now), confirm_form=ConfirmForm(),
    )


@bp.route("/venues/new", methods=["GET", "POST"])
def new_venue():
    """Add a venue."""
    form = VenueForm()
    if form.validate_on_submit():
        try:
            venue = venues.create_venue(_details(form), by=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s is added.", name=venue.name), "success")
            return redirect(url_for(".venue_list"))
    return render_template("admin/venue_form.html", form=form, venue=None)


@bp.route("/venues/<int:venue_id>", methods=["GET", "POST"])
def edit_venue(venue_id: int):
    """Edit a venue; a new name or address reaches the calendars of its events."""
    venue = get_venue_or_404(venue_id)
    form = VenueForm(obj=venue)
    if form.validate_on_submit():
        try:
            touched = venues.update_venue(venue, _details(form), by=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=venue.name), "success")
            if touched:
                flash(_("The calendars of %(count)s events held there show the new name or address.", count=touched), "info")
            return redirect(url_for(".venue_list"))
    coming = venues.coming_event_counts([venue.id], now=now_utc()).get(venue.id, 0)
    return render_template("admin/venue_form.html", form=form, venue=venue, coming=coming,
                           confirm_form=ConfirmForm())


@bp.route("/venues/<int:venue_id>/retire", methods=["POST"])
def retire_venue(venue_id: int):
    """Retire a venue: no new events there; events already there keep it."""
    venue = get_venue_or_404(venue_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    venues.retire_venue(venue, by=current_user, now=now_utc())
    db.session.commit()
    flash(_("%(name)s is retired: new events can't be held there.", name=venue.name), "success")
    return redirect(url_for(".venue_list"))


@bp.route("/venues/<int:venue_id>/restore", methods=["POST"])
def restore_venue(venue_id: int):
    """Offer a retired venue for new events again."""
    venue = get_venue_or_404(venue_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    venues.restore_venue(venue, by=current_user, now=now_utc())
    db.session.commit()
    flash(_("%(name)s can be chosen for new events again.", name=venue.name), "success")
    return redirect(url_for(".venue_list"))
