"""Emails sent in batches over one connection: each marked sent as it goes, so a crash
repeats at most the one in flight; on PostgreSQL the marks do not wait for the disk (unless
OUTBOX_DURABLE_SENT_MARKS), and two workers given the same batch send each email once."""

import threading
import time

import pytest
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend
from django.db import connection
from django.test.utils import CaptureQueriesContext

from outbox.models import Email
from outbox.services import send_emails
from tests.services import SMTPServer, broker, celery_workers, wait_for


def make_emails(n: int, prefix: str = "b") -> list[int]:
    return [
        Email.objects.create(
            key=f"{prefix}-{i}", to=f"person{i}@example.org", subject="S", body_text="B"
        ).pk
        for i in range(n)
    ]


class CheckingBackend(EmailBackend):
    """Records, as each message goes, which emails the database already holds as sent."""

    seen: list[int] = []

    def send_messages(self, messages):
        CheckingBackend.seen.append(Email.objects.filter(status="sent").count())
        return super().send_messages(messages)


@pytest.mark.django_db
def test_each_email_of_a_batch_is_marked_sent_before_the_next_goes(settings):
    settings.EMAIL_BACKEND = "tests.outbox.test_batches.CheckingBackend"
    CheckingBackend.seen = []
    ids = make_emails(5)
    assert send_emails(ids) == 5
    # When the k-th message went, the k-1 before it were already marked: a crash at any
    # moment repeats at most the message in flight.
    assert CheckingBackend.seen == [0, 1, 2, 3, 4]
    assert len(mail.outbox) == 5
    assert set(Email.objects.values_list("status", flat=True)) == {"sent"}


def _statements(queries, text: str) -> int:
    return sum(1 for q in queries if text in q["sql"])


@pytest.mark.django_db
def test_on_postgresql_the_marks_do_not_wait_for_the_disk_and_the_setting_is_put_back():
    ids = make_emails(3)
    with CaptureQueriesContext(connection) as queries:
        assert send_emails(ids) == 3
    marks = _statements(queries.captured_queries, 'UPDATE "outbox_email" SET "sealed"')
    assert marks == 3  # one update per email, never one for the whole batch
    if connection.vendor == "postgresql":
        assert _statements(queries.captured_queries, "SET synchronous_commit TO OFF") == 1
        assert _statements(queries.captured_queries, "RESET synchronous_commit") == 1
        with connection.cursor() as cursor:
            cursor.execute("SHOW synchronous_commit")
            assert cursor.fetchone()[0] == "on"  # the rest of the worker's work waits as before
    else:
        assert _statements(queries.captured_queries, "synchronous_commit") == 0


@pytest.mark.django_db
def test_with_durable_marks_each_commit_waits_for_the_disk(settings):
    settings.OUTBOX_DURABLE_SENT_MARKS = True
    ids = make_emails(2)
    with CaptureQueriesContext(connection) as queries:
        assert send_emails(ids) == 2
    assert _statements(queries.captured_queries, "synchronous_commit") == 0
    assert len(mail.outbox) == 2


@pytest.mark.django_db
def test_a_batch_partly_claimed_by_another_worker_sends_only_the_rest():
    from django.utils import timezone

    ids = make_emails(4)
    Email.objects.filter(pk__in=ids[:2]).update(status="sending", claimed_at=timezone.now())
    assert send_emails(ids) == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["person2@example.org", "person3@example.org"]
    assert send_emails(ids) == 0  # asked again: nothing more goes


# With real worker processes, Redis and an SMTP server -------------------------------------


@pytest.fixture
def redis_broker():
    from tests.services import RedisServer

    server = RedisServer()
    with broker(server.url, {"socket_timeout": 2, "socket_connect_timeout": 2}):
        yield server
    server.stop()


@pytest.mark.django_db(transaction=True)
def test_two_workers_given_the_same_batch_send_each_email_once(redis_broker):
    from outbox.tasks import send_emails_task

    people = 30
    ids = make_emails(people, "twice")
    smtp = SMTPServer(on_message=lambda envelope: time.sleep(0.03))  # so the two overlap
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}"}
    try:
        with celery_workers(redis_broker.url, count=2, extra_env=env):
            for _ in range(3):  # the same batch, as a sweeper and a retry might both send it
                send_emails_task.delay(ids)
            wait_for(lambda: Email.objects.filter(status="sent").count() == people, timeout=60)
            time.sleep(2)  # anything sent twice would arrive now
    finally:
        smtp.stop()
    recipients = smtp.recipients()
    assert sorted(recipients) == sorted(f"person{i}@example.org" for i in range(people))


@pytest.mark.django_db(transaction=True)
def test_a_worker_killed_in_the_middle_of_a_batch_loses_none_and_repeats_none(redis_broker):
    from outbox.tasks import resend_pending_emails_task, send_emails_task
    from tests.services import kill_hard

    people = 25
    ids = make_emails(people, "kill")
    crash_now, resume = threading.Event(), threading.Event()

    def stall_at_the_tenth(envelope):
        # The 11th message: the worker is killed while it waits for the server's answer,
        # which never comes (the server then sees the client gone and answers no one).
        if len(smtp.messages) == 10 and not crash_now.is_set():
            crash_now.set()
            resume.wait(20)

    smtp = SMTPServer(on_message=stall_at_the_tenth)
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "OUTBOX_LEASE_SECONDS": "3"}
    try:
        with celery_workers(redis_broker.url, extra_env=env) as first:
            send_emails_task.delay(ids)
            assert crash_now.wait(30), "the worker never reached the 11th email"
            kill_hard(first[0])
            resume.set()
        assert len(smtp.messages) == 10
        assert Email.objects.filter(status="sent").count() == 10  # each marked as it went

        with celery_workers(redis_broker.url, extra_env=env):
            time.sleep(3.5)  # the dead worker's claim on the rest runs out
            resend_pending_emails_task.delay()
            wait_for(lambda: len(smtp.messages) >= people, timeout=60)
            time.sleep(2)  # anything sent twice would arrive now
    finally:
        smtp.stop()
    recipients = smtp.recipients()
    assert len(recipients) == people
    assert len(set(recipients)) == people  # none twice, none lost
    assert Email.objects.filter(status="sent").count() == people


@pytest.mark.django_db
def test_a_text_and_html_email_arrives_whole_with_its_own_boundary(smtp):
    from tests.outbox.conftest import text_of

    ids = [
        Email.objects.create(
            key=f"mime-{i}",
            to=f"person{i}@example.org",
            subject="S",
            body_text=f"Plain text {i}\n--=_not-a-boundary",
            body_html=f"<p>HTML {i}</p>",
        ).pk
        for i in range(2)
    ]
    assert send_emails(ids) == 2
    boundaries = set()
    for i, message in enumerate(sorted(smtp, key=lambda m: m["To"])):
        assert message.is_multipart()
        text, html = message.get_payload()
        assert text_of(message).replace("\r\n", "\n") == f"Plain text {i}\n--=_not-a-boundary"
        assert html.get_content_type() == "text/html"
        assert html.get_payload(decode=True).decode() == f"<p>HTML {i}</p>"
        boundaries.add(message.get_boundary())
    assert len(boundaries) == 2
