"""Email delivery against a real SMTP server (aiosmtpd) started by the test: exactly once,
also with two workers at once; refused deliveries retried with backoff, then failed."""
from __future__ import annotations

import threading
from datetime import timedelta

import sqlalchemy as sa

import jobs
from models import Delivery, DeliveryStatus, db
from services import booking, outbox
from tests.conftest import give_email, make_event, make_user

SITE = "https://linli.test"


def deliveries() -> list[Delivery]:
    db.session.expire_all()
    return list(db.session.execute(sa.select(Delivery).order_by(Delivery.id)).scalars())


def promote_someone(title="临淄齐国故城的城郭与街巷", email="zhang@example.org", language="zh"):
    """A resident with an email address moves up from the waiting list; returns her."""
    event = make_event(capacity=1, title=title)
    holder, waiting = make_user("刘建华"), make_user("张桂芳")
    give_email(waiting, email, language=language)
    first = booking.book_seat(event, holder, now=event.created_at)
    booking.book_seat(event, waiting, now=event.created_at, waitlist=True)
    db.session.commit()
    booking.cancel_booking(first, now=event.created_at)
    db.session.commit()
    return waiting, event


def test_the_promotion_email_arrives_once_in_the_persons_language_with_a_link(app, smtp_server):
    waiting, event = promote_someone()
    [delivery] = deliveries()
    assert delivery.status is DeliveryStatus.PENDING and delivery.address == "zhang@example.org"

    result = jobs.deliver_until_idle(worker="w1", site=SITE)
    assert (result.sent, result.failed, result.retrying) == (1, 0, 0)
    assert jobs.deliver_until_idle(worker="w1", site=SITE).handled == 0  # nothing left
    [message] = smtp_server.messages
    assert message["To"] == "zhang@example.org"
    assert "临淄齐国故城的城郭与街巷" in message["Subject"] and message["Subject"].startswith("邻里")
    text = message.get_body(("plain",)).get_content()
    html = message.get_body(("html",)).get_content()
    link = f"{SITE}/lectures/{event.id}"
    assert "张桂芳，您好" in text and link in text and "/account/notifications" in text
    assert f'href="{link}"' in html and "您有座位了" in html
    [sent] = deliveries()
    assert sent.status is DeliveryStatus.SENT and sent.attempts == 1 and sent.sent_at is not None


def test_english_readers_get_english_email(app, smtp_server):
    promote_someone(email="en@example.org", language="en")
    jobs.deliver_until_idle(worker="w1", site=SITE)
    [message] = smtp_server.messages
    assert message["Subject"] == "Linli: You have a seat: 临淄齐国故城的城郭与街巷"
    assert "Dear 张桂芳," in message.get_body(("plain",)).get_content()


def test_two_workers_started_together_send_each_email_once(app, smtp_server):
    smtp_server.delay = 0.05  # each letter takes a moment, so the workers overlap
    people = []
    for index in range(12):
        event = make_event(capacity=1, title=f"讲座 {index}")
        holder, waiting = make_user(), make_user(f"候补{index}")
        give_email(waiting, f"waiting{index}@example.org")
        first = booking.book_seat(event, holder, now=event.created_at)
        booking.book_seat(event, waiting, now=event.created_at, waitlist=True)
        db.session.commit()
        booking.cancel_booking(first, now=event.created_at)
        db.session.commit()
        people.append(waiting)
    start = threading.Barrier(2)
    results, errors = {}, []

    def work(name):
        try:
            with app.app_context():
                start.wait()
                results[name] = jobs.deliver_until_idle(worker=name, site=SITE, batch=3)
        except Exception as error:  # reported below
            errors.append(error)

    threads = [threading.Thread(target=work, args=(name,)) for name in ("worker-a", "worker-b")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    received = sorted(m["To"] for m in smtp_server.messages)
    assert received == sorted(f"waiting{i}@example.org" for i in range(12))  # each exactly once
    assert results["worker-a"].sent + results["worker-b"].sent == 12
    rows = deliveries()
    assert {d.status for d in rows} == {DeliveryStatus.SENT} and {d.attempts for d in rows} == {1}
    assert {d.claimed_by for d in rows} == {"worker-a", "worker-b"}  # both worked, on different rows


def test_a_refused_delivery_is_retried_with_backoff_then_failed(app, smtp_server, time_machine):
    smtp_server.refuse.add("gone@example.org")
    app.config.update(NOTIFY_MAX_ATTEMPTS=3, NOTIFY_RETRY_SECONDS=60)
    promote_someone(email="gone@example.org")
    promote_someone(title="稷下学宫", email="fine@example.org")

    first = jobs.deliver_until_idle(worker="w1", site=SITE)
    assert (first.sent, first.retrying, first.failed) == (1, 1, 0)
    assert "550" in first.errors[0]
    refused = deliveries()[0]
    assert refused.status is DeliveryStatus.PENDING and refused.attempts == 1
    assert "550" in refused.last_error
    # A minute after the failed try (which comes a moment after the claim, however slow the machine).
    waited = refused.next_attempt_at - refused.claimed_at
    assert timedelta(seconds=60) <= waited <= timedelta(seconds=90)

    assert jobs.deliver_until_idle(worker="w1", site=SITE).handled == 0  # not due yet
    time_machine.move_to(refused.next_attempt_at + timedelta(seconds=1), tick=True)
    assert jobs.deliver_until_idle(worker="w1", site=SITE).retrying == 1
    second = deliveries()[0]
    assert second.attempts == 2
    assert timedelta(seconds=120) <= second.next_attempt_at - second.claimed_at <= timedelta(seconds=150)

    time_machine.move_to(second.next_attempt_at + timedelta(seconds=1), tick=True)
    assert jobs.deliver_until_idle(worker="w1", site=SITE).failed == 1
    final = deliveries()[0]
    assert final.status is DeliveryStatus.FAILED and final.attempts == 3
    assert [m["To"] for m in smtp_server.messages] == ["fine@example.org"]
    assert outbox.status_counts()[DeliveryStatus.FAILED] == 1

    outbox.retry(final, now=final.claimed_at)  # the administrator's button
    db.session.commit()
    smtp_server.refuse.clear()
    assert jobs.deliver_until_idle(worker="w1", site=SITE).sent == 1
    assert deliveries()[0].status is DeliveryStatus.SENT


def test_a_claim_left_by_a_dead_worker_is_taken_over_after_the_lease(app, smtp_server, time_machine):
    promote_someone()
    from services.dates import now_utc

    [claimed] = outbox.claim(worker="dead", now=now_utc(), limit=10)
    db.session.commit()
    assert jobs.deliver_until_idle(worker="alive", site=SITE).handled == 0  # still leased
    time_machine.move_to(now_utc() + outbox.LEASE + timedelta(seconds=5), tick=True)
    assert jobs.deliver_until_idle(worker="alive", site=SITE).sent == 1
    [row] = deliveries()
    assert row.id == claimed and row.claimed_by == "alive" and row.attempts == 2
    assert outbox.record_sent(row.id, worker="dead", now=now_utc()) is False  # its claim is gone


def test_the_worker_command_sends_once_and_says_so(app, smtp_server):
    promote_someone()
    runner = app.test_cli_runner()
    assert runner.invoke(args=["notifications", "run", "--once"]).output.strip() == "1 sent, 0 to retry, 0 failed."
    assert runner.invoke(args=["notifications", "run", "--once"]).output.strip() == "0 sent, 0 to retry, 0 failed."
    assert len(smtp_server.messages) == 1
    status = runner.invoke(args=["notifications", "status"]).output
    assert "127.0.0.1" in status and "1 sent" in status


def test_without_a_mail_server_the_worker_says_email_goes_nowhere(app):
    output = app.test_cli_runner().invoke(args=["notifications", "run", "--once"]).output
    assert "not configured" in output and "no email goes anywhere" in output
