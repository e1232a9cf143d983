"""Password reset codes and people changing their own account (no HTTP)."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from models import AuditEntry, Membership, MembershipStatus, PasswordResetCode, ProgramKind, Role, db
from services import accounts, people, reset_codes
from services.booking import book_seat
from services.dates import LOCAL_TZ
from services.errors import (
    CannotRun, PersonNotFound, PhoneHeldByWalkIn, PhoneInUse, ResetCodeInvalid, ResetCodeNotAllowed,
    WrongPassword,
)
from tests.conftest import PASSWORD, make_event, make_program, make_troupe, make_user

NEW_PASSWORD = "a brand new secret"


@pytest.fixture
def admin(app):
    return make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN))


def reset(phone, code, *, now, password=NEW_PASSWORD):
    """Use a code as the forgot-password page does: a refusal is committed too."""
    try:
        user = reset_codes.reset_password(phone, code, password, now=now)
    except ResetCodeInvalid:
        db.session.commit()
        raise
    db.session.commit()
    return user


# --- the code itself ----------------------------------------------------------------


def test_a_code_is_eight_digits_stored_only_as_a_hash_and_sets_a_new_password_once(admin, now):
    person = make_user("张桂芳")
    found, code = reset_codes.issue_code(person.phone, by=admin, now=now)
    db.session.commit()
    stored = db.session.execute(sa.select(PasswordResetCode)).scalar_one()
    assert found == person and len(code) == 8 and code.isdigit()
    assert code not in stored.code_hash and stored.code_hash.startswith("scrypt:")
    assert stored.expires_at == now + timedelta(hours=24)
    version = person.session_version

    assert reset(person.phone, reset_codes.display_code(code), now=now) == person  # "1234 5678" is fine
    assert person.check_password(NEW_PASSWORD) and person.session_version == version + 1
    with pytest.raises(ResetCodeInvalid):
        reset(person.phone, code, now=now, password="yet another password")
    assert person.check_password(NEW_PASSWORD)
    assert [e.action for e in db.session.execute(sa.select(AuditEntry).order_by(AuditEntry.id)).scalars()] == [
        "user.reset_code", "user.password_reset"]


def test_a_code_expires_after_24_hours(admin, time_machine):
    time_machine.move_to(datetime(2026, 5, 6, 9, 0, tzinfo=LOCAL_TZ), tick=False)
    person = make_user("张桂芳")
    _, code = reset_codes.issue_code(person.phone, by=admin, now=datetime.now(LOCAL_TZ))
    db.session.commit()

    time_machine.move_to(datetime(2026, 5, 7, 9, 0, tzinfo=LOCAL_TZ), tick=False)
    with pytest.raises(ResetCodeInvalid):
        reset(person.phone, code, now=datetime.now(LOCAL_TZ))
    assert person.check_password(PASSWORD)


def test_a_code_works_just_before_it_expires(admin, time_machine):
    time_machine.move_to(datetime(2026, 5, 6, 9, 0, tzinfo=LOCAL_TZ), tick=False)
    person = make_user("张桂芳")
    _, code = reset_codes.issue_code(person.phone, by=admin, now=datetime.now(LOCAL_TZ))
    db.session.commit()
    time_machine.move_to(datetime(2026, 5, 7, 8, 59, tzinfo=LOCAL_TZ), tick=False)
    assert reset(person.phone, code, now=datetime.now(LOCAL_TZ)) == person


def test_five_wrong_tries_void_the_code(admin, now):
    person = make_user("张桂芳")
    _, code = reset_codes.issue_code(person.phone, by=admin, now=now)
    db.session.commit()
    wrong = f"{(int(code) + 1) % 10**8:08d}"
    for _ in range(reset_codes.WRONG_TRIES_LIMIT):
        with pytest.raises(ResetCodeInvalid):
            reset(person.phone, wrong, now=now)
    with pytest.raises(ResetCodeInvalid):
        reset(person.phone, code, now=now)  # the right code no longer works
    stored = db.session.execute(sa.select(PasswordResetCode)).scalar_one()
    assert stored.failed_attempts == 5 and stored.voided_at is not None
    assert person.check_password(PASSWORD)


def test_a_new_code_voids_the_old_one(admin, now):
    person = make_user("张桂芳")
    _, first = reset_codes.issue_code(person.phone, by=admin, now=now)
    _, second = reset_codes.issue_code(person.phone, by=admin, now=now)
    db.session.commit()
    with pytest.raises(ResetCodeInvalid):
        reset(person.phone, first, now=now)
    assert reset(person.phone, second, now=now) == person


@pytest.mark.parametrize("phone", ["13000000000", ""])
def test_an_unknown_number_gets_the_same_refusal(admin, now, phone):
    with pytest.raises(ResetCodeInvalid):
        reset(phone, "12345678", now=now)


def test_a_code_of_a_deactivated_account_does_not_work_and_none_is_issued(admin, now):
    person = make_user("张桂芳")
    _, code = reset_codes.issue_code(person.phone, by=admin, now=now)
    people.deactivate(person, by=admin, now=now, release_bookings=False)
    db.session.commit()
    with pytest.raises(ResetCodeInvalid):
        reset(person.phone, code, now=now)
    with pytest.raises(CannotRun):
        reset_codes.issue_code(person.phone, by=admin, now=now)
    with pytest.raises(PersonNotFound):
        reset_codes.issue_code("13000000000", by=admin, now=now)


# --- who may give a code --------------------------------------------------------------


def test_an_organizer_may_give_codes_to_residents_of_their_own_programs_only(admin, now):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    mine = make_program(organizers=[organizer])
    theirs = make_program(slug="other", name="别的讲堂")
    booked = make_user("张桂芳")
    book_seat(make_event(mine), booked, now=now)
    stranger = make_user("刘建华")
    book_seat(make_event(theirs), stranger, now=now)
    team = make_program(ProgramKind.LECTURE_TEAM, slug="team", organizers=[organizer])
    applicant = make_user("陈玉兰")
    db.session.add(Membership(program_id=team.id, user_id=applicant.id, status=MembershipStatus.PENDING, note=""))
    troupe = make_troupe(organizers=[organizer])
    from services import troupes

    troupe_applicant = make_user("韩秀梅")
    troupes.apply(troupe, troupe_applicant, note="", now=now)
    fellow = make_user("赵老师", roles=(Role.RESIDENT, Role.ORGANIZER))
    book_seat(make_event(mine, title="另一场"), fellow, now=now)
    db.session.commit()

    allowed = reset_codes.can_issue_code
    assert allowed(organizer, booked) and allowed(organizer, applicant) and allowed(organizer, troupe_applicant)
    assert not allowed(organizer, stranger)  # booked someone else's program only
    assert not allowed(organizer, fellow)  # another organizer: the office does that
    assert not allowed(organizer, admin) and not allowed(organizer, organizer)
    assert not allowed(booked, stranger)  # residents give no codes
    assert allowed(admin, stranger) and allowed(admin, fellow)
    with pytest.raises(ResetCodeNotAllowed):
        reset_codes.issue_code(stranger.phone, by=organizer, now=now)


# --- changing one's own account -------------------------------------------------------


def test_changing_ones_password_needs_the_current_one_and_ends_every_session(app, now):
    person = make_user("张桂芳")
    version = person.session_version
    with pytest.raises(WrongPassword):
        accounts.change_password(person, "not my password", NEW_PASSWORD, now=now)
    db.session.rollback()

    accounts.change_password(person, PASSWORD, NEW_PASSWORD, now=now)
    db.session.commit()
    assert person.check_password(NEW_PASSWORD) and person.session_version == version + 1


def test_a_new_name_needs_no_password_but_a_new_number_does(app, now):
    person = make_user("张桂芳", phone="13911110001")
    accounts.update_profile(person, display_name=" 张桂芳阿姨 ", phone="13911110001", current_password=None, now=now)
    db.session.commit()
    assert person.display_name == "张桂芳阿姨"

    with pytest.raises(WrongPassword):
        accounts.update_profile(person, display_name="张桂芳", phone="13911110002", current_password="", now=now)
    db.session.rollback()
    accounts.update_profile(person, display_name="张桂芳", phone="13911110002", current_password=PASSWORD, now=now)
    db.session.commit()
    assert accounts.find_by_phone("13911110002") == person
    entries = db.session.execute(
        sa.select(AuditEntry).where(AuditEntry.action == "user.profile").order_by(AuditEntry.id)).scalars().all()
    assert [e.after for e in entries] == [{"display_name": "张桂芳阿姨"}, {"display_name": "张桂芳", "phone": "13911110002"}]


def test_a_number_someone_else_holds_is_refused(app, now):
    person = make_user("张桂芳")
    other = make_user("刘建华")
    walk_in = accounts.create_unclaimed_account(phone="13712345678", display_name="门口", now=now)
    db.session.commit()
    with pytest.raises(PhoneInUse):
        accounts.update_profile(person, display_name="张桂芳", phone=other.phone, current_password=PASSWORD, now=now)
    db.session.rollback()
    with pytest.raises(PhoneHeldByWalkIn):
        accounts.update_profile(person, display_name="张桂芳", phone=walk_in.phone, current_password=PASSWORD, now=now)
