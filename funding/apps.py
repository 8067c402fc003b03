"""App config for funding: the funding calls staff publish, open until their deadline."""

from django.apps import AppConfig


class FundingConfig(AppConfig):
    name = "funding"
    verbose_name = "Funding calls"

    def ready(self):
        # The exchange format's optional "funding_calls" list: clusters owns the format and
        # knows nothing of this app, so the app adds its section here (one-way dependency).
        from clusters.exchange import register_section

        from .exchange import SECTION

        register_section(SECTION)
