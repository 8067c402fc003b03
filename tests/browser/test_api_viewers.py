"""Swagger UI (/api/v1/swagger/) and Redoc (/api/v1/redoc/) in a real browser: served from
this site (no CDN), working under the Content Security Policy, and checked by axe-core.

Both are third-party JavaScript applications. They are not fully accessible, and the site
says so on them and on the API reference (/api/docs/), which stays the accessible one. Their
known axe-core violations are listed below, each with what it is, rather than left out: the
test fails on any other serious or critical violation, so an upgrade that adds one is
noticed, and it warns when a listed one has gone (so the list can shrink).
"""

import warnings
from urllib.parse import urlsplit

import pytest

from tests.browser.conftest import AXE_TAGS
from tests.browser.test_content_security_policy import assert_nothing_blocked, visit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# What axe-core 4 finds on them (serious and critical, plus heading-order, which the site's
# own pages must pass too: tests/browser/test_accessibility.py). Measured with
# drf-spectacular-sidecar 2026.10.1 (Swagger UI 5, Redoc 2.5.4); see docs/security.md.
EXPECTED_VIOLATIONS = {
    "swagger": {
        # Grey on grey: the version badge, the schema link, method labels, "Try it out".
        "color-contrast": "serious",
        # Each operation's summary is a button holding the copy-path button and a link.
        "nested-interactive": "serious",
        # The deep links and the lock icons are smaller than 24 by 24 pixels.
        "target-size": "serious",
        # In an opened operation, the "Media type" list of its answers has no label.
        "select-name": "critical",
        # An opened operation's example body scrolls sideways but cannot take the focus.
        "scrollable-region-focusable": "serious",
        # Operation groups are h3 under an h2-sized title that is an h1 elsewhere.
        "heading-order": "moderate",
    },
    "redoc": {
        # Light grey text: parameter types, "required", response codes.
        "color-contrast": "serious",
        # The buttons that expand a nested object in a response sample are tiny.
        "target-size": "serious",
        # Each operation's parameters start at h5 under an h2.
        "heading-order": "moderate",
    },
}
BLOCKED_ON_PURPOSE = {
    # Redoc always asks Redocly's CDN for its logo; the policy blocks it (Redoc then hides
    # it), so that reading the docs tells no third party.
    "redoc": ["img-src blocked https://cdn.redoc.ly/redoc/logo-mini.svg"],
}


@pytest.fixture
def strict_page(chromium):
    from tests.browser.test_content_security_policy import LISTEN

    context = chromium.new_context(java_script_enabled=True)
    context.add_init_script(LISTEN)
    page = context.new_page()
    page.set_default_timeout(15_000)
    page.console_errors = []
    page.requests = []
    page.on(
        "console",
        lambda message: (
            page.console_errors.append(message.text) if message.type == "error" else None
        ),
    )
    # Requests the browser made (one the policy blocked never finishes).
    page.on("requestfinished", lambda request: page.requests.append(request.url))
    yield page
    context.close()


def violations(page) -> dict[str, str]:
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return {
        v["id"]: v["impact"]
        for v in results.response["violations"]
        if v["impact"] in ("serious", "critical") or v["id"] == "heading-order"
    }


def assert_only_expected(viewer: str, found: dict[str, str]) -> None:
    unexpected = {r: i for r, i in found.items() if r not in EXPECTED_VIOLATIONS[viewer]}
    assert not unexpected, (
        f"{viewer}: axe-core found violations not in EXPECTED_VIOLATIONS: {unexpected}. "
        "Fix them (a setting or the template), or list them with what they are, and say so "
        "in docs/security.md."
    )
    gone = set(EXPECTED_VIOLATIONS[viewer]) - set(found)
    if gone:  # fixed upstream, or not reached this time: worth a look, not a failure
        warnings.warn(f"{viewer}: listed violations not found: {sorted(gone)}", stacklevel=2)


def assert_served_from_here(page, base: str) -> None:
    hosts = {urlsplit(url).netloc for url in page.requests if url.startswith("http")}
    assert hosts == {urlsplit(base).netloc}, f"requests to other hosts: {hosts}"


def test_swagger_ui_works_under_the_policy_from_this_site(live_server, strict_page):
    page = strict_page
    headers = visit(page, live_server.url + "/api/v1/swagger/")
    policy = headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    # It drew the schema: one block per operation, the v1 ones among them.
    page.locator(".opblock").first.wait_for()
    paths = page.locator(".opblock-summary-path").all_inner_texts()
    assert any(path.startswith("/api/") for path in paths), paths
    assert (
        page.get_by_role("link", name="Read the accessible API reference").get_attribute("href")
        == "/api/docs/"
    )
    assert "needs JavaScript and is not fully accessible" in page.locator("header").inner_text()
    assert_served_from_here(page, live_server.url)
    assert_nothing_blocked(page)
    assert page.console_errors == []

    found = violations(page)
    # An operation opened, as someone trying a request would.
    page.locator(".opblock-summary-control").first.click()
    page.locator(".opblock-body").first.wait_for()
    found |= violations(page)
    assert_only_expected("swagger", found)


def test_redoc_works_under_the_policy_from_this_site(live_server, strict_page):
    page = strict_page
    headers = visit(page, live_server.url + "/api/v1/redoc/")
    policy = headers["content-security-policy"]
    assert "'unsafe-inline'" not in policy and "'unsafe-eval'" not in policy
    page.locator("[id^='operation/']").first.wait_for()
    assert page.locator("[id^='operation/']").count() >= 8
    assert "needs JavaScript and is not fully accessible" in page.locator("header").inner_text()
    # Everything it loaded came from this site; the only thing blocked is Redocly's logo.
    assert_served_from_here(page, live_server.url)
    blocked = [v.split(" at ")[0] for v in page.evaluate("window.__cspViolations")]
    assert blocked and set(blocked) <= set(BLOCKED_ON_PURPOSE["redoc"]), blocked
    assert [e for e in page.console_errors if "cdn.redoc.ly" not in e] == []
    # Its search works (a Web Worker made from a blob: URL, allowed on this page only).
    page.get_by_placeholder("Search...").fill("theme")
    results = page.locator("[data-role='search:results'] [role=menuitem]")
    results.first.wait_for()
    assert any(text.endswith("All themes") for text in results.all_inner_texts())
    assert "worker-src" not in " ".join(page.evaluate("window.__cspViolations"))

    found = violations(page)
    assert_only_expected("redoc", found)


def test_the_viewers_say_what_to_use_without_javascript(live_server, chromium):
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        for path in ["/api/v1/swagger/", "/api/v1/redoc/"]:
            page.goto(live_server.url + path)
            text = page.locator("body").inner_text()
            assert "needs JavaScript, which is off in your browser" in text, path
            link = page.get_by_role("link", name="API reference").last
            assert link.get_attribute("href") == "/api/docs/"
    finally:
        context.close()
