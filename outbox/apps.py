"""App config for outbox: every email the site sends is a row first, then a Celery task."""

from django.apps import AppConfig


class OutboxConfig(AppConfig):
    name = "outbox"
    verbose_name = "Outgoing email"
