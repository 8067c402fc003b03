"""App config for clusters: clusters, challenges, themes, organisations and listings."""

from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, pre_delete, pre_migrate


def _repair_database_triggers(sender, using, **kwargs):
    """On SQLite, a migration that rebuilt a table (to alter a column) dropped its triggers:
    put back those of the search index (clusters.fulltext) and of the counts per cluster
    (clusters.counts), and re-read what they keep. Does nothing when they are all there."""
    from django.db import connections

    from .counts import repair_sqlite_triggers
    from .fulltext import repair_sqlite_indexes

    repair_sqlite_indexes(connections[using])
    repair_sqlite_triggers(connections[using])


def _drop_sqlite_count_triggers(sender, using, plan=None, **kwargs):
    """On SQLite, before migrations run, drop the triggers that keep the counts per cluster.

    Their bodies name other tables (a link's trigger reads clusters_listing). To alter a
    column SQLite's schema editor copies a table, drops it and renames the copy, and SQLite
    then refuses the rename while a trigger elsewhere names the dropped table ("error in
    trigger clusters_count_link_added: no such table"). With no triggers the migrations run;
    the post_migrate step below puts them back and recounts. Nothing to migrate: nothing
    dropped.
    """
    from django.db import connections

    from .counts import drop_triggers

    connection = connections[using]
    if connection.vendor == "sqlite" and plan:
        drop_triggers(connection)


def _record_deletion(sender, instance, **kwargs):
    """A deleted listing or challenge leaves a tombstone for the API's removals lists.

    A signal rather than a call in each service, because rows are also deleted where no
    service of ours runs: by cascade (an organisation, with its last member's account) and in
    the admin. The receiver only hands the row to the service that records it.
    """
    from . import services

    if sender._meta.model_name == "listing":
        services.record_listing_deleted(instance)
    else:
        services.record_challenge_deleted(instance)


def _touch_listings_of_challenge(sender, instance, **kwargs):
    """A challenge about to be deleted: its listings lose their link to it (SET_NULL, a bulk
    update that moves no `updated_at`), so mark them changed, for partners who mirror
    listings with `updated_since`."""
    from django.utils import timezone

    instance.listings.update(updated_at=timezone.now())


class ClustersConfig(AppConfig):
    name = "clusters"
    verbose_name = "Clusters, challenges and listings"

    def ready(self):
        pre_migrate.connect(_drop_sqlite_count_triggers, sender=self)
        post_migrate.connect(_repair_database_triggers, sender=self)
        pre_delete.connect(
            _touch_listings_of_challenge,
            sender=self.get_model("Challenge"),
            dispatch_uid="touch-listings-of-challenge",
        )
        for model in ("Listing", "Challenge"):
            post_delete.connect(
                _record_deletion, sender=self.get_model(model), dispatch_uid=f"removal-{model}"
            )
