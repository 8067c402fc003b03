"""Public organisation pages and the organisations directory (issue #12), from the outside:
a signed-out visitor, another organisation's member, the organisation's own member."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Organisation, Theme
from tests.factories import (
    ChallengeFactory,
    ClusterFactory,
    ListingFactory,
    MembershipFactory,
    OrganisationFactory,
)

pytestmark = pytest.mark.django_db

DIRECTORY = reverse("clusters:organisation-list")


def public(organisation):
    return reverse("clusters:organisation-public", args=[organisation.ref])


@pytest.fixture
def shown(db):
    """An approved organisation with one listing of every status."""
    organisation = OrganisationFactory(
        name="Amine Works Ltd",
        description="Solvent-based carbon capture for refinery heaters.",
        size=Organisation.Size.SMALL,
        website="https://amine.example/about?a=1&b=2",
    )
    organisation.clusters.set([ClusterFactory(slug="humber")])
    for status in ["published", "draft", "pending", "withdrawn"]:
        ListingFactory(organisation=organisation, status=status, title=f"A {status} offer")
    ListingFactory(
        organisation=organisation,
        status="taken_down",
        taken_down_at=timezone.now(),
        title="A taken_down offer",
    )
    ListingFactory(organisation=organisation, kind="need", title="A published need")
    ListingFactory(
        organisation=organisation,
        title="An expired offer",
        expires_on=timezone.localdate() - timedelta(days=1),
    )
    return organisation


def test_signed_out_visitor_sees_what_it_does_and_only_its_published_listings(client, shown):
    response = client.get(public(shown))
    html = response.content.decode()
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-xl">Amine Works Ltd</h1>' in html
    assert "Solvent-based carbon capture" in html
    assert "Business" in html and "10 to 49 people" in html and "Humber" in html
    assert "A published offer" in html and "A published need" in html
    for hidden in ["draft", "pending", "withdrawn", "taken_down"]:
        assert f"A {hidden} offer" not in html
    assert "An expired offer" not in html
    # The website is escaped and does not pass on ranking or the page's window.
    assert 'href="https://amine.example/about?a=1&amp;b=2" rel="nofollow noopener' in html


def test_no_contact_details_of_people_are_shown(client, shown):
    membership = MembershipFactory(organisation=shown)
    html = client.get(public(shown)).content.decode()
    assert membership.user.email not in html
    assert membership.user.name not in html


@pytest.mark.parametrize("status", ["pending", "rejected"])
def test_an_organisation_not_approved_has_no_public_page_even_for_its_members(
    client, outsider, status
):
    membership = MembershipFactory(organisation__status=status, organisation__name="Hidden Co")
    organisation = membership.organisation
    assert client.get(public(organisation)).status_code == 404
    client.force_login(outsider)
    assert client.get(public(organisation)).status_code == 404
    client.force_login(membership.user)
    assert client.get(public(organisation)).status_code == 404
    # Its own members keep their member page.
    member_page = client.get(reverse("clusters:organisation-detail", args=[organisation.ref]))
    assert member_page.status_code == 200
    # Nor is it in the directory or its search.
    client.logout()
    assert "Hidden Co" not in client.get(DIRECTORY).content.decode()
    assert "Hidden Co" not in client.get(DIRECTORY, {"q": "Hidden"}).content.decode()


def test_another_organisations_member_and_its_own_member_see_the_same_public_page(
    client, shown, outsider
):
    client.force_login(outsider)
    assert "A published offer" in client.get(public(shown)).content.decode()
    own = MembershipFactory(organisation=shown, role="member").user
    client.force_login(own)
    html = client.get(public(shown)).content.decode()
    assert "A published offer" in html and "A draft offer" not in html
    # The member page links to it.
    member_page = client.get(reverse("clusters:organisation-detail", args=[shown.ref]))
    assert public(shown) in member_page.content.decode()


def test_a_name_with_html_in_it_is_escaped(client):
    organisation = OrganisationFactory(name='<script>alert("x")</script> Ltd')
    ListingFactory(organisation=organisation, title="Plain offer")
    for url in [public(organisation), DIRECTORY, reverse("clusters:offer-list")]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html
        assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; Ltd" in html


def test_public_page_keeps_to_a_query_budget(client, shown, django_assert_max_num_queries):
    for n in range(10):
        ListingFactory(organisation=shown, title=f"More {n}", themes=["bioenergy", "hydrogen"])
    with django_assert_max_num_queries(5):
        response = client.get(public(shown))
    assert response.content.decode().count('class="cx-result"') == 12


def test_listing_pages_and_challenge_pages_link_to_the_organisation(client, shown):
    challenge = ChallengeFactory()
    listing = ListingFactory(organisation=shown, challenge=challenge)
    link = f'href="{public(shown)}"'
    assert link in client.get(reverse("clusters:offer-list")).content.decode()
    assert link in client.get(listing.get_absolute_url()).content.decode()
    assert link in client.get(challenge.get_absolute_url()).content.decode()


# The directory -----------------------------------------------------------------------------


def test_directory_lists_approved_organisations_and_is_in_the_navigation(client, shown):
    OrganisationFactory(name="Pending Co", status="pending")
    OrganisationFactory(name="Rejected Co", status="rejected")
    response = client.get(DIRECTORY)
    html = response.content.decode()
    assert response.status_code == 200
    assert f'href="{public(shown)}"' in html
    assert "Pending Co" not in html and "Rejected Co" not in html
    assert f'href="{DIRECTORY}"' in client.get(reverse("home")).content.decode()


def test_directory_searches_names_and_descriptions_by_word_stems(client, shown):
    OrganisationFactory(name="Tidal Power plc", description="Turbines in estuaries; energy.")
    names = lambda q: [o.name for o in client.get(DIRECTORY, {"q": q}).context["page_obj"]]  # noqa: E731
    assert names("capturing") == ["Amine Works Ltd"]
    assert names("amine") == ["Amine Works Ltd"]
    assert names("turbine estuary") == ["Tidal Power plc"]
    assert names("turbine capture") == []
    assert names("Energy") == ["Tidal Power plc"]  # its stem, "energi", is not in the text
    response = client.get(DIRECTORY, {"q": "!!"})
    assert "Your search has no letters or numbers" in response.content.decode()


def test_directory_filters_by_kind_cluster_and_theme_of_published_listings(client, shown):
    university = OrganisationFactory(name="Northern University", kind="university")
    university.clusters.set([ClusterFactory(slug="teesside")])
    ListingFactory(organisation=university, themes=["hydrogen"])
    # A draft's theme does not count.
    ListingFactory(organisation=shown, status="draft", themes=["hydrogen"])
    ListingFactory(organisation=shown, themes=["bioenergy"])

    def names(**params):
        return [o.name for o in client.get(DIRECTORY, params).context["page_obj"]]

    assert names(kind="university") == ["Northern University"]
    assert names(cluster="humber") == ["Amine Works Ltd"]
    assert names(theme="hydrogen") == ["Northern University"]
    assert names(theme=["hydrogen", "bioenergy"]) == ["Amine Works Ltd", "Northern University"]
    assert names(theme="bioenergy", kind="business", q="carbon") == ["Amine Works Ltd"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"kind": "spaceship"}, "Select a kind of organisation from the list"),
        ({"cluster": "atlantis"}, "Select a cluster from the list"),
        ({"theme": "nope"}, "Select themes from the list"),
        ({"q": "x" * 500}, "Search with 200 characters or fewer"),
        ({"page": "lots"}, None),
    ],
)
def test_bad_filter_values_give_a_clear_message_not_an_error(client, shown, params, message):
    response = client.get(DIRECTORY, params)
    html = response.content.decode()
    assert response.status_code == 200
    if message:
        assert "There is a problem" in html and message in html
        assert "<title>Error: Organisations" in html
    else:
        assert "Amine Works Ltd" in html  # a page that is not one shows the first


def test_directory_is_paginated_and_keeps_to_a_query_budget(client, django_assert_max_num_queries):
    humber = ClusterFactory(slug="humber")
    for n in range(25):
        OrganisationFactory(name=f"Company {n:02d}").clusters.set([humber])
    theme = Theme.objects.get(slug="hydrogen")
    with django_assert_max_num_queries(6):
        first = client.get(DIRECTORY, {"cluster": "humber", "theme": theme.slug})
    assert first.context["page_obj"].paginator.count == 0
    with django_assert_max_num_queries(6):
        first = client.get(DIRECTORY)
    assert len(first.context["page_obj"]) == 20
    second = client.get(DIRECTORY, {"page": 2})
    assert [o.name for o in second.context["page_obj"]] == [f"Company {n}" for n in range(20, 25)]
