"""Staff see endpoints and deliveries read-only, never a secret, and can turn endpoints off."""

import pytest
from django.urls import reverse

from webhooks.models import Endpoint

pytestmark = pytest.mark.django_db


def test_the_admin_never_shows_a_secret(client, staff, member, make_endpoint):
    endpoint, secret = make_endpoint(member)
    client.force_login(staff)
    pages = [
        reverse("admin:webhooks_endpoint_changelist"),
        reverse("admin:webhooks_endpoint_change", args=[endpoint.pk]),
    ]
    for url in pages:
        text = client.get(url).text
        assert endpoint.url in text
        assert secret not in text and endpoint.secret_sealed not in text
    # Not even as a filter from the address bar (an oracle for the sealed value).
    response = client.get(pages[0] + "?secret_sealed__startswith=g")
    assert endpoint.url not in response.text


def test_staff_turn_an_endpoint_off_through_the_action(client, staff, member, make_endpoint):
    endpoint, _ = make_endpoint(member)
    client.force_login(staff)
    client.post(
        reverse("admin:webhooks_endpoint_changelist"),
        {"action": "deactivate", "_selected_action": [endpoint.pk]},
    )
    endpoint.refresh_from_db()
    assert not endpoint.active and staff.email in endpoint.deactivated_reason


def test_the_admin_cannot_add_or_edit_endpoints(client, staff):
    client.force_login(staff)
    assert client.get(reverse("admin:webhooks_endpoint_add")).status_code == 403


def test_triagers_do_not_see_webhooks_in_the_admin(client, triager, member, make_endpoint):
    make_endpoint(member)
    client.force_login(triager)
    assert client.get(reverse("admin:webhooks_endpoint_changelist")).status_code == 403
    assert Endpoint.objects.count() == 1
