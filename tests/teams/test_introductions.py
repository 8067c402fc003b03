"""A cluster team asks for an introduction to a shortlisted offer's organisation, from the
challenge (issue #12). The request itself is made by introductions.services
(request_introduction(about_challenge=...)), with its limits and double opt-in."""

import pytest
from django.urls import reverse

from introductions.models import Introduction
from tests.factories import (
    ClusterTeamMemberFactory,
    MembershipFactory,
    OrganisationFactory,
    ShortlistFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def entry(challenge):
    """A shortlisted offer whose organisation has a member who could answer a request."""
    return ShortlistFactory(
        challenge=challenge, listing__organisation=MembershipFactory().organisation
    )


@pytest.fixture
def team_with_organisation(db):
    """A Humber team member who is also a member of an approved organisation."""
    user = MembershipFactory(organisation__name="Humber Cluster Plan Ltd").user
    ClusterTeamMemberFactory(user=user)
    return user


def url(entry):
    return reverse("teams:introduce", args=["humber", entry.challenge.ref, entry.listing.ref])


def test_team_member_asks_for_an_introduction_about_the_challenge(
    client, team_with_organisation, entry
):
    client.force_login(team_with_organisation)
    assert client.get(url(entry)).status_code == 200
    assert not Introduction.objects.exists()  # a GET sends nothing
    organisation = team_with_organisation.memberships.get().organisation
    response = client.post(
        url(entry),
        {"organisation": organisation.ref, "message": "We would like to talk about capture."},
    )
    assert response.status_code == 302
    introduction = Introduction.objects.get()
    assert introduction.target_listing == entry.listing
    assert introduction.challenge == entry.challenge
    assert introduction.from_organisation.name == "Humber Cluster Plan Ltd"


def test_an_empty_message_shows_what_to_fix_and_sends_nothing(
    client, team_with_organisation, entry
):
    client.force_login(team_with_organisation)
    response = client.post(url(entry), {"message": ""})
    assert "Enter a message to the organisation" in response.content.decode()
    assert not Introduction.objects.exists()


def test_team_member_without_an_organisation_is_told_how_to_get_one(client, team_member, entry):
    client.force_login(team_member)
    page = client.get(url(entry)).content.decode()
    assert "Introductions are between organisations" in page
    client.post(url(entry), {"message": "Hello"})
    assert not Introduction.objects.exists()


def test_unapproved_organisation_cannot_be_chosen(client, entry):
    user = MembershipFactory(organisation=OrganisationFactory(status="pending")).user
    ClusterTeamMemberFactory(user=user)
    client.force_login(user)
    assert "Introductions are between organisations" in client.get(url(entry)).content.decode()


@pytest.mark.parametrize("who", ["other_team_member", "pending_member", "member"])
def test_anyone_but_the_clusters_team_gets_404(client, request, who, entry):
    client.force_login(request.getfixturevalue(who))
    assert client.post(url(entry), {"message": "Hello"}).status_code == 404


def test_an_offer_not_on_the_shortlist_gets_404(client, team_with_organisation, challenge):
    other = ShortlistFactory()  # shortlisted for another challenge
    client.force_login(team_with_organisation)
    address = reverse("teams:introduce", args=["humber", challenge.ref, other.listing.ref])
    assert client.get(address).status_code == 404


def test_an_offer_with_nobody_to_answer_says_so_before_the_form(
    client, team_with_organisation, challenge
):
    """Most imported organisations have no members: the form was shown, and a POST only then
    said nobody could answer (stop 28). Now the page says it first, with our Get in touch
    form, and a POST anyway sends nothing."""
    lonely = ShortlistFactory(challenge=challenge)  # its organisation has no member
    client.force_login(team_with_organisation)
    page = client.get(url(lonely)).content.decode()
    assert "can answer a request for an introduction on Cluster Exchange yet" in page
    assert f'href="{reverse("enquiries:create")}"' in page
    assert "Send the request" not in page
    organisation = team_with_organisation.memberships.get().organisation
    client.post(url(lonely), {"organisation": organisation.ref, "message": "Hello"})
    assert not Introduction.objects.exists()
