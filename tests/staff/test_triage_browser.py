"""The triage flow in Chromium: the public send an enquiry, a triager answers it in the admin.

The triager signs in for real, second factor included: password, then a TOTP code.
"""

import re
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.apps import apps
from django.core import mail

from enquiries.models import Enquiry, Message
from staff.roles import TRIAGER, sync_roles
from tests.browser.conftest import CHROMIUM_ARGS
from tests.conftest import chromium_path, require
from tests.factories import staff_in
from tests.staff.conftest import PASSWORD, add_totp, totp_code

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

REPLY = "Thank you. Two organisations on the Humber make exactly these burners."
REFERENCE = re.compile(r"GC-\d{4}-\d{5}")


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Transactional tests empty every table, migration data included: clusters, themes and
    the staff groups."""
    from clusters.models import Cluster, Theme
    from clusters.reference import create_reference_data

    create_reference_data(Theme, Cluster)
    sync_roles(apps)


@pytest.fixture
def triager_with_totp(settings):
    settings.STAFF_REQUIRE_MFA = True
    user = staff_in(TRIAGER, email="triage@grandchallenges.example", name="Tomos Triage")
    return user, add_totp(user)


def in_chromium(scenario):
    """Run `scenario(page)` in headless Chromium, in a thread of its own, and return its result.

    The `chromium` fixture of tests/browser/ is not visible from this folder, and while it
    runs (for the whole session) a second Playwright cannot start in the same thread.
    """
    path = chromium_path()
    require(
        path is not None,
        "Chromium is not installed: browser tests need it "
        "(Debian/Ubuntu: sudo apt-get install chromium).",
    )

    def run():
        from playwright.sync_api import sync_playwright

        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
            try:
                page = browser.new_context(java_script_enabled=True).new_page()
                page.set_default_timeout(15_000)
                return scenario(page)
            finally:
                browser.close()

    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(run).result()


def send_enquiry(page, base_url, assert_accessible) -> str:
    from playwright.sync_api import expect

    page.goto(base_url + "/get-in-touch/")
    shown_at = time.monotonic()
    assert_accessible(page)

    # Sent empty first: the error summary lists what to fix.
    page.get_by_role("button", name="Send enquiry").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert page.title().startswith("Error: ")
    assert_accessible(page)

    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Organisation (optional)").fill("Analytical Engines Ltd")
    page.get_by_label("Business", exact=True).check()
    page.get_by_label("Finding a partner").check()
    page.get_by_label("Your message").fill(
        "We run a glassworks near the Humber and need hydrogen-ready burners."
    )
    # The form refuses anything sent less than 3 seconds after it was first shown.
    time.sleep(max(0.0, 3.5 - (time.monotonic() - shown_at)))
    page.get_by_role("button", name="Send enquiry").click()
    page.wait_for_url("**/get-in-touch/sent/")
    return REFERENCE.search(page.locator("main").inner_text()).group(0)


def sign_in_to_the_admin(page, base_url, email, secret) -> None:
    page.goto(base_url + "/admin/")
    page.wait_for_url(re.compile(r"/account/login/\?next="))  # the site's sign-in, not Django's
    page.get_by_label("Email address").fill(email)
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/account/2fa/authenticate/")
    page.get_by_label("Security code").fill(totp_code(secret))
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url(base_url + "/admin/")


def reply_to(page, reference) -> str:
    """From the admin home, open the enquiry, reply, save; return the thread as shown after."""
    panel = page.locator("#enquiry-figures")
    assert panel.get_by_role("row", name=re.compile("Arrived today")).inner_text().endswith("1")
    panel.get_by_role("link", name=reference).click()  # the oldest open enquiry
    page.wait_for_url("**/admin/enquiries/enquiry/*/change/")
    assert "hydrogen-ready burners" in page.locator("#thread").inner_text()

    page.get_by_label("Reply to the sender").fill(REPLY)
    page.get_by_role("button", name="Save and continue editing").click()
    page.wait_for_load_state()
    assert (
        "Your reply to ada@example.org is on its way." in page.locator(".messagelist").inner_text()
    )
    return page.locator("#thread").inner_text()


def test_a_public_enquiry_is_answered_by_a_triager_in_the_admin(
    live_server, assert_accessible, triager_with_totp
):
    user, secret = triager_with_totp
    mail.outbox.clear()

    def scenario(page):
        reference = send_enquiry(page, live_server.url, assert_accessible)
        sign_in_to_the_admin(page, live_server.url, user.email, secret)
        return reference, reply_to(page, reference)

    reference, thread = in_chromium(scenario)

    assert reference == Enquiry.objects.get().reference
    assert REPLY in thread
    assert thread.index("hydrogen-ready burners") < thread.index(REPLY)
    reply = Message.objects.get(direction=Message.Direction.OUTBOUND)
    assert reply.author == user
    assert any(reference in sent.subject and REPLY in sent.body for sent in mail.outbox)
