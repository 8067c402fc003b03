"""api.caching.CachedPublicReads: anonymous reads of public lists and records from the cache,
after throttling, retired the moment public content changes, never for a token or a session.

Tested on a viewset made here (the listings viewset with the mixin), so that the tests do
not depend on which viewsets use it.
"""

import pytest
from django.urls import include, path
from rest_framework.routers import SimpleRouter

from api.caching import CachedPublicReads
from clusters import api as cluster_api
from clusters.models import Listing
from tests.factories import ListingFactory, MembershipFactory

pytestmark = [pytest.mark.django_db, pytest.mark.urls(__name__)]
CACHE = "X-Page-Cache"


class CachedListings(CachedPublicReads, cluster_api.ListingViewSet):
    pass


router = SimpleRouter()
router.register("listings", CachedListings, basename="cached-listing")
urlpatterns = [path("api/v1/", include(router.urls))]


@pytest.fixture
def listings(db):
    return [ListingFactory(title=f"Heat pump {n}") for n in range(3)]


def test_an_anonymous_read_is_served_from_the_cache_with_one_query(
    api, listings, django_assert_max_num_queries
):
    first = api.get("/api/v1/listings/")
    assert first.status_code == 200 and first[CACHE] == "miss"
    with django_assert_max_num_queries(1):  # the content generation
        again = api.get("/api/v1/listings/")
    assert again[CACHE] == "hit" and again.json() == first.json()
    one = f"/api/v1/listings/{listings[0].ref}/"
    assert api.get(one)[CACHE] == "miss"
    with django_assert_max_num_queries(1):
        assert api.get(one)[CACHE] == "hit"
    # Another page, filter or host is another entry (the answer's links carry the host).
    assert api.get("/api/v1/listings/?kind=offer")[CACHE] == "miss"
    other_host = api.get("/api/v1/listings/", HTTP_HOST="127.0.0.1")
    assert other_host[CACHE] == "miss" and "127.0.0.1" not in first.content.decode()


def test_a_change_to_public_content_shows_at_once(api, listings):
    api.get("/api/v1/listings/")
    listing = listings[0]
    listing.title = "Steam recompression"
    listing.save()
    answer = api.get("/api/v1/listings/")
    assert answer[CACHE] == "miss"
    assert "Steam recompression" in answer.content.decode()
    listing.status = Listing.Status.WITHDRAWN
    listing.save()
    assert listing.ref not in api.get("/api/v1/listings/").content.decode()
    assert api.get(f"/api/v1/listings/{listing.ref}/").status_code == 404


def test_a_token_or_a_session_always_gets_a_fresh_answer_never_kept(
    api, listings, token_for, django_assert_max_num_queries
):
    member = MembershipFactory().user
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {token_for(member, 'read')}")
    assert api.get("/api/v1/listings/")[CACHE] == "bypass"
    api.credentials()
    assert api.get("/api/v1/listings/")[CACHE] == "miss"  # the token's answer was not kept
    api.force_login(member)
    assert api.get("/api/v1/listings/")[CACHE] == "bypass"


def test_throttling_still_counts_cached_answers(api, listings, monkeypatch):
    from api.throttling import AnonymousThrottle

    monkeypatch.setattr(AnonymousThrottle, "THROTTLE_RATES", {"anon": "2/minute"})
    monkeypatch.setattr(CachedListings, "throttle_classes", [AnonymousThrottle])
    assert api.get("/api/v1/listings/")[CACHE] == "miss"
    assert api.get("/api/v1/listings/")[CACHE] == "hit"
    refused = api.get("/api/v1/listings/")
    assert refused.status_code == 429 and "Retry-After" in refused


def test_only_a_200_is_kept_and_answers_vary_by_cookie_and_authorization(api, listings):
    for _ in range(2):
        missing = api.get("/api/v1/listings/L-nowhere/")
        assert missing.status_code == 404 and missing.get(CACHE) not in ("hit", "miss")
    answer = api.get("/api/v1/listings/")
    vary = {h.strip().lower() for h in answer["Vary"].split(",")}
    assert {"cookie", "authorization"} <= vary


def test_the_cache_is_off_with_the_page_cache(api, listings, settings):
    settings.PAGE_CACHE_ENABLED = False
    api.get("/api/v1/listings/")
    assert api.get("/api/v1/listings/")[CACHE] == "bypass"
