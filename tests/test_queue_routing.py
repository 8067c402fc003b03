"""Every task goes to the queue meant for it: matching, email or default (issue #14).

The table below is the decision for each task. A new task that is not in it fails the first
test, so whoever adds a task decides which pool of workers runs it.
"""

import pytest
import redis
from django.conf import settings

from config.celery import app
from tests.services import RedisServer, all_queues, broker

QUEUE_OF = {
    # The matching engine's work: CPU- and memory-heavy, on its own machines.
    "matching.tasks.ping": "matching",
    "matching.tasks.run_work_task": "matching",
    "matching.tasks.run_chunk_task": "matching",
    "matching.tasks.merge_rebuild_task": "matching",
    "matching.tasks.sweep_matching_work_task": "matching",
    "matching.tasks.nightly_rebuild_task": "matching",
    "matching.tasks.learn_weights_task": "matching",
    # Sending emails, and building the digests that become emails.
    "outbox.tasks.send_email_task": "email",
    "outbox.tasks.send_emails_task": "email",
    "outbox.tasks.resend_pending_emails_task": "email",
    "notifications.tasks.send_digests_task": "email",
    # Everything else: short periodic jobs, run by the email workers too.
    "clusters.tasks.expire_listings_task": "default",
    "enquiries.tasks.fetch_imap_enquiries_task": "default",
    "funding.tasks.close_calls_past_deadline_task": "default",
    "insights.tasks.compute_insights_task": "default",
    "introductions.tasks.expire_introductions_task": "default",
    "introductions.tasks.ask_for_outcomes_task": "default",
    "opendata.tasks.build_open_data_task": "default",
    "staff.tasks.anonymise_expired_enquiries_task": "default",
    "teams.tasks.remind_teams_to_review_task": "default",
    # Webhook deliveries: short HTTP POSTs with a 10 s timeout (issue #15).
    "webhooks.tasks.deliver_webhook_task": "default",
    "webhooks.tasks.send_due_webhooks_task": "default",
}


def queue_of(name: str) -> str:
    return app.amqp.router.route({}, name)["queue"].name


def project_tasks() -> set[str]:
    app.loader.import_default_modules()  # every app's tasks.py, as a worker loads them
    return {name for name in app.tasks if not name.startswith("celery.")}


def test_every_task_has_a_queue_decision():
    undecided = project_tasks() - set(QUEUE_OF)
    assert not undecided, (
        f"No queue decided for {sorted(undecided)}: add each to QUEUE_OF here, and to "
        "CELERY_TASK_ROUTES in config/settings/base.py if it is not for the default queue."
    )
    gone = set(QUEUE_OF) - project_tasks()
    assert not gone, f"QUEUE_OF names tasks that no longer exist: {sorted(gone)}"


@pytest.mark.parametrize("name", sorted(QUEUE_OF))
def test_each_task_is_routed_to_its_queue(name):
    assert queue_of(name) == QUEUE_OF[name]


@pytest.mark.parametrize("entry", sorted(settings.CELERY_BEAT_SCHEDULE))
def test_each_scheduled_job_goes_to_a_queue_someone_consumes(entry):
    task = settings.CELERY_BEAT_SCHEDULE[entry]["task"]
    assert task in QUEUE_OF, f"beat entry {entry!r} names {task}, which is not a task here"
    assert queue_of(task) == QUEUE_OF[task]


def test_the_procfiles_consume_every_queue():
    """Local: one worker takes all three. Production: the two pools take all three between
    them, matching alone on its pool."""
    from pathlib import Path

    folder = Path(settings.BASE_DIR) / "platform"

    def consumed(line: str) -> set[str]:
        return set(line.split("--queues ", 1)[1].split()[0].split(","))

    lines = (folder / "Procfile.local").read_text().splitlines()
    local = [line for line in lines if line.startswith("worker:")]
    assert [consumed(line) for line in local] == [set(all_queues())]
    production = {
        line.split(":", 1)[0]: consumed(line)
        for line in (folder / "Procfile").read_text().splitlines()
        if line.startswith("worker")
    }
    assert production == {"worker-matching": {"matching"}, "worker-email": {"email", "default"}}
    assert set(all_queues()) == {"matching", "email", "default"}


def test_messages_land_in_the_queue_their_worker_pool_reads():
    """Sent through a real Redis (no worker), each message waits in its queue's list."""
    from matching.tasks import run_work_task
    from outbox.tasks import send_email_task
    from teams.tasks import remind_teams_to_review_task

    server = RedisServer()
    try:
        with broker(server.url, {"socket_timeout": 2, "socket_connect_timeout": 2}):
            run_work_task.delay(1)
            send_email_task.delay(2)
            send_email_task.delay(3)
            remind_teams_to_review_task.delay()
        client = redis.Redis.from_url(server.url)
        assert {q: client.llen(q) for q in ("matching", "email", "default", "celery")} == {
            "matching": 1,
            "email": 2,
            "default": 1,
            "celery": 0,
        }
    finally:
        server.stop()
