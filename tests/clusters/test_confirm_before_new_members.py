"""Letting someone into an organisation outlives the session that does it: inviting and
deciding a request to join ask for the password unless it was given, or the person signed in,
in the last 5 minutes (config.confirmation; outside probe, stop 29)."""

from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from clusters.models import Invitation, JoinRequest, Membership
from tests.conftest import confirm_it_is_you
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _reauthenticate_url(response) -> str:
    assert response.status_code == 302
    return response["Location"]


def test_an_invitation_from_a_session_not_confirmed_lately_asks_for_the_password_first(
    client, member, organisation
):
    client.force_login(member)
    confirm_it_is_you(client)
    url = reverse("clusters:organisation-invite", args=[organisation.ref])
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = client.post(url, {"email": "mallory@example.net"})
        location = _reauthenticate_url(response)
        assert location.startswith(reverse("account_reauthenticate"))
        # Back to the organisation's page afterwards (the invite address answers POST only),
        # with the address typed put back in the box (re-probe, stop 29), once. The address
        # waits in the session, not in the page's address (logs, history, crafted links).
        back = parse_qs(urlsplit(location).query)["next"][0]
        page = reverse("clusters:organisation-detail", args=[organisation.ref])
        assert back == f"{page}#invite"
        assert "mallory" not in location
        assert not Invitation.objects.exists()
        # Opened before the password is given, the page neither shows it nor uses it up.
        assert "mallory@example.net" not in client.get(page).content.decode()
        confirm_it_is_you(client)
        html = client.get(back.split("#")[0]).content.decode()
        assert 'value="mallory@example.net"' in html
        assert 'value="mallory@example.net"' not in client.get(page).content.decode()
        assert not Invitation.objects.exists()  # the page only shows it
        # An address in the page's address fills in nothing.
        crafted = client.get(page, {"invite": "eve@example.net"}).content.decode()
        assert "eve@example.net" not in crafted
        client.post(url, {"email": "mallory@example.net"})
    assert Invitation.objects.filter(email="mallory@example.net").count() == 1


def test_an_address_typed_and_left_is_not_put_back_days_later(client, member, organisation):
    """Typed by whoever had the session, it waited in it for good and came back, one press
    from being sent, once the person next gave their password (review, stop 30)."""
    client.force_login(member)
    confirm_it_is_you(client)
    url = reverse("clusters:organisation-invite", args=[organisation.ref])
    page = reverse("clusters:organisation-detail", args=[organisation.ref])
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        client.post(url, {"email": "mallory@example.net"})
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        confirm_it_is_you(client)
        assert "mallory@example.net" not in client.get(page).content.decode()
    assert not Invitation.objects.exists()


def test_a_join_request_from_a_session_not_confirmed_lately_is_not_decided(
    client, member, organisation
):
    newcomer = UserFactory()
    join_request = JoinRequest.objects.create(organisation=organisation, user=newcomer)
    client.force_login(member)
    confirm_it_is_you(client)
    url = reverse("clusters:join-request-decide", args=[organisation.ref, join_request.public_id])
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        response = client.post(url, {"decision": "approve"})
        assert _reauthenticate_url(response).startswith(reverse("account_reauthenticate"))
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.OPEN
    assert not Membership.objects.filter(user=newcomer).exists()


def test_someone_from_another_organisation_still_gets_not_found_not_the_password_page(
    client, organisation, outsider
):
    client.force_login(outsider)
    response = client.post(
        reverse("clusters:organisation-invite", args=[organisation.ref]),
        {"email": "mallory@example.net"},
    )
    assert response.status_code == 404
    assert not Invitation.objects.exists()


def test_an_organisation_that_cannot_invite_yet_says_why_before_asking_for_the_password(client):
    """Review, stop 29: the password first, only to be told it cannot invite anyone yet."""
    from tests.factories import MembershipFactory

    member = MembershipFactory(organisation__status="pending").user
    organisation = member.memberships.get().organisation
    client.force_login(member)
    response = client.post(
        reverse("clusters:organisation-invite", args=[organisation.ref]),
        {"email": "colleague@example.org"},
    )
    assert response.status_code == 200
    assert "approve" in response.content.decode()
    assert not Invitation.objects.exists()


def test_the_address_put_back_is_only_ever_a_valid_address(client, member, organisation):
    client.force_login(member)
    page = reverse("clusters:organisation-detail", args=[organisation.ref])
    html = client.get(page, {"invite": '"><script>alert(1)</script>'}).content.decode()
    assert "alert(1)" not in html
