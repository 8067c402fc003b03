"""Published offers and needs per cluster, counted once and kept in step by the database.

The home page, the cluster list and each cluster's page show how many published offers and
needs name each cluster. Counting them on every request read every listing of the cluster
(0.5 s for the home page at 100,000 listings). Instead `ClusterListingCount` holds one row
per cluster and kind, and triggers change it by one as things happen:

- a listing linked to a cluster while published (the link is added): +1;
- such a link removed (a listing's clusters changed, or the listing deleted): -1;
- a linked listing's status or kind changes: -1 from where it counted, +1 where it counts now;
- a new cluster: its two rows, at 0.

Triggers fire for every writer (services, the import's bulk writes, `QuerySet.update`, the
admin), inside the writer's transaction, so the count is right the moment the change commits.
`recount` recomputes everything from the listings (migration 0011, and after a SQLite table
rebuild dropped the triggers: clusters.apps).
"""

from django.db.backends.base.base import BaseDatabaseWrapper

COUNTS = "clusters_clusterlistingcount"
LISTING = "clusters_listing"
LINKS = "clusters_listing_clusters"
CLUSTER = "clusters_cluster"
KINDS = ("offer", "need")

# (name, table it watches, timing and event, condition or "", body using NEW/OLD)
_TRIGGERS = [
    (
        "clusters_count_new_cluster",
        CLUSTER,
        "AFTER INSERT",
        "",
        f"INSERT INTO {COUNTS} (cluster_id, kind, published) "
        "VALUES (NEW.id, 'offer', 0), (NEW.id, 'need', 0);",
    ),
    (
        "clusters_count_link_added",
        LINKS,
        "AFTER INSERT",
        "",
        f"UPDATE {COUNTS} SET published = published + 1 WHERE cluster_id = NEW.cluster_id "
        f"AND kind = (SELECT kind FROM {LISTING} "
        "WHERE id = NEW.listing_id AND status = 'published');",
    ),
    (
        "clusters_count_link_removed",
        LINKS,
        "AFTER DELETE",
        "",
        f"UPDATE {COUNTS} SET published = published - 1 WHERE cluster_id = OLD.cluster_id "
        f"AND kind = (SELECT kind FROM {LISTING} "
        "WHERE id = OLD.listing_id AND status = 'published');",
    ),
    (
        "clusters_count_listing_changed",
        LISTING,
        "AFTER UPDATE OF status, kind",
        "OLD.status IS DISTINCT FROM NEW.status OR OLD.kind IS DISTINCT FROM NEW.kind",
        f"UPDATE {COUNTS} SET published = published - 1 WHERE OLD.status = 'published' "
        f"AND kind = OLD.kind AND cluster_id IN "
        f"(SELECT cluster_id FROM {LINKS} WHERE listing_id = OLD.id); "
        f"UPDATE {COUNTS} SET published = published + 1 WHERE NEW.status = 'published' "
        f"AND kind = NEW.kind AND cluster_id IN "
        f"(SELECT cluster_id FROM {LINKS} WHERE listing_id = NEW.id);",
    ),
]
TRIGGER_NAMES = {name for name, *_ in _TRIGGERS}


def create_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for name, table, event, condition, body in _TRIGGERS:
            if connection.vendor == "sqlite":
                condition = condition.replace("IS DISTINCT FROM", "IS NOT")  # older SQLite
                when = f" WHEN {condition}" if condition else ""
                cursor.execute(
                    f"CREATE TRIGGER IF NOT EXISTS {name} {event} ON {table} FOR EACH ROW{when} "
                    f"BEGIN {body} END"
                )
            elif connection.vendor == "postgresql":
                cursor.execute(
                    f"CREATE OR REPLACE FUNCTION {name}() RETURNS trigger LANGUAGE plpgsql "
                    f"AS $$ BEGIN {body} RETURN NULL; END $$"
                )
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                when = f" WHEN ({condition})" if condition else ""
                cursor.execute(
                    f"CREATE TRIGGER {name} {event} ON {table} FOR EACH ROW{when} "
                    f"EXECUTE FUNCTION {name}()"
                )


def drop_triggers(connection: BaseDatabaseWrapper) -> None:
    with connection.cursor() as cursor:
        for name, table, *_ in _TRIGGERS:
            if connection.vendor == "sqlite":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
            elif connection.vendor == "postgresql":
                cursor.execute(f"DROP TRIGGER IF EXISTS {name} ON {table}")
                cursor.execute(f"DROP FUNCTION IF EXISTS {name}()")


def recount(connection: BaseDatabaseWrapper) -> None:
    """Every cluster's two rows, recomputed from the listings (one grouped pass)."""
    with connection.cursor() as cursor:
        for kind in KINDS:
            cursor.execute(
                f"INSERT INTO {COUNTS} (cluster_id, kind, published) SELECT id, %s, 0 "
                f"FROM {CLUSTER} WHERE id NOT IN "
                f"(SELECT cluster_id FROM {COUNTS} WHERE kind = %s)",
                [kind, kind],
            )
        cursor.execute(
            f"UPDATE {COUNTS} SET published = (SELECT count(*) FROM {LINKS} "
            f"JOIN {LISTING} ON {LISTING}.id = {LINKS}.listing_id "
            f"WHERE {LINKS}.cluster_id = {COUNTS}.cluster_id AND {LISTING}.kind = {COUNTS}.kind "
            f"AND {LISTING}.status = 'published')"
        )


def repair_sqlite_triggers(connection: BaseDatabaseWrapper) -> bool:
    """Put back the triggers a SQLite table rebuild dropped, and recount. Whether it did."""
    if connection.vendor != "sqlite":
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
        present = {name for (name,) in cursor.fetchall()}
    if COUNTS not in present or present >= TRIGGER_NAMES:
        return False
    create_triggers(connection)
    recount(connection)
    return True
