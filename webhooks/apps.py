"""App config for webhooks: signed HTTPS POSTs to partners' systems when something happens."""

from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Webhooks"

    def ready(self):
        from . import receivers  # noqa: F401  (signal receivers)
