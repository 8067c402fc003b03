"""The webhook pages: the owner's alone; the secret shown once; every change a POST."""

import uuid

import pytest
from django.urls import reverse

from tests.conftest import confirm_it_is_you
from webhooks import services
from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db


def test_anonymous_visitors_are_sent_to_sign_in(client):
    response = client.get(reverse("webhooks:list"))
    assert response.status_code == 302 and "/account/login/" in response["Location"]


def test_adding_an_endpoint_shows_its_secret_once(client, member, dns):
    client.force_login(member)
    confirm_it_is_you(client)
    page = client.get(reverse("webhooks:create"))
    assert "enquiry.created" not in page.text  # staff only
    response = client.post(
        reverse("webhooks:create"),
        {"url": "https://hooks.example.org/in", "events": ["match.created", "listing.expiring"]},
    )
    assert "no-store" in response["Cache-Control"]
    endpoint = Endpoint.objects.get(user=member)
    assert endpoint.events == ["listing.expiring", "match.created"]
    from webhooks.signing import unseal

    secret = unseal(endpoint.secret_sealed)
    assert secret in response.text
    assert "X-Cluster-Exchange-Signature" in response.text  # how to check it
    again = client.get(reverse("webhooks:detail", args=[endpoint.public_id]))
    assert secret not in again.text and endpoint.secret_hint in again.text
    assert "https://hooks.example.org/in" in client.get(reverse("webhooks:list")).text


def test_the_form_asks_for_an_event_and_refuses_staff_only_ones(client, member, dns):
    client.force_login(member)
    confirm_it_is_you(client)
    url = reverse("webhooks:create")
    response = client.post(url, {"url": "https://hooks.example.org/in"})
    assert "Select at least one event" in response.text
    response = client.post(
        url, {"url": "https://hooks.example.org/in", "events": ["enquiry.created"]}
    )
    assert response.status_code == 200 and not Endpoint.objects.exists()


def test_triagers_may_choose_new_enquiries(client, triager, dns):
    client.force_login(triager)
    assert "enquiry.created" in client.get(reverse("webhooks:create")).text


def test_another_user_cannot_see_test_or_delete_my_endpoint(
    client, member, outsider, make_endpoint
):
    endpoint, _ = make_endpoint(member)
    services.send_ping(endpoint)
    client.force_login(outsider)
    key = [endpoint.public_id]
    assert client.get(reverse("webhooks:detail", args=key)).status_code == 404
    assert client.post(reverse("webhooks:ping", args=key)).status_code == 404
    assert client.post(reverse("webhooks:delete", args=key)).status_code == 404
    assert endpoint.url not in client.get(reverse("webhooks:list")).text
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()
    assert endpoint.deliveries.count() == 1


def test_the_owner_sends_a_ping_and_sees_the_last_20_deliveries(
    client, member, make_endpoint, receiver, django_capture_on_commit_callbacks
):
    endpoint, _ = make_endpoint(member)
    client.force_login(member)
    detail = reverse("webhooks:detail", args=[endpoint.public_id])
    ping = reverse("webhooks:ping", args=[endpoint.public_id])
    assert client.get(ping).status_code == 405  # a GET changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(ping, follow=True)
    assert "Test ping queued" in response.text
    assert len(receiver.calls) == 1  # sent by the task (run inline in tests)
    for _ in range(25):
        services.send_ping(endpoint)
    page = client.get(detail)
    assert page.text.count('<tr class="govuk-table__row">') == 1 + 20  # head + 20 rows
    # The first ping, delivered, is the 26th newest: no longer listed.
    assert endpoint.deliveries.filter(status="delivered").count() == 1
    assert "Waiting" in page.text and "Delivered" not in page.text


def test_the_owner_deletes_an_endpoint_with_a_post(client, member, make_endpoint):
    endpoint, _ = make_endpoint(member)
    client.force_login(member)
    url = reverse("webhooks:delete", args=[endpoint.public_id])
    assert client.get(url).status_code == 405
    assert Endpoint.objects.filter(pk=endpoint.pk).exists()
    response = client.post(url, follow=True)
    assert "deleted" in response.text
    assert not Endpoint.objects.filter(pk=endpoint.pk).exists()


def test_the_account_navigation_links_to_webhooks(client, member):
    client.force_login(member)
    page = client.get(reverse("webhooks:list"))
    assert f'href="{reverse("webhooks:list")}" aria-current="page"' in page.text


def test_list_page_queries_are_bounded(
    client, member, make_endpoint, django_assert_max_num_queries
):
    client.force_login(member)
    for _ in range(3):
        make_endpoint(member)
    with django_assert_max_num_queries(8) as few:
        client.get(reverse("webhooks:list"))
    # Past the limit of 10 (made here directly): the page must stay bounded all the same.
    endpoint = Endpoint.objects.filter(user=member).first()
    for _ in range(30):
        endpoint.pk, endpoint.public_id = None, uuid.uuid4()
        endpoint.save()
    with django_assert_max_num_queries(len(few)):
        client.get(reverse("webhooks:list"))


def test_a_person_has_at_most_10_webhooks(client, member, make_endpoint):
    for _ in range(services.MAX_ENDPOINTS):
        make_endpoint(member)
    client.force_login(member)
    confirm_it_is_you(client)
    response = client.post(
        reverse("webhooks:create"),
        {"url": "https://hooks.example.org/in", "events": ["match.created"]},
    )
    assert "the most you can have" in response.text
    assert Endpoint.objects.filter(user=member).count() == services.MAX_ENDPOINTS


def test_a_second_ping_within_the_minute_is_refused_with_a_plain_message(
    client, member, make_endpoint, receiver
):
    from django.core.cache import cache

    cache.clear()
    endpoint, _ = make_endpoint(member)
    client.force_login(member)
    ping = reverse("webhooks:ping", args=[endpoint.public_id])
    assert "Test ping queued" in client.post(ping, follow=True).text
    again = client.post(ping, follow=True)
    assert "less than a minute ago" in again.text and "then try again" in again.text
    assert endpoint.deliveries.count() == 1
