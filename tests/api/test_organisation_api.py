"""GET/PATCH /api/v1/organisations/{ref}/: the organisation's page, for its members, with the
page's checks and its moderation of a new name or website."""

import pytest

from clusters.models import Organisation, OrganisationChange
from tests.api.conftest import bearer
from tests.factories import MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def signed_in(api, member, token_for):
    return bearer(api, token_for(member))


def url(organisation) -> str:
    return f"/api/v1/organisations/{organisation.ref}/"


def test_a_member_reads_their_organisation_and_lists_theirs(signed_in, organisation):
    organisation.clusters.set([])
    item = signed_in.get(url(organisation)).json()
    assert item["ref"] == organisation.ref and item["name"] == organisation.name
    assert item["status"] == "approved" and item["pending_change"] is None
    assert [o["ref"] for o in signed_in.get("/api/v1/organisations/").json()] == [organisation.ref]


def test_a_patch_changes_only_the_fields_sent(signed_in, organisation):
    before = Organisation.objects.get(pk=organisation.pk)
    response = signed_in.patch(
        url(organisation),
        {"description": "Heat pumps for drying lines.", "clusters": ["humber", "teesside"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    item = response.json()
    assert item["description"] == "Heat pumps for drying lines."
    assert sorted(item["clusters"]) == ["humber", "teesside"]
    organisation.refresh_from_db()
    assert organisation.name == before.name and organisation.kind == before.kind
    assert not organisation.changes.exists()


def test_a_new_name_of_an_approved_organisation_waits_for_staff(signed_in, organisation):
    old_name = organisation.name
    response = signed_in.patch(
        url(organisation), {"name": "Renamed Heat Ltd"}, format="json"
    ).json()
    assert response["name"] == old_name
    assert response["pending_change"]["name"] == "Renamed Heat Ltd"
    change = OrganisationChange.objects.get(organisation=organisation)
    assert change.status == "open" and change.website == organisation.website
    # Changing another field keeps the change waiting (as the page's form does).
    again = signed_in.patch(url(organisation), {"location": "HU12 8DS"}, format="json").json()
    assert again["pending_change"]["name"] == "Renamed Heat Ltd"
    assert again["location"] == "HU12 8DS"
    # Sending the current name again withdraws it.
    back = signed_in.patch(url(organisation), {"name": old_name}, format="json").json()
    assert back["pending_change"] is None
    assert not OrganisationChange.objects.open().exists()


def test_an_organisation_awaiting_approval_renames_at_once(api, token_for):
    member = MembershipFactory(
        organisation=OrganisationFactory(status=Organisation.Status.PENDING)
    ).user
    organisation = member.memberships.get().organisation
    bearer(api, token_for(member))
    item = api.patch(url(organisation), {"name": "New Name Ltd"}, format="json").json()
    assert item["name"] == "New Name Ltd" and item["pending_change"] is None


@pytest.mark.parametrize(
    "body, field, words",
    [
        ({"name": ""}, "name", "Enter your organisation"),
        ({"website": "ftp://example.org"}, "website", "Enter a web address"),
        ({"website": "javascript:alert(1)"}, "website", "valid URL"),
        ({"kind": "charity"}, "kind", '"charity" is not one of the choices. Use one of: business,'),
        ({"clusters": ["atlantis"]}, "clusters", "Select a cluster from the list"),
        ({"clusters": "humber"}, "clusters", "list"),
        ({"description": "x" * 10_001}, "description", "10000"),
    ],
)
def test_invalid_details_are_a_400_naming_the_field(signed_in, organisation, body, field, words):
    response = signed_in.patch(url(organisation), body, format="json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert field in errors and words in " ".join(errors[field]), errors
    organisation.refresh_from_db()
    assert organisation.name and organisation.website == "https://example.org"


def test_the_name_of_another_organisation_is_refused_as_on_the_page(
    signed_in, organisation, outsider
):
    other = outsider.memberships.get().organisation
    response = signed_in.patch(url(organisation), {"name": other.name.upper()}, format="json")
    assert response.status_code == 400
    assert "already registered" in response.json()["errors"]["name"][0]


def test_a_body_that_is_not_an_object_is_a_400(signed_in, organisation):
    response = signed_in.patch(url(organisation), ["name"], format="json")
    assert response.status_code == 400 and response.json()["message"]
