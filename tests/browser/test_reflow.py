"""At 320 CSS pixels wide (400 % zoom on a 1280-pixel screen), pages do not scroll sideways
(WCAG 2.2, 1.4.10 Reflow): a long web address in a listing wraps, and wide tables scroll in
their own region (newcomer probe: /gaps/ was 1210 pixels wide, /open-data/ 734, and a
listing's address ran off the page; in stop 26, /clusters/ 595, an organisation's members
412 and /api/docs/ 872)."""

import pytest

from tests.browser.test_dashboard_screenshots import busy_figures
from tests.factories import ListingFactory, MembershipFactory

# What runs off the page: elements past its right edge that no scrolling region clips.
WIDER_THAN_THE_PAGE = """
(() => {
  const edge = document.documentElement.clientWidth + 0.5;
  const clipped = e => {
    for (let p = e.parentElement; p; p = p.parentElement) {
      if (['auto', 'scroll', 'hidden'].includes(getComputedStyle(p).overflowX)) return true;
    }
    return false;
  };
  return [...document.querySelectorAll('body *')]
    .filter(e => e.getBoundingClientRect().right > edge && !clipped(e))
    .slice(0, 5)
    .map(e => `${e.tagName} "${e.textContent.trim().slice(0, 60)}"`)
    .join('; ');
})()
"""
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
        # Signed in, for an organisation's own page (its members table: stop 26's probe).
        member = MembershipFactory(
            user__email="reflow@example.org", organisation__name="Port Talbot Steelworks Ltd"
        )
        page.goto(live_server.url + "/account/login/")
        page.get_by_label("Email address").fill(member.user.email)
        page.get_by_role("textbox", name="Password").fill("a long enough password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        for path in (
            "/",
            "/gaps/",
            "/open-data/",
            f"/listings/{listing.ref}/",
            "/offers/",
            "/clusters/",
            "/api/docs/",
            f"/your-organisation/{member.organisation.ref}/",
        ):
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            if path == f"/listings/{listing.ref}/":
                assert page.get_by_text(LONG_ADDRESS[:40]).count() >= 1
            assert overflow <= 0, (
                f"{path} scrolls sideways by {overflow}px at 320px wide: "
                + page.evaluate(WIDER_THAN_THE_PAGE)
            )
    finally:
        context.close()
