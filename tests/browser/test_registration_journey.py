"""A new user in Chromium: sign up, verify, register an organisation, post a need.

Every form page is checked with axe-core, and so is its error state.
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from clusters.models import Listing

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_sign_up_to_a_need_awaiting_approval(live_server, page, assert_accessible):
    mail.outbox.clear()
    page.goto(live_server.url + "/")
    page.get_by_role("link", name="Create an account").click()
    page.wait_for_url("**/account/signup/")
    assert_accessible(page)

    # Sent empty first: the error summary lists what to fix.
    page.get_by_role("button", name=re.compile("Create (an )?account")).click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert page.title().startswith("Error: ")
    assert_accessible(page)

    page.get_by_label("Full name").fill("Siân Roberts")
    page.get_by_label("Email address").fill("sian@example.org")
    page.get_by_label("Create a password").fill("wind and tide 2040")
    page.get_by_label(re.compile("Confirm (your )?password|Re-?type|again", re.I)).fill(
        "wind and tide 2040"
    )
    page.get_by_label(re.compile("privacy notice")).check()
    page.get_by_role("button", name=re.compile("Create (an )?account")).click()
    page.wait_for_url("**/account/confirm-email/**")
    assert_accessible(page)

    link = re.search(r"http://[^/\s]+(/account/confirm-email/\S+)", mail.outbox[-1].body).group(1)
    page.goto(live_server.url + link)
    assert_accessible(page)
    page.get_by_role("button", name=re.compile("Confirm")).click()
    page.wait_for_url("**/your-organisation/start/")
    assert_accessible(page)

    page.get_by_role("link", name="Register your organisation").click()
    page.get_by_role("button", name="Register organisation").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Organisation name").fill("Dyfed Dry Kilns")
    page.get_by_label("Business", exact=True).check()
    page.get_by_label("What does your organisation do?").fill("We dry timber with gas.")
    page.get_by_role("button", name="Register organisation").click()
    page.wait_for_url("**/your-organisation/org-*/")
    assert_accessible(page)

    page.get_by_role("link", name="Post a need").click()
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Title").fill("Heat pump for a timber kiln")
    page.get_by_label("Description").fill("Two kilns, 80 °C, run all year.")
    page.get_by_label("Energy efficiency").check()
    page.get_by_role("button", name="Save and check").click()
    page.wait_for_url("**/listings/L-*/preview/")
    assert_accessible(page)
    page.get_by_role("button", name="Publish this listing").click()
    page.wait_for_url("**/listings/L-*/preview/")
    assert "Awaiting approval" in page.content()

    listing = Listing.objects.get()
    assert listing.status == "pending"
    assert listing.organisation.name == "Dyfed Dry Kilns"
