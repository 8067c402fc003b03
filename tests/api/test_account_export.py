"""The data export through the API: a read-and-write token or the person's session only."""

import pytest

from accounts.export import FORMAT
from tests.api.conftest import bearer
from tests.conftest import confirm_it_is_you

pytestmark = pytest.mark.django_db
URL = "/api/v1/account/export/"


def test_a_read_and_write_token_downloads_the_owners_data(api, member, organisation, token_for):
    bearer(api, token_for(member, "write"))
    response = api.get(URL)
    assert response.status_code == 200
    data = response.json()
    assert data["format"] == FORMAT
    assert data["account"]["email"] == member.email
    assert [o["ref"] for o in data["organisations"]] == [organisation.ref]
    assert "no-store" in response["Cache-Control"]


def test_a_read_only_token_cannot_download_everything(api, member, token_for):
    bearer(api, token_for(member, "read"))
    response = api.get(URL)
    assert response.status_code == 403
    assert "read-only token cannot download all your data" in response.json()["message"]
    assert "account" not in response.json()


def test_the_signed_in_session_downloads_it(client, member):
    client.force_login(member)
    assert client.get(URL).status_code == 403  # not without the password given again
    confirm_it_is_you(client)
    response = client.get(URL)
    assert response.status_code == 200
    assert response.json()["account"]["email"] == member.email


def test_it_is_the_tokens_owners_data_only(api, member, outsider, token_for):
    bearer(api, token_for(outsider))
    data = api.get(URL).json()
    assert data["account"]["email"] == outsider.email
    assert member.email not in str(data)


def test_anonymous_is_a_401(api):
    assert api.get(URL).status_code == 401


def test_the_schema_names_every_part_of_the_export(api, member, token_for):
    """The schema's PersonalData lists exactly the export's top-level keys."""
    from accounts.api import PersonalDataSerializer

    bearer(api, token_for(member))
    assert set(api.get(URL).json()) == set(PersonalDataSerializer().fields)
