"""Page numbers in list URLs (config.pages.requested_page): a number below 1 gives the
first page, as a person who typed ?page=0 would expect, not the last."""

import pytest
from django.core.paginator import Paginator
from django.urls import reverse

from config.pages import requested_page
from tests.factories import ListingFactory
from tests.funding.factories import FundingCallFactory


@pytest.mark.parametrize(
    "number, expected",
    [("0", 1), ("-3", 1), ("2", 2), ("3", 3), ("99", 3), ("x", 1), (None, 1), ("1e400", 1)],
)
def test_the_page_asked_for(number, expected):
    assert requested_page(Paginator(range(50), 20), number).number == expected


@pytest.mark.django_db
@pytest.mark.parametrize("page", ["0", "-1"])
def test_a_list_page_below_one_shows_the_first_page(client, page):
    ListingFactory.create_batch(25, kind="offer")
    first = client.get(reverse("clusters:offer-list"))
    asked = client.get(reverse("clusters:offer-list"), {"page": page})
    assert asked.status_code == 200
    assert asked.context["page_obj"].number == 1
    shown = list(asked.context["page_obj"].object_list)
    assert shown == list(first.context["page_obj"].object_list)


@pytest.mark.django_db
def test_the_funding_list_below_one_shows_the_first_page(client):
    for _ in range(25):
        FundingCallFactory()
    assert client.get(reverse("funding:call-list"), {"page": "0"}).context["page_obj"].number == 1
