"""App config for saved searches: list pages a person asked to hear about."""

from django.apps import AppConfig


class SearchesConfig(AppConfig):
    name = "searches"
    verbose_name = "Saved searches"
