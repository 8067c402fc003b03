"""App config for teams: the clusters' own teams, who manage their cluster's challenges."""

from django.apps import AppConfig


class TeamsConfig(AppConfig):
    name = "teams"
    verbose_name = "Cluster teams"
