"""An email the SMTP server accepted is marked sent even through a short database outage (a
PostgreSQL restart): otherwise its row stays "sending" and is sent again after its lease (the
postgres-restart drill, docs/reliability.md)."""

import pytest
from django.core import mail
from django.db import OperationalError
from django.db.models import QuerySet

from outbox import services
from outbox.models import Email

pytestmark = pytest.mark.django_db(transaction=True)  # outside a transaction, as in a worker


@pytest.fixture
def database_down_for(monkeypatch):
    """The next `n` "mark sent" updates fail as they would while PostgreSQL restarts."""
    monkeypatch.setattr(services.time, "sleep", lambda seconds: None)
    update = QuerySet.update
    failures = {"left": 0, "seen": 0}

    def flaky(queryset, **fields):
        if fields.get("status") == Email.Status.SENT and failures["left"]:
            failures["left"] -= 1
            failures["seen"] += 1
            raise OperationalError("terminating connection due to administrator command")
        return update(queryset, **fields)

    monkeypatch.setattr(QuerySet, "update", flaky)

    def down(n: int) -> dict:
        failures["left"] = n
        return failures

    return down


def queued() -> Email:
    return Email.objects.create(key="k-restart", to="a@example.org", subject="S", body_text="B")


def test_a_sent_email_is_marked_sent_through_a_restart_and_not_sent_again(database_down_for):
    email = queued()
    failures = database_down_for(3)
    assert services.send_email(email.pk) is True
    assert failures["seen"] == 3
    email.refresh_from_db()
    assert (email.status, email.attempts, len(mail.outbox)) == ("sent", 1, 1)
    assert services.resend_pending() == 0


def test_with_the_retry_off_the_accepted_email_is_left_sending(settings, database_down_for):
    """What the retry prevents: the message is out, but the row says "sending", so the sweeper
    sends it a second time once the lease runs out."""
    settings.OUTBOX_MARK_SENT_RETRY_SECONDS = 0
    email = queued()
    database_down_for(1)
    with pytest.raises(OperationalError):
        services.send_email(email.pk)
    email.refresh_from_db()
    assert (email.status, len(mail.outbox)) == ("sending", 1)
