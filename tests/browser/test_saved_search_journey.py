"""A member saves a search from the offers page, renames and deletes it, and keeps a listing
open with the one button the expiry reminder leads to; every page passes axe-core."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from searches.models import SavedSearch
from tests.factories import ListingFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, email, next_path):
    page.goto(f"{live_server.url}/account/login/?next={next_path}")
    page.get_by_label("Email address").fill(email)
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()


def test_save_rename_and_delete_a_search(live_server, page, assert_accessible):
    member = MembershipFactory(user__email="saver@example.org").user
    sign_in(page, live_server, member.email, "/offers/%3Fq%3Dhydrogen")
    page.wait_for_url("**/offers/?q=hydrogen")
    assert_accessible(page)

    page.get_by_label("Name this search (optional)").fill("Hydrogen offers")
    page.get_by_role("button", name="Save this search").click()
    page.wait_for_url("**/offers/?q=hydrogen")
    assert "Search saved as “Hydrogen offers”" in page.locator("main").inner_text()
    assert_accessible(page)

    page.get_by_role("link", name="Your saved searches").first.click()
    page.wait_for_url("**/saved-searches/")
    assert_accessible(page)
    page.get_by_role("link", name="Rename Hydrogen offers").click()
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Save name").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("Name").fill("Electrolysers")
    page.get_by_role("button", name="Save name").click()
    page.wait_for_url("**/saved-searches/")
    assert SavedSearch.objects.get().name == "Electrolysers"

    page.get_by_role("button", name="Delete Electrolysers").click()
    page.wait_for_url("**/saved-searches/")
    assert "You have no saved searches" in page.locator("main").inner_text()
    assert not SavedSearch.objects.exists()


def test_keep_a_listing_open_from_the_reminder_link(live_server, page, assert_accessible):
    membership = MembershipFactory(user__email="keeper@example.org")
    listing = ListingFactory(
        organisation=membership.organisation,
        title="Spare electrolyser capacity",
        expires_on=timezone.localdate() + timedelta(days=10),
    )
    sign_in(page, live_server, membership.user.email, f"/listings/{listing.ref}/keep-open/")
    page.wait_for_url(f"**/listings/{listing.ref}/keep-open/")
    assert_accessible(page)
    listing.refresh_from_db()
    # The GET changed nothing.
    assert listing.expires_on == timezone.localdate() + timedelta(days=10)

    page.get_by_role("button", name="Still looking: keep it open for 12 more months").click()
    page.wait_for_url(f"**/listings/{listing.ref}/preview/")
    assert "Your listing will stay open until" in page.locator("main").inner_text()
    assert_accessible(page)
    listing.refresh_from_db()
    assert listing.expires_on == timezone.localdate() + timedelta(days=365)
