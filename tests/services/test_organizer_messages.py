"""An organizer's message reaches exactly the chosen groups of one event, each person once."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa

from models import AuditEntry, Notification, NotificationKind, OrganizerMessage, Role, db
from services import booking, organizer_messages, shifts, youth
from services.errors import MessageAlreadySent, NoRecipients
from services.organizer_messages import Audience
from tests.conftest import (
    give_email, make_child, make_event, make_program, make_role, make_user, make_youth_program,
)


@pytest.fixture
def scene(app, now):
    """A class with a seat holder, a waiting person, a volunteer and two parents (one also
    holding a seat and a waiting place), and another program's residents."""
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program = make_youth_program("家庭教育读书会", min_age=0, max_age=18, organizers=[organizer])
    event = make_event(program, capacity=3, title="亲子共读")
    people = {name: make_user(name) for name in ("座位", "候补", "家长甲", "家长乙")}
    people["志愿者"] = make_user("志愿者", roles=(Role.RESIDENT, Role.VOLUNTEER))
    booking.book_seat(event, people["座位"], now=now)
    youth.book_class(event, make_child(people["家长甲"], "小明"), people["家长甲"], now=now)
    booking.book_seat(event, people["家长甲"], now=now)
    youth.book_class(event, make_child(people["家长乙"], "小雨"), people["家长乙"], now=now, waitlist=True)
    booking.book_seat(event, people["候补"], now=now, waitlist=True)
    shifts.sign_up(make_role(event, "签到", 1), people["志愿者"], now=now)
    other = make_event(make_program(name="周三文史讲堂"), title="别的讲座")
    people["别的项目"] = make_user("别的项目")
    booking.book_seat(other, people["别的项目"], now=now)
    db.session.commit()
    return organizer, event, people


def recipients(message) -> set[str]:
    rows = db.session.execute(
        sa.select(Notification).where(Notification.message_id == message.id)
    ).scalars()
    return {n.user.display_name for n in rows}


def test_the_groups_hold_the_right_people(scene):
    organizer, event, people = scene
    groups = {a: {db.session.get(type(organizer), i).display_name for i in ids}
              for a, ids in organizer_messages.audiences_of(event).items()}
    assert groups[Audience.SEATS] == {"座位", "家长甲"}
    assert groups[Audience.WAITING] == {"候补", "家长乙"}
    assert groups[Audience.VOLUNTEERS] == {"志愿者"}
    assert groups[Audience.PARENTS] == {"家长甲"}
    assert groups[Audience.MEMBERS] == set()


def test_a_message_reaches_every_chosen_person_once_and_nobody_else(scene, now):
    organizer, event, people = scene
    message = organizer_messages.send_message(
        event, organizer, "请带上老花镜", [Audience.SEATS, Audience.PARENTS, Audience.VOLUNTEERS], now=now)
    db.session.commit()
    assert recipients(message) == {"座位", "家长甲", "志愿者"}
    assert message.recipient_count == 3 and message.sender_id == organizer.id
    assert message.audience_list == ["seats", "volunteers", "parents"]
    kinds = set(db.session.execute(sa.select(Notification.kind)).scalars())
    assert kinds == {NotificationKind.ORGANIZER_MESSAGE}
    [entry] = db.session.execute(sa.select(AuditEntry).where(AuditEntry.action == "event.message")).scalars()
    assert entry.actor_id == organizer.id and entry.after["recipients"] == 3

    waiting = organizer_messages.send_message(event, organizer, "候补的朋友请留意", [Audience.WAITING], now=now)
    db.session.commit()
    assert recipients(waiting) == {"候补", "家长乙"}
    told = set(db.session.execute(sa.select(Notification.user_id)).scalars())
    assert people["别的项目"].id not in told and organizer.id not in told


def test_email_goes_to_those_who_want_messages_by_email(scene, now, app):
    organizer, event, people = scene
    app.config["MAIL_SERVER"] = "127.0.0.1"
    give_email(people["座位"], "seat@example.org")
    give_email(people["家长甲"], "parent@example.org", topics=("reminders",))
    message = organizer_messages.send_message(event, organizer, "改在 101 教室", [Audience.SEATS], now=now)
    db.session.commit()
    from models import Delivery

    assert [d.address for d in db.session.execute(sa.select(Delivery)).scalars()] == ["seat@example.org"]
    assert message.recipient_count == 2


def test_empty_groups_and_double_taps_send_nothing(scene, now):
    organizer, event, people = scene
    with pytest.raises(NoRecipients):
        organizer_messages.send_message(event, organizer, "排练照常", [Audience.MEMBERS], now=now)
    db.session.rollback()
    organizer_messages.send_message(event, organizer, "请带上老花镜", [Audience.SEATS], now=now)
    db.session.commit()
    with pytest.raises(MessageAlreadySent) as refused:
        organizer_messages.send_message(event, organizer, "请带上老花镜", [Audience.SEATS],
                                        now=now + timedelta(minutes=1))
    assert "2" in str(refused.value)
    db.session.rollback()
    organizer_messages.send_message(event, organizer, "请带上老花镜", [Audience.SEATS],
                                    now=now + timedelta(minutes=30))  # later on purpose: sent
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(OrganizerMessage)).scalar_one() == 2
