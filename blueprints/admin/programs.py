"""Programs of every kind: the list, creating and editing (the fields each kind has come
from services/program_kinds.py), archiving, who runs them, and their topic series."""
from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from models import Program, Series, db
from services import program_kinds, programs, series as series_service, troupes
from services.dates import now_utc
from services.errors import LinliError, SlugReserved, SlugTaken

from ..common import ConfirmForm, flash_error
from .forms import LeaderForm, ProgramForm, RunnerForm, SeriesForm
from .routes import bp


def get_program_or_404(program_id: int) -> Program:
    """Load a program (archived or not) or answer 404."""
    program = programs.get_program(program_id)
    if program is None:
        abort(404)
    return program


def get_series_or_404(series_id: int) -> Series:
    """Load a topic series or answer 404."""
    return db.get_or_404(Series, series_id)


def _details(form: ProgramForm) -> programs.ProgramDetails:
    return programs.ProgramDetails(
        name=form.name.data, slug=form.slug.data, description=form.description.data or "",
        contact=form.contact.data or "", cover_colour=form.cover_colour.data or "", settings=form.settings,
    )


def _field_for(error: LinliError, form: ProgramForm):
    """The form field a refusal is about, to show it beside that field."""
    if isinstance(error, (SlugTaken, SlugReserved)):
        return form.slug
    for name in ("member_limit", "max_age"):
        if name in form:
            return form[name]
    return form.name


@bp.route("/programs")
def program_list():
    """Every program by kind, with who runs it and its coming events; or the archived ones."""
    archived = request.args.get("archived") == "1"
    lines = programs.program_lines(now=now_utc(), archived=archived)
    by_kind = {spec.kind: [line for line in lines if line.program.kind is spec.kind]
               for spec in program_kinds.all_specs()}
    return render_template("admin/programs.html", by_kind=by_kind, specs=program_kinds.all_specs(),
                           archived=archived, team=programs.live_team())


@bp.route("/programs/new/<kind>", methods=["GET", "POST"])
def new_program(kind: str):
    """Create a program of one kind, with the fields that kind has."""
    chosen = program_kinds.kind_from_value(kind)
    if chosen is None:
        abort(404)
    spec = program_kinds.spec_of(chosen)
    form = ProgramForm(spec)
    if form.validate_on_submit():
        try:
            program = programs.create_program(chosen, _details(form), by=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            _field_for(error, form).errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s is created. Now choose who runs it.", name=program.name), "success")
            return redirect(url_for(".program", program_id=program.id))
    return render_template("admin/program_form.html", form=form, spec=spec, program=None)


def _program_page(program: Program, *, runner_form=None, leader_form=None):
    """The program's page, showing a refused organizer or leader beside its field."""
    spec = program_kinds.spec_of(program.kind)
    leader = troupes.troupe_of(program).leader if spec.has_leader else None
    return render_template(
        "admin/program.html", program=program, spec=spec, settings=programs.settings_of(program),
        leader=leader, runner_form=runner_form or RunnerForm(formdata=None, prefix="runner"),
        leader_form=leader_form or LeaderForm(formdata=None, prefix="leader", phone=leader.phone if leader else ""),
        confirm_form=ConfirmForm(),
        coming=programs.coming_event_counts([program.id], now=now_utc()).get(program.id, 0),
    )


@bp.route("/programs/<int:program_id>")
def program(program_id: int):
    """One program: its details, who runs it, its topic series, archiving."""
    return _program_page(get_program_or_404(program_id))


@bp.route("/programs/<int:program_id>/edit", methods=["GET", "POST"])
def edit_program(program_id: int):
    """Edit a program's details and its kind's rules."""
    program = get_program_or_404(program_id)
    spec = program_kinds.spec_of(program.kind)
    form = ProgramForm(spec, obj=program)
    if request.method == "GET":
        form.cover_colour.data = program.cover_colour or ""
        for name, value in programs.settings_of(program).items():
            form[name].data = value
    if form.validate_on_submit():
        try:
            promoted = programs.update_program(program, _details(form), by=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            _field_for(error, form).errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s is saved.", name=program.name), "success")
            if promoted:
                flash(_("%(count)s people moved up from the waiting list.", count=len(promoted)), "info")
            return redirect(url_for(".program", program_id=program.id))
    return render_template("admin/program_form.html", form=form, spec=spec, program=program)


def _confirmed() -> None:
    if not ConfirmForm().validate_on_submit():
        abort(400)


@bp.route("/programs/<int:program_id>/archive", methods=["POST"])
def archive_program(program_id: int):
    """Archive a program: hidden from residents, its history kept."""
    program = get_program_or_404(program_id)
    _confirmed()
    try:
        programs.archive_program(program, by=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("%(name)s is archived. Residents no longer see it; its history is kept.", name=program.name), "success")
    return redirect(url_for(".program", program_id=program.id))


@bp.route("/programs/<int:program_id>/unarchive", methods=["POST"])
def unarchive_program(program_id: int):
    """Show an archived program to residents again."""
    program = get_program_or_404(program_id)
    _confirmed()
    try:
        programs.unarchive_program(program, by=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("%(name)s is back: residents can see it again.", name=program.name), "success")
    return redirect(url_for(".program", program_id=program.id))


# --- who runs it --------------------------------------------------------------------


@bp.route("/programs/<int:program_id>/organizers", methods=["POST"])
def add_organizer(program_id: int):
    """Make someone (by mobile number) an organizer of the program — a teacher, for a
    youth program."""
    program = get_program_or_404(program_id)
    spec = program_kinds.spec_of(program.kind)
    form = RunnerForm(prefix="runner")
    if form.validate_on_submit():
        try:
            person = programs.find_runner(form.phone.data)
            added = programs.add_organizer(program, person, by=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.phone.errors.append(str(error))
        else:
            db.session.commit()
            if added:
                flash(_("%(name)s now runs %(program)s (%(role)s).", name=person.display_name, program=program.name, role=spec.runner), "success")
            else:
                flash(_("%(name)s already runs %(program)s.", name=person.display_name, program=program.name), "info")
            return redirect(url_for(".program", program_id=program.id, _anchor="runners"))
    return _program_page(program, runner_form=form)


@bp.route("/programs/<int:program_id>/organizers/<int:user_id>/remove", methods=["POST"])
def remove_organizer(program_id: int, user_id: int):
    """Stop someone organizing (or teaching) the program."""
    program = get_program_or_404(program_id)
    _confirmed()
    person = next((o for o in program.organizers if o.id == user_id), None)
    if person is None:
        abort(404)
    programs.remove_organizer(program, person, by=current_user, now=now_utc())
    db.session.commit()
    flash(_("%(name)s no longer runs %(program)s.", name=person.display_name, program=program.name), "success")
    return redirect(url_for(".program", program_id=program.id, _anchor="runners"))


@bp.route("/programs/<int:program_id>/leader", methods=["POST"])
def set_leader(program_id: int):
    """Choose a troupe's leader by mobile number (empty: no leader)."""
    program = get_program_or_404(program_id)
    spec = program_kinds.spec_of(program.kind)
    if not spec.has_leader:
        abort(404)
    form = LeaderForm(prefix="leader")
    if form.validate_on_submit():
        try:
            leader = programs.find_runner(form.phone.data) if form.phone.data else None
            programs.set_leader(program, leader, by=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.phone.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s now leads %(troupe)s.", name=leader.display_name, troupe=program.name) if leader
                  else _("%(troupe)s has no leader now.", troupe=program.name), "success")
            return redirect(url_for(".program", program_id=program.id, _anchor="leader"))
    return _program_page(program, leader_form=form)


# --- topic series -------------------------------------------------------------------


def _series_page(program: Program, add_form: SeriesForm | None = None, failed: tuple | None = None):
    """The series page, showing a failed add or rename beside its field."""
    spec = program_kinds.spec_of(program.kind)
    if not spec.has_series:
        abort(404)
    ordered = sorted(program.series, key=lambda s: (s.is_retired, s.position, s.id))
    rename_forms = {}
    for item in ordered:
        form = SeriesForm(formdata=None, prefix=f"s{item.id}", name=item.name)
        if failed and failed[0] == item.id:
            form = failed[1]
        rename_forms[item.id] = form
    return render_template(
        "admin/series.html", program=program, spec=spec, ordered=ordered, rename_forms=rename_forms,
        add_form=add_form or SeriesForm(formdata=None, prefix="new"), confirm_form=ConfirmForm(),
    )


@bp.route("/programs/<int:program_id>/series", methods=["GET", "POST"])
def series(program_id: int):
    """A program's topic series (专题): add, rename, reorder, retire."""
    program = get_program_or_404(program_id)
    if request.method == "GET":
        return _series_page(program)
    form = SeriesForm(prefix="new")
    if form.validate_on_submit():
        try:
            series_service.add_series(program, form.name.data, by=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("%(name)s is added.", name=form.name.data), "success")
            return redirect(url_for(".series", program_id=program.id))
    return _series_page(program, add_form=form)


@bp.route("/series/<int:series_id>/rename", methods=["POST"])
def rename_series(series_id: int):
    """Rename a topic series."""
    item = get_series_or_404(series_id)
    form = SeriesForm(prefix=f"s{item.id}")
    if form.validate_on_submit():
        try:
            series_service.rename_series(item, form.name.data, by=current_user, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.name.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The series is now called %(name)s.", name=item.name), "success")
            return redirect(url_for(".series", program_id=item.program_id, _anchor=f"series-{item.id}"))
    program = get_program_or_404(item.program_id)
    return _series_page(program, failed=(item.id, form))


@bp.route("/series/<int:series_id>/move/<direction>", methods=["POST"])
def move_series(series_id: int, direction: str):
    """Move a topic series one place up or down."""
    item = get_series_or_404(series_id)
    if direction not in ("up", "down"):
        abort(404)
    _confirmed()
    series_service.move_series(item, -1 if direction == "up" else 1, by=current_user, now=now_utc())
    db.session.commit()
    return redirect(url_for(".series", program_id=item.program_id, _anchor=f"series-{item.id}"))


@bp.route("/series/<int:series_id>/retire", methods=["POST"])
def retire_series(series_id: int):
    """Retire a topic series: past events keep it, new ones can't choose it."""
    item = get_series_or_404(series_id)
    _confirmed()
    series_service.retire_series(item, by=current_user, now=now_utc())
    db.session.commit()
    flash(_("%(name)s is retired: its past events keep it, new events can't choose it.", name=item.name), "success")
    return redirect(url_for(".series", program_id=item.program_id))


@bp.route("/series/<int:series_id>/restore", methods=["POST"])
def restore_series(series_id: int):
    """Offer a retired topic series again."""
    item = get_series_or_404(series_id)
    _confirmed()
    try:
        series_service.restore_series(item, by=current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
    else:
        db.session.commit()
        flash(_("%(name)s is offered again.", name=item.name), "success")
    return redirect(url_for(".series", program_id=item.program_id))
