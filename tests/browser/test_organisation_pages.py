"""Organisation pages in a real browser (issue #12): from a listing to its organisation, the
directory without JavaScript, and an admin uploading a logo. Every page passes axe-core."""

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from clusters.importer import import_exchange
from clusters.models import Organisation
from tests.conftest import SMALL_DOCUMENT
from tests.factories import MembershipFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_from_a_listing_to_its_organisation_and_the_directory(live_server, page, assert_accessible):
    import_exchange(SMALL_DOCUMENT)
    page.goto(live_server.url + "/listings/L-0001/")
    page.get_by_role("link", name="All offers and needs from Amine Works Ltd").click()
    page.wait_for_url("**/organisations/org-1/")
    assert page.get_by_role("heading", level=1).inner_text() == "Amine Works Ltd"
    expect(page.get_by_role("link", name="Modular amine capture units")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("navigation", name="Menu").get_by_role("link", name="Organisations").click()
    page.wait_for_url("**/organisations/")
    expect(page.get_by_role("link", name="Estuary Refining")).to_be_visible()
    assert_accessible(page)

    page.goto(live_server.url + "/organisations/?kind=spaceship")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)


def test_directory_search_and_filters_work_without_javascript(live_server, chromium):
    import_exchange(SMALL_DOCUMENT)
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/organisations/")
        page.get_by_label("Search").fill("capturing")
        page.get_by_role("button", name="Apply filters").click()
        page.wait_for_url("**/organisations/?q=capturing*")
        assert page.locator(".cx-results h3").all_inner_texts() == ["Amine Works Ltd"]
    finally:
        context.close()


def test_an_admin_uploads_a_logo_and_it_shows_on_the_public_page(
    live_server, page, assert_accessible, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path / "media"
    user = UserFactory(email="admin@amine.example")
    organisation = MembershipFactory(
        user=user, organisation__name="Logo Works Ltd", role="admin"
    ).organisation
    assert organisation.status == Organisation.Status.APPROVED
    picture = io.BytesIO()
    Image.new("RGB", (640, 320), (0, 94, 165)).save(picture, format="PNG")

    page.goto(live_server.url + "/account/login/")
    page.locator("#id_login").fill(user.email)
    page.locator("#id_password").fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.goto(live_server.url + f"/your-organisation/{organisation.ref}/edit/")
    assert_accessible(page)
    page.get_by_label("Logo (optional)").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": picture.getvalue()}]
    )
    page.get_by_role("button", name="Save changes").click()
    page.wait_for_url(f"**/your-organisation/{organisation.ref}/")

    page.get_by_role("link", name="See your organisation’s public page").click()
    page.wait_for_url(f"**/organisations/{organisation.ref}/")
    page.wait_for_load_state("load")  # the load event waits for the page's images
    logo = page.get_by_role("img", name="Logo Works Ltd")
    assert logo.evaluate("img => img.complete && img.naturalWidth") == 300
    assert_accessible(page)

    # A file that is not a picture is refused with an error the page explains.
    page.goto(live_server.url + f"/your-organisation/{organisation.ref}/edit/")
    page.get_by_label("Logo (optional)").set_input_files(
        files=[{"name": "logo.png", "mimeType": "image/png", "buffer": b"not a picture"}]
    )
    page.get_by_role("button", name="Save changes").click()
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert "must be a PNG, JPEG or WebP" in page.locator(".govuk-error-summary").inner_text()
    assert_accessible(page)
