"""The open data page and the downloads, as a signed-out visitor (and a member) sees them."""

import csv
import io
import json

import pytest
from django.urls import reverse

from opendata import services
from opendata.datasets import DATASETS, LICENCE_URL
from opendata.models import OpenDataRelease
from tests import factories as f

pytestmark = pytest.mark.django_db


def _download(client, name, extension):
    response = client.get(reverse("opendata:download", args=[name, extension]))
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return response, body


def test_before_the_first_build_the_page_says_when_and_downloads_are_404(client, world):
    response = client.get(reverse("opendata:index"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "The downloads are not ready yet" in page
    assert "every day at 5am UK time" in page
    for dataset in DATASETS:
        assert f"<code>{dataset.fields[0].name}</code>" in page  # the fields are described
        for extension in ("csv", "json"):
            answer, body = _download(client, dataset.name, extension)
            assert answer.status_code == 404
            assert answer["Content-Type"].startswith("text/html")
            assert b"The open data downloads are not ready yet" in body


def test_unknown_downloads_are_404_after_a_build(client, world):
    services.build_open_data()
    for name, extension in [("people", "csv"), ("offers", "xlsx"), ("offers", "csv.exe")]:
        response, body = _download(client, name, extension)
        assert response.status_code == 404
        assert b"There is no download at this address" in body


def test_the_page_describes_each_download_with_size_rows_date_and_licence(client, world):
    release = services.build_open_data()
    response = client.get(reverse("opendata:index"))
    page = response.content.decode()
    assert "The downloads are not ready yet" not in page
    assert LICENCE_URL in page
    assert "Open Government Licence v3.0" in page
    assert "apostrophe" in page  # the formula rule is stated
    assert "byte order mark" in page
    for dataset in DATASETS:
        for extension in ("csv", "json"):
            assert reverse("opendata:download", args=[dataset.name, extension]) in page
        for field in dataset.fields:
            assert f"<code>{field.name}</code>" in page
    offers_csv = release.files["offers.csv"]
    assert (
        f'<td class="govuk-table__cell govuk-table__cell--numeric">{offers_csv["rows"]}</td>'
        in (page)
    )
    assert "No figures had been computed yet" in page
    assert 'href="/open-data/"' in page  # the footer link


def test_the_page_costs_the_same_few_queries_however_big_the_data(
    client, world, django_assert_max_num_queries
):
    for _ in range(30):
        f.ListingFactory()
    services.build_open_data()
    with django_assert_max_num_queries(3):
        assert client.get(reverse("opendata:index")).status_code == 200


def test_the_page_looks_the_same_to_a_member(client, world):
    services.build_open_data()
    client.force_login(world["member"])
    response = client.get(reverse("opendata:index"))
    assert response.status_code == 200
    assert reverse("opendata:download", args=["offers", "csv"]) in response.content.decode()


def test_csv_download_headers_and_content(client, world):
    release = services.build_open_data()
    response, body = _download(client, "offers", "csv")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    day = f"{release.built_at:%Y-%m-%d}"
    assert response["Content-Disposition"] == (
        f'attachment; filename="cluster-exchange-offers-{day}.csv"'
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Cache-Control"] == "public, max-age=3600"
    assert response["Last-Modified"]
    assert response["ETag"]
    assert response["Link"] == f'<{LICENCE_URL}>; rel="license"'
    assert "sandbox" in response["Content-Security-Policy"]
    rows = list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
    assert [row["ref"] for row in rows] == ["L-offer"]


def test_json_download_headers_and_content(client, world):
    services.build_open_data()
    response, body = _download(client, "needs", "json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert "attachment" in response["Content-Disposition"]
    document = json.loads(body)
    assert document["licence"]["url"] == LICENCE_URL
    assert [row["ref"] for row in document["rows"]] == ["L-need"]


def test_downloads_follow_the_newest_release(client, world):
    services.build_open_data()
    f.ListingFactory(ref="L-later", kind="offer")
    _, before = _download(client, "offers", "csv")
    assert b"L-later" not in before
    services.build_open_data()
    _, after = _download(client, "offers", "csv")
    assert b"L-later" in after


def test_a_failed_build_leaves_the_previous_downloads_served(client, world, monkeypatch):
    services.build_open_data()
    f.ListingFactory(ref="L-later", kind="offer")

    def broken(self, row):
        raise OSError("storage unavailable")

    monkeypatch.setattr(services.DatasetWriter, "write", broken)
    with pytest.raises(OSError):
        services.build_open_data()
    response, body = _download(client, "offers", "csv")
    assert response.status_code == 200
    assert b"L-offer" in body and b"L-later" not in body
    assert OpenDataRelease.objects.count() == 1


def test_downloads_are_get_only(client, world):
    services.build_open_data()
    url = reverse("opendata:download", args=["offers", "csv"])
    assert client.post(url).status_code == 405
    assert client.post(reverse("opendata:index")).status_code == 405
