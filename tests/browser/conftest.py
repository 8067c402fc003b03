"""A real headless Chromium (Debian's package) driven by Playwright, and axe-core checks."""

import os

import pytest

from tests.conftest import chromium_path, require

# Playwright's sync API runs an event loop in the test thread; Django's ORM calls made by
# the test itself (creating data) are still synchronous and safe here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa", "best-practice"]


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    """Transactional tests empty every table between tests, migration data included."""
    from clusters.models import Cluster, Theme
    from clusters.reference import create_reference_data

    create_reference_data(Theme, Cluster)


@pytest.fixture(scope="session")
def chromium():
    path = chromium_path()
    require(
        path is not None,
        "Chromium is not installed: browser tests need it "
        "(Debian/Ubuntu: sudo apt-get install chromium).",
    )
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=path, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def page(chromium):
    context = chromium.new_context(java_script_enabled=True)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    context.close()


@pytest.fixture
def assert_accessible():
    """Run axe-core on the page; fail on any serious or critical violation, naming them."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()

    def check(page):
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
        bad = [
            f"{v['id']} ({v['impact']}): {v['help']} at "
            + ", ".join(str(node["target"]) for node in v["nodes"][:3])
            for v in results.response["violations"]
            if v["impact"] in ("serious", "critical")
        ]
        assert not bad, f"{page.url}: " + "; ".join(bad)
        return results.response

    return check
