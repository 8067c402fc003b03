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
