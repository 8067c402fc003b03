"""App config for clusters: clusters, challenges, themes, organisations and listings."""

from django.apps import AppConfig
from django.db.models.signals import post_migrate


def _repair_database_triggers(sender, using, **kwargs):
    """On SQLite, a migration that rebuilt a table (to alter a column) dropped its triggers:
    put back those of the search index (clusters.fulltext) and of the counts per cluster
    (clusters.counts), and re-read what they keep. Does nothing when they are all there."""
    from django.db import connections

    from .counts import repair_sqlite_triggers
    from .fulltext import repair_sqlite_indexes

    repair_sqlite_indexes(connections[using])
    repair_sqlite_triggers(connections[using])


class ClustersConfig(AppConfig):
    name = "clusters"
    verbose_name = "Clusters, challenges and listings"

    def ready(self):
        post_migrate.connect(_repair_database_triggers, sender=self)
