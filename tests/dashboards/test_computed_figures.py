"""The dashboards drawn from figures the insights task really computed (issue #13): the two
parts meet on `Figure` rows, so their numbers are checked together against the records."""

import csv
import io

import pytest
from django.urls import reverse

from clusters.models import Listing
from insights.services import compute_insights
from tests.insights.world import build

pytestmark = pytest.mark.django_db


def csv_rows(client, name, args) -> list[list[str]]:
    response = client.get(reverse(name, args=args))
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_clusters_published_chart_has_the_records_counts_by_month(client):
    build()
    compute_insights()
    rows = csv_rows(client, "dashboards:cluster-csv", ["humber", "published"])
    assert rows[0] == ["Month", "Offers published", "Needs published"]
    by_month = {row[0]: (int(row[1]), int(row[2])) for row in rows[1:]}
    assert by_month["2026-03"] == (1, 1)
    assert by_month["2026-04"] == (1, 1)
    published = Listing.objects.filter(
        clusters__slug="humber", status=Listing.Status.PUBLISHED, published_at__isnull=False
    )
    assert sum(offers for offers, _ in by_month.values()) == published.filter(kind="offer").count()
    assert sum(needs for _, needs in by_month.values()) == published.filter(kind="need").count()


def test_the_outcomes_chart_counts_the_best_answer_of_either_side(client):
    build()  # one accepted introduction: "talking" from one side, "a contract" from the other
    compute_insights()
    rows = csv_rows(client, "dashboards:cluster-csv", ["humber", "outcomes"])
    counts = {row[0]: row[1] for row in rows[1:]}
    assert counts["a contract"] == "1"
    assert counts["talking"] == "0"
    assert sum(int(n) for n in counts.values()) == 1
    page = client.get(reverse("dashboards:cluster", args=["humber"])).content.decode()
    assert "Computed on" in page
