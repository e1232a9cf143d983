"""The administration blueprint and its home page: what the community office sets up
and looks after, and what is still missing on a new site."""
from __future__ import annotations

import sqlalchemy as sa
from flask import Blueprint, render_template

from models import Program, Role, User, Venue, db, program_organizers
from services import program_kinds

from ..common import role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.app_template_global()
def community_office() -> list[User]:
    """The administrators, for pages that tell an organizer whom to ask."""
    from services.accounts import administrators

    return administrators()


@bp.before_request
@role_required(Role.ADMIN)
def admins_only():
    """Every page here is for administrators: others get 403, visitors the login page."""


@bp.route("/")
def index():
    """The admin home: programs, venues, people and the audit trail, with the first
    steps a new community still has to take."""
    counts = dict(db.session.execute(
        sa.select(Program.kind, sa.func.count()).where(Program.is_listed()).group_by(Program.kind)
    ).all())
    venues = db.session.execute(
        sa.select(sa.func.count()).select_from(Venue).where(Venue.retired_at.is_(None))
    ).scalar_one()
    people = db.session.execute(sa.select(sa.func.count()).select_from(User)).scalar_one()
    has_organizers = db.session.execute(sa.select(program_organizers.c.user_id).limit(1)).first() is not None
    steps = [venues > 0, sum(counts.values()) > 0, has_organizers]
    return render_template(
        "admin/index.html", counts=counts, venues=venues, people=people, steps=steps, set_up=all(steps),
        specs=program_kinds.all_specs(),
    )
