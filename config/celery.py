"""The Celery app shared by every worker and by the web process that enqueues work."""

import logging
import os
from functools import partial

from celery import Celery

from config import brokers

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
brokers.patch()  # the filesystem broker writes each message whole (config/brokers.py)

app = Celery("cluster_exchange")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.on_after_configure.connect
def _prepare_broker(sender, **kwargs):
    ensure_filesystem_broker_folders()


def ensure_filesystem_broker_folders() -> None:
    """Create the folders kombu's filesystem transport needs (local runs without Redis)."""
    from django.conf import settings

    if settings.CELERY_BROKER_URL.startswith("filesystem://"):
        for key in ("data_folder_in", "data_folder_out", "processed_folder", "control_folder"):
            os.makedirs(settings.CELERY_BROKER_TRANSPORT_OPTIONS[key], exist_ok=True)


def enqueue(task, *args) -> None:
    """Send `task` once the transaction commits; log rather than raise if the broker is down.

    The database row the task works on is the to-do list: a periodic sweeper picks up
    whatever a lost message left behind.
    """
    from django.db import transaction

    def send():
        from django_guid import get_guid, set_guid

        request_id = get_guid()
        try:
            task.delay(*args)
        except Exception:
            logging.getLogger(__name__).exception("Could not enqueue %s%r", task.name, args)
        else:
            # With the request's id (config/logs.py), as the worker's lines for the task.
            logging.getLogger(__name__).info("Queued %s%r", task.name, args)
        finally:
            # A task run at once (CELERY_TASK_ALWAYS_EAGER, in tests) ends by clearing the id
            # (django-guid's task_postrun): the request keeps its own.
            if request_id and get_guid() != request_id:
                set_guid(request_id)

    transaction.on_commit(partial(send), robust=True)
