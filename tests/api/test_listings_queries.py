"""Every list endpoint of clusters under /api/v1/ makes the same few queries for 10 records
as for 500 (a whole page of 500): nothing is read once per record."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from api.models import Removal
from clusters.models import Challenge, Cluster, Listing, Theme
from tests.api.conftest import bearer
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def add_listings(organisation, count: int, status=Listing.Status.PUBLISHED, start=0):
    made = Listing.objects.bulk_create(
        Listing(
            ref=f"L-bulk-{start + n}",
            organisation=organisation,
            kind="offer" if n % 2 else "need",
            title=f"Listing {start + n}",
            description="Heat pumps.",
            status=status,
            published_at=timezone.now(),
        )
        for n in range(count)
    )
    themes = list(Theme.objects.all()[:2])
    clusters = list(Cluster.objects.all()[:2])
    Listing.themes.through.objects.bulk_create(
        Listing.themes.through(listing=x, theme=t) for x in made for t in themes
    )
    Listing.clusters.through.objects.bulk_create(
        Listing.clusters.through(listing=x, cluster=c) for x in made for c in clusters
    )


def add_challenges(count: int, start=0):
    humber = Cluster.objects.get(slug="humber")
    made = Challenge.objects.bulk_create(
        Challenge(ref=f"ch-bulk-{start + n}", cluster=humber, title=f"Challenge {start + n}")
        for n in range(count)
    )
    theme = Theme.objects.first()
    Challenge.themes.through.objects.bulk_create(
        Challenge.themes.through(challenge=x, theme=theme) for x in made
    )


def add_removals(organisation, count: int, start=0):
    add_listings(organisation, count // 2, Listing.Status.WITHDRAWN, start=start)
    Removal.objects.bulk_create(
        Removal(resource=resource, key=f"gone-{start + n}", removed_at=timezone.now())
        for n in range(count - count // 2)
        for resource in ("listing", "challenge")
    )


def add_clusters(count: int, start=0):
    Cluster.objects.bulk_create(
        Cluster(slug=f"bulk-{start + n}", name=f"Cluster {start + n}") for n in range(count)
    )


def queries(api, path: str, expect: int) -> int:
    """The queries of one call that must answer `expect` records (or more)."""
    with CaptureQueriesContext(connection) as captured:
        response = api.get(path, {"page_size": 500})
    assert response.status_code == 200, response.content
    body = response.json()
    rows = body["results"] if isinstance(body, dict) else body
    assert len(rows) >= expect
    return len(captured.captured_queries)


@pytest.mark.parametrize(
    "path, add",
    [
        ("/api/v1/listings/", lambda org, n, s: add_listings(org, n, start=s)),
        ("/api/v1/listings/removed/", add_removals),
        ("/api/v1/challenges/", lambda org, n, s: add_challenges(n, start=s)),
        ("/api/v1/challenges/removed/", add_removals),
        ("/api/v1/clusters/", lambda org, n, s: add_clusters(n, start=s)),
        ("/api/v1/themes/", None),
    ],
)
def test_public_lists_make_as_many_queries_for_500_as_for_10(
    api, path, add, django_assert_max_num_queries, settings
):
    # The queries of the list itself, not of an anonymous answer from the cache
    # (api/caching.py): rows added by bulk_create send no signal to retire the first answer.
    settings.PAGE_CACHE_ENABLED = False
    organisation = OrganisationFactory()
    if add:
        add(organisation, 10, 0)
    few = queries(api, path, 5)
    if add:
        add(organisation, 490, 10)
    with django_assert_max_num_queries(few):
        many = queries(api, path, 250 if add else 1)
    assert many == few <= 3


def test_an_organisations_listings_make_as_many_queries_for_500_as_for_10(
    api, member, organisation, token_for, django_assert_max_num_queries
):
    bearer(api, token_for(member))
    path = f"/api/v1/organisations/{organisation.ref}/listings/"
    add_listings(organisation, 10, Listing.Status.DRAFT)
    api.get(path)  # the token's first use is recorded once (then at most once a minute)
    few = queries(api, path, 10)
    add_listings(organisation, 490, Listing.Status.WITHDRAWN, start=10)
    with django_assert_max_num_queries(few):
        assert queries(api, path, 500) == few
    assert few <= 5  # the token, the organisation, the listings, their themes and clusters


def test_an_organisations_removals_make_as_many_queries_for_500_as_for_10(
    api, member, organisation, token_for
):
    bearer(api, token_for(member))
    path = f"/api/v1/organisations/{organisation.ref}/listings/removed/"

    def deleted(count, start):
        Removal.objects.bulk_create(
            Removal(
                resource="organisation_listing",
                key=f"L-gone-{start + n}",
                organisation_id=organisation.pk,
                removed_at=timezone.now(),
            )
            for n in range(count)
        )

    deleted(10, 0)
    api.get(path)
    few = queries(api, path, 10)
    deleted(490, 10)
    assert queries(api, path, 500) == few <= 3


def test_your_organisations_make_as_few_queries_however_many_clusters(
    api, member, organisation, token_for
):
    bearer(api, token_for(member))
    api.get("/api/v1/organisations/")
    organisation.clusters.set(Cluster.objects.all()[:1])
    with CaptureQueriesContext(connection) as few:
        api.get("/api/v1/organisations/")
    add_clusters(50)
    organisation.clusters.set(Cluster.objects.all())
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/organisations/").json()[0]["clusters"]) > 50
    assert len(many.captured_queries) == len(few.captured_queries)
