"""Server errors the fuzzers found, each kept as a plain test of its own."""

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "path",
    [
        "/listings/%00/",
        "/challenges/a%00b/",
        "/api/listings/%00/",
        "/api/themes/%00/",
        "/your-organisation/%00/",
        "/invitations/%00/",
    ],
)
def test_a_nul_character_in_the_path_is_page_not_found_on_every_database(client, member, path):
    assert client.get(path).status_code == 404
    client.force_login(member)
    response = client.get(path)
    assert response.status_code == 404
    expected = '"detail": "Not found."' if path.startswith("/api/") else "Page not found"
    assert expected in response.content.decode()


@pytest.mark.parametrize(
    "url",
    [
        "/offers/?q=a%00b",
        "/organisations/?cluster=%00",
        "/your-organisation/{org}/listings/new/?kind=offer&challenge=%00",
    ],
)
def test_a_nul_character_in_the_address_is_a_plain_bad_request_on_every_database(
    client, member, organisation, url
):
    client.force_login(member)
    response = client.get(url.format(org=organisation.ref))
    assert response.status_code == 400
    text = response.content.decode()
    assert "a NUL character" in text
    assert "Nothing was saved" in text


def test_a_nul_character_in_an_api_filter_is_a_400_naming_the_parameter(client):
    response = client.get("/api/challenges/?theme=%00")
    assert response.status_code == 400
    assert list(response.json()) == ["theme"]


def test_a_nul_character_in_a_form_changes_nothing(client, member):
    from teams.models import Shortlist
    from tests.factories import ChallengeFactory, ClusterTeamMemberFactory

    ClusterTeamMemberFactory(user=member)
    challenge = ChallengeFactory()
    client.force_login(member)
    for action in ("add", "remove"):
        response = client.post(
            f"/clusters/humber/team/challenges/{challenge.ref}/shortlist/{action}/",
            {"listing": "a\x00b"},
        )
        assert response.status_code == 404
    assert not Shortlist.objects.exists()
