"""The daily task: scheduled, a thin doorway to the service, harmless when run twice."""

import pytest
from django.conf import settings

from opendata.datasets import BUILD_HOUR
from opendata.models import OpenDataRelease
from opendata.tasks import build_open_data_task


def test_the_beat_schedule_builds_daily_at_the_hour_the_page_gives():
    entry = settings.CELERY_BEAT_SCHEDULE["open-data-daily"]
    assert entry["task"] == "opendata.tasks.build_open_data_task"
    assert entry["schedule"].hour == {BUILD_HOUR}
    assert entry["schedule"].minute == {0}
    assert build_open_data_task.acks_late


@pytest.mark.django_db
def test_the_task_builds_a_release_and_running_it_twice_serves_the_second(world):
    first = build_open_data_task.delay().get()
    second = build_open_data_task.delay().get()
    assert first != second
    assert OpenDataRelease.objects.newest().pk == second
    assert OpenDataRelease.objects.get(pk=first).files.keys() == (
        OpenDataRelease.objects.get(pk=second).files.keys()
    )


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_builds_the_release_the_page_serves(world, tmp_path, client):
    """The task through a real worker and broker (kombu's filesystem transport), sent twice."""
    from django.urls import reverse

    from tests.services import filesystem_worker, wait_for

    with filesystem_worker(tmp_path):
        build_open_data_task.delay()
        build_open_data_task.delay()
        wait_for(lambda: OpenDataRelease.objects.count() == 2, timeout=60)
    response = client.get(reverse("opendata:download", args=["offers", "csv"]))
    assert response.status_code == 200
    assert b"L-offer" in b"".join(response.streaming_content)
