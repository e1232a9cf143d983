"""Joining the lecture team: applying, approval and decline, leaving."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from models import Membership, MembershipStatus, ProgramKind, Role, db
from services import membership, shifts
from services.errors import AlreadyDecided, AlreadyMember, NotAMember, NotMember, ReasonRequired, StillHoldsShifts
from tests.conftest import make_member, make_program, make_talk, make_team, make_user


@pytest.fixture
def organizer(app):
    return make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))


def test_an_approved_applicant_becomes_a_volunteer_member(app, now, organizer):
    team = make_team()
    resident = make_user("张桂芳")
    application = membership.apply_to_join(team, resident, "退休教师，愿意讲讲身边的好人好事", now=now)
    db.session.commit()
    assert application.is_pending and not resident.has_role(Role.VOLUNTEER)
    assert membership.apply_to_join(team, resident, "再点一次", now=now).id == application.id

    membership.approve(application, organizer, now=now)
    db.session.commit()
    assert application.is_active and application.decided_by_id == organizer.id
    assert resident.has_role(Role.VOLUNTEER)
    assert membership.is_active_member(team.id, resident.id)
    with pytest.raises(AlreadyMember):
        membership.apply_to_join(team, resident, "又申请", now=now)
    db.session.rollback()
    with pytest.raises(AlreadyDecided):
        membership.approve(application, organizer, now=now)
    db.session.rollback()


def test_a_declined_applicant_sees_the_reason_and_may_apply_again(app, now, organizer):
    team = make_team()
    resident = make_user("张桂芳")
    application = membership.apply_to_join(team, resident, "想参加", now=now)
    with pytest.raises(ReasonRequired):
        membership.decline(application, organizer, "", now=now)
    membership.decline(application, organizer, "本期名额已满，欢迎下季度再申请", now=now)
    db.session.commit()
    assert membership.latest_membership(team, resident).reason == "本期名额已满，欢迎下季度再申请"
    assert not resident.has_role(Role.VOLUNTEER)

    again = membership.apply_to_join(team, resident, "下季度再来", now=now + timedelta(days=90))
    db.session.commit()
    assert again.id != application.id and again.is_pending
    assert membership.latest_membership(team, resident).id == again.id
    assert db.session.get(Membership, application.id).is_declined  # the history stays


def test_a_member_leaves_and_loses_the_volunteer_role(app, now):
    team = make_team()
    member = make_member(team)
    left = membership.leave(team, member, now=now)
    db.session.commit()
    assert left.status is MembershipStatus.LEFT and left.left_at == now
    assert not member.has_role(Role.VOLUNTEER)
    with pytest.raises(NotMember):
        membership.leave(team, member, now=now)
    db.session.rollback()


def test_a_former_member_takes_no_team_shifts(app, now):
    team = make_team()
    member = make_member(team)
    membership.leave(team, member, now=now)
    db.session.commit()
    talk = make_talk(team)
    with pytest.raises(NotAMember):
        shifts.sign_up(shifts.roles_by_event([talk.id])[talk.id][0], member, now=now)
    db.session.rollback()


def test_leaving_waits_until_coming_shifts_are_given_up(app, now):
    team = make_team()
    member = make_member(team)
    talk = make_talk(team)
    held = shifts.sign_up(shifts.roles_by_event([talk.id])[talk.id][0], member, now=now)
    db.session.commit()
    with pytest.raises(StillHoldsShifts) as refused:
        membership.leave(team, member, now=now)
    db.session.rollback()
    assert "1" in str(refused.value)
    shifts.withdraw(held, now=now)
    membership.leave(team, member, now=now)
    db.session.commit()
    assert not membership.is_active_member(team.id, member.id)


def test_a_pending_application_can_be_withdrawn(app, now):
    team = make_team()
    resident = make_user("张桂芳")
    membership.apply_to_join(team, resident, "想参加", now=now)
    membership.leave(team, resident, now=now)
    db.session.commit()
    assert membership.pending_applications(team) == []


def test_the_volunteer_role_stays_with_another_team_membership(app, now):
    team = make_team()
    other_team = make_program(ProgramKind.LECTURE_TEAM, slug="second-team", name="青年宣讲分队")
    member = make_member(team)
    db.session.add(Membership(program_id=other_team.id, user_id=member.id, status=MembershipStatus.ACTIVE))
    db.session.commit()
    membership.leave(team, member, now=now)
    db.session.commit()
    assert member.has_role(Role.VOLUNTEER)


def test_the_database_allows_one_open_membership_per_person(app, now):
    team = make_team()
    resident = make_user()
    membership.apply_to_join(team, resident, "", now=now)
    db.session.commit()
    db.session.add(Membership(program_id=team.id, user_id=resident.id, status=MembershipStatus.ACTIVE))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    count = db.session.execute(sa.select(sa.func.count()).select_from(Membership)).scalar_one()
    assert count == 1


def test_applications_and_members_are_listed_for_organizers(app, now, organizer):
    team = make_team()
    first, second = make_user("甲"), make_user("乙")
    membership.apply_to_join(team, first, "一", now=now)
    membership.apply_to_join(team, second, "二", now=now + timedelta(minutes=1))
    db.session.commit()
    assert [m.user.display_name for m in membership.pending_applications(team)] == ["甲", "乙"]
    membership.approve(membership.pending_applications(team)[1], organizer, now=now)
    db.session.commit()
    assert [m.user.display_name for m in membership.active_members(team)] == ["乙"]
