"""The read-only API: public data only, filters shared with the pages, 4xx for bad input."""

import pytest
from django.urls import reverse

from clusters.models import Listing
from tests.factories import ChallengeFactory, ListingFactory

pytestmark = pytest.mark.django_db


def test_clusters_endpoint_lists_the_six_clusters_with_emissions(client):
    data = client.get("/api/clusters/").json()
    assert {c["slug"]: c["emissions_mtco2"] for c in data}["humber"] == 12.4
    assert len(data) == 6


def test_listings_endpoint_shows_published_listings_only(client):
    ListingFactory(ref="L-pub", kind="offer")
    ListingFactory(ref="L-draft", status=Listing.Status.DRAFT)
    ListingFactory(ref="L-pend", status=Listing.Status.PENDING)
    refs = [x["ref"] for x in client.get("/api/listings/").json()["results"]]
    assert refs == ["L-pub"]
    assert client.get("/api/listings/L-draft/").status_code == 404


def test_listings_filter_by_kind_theme_and_search(client):
    ListingFactory(ref="L-h2", kind="offer", title="Electrolysers", themes=["hydrogen"])
    ListingFactory(ref="L-need", kind="need", title="Electrolysers wanted", themes=["hydrogen"])
    ListingFactory(ref="L-bio", kind="offer", title="Biomass", themes=["bioenergy"])
    data = client.get("/api/listings/", {"kind": "offer", "theme": "hydrogen"}).json()
    assert [x["ref"] for x in data["results"]] == ["L-h2"]
    data = client.get("/api/listings/", {"q": "electrolyser"}).json()
    assert sorted(x["ref"] for x in data["results"]) == ["L-h2", "L-need"]


def test_challenges_endpoint_uses_refs_not_database_ids(client):
    ChallengeFactory(ref="ch-one", themes=["ccus"])
    item = client.get("/api/challenges/ch-one/").json()
    assert item["ref"] == "ch-one" and item["cluster"] == "humber" and item["themes"] == ["ccus"]
    assert "id" not in item


@pytest.mark.parametrize(
    "query", [{"cluster": "atlantis"}, {"theme": "nuclear"}, {"sort": "sideways"}]
)
def test_bad_filter_values_get_400_with_a_reason(client, query):
    response = client.get("/api/challenges/", query)
    assert response.status_code == 400
    assert list(query)[0] in response.json()


def test_the_api_is_read_only(client):
    response = client.post("/api/challenges/", {"ref": "x"})
    assert response.status_code in (401, 403, 405)


def test_openapi_schema_and_docs_are_served_without_a_cdn(client):
    schema = client.get(reverse("api-schema"))
    assert schema.status_code == 200
    assert b"/api/listings/" in schema.content
    docs = client.get(reverse("api-docs")).content.decode()
    # The reference is a page of this site, drawn from the same schema, linking to it.
    assert "GET /api/listings/" in docs and f'href="{reverse("api-schema")}"' in docs
    assert "swagger-ui" not in docs
    assert "cdn." not in docs and "unpkg" not in docs


def test_the_api_does_not_check_passwords_so_it_cannot_be_used_to_guess_them(client, member):
    import base64

    for password in ("a long enough password", "wrong"):
        credentials = base64.b64encode(f"{member.email}:{password}".encode()).decode()
        response = client.get("/api/listings/", HTTP_AUTHORIZATION=f"Basic {credentials}")
        assert response.status_code == 200  # the same answer, right password or wrong
    schema = client.get(reverse("api-schema"), {"format": "json"}).json()
    assert "basicAuth" not in schema["components"].get("securitySchemes", {})


@pytest.mark.parametrize("path", ["/api/listings/%C2%84/", "/api/nowhere/", "/api/themes/%00/"])
def test_addresses_under_api_that_match_nothing_answer_json_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_other_addresses_that_match_nothing_answer_the_sites_404_page(client):
    response = client.get("/nowhere/")
    assert response.status_code == 404 and "Page not found" in response.content.decode()


def test_a_reference_with_a_dot_is_found_not_read_as_a_format_suffix(client):
    ListingFactory(ref="L-2026.1")
    ChallengeFactory(ref="ch.humber")
    assert client.get("/api/listings/L-2026.1/").json()["ref"] == "L-2026.1"
    assert client.get("/api/challenges/ch.humber/").json()["ref"] == "ch.humber"
