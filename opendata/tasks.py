"""Celery doorway for open data: the daily build of the downloads."""

from celery import shared_task

from . import services


# Daily (config/settings/base.py, "open-data-daily"). Running it twice, or on two workers at
# once, is harmless: each run writes its own folder and adds its release row only when every
# file is written, and the newest complete release is the one served.
@shared_task(acks_late=True)
def build_open_data_task() -> int:
    return services.build_open_data().pk
