"""Celery beat's scheduler with a heartbeat file, for a container's or a supervisor's check.

The same DatabaseScheduler (django-celery-beat) the settings name, plus one thing: after each
tick it touches the file named by BEAT_HEARTBEAT_FILE, when set. A tick comes at least every
5 seconds (DatabaseScheduler's max_interval), so a file older than a minute means the
scheduler's loop is stuck or gone, whatever the process table says. Started with
`celery --app config beat --scheduler config.beat:HeartbeatScheduler` (platform/compose.yaml).
"""

import os
from pathlib import Path

from django_celery_beat.schedulers import DatabaseScheduler


class HeartbeatScheduler(DatabaseScheduler):
    def tick(self, *args, **kwargs):
        interval = super().tick(*args, **kwargs)
        heartbeat = os.environ.get("BEAT_HEARTBEAT_FILE")
        if heartbeat:
            Path(heartbeat).touch()
        return interval
