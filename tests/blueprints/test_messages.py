"""Messages (消息) through the site: the header's count, the list, reading, organizers' messages."""
from __future__ import annotations

import re
from datetime import timedelta

import sqlalchemy as sa

from models import Notification, NotificationKind, OrganizerMessage, Role, db
from services import booking, notifications, troupes, youth
from services.dates import now_utc
from tests.blueprints.conftest import alerts, page, seat, visible_text
from tests.conftest import (
    fresh_client, login, make_child, make_event, make_member, make_program, make_role, make_team, make_troupe,
    make_user, make_youth_program,
)


def header_count(response) -> str | None:
    """The unread count beside 消息 in the header, or None when there is none."""
    found = re.search(r'id="messages-link">[^<]*<span class="unread-count">([^<]+)</span>', page(response))
    return found.group(1) if found else None


def promote(event, waiting_person, now):
    holder = make_user("刘建华")
    first = seat(event, holder, now)
    seat(event, waiting_person, now, waitlist=True)
    booking.cancel_booking(first, now=now)
    db.session.commit()


# --- the "Done when" journeys: someone cancels, the waiting person's header says so ------


def test_a_promoted_resident_sees_one_unread_message_naming_the_lecture(app, now):
    event = make_event(capacity=1, title="临淄齐国故城的城郭与街巷")
    resident = make_user("张桂芳")
    client = fresh_client(app)
    login(client, resident)
    assert header_count(client.get("/")) is None
    promote(event, resident, now)

    home = client.get("/")
    assert header_count(home) == "1"
    listing = client.get("/messages/")
    text = visible_text(listing)
    assert "您有座位了：临淄齐国故城的城郭与街巷" in text and "新" in text


def test_a_role_a_childs_place_and_a_troupe_membership_show_in_the_header_too(app, now):
    team = make_team()
    volunteer, other = make_member(team, "陈玉兰"), make_member(team, "王德顺")
    talk = make_event(team, capacity=0, title="学习二十大精神宣讲")
    from services import shifts

    role = make_role(talk, "摄影", 1)
    first = shifts.sign_up(role, other, now=now)
    shifts.sign_up(role, volunteer, now=now, waitlist=True)
    shifts.withdraw(first, now=now)

    program = make_youth_program(min_age=0, max_age=18)
    lesson = make_event(program, capacity=1, title="少儿诵读班 · 第 1 课")
    parent, other_parent = make_user("冯晓梅"), make_user("褚卫东")
    taken = youth.book_class(lesson, make_child(other_parent, "小刚"), other_parent, now=now)
    youth.book_class(lesson, make_child(parent, "小明"), parent, now=now, waitlist=True)
    booking.cancel_booking(taken, now=now)

    leader = make_user("韩秀梅")
    troupe = make_troupe("吕剧团", leader=leader, member_limit=1)
    member, applicant = make_user("孙秀英"), make_user("周国庆")
    for person in (member, applicant):
        troupes.approve(troupes.apply(troupe, person, note="", now=now), by=leader, now=now)
    notifications.mark_all_read(applicant, now=now)  # she read that she is on the waiting list
    db.session.commit()
    troupes.leave(troupes.active_membership(troupe.id, member.id), now=now)
    db.session.commit()

    for person, expected in ((volunteer, "学习二十大精神宣讲"), (parent, "少儿诵读班 · 第 1 课"), (applicant, "吕剧团")):
        client = fresh_client(app)
        login(client, person)
        assert header_count(client.get("/lectures/")) == "1"
        assert expected in visible_text(client.get("/messages/"))
    text = visible_text(client.get("/messages/"))
    assert text.index("您已成为吕剧团的队员") < text.index("已进入吕剧团的候补名单")  # newest first


def test_the_header_costs_one_query_and_nothing_for_visitors(app, now, count_queries):
    person = make_user()
    for _ in range(3):
        notifications.notify([person.id], NotificationKind.PAUSE_LIFTED, now=now)
    db.session.commit()
    visitor = fresh_client(app)
    with count_queries() as anonymous:
        visitor.get("/lectures/")
    assert not any("notifications" in s for s in anonymous)

    client = fresh_client(app)
    login(client, person)
    with count_queries() as statements:
        response = client.get("/lectures/")
    counting = [s for s in statements if "FROM notifications" in s]
    assert len(counting) == 1 and "count(" in counting[0].lower()
    assert header_count(response) == "3"
    notifications.notify([person.id] * 1, NotificationKind.PAUSE_LIFTED, now=now)
    for _ in range(99):
        notifications.notify([person.id], NotificationKind.PAUSE_LIFTED, now=now)
    db.session.commit()
    assert header_count(client.get("/lectures/")) == "99+"


def test_messages_are_marked_read_one_by_one_or_all_at_once(app, now):
    event = make_event(capacity=1, title="稷下学宫")
    resident = make_user("张桂芳")
    promote(event, resident, now)
    notifications.notify([resident.id], NotificationKind.PAUSE_LIFTED, now=now + timedelta(seconds=1))
    db.session.commit()
    seat_message, lifted = db.session.execute(
        sa.select(Notification).order_by(Notification.id)).scalars().all()
    client = fresh_client(app)
    login(client, resident)

    opened = client.post(f"/messages/{seat_message.id}/open")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/lectures/{event.id}")
    assert header_count(client.get("/")) == "1"
    marked = client.post(f"/messages/{lifted.id}/read")
    assert marked.status_code == 302 and f"#m{lifted.id}" in marked.headers["Location"]
    assert header_count(client.get("/")) is None

    notifications.notify([resident.id], NotificationKind.PAUSE_LIFTED, now=now)
    notifications.notify([resident.id], NotificationKind.PAUSE_LIFTED, now=now)
    db.session.commit()
    assert header_count(client.get("/")) == "2"
    response = client.post("/messages/read-all", follow_redirects=True)
    assert "所有消息已标为已读。" in alerts(response) and header_count(response) is None


def test_nobody_reads_or_marks_someone_elses_messages(app, now):
    owner, other = make_user(), make_user()
    [message] = notifications.notify([owner.id], NotificationKind.PAUSE_LIFTED, now=now)
    db.session.commit()
    client = fresh_client(app)
    login(client, other)
    assert client.post(f"/messages/{message.id}/read").status_code == 404
    assert client.post(f"/messages/{message.id}/open").status_code == 404
    assert client.post("/messages/99999999999/read").status_code == 404
    assert "没有" not in visible_text(client.get("/messages/")) or "还没有消息" in visible_text(client.get("/messages/"))
    assert db.session.get(Notification, message.id).read_at is None
    anonymous = fresh_client(app)
    assert anonymous.get("/messages/").status_code == 302


def test_messages_render_in_the_readers_language(app, now):
    event = make_event(capacity=1, title="稷下学宫")
    resident = make_user("张桂芳")
    promote(event, resident, now)
    client = fresh_client(app)
    login(client, resident)
    client.set_cookie("lang", "en")
    text = visible_text(client.get("/messages/"))
    assert "You have a seat: 稷下学宫" in text and "Messages" in text


def test_the_list_loads_in_a_constant_number_of_queries(app, now, count_queries):
    person = make_user()
    program = make_program()
    events = [make_event(program, title=f"讲座 {i}") for i in range(3)]

    def add(count):
        for index in range(count):
            notifications.notify([person.id], NotificationKind.EVENT_CANCELLED, now=now,
                                 event=events[index % 3], params={"title": "讲座"})
        db.session.commit()

    client = fresh_client(app)
    login(client, person)
    add(2)
    with count_queries() as few:
        client.get("/messages/")
    add(25)
    with count_queries() as many:
        response = client.get("/messages/")
    assert len(few) == len(many)
    assert visible_text(response).count("查看详情") == 27


# --- email settings -------------------------------------------------------------------------


def test_email_settings_are_optional_checked_and_saved(app):
    person = make_user()
    client = fresh_client(app)
    login(client, person)
    form = client.get("/account/notifications")
    assert "本社区暂未开通邮件" in visible_text(form)
    bad = client.post("/account/notifications", data={"email": "不是邮箱", "topics": ["places"], "language": "zh"})
    assert "请填写正确的邮箱地址" in visible_text(bad)
    assert notifications.settings_of(person) is None

    saved = client.post("/account/notifications", data={
        "email": "ＺＨＡＮＧ@example.org ", "topics": ["places", "reminders"], "language": "en",
    }, follow_redirects=True)
    assert "已保存" in visible_text(saved)
    settings = notifications.settings_of(person)
    assert settings.email == "ZHANG@example.org" and settings.language == "en"
    assert settings.email_topics_off == ["changes", "messages"]

    client.post("/account/notifications", data={"email": "", "language": "zh"})
    db.session.expire_all()
    assert notifications.settings_of(person).email is None


def test_a_calendar_alarm_goes_into_the_personal_feed(app, now):
    from services import feeds

    person = make_user()
    event = make_event(capacity=5)
    seat(event, person, now)
    token = feeds.reset_feed_token(person, now=now)
    db.session.commit()
    client = fresh_client(app)
    login(client, person)
    assert b"BEGIN:VALARM" not in client.get(f"/calendar/u/{token}.ics").data
    response = client.post("/account/calendar/alarm", data={"minutes": "60"}, follow_redirects=True)
    assert "日历会在您预约的每场活动前提醒您。" in alerts(response)
    body = client.get(f"/calendar/u/{token}.ics").data.decode()
    assert "BEGIN:VALARM" in body and "TRIGGER:-PT1H" in body and "ACTION:DISPLAY" in body
    client.post("/account/calendar/alarm", data={"minutes": "0"})
    assert b"BEGIN:VALARM" not in client.get(f"/calendar/u/{token}.ics").data
    assert client.post("/account/calendar/alarm", data={"minutes": "abc"}).status_code == 400


# --- organizers' messages -------------------------------------------------------------------


def test_an_organizer_checks_the_reach_then_sends_to_exactly_those_booked(app, now):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program = make_program(organizers=[organizer])
    event = make_event(program, capacity=1, title="稷下学宫")
    booked, waiting = make_user("张桂芳"), make_user("刘建华")
    seat(event, booked, now)
    seat(event, waiting, now, waitlist=True)
    elsewhere = make_user("别的项目的人")
    seat(make_event(make_program(name="别的讲堂"), capacity=5), elsewhere, now)

    client = fresh_client(app)
    login(client, organizer)
    assert "发消息" in visible_text(client.get(f"/lectures/{event.id}"))
    form = client.get(f"/messages/events/{event.id}/new")
    assert "已预约座位的人 (1 人)" in visible_text(form)
    check = client.post(f"/messages/events/{event.id}/new", data={"body": "请带上老花镜", "audiences": ["seats"]})
    assert "发送给 1 人" in visible_text(check)
    assert db.session.execute(sa.select(sa.func.count()).select_from(Notification)).scalar_one() == 0

    sent = client.post(f"/messages/events/{event.id}/new",
                       data={"body": "请带上老花镜", "audiences": ["seats"], "confirmed": "y"}, follow_redirects=True)
    assert "消息已发给 1 人。" in alerts(sent)
    assert "请带上老花镜" in visible_text(sent) and "发给 1 人" in visible_text(sent)
    [message] = db.session.execute(sa.select(Notification)).scalars().all()
    assert message.user_id == booked.id and message.kind is NotificationKind.ORGANIZER_MESSAGE

    again = client.post(f"/messages/events/{event.id}/new",
                        data={"body": "请带上老花镜", "audiences": ["seats"], "confirmed": "y"}, follow_redirects=True)
    assert any("没有重复发送" in a for a in alerts(again))

    reader = fresh_client(app)
    login(reader, booked)
    assert "请带上老花镜 —— 李秀兰" in visible_text(reader.get("/messages/"))
    for person in (waiting, elsewhere):
        other = fresh_client(app)
        login(other, person)
        assert header_count(other.get("/")) is None


def test_an_empty_message_or_no_group_is_refused_with_a_reason(app, now):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    event = make_event(make_program(organizers=[organizer]), capacity=5)
    client = fresh_client(app)
    login(client, organizer)
    empty = client.post(f"/messages/events/{event.id}/new", data={"body": "  ", "audiences": ["seats"], "confirmed": "y"})
    assert "请填写消息内容。" in visible_text(empty)
    nobody = client.post(f"/messages/events/{event.id}/new", data={"body": "你好", "confirmed": "y"})
    assert "请选择发给谁。" in visible_text(nobody)
    none_there = client.post(f"/messages/events/{event.id}/new",
                             data={"body": "你好", "audiences": ["waiting"], "confirmed": "y"})
    assert "您选择的人群里没有人" in visible_text(none_there)
    too_long = client.post(f"/messages/events/{event.id}/new", data={"body": "长" * 501, "audiences": ["seats"]})
    assert "最多 500 个字。" in visible_text(too_long)
    forged = client.post(f"/messages/events/{event.id}/new", data={"body": "你好", "audiences": ["everyone"]})
    assert forged.status_code == 200 and db.session.execute(sa.select(OrganizerMessage)).first() is None


def test_only_organizers_of_the_program_and_a_troupes_leader_write_to_its_people(app, now):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    stranger = make_user("别的组织者", roles=(Role.RESIDENT, Role.ORGANIZER))
    resident = make_user("居民")
    event = make_event(make_program(organizers=[organizer]), capacity=5)
    leader = make_user("韩秀梅")
    troupe = make_troupe("吕剧团", leader=leader)
    performance = make_event(troupe, capacity=5, title="吕剧专场")
    for person, url, expected in ((stranger, f"/messages/events/{event.id}/new", 403),
                                  (resident, f"/messages/events/{event.id}/new", 403),
                                  (leader, f"/messages/events/{performance.id}/new", 200),
                                  (leader, f"/messages/events/{event.id}/new", 403),
                                  (organizer, "/messages/events/999999/new", 404)):
        client = fresh_client(app)
        login(client, person)
        assert client.get(url).status_code == expected, (person.display_name, url)


def test_the_admin_sees_failed_emails_and_can_retry_them(app, now):
    from models import Delivery, DeliveryStatus

    admin = make_user("王建国", roles=(Role.RESIDENT, Role.ADMIN))
    person = make_user("张桂芳")
    app.config["MAIL_SERVER"] = "127.0.0.1"
    from tests.conftest import give_email

    give_email(person, "gone@example.org")
    notifications.password_was_reset(person, now=now)
    db.session.commit()
    delivery = db.session.execute(sa.select(Delivery)).scalar_one()
    delivery.status, delivery.attempts, delivery.last_error = DeliveryStatus.FAILED, 5, "550 Mailbox unavailable"
    db.session.commit()

    resident = fresh_client(app)
    login(resident, person)
    assert resident.get("/admin/notifications").status_code == 403
    client = fresh_client(app)
    login(client, admin)
    text = visible_text(client.get("/admin/notifications"))
    assert "gone@example.org" in text and "550 Mailbox unavailable" in text and "您的密码已被重置" in text
    response = client.post(f"/admin/notifications/{delivery.id}/retry", follow_redirects=True)
    assert "发往 gone@example.org 的邮件将重新发送。" in alerts(response)
    db.session.expire_all()
    assert db.session.get(Delivery, delivery.id).status is DeliveryStatus.PENDING
