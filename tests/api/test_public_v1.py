"""The public data under /api/v1/: the same records and filters as /api/, a cursor page at
a time in order of last change, `updated_since`, and JSON errors."""

from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from clusters import services
from clusters.models import Challenge, Listing, OrganisationChange
from tests.factories import ChallengeFactory, ListingFactory

pytestmark = pytest.mark.django_db


def refs(response) -> list[str]:
    assert response.status_code == 200, response.content
    return [item["ref"] for item in response.json()["results"]]


def read_all(api, path, params=None) -> list[str]:
    """Every ref of a list, following `next` to the end."""
    response = api.get(path, params or {})
    found = refs(response)
    while response.json()["next"]:
        response = api.get(response.json()["next"])
        found += refs(response)
    return found


def test_v1_lists_published_listings_only_with_the_same_fields_as_before(api):
    ListingFactory(ref="L-pub", themes=["ccus"], clusters=["humber"])
    ListingFactory(ref="L-draft", status=Listing.Status.DRAFT)
    ListingFactory(ref="L-gone", status=Listing.Status.WITHDRAWN)
    assert refs(api.get("/api/v1/listings/")) == ["L-pub"]
    item = api.get("/api/v1/listings/L-pub/").json()
    assert item == api.get("/api/listings/L-pub/").json()
    assert item["themes"] == ["ccus"] and item["clusters"] == ["humber"]
    assert api.get("/api/v1/listings/L-draft/").status_code == 404


def test_v1_keeps_the_filters_of_the_listings_and_challenges(api):
    ListingFactory(ref="L-h2", kind="offer", title="Electrolysers", themes=["hydrogen"])
    ListingFactory(ref="L-need", kind="need", title="Electrolysers wanted", themes=["hydrogen"])
    ListingFactory(ref="L-bio", kind="offer", title="Biomass boilers", themes=["bioenergy"])
    assert refs(api.get("/api/v1/listings/", {"kind": "offer", "theme": "hydrogen"})) == ["L-h2"]
    assert sorted(refs(api.get("/api/v1/listings/", {"q": "electrolyser"}))) == [
        "L-h2",
        "L-need",
    ]
    ChallengeFactory(ref="ch-open")
    ChallengeFactory(ref="ch-closed", status=Challenge.Status.CLOSED)
    assert refs(api.get("/api/v1/challenges/", {"status": "closed"})) == ["ch-closed"]
    assert sorted(refs(api.get("/api/v1/challenges/", {"cluster": "humber"}))) == [
        "ch-closed",
        "ch-open",
    ]


@pytest.mark.parametrize(
    "path, query",
    [
        ("/api/v1/listings/", {"kind": "sideways"}),
        ("/api/v1/listings/", {"theme": "nuclear"}),
        ("/api/v1/challenges/", {"cluster": "atlantis"}),
        ("/api/v1/listings/", {"updated_since": "yesterday"}),
        ("/api/v1/challenges/", {"updated_since": "2026-13-45T00:00:00Z"}),
        ("/api/v1/listings/", {"cursor": "not-a-cursor"}),
        ("/api/v1/listings/", {"page_size": "501"}),
        ("/api/v1/listings/removed/", {"cursor": "bm90IGpzb24="}),
        ("/api/v1/listings/removed/", {"updated_since": "soon"}),
        ("/api/v1/challenges/removed/", {"page_size": "0"}),
    ],
)
def test_a_bad_parameter_is_a_400_naming_it(api, path, query):
    response = api.get(path, query)
    assert response.status_code == 400
    body = response.json()
    assert list(query)[0] in body["errors"] and body["message"]


def test_lists_are_in_order_of_last_change_and_updated_since_keeps_the_recent(api):
    start = timezone.now() - timedelta(days=3)
    with time_machine.travel(start, tick=False):
        old = ListingFactory(ref="L-old")
        ChallengeFactory(ref="ch-old")
    with time_machine.travel(start + timedelta(days=1), tick=False):
        ListingFactory(ref="L-mid")
        ChallengeFactory(ref="ch-mid")
    with time_machine.travel(start + timedelta(days=2), tick=False):
        old.title = "Changed last"
        old.save()
    assert refs(api.get("/api/v1/listings/")) == ["L-mid", "L-old"]
    since = (start + timedelta(days=1, hours=12)).isoformat()
    assert refs(api.get("/api/v1/listings/", {"updated_since": since})) == ["L-old"]
    assert refs(api.get("/api/v1/challenges/", {"updated_since": since})) == []
    # "At or after": the time of the last change seen reads that change again.
    mid = (start + timedelta(days=1)).isoformat()
    assert refs(api.get("/api/v1/challenges/", {"updated_since": mid})) == ["ch-mid"]


def test_cursor_pages_read_every_record_once_even_when_records_change_meanwhile(api):
    for number in range(7):
        ListingFactory(ref=f"L-{number}")
    first = api.get("/api/v1/listings/", {"page_size": 3}).json()
    assert len(first["results"]) == 3 and first["next"] and first["previous"] is None
    assert "page=" not in first["next"] and "cursor=" in first["next"]
    assert sorted(read_all(api, "/api/v1/listings/", {"page_size": 3})) == [
        f"L-{n}" for n in range(7)
    ]
    # A new record while a partner pages through arrives at the end, not in a page read.
    second = api.get(first["next"]).json()
    ListingFactory(ref="L-new")
    rest = refs(api.get(second["next"]))
    assert rest[-1] == "L-new"


def test_the_old_paths_keep_their_page_numbers_and_error_shape(api):
    ListingFactory.create_batch(3)
    old = api.get("/api/listings/").json()
    assert old["count"] == 3 and "results" in old
    error = api.get("/api/listings/", {"kind": "sideways"}).json()
    assert list(error) == ["kind"]  # DRF's shape, as partners of /api/ parse it
    assert "count" not in api.get("/api/v1/listings/").json()


def test_themes_and_clusters_are_whole_lists(api):
    themes = api.get("/api/v1/themes/").json()
    assert isinstance(themes, list) and {"slug", "name", "description"} <= set(themes[0])
    clusters = api.get("/api/v1/clusters/").json()
    assert {c["slug"] for c in clusters} >= {"humber", "teesside"}
    assert api.get("/api/v1/clusters/atlantis/").json()["message"].startswith("Not found")


def test_a_new_name_approved_by_staff_brings_its_listings_back_into_updated_since(api, staff):
    start = timezone.now() - timedelta(days=1)
    with time_machine.travel(start, tick=False):
        listing = ListingFactory(ref="L-renamed")
    since = (start + timedelta(hours=1)).isoformat()
    assert refs(api.get("/api/v1/listings/", {"updated_since": since})) == []
    OrganisationChange.objects.create(organisation=listing.organisation, name="Renamed Ltd")
    services.approve_organisation_change(listing.organisation, staff)
    item = api.get("/api/v1/listings/", {"updated_since": since}).json()["results"]
    assert [(x["ref"], x["organisation_name"]) for x in item] == [("L-renamed", "Renamed Ltd")]
