"""At 320 CSS pixels wide (400 % zoom on a 1280-pixel screen), pages do not scroll sideways
(WCAG 2.2, 1.4.10 Reflow): a long web address in a listing wraps, and wide tables scroll in
their own region (newcomer probe: /gaps/ was 1210 pixels wide, /open-data/ 734, and a
listing's address ran off the page; in stop 26, /clusters/ 595, an organisation's members
412 and /api/docs/ 872; in stop 27, an organisation's introductions 643, the API tokens 508
and a new token's page 670), and chart labels are not cut off at the chart's edge."""

import pytest

from tests.browser.test_dashboard_screenshots import busy_figures
from tests.factories import IntroductionFactory, ListingFactory, MembershipFactory

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
# Chart text past its chart's right edge: SVG text does not wrap, and the SVG clips it
# (stop 27: "Carbon capture, usage and storag" on the dashboards at 320 pixels).
CUT_CHART_TEXT = """
[...document.querySelectorAll('svg.cx-chart__svg')].flatMap(svg => {
  const edge = svg.getBoundingClientRect().right + 0.5;
  return [...svg.querySelectorAll('text')]
    .filter(t => t.getBoundingClientRect().right > edge)
    .map(t => t.textContent.trim());
})
"""
LONG_ADDRESS = "https://www.example.org/" + "industrial-decarbonisation-" * 8 + "report.pdf"


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_pages_with_long_words_and_wide_tables_fit_320_pixels(live_server, chromium):
    from api.services import create_token
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
        # An introduction each way (the introductions tables) and a token (the tokens table).
        ours = member.organisation
        IntroductionFactory(source_listing__organisation=ours)
        IntroductionFactory(target_listing__organisation=ours)
        create_token(member.user, "Our customer relationship system", "read")

        def assert_fits(path):
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (
                f"{path} scrolls sideways by {overflow}px at 320px wide: "
                + page.evaluate(WIDER_THAN_THE_PAGE)
            )
            assert page.evaluate(CUT_CHART_TEXT) == [], path

        for path in (
            "/",
            "/dashboard/",
            "/clusters/humber/dashboard/",
            "/gaps/",
            "/open-data/",
            f"/listings/{listing.ref}/",
            "/offers/",
            "/clusters/",
            "/api/docs/",
            f"/your-organisation/{ours.ref}/",
            f"/your-organisation/{ours.ref}/introductions/",
            "/account/api-tokens/",
        ):
            response = page.goto(live_server.url + path)
            assert response.status == 200, path
            if path == f"/listings/{listing.ref}/":
                assert page.get_by_text(LONG_ADDRESS[:40]).count() >= 1
            if path.endswith("/introductions/"):
                assert page.locator("main table").count() == 2  # received and sent
            if path == "/account/api-tokens/":
                assert page.get_by_role("table", name="Your API tokens").count() == 1
            assert_fits(path)

        # A new token's page: the header to send, with the secret in it, on one long line.
        page.get_by_label("Name the token").fill("Our CRM")
        page.locator("input[name=scope][value=read]").check()
        page.get_by_role("button", name="Make the token").click()
        page.wait_for_load_state()  # signed in moments ago: no password asked again
        assert page.get_by_role("heading", name="Token made").count() == 1
        assert_fits("/account/api-tokens/ (token made)")
    finally:
        context.close()
