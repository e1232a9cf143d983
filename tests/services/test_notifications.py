"""Telling people what happened: which changes write which messages, to whom, once."""
from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from models import (
    AttendanceStatus, Booking, BookingStatus, Delivery, Notification, NotificationKind, ProgramKind, Role,
    TroupeMembership, TroupeMembershipStatus, db,
)
from services import events as event_service
from services import (
    attendance, booking, lectures, membership, no_shows, notifications, shifts, troupes, youth,
)
from services.errors import EventFull
from services.notification_texts import render
from tests.conftest import (
    give_email, make_child, make_event, make_member, make_program, make_role, make_team, make_troupe,
    make_user, make_venue, make_youth_program,
)

K = NotificationKind


def messages_of(user, kind=None) -> list[Notification]:
    query = sa.select(Notification).where(Notification.user_id == user.id).order_by(Notification.id)
    if kind is not None:
        query = query.where(Notification.kind == kind)
    return list(db.session.execute(query).scalars())


def all_messages() -> list[Notification]:
    return list(db.session.execute(sa.select(Notification).order_by(Notification.id)).scalars())


def text_of(notification, language="zh"):
    with force_locale(language):
        return render(notification)


# --- waiting list → place -------------------------------------------------------------


def test_a_cancelled_seat_tells_the_next_in_line_once(app, now):
    event = make_event(capacity=1, title="临淄齐国故城的城郭与街巷")
    holder, waiting, later = make_user("刘建华"), make_user("张桂芳"), make_user("王德顺")
    first = booking.book_seat(event, holder, now=now)
    booking.book_seat(event, waiting, now=now, waitlist=True)
    booking.book_seat(event, later, now=now, waitlist=True)
    db.session.commit()
    assert all_messages() == []

    booking.cancel_booking(first, now=now)
    db.session.commit()

    [message] = all_messages()
    assert message.user_id == waiting.id and message.kind is K.SEAT_CONFIRMED
    assert message.event_id == event.id and message.read_at is None
    zh, en = text_of(message), text_of(message, "en")
    assert "临淄齐国故城的城郭与街巷" in zh.title and "临淄齐国故城的城郭与街巷" in en.title
    seat = db.session.execute(sa.select(Booking).where(Booking.user_id == waiting.id)).scalar_one()
    assert seat.display_code in zh.body
    assert zh.title.startswith("您") and en.title.startswith("You have a seat")


def test_more_seats_tell_everyone_promoted_and_nobody_twice(app, now):
    event = make_event(capacity=1)
    people = [make_user(f"居民{i}") for i in range(4)]
    for person in people:
        booking.book_seat(event, person, now=now, waitlist=True)
    db.session.commit()
    changes = event_service.EventChanges(
        title=event.title, speaker="", summary="", series=None, venue=None, starts_at=event.starts_at,
        ends_at=event.ends_at, capacity=3, booking_cutoff_minutes=60,
    )
    promoted = event_service.edit_event(event, changes, actor=None, now=now).promoted
    db.session.commit()
    assert [b.user_id for b in promoted] == [people[1].id, people[2].id]
    assert sorted(m.user_id for m in all_messages()) == [people[1].id, people[2].id]
    assert {m.kind for m in all_messages()} == {K.SEAT_CONFIRMED}


def test_a_change_rolled_back_leaves_no_message(app, now):
    event = make_event(capacity=1)
    holder, waiting = make_user(), make_user()
    first = booking.book_seat(event, holder, now=now)
    booking.book_seat(event, waiting, now=now, waitlist=True)
    db.session.commit()
    booking.cancel_booking(first, now=now)
    db.session.rollback()
    assert all_messages() == []
    assert db.session.get(Booking, first.id).status is BookingStatus.CONFIRMED


def test_a_role_freed_goes_to_the_waiting_volunteer_with_a_message(app, now):
    team = make_team()
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    holder, waiting = make_member(team, "陈玉兰"), make_member(team, "王德顺")
    talk = make_event(team, capacity=0, title="学习二十大精神宣讲", starts_in=timedelta(days=5))
    role = make_role(talk, "摄影", 1)
    first = shifts.sign_up(role, holder, now=now)
    shifts.sign_up(role, waiting, now=now, waitlist=True)
    db.session.commit()

    shifts.release(first, organizer, "临时有事，由王德顺接替", now=now)
    db.session.commit()

    released = messages_of(holder, K.SHIFT_RELEASED)
    assert len(released) == 1 and "临时有事" in text_of(released[0]).body
    [moved_up] = messages_of(waiting)
    assert moved_up.kind is K.ROLE_CONFIRMED
    assert "摄影" in text_of(moved_up).title and "学习二十大精神宣讲" in text_of(moved_up).title


def test_a_childs_place_freed_tells_the_parent(app, now):
    program = make_youth_program(min_age=6, max_age=12)
    event = make_event(program, capacity=1, title="少儿诵读班 · 第 1 课")
    first_parent, second_parent = make_user("冯晓梅"), make_user("褚卫东")
    first = youth.book_class(event, make_child(first_parent, "小明"), first_parent, now=now)
    youth.book_class(event, make_child(second_parent, "小雨"), second_parent, now=now, waitlist=True)
    db.session.commit()

    booking.cancel_booking(first, now=now)
    db.session.commit()

    [message] = all_messages()
    assert message.user_id == second_parent.id and message.kind is K.CHILD_PLACE_CONFIRMED
    assert "小雨" in text_of(message).title and "少儿诵读班 · 第 1 课" in text_of(message).title


def test_a_troupe_place_freed_makes_the_waiting_person_a_member_and_says_so(app, now):
    leader = make_user("韩秀梅")
    program = make_troupe("吕剧团", leader=leader, member_limit=1)
    member, waiting = make_user("刘建华"), make_user("孙秀英")
    first = troupes.apply(program, member, note="", now=now)
    second = troupes.apply(program, waiting, note="", now=now)
    troupes.approve(first, by=leader, now=now)
    troupes.approve(second, by=leader, now=now)
    db.session.commit()
    assert [m.kind for m in messages_of(member)] == [K.MEMBERSHIP_APPROVED]
    [waitlisted] = messages_of(waiting)
    assert waitlisted.kind is K.MEMBERSHIP_WAITLISTED and waitlisted.params["position"] == 1
    assert "1" in text_of(waitlisted).body

    troupes.leave(first, now=now)
    db.session.commit()
    promoted = messages_of(waiting, K.MEMBERSHIP_PROMOTED)
    assert len(promoted) == 1 and "吕剧团" in text_of(promoted[0]).title
    assert db.session.get(TroupeMembership, second.id).status is TroupeMembershipStatus.MEMBER


def test_troupe_and_team_decisions_are_told_with_the_reason(app, now):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    team = make_team(organizers=[organizer])
    yes, no = make_user("陈玉兰"), make_user("王德顺")
    accepted = membership.apply_to_join(team, yes, "", now=now)
    declined = membership.apply_to_join(team, no, "", now=now)
    membership.approve(accepted, organizer, now=now)
    membership.decline(declined, organizer, "本期名额已满，下期欢迎再报", now=now)
    program = make_troupe("太极拳队", leader=organizer)
    application = troupes.apply(program, no, note="", now=now)
    troupes.decline(application, reason="请先参加体验课", by=organizer, now=now)
    db.session.commit()

    assert [m.kind for m in messages_of(yes)] == [K.MEMBERSHIP_APPROVED]
    team_no, troupe_no = messages_of(no)
    assert "本期名额已满" in text_of(team_no).body and "蒲公英宣讲队" in text_of(team_no).body
    assert "请先参加体验课" in text_of(troupe_no).body and troupe_no.program_id == program.id


# --- cancelled and moved ----------------------------------------------------------------


def test_a_cancelled_event_tells_everyone_with_a_stake_and_nobody_else(app, now):
    program = make_youth_program(name="家庭教育读书会", min_age=0, max_age=18)
    event = make_event(program, capacity=2, title="亲子共读")
    seat, waiting, parent = make_user("刘建华"), make_user("孙秀英"), make_user("冯晓梅")
    volunteer = make_user("陈玉兰", roles=(Role.RESIDENT, Role.VOLUNTEER))
    bystander, cancelled = make_user("路人"), make_user("取消了的人")
    booking.book_seat(event, seat, now=now)
    youth.book_class(event, make_child(parent, "小明"), parent, now=now)
    youth.book_class(event, make_child(parent, "小雨"), parent, now=now, waitlist=True)
    booking.book_seat(event, waiting, now=now, waitlist=True)
    gone = booking.book_seat(event, cancelled, now=now, waitlist=True)
    booking.cancel_booking(gone, now=now)
    shifts.sign_up(make_role(event, "签到", 1), volunteer, now=now)
    other = make_event(make_program(), title="别的讲座")
    booking.book_seat(other, bystander, now=now)
    db.session.commit()

    event_service.cancel_event(event, "场地维修", actor=None, now=now)
    db.session.commit()

    told = sorted(m.user_id for m in all_messages())
    assert told == sorted([seat.id, waiting.id, parent.id, volunteer.id])  # the parent once
    message = messages_of(seat)[0]
    assert message.kind is K.EVENT_CANCELLED and "场地维修" in text_of(message).body
    assert "亲子共读" in text_of(message).title
    event_service.cancel_event(event, "场地维修", actor=None, now=now)  # cancelling again tells nobody again
    assert len(all_messages()) == 4


def test_a_cancelled_rehearsal_tells_the_troupes_members(app, now):
    from services import schedules
    from services.dates import to_local

    leader = make_user("韩秀梅")
    program = make_troupe("吕剧团", leader=leader)
    member, outsider = make_user("刘建华"), make_user("路人")
    application = troupes.apply(program, member, note="", now=now)
    troupes.approve(application, by=leader, now=now)
    start = to_local(now + timedelta(days=2))
    plan = schedules.WeeklyPlan(
        title="排练", weekdays=frozenset({start.weekday()}), start_time=start.replace(hour=9, minute=0).time(),
        end_time=start.replace(hour=11, minute=0).time(), first_day=start.date(), last_day=start.date(),
        include_days=frozenset({start.date()}),  # held even if the day is a public holiday
    )
    [rehearsal] = troupes.add_rehearsals(program, plan, actor=None, now=now).events
    db.session.commit()

    event_service.cancel_event(rehearsal, "下雨", actor=leader, now=now)
    db.session.commit()
    [message] = messages_of(member, K.EVENT_CANCELLED)
    assert "下雨" in text_of(message).body
    assert messages_of(outsider) == []


def test_a_moved_lecture_says_where_and_when_now_and_before(app, now):
    hall, room = make_venue("多功能厅"), make_venue("城市书房")
    event = make_event(capacity=5, title="稷下学宫")
    event.venue = hall
    db.session.commit()
    person = make_user()
    booking.book_seat(event, person, now=now)
    db.session.commit()

    def edit(**changes):
        values = dict(title=event.title, speaker=event.speaker, summary=event.summary, series=None,
                      venue=event.venue, starts_at=event.starts_at, ends_at=event.ends_at, capacity=5,
                      booking_cutoff_minutes=60)
        values.update(changes)
        event_service.edit_event(event, event_service.EventChanges(**values), actor=None, now=now)
        db.session.commit()

    edit(title="稷下学宫：百家争鸣的讲堂", speaker="孙立民")
    assert all_messages() == []  # a new title is no move

    old_start = event.starts_at
    edit(venue=room, starts_at=old_start + timedelta(hours=1), ends_at=event.ends_at + timedelta(hours=1))
    [message] = messages_of(person)
    assert message.kind is K.EVENT_MOVED
    with force_locale("zh"):
        from services.dates import format_when

        body = render(message).body
        assert "城市书房" in body and "多功能厅" in body
        assert format_when(old_start + timedelta(hours=1)) in body and format_when(old_start) in body


# --- the booking pause -------------------------------------------------------------------


def test_the_no_show_that_reaches_the_limit_pauses_with_one_message_and_an_excuse_lifts_it(app, now, time_machine):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program = make_program(organizers=[organizer])
    person, present = make_user("爽约的人"), make_user("来了的人")
    events = []
    for days_ago in (20, 10, 5):
        start = now - timedelta(days=days_ago)
        event = event_service.new_event(program, title=f"讲座 {days_ago}", starts_at=start,
                                   ends_at=start + timedelta(hours=1), capacity=5,
                                   booking_cutoff=timedelta(hours=1), now=start - timedelta(days=3))
        db.session.flush()
        for who in (person, present):
            db.session.add(Booking(quota_id=event.seat_quota_id, event_id=event.id, user_id=who.id,
                                   status=BookingStatus.CONFIRMED, created_at=start - timedelta(days=2),
                                   confirmed_at=start - timedelta(days=2)))
        events.append(event)
    db.session.commit()
    for event in events:
        present_booking = db.session.execute(
            sa.select(Booking).where(Booking.event_id == event.id, Booking.user_id == present.id)).scalar_one()
        attendance.mark_booking(event, present_booking.id, AttendanceStatus.PRESENT, actor=organizer, now=now)
        db.session.commit()

    [paused] = messages_of(person, K.BOOKING_PAUSED)
    assert "3" in text_of(paused).body
    assert messages_of(present) == []
    no_shows.mark_no_shows(now=now)  # the nightly sweep finds nothing new to say
    db.session.commit()
    assert len(messages_of(person, K.BOOKING_PAUSED)) == 1

    missed = db.session.execute(
        sa.select(Booking).where(Booking.event_id == events[-1].id, Booking.user_id == person.id)).scalar_one()
    attendance.excuse(events[-1], missed.id, "住院", actor=organizer, now=now)
    db.session.commit()
    assert [m.kind for m in messages_of(person)] == [K.BOOKING_PAUSED, K.PAUSE_LIFTED]
    assert no_shows.paused_until(person.id, now=now) is None


def test_absences_marked_during_the_event_pause_when_the_nightly_sweep_runs(app, now):
    organizer = make_user("李秀兰", roles=(Role.RESIDENT, Role.ORGANIZER))
    program = make_program(organizers=[organizer])
    person, present = make_user("爽约的人"), make_user("来了的人")

    def held(starts_in):
        event = make_event(program, starts_in=starts_in, length=timedelta(hours=1), now=now)
        bookings = {}
        for who in (person, present):
            bookings[who.id] = Booking(quota_id=event.seat_quota_id, event_id=event.id, user_id=who.id,
                                       status=BookingStatus.CONFIRMED, created_at=now - timedelta(days=40),
                                       confirmed_at=now - timedelta(days=40))
            db.session.add(bookings[who.id])
        db.session.commit()
        return event, bookings

    for days_ago in (30, 20):  # two no-shows, written when the organizer takes attendance afterwards
        event, bookings = held(-timedelta(days=days_ago))
        attendance.mark_booking(event, bookings[present.id].id, AttendanceStatus.PRESENT, actor=organizer, now=now)
        db.session.commit()
    assert messages_of(person) == []  # two are not the limit

    # The third: marked absent while it was on; nothing is written when it ends.
    event, bookings = held(-timedelta(hours=3))
    attendance.mark_booking(event, bookings[person.id].id, AttendanceStatus.ABSENT, actor=organizer,
                            now=event.starts_at + timedelta(minutes=10))
    db.session.commit()
    assert messages_of(person) == []
    assert no_shows.paused_until(person.id, now=now) is not None  # a fact since its end

    no_shows.mark_no_shows(now=now)  # the nightly sweep notices, and says so once
    no_shows.mark_no_shows(now=now)
    db.session.commit()
    assert [m.kind for m in messages_of(person)] == [K.BOOKING_PAUSED]
    assert messages_of(present) == []


# --- account notices, email settings ----------------------------------------------------


def test_email_deliveries_follow_the_persons_choices_and_the_site_setup(app, now):
    event = make_event(capacity=1)
    chooser, quiet, without = make_user("要邮件的人"), make_user("不要提醒的人"), make_user("没有邮箱的人")
    give_email(chooser, "chooser@example.org")
    give_email(quiet, "quiet@example.org", topics=("reminders",))
    for person in (chooser, quiet, without):
        booking.book_seat(event, person, now=now, waitlist=True)
    db.session.commit()

    event_service.cancel_event(event, "停电", actor=None, now=now)  # email isn't configured: no deliveries
    db.session.commit()
    assert len(all_messages()) == 3
    assert db.session.execute(sa.select(sa.func.count()).select_from(Delivery)).scalar_one() == 0

    app.config["MAIL_SERVER"] = "127.0.0.1"
    other = make_event(capacity=0)
    for person in (chooser, quiet, without):
        booking.book_seat(other, person, now=now, waitlist=True)
    event_service.cancel_event(other, "停电", actor=None, now=now)
    db.session.commit()
    [delivery] = db.session.execute(sa.select(Delivery)).scalars().all()
    assert delivery.address == "chooser@example.org" and delivery.channel == "email"
    assert delivery.notification.user_id == chooser.id


def test_deactivation_is_emailed_even_though_the_account_is_closed(app, now):
    app.config["MAIL_SERVER"] = "127.0.0.1"
    person = make_user()
    give_email(person, "closed@example.org", topics=())
    person.is_active_account = False
    notifications.account_deactivated(person, now=now)
    event = make_event(capacity=0)
    booking.book_seat(event, make_user(), now=now, waitlist=True)
    db.session.add(Booking(quota_id=event.seat_quota_id, event_id=event.id, user_id=person.id,
                           status=BookingStatus.WAITLISTED, created_at=now, waitlisted_at=now))
    db.session.flush()
    event_service.cancel_event(event, "停电", actor=None, now=now)
    notifications.password_was_reset(make_user(), now=now)
    db.session.commit()
    [delivery] = db.session.execute(sa.select(Delivery)).scalars().all()
    assert delivery.notification.kind is K.ACCOUNT_DEACTIVATED and delivery.address == "closed@example.org"
    assert "deactivated" in text_of(delivery.notification, "en").title


def test_a_changed_email_address_moves_waiting_deliveries_and_a_removed_one_drops_them(app, now):
    app.config["MAIL_SERVER"] = "127.0.0.1"
    person = make_user()
    give_email(person, "old@example.org")
    notifications.password_was_reset(person, now=now)
    db.session.commit()
    give_email(person, "new@example.org")
    assert db.session.execute(sa.select(Delivery.address)).scalar_one() == "new@example.org"
    notifications.save_email_settings(person, email=None, topics_on=(), language="zh", now=now)
    db.session.commit()
    assert db.session.execute(sa.select(sa.func.count()).select_from(Delivery)).scalar_one() == 0


def test_every_kind_renders_in_both_languages(app, now):
    person = make_user()
    params = {"title": "讲座", "starts_at": now, "was_starts_at": now, "place": "", "was_place": "城市书房",
              "reason": "原因", "role": "摄影", "child": "小明", "ticket": "1234 5678", "program": "吕剧团",
              "position": 2, "until_at": now, "count": 3, "days": 90, "at": now, "body": "请带老花镜",
              "sender": "李秀兰"}
    for kind in NotificationKind:
        [message] = notifications.notify([person.id], kind, now=now, params=params)
        for language in ("zh", "en"):
            text = text_of(message, language)
            assert text.title and text.body and "%(" not in text.title + text.body, (kind, language)
    assert "待定" in text_of(messages_of(person, K.EVENT_MOVED)[0]).body  # no place: to be announced


def test_unread_count_reads_the_partial_index(app, now):
    person = make_user()
    notifications.notify([person.id], K.PAUSE_LIFTED, now=now)
    db.session.commit()
    assert notifications.unread_count(person.id) == 1
    if db.engine.dialect.name == "sqlite":
        plan = " ".join(str(row) for row in db.session.execute(sa.text(
            "EXPLAIN QUERY PLAN SELECT count(*) FROM notifications WHERE user_id = :u AND read_at IS NULL"
        ), {"u": person.id}))
        assert "ix_notifications_unread" in plan
    notifications.mark_all_read(person, now=now)
    db.session.commit()
    assert notifications.unread_count(person.id) == 0


def test_the_demo_leaves_a_few_unread_messages_for_the_resident_and_the_volunteer(app):
    import demo
    from services import accounts

    demo.seed()
    db.session.commit()
    for phone in ("13900000001", "13900000003"):  # 张桂芳, 陈玉兰
        person = accounts.find_by_phone(phone)
        unread = [m for m in messages_of(person) if m.read_at is None]
        assert 2 <= len(unread) <= 6
        assert NotificationKind.ORGANIZER_MESSAGE in {m.kind for m in unread}
        assert not {m.kind for m in unread} & {K.MEMBERSHIP_APPROVED, K.MEMBERSHIP_WAITLISTED}
