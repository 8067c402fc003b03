"""Published offers and needs per cluster: kept by the database (clusters.counts), read
from one row each, and right the moment after any change, whoever made it."""

import random

import pytest
from django.db import connection
from django.db.models import Count, Q

from clusters import services
from clusters.counts import recount, repair_sqlite_triggers
from clusters.importer import import_exchange
from clusters.models import Cluster, ClusterListingCount, Listing
from tests.factories import ClusterFactory, ListingFactory

pytestmark = pytest.mark.django_db


def shown(client, slug: str) -> tuple[int, int]:
    """(offers, needs) as the cluster's page shows them."""
    cluster = client.get(f"/clusters/{slug}/").context["cluster"]
    return cluster.published_offers, cluster.published_needs


def kept() -> dict[tuple[str, str], int]:
    return {
        (row.cluster.slug, row.kind): row.published
        for row in ClusterListingCount.objects.select_related("cluster")
    }


def counted() -> dict[tuple[str, str], int]:
    """The same figures counted from the listings, as the pages did before."""
    figures = {}
    for cluster in Cluster.objects.all():
        for kind in ("offer", "need"):
            figures[(cluster.slug, kind)] = Listing.objects.filter(
                clusters=cluster, kind=kind, status="published"
            ).count()
    return figures


def test_every_cluster_has_its_two_counts_and_a_new_cluster_starts_at_zero(client):
    cluster = ClusterFactory(slug="solent", name="Solent")
    assert kept()[("solent", "offer")] == 0 and kept()[("solent", "need")] == 0
    assert shown(client, cluster.slug) == (0, 0)
    assert set(kept()) == set(counted())


def test_publishing_withdrawing_taking_down_and_restoring_change_the_count_at_once(
    client, member, organisation, staff
):
    listing = ListingFactory(
        organisation=organisation, kind="offer", status="draft", clusters=["humber"]
    )
    assert shown(client, "humber") == (0, 0)

    services.submit_listing(listing)
    assert shown(client, "humber") == (1, 0)

    services.withdraw_listing(listing)
    assert shown(client, "humber") == (0, 0)

    services.submit_listing(listing)
    services.unpublish_listing(listing, staff, "Spam")
    assert shown(client, "humber") == (0, 0)

    services.restore_listing(listing, staff)
    assert shown(client, "humber") == (1, 0)
    assert kept() == counted()


def test_changing_a_published_listings_clusters_moves_its_count(client, member, organisation):
    listing = ListingFactory(organisation=organisation, kind="need", clusters=["humber"])
    assert shown(client, "humber") == (0, 1)
    humber, teesside = Cluster.objects.get(slug="humber"), Cluster.objects.get(slug="teesside")

    services.save_listing(listing, member, themes=[], clusters=[teesside])

    assert shown(client, "humber") == (0, 0)
    assert shown(client, "teesside") == (0, 1)
    services.save_listing(listing, member, themes=[], clusters=[humber, teesside])
    assert shown(client, "humber") == (0, 1) and shown(client, "teesside") == (0, 1)


def test_deleting_a_listing_or_its_organisation_takes_it_off_the_count(client):
    one = ListingFactory(kind="offer", clusters=["humber", "teesside"])
    ListingFactory(kind="offer", clusters=["humber"])
    assert shown(client, "humber") == (2, 0)

    one.delete()
    assert shown(client, "humber") == (1, 0)
    assert shown(client, "teesside") == (0, 0)

    Listing.objects.get().organisation.delete()
    assert shown(client, "humber") == (0, 0)


def test_a_bulk_update_of_status_or_kind_is_counted(client):
    listings = [ListingFactory(kind="offer", clusters=["humber"]) for _ in range(3)]
    Listing.objects.filter(pk=listings[0].pk).update(status="withdrawn")
    Listing.objects.filter(pk=listings[1].pk).update(kind="need")
    assert shown(client, "humber") == (1, 1)
    assert kept() == counted()


def test_the_import_keeps_the_counts(client, exchange_doc):
    import_exchange(exchange_doc)
    # L-0001 is a published offer and L-0002 a published need in Humber; L-0003 is pending.
    assert shown(client, "humber") == (1, 1)

    exchange_doc["listings"][0]["clusters"] = ["teesside"]
    exchange_doc["listings"][1]["status"] = "pending"
    import_exchange(exchange_doc)

    assert shown(client, "humber") == (0, 0)
    assert shown(client, "teesside") == (1, 0)
    assert kept() == counted()


def test_any_mix_of_changes_leaves_the_counts_equal_to_a_recount():
    rng = random.Random(14)
    slugs = list(Cluster.objects.values_list("slug", flat=True))
    listings = [
        ListingFactory(kind=rng.choice(["offer", "need"]), clusters=rng.sample(slugs, 2))
        for _ in range(12)
    ]
    clusters = list(Cluster.objects.all())
    for _ in range(60):
        listing = rng.choice(listings)
        action = rng.randrange(4)
        if action == 0:
            Listing.objects.filter(pk=listing.pk).update(
                status=rng.choice(["published", "withdrawn", "draft", "pending"])
            )
        elif action == 1:
            listing.clusters.set(rng.sample(clusters, rng.randrange(0, 3)))
        elif action == 2:
            Listing.objects.filter(pk=listing.pk).update(kind=rng.choice(["offer", "need"]))
        else:
            listing.clusters.add(rng.choice(clusters))
    assert kept() == counted()
    recount(connection)
    assert kept() == counted()


def test_the_pages_read_the_counts_without_counting_listings(
    client, django_assert_num_queries, settings
):
    settings.PAGE_CACHE_ENABLED = False  # the page's own queries, without the cache's one
    for _ in range(30):
        ListingFactory(kind="offer", clusters=["humber", "teesside"])
    with django_assert_num_queries(1):
        client.get("/")
    with CaptureSQL() as sql:
        client.get("/clusters/")
    assert "clusters_listing_clusters" not in sql.text  # the listings are not read at all


class CaptureSQL:
    def __enter__(self):
        from django.test.utils import CaptureQueriesContext

        self.context = CaptureQueriesContext(connection)
        self.context.__enter__()
        return self

    def __exit__(self, *exc):
        self.context.__exit__(*exc)
        self.text = "\n".join(q["sql"] for q in self.context.captured_queries)


@pytest.mark.django_db(transaction=True)
def test_count_triggers_a_sqlite_table_rebuild_dropped_are_put_back_with_a_recount(client):
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL never drops a table to alter a column")
    from clusters.counts import TRIGGER_NAMES
    from clusters.models import Theme
    from clusters.reference import create_reference_data

    create_reference_data(Theme, Cluster)  # an earlier transactional test emptied the tables
    with connection.cursor() as cursor:
        for name in TRIGGER_NAMES:
            cursor.execute(f"DROP TRIGGER {name}")
    try:
        ListingFactory(kind="offer", clusters=["humber"])
        assert kept()[("humber", "offer")] == 0  # what a missing trigger means
    finally:
        assert repair_sqlite_triggers(connection) is True
    assert kept()[("humber", "offer")] == 1
    assert kept() == counted()
    assert repair_sqlite_triggers(connection) is False


def test_counts_are_not_negative_or_duplicated():
    ListingFactory(kind="offer", clusters=["humber"]).delete()
    rows = ClusterListingCount.objects.values("cluster", "kind").annotate(n=Count("pk"))
    assert all(row["n"] == 1 for row in rows)
    assert not ClusterListingCount.objects.filter(Q(published__lt=0)).exists()


def _alter_listing_title(max_length: int) -> None:
    from clusters.models import Listing

    old = Listing._meta.get_field("title")
    new = old.clone()
    new.set_attributes_from_name("title")
    new.model = Listing
    new.max_length = max_length
    with connection.schema_editor() as editor:
        editor.alter_field(Listing, old, new)
    with connection.schema_editor() as editor:
        editor.alter_field(Listing, new, old)


@pytest.mark.django_db(transaction=True)
def test_a_migration_that_copies_the_listing_table_runs_and_counts_and_search_survive():
    # What a later AlterField on Listing does on SQLite: copy, drop, rename. A count trigger on
    # the link table names clusters_listing, and SQLite refused the rename while it existed.
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only: PostgreSQL never drops a table to alter a column")
    from clusters.apps import _drop_sqlite_count_triggers, _repair_database_triggers
    from clusters.models import Listing, Theme
    from clusters.reference import create_reference_data

    create_reference_data(Theme, Cluster)
    ListingFactory(kind="offer", clusters=["humber"], title="Kiln heat recovery")
    _drop_sqlite_count_triggers(sender=None, using="default", plan=[("a migration", False)])
    _alter_listing_title(Listing._meta.get_field("title").max_length + 1)
    _repair_database_triggers(sender=None, using="default")
    ListingFactory(kind="offer", clusters=["humber"], title="Steam boiler electrification")
    assert kept()[("humber", "offer")] == 2
    assert kept() == counted()
    found = Listing.objects.search("kiln")
    assert [listing.title for listing in found] == ["Kiln heat recovery"]
    assert Listing.objects.search("boiler").count() == 1


@pytest.mark.django_db(transaction=True)
def test_nothing_to_migrate_drops_no_trigger():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    from clusters.apps import _drop_sqlite_count_triggers
    from clusters.counts import TRIGGER_NAMES

    _drop_sqlite_count_triggers(sender=None, using="default", plan=[])
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'")
        assert {name for (name,) in cursor.fetchall()} >= TRIGGER_NAMES
