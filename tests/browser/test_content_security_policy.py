"""The Content Security Policy in a real browser: pages, the API docs and the admin all work
under it, and nothing they do is blocked (no violation reported, no console error)."""

import re

import pytest
from playwright.sync_api import expect

from clusters.importer import import_exchange
from tests.conftest import SMALL_DOCUMENT
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Every violation the page reports, collected before any of the page's own scripts run.
LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(
    `${event.effectiveDirective} blocked ${event.blockedURI || "inline"} at ${event.sourceFile}`
  );
});
"""


@pytest.fixture
def strict_page(chromium):
    """A page that records CSP violations (no bypass_csp: the policy applies in full)."""
    context = chromium.new_context(java_script_enabled=True)
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_errors = []
    page.on(
        "console",
        lambda message: (
            page.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    yield page
    context.close()


def visit(page, url: str) -> dict:
    """Open the page, wait for its scripts, and return its headers."""
    response = page.goto(url)
    page.wait_for_load_state("networkidle")
    return response.headers


def assert_nothing_blocked(page) -> None:
    violations = page.evaluate("window.__cspViolations")
    csp_errors = [e for e in page.console_errors if "Content Security Policy" in e]
    assert violations == [] and csp_errors == [], f"{page.url}: {violations} {csp_errors}"


def sign_in(page, base: str, email: str) -> None:
    visit(page, base + "/account/login/")
    page.locator("#id_login").fill(email)
    page.locator("#id_password").fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state("networkidle")


def test_public_pages_and_the_enquiry_form_run_under_the_policy(live_server, strict_page):
    import_exchange(SMALL_DOCUMENT)
    page = strict_page
    headers = visit(page, live_server.url + "/")
    policy = headers["content-security-policy"]
    assert "default-src 'self'" in policy and "'unsafe-inline'" not in policy
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    # GOV.UK Frontend's scripts ran: the body says JavaScript is on and the menu works.
    assert "govuk-frontend-supported" in page.locator("body").get_attribute("class")
    assert_nothing_blocked(page)

    for path in ["/get-in-touch/", "/challenges/?q=capture", "/listings/L-0001/"]:
        visit(page, live_server.url + path)
        assert_nothing_blocked(page)
    visit(page, live_server.url + "/get-in-touch/")
    page.get_by_role("button", name="Send enquiry").click()
    page.wait_for_load_state("networkidle")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_nothing_blocked(page)


def test_the_listing_form_checks_matches_as_you_type_under_the_policy(live_server, strict_page):
    member = MembershipFactory().user
    organisation = member.memberships.get().organisation
    page = strict_page
    sign_in(page, live_server.url, member.email)
    visit(page, live_server.url + f"/your-organisation/{organisation.ref}/listings/new/")
    # htmx (a script file) posts the draft and shows the check without a page load.
    with page.expect_response(lambda r: r.request.method == "POST") as answer:
        page.get_by_label("Title").fill("Hydrogen burners for a glass furnace")
    assert answer.value.ok
    page.wait_for_load_state("networkidle")
    assert_nothing_blocked(page)


def test_the_api_docs_render_under_the_policy(live_server, strict_page):
    page = strict_page
    headers = visit(page, live_server.url + "/api/docs/")
    assert "'unsafe-inline'" not in headers["content-security-policy"]
    # The reference is drawn on the server: its operations are headings, each with tables.
    assert page.get_by_role("heading", level=1).inner_text() == "Cluster Exchange API"
    operations = page.get_by_role("heading", level=3)
    assert operations.count() >= 8
    assert "GET /api/challenges/" in operations.all_inner_texts()
    # A link in the contents list goes to its operation on the same page.
    page.get_by_role("link", name="GET /api/listings/{ref}/").click()
    assert page.url.endswith("#op-listings-retrieve")
    expect(page.locator("#op-listings-retrieve")).to_be_visible()
    assert_nothing_blocked(page)
    assert page.console_errors == []


def test_the_admin_works_under_the_policy(live_server, strict_page):
    from enquiries.services import submit_enquiry

    staff = UserFactory(is_staff=True, is_superuser=True)
    enquiry = submit_enquiry(
        {
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "organisation_kind": "business",
            "topic": "funding",
            "message": "Is there funding for a hydrogen trial?",
        }
    )
    page = strict_page
    sign_in(page, live_server.url, staff.email)
    for path in [
        "/admin/",
        "/admin/enquiries/enquiry/",
        f"/admin/enquiries/enquiry/{enquiry.pk}/change/",
        "/admin/accounts/user/",
        "/admin/clusters/listing/?q=x",
    ]:
        visit(page, live_server.url + path)
        expect(page.locator("#content"), path).to_be_visible()
        assert_nothing_blocked(page)

    # The admin's own scripts work: ticking a row enables the actions bar's counter.
    visit(page, live_server.url + "/admin/accounts/user/")
    page.locator("input.action-select").first.check()
    assert re.search(r"1 of \d+ selected", page.locator(".action-counter").inner_text())
    assert_nothing_blocked(page)
