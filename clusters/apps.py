"""App config for clusters: clusters, challenges, themes, organisations and listings."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _repair_search_indexes(sender, using, **kwargs):
    """A migration that rebuilt a table on SQLite dropped its search triggers: put them back
    (clusters.fulltext). Does nothing when they are all there."""
    from django.db import connections

    from .fulltext import repair_sqlite_indexes

    repair_sqlite_indexes(connections[using])


class ClustersConfig(AppConfig):
    name = "clusters"
    verbose_name = "Clusters, challenges and listings"

    def ready(self):
        post_migrate.connect(_repair_search_indexes, sender=self)
