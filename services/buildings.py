"""Where people live: grids (网格), buildings (楼栋), their building leaders (红色楼长) and
grid workers (网格员), each person's home, and a CSV import of the community's list.

Who looks after whom
    A building leader looks after the residents of the buildings they lead; a grid worker
    after every building of their grids; an administrator after everyone. The leader's
    pages (``blueprints/buildings``) are scoped by :func:`care_of` and
    :func:`cares_for`, so a leader never sees or books for anyone else.

Appointments carry a role
    Being named a building's leader grants :attr:`Role.BUILDING_LEADER`, being named a
    grid's worker :attr:`Role.GRID_WORKER`; losing the last appointment takes it away.
    Pages and the navigation ask the role (already loaded with the person), while these
    tables say which buildings.
"""
from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from models import Building, BuildingLeader, Grid, GridWorker, Residence, Role, User, db
from models.neighbourhood import natural_key

from . import accounts, audit
from .db import begin_write
from .errors import (
    BuildingInUse, BuildingNameTaken, GridNotEmpty, GridNumberTaken, ImportRefused, NumberNotFound,
)

# --- grids and buildings ------------------------------------------------------------------


def grids() -> list[Grid]:
    """Every grid with its buildings, in the community's order (2 before 10), in two queries."""
    rows = db.session.execute(
        sa.select(Grid).options(selectinload(Grid.buildings))
    ).scalars().all()
    for grid in rows:
        grid.buildings.sort(key=lambda b: (natural_key(b.name), b.id))
    return sorted(rows, key=lambda g: (g.sort_key, g.id))


def all_buildings() -> list[Building]:
    """Every building with its grid, in the community's order (one query)."""
    rows = db.session.execute(sa.select(Building).options(joinedload(Building.grid))).scalars().all()
    return sorted(rows, key=lambda b: b.sort_key)


def get_grid(grid_id: int) -> Grid | None:
    """The grid with ``grid_id`` and its buildings, or None."""
    grid = db.session.execute(
        sa.select(Grid).where(Grid.id == grid_id).options(selectinload(Grid.buildings))
    ).scalar_one_or_none()
    if grid is not None:
        grid.buildings.sort(key=lambda b: (natural_key(b.name), b.id))
    return grid


def get_building(building_id: int) -> Building | None:
    """The building with ``building_id`` and its grid, or None."""
    return db.session.execute(
        sa.select(Building).where(Building.id == building_id).options(joinedload(Building.grid))
    ).scalar_one_or_none()


def _grid_by_number(number: str) -> Grid | None:
    return db.session.execute(sa.select(Grid).where(Grid.number == number)).scalar_one_or_none()


def create_grid(*, number: str, name: str, actor: User, now: datetime) -> Grid:
    """Add a grid.

    :raises GridNumberTaken: when another grid has that number.
    """
    begin_write()
    number, name = number.strip(), name.strip()
    grid = Grid(number=number, name=name, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(grid)
            db.session.flush()
    except IntegrityError:
        raise GridNumberTaken(number=number) from None
    audit.record("grid.create", actor=actor, now=now, subject_type="grids", subject_id=grid.id,
                 label=grid_label(grid), after=audit.snapshot(grid, ("number", "name")))
    return grid


def update_grid(grid: Grid, *, number: str, name: str, actor: User, now: datetime) -> None:
    """Renumber or rename a grid.

    :raises GridNumberTaken: when another grid has that number.
    """
    begin_write()
    before = audit.snapshot(grid, ("number", "name"))
    number, name = number.strip(), name.strip()
    other = _grid_by_number(number)
    if other is not None and other.id != grid.id:
        raise GridNumberTaken(number=number)
    grid.number, grid.name = number, name
    db.session.flush()
    audit.record("grid.update", actor=actor, now=now, subject_type="grids", subject_id=grid.id,
                 label=grid_label(grid), before=before, after=audit.snapshot(grid, ("number", "name")))


def remove_grid(grid: Grid, *, actor: User, now: datetime) -> None:
    """Remove a grid that has no buildings (its workers' appointments go with it).

    :raises GridNotEmpty: while it has buildings.
    """
    begin_write()
    if db.session.execute(sa.select(Building.id).where(Building.grid_id == grid.id).limit(1)).first():
        raise GridNotEmpty()
    workers = list(db.session.execute(sa.select(GridWorker).where(GridWorker.grid_id == grid.id)).scalars())
    for worker in workers:
        _dismiss(worker, actor=actor, now=now)
    audit.record("grid.remove", actor=actor, now=now, subject_type="grids", subject_id=grid.id,
                 label=grid_label(grid), before=audit.snapshot(grid, ("number", "name")))
    db.session.delete(grid)
    db.session.flush()


def _building_by_name(grid: Grid, name: str) -> Building | None:
    return db.session.execute(
        sa.select(Building).where(Building.grid_id == grid.id, Building.name == name)
    ).scalar_one_or_none()


def add_building(grid: Grid, *, name: str, households: int | None, actor: User, now: datetime) -> Building:
    """Add a building to a grid, with its number of households when known.

    :raises BuildingNameTaken: when the grid already has a building of that name.
    """
    begin_write()
    name = name.strip()
    building = Building(grid_id=grid.id, name=name, households=households, created_at=now)
    try:
        with db.session.begin_nested():
            db.session.add(building)
            db.session.flush()
    except IntegrityError:
        raise BuildingNameTaken(grid=grid.number, name=name) from None
    building.grid = grid
    audit.record("building.create", actor=actor, now=now, subject_type="buildings", subject_id=building.id,
                 label=building_label(building), after=audit.snapshot(building, ("grid_id", "name", "households")))
    return building


def update_building(building: Building, *, name: str, households: int | None, actor: User, now: datetime) -> None:
    """Rename a building or record its number of households.

    :raises BuildingNameTaken: when its grid has another building of that name.
    """
    begin_write()
    before = audit.snapshot(building, ("name", "households"))
    name = name.strip()
    other = _building_by_name(building.grid, name)
    if other is not None and other.id != building.id:
        raise BuildingNameTaken(grid=building.grid.number, name=name)
    building.name, building.households = name, households
    db.session.flush()
    audit.record("building.update", actor=actor, now=now, subject_type="buildings", subject_id=building.id,
                 label=building_label(building), before=before,
                 after=audit.snapshot(building, ("name", "households")))


def remove_building(building: Building, *, actor: User, now: datetime) -> None:
    """Remove a building nobody lives in (its leaders' appointments go with it).

    :raises BuildingInUse: while people have it as their home.
    """
    begin_write()
    count = db.session.execute(
        sa.select(sa.func.count()).select_from(Residence).where(Residence.building_id == building.id)
    ).scalar_one()
    if count:
        raise BuildingInUse(count=count)
    for leader in list(db.session.execute(
        sa.select(BuildingLeader).where(BuildingLeader.building_id == building.id)
    ).scalars()):
        _dismiss(leader, actor=actor, now=now)
    audit.record("building.remove", actor=actor, now=now, subject_type="buildings", subject_id=building.id,
                 label=building_label(building), before=audit.snapshot(building, ("grid_id", "name", "households")))
    db.session.delete(building)
    db.session.flush()


def grid_label(grid: Grid) -> str:
    """How a grid is named in lists and the audit trail, e.g. 3 · 幸福里."""
    return f"{grid.number} · {grid.name}" if grid.name else grid.number


def building_label(building: Building) -> str:
    """A building with its grid, e.g. 3 · 幸福里 / 5号楼."""
    return f"{grid_label(building.grid)} / {building.name}"


# --- leaders and grid workers ---------------------------------------------------------------


def person_by_phone(phone: str) -> User:
    """The active account registered with ``phone``.

    :raises NumberNotFound: when there is none.
    """
    user = accounts.find_by_phone(phone)
    if user is None or not user.is_active_account:
        raise NumberNotFound(phone=phone)
    return user


def _sync_role(user: User, role: Role, still_holds: bool) -> None:
    if still_holds:
        user.grant(role)
    elif role in user.roles:
        user.revoke(role)


def _holds_any(model, user_id: int) -> bool:
    return db.session.execute(sa.select(model.user_id).where(model.user_id == user_id).limit(1)).first() is not None


def appoint_leader(building: Building, user: User, *, actor: User, now: datetime) -> bool:
    """Name ``user`` a leader of ``building``; tell whether they weren't one already."""
    begin_write()
    if db.session.get(BuildingLeader, (building.id, user.id)) is not None:
        return False
    db.session.add(BuildingLeader(building_id=building.id, user_id=user.id, appointed_at=now))
    user.grant(Role.BUILDING_LEADER)
    db.session.flush()
    audit.record("building.leader.appoint", actor=actor, now=now, subject_type="buildings",
                 subject_id=building.id, label=building_label(building), after={"user_id": user.id,
                                                                              "name": user.display_name})
    return True


def appoint_worker(grid: Grid, user: User, *, actor: User, now: datetime) -> bool:
    """Name ``user`` a worker of ``grid``; tell whether they weren't one already."""
    begin_write()
    if db.session.get(GridWorker, (grid.id, user.id)) is not None:
        return False
    db.session.add(GridWorker(grid_id=grid.id, user_id=user.id, appointed_at=now))
    user.grant(Role.GRID_WORKER)
    db.session.flush()
    audit.record("grid.worker.appoint", actor=actor, now=now, subject_type="grids", subject_id=grid.id,
                 label=grid_label(grid), after={"user_id": user.id, "name": user.display_name})
    return True


def _dismiss(appointment: BuildingLeader | GridWorker, *, actor: User, now: datetime) -> None:
    user = appointment.user
    if isinstance(appointment, BuildingLeader):
        action, subject_type, subject_id, role = "building.leader.dismiss", "buildings", appointment.building_id, Role.BUILDING_LEADER
        label = building_label(appointment.building)
    else:
        action, subject_type, subject_id, role = "grid.worker.dismiss", "grids", appointment.grid_id, Role.GRID_WORKER
        label = grid_label(appointment.grid)
    model = type(appointment)
    db.session.delete(appointment)
    db.session.flush()
    _sync_role(user, role, _holds_any(model, user.id))
    db.session.flush()
    audit.record(action, actor=actor, now=now, subject_type=subject_type, subject_id=subject_id, label=label,
                 before={"user_id": user.id, "name": user.display_name})


def dismiss_leader(building: Building, user_id: int, *, actor: User, now: datetime) -> bool:
    """Take a leader off a building (the role goes with their last building); tell
    whether they were its leader."""
    begin_write()
    appointment = db.session.get(BuildingLeader, (building.id, user_id))
    if appointment is None:
        return False
    _dismiss(appointment, actor=actor, now=now)
    return True


def dismiss_worker(grid: Grid, user_id: int, *, actor: User, now: datetime) -> bool:
    """Take a worker off a grid (the role goes with their last grid); tell whether they
    were its worker."""
    begin_write()
    appointment = db.session.get(GridWorker, (grid.id, user_id))
    if appointment is None:
        return False
    _dismiss(appointment, actor=actor, now=now)
    return True


def leaders_by_building(building_ids: Iterable[int]) -> dict[int, list[User]]:
    """The leaders of each building, by building id, in one query."""
    return _appointed(BuildingLeader, BuildingLeader.building_id, building_ids)


def workers_by_grid(grid_ids: Iterable[int]) -> dict[int, list[User]]:
    """The workers of each grid, by grid id, in one query."""
    return _appointed(GridWorker, GridWorker.grid_id, grid_ids)


def _appointed(model, key, ids: Iterable[int]) -> dict[int, list[User]]:
    """The people appointed in ``model`` (leaders, grid workers) for each of ``ids`` of its
    ``key`` column, in order of appointment, in one query."""
    ids = list(ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(key, User).join(User, User.id == model.user_id)
        .where(key.in_(ids)).order_by(model.appointed_at, User.id)
    ).all()
    result: dict[int, list[User]] = {}
    for owner_id, user in rows:
        result.setdefault(owner_id, []).append(user)
    return result


def residents_count(building_ids: Iterable[int]) -> dict[int, int]:
    """How many active people live in each building (one query)."""
    ids = list(building_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Residence.building_id, sa.func.count())
        .join(User, User.id == Residence.user_id)
        .where(Residence.building_id.in_(ids), User.is_active_account.is_(True))
        .group_by(Residence.building_id)
    )
    return {building_id: count for building_id, count in rows}


# --- whom a leader or grid worker looks after -------------------------------------------------


def care_of(user: User) -> list[Building]:
    """The buildings ``user`` looks after — those they lead and every building of the grids
    they work for (every building for an administrator) — with their grids, in order."""
    if not getattr(user, "is_authenticated", False):
        return []
    if user.has_role(Role.ADMIN):
        return all_buildings()
    led = sa.select(BuildingLeader.building_id).where(BuildingLeader.user_id == user.id)
    worked = sa.select(GridWorker.grid_id).where(GridWorker.user_id == user.id)
    rows = db.session.execute(
        sa.select(Building).where(sa.or_(Building.id.in_(led), Building.grid_id.in_(worked)))
        .options(joinedload(Building.grid))
    ).scalars().all()
    return sorted(rows, key=lambda b: b.sort_key)


def in_care_clause(user: User):
    """SQL condition on :class:`Residence`: the person lives in a building ``user`` looks after."""
    if user.has_role(Role.ADMIN):
        return sa.true()
    led = sa.select(BuildingLeader.building_id).where(BuildingLeader.user_id == user.id)
    worked = sa.select(Building.id).join(GridWorker, GridWorker.grid_id == Building.grid_id).where(
        GridWorker.user_id == user.id
    )
    return sa.or_(Residence.building_id.in_(led), Residence.building_id.in_(worked))


def cares_for(user: User, resident_id: int) -> bool:
    """Tell whether ``user`` looks after the person with ``resident_id`` (one query)."""
    if not getattr(user, "is_authenticated", False) or not isinstance(resident_id, int):
        return False
    if not 0 < resident_id <= 2**31 - 1:  # no such row, and PostgreSQL's integer ids end there
        return False
    return db.session.execute(
        sa.select(Residence.user_id).where(Residence.user_id == resident_id, in_care_clause(user))
    ).first() is not None


def is_caretaker(user: User) -> bool:
    """Tell whether ``user`` leads a building or works for a grid (or administers)."""
    return getattr(user, "is_authenticated", False) and (
        user.has_role(Role.BUILDING_LEADER) or user.has_role(Role.GRID_WORKER)
    )


# --- where a person lives -------------------------------------------------------------------


def residence_of(user: User) -> Residence | None:
    """Where the person said they live, with the building and grid, or None."""
    if not getattr(user, "is_authenticated", False) and not isinstance(user, User):
        return None
    return db.session.execute(
        sa.select(Residence).where(Residence.user_id == user.id)
        .options(joinedload(Residence.building).joinedload(Building.grid))
    ).scalar_one_or_none()


def residences_of(user_ids: Iterable[int]) -> dict[int, Residence]:
    """Where each of the people lives, by person id, with buildings and grids (one query)."""
    ids = list(user_ids)
    if not ids:
        return {}
    rows = db.session.execute(
        sa.select(Residence).where(Residence.user_id.in_(ids))
        .options(joinedload(Residence.building).joinedload(Building.grid))
    ).scalars()
    return {row.user_id: row for row in rows}


def set_residence(user: User, building: Building, *, unit: str = "", room: str = "", now: datetime) -> Residence:
    """Record where the person lives: a building from the list, and optionally unit and room."""
    begin_write()
    residence = db.session.get(Residence, user.id, with_for_update=True)
    if residence is None:
        residence = Residence(user_id=user.id)
        db.session.add(residence)
    residence.building_id = building.id
    residence.building = building
    residence.unit, residence.room = unit.strip()[:10], room.strip()[:10]
    residence.updated_at = now
    db.session.flush()
    return residence


def clear_residence(user: User) -> None:
    """Forget where the person lives (they'd rather not say)."""
    begin_write()
    db.session.execute(sa.delete(Residence).where(Residence.user_id == user.id))
    db.session.flush()


# --- importing the community's list -----------------------------------------------------------

# Header words recognised in the first line (Chinese or English); without a header the
# columns are: grid, building, leader's mobile number, leader's name, households.
_COLUMNS = {
    "grid": ("grid", "网格", "网格号", "网格编号"),
    "grid_name": ("grid name", "网格名称", "网格名"),
    "building": ("building", "楼栋", "楼号", "楼栋号"),
    "phone": ("leader mobile", "leader's mobile", "leader phone", "mobile", "楼长手机", "楼长手机号", "手机", "手机号"),
    "leader": ("leader", "leader name", "楼长", "楼长姓名"),
    "households": ("households", "户数"),
}
_DEFAULT_ORDER = ("grid", "building", "phone", "leader", "households")
MAX_IMPORT_LINES = 5000


@dataclass
class ImportResult:
    """What an import did."""

    grids: int = 0
    buildings: int = 0
    leaders: int = 0
    accounts: int = 0  # leaders' numbers that had no account yet (they claim it by registering)
    lines: int = 0


@dataclass
class ImportLine:
    number: int
    grid: str
    grid_name: str
    building: str
    phone: str
    leader: str
    households: int | None


class ImportProblems(ImportRefused):
    """An import refused, with each line that needs correcting as (line number, message)."""

    def __init__(self, problems: list[tuple[int, str]]):
        super().__init__(count=len(problems))
        self.problems = problems


def decode_upload(data: bytes) -> str:
    """The text of an uploaded CSV: UTF-8 (with or without Excel's byte-order mark), or
    GB18030 as Excel saves it on Chinese Windows."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise ImportProblems(problems=[(0, str(_l("The file isn't a CSV text file. Save it from Excel as “CSV UTF-8”.")))])


def _header(cells: list[str]) -> dict[str, int] | None:
    names = [c.strip().casefold() for c in cells]
    found = {}
    for key, words in _COLUMNS.items():
        for index, name in enumerate(names):
            if name in words:
                found[key] = index
                break
    return found if "grid" in found and "building" in found else None


def parse_import(text: str) -> list[ImportLine]:
    """Read the lines of an import, checking each.

    :raises ImportProblems: listing every line that can't be used, by line number.
    """
    reader = csv.reader(io.StringIO(text))
    lines, problems = [], []
    columns = None
    for number, cells in enumerate(reader, start=1):
        if number > MAX_IMPORT_LINES:
            problems.append((number, str(_l("Too many lines: import at most %(count)s at a time.", count=MAX_IMPORT_LINES))))
            break
        if not any(c.strip() for c in cells):
            continue
        if columns is None:
            columns = _header(cells)
            if columns is not None:
                continue
            columns = {key: index for index, key in enumerate(_DEFAULT_ORDER)}

        def cell(key: str) -> str:
            index = columns.get(key)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        grid, building, raw_phone = cell("grid"), cell("building"), cell("phone")
        phone = accounts.normalize_phone(raw_phone) if raw_phone else ""
        households_text = cell("households")
        households = None
        if not grid or not building:
            problems.append((number, str(_l("Both the grid and the building are needed."))))
            continue
        if len(grid) > 20 or len(building) > 40 or len(cell("grid_name")) > 80 or len(cell("leader")) > 40:
            problems.append((number, str(_l("A name is too long (grid at most 20 characters, building 40)."))))
            continue
        if phone and not accounts.is_valid_phone(phone):
            problems.append((number, str(_l("“%(phone)s” is not an 11-digit mobile number.", phone=raw_phone))))
            continue
        if households_text:
            if not households_text.isdigit() or int(households_text) > 100000:
                problems.append((number, str(_l("The number of households must be a whole number."))))
                continue
            households = int(households_text)
        lines.append(ImportLine(number, grid, cell("grid_name"), building, phone, cell("leader"), households))
    if problems:
        raise ImportProblems(problems=problems)
    if not lines:
        raise ImportProblems(problems=[(0, str(_l("The file has no lines to import.")))])
    return lines


def import_list(text: str, *, actor: User, now: datetime) -> ImportResult:
    """Import grids, buildings and their leaders from CSV lines of grid, building and the
    leader's mobile number (optionally the leader's name and the households). Existing
    grids, buildings and leaders are kept; a leader's number without an account gets
    one nobody can log in to until the leader registers with it. All lines or none.

    :raises ImportProblems: naming each line that can't be used; nothing is imported.
    """
    lines = parse_import(text)
    begin_write()
    result = ImportResult(lines=len(lines))
    grids_by_number = {g.number: g for g in db.session.execute(sa.select(Grid)).scalars()}
    for line in lines:
        grid = grids_by_number.get(line.grid)
        if grid is None:
            grid = create_grid(number=line.grid, name=line.grid_name, actor=actor, now=now)
            grids_by_number[grid.number] = grid
            result.grids += 1
        elif line.grid_name and not grid.name:
            grid.name = line.grid_name
        building = _building_by_name(grid, line.building)
        if building is None:
            building = add_building(grid, name=line.building, households=line.households, actor=actor, now=now)
            result.buildings += 1
        elif line.households is not None and building.households != line.households:
            building.households = line.households
        if line.phone:
            leader = accounts.find_by_phone(line.phone)
            if leader is None:
                name = line.leader or str(_l("Leader of %(building)s", building=line.building))
                leader = accounts.create_unclaimed_account(phone=line.phone, display_name=name[:40], now=now)
                result.accounts += 1
            if appoint_leader(building, leader, actor=actor, now=now):
                result.leaders += 1
    db.session.flush()
    return result
