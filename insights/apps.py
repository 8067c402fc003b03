"""App config for insights: the mission's figures, computed from the records by a task."""

from django.apps import AppConfig


class InsightsConfig(AppConfig):
    name = "insights"
    verbose_name = "Mission insights"
