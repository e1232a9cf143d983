"""Youth programs (青少年项目): parents' children, booking places for them class by class
or for a whole term, and organizers' terms, rules and class lists."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from models import Child, Event, Program, WeeklySchedule, db
from services import booking as booking_service
from services import capacity, schedules, youth
from services.dates import now_utc, to_local
from services.errors import LinliError

from .. import event_pages
from ..common import ConfirmForm, flash_error, is_safe_next, require_organizer_of
from .forms import CancelClassForm, ChildBookForm, ChildForm, ClassForm, RulesForm, TermForm

bp = Blueprint("youth", __name__, url_prefix="/youth")


def get_program_or_404(slug: str) -> Program:
    """Load a youth program by slug, or answer 404."""
    program = youth.get_youth_program(slug)
    if program is None:
        abort(404)
    return program


def get_class_or_404(event_id: int) -> Event:
    """Load a youth class, or answer 404."""
    event = youth.get_class(event_id, viewer=current_user)
    if event is None:
        abort(404)
    return event


def get_my_child_or_404(child_id: int | None) -> Child:
    """Load one of the current user's children; anyone else's child is a 404."""
    child = youth.child_of(current_user, child_id) if child_id else None
    if child is None:
        abort(404)
    return child


def back_to(default: str):
    """Redirect to the form's local ``next``, else to ``default``."""
    target = request.form.get("next")
    return redirect(target if is_safe_next(target) else default)


# --- parents ------------------------------------------------------------------------


@bp.route("/")
def index():
    """The youth programs, with the ages each takes."""
    programs = youth.youth_programs()
    return render_template(
        "youth/index.html", programs=programs, rules=youth.rules_by_program(p.id for p in programs),
        children=youth.children_of(current_user),
    )


@bp.route("/<slug>")
def program(slug: str):
    """One youth program: its terms and classes, booked for the child chosen at the top."""
    program = get_program_or_404(slug)
    now = now_utc()
    children = youth.children_of(current_user)
    chosen = next((c for c in children if str(c.id) == request.args.get("child")), children[0] if children else None)
    terms = youth.terms_of(program, now=now)
    singles = youth.single_classes(program, now=now, viewer=current_user)
    classes = [e for term in terms for e in term.events if e.ends_at >= now] + singles
    rules = youth.rules_of(program)
    booked = youth.child_bookings(current_user, [e.id for e in classes])
    refusals, age_refusals = {}, {}
    if chosen is not None:
        for event in classes:
            age_refusals[event.id] = youth.age_refusal(rules, event, chosen)
            refusals[event.id] = booking_service.booking_refusal(event, now) or age_refusals[event.id]
    bookable = {term.id: youth.bookable_classes(term, now=now) for term in terms}
    # The first class of each term the chosen child is too young or too old for, if any:
    # the whole term can't be booked for them, and the page says why once.
    term_refusals = {
        term.id: next((age_refusals[e.id] for e in bookable[term.id] if age_refusals.get(e.id)), None)
        for term in terms
    }
    return render_template(
        "youth/program.html", program=program, rules=rules, terms=terms, singles=singles, now=now,
        children=children, chosen=chosen, refusals=refusals,
        booked=booked, waiting=capacity.waiting_counts(e.seat_quota_id for e in classes),
        bookable=bookable, term_refusals=term_refusals, age_refusals=age_refusals,
        whole={term.id: youth.has_whole_term(term, chosen, booked, now=now) for term in terms} if chosen else {},
        can_manage=program.is_organized_by(current_user), book_form=ChildBookForm(), cancel_form=ConfirmForm(),
    )


@bp.route("/classes/<int:event_id>")
def class_detail(event_id: int):
    """One class: when and where, places left, and each of my children's booking."""
    event = get_class_or_404(event_id)
    now = now_utc()
    children = youth.children_of(current_user)
    rules = youth.rules_of(event.program)
    refusal = booking_service.booking_refusal(event, now)
    return render_template(
        "youth/class.html", event=event, program=event.program, rules=rules, now=now, children=children,
        booked=youth.child_bookings(current_user, [event.id]), refusal=refusal,
        age_refusals={c.id: youth.age_refusal(rules, event, c) for c in children},
        waiting=capacity.waiting_counts([event.seat_quota_id]).get(event.seat_quota_id, 0),
        term=schedules.schedule_of_event(event.id),
        can_manage=event.program.is_organized_by(current_user),
        book_form=ChildBookForm(), cancel_form=ConfirmForm(),
    )


@bp.route("/classes/<int:event_id>/book", methods=["POST"])
@login_required
def book_class(event_id: int):
    """Book a place in one class for my child, or join its waiting list."""
    event = get_class_or_404(event_id)
    form = ChildBookForm()
    if not form.validate_on_submit():
        abort(400)
    child = get_my_child_or_404(form.child_id.data)
    default = url_for(".class_detail", event_id=event.id)
    try:
        booking = youth.book_class(event, child, current_user, now=now_utc(), waitlist=form.waitlist.data)
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return back_to(default)
    position = capacity.waitlist_position(booking)
    db.session.commit()
    if booking.is_confirmed:
        flash(_("The place is booked. Ticket number: %(code)s", code=booking.display_code), "success")
    else:
        flash(_("Your child is number %(position)s on the waiting list and gets the place automatically if one frees up.", position=position), "info")
    return back_to(default)


@bp.route("/terms/<int:term_id>/book", methods=["POST"])
@login_required
def book_term(term_id: int):
    """Book my child a place in every remaining class of a term, or in none."""
    term = youth.get_term(term_id)
    if term is None:
        abort(404)
    form = ChildBookForm()
    if not form.validate_on_submit():
        abort(400)
    child = get_my_child_or_404(form.child_id.data)
    default = url_for(".program", slug=term.program.slug, child=child.id)
    try:
        booked = youth.book_term(term, child, current_user, now=now_utc())
    except LinliError as error:
        db.session.rollback()
        flash_error(error)
        return back_to(default)
    db.session.commit()
    flash(_("Your child has a place in all %(count)s classes of %(term)s.", count=len(booked), term=term.title), "success")
    return back_to(default)


@bp.route("/children")
@login_required
def children():
    """My children: add, correct or remove them."""
    return render_template("youth/children.html", children=youth.children_of(current_user),
                           today=to_local(now_utc()).date())


@bp.route("/children/new", methods=["GET", "POST"])
@login_required
def new_child():
    """Add a child to my account."""
    form = ChildForm()
    if form.validate_on_submit():
        youth.add_child(current_user, name=form.name.data, born_on=form.born_on.data,
                        gender=form.gender_value, now=now_utc())
        db.session.commit()
        flash(_("The child is added. You can book classes for them now."), "success")
        target = request.args.get("next")
        return redirect(target if is_safe_next(target) else url_for(".children"))
    return render_template("youth/child_form.html", form=form, child=None)


@bp.route("/children/<int:child_id>/edit", methods=["GET", "POST"])
@login_required
def edit_child(child_id: int):
    """Correct a child's name, date of birth or gender."""
    child = get_my_child_or_404(child_id)
    form = ChildForm(obj=child)
    if request.method == "GET":
        form.gender.data = child.gender.value if child.gender else ""
    if form.validate_on_submit():
        try:
            youth.update_child(child, current_user, name=form.name.data, born_on=form.born_on.data,
                               gender=form.gender_value, now=now_utc())
        except LinliError as error:
            db.session.rollback()
            form.born_on.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The child’s details are saved."), "success")
            return redirect(url_for(".children"))
    return render_template("youth/child_form.html", form=form, child=child)


@bp.route("/children/<int:child_id>/remove", methods=["GET", "POST"])
@login_required
def remove_child(child_id: int):
    """Remove a child from my account; their places in coming classes are given up."""
    child = get_my_child_or_404(child_id)
    form = ConfirmForm()
    if form.validate_on_submit():
        cancelled = youth.remove_child(child, current_user, now=now_utc())
        db.session.commit()
        flash(_("The child is removed from your account."), "info")
        if cancelled:
            flash(_("%(count)s coming bookings were cancelled.", count=cancelled), "info")
        return redirect(url_for(".children"))
    upcoming = youth.upcoming_bookings_of(child, now=now_utc())
    return render_template("youth/child_remove.html", child=child, form=form, upcoming=upcoming)


# --- organizers ---------------------------------------------------------------------


@bp.route("/<slug>/manage")
@login_required
def manage(slug: str):
    """Organizers' page: the age range, terms and classes with places taken and waiting."""
    program = get_program_or_404(slug)
    require_organizer_of(program)
    now = now_utc()
    terms = youth.terms_of(program, now=now)
    singles = youth.single_classes(program, now=now, viewer=current_user)
    classes = [e for term in terms for e in term.events] + singles
    return render_template(
        "youth/manage.html", program=program, rules=youth.rules_of(program), terms=terms,
        singles=singles, now=now, waiting=capacity.waiting_counts(e.seat_quota_id for e in classes),
        recent=schedules.recent_schedules([program.id], now=now), today=to_local(now).date(),
    )


@bp.route("/<slug>/rules", methods=["GET", "POST"])
@login_required
def rules(slug: str):
    """Set the ages the program takes and whether a parent comes along."""
    program = get_program_or_404(slug)
    require_organizer_of(program)
    current = youth.rules_of(program)
    form = RulesForm(obj=current)
    if form.validate_on_submit():
        try:
            youth.set_rules(program, min_age=form.min_age.data, max_age=form.max_age.data,
                            parent_attends=form.parent_attends.data)
        except LinliError as error:
            db.session.rollback()
            form.max_age.errors.append(str(error))
        else:
            db.session.commit()
            flash(_("The ages for %(program)s are saved.", program=program.name), "success")
            return redirect(url_for(".manage", slug=slug))
    return render_template("youth/rules.html", program=program, form=form)


def get_term_or_404(term_id: int) -> WeeklySchedule:
    """Load a youth term, or answer 404."""
    term = youth.get_term(term_id)
    if term is None:
        abort(404)
    return term


@bp.route("/<slug>/terms/new", methods=["GET", "POST"])
@login_required
def new_term(slug: str):
    """Lay out a term of weekly classes, holidays left out (or a copy of an earlier term's
    layout, with ``?copy=<term id>``)."""
    program = get_program_or_404(slug)
    require_organizer_of(program)
    form = TermForm()
    return event_pages.layout_page(
        program, form, create=youth.create_term, template="youth/term_new.html",
        done_url=url_for(".manage", slug=slug),
        created=lambda count: _("%(count)s classes were added.", count=count),
    )


@bp.route("/terms/<int:term_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_term(term_id: int):
    """Cancel every class of a term that hasn't taken place, with one reason."""
    term = get_term_or_404(term_id)
    require_organizer_of(term.program)
    return event_pages.cancel_schedule_page(
        term, template="youth/term_cancel.html", done_url=url_for(".manage", slug=term.program.slug),
    )


@bp.route("/classes/<int:event_id>/edit", methods=["GET", "POST"])
@login_required
def edit_class(event_id: int):
    """Change one class — time, place, places, title — keeping its bookings."""
    event = get_class_or_404(event_id)
    require_organizer_of(event.program)
    return event_pages.edit_event_page(
        event, ClassForm(), template="youth/class_edit.html", done_url=url_for(".class_detail", event_id=event.id),
        saved=_("The changes are saved."),
    )


@bp.route("/classes/<int:event_id>/list")
@login_required
def class_list(event_id: int):
    """The class list: each child's name and age on the day, and the parent's phone."""
    event = get_class_or_404(event_id)
    require_organizer_of(event.program)
    return render_template("youth/class_list.html", event=event, roll=youth.class_list(event),
                           held=booking_service.held_at_cancellation(event))


@bp.route("/classes/<int:event_id>/cancel", methods=["GET", "POST"])
@login_required
def cancel_class(event_id: int):
    """Cancel one class with a reason the parents will see."""
    event = get_class_or_404(event_id)
    require_organizer_of(event.program)
    return event_pages.cancel_event_page(
        event, CancelClassForm(), template="youth/cancel.html", done_url=url_for(".manage", slug=event.program.slug),
        done=_("The class is cancelled. Parents who booked will see the reason."),
    )
