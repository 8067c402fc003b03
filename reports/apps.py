"""App config for reports: visitors report listings and organisations; staff work the queue."""

from django.apps import AppConfig


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = "Reports from visitors"
