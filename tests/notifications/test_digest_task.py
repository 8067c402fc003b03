"""The digest run is tried again when it fails part-way: a database restart while it builds a
batch would otherwise leave the people not yet reached until the next period (the
postgres-restart drill, docs/reliability.md)."""

from unittest import mock

from django.db import OperationalError

from notifications import services
from notifications.tasks import send_digests_task


def test_a_digest_run_that_fails_part_way_is_run_again():
    failure = OperationalError("terminating connection due to administrator command")
    with mock.patch.object(services, "send_digests", side_effect=[failure, 7]) as run:
        result = send_digests_task.apply(args=["daily"])
    assert result.get() == 7
    assert run.call_count == 2
