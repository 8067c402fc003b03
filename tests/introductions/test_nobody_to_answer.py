"""A listing whose organisation has nobody who could answer a request for an introduction
(most imported organisations have no members at all) cannot be asked about: every place
that offers the request says so instead, with what to do next, and nothing is sent
(newcomer probe: "Your request has been sent", then nothing for 30 days)."""

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from rest_framework.test import APIClient

from api.services import create_token
from clusters.importer import import_exchange
from clusters.models import Listing, Membership
from introductions import services
from introductions.models import Introduction
from outbox.models import Email
from tests.conftest import SMALL_DOCUMENT
from tests.factories import ListingFactory, MembershipFactory, UserFactory

from .conftest import make_match

pytestmark = pytest.mark.django_db

MESSAGE = "We run a paper mill near Hull and would like to hear about your heat pumps."
NOBODY = "can answer a request for an introduction on Cluster Exchange yet"


@pytest.fixture
def imported():
    """An offer of an organisation loaded by import_exchange: it has no members."""
    import_exchange(SMALL_DOCUMENT)
    offer = Listing.objects.select_related("organisation").get(ref="L-0001")
    assert not offer.organisation.memberships.exists()
    return offer


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&quot;", '"')


def ask_url(listing):
    return reverse("introductions:ask", args=[listing.ref])


def nothing_sent():
    return not Introduction.objects.exists() and not Email.objects.exists() and not mail.outbox


# Who could answer ----------------------------------------------------------------------


def test_only_active_members_with_a_confirmed_address_other_than_the_asker_can_answer(sides):
    listing = ListingFactory(kind="offer")
    ask = {"organisation": sides.asking, "target": listing}
    with pytest.raises(services.NobodyToAnswer, match=NOBODY):  # no members at all
        services.check_can_request(sides.asker, **ask)
    Membership.objects.create(user=UserFactory(verified=False), organisation=listing.organisation)
    Membership.objects.create(user=UserFactory(is_active=False), organisation=listing.organisation)
    with pytest.raises(services.NobodyToAnswer):  # never confirmed, or cannot sign in
        services.check_can_request(sides.asker, **ask)
    MembershipFactory(organisation=listing.organisation, role="member")
    services.check_can_request(sides.asker, **ask)  # a plain member answers too


def test_the_only_member_of_both_organisations_is_told_nobody_else_could_answer(client, sides):
    theirs = ListingFactory(kind="offer")
    MembershipFactory(user=sides.asker, organisation=theirs.organisation)
    with pytest.raises(services.NotNow, match="You are the only member") as refused:
        services.check_can_request(sides.asker, organisation=sides.asking, target=theirs)
    assert not isinstance(refused.value, services.NobodyToAnswer)
    client.force_login(sides.asker)
    html = text(client.get(ask_url(theirs)))
    assert "You are the only member" in html and 'name="message"' not in html
    assert reverse("enquiries:create") not in html.split("<main")[1].split("</main>")[0]


def test_nobody_to_answer_is_said_before_asking_the_asker_to_confirm_their_address(
    client, sides, imported
):
    stranger = UserFactory(verified=False)
    MembershipFactory(user=stranger, organisation=sides.asking)
    client.force_login(stranger)
    html = text(client.get(ask_url(imported)))
    assert NOBODY in html and "Confirm your email address" not in html


# The listing page and the ask page -------------------------------------------------------


def test_the_listing_page_says_nobody_can_answer_instead_of_the_button(client, sides, imported):
    client.force_login(sides.asker)
    html = text(client.get(imported.get_absolute_url()))
    assert f"Nobody at {imported.organisation.name} {NOBODY}" in html
    assert f"name this offer: “{imported.title}” ({imported.ref})" in html
    form = f"{reverse('enquiries:create')}?listing={imported.ref}"  # the form names it
    assert f'href="{form}">Get in touch with our programme team' in html
    assert f'href="{ask_url(imported)}"' not in html
    # Someone joins, confirmed: the button is back.
    MembershipFactory(organisation=imported.organisation)
    html = text(client.get(imported.get_absolute_url()))
    assert f'href="{ask_url(imported)}"' in html and NOBODY not in html


def test_the_ask_page_says_so_before_anything_is_written_and_a_post_sends_nothing(
    client, sides, imported
):
    client.force_login(sides.asker)
    html = text(client.get(ask_url(imported)))
    assert NOBODY in html and 'name="message"' not in html
    assert f'href="{reverse("enquiries:create")}"' in html
    response = client.post(
        ask_url(imported),
        {"organisation": sides.asking.ref, "about_listing": "none", "message": MESSAGE},
    )
    assert response.status_code == 200
    assert NOBODY in text(response) and "has been sent" not in text(response)
    assert nothing_sent()


def test_someone_in_no_organisation_is_told_nobody_can_answer_before_registering_one(
    client, imported
):
    client.force_login(UserFactory())
    html = text(client.get(ask_url(imported)))
    assert NOBODY in html
    assert reverse("clusters:organisation-start") not in html.split("<main")[1]


# "Your matches" and the request page behind "Request introduction" -----------------------


def test_a_match_with_nobody_to_answer_offers_no_request_and_says_why(client, sides):
    nobody = ListingFactory(kind="offer", title="Heat pumps nobody answers for")
    make_match(sides.listing, nobody)
    url = reverse("matching:organisation", args=[sides.asking.ref])
    client.force_login(sides.asker)
    html = text(client.get(url))
    asked = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
    not_asked = reverse("introductions:request", args=[sides.listing.ref, nobody.ref])
    assert f'href="{asked}"' in html  # someone at the other one could answer
    assert f'href="{not_asked}"' not in html
    assert f"Nobody at {nobody.organisation.name} {NOBODY}" in html
    assert html.count("Request introduction<") == 1

    # Decided for the whole page at once: more cards of either kind, no more queries.
    def count():
        with CaptureQueriesContext(connection) as queries:
            html = text(client.get(url))
        return len(queries), html.count("Request introduction<"), html.count(NOBODY)

    queries, _, _ = count()
    for _ in range(8):
        make_match(sides.listing, ListingFactory(kind="offer"))
        make_match(
            sides.listing,
            ListingFactory(kind="offer", organisation=MembershipFactory().organisation),
        )
    assert count() == (queries, 9, 9)


def test_the_request_page_from_a_match_says_so_and_a_post_sends_nothing(client, sides):
    nobody = ListingFactory(kind="offer")
    make_match(sides.listing, nobody)
    url = reverse("introductions:request", args=[sides.listing.ref, nobody.ref])
    client.force_login(sides.asker)
    html = text(client.get(url))
    assert NOBODY in html and 'name="message"' not in html
    assert f'href="{reverse("enquiries:create")}"' in html
    response = client.post(url, {"message": MESSAGE})
    assert response.status_code == 200 and NOBODY in text(response)
    assert nothing_sent()


# The API ----------------------------------------------------------------------------------


def test_the_api_answers_409_with_the_reason_and_sends_nothing(sides, imported):
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {create_token(sides.asker, 'Tests', 'write')[1]}")
    response = api.post(
        f"/api/v1/organisations/{sides.asking.ref}/introductions/",
        {"target_listing": imported.ref, "message": MESSAGE},
        format="json",
    )
    assert response.status_code == 409, response.content
    assert NOBODY in response.json()["message"]
    assert nothing_sent()
