"""Digest emails through a real worker, Redis and SMTP server: a worker killed with kill -9
in the middle of a batch, then restarted, still delivers every email once and none twice."""

import threading
import time

import pytest
from django.utils import timezone

from matching.models import Match
from notifications import services
from outbox.models import Email
from outbox.tasks import resend_pending_emails_task
from tests.factories import ListingFactory, MembershipFactory
from tests.services import SMTPServer, broker, celery_workers, kill_hard, wait_for

pytestmark = pytest.mark.django_db(transaction=True)
PEOPLE = 40


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    from clusters.models import Cluster, Theme
    from clusters.reference import create_reference_data

    create_reference_data(Theme, Cluster)


@pytest.fixture
def redis_broker():
    from tests.services import RedisServer

    server = RedisServer()
    with broker(server.url, {"socket_timeout": 2, "socket_connect_timeout": 2}):
        yield server
    server.stop()


def people_with_new_matches(n: int) -> None:
    offer = ListingFactory(kind="offer", title="Amine capture units")
    now = timezone.now()
    for _ in range(n):
        member = MembershipFactory()
        need = ListingFactory(kind="need", organisation=member.organisation)
        Match.objects.create(
            source_key=f"L{need.pk}",
            source_listing=need,
            target=offer,
            score=0.9,
            rank=1,
            reasons=["carbon capture"],
            engine_version="t",
            computed_at=now,
            first_seen_at=now,
        )


def test_a_worker_killed_mid_batch_and_restarted_delivers_every_email_once(redis_broker):
    people_with_new_matches(PEOPLE)
    crash_now = threading.Event()
    resume = threading.Event()

    def slow_then_crash(envelope):
        # The 8th message: the worker is killed while it waits for the server's answer.
        if len(smtp.messages) == 7 and not crash_now.is_set():
            crash_now.set()
            resume.wait(20)
        time.sleep(0.02)

    smtp = SMTPServer(on_message=slow_then_crash)
    env = {"EMAIL_URL": f"smtp://127.0.0.1:{smtp.port}", "OUTBOX_LEASE_SECONDS": "3"}
    try:
        with celery_workers(redis_broker.url, extra_env=env) as first:
            assert services.send_digests("daily") == PEOPLE
            assert crash_now.wait(30), "the worker never reached the 8th email"
            kill_hard(first[0])
            resume.set()
        delivered_before_restart = len(smtp.messages)
        assert delivered_before_restart == 7
        assert Email.objects.filter(status="sent").count() == 7

        with celery_workers(redis_broker.url, extra_env=env):
            time.sleep(3.5)  # the dead worker's claim on its batch runs out
            resend_pending_emails_task.delay()
            wait_for(lambda: len(smtp.messages) >= PEOPLE, timeout=60)
            time.sleep(2)  # anything sent twice would arrive now
    finally:
        smtp.stop()

    recipients = smtp.recipients()
    assert len(recipients) == PEOPLE
    assert len(set(recipients)) == PEOPLE  # none twice
    assert Email.objects.filter(status="sent").count() == PEOPLE
