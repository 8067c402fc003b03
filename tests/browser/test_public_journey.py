"""A visitor goes home -> a cluster -> a challenge through links; every page passes axe-core."""

import pytest
from playwright.sync_api import expect

from clusters.importer import import_exchange
from tests.conftest import SMALL_DOCUMENT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_home_to_cluster_to_challenge_through_links(live_server, page, assert_accessible):
    import_exchange(SMALL_DOCUMENT)

    page.goto(live_server.url + "/")
    assert "Cluster Exchange" in page.title()
    assert page.locator("svg[role=img]").count() == 1
    assert_accessible(page)

    page.get_by_role("link", name="Humber", exact=True).first.click()
    page.wait_for_url("**/clusters/humber/")
    assert page.get_by_role("heading", level=1).inner_text() == "Humber"
    assert_accessible(page)

    page.get_by_role("link", name="Capture CO2 from refinery heaters").click()
    page.wait_for_url("**/challenges/ch-humber-capture/")
    assert page.get_by_role("heading", level=1).inner_text() == "Capture CO2 from refinery heaters"
    expect(page.get_by_role("link", name="Modular amine capture units").first).to_be_visible()
    assert_accessible(page)

    # The breadcrumbs lead back up the same path.
    page.get_by_role("navigation", name="Breadcrumb").get_by_role("link", name="Humber").click()
    page.wait_for_url("**/clusters/humber/")


def test_list_pages_and_their_error_state_are_accessible(live_server, page, assert_accessible):
    import_exchange(SMALL_DOCUMENT)
    for path in [
        "/clusters/",
        "/challenges/",
        "/offers/",
        "/needs/",
        "/listings/L-0001/",
        "/accessibility/",
        "/cookies/",
        "/no-such-page/",
    ]:
        page.goto(live_server.url + path)
        assert_accessible(page)

    page.goto(live_server.url + "/challenges/?cluster=atlantis")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)


def test_filters_work_without_javascript(live_server, chromium):
    import_exchange(SMALL_DOCUMENT)
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/challenges/")
        page.get_by_label("Search").fill("capturing")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**/challenges/?q=capturing*")
        results = page.locator(".cx-results h3").all_inner_texts()
        assert results == ["Capture CO2 from refinery heaters"]
    finally:
        context.close()
