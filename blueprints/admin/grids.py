"""Administration of where people live: grids (网格) and their buildings (楼栋), naming
building leaders and grid workers, importing the community's list from a CSV file, the
grid view of which buildings the programs reach, and merging a neighbour's record (added
by a leader) into the account the person has now. Registered on the admin blueprint."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Building, Grid, OfflineResident, Role, db
from services import buildings, households, reach
from services.dates import now_utc
from services.errors import LinliError

from ..common import ConfirmForm, flash_error, role_required
from .grid_forms import BuildingForm, GridForm, ImportForm, MergeForm, PersonByPhoneForm
from .routes import bp

MAX_UPLOAD = 2 * 1024 * 1024


def grid_or_404(grid_id: int) -> Grid:
    grid = buildings.get_grid(grid_id)
    if grid is None:
        abort(404)
    return grid


def building_or_404(building_id: int) -> Building:
    building = buildings.get_building(building_id)
    if building is None:
        abort(404)
    return building


def period_arg():
    key = request.args.get("period", "month")
    return reach.period(key if key in reach.PERIODS else "month", now=now_utc())


def _render_grids(form=None, import_form=None, problems=None, status=200):
    chosen = period_arg()
    figures = reach.reach(since=chosen.since, until=chosen.until)
    return render_template(
        "admin/grids.html", figures=figures, period=chosen, periods=reach.PERIODS,
        workers=buildings.workers_by_grid(f.grid.id for f in figures),
        form=form or GridForm(formdata=None), import_form=import_form or ImportForm(formdata=None),
        problems=problems or [], offline_count=len(households.offline_residents()),
    ), status


@bp.route("/grids")
@role_required(Role.ADMIN)
def grids():
    """Every grid with its buildings and how many households took part; add a grid or import a list."""
    return _render_grids()


@bp.route("/grids", methods=["POST"])
@role_required(Role.ADMIN)
def create_grid():
    """Add a grid."""
    form = GridForm()
    if form.validate_on_submit():
        try:
            grid = buildings.create_grid(number=form.number.data, name=form.name.data or "", actor=current_user,
                                         now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.number.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Grid %(grid)s is added.", grid=buildings.grid_label(grid)), "success")
            return redirect(url_for(".grid", grid_id=grid.id))
    return _render_grids(form=form, status=400)


@bp.route("/grids/import", methods=["POST"])
@role_required(Role.ADMIN)
def import_grids():
    """Import grids, buildings and their leaders' mobile numbers from a CSV file (all lines or none)."""
    form = ImportForm()
    if not form.validate_on_submit():
        return _render_grids(import_form=form, status=400)
    data = form.file.data.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        form.file.errors.append(_("The file is too large (at most 2 MB)."))
        return _render_grids(import_form=form, status=400)
    try:
        result = buildings.import_list(buildings.decode_upload(data), actor=current_user, now=now_utc())
    except buildings.ImportProblems as refused:
        db.session.rollback()
        form.file.errors.append(str(refused))
        return _render_grids(import_form=form, problems=refused.problems, status=400)
    db.session.commit()
    flash(_("Imported %(lines)s lines: %(grids)s new grids, %(buildings)s new buildings, %(leaders)s leaders named (%(accounts)s of them will finish their account by registering with their number).",
            lines=result.lines, grids=result.grids, buildings=result.buildings, leaders=result.leaders,
            accounts=result.accounts), "success")
    return redirect(url_for(".grids"))


def _render_grid(grid: Grid, *, grid_form=None, building_form=None, worker_form=None, leader_forms=None,
                 edit_forms=None, status=200):
    chosen = period_arg()
    figures = reach.reach(since=chosen.since, until=chosen.until, grids=[grid])[0]
    leader_forms = leader_forms or {}
    edit_forms = edit_forms or {}
    for b in grid.buildings:
        leader_forms.setdefault(b.id, PersonByPhoneForm(formdata=None, prefix=f"l{b.id}"))
        edit_forms.setdefault(b.id, BuildingForm(formdata=None, prefix=f"b{b.id}", obj=b))
    return render_template(
        "admin/grid.html", grid=grid, figures=figures, period=chosen, periods=reach.PERIODS,
        leaders=buildings.leaders_by_building(b.id for b in grid.buildings),
        workers=buildings.workers_by_grid([grid.id]).get(grid.id, []),
        grid_form=grid_form or GridForm(formdata=None, obj=grid),
        building_form=building_form or BuildingForm(formdata=None),
        worker_form=worker_form or PersonByPhoneForm(formdata=None, prefix="w"),
        leader_forms=leader_forms, edit_forms=edit_forms, confirm_form=ConfirmForm(),
    ), status


@bp.route("/grids/<int:grid_id>")
@role_required(Role.ADMIN)
def grid(grid_id: int):
    """One grid: its workers, its buildings with their leaders, and which buildings the
    programs reach this month or quarter."""
    return _render_grid(grid_or_404(grid_id))


@bp.route("/grids/<int:grid_id>/edit", methods=["POST"])
@role_required(Role.ADMIN)
def edit_grid(grid_id: int):
    """Renumber or rename a grid."""
    grid = grid_or_404(grid_id)
    form = GridForm()
    if form.validate_on_submit():
        try:
            buildings.update_grid(grid, number=form.number.data, name=form.name.data or "", actor=current_user,
                                  now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.number.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("Grid %(grid)s is saved.", grid=buildings.grid_label(grid)), "success")
            return redirect(url_for(".grid", grid_id=grid.id))
    return _render_grid(grid_or_404(grid_id), grid_form=form, status=400)


@bp.route("/grids/<int:grid_id>/remove", methods=["POST"])
@role_required(Role.ADMIN)
def remove_grid(grid_id: int):
    """Remove a grid without buildings."""
    grid = grid_or_404(grid_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        buildings.remove_grid(grid, actor=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for(".grid", grid_id=grid_id))
    db.session.commit()
    flash(_("The grid is removed."), "info")
    return redirect(url_for(".grids"))


@bp.route("/grids/<int:grid_id>/buildings", methods=["POST"])
@role_required(Role.ADMIN)
def add_building(grid_id: int):
    """Add a building to a grid."""
    grid = grid_or_404(grid_id)
    form = BuildingForm()
    if form.validate_on_submit():
        try:
            building = buildings.add_building(grid, name=form.name.data, households=form.households.data,
                                              actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(building)s is added.", building=building.name), "success")
            return redirect(url_for(".grid", grid_id=grid.id, _anchor=f"building-{building.id}"))
    return _render_grid(grid_or_404(grid_id), building_form=form, status=400)


@bp.route("/buildings/<int:building_id>/edit", methods=["POST"])
@role_required(Role.ADMIN)
def edit_building(building_id: int):
    """Rename a building or record its households."""
    building = building_or_404(building_id)
    form = BuildingForm(prefix=f"b{building.id}")
    if form.validate_on_submit():
        try:
            buildings.update_building(building, name=form.name.data, households=form.households.data,
                                      actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(building)s is saved.", building=building.name), "success")
            return redirect(url_for(".grid", grid_id=building.grid_id, _anchor=f"building-{building.id}"))
    return _render_grid(grid_or_404(building.grid_id), edit_forms={building.id: form}, status=400)


@bp.route("/buildings/<int:building_id>/remove", methods=["POST"])
@role_required(Role.ADMIN)
def remove_building(building_id: int):
    """Remove a building nobody has as their home."""
    building = building_or_404(building_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    grid_id = building.grid_id
    try:
        buildings.remove_building(building, actor=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("The building is removed."), "info")
    return redirect(url_for(".grid", grid_id=grid_id))


@bp.route("/buildings/<int:building_id>/leaders", methods=["POST"])
@role_required(Role.ADMIN)
def appoint_leader(building_id: int):
    """Name a building leader (红色楼长) by mobile number."""
    building = building_or_404(building_id)
    form = PersonByPhoneForm(prefix=f"l{building.id}")
    if form.validate_on_submit():
        try:
            person = buildings.person_by_phone(form.phone.data)
            added = buildings.appoint_leader(building, person, actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.phone.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s leads %(building)s.", name=person.display_name, building=building.name)
                  if added else _("%(name)s already leads %(building)s.", name=person.display_name,
                                  building=building.name), "success" if added else "info")
            return redirect(url_for(".grid", grid_id=building.grid_id, _anchor=f"building-{building.id}"))
    return _render_grid(grid_or_404(building.grid_id), leader_forms={building.id: form}, status=400)


@bp.route("/buildings/<int:building_id>/leaders/<int:user_id>/remove", methods=["POST"])
@role_required(Role.ADMIN)
def dismiss_leader(building_id: int, user_id: int):
    """Take a leader off a building."""
    building = building_or_404(building_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if buildings.dismiss_leader(building, user_id, actor=current_user, now=now_utc()):
        db.session.commit()
        flash(_("The leader is taken off %(building)s.", building=building.name), "info")
    return redirect(url_for(".grid", grid_id=building.grid_id, _anchor=f"building-{building.id}"))


@bp.route("/grids/<int:grid_id>/workers", methods=["POST"])
@role_required(Role.ADMIN)
def appoint_worker(grid_id: int):
    """Name a grid worker (网格员) by mobile number."""
    grid = grid_or_404(grid_id)
    form = PersonByPhoneForm(prefix="w")
    if form.validate_on_submit():
        try:
            person = buildings.person_by_phone(form.phone.data)
            buildings.appoint_worker(grid, person, actor=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.phone.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s works for grid %(grid)s.", name=person.display_name, grid=grid.number), "success")
            return redirect(url_for(".grid", grid_id=grid.id))
    return _render_grid(grid, worker_form=form, status=400)


@bp.route("/grids/<int:grid_id>/workers/<int:user_id>/remove", methods=["POST"])
@role_required(Role.ADMIN)
def dismiss_worker(grid_id: int, user_id: int):
    """Take a worker off a grid."""
    grid = grid_or_404(grid_id)
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if buildings.dismiss_worker(grid, user_id, actor=current_user, now=now_utc()):
        db.session.commit()
        flash(_("The grid worker is taken off grid %(grid)s.", grid=grid.number), "info")
    return redirect(url_for(".grid", grid_id=grid.id))


# --- neighbours added by building leaders, and merging them ---------------------------------------


def offline_or_404(user_id: int) -> OfflineResident:
    record = db.session.get(OfflineResident, user_id)
    if record is None or record.is_merged:
        abort(404)
    return record


@bp.route("/offline-residents")
@role_required(Role.ADMIN)
def offline_residents():
    """Residents added by building leaders (without a login), with their consent; merge
    one into the account the person has now."""
    records = households.offline_residents()
    homes = buildings.residences_of(o.user_id for o in records)
    return render_template("admin/offline_residents.html", records=records, homes=homes,
                           merged=households.offline_residents(merged=True)[:30], form=MergeForm(formdata=None))


@bp.route("/offline-residents/<int:user_id>/merge", methods=["POST"])
@role_required(Role.ADMIN)
def merge_offline(user_id: int):
    """Merge a neighbour's record into their own account: first show both, then, when
    confirmed, move everything across."""
    record = offline_or_404(user_id)
    form = MergeForm()
    if not form.validate_on_submit():
        flash(form.phone.errors[0] if form.phone.errors else _("Please enter the mobile number."), "danger")
        return redirect(url_for(".offline_residents"))
    try:
        account = buildings.person_by_phone(form.phone.data)
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for(".offline_residents"))
    if request.form.get("confirm") != "1":
        return render_template("admin/merge_confirm.html", record=record, account=account, form=form,
                               home=buildings.residence_of(record.user), account_home=buildings.residence_of(account))
    try:
        result = households.merge_offline_into(record.user, account, actor=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return redirect(url_for(".offline_residents"))
    db.session.commit()
    flash(_("%(name)s's record is merged into the account %(phone)s: %(bookings)s bookings moved, %(released)s duplicate places given up.",
            name=record.user.display_name, phone=account.masked_phone, bookings=result.bookings,
            released=result.released), "success")
    return redirect(url_for(".offline_residents"))
