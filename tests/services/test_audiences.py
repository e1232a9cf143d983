"""Events for a group: only the group (and the program's organizers) see and book them."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import AudienceKind, Event, Role, TroupeMembership, TroupeMembershipStatus, db
from services import audiences, booking, feeds, lectures
from services.errors import AudienceError, NotInAudience
from tests.conftest import make_building, make_event, make_program, make_resident, make_troupe, make_user


@pytest.fixture
def organizer(app):
    return make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))


@pytest.fixture
def program(organizer):
    return make_program(organizers=[organizer])


def visible(user, now):
    return [e.id for e in db.session.execute(lectures.upcoming_lectures_query(now=now, viewer=user)).scalars()]


def test_an_event_for_building_leaders(app, organizer, program, now):
    leader = make_user("刘建华")
    make_building(leaders=[leader])
    resident = make_user("张桂芳")
    training = make_event(program, title="楼长普法培训")
    open_event = make_event(program)
    audiences.set_audience(training, AudienceKind.BUILDING_LEADERS, actor=organizer, now=now)
    db.session.commit()

    assert visible(leader, now) == [training.id, open_event.id]
    assert visible(resident, now) == [open_event.id]
    assert visible(None, now) == [open_event.id]
    assert visible(organizer, now) == [training.id, open_event.id]
    assert audiences.may_see(training, leader) and not audiences.may_see(training, resident)

    with pytest.raises(NotInAudience) as refused:
        booking.book_seat(training, resident, now=now)
    assert str(refused.value) == "这场活动仅面向楼长。"
    db.session.rollback()
    assert booking.book_seat(training, leader, now=now).is_confirmed


def test_an_event_for_one_grids_residents(app, organizer, program, now):
    here, there = make_building("1号楼", grid="3"), make_building("1号楼", grid="4")
    insider, outsider = make_resident(here), make_resident(there)
    leader = make_user("刘建华")
    make_building("2号楼", grid="3", leaders=[leader])
    event = make_event(program)
    audiences.set_audience(event, AudienceKind.GRID, grid=here.grid, actor=organizer, now=now)
    db.session.commit()

    assert audiences.may_see(event, insider) and audiences.may_see(event, leader)
    assert not audiences.may_see(event, outsider)
    with pytest.raises(NotInAudience):
        booking.book_seat(event, outsider, now=now)
    db.session.rollback()
    assert booking.book_seat(event, insider, now=now).is_confirmed


def test_an_event_for_a_troupes_members(app, organizer, program, now):
    troupe_leader = make_user("韩秀梅")
    troupe = make_troupe(leader=troupe_leader)
    member, applicant = make_user("成员"), make_user("申请人")
    db.session.add_all([
        TroupeMembership(program_id=troupe.id, user_id=member.id, status=TroupeMembershipStatus.MEMBER),
        TroupeMembership(program_id=troupe.id, user_id=applicant.id, status=TroupeMembershipStatus.APPLIED),
    ])
    event = make_event(program)
    audiences.set_audience(event, AudienceKind.TROUPE, troupe=troupe, actor=organizer, now=now)
    db.session.commit()

    assert audiences.may_see(event, member) and audiences.may_see(event, troupe_leader)
    assert not audiences.may_see(event, applicant)
    assert "吕剧团" in audiences.describe(audiences.audience_of(event))


def test_a_group_event_stays_out_of_public_feeds(app, organizer, program, now):
    hidden, shown = make_event(program, title="仅限楼长"), make_event(program, title="公开讲座")
    audiences.set_audience(hidden, AudienceKind.BUILDING_LEADERS, actor=organizer, now=now)
    db.session.commit()
    links = feeds.FeedLinks(event_url=lambda e: f"https://example.org/{e.id}")

    body = feeds.public_feed(now=now, links=links, language="zh").body.decode()
    assert "公开讲座" in body and "仅限楼长" not in body
    assert "仅限楼长" not in feeds.program_feed(program, now=now, links=links, language="zh").body.decode()
    assert feeds.public_event(hidden.id) is None and feeds.public_event(shown.id) is not None
    assert feeds.public_event(hidden.id, viewer=organizer) is not None


def test_opening_an_event_again_and_groups_that_name_nothing(app, organizer, program, now):
    event = make_event(program)
    with pytest.raises(AudienceError):
        audiences.set_audience(event, AudienceKind.GRID, actor=organizer, now=now)
    with pytest.raises(AudienceError):
        audiences.set_audience(event, AudienceKind.TROUPE, troupe=program, actor=organizer, now=now)
    db.session.rollback()
    audiences.set_audience(event, AudienceKind.BUILDING_LEADERS, actor=organizer, now=now)
    audiences.set_audience(event, None, actor=organizer, now=now)
    db.session.commit()
    assert audiences.audience_of(event) is None
    assert audiences.may_see(event, None)


def test_the_database_refuses_a_group_without_its_grid_or_troupe(app, program, now):
    from sqlalchemy.exc import IntegrityError

    from models import EventAudience

    event = make_event(program)
    db.session.add(EventAudience(event_id=event.id, kind=AudienceKind.GRID))
    with pytest.raises(IntegrityError):
        db.session.flush()
