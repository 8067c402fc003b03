"""App config for notifications: match emails, digests, preferences and one-click links."""

from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "notifications"
    verbose_name = "Match emails"
