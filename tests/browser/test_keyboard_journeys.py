"""Journeys done with the keyboard alone: no clicks, and no address typed after the first.

The steps are in tests/browser/keyboard.py (Tab to a control by its name, then Enter or
Space); each page on the way also passes axe-core.
"""

import re

import pytest

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
    assert page.locator(".govuk-error-summary").is_visible()
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
