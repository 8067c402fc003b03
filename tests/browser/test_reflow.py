"""At 320 CSS pixels wide (400 % zoom on a 1280-pixel screen), pages do not scroll sideways
(WCAG 2.2, 1.4.10 Reflow): a long web address in a listing wraps, and wide tables scroll in
their own region (newcomer probe: /gaps/ was 1210 pixels wide, /open-data/ 734, and a
listing's address ran off the page)."""

import pytest

from tests.browser.test_dashboard_screenshots import WIDER_THAN_THE_PAGE, busy_figures
from tests.factories import ListingFactory

LONG_ADDRESS = "https://www.example.org/" + "industrial-decarbonisation-" * 8 + "report.pdf"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_with_long_words_and_wide_tables_fit_320_pixels(live_server, chromium):
    from clusters.models import Cluster

    busy_figures(cluster=Cluster.objects.get(slug="humber"))
    listing = ListingFactory(
        kind="offer",
        themes=["ccus"],
        description=f"Our results are at {LONG_ADDRESS} for anyone to read.",
    )
    context = chromium.new_context(viewport={"width": 320, "height": 800})
    page = context.new_page()
    try:
        for path in ("/", "/gaps/", "/open-data/", f"/listings/{listing.ref}/", "/offers/"):
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (
                f"{path} scrolls sideways by {overflow}px at 320px wide: "
                + page.evaluate(WIDER_THAN_THE_PAGE)
            )
        assert page.get_by_text(LONG_ADDRESS[:40]).count() >= 1
    finally:
        context.close()
