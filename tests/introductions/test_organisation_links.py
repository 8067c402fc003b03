"""Matches and introduction pages link the other organisation's name to its public page
(issue #12), and only when that organisation is approved."""

import pytest
from django.template.loader import render_to_string
from django.urls import reverse

from introductions.models import Introduction
from tests.factories import OrganisationFactory

pytestmark = pytest.mark.django_db


def link(organisation):
    return f'href="{reverse("clusters:organisation-public", args=[organisation.ref])}"'


def test_matches_request_and_introduction_pages_link_to_the_other_organisation(client, sides):
    client.force_login(sides.asker)
    matches = client.get(reverse("matching:organisation", args=[sides.asking.ref]))
    assert link(sides.asked) in matches.content.decode()
    request_url = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
    assert link(sides.asked) in client.get(request_url).content.decode()
    client.post(request_url, {"message": "We dry pulp and would like to hear more."})
    introduction = Introduction.objects.get()
    sent = client.get(introduction.get_absolute_url())
    assert link(sides.asked) in sent.content.decode()
    client.force_login(sides.contact)
    received = client.get(introduction.get_absolute_url())
    assert link(sides.asking) in received.content.decode()


@pytest.mark.parametrize(("status", "linked"), [("approved", True), ("pending", False)])
def test_the_name_is_linked_only_for_an_approved_organisation(status, linked):
    organisation = OrganisationFactory(status=status, name="Tom & Jerry <Ltd>")
    html = render_to_string("clusters/_organisation_name.html", {"organisation": organisation})
    assert "Tom &amp; Jerry &lt;Ltd&gt;" in html
    assert (link(organisation) in html) is linked
