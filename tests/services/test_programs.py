"""Programs of every kind as the office runs them, the kind seam, series and venues (no HTTP)."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import AuditEntry, EventStatus, Program, ProgramKind, Role, Troupe, YouthRules, db
from services import events as event_service
from services import feeds, lectures, program_kinds, programs, series as series_service, talks, troupes, venues, youth
from services.errors import (
    CannotRun, MemberLimitBelowMembers, OnlyOneLectureTeam, PersonNotFound, ProgramHasComingEvents,
    SeriesNameTaken, SlugReserved, SlugTaken, VenueNameTaken,
)
from tests.conftest import make_event, make_program, make_team, make_troupe, make_user, make_venue


@pytest.fixture
def admin(app):
    return make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN))


def details(name="吕剧团", slug="lvju", **settings):
    return programs.ProgramDetails(name=name, slug=slug, settings=settings)


def entries(action: str) -> list[AuditEntry]:
    return list(db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == action)).scalars())


# --- the seam -------------------------------------------------------------------------


def test_every_kind_has_a_spec_and_the_kinds_differ_where_the_site_says():
    assert {spec.kind for spec in program_kinds.all_specs()} == set(ProgramKind)
    spec = program_kinds.spec_of
    assert spec(ProgramKind.LECTURE_SERIES).has_series and spec(ProgramKind.LECTURE_TEAM).has_series
    assert not spec(ProgramKind.TROUPE).has_series and not spec(ProgramKind.YOUTH).has_series
    assert spec(ProgramKind.TROUPE).has_leader and not spec(ProgramKind.YOUTH).has_leader
    assert spec(ProgramKind.LECTURE_TEAM).only_one
    assert not spec(ProgramKind.LECTURE_TEAM).has_seats  # talks book roles, not seats
    assert all(spec(k).has_seats for k in (ProgramKind.LECTURE_SERIES, ProgramKind.TROUPE, ProgramKind.YOUTH))
    assert "member_limit" in spec(ProgramKind.TROUPE).program_fields
    assert {"min_age", "max_age", "parent_attends"} <= set(spec(ProgramKind.YOUTH).program_fields)
    assert program_kinds.kind_from_value("troupe") is ProgramKind.TROUPE
    assert program_kinds.kind_from_value("nope") is None


# --- creating and editing ---------------------------------------------------------------


def test_creating_a_troupe_stores_its_rules_and_audits_it(admin, now):
    program = programs.create_program(
        ProgramKind.TROUPE, details(rehearsal_times="每周二 9:00", rehearsal_place="多功能厅", member_limit=20),
        by=admin, now=now,
    )
    db.session.commit()

    troupe = db.session.get(Troupe, program.id)
    assert (troupe.rehearsal_times, troupe.rehearsal_place, troupe.member_limit) == ("每周二 9:00", "多功能厅", 20)
    [entry] = entries("program.create")
    assert entry.actor_id == admin.id and entry.program_id == program.id
    assert entry.after["kind"] == "troupe" and entry.after["member_limit"] == 20


def test_a_kind_ignores_settings_it_does_not_have(admin, now):
    program = programs.create_program(
        ProgramKind.YOUTH, details("少儿诵读班", "songdu", min_age=6, max_age=12, parent_attends=True,
                                   member_limit=5, booking_opens_days_before=3),
        by=admin, now=now,
    )
    db.session.commit()
    rules = db.session.get(YouthRules, program.id)
    assert (rules.min_age, rules.max_age, rules.parent_attends) == (6, 12, True)
    assert db.session.get(Troupe, program.id) is None
    assert program.booking_opens_days_before is None


@pytest.mark.parametrize("slug", ["all", "mine", "children"])
def test_slugs_the_site_uses_itself_are_refused(admin, now, slug):
    with pytest.raises(SlugReserved):
        programs.create_program(ProgramKind.TROUPE, details(slug=slug), by=admin, now=now)


def test_a_taken_slug_is_refused_on_create_and_edit(admin, now):
    make_program(ProgramKind.TROUPE, slug="lvju")
    other = make_program(ProgramKind.TROUPE, slug="jingju", name="京剧团")
    with pytest.raises(SlugTaken):
        programs.create_program(ProgramKind.TROUPE, details(), by=admin, now=now)
    db.session.rollback()
    with pytest.raises(SlugTaken):
        programs.update_program(other, details("京剧团", "lvju"), by=admin, now=now)


@pytest.mark.parametrize("slug,valid", [("lvju-tuan", True), ("a1", True), ("Lvju", False), ("lvju--tuan", False),
                                         ("-lvju", False), ("x", False), ("吕剧", False), ("a" * 61, False)])
def test_what_a_slug_may_look_like(slug, valid):
    assert programs.is_valid_slug(slug) is valid


def test_editing_records_only_what_changed(admin, now):
    program = make_troupe(member_limit=10)
    programs.update_program(program, programs.ProgramDetails(
        name="吕剧团", slug=program.slug, contact="韩老师 137 0000 0003",
        settings={"rehearsal_times": "每周二、四 9:00–11:00", "rehearsal_place": "社区文化服务中心", "member_limit": 12},
    ), by=admin, now=now)
    db.session.commit()

    [entry] = entries("program.edit")
    assert entry.before == {"contact": "", "member_limit": 10}
    assert entry.after == {"contact": "韩老师 137 0000 0003", "member_limit": 12}


def test_a_member_limit_below_the_members_is_refused(admin, now):
    program = make_troupe(member_limit=2)
    for name in ("甲", "乙"):
        membership = troupes.apply(program, make_user(name), note="", now=now)
        troupes.approve(membership, by=admin, now=now)
    db.session.commit()
    with pytest.raises(MemberLimitBelowMembers):
        programs.update_program(program, details("吕剧团", program.slug, member_limit=1, rehearsal_times="",
                                                 rehearsal_place=""), by=admin, now=now)


def test_the_site_runs_one_lecture_team_at_a_time(admin, now):
    team = make_team()
    with pytest.raises(OnlyOneLectureTeam):
        programs.create_program(ProgramKind.LECTURE_TEAM, details("第二宣讲队", "team-2"), by=admin, now=now)
    db.session.rollback()

    programs.archive_program(team, by=admin, now=now)
    second = programs.create_program(ProgramKind.LECTURE_TEAM, details("新宣讲队", "team-2"), by=admin, now=now)
    db.session.commit()
    assert talks.team_program() == second
    with pytest.raises(OnlyOneLectureTeam):
        programs.unarchive_program(team, by=admin, now=now)


# --- archiving ------------------------------------------------------------------------


def test_a_program_with_coming_events_cannot_be_archived(admin, now):
    program = make_program()
    make_event(program, starts_in=timedelta(days=3))
    with pytest.raises(ProgramHasComingEvents) as refused:
        programs.archive_program(program, by=admin, now=now)
    assert "1" in str(refused.value)


def test_an_archived_program_leaves_residents_lists_and_feeds_but_keeps_its_history(admin, now):
    lecture_program = make_program(series=["齐国故城系"])
    past = make_event(lecture_program, starts_in=timedelta(days=-2), title="过去的讲座")
    cancelled = make_event(lecture_program, starts_in=timedelta(days=5), title="取消的讲座")
    event_service.cancel_event(cancelled, "改期", actor=None, now=now)
    troupe = make_troupe()
    youth_program = make_program(ProgramKind.YOUTH, slug="songdu", name="少儿诵读班")
    db.session.commit()

    for program in (lecture_program, troupe, youth_program):
        programs.archive_program(program, by=admin, now=now)
    db.session.commit()

    assert lectures.lecture_programs() == [] and lectures.lecture_series() == []
    assert db.session.execute(lectures.upcoming_lectures_query(now=now)).first() is None
    assert troupes.directory(now=now) == [] and troupes.get_troupe_program(troupe.slug) is None
    assert youth.youth_programs() == [] and youth.get_youth_program("songdu") is None
    assert feeds.public_program(lecture_program.slug) is None
    assert db.session.execute(feeds._public_events_query(feeds.Window.at(now))).first() is None
    # History stays: the events and the program are all there.
    assert db.session.get(Program, lecture_program.id) is not None
    assert lectures.get_lecture(past.id) is not None and cancelled.status is EventStatus.CANCELLED

    programs.unarchive_program(troupe, by=admin, now=now)
    db.session.commit()
    assert [entry.program for entry in troupes.directory(now=now)] == [troupe]
    assert [e.action for e in db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars()] == [
        "event.cancel"] + ["program.archive"] * 3 + ["program.unarchive"]


# --- who runs what --------------------------------------------------------------------


def test_adding_an_organizer_grants_the_role_and_lets_them_manage(admin, now):
    program = make_program()
    person = make_user("李秀兰")
    assert not program.is_organized_by(person)

    assert programs.add_organizer(program, person, by=admin, now=now)
    assert not programs.add_organizer(program, person, by=admin, now=now)  # twice is harmless
    db.session.commit()

    assert Role.ORGANIZER in person.roles and program.is_organized_by(person)
    assert [e.after for e in entries("program.organizer_add")] == [{"organizers": ["李秀兰"]}]
    assert entries("user.roles")[0].after == {"roles": ["organizer", "resident"]}
    assert programs.programs_run_by(person) == [program]

    assert programs.remove_organizer(program, person, by=admin, now=now)
    db.session.commit()
    assert not program.is_organized_by(person) and Role.ORGANIZER in person.roles
    assert programs.programs_run_by(person) == []


def test_a_youth_programs_teachers_are_its_organizers(admin, now):
    program = make_program(ProgramKind.YOUTH, slug="songdu")
    teacher = make_user("赵老师")
    programs.add_organizer(program, teacher, by=admin, now=now)
    db.session.commit()
    assert program.is_organized_by(teacher)
    assert program_kinds.spec_of(program.kind).runners != program_kinds.spec_of(ProgramKind.TROUPE).runners


def test_walk_in_and_deactivated_accounts_cannot_run_programs(admin, now):
    from services.accounts import create_unclaimed_account

    program = make_program()
    walk_in = create_unclaimed_account(phone="13712345678", display_name="门口登记", now=now)
    gone = make_user("刘建华")
    gone.is_active_account = False
    db.session.commit()
    for person in (walk_in, gone):
        with pytest.raises(CannotRun):
            programs.add_organizer(program, person, by=admin, now=now)
        with pytest.raises(CannotRun):
            programs.find_runner(person.phone)
    with pytest.raises(PersonNotFound):
        programs.find_runner("13000000000")


def test_a_troupe_leader_is_set_and_cleared_with_the_audit(admin, now):
    program = make_troupe()
    leader = make_user("韩秀梅")
    programs.set_leader(program, leader, by=admin, now=now)
    db.session.commit()
    assert troupes.troupe_of(program).is_led_by(leader)
    assert programs.programs_run_by(leader) == [program]

    programs.set_leader(program, None, by=admin, now=now)
    db.session.commit()
    assert troupes.troupe_of(program).leader_id is None
    assert [(e.before, e.after) for e in entries("program.leader")] == [
        ({"leader": None}, {"leader": "韩秀梅"}), ({"leader": "韩秀梅"}, {"leader": None})]


# --- topic series ---------------------------------------------------------------------


def test_series_are_added_renamed_reordered_and_retired(admin, now):
    program = make_program()
    first = series_service.add_series(program, "齐国故城系", by=admin, now=now)
    second = series_service.add_series(program, "文化名人", by=admin, now=now)
    third = series_service.add_series(program, "中国古籍", by=admin, now=now)
    db.session.commit()
    assert [s.name for s in program.current_series] == ["齐国故城系", "文化名人", "中国古籍"]
    assert len({first.slug, second.slug, third.slug}) == 3

    series_service.move_series(third, -1, by=admin, now=now)
    series_service.rename_series(first, "齐国故城", by=admin, now=now)
    db.session.commit()
    db.session.expire_all()
    assert [s.name for s in program.current_series] == ["齐国故城", "中国古籍", "文化名人"]

    with pytest.raises(SeriesNameTaken):
        series_service.add_series(program, "文化名人", by=admin, now=now)
    db.session.rollback()

    event = make_event(program, series=second, title="王羲之与书法")
    series_service.retire_series(second, by=admin, now=now)
    db.session.commit()
    assert [s.name for s in program.current_series] == ["齐国故城", "中国古籍"]
    assert second not in lectures.lecture_series()
    assert db.session.get(type(event), event.id).series_id == second.id  # past and coming events keep it

    series_service.restore_series(second, by=admin, now=now)
    db.session.commit()
    assert [s.name for s in program.current_series] == ["齐国故城", "中国古籍", "文化名人"]
    assert [e.action for e in db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.subject_type == "series").order_by(AuditEntry.id)).scalars()] == [
        "series.add", "series.add", "series.add", "series.reorder", "series.rename", "series.retire", "series.restore"]


def test_moving_the_first_series_up_changes_nothing(admin, now):
    program = make_program(series=["甲", "乙"])
    series_service.move_series(program.series[0], -1, by=admin, now=now)
    db.session.commit()
    assert [s.name for s in program.current_series] == ["甲", "乙"]
    assert entries("series.reorder") == []


# --- venues ---------------------------------------------------------------------------


def test_a_venue_is_added_and_its_name_is_unique(admin, now):
    venue = venues.create_venue(venues.VenueDetails("多功能厅", "文化中心 2 楼", 60, "有电梯"), by=admin, now=now)
    db.session.commit()
    assert (venue.seats, venue.access_notes) == (60, "有电梯")
    with pytest.raises(VenueNameTaken):
        venues.create_venue(venues.VenueDetails("多功能厅"), by=admin, now=now)


def test_renaming_a_venue_raises_the_sequence_of_its_events_still_in_the_feeds(admin, now):
    venue = make_venue("多功能厅")
    program = make_program()
    coming = make_event(program, starts_in=timedelta(days=3))
    long_ago = make_event(program, starts_in=timedelta(days=-60), title="很久以前")
    for event in (coming, long_ago):
        event.venue = venue
    db.session.commit()

    assert venues.update_venue(venue, venues.VenueDetails("多功能厅", seats=80), by=admin, now=now) == 0
    assert venues.update_venue(venue, venues.VenueDetails("一楼多功能厅", seats=80), by=admin, now=now) == 1
    db.session.commit()
    db.session.expire_all()
    assert (coming.sequence, long_ago.sequence) == (1, 0)
    assert [e.after for e in entries("venue.edit")] == [{"seats": 80}, {"name": "一楼多功能厅"}]


def test_a_retired_venue_leaves_the_list_in_use_and_comes_back(admin, now):
    venue = make_venue("旧活动室")
    venues.retire_venue(venue, by=admin, now=now)
    db.session.commit()
    assert venues.all_venues() == [] and venues.all_venues(retired=True) == [venue]
    venues.restore_venue(venue, by=admin, now=now)
    db.session.commit()
    assert venues.all_venues() == [venue]


def test_program_lines_count_coming_events_in_a_constant_number_of_queries(admin, now, count_queries):
    make_troupe(leader=make_user("韩秀梅"), organizers=[make_user("李秀兰")])
    with count_queries() as few:
        programs.program_lines(now=now)
    for n in range(8):
        program = make_troupe(f"队伍{n}", leader=make_user(f"队长{n}"), organizers=[make_user(f"组织{n}")])
        make_event(program, starts_in=timedelta(days=2 + n))
    with count_queries() as many:
        lines = programs.program_lines(now=now)
    assert len(lines) == 9 and sum(line.coming_events for line in lines) == 8
    assert all(line.leader is not None for line in lines)
    assert len(many) == len(few)

