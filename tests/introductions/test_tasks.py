"""The daily sweep: scheduled by beat, and run by a real worker through a real broker."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from introductions import services
from introductions.models import Introduction
from introductions.tasks import expire_introductions_task
from tests.services import filesystem_worker, wait_for


def test_beat_runs_the_sweep_once_a_day():
    entries = [
        entry
        for entry in settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == expire_introductions_task.name
    ]
    assert len(entries) == 1
    schedule = entries[0]["schedule"]
    assert schedule.hour == {6} and schedule.minute == {0} and len(schedule.day_of_week) == 7


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_expires_an_old_request(tmp_path, sides):

    introduction = services.request_introduction(
        sides.asker,
        organisation=sides.listing.organisation,
        target=sides.target,
        message="Hi",
        about_listing=sides.listing,
    )
    Introduction.objects.filter(pk=introduction.pk).update(
        created_at=timezone.now() - timedelta(days=31), expires_at=timezone.now()
    )
    with filesystem_worker(tmp_path):
        expire_introductions_task.delay()
        wait_for(lambda: Introduction.objects.get(pk=introduction.pk).status == "expired")
