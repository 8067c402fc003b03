"""The webhooks API (/api/v1/webhooks/): every actor against every endpoint and method."""

import pytest

from tests.api.matrix import Cell, check_matrix
from webhooks import services
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db

EVERYONE_ELSE_404 = {
    "member_b": 404,
    "team": 404,
    "triager": 404,
    "moderator": 404,
    "programme_admin": 404,
    "superuser": 404,
}


@pytest.fixture
def no_dns(monkeypatch):
    """Names are not found (no real lookups from the tests); address literals still work."""
    import socket

    from webhooks import addresses

    def getaddrinfo(host, *args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(addresses.socket, "getaddrinfo", getaddrinfo)


def member_a_endpoint(actors):
    """A fresh endpoint of member_a's (on a public address literal: no DNS needed), the
    others gone (a person may have 10)."""
    Endpoint.objects.filter(user=actors["member_a"]).delete()
    return services.create_endpoint(
        actors["member_a"], "https://93.184.215.14/hook", ["match.created"]
    )[0]


def test_webhooks_permission_matrix(api, actors, token_for, settings):
    signed_in = dict.fromkeys((n for n in actors if n != "anonymous"), 200)
    cells = [
        Cell("get", "/api/v1/webhooks/", {"anonymous": 401, **signed_in}),
        Cell(
            "post",
            "/api/v1/webhooks/",
            {"anonymous": 401, **dict.fromkeys(signed_in, 201)},
            body={"url": "https://93.184.215.14/in", "events": ["listing.expiring"]},
        ),
        Cell(
            "get",
            lambda a, e: f"/api/v1/webhooks/{e.public_id}/",
            {"anonymous": 401, "member_a": 200, **EVERYONE_ELSE_404},
            setup=member_a_endpoint,
        ),
        Cell(
            "get",
            lambda a, e: f"/api/v1/webhooks/{e.public_id}/deliveries/",
            {"anonymous": 401, "member_a": 200, **EVERYONE_ELSE_404},
            setup=member_a_endpoint,
        ),
        Cell(
            "post",
            lambda a, e: f"/api/v1/webhooks/{e.public_id}/ping/",
            {"anonymous": 401, "member_a": 202, **EVERYONE_ELSE_404},
            setup=member_a_endpoint,
        ),
        Cell(
            "delete",
            lambda a, e: f"/api/v1/webhooks/{e.public_id}/",
            {"anonymous": 401, "member_a": 204, **EVERYONE_ELSE_404},
            setup=member_a_endpoint,
        ),
    ]
    check_matrix(api, actors, cells, token_for)


def test_creating_answers_the_secret_once_and_refuses_private_addresses(api, actors, token_for):
    from tests.api.conftest import bearer

    bearer(api, token_for(actors["member_a"]))
    response = api.post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/in", "events": ["match.created"]},
        format="json",
    )
    assert response.status_code == 201
    secret = response.data["secret"]
    assert secret.startswith("whsec_")
    listed = api.get("/api/v1/webhooks/")
    assert secret not in listed.content.decode()
    assert listed.data["results"][0]["secret_hint"] == secret[-4:]
    refused = api.post(
        "/api/v1/webhooks/",
        {"url": "https://169.254.169.254/latest/", "events": ["match.created"]},
        format="json",
    )
    assert refused.status_code == 400
    assert "public internet" in refused.data["errors"]["url"][0]
    staff_only = api.post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/in", "events": ["enquiry.created"]},
        format="json",
    )
    assert staff_only.status_code == 400 and "events" in staff_only.data["errors"]
    assert Endpoint.objects.count() == 1


def test_a_triager_may_have_new_enquiries(api, actors, token_for):
    from tests.api.conftest import bearer

    bearer(api, token_for(actors["triager"]))
    response = api.post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/in", "events": ["enquiry.created"]},
        format="json",
    )
    assert response.status_code == 201, response.data


@pytest.mark.parametrize("count", [10, 500])
def test_the_lists_take_the_same_queries_at_10_and_500(
    api, actors, token_for, count, django_assert_max_num_queries
):
    from tests.api.conftest import bearer
    from webhooks.models import Delivery

    user = actors["member_a"]
    endpoint = member_a_endpoint(actors)
    # Past the limit of 10 (made here directly): the list must stay bounded all the same.
    Endpoint.objects.bulk_create(
        Endpoint(user=user, url=f"https://93.184.215.14/{n}", secret_sealed="-")
        for n in range(count)
    )
    services.emit_many("match.created", [({"n": n}, [user.pk], f"k{n}") for n in range(count)])
    assert Delivery.objects.filter(endpoint=endpoint).count() == count
    bearer(api, token_for(user))
    with django_assert_max_num_queries(6):
        page = api.get("/api/v1/webhooks/?page_size=500")
    assert page.status_code == 200 and len(page.data["results"]) == min(count + 1, 500)
    with django_assert_max_num_queries(6):
        page = api.get(f"/api/v1/webhooks/{endpoint.public_id}/deliveries/?page_size=500")
    assert page.status_code == 200 and len(page.data["results"]) == count


@pytest.mark.parametrize(
    "body",
    [
        {"url": "https://\x00/", "events": ["match.created"]},
        {"url": "https://[::1/", "events": ["match.created"]},
        {"url": "https://a..b/", "events": ["match.created"]},
        {"url": "https://" + "a" * 300 + ".org/", "events": ["match.created"]},
        {"url": "https://93.184.215.14:99999/", "events": ["match.created"]},
        {"url": "ftp://93.184.215.14/", "events": ["match.created"]},
        {"url": "", "events": ["match.created"]},
        {"url": 5, "events": "match.created"},
        {"url": "https://93.184.215.14/", "events": ["no.such.event"]},
        {"url": "https://93.184.215.14/", "events": []},
        {},
    ],
)
def test_bad_input_is_a_400_with_field_errors_never_a_500(api, actors, token_for, body, no_dns):
    from tests.api.conftest import bearer

    bearer(api, token_for(actors["member_a"]))
    response = api.post("/api/v1/webhooks/", body, format="json")
    assert response.status_code == 400, response.content
    assert response.data["errors"] and response.data["message"]
    assert not Endpoint.objects.exists()


def test_past_the_limit_the_api_says_why(api, actors, token_for):
    from tests.api.conftest import bearer

    for _ in range(services.MAX_ENDPOINTS):
        services.create_endpoint(actors["member_a"], "https://93.184.215.14/x", ["match.created"])
    bearer(api, token_for(actors["member_a"]))
    response = api.post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/in", "events": ["match.created"]},
        format="json",
    )
    assert response.status_code == 409  # as for saved searches: a limit, not a bad field
    assert "the most you can have" in response.data["message"]
    assert Endpoint.objects.filter(user=actors["member_a"]).count() == services.MAX_ENDPOINTS


def test_a_name_that_fails_the_second_check_is_a_400_on_url_not_a_500(
    api, actors, token_for, monkeypatch
):
    """The serializer checks the address, then create_endpoint resolves it again: what the
    name resolves to can change between the two (or the second lookup fail)."""
    from tests.api.conftest import bearer
    from webhooks.addresses import Refused

    def second_check_refuses(url):
        raise Refused("“93.184.215.14” is a private address now.")

    # The form's check (webhooks.forms.check_url) passes; the service's, the second, refuses.
    monkeypatch.setattr(services, "check_url", second_check_refuses)
    bearer(api, token_for(actors["member_a"]))
    response = api.post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/in", "events": ["match.created"]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "private address now" in response.data["errors"]["url"][0]
    assert not Endpoint.objects.exists()


@pytest.mark.parametrize("suffix", ["", "deliveries/", "ping/"])
@pytest.mark.parametrize("bad", ["-" * 36, "0" * 36, "12345678-1234-1234-1234-12345678901-"])
def test_a_malformed_id_is_a_404_not_a_400(api, actors, token_for, suffix, bad):
    from tests.api.conftest import bearer

    member_a_endpoint(actors)
    bearer(api, token_for(actors["member_a"]))
    method = api.post if suffix == "ping/" else api.get
    assert method(f"/api/v1/webhooks/{bad}/{suffix}").status_code == 404
    assert api.delete(f"/api/v1/webhooks/{bad}/").status_code == 404


def test_the_answer_that_shows_the_secret_is_not_stored_by_caches(api, actors, token_for):
    from tests.api.conftest import bearer

    bearer(api, token_for(actors["member_a"]))
    response = api.post(
        "/api/v1/webhooks/",
        {"url": "https://93.184.215.14/in", "events": ["match.created"]},
        format="json",
    )
    assert response.status_code == 201
    assert "no-store" in response["Cache-Control"]


def test_pings_are_limited_per_endpoint_with_retry_after(api, actors, token_for):
    from django.core.cache import cache

    from tests.api.conftest import bearer
    from webhooks.models import Delivery

    cache.clear()
    endpoint = member_a_endpoint(actors)
    other = services.create_endpoint(
        actors["member_a"], "https://93.184.215.14/other", ["match.created"]
    )[0]
    bearer(api, token_for(actors["member_a"]))
    assert api.post(f"/api/v1/webhooks/{endpoint.public_id}/ping/").status_code == 202
    again = api.post(f"/api/v1/webhooks/{endpoint.public_id}/ping/")
    assert again.status_code == 429, again.content
    assert 0 < int(again["Retry-After"]) <= 60
    assert "ping" in again.data["message"].lower()
    assert Delivery.objects.filter(endpoint=endpoint).count() == 1
    # Another endpoint has its own allowance.
    assert api.post(f"/api/v1/webhooks/{other.public_id}/ping/").status_code == 202


def test_deliveries_are_listed_newest_first(api, actors, token_for):
    """Found in review: the endpoints' own order (oldest change first) was used."""
    from datetime import timedelta

    from django.utils import timezone

    from tests.api.conftest import bearer
    from webhooks.models import Delivery

    user = actors["member_a"]
    endpoint = member_a_endpoint(actors)
    services.emit_many("match.created", [({"n": n}, [user.pk], f"k{n}") for n in range(3)])
    now = timezone.now()
    for age, delivery in enumerate(Delivery.objects.filter(endpoint=endpoint).order_by("id")):
        # The first made is the newest here: the order cannot come from ids.
        Delivery.objects.filter(pk=delivery.pk).update(created_at=now - timedelta(hours=3 - age))
    bearer(api, token_for(user))
    first = api.get(f"/api/v1/webhooks/{endpoint.public_id}/deliveries/?page_size=2").json()
    second = api.get(first["next"]).json()
    seen = [row["created_at"] for row in first["results"] + second["results"]]
    assert len(set(seen)) == 3
    assert seen == sorted(seen, reverse=True)  # ISO times in one zone: text order is time order
