"""The create-admin command, as a person at a terminal and as a setup script run it."""
from __future__ import annotations

import pytest
import sqlalchemy as sa

from models import AuditEntry, Role, User, db
from services import accounts
from tests.conftest import make_user


def run(app, *args, input=None):
    return app.test_cli_runner().invoke(args=["create-admin", *args], input=input)


def test_a_script_gives_mobile_and_name_and_pipes_the_password(app):
    result = run(app, "--mobile", "138 0000 0000", "--name", "王建国", input="s3cret-password\n")

    assert result.exit_code == 0, result.output
    assert "Administrator 王建国 (13800000000) created." in result.output
    user = accounts.find_by_phone("13800000000")
    assert user.roles == {Role.RESIDENT, Role.ORGANIZER, Role.ADMIN}
    assert user.check_password("s3cret-password")
    assert db.session.execute(sa.select(AuditEntry.action)).scalar_one() == "user.create_admin"


def test_phone_still_works_as_the_old_name_of_mobile(app):
    result = run(app, "--phone", "13800000000", "--name", "王建国", input="s3cret-password")
    assert result.exit_code == 0, result.output
    assert accounts.find_by_phone("13800000000").check_password("s3cret-password")


def test_an_existing_account_is_promoted_and_keeps_its_password(app):
    person = make_user("李秀兰", phone="13800000001")
    result = run(app, "--mobile", person.phone, "--name", "李秀兰", input="ignored-password\n")
    assert result.exit_code == 0 and "promoted" in result.output
    db.session.expire_all()
    assert Role.ADMIN in db.session.get(User, person.id).roles


@pytest.mark.parametrize("args,stdin,message", [
    (["--name", "王建国"], "s3cret-password\n", "--mobile and --name are needed"),
    (["--mobile", "13800000000"], "s3cret-password\n", "--mobile and --name are needed"),
    (["--mobile", "12345", "--name", "王建国"], "s3cret-password\n", "11-digit mobile number"),
    (["--mobile", "13800000000", "--name", "王建国"], "short\n", "8 to 128 characters"),
    (["--mobile", "13800000000", "--name", "王建国"], "", "8 to 128 characters"),
    (["--mobile", "13800000000", "--name", "   "], "s3cret-password\n", "a name of 1 to 20 characters"),
])
def test_bad_input_is_refused_and_nothing_is_made(app, args, stdin, message):
    result = run(app, *args, input=stdin)
    assert result.exit_code != 0
    assert message in result.output
    assert db.session.execute(sa.select(User)).first() is None
