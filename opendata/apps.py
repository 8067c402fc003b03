"""App config for opendata: daily downloads of the public records and figures (OGL v3.0)."""

from django.apps import AppConfig


class OpenDataConfig(AppConfig):
    name = "opendata"
    verbose_name = "Open data"
