"""Journeys done with the keyboard alone: no clicks, and no address typed after the first.

The steps are in tests/browser/keyboard.py (Tab to a control by its name, then Enter or
Space); each page on the way also passes axe-core.
"""

import re

import pytest
from playwright.sync_api import expect

from clusters.importer import import_exchange
from clusters.models import Listing
from tests.browser import keyboard as kb
from tests.conftest import SMALL_DOCUMENT
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_reaches_a_challenge_from_the_home_page(live_server, page, assert_accessible):
    import_exchange(SMALL_DOCUMENT)
    page.goto(live_server.url + "/")

    kb.follow(page, "Humber")
    page.wait_for_url("**/clusters/humber/")
    assert_accessible(page)
    kb.follow(page, "Capture CO2 from refinery heaters")
    page.wait_for_url("**/challenges/ch-humber-capture/")
    assert page.get_by_role("heading", level=1).inner_text() == "Capture CO2 from refinery heaters"
    assert_accessible(page)


def test_a_member_signs_in_and_posts_an_offer(live_server, page, assert_accessible):
    organisation = OrganisationFactory(name="Dyfed Dry Kilns")
    MembershipFactory(
        user=UserFactory(email="sian@example.org"), organisation=organisation, role="admin"
    )
    page.goto(live_server.url + "/")

    kb.follow(page, "Sign in")
    kb.type_into(page, "Email address", "sian@example.org")
    kb.type_into(page, "Password", "a long enough password")
    kb.press(page, "Sign in")
    kb.follow(page, "Your organisation")
    page.wait_for_url(f"**/your-organisation/{organisation.ref}/")

    kb.follow(page, "Post an offer", role="link")
    kb.press(page, "Save and check")  # empty first: the error summary takes the focus
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    kb.type_into(page, "Title", "Kiln heat recovery, fitted in a week")
    kb.type_into(page, "Description", "We fit heat exchangers to timber kilns.")
    kb.tick(page, "Energy efficiency")
    kb.choose(page, "A university or research organisation")
    kb.press(page, "Save and check")
    page.wait_for_url("**/listings/L-*/preview/")
    assert_accessible(page)
    kb.press(page, re.compile("^Publish"))
    assert "Published" in page.content()

    listing = Listing.objects.get()
    assert listing.status == Listing.Status.PUBLISHED
    assert listing.title == "Kiln heat recovery, fitted in a week"
    assert listing.kind == Listing.Kind.OFFER
    assert listing.partner_kind == Listing.PartnerKind.UNIVERSITY
    assert [t.slug for t in listing.themes.all()] == ["energy-efficiency"]


def test_ask_for_an_introduction_from_a_listing_and_the_other_side_accepts(
    live_server, page, assert_accessible
):
    """Issue #12: contact from any listing, with the keyboard alone, both sides."""
    from introductions.models import Introduction
    from tests.factories import ListingFactory

    asking = OrganisationFactory(name="Dyfed Dry Kilns")
    MembershipFactory(user=UserFactory(email="sian@example.org"), organisation=asking)
    owner = OrganisationFactory(name="Estuary Heat Ltd")
    MembershipFactory(user=UserFactory(email="tom@example.org"), organisation=owner)
    ListingFactory(organisation=owner, kind="offer", title="Industrial heat pumps for kilns")
    page.goto(live_server.url + "/")

    kb.follow(page, "Sign in")
    kb.type_into(page, "Email address", "sian@example.org")
    kb.type_into(page, "Password", "a long enough password")
    kb.press(page, "Sign in")
    kb.follow(page, "Offers")
    kb.follow(page, "Industrial heat pumps for kilns")
    assert_accessible(page)
    kb.follow(page, re.compile("^Ask for an introduction"), role="button")
    kb.press(page, "Send request")  # no message yet: the error summary says what to fix
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    kb.type_into(page, "Your message", "We dry timber and want to try your heat pumps.")
    kb.press(page, "Send request")
    page.wait_for_url(f"**/your-organisation/{asking.ref}/introductions/")
    assert "Your request has been sent to Estuary Heat Ltd" in page.content()
    assert_accessible(page)
    kb.press(page, "Sign out")

    kb.follow(page, "Sign in")
    kb.type_into(page, "Email address", "tom@example.org")
    kb.type_into(page, "Password", "a long enough password")
    kb.press(page, "Sign in")
    kb.follow(page, "Your organisation")
    kb.follow(page, "Your introductions")
    kb.follow(page, re.compile("^Dyfed Dry Kilns"))
    assert "We dry timber" in page.content()
    assert_accessible(page)
    kb.press(page, "Accept and share contact details")
    assert_accessible(page)

    introduction = Introduction.objects.get()
    assert introduction.status == Introduction.Status.ACCEPTED
    assert introduction.source_listing is None  # asked from the listing, about none of theirs
    assert introduction.from_organisation == asking
