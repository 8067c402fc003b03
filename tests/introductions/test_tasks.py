"""The daily sweep: scheduled by beat, and run by a real worker through a real broker."""

from datetime import timedelta

import pytest
from django.conf import settings
from django.utils import timezone

from introductions import services
from introductions.models import Introduction
from introductions.tasks import expire_introductions_task
from tests.services import broker, wait_for


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
    from celery.contrib.testing.worker import start_worker

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
    options = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
    }
    for folder in ("queue", "processed"):
        (tmp_path / folder).mkdir()
    with (
        broker("filesystem://", options) as app,
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
    ):
        expire_introductions_task.delay()
        wait_for(lambda: Introduction.objects.get(pk=introduction.pk).status == "expired")
