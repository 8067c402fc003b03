"""App config for matching: the partnership matcher, its records, tasks and emails."""

from django.apps import AppConfig


class MatchingConfig(AppConfig):
    name = "matching"
    verbose_name = "Matching"
