"""The "Your introductions" list and the staff admin."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from introductions import services
from tests.factories import ListingFactory, MembershipFactory

from .conftest import make_match

pytestmark = pytest.mark.django_db


def add_requests(sides, count):
    for _ in range(count):
        other = MembershipFactory()
        offer = ListingFactory(organisation=other.organisation)
        make_match(sides.listing, offer)
        services.request_introduction(
            sides.asker,
            organisation=sides.listing.organisation,
            target=offer,
            message="Hello",
            about_listing=sides.listing,
        )
        need = ListingFactory(organisation=other.organisation, kind="need")
        make_match(need, sides.listing)
        intro = services.request_introduction(
            other.user,
            organisation=need.organisation,
            target=sides.listing,
            message="Hi",
            about_listing=need,
        )
        services.accept_introduction(intro, sides.asker)


def list_queries(client, sides):
    client.force_login(sides.asker)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("introductions:list", args=[sides.asking.ref]))
    assert response.status_code == 200
    return len(queries), response.content.decode()


def test_your_introductions_makes_the_same_number_of_queries_at_10_rows_and_at_200(
    client, sides, settings
):
    settings.INTRODUCTIONS_PER_ORGANISATION_PER_DAY = 1000
    add_requests(sides, 5)
    few, html = list_queries(client, sides)
    assert html.count("govuk-table__row") == 2 + 10  # two header rows
    add_requests(sides, 95)
    many, html = list_queries(client, sides)
    assert html.count("govuk-table__row") == 2 + 200
    assert many == few


def test_your_introductions_is_empty_with_words_when_there_are_none(client, sides):
    _, html = list_queries(client, sides)
    assert "No one has asked to be introduced to your organisation yet." in html
    assert "Your organisation has not asked for any introductions yet." in html


def test_staff_see_introductions_in_the_admin_with_filters_and_search(client, sides, staff):
    introduction = services.request_introduction(
        sides.asker,
        organisation=sides.listing.organisation,
        target=sides.target,
        message="Hi",
        about_listing=sides.listing,
    )
    client.force_login(staff)
    url = reverse("admin:introductions_introduction_changelist")
    html = client.get(url).content.decode()
    assert sides.asked.name in html and "Waiting for a reply" in html
    assert client.get(url, {"status__exact": "open"}).status_code == 200
    html = client.get(url, {"q": sides.asking.name}).content.decode()
    change = reverse("admin:introductions_introduction_change", args=[introduction.pk])
    assert f'href="{change}' in html  # (with the list's filters after it)
    assert str(introduction.public_id) not in html  # a UUID column read as a developer's
    found = client.get(url, {"q": str(introduction.public_id)}).content.decode()
    assert f'href="{change}' in found  # still searchable by it
    assert client.get(change).status_code == 200
