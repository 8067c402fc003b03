""" "Offer a solution" on a challenge's page: a new offer with the challenge filled in."""

import re

import pytest
from django.urls import reverse

from clusters.models import Challenge, Listing, Theme
from tests.factories import ChallengeFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def challenge():
    challenge = ChallengeFactory(title="Low-carbon steam for the estuary")
    challenge.themes.set(Theme.objects.order_by("pk")[:2])
    return challenge


def chosen(html, name) -> set[str]:
    """The values of a form's field that are ticked or selected, as the browser would send."""
    inputs = re.findall(rf'name="{name}" type="\w+" value="([^"]*)"[^>]*\bchecked', html)
    select = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S)
    options = re.findall(r'<option value="([^"]*)" selected>', select[1]) if select else []
    return set(inputs) | set(options)


def offer_url(challenge):
    return reverse("clusters:challenge-offer", args=[challenge.ref])


def create_url(organisation, challenge):
    return (
        reverse("clusters:listing-create", args=[organisation.ref])
        + f"?kind=offer&challenge={challenge.ref}"
    )


def test_signed_out_the_button_leads_to_sign_in_and_back(client, challenge):
    html = client.get(challenge.get_absolute_url()).content.decode()
    login = reverse("account_login")
    assert f'href="{login}?next={offer_url(challenge)}"' in html
    assert "Sign in to offer a solution" in html
    response = client.get(offer_url(challenge))
    assert response.status_code == 302
    assert response["Location"] == f"{login}?next={offer_url(challenge)}"


def test_a_closed_challenge_has_no_button_and_its_link_goes_back(client, member, challenge):
    challenge.status = Challenge.Status.CLOSED
    challenge.save(update_fields=["status"])
    client.force_login(member)
    html = client.get(challenge.get_absolute_url()).content.decode()
    assert offer_url(challenge) not in html
    assert "Offer a solution" not in html
    response = client.get(offer_url(challenge), follow=True)
    assert response.redirect_chain[-1][0] == challenge.get_absolute_url()
    assert "This challenge is closed" in response.content.decode()


def test_a_user_with_no_organisation_is_sent_to_start_or_join_one(client, challenge):
    client.force_login(UserFactory())
    response = client.get(offer_url(challenge), follow=True)
    assert response.redirect_chain[-1][0] == reverse("clusters:organisation-start")
    html = response.content.decode()
    assert "Register your organisation" in html
    assert "then offer your solution to the challenge" in html


def test_a_member_goes_to_a_new_offer_with_the_challenge_cluster_and_themes_ticked(
    client, member, organisation, challenge
):
    client.force_login(member)
    html = client.get(challenge.get_absolute_url()).content.decode()
    assert f'href="{offer_url(challenge)}"' in html
    response = client.get(offer_url(challenge))
    assert response.status_code == 302
    assert response["Location"] == create_url(organisation, challenge)

    form = client.get(response["Location"]).content.decode()
    assert chosen(form, "kind") == {"offer"}
    assert chosen(form, "challenge") == {str(challenge.pk)}
    assert chosen(form, "clusters") == {str(challenge.cluster_id)}
    assert chosen(form, "themes") == {
        str(pk) for pk in challenge.themes.values_list("pk", flat=True)
    }
    assert len(chosen(form, "themes")) == 2
    # A GET creates nothing.
    assert not Listing.objects.exists()


def test_a_member_of_several_organisations_chooses_which_one_offers(client, member, challenge):
    second = MembershipFactory(user=member).organisation
    client.force_login(member)
    response = client.get(offer_url(challenge))
    assert response.status_code == 200
    html = response.content.decode()
    for organisation in member.memberships.values_list("organisation__ref", flat=True):
        assert reverse("clusters:listing-create", args=[organisation]) in html
    assert f"Write an offer for {second.name}" in html


def test_an_unknown_or_closed_challenge_in_the_link_fills_nothing_in(
    client, member, organisation, challenge
):
    challenge.status = Challenge.Status.CLOSED
    challenge.save(update_fields=["status"])
    client.force_login(member)
    url = reverse("clusters:listing-create", args=[organisation.ref])
    for ref in (challenge.ref, "no-such-challenge", ""):
        form = client.get(f"{url}?challenge={ref}").content.decode()
        assert chosen(form, "challenge") <= {""}
        assert chosen(form, "themes") == set() and chosen(form, "clusters") == set()


def test_another_organisations_create_page_stays_closed(client, outsider, organisation, challenge):
    client.force_login(outsider)
    assert client.get(create_url(organisation, challenge)).status_code == 404
