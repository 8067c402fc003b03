"""The dashboards in Chromium at 1280 and 375 pixels wide: screenshots for a reviewer (in
var/screenshots/, which git ignores), no sideways scrolling on a phone, a visible focus on the
map's links, and no serious axe-core violation."""

from pathlib import Path

import pytest
from django.conf import settings

from insights.models import Measure
from tests.dashboards.helpers import add_figures, make_computation, month

SCREENSHOTS = Path(settings.BASE_DIR) / "var" / "screenshots"
WIDTHS = (1280, 375)
# GOV.UK's focus colour, $govuk-focus-colour
FOCUS_YELLOW = "rgb(255, 221, 0)"
# Names the elements that stick out past the right edge, for the failure message.
WIDER_THAN_THE_PAGE = """
(() => {
  const edge = document.documentElement.clientWidth + 0.5;
  const out = e => e.getBoundingClientRect().right > edge;
  return [...document.querySelectorAll('body *')]
    .filter(e => out(e) && !out(e.parentElement))
    .map(e => `${e.tagName} "${e.textContent.trim().slice(0, 40)}"`)
    .join('; ');
})()
"""


def busy_figures(**scope):
    """Two years of every measure, and open challenges in every theme."""
    from clusters.models import Theme

    computation = make_computation()
    rows = []
    for n in range(24):
        index = 2027 * 12 + 5 - n
        rows += [
            (measure, month(index // 12, index % 12 + 1), (n * 37 + i * 11) % 120)
            for i, (measure, _) in enumerate(Measure.choices)
        ]
    rows += [(measure, None, 5 + i) for i, (measure, _) in enumerate(Measure.choices)]
    rows += [(Measure.CHALLENGES_OPEN, None, 3 + t.pk % 7, t) for t in Theme.objects.all()]
    add_figures(computation, rows)
    add_figures(computation, rows, **scope)
    return computation


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("width", WIDTHS)
def test_dashboards_screenshots_at_desktop_and_phone_widths(
    live_server, chromium, assert_accessible, width
):
    from clusters.models import Cluster

    busy_figures(cluster=Cluster.objects.get(slug="humber"))
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    context = chromium.new_context(viewport={"width": width, "height": 900})
    page = context.new_page()
    try:
        for name, path in [
            ("dashboard", "/dashboard/"),
            ("humber-dashboard", "/clusters/humber/dashboard/"),
        ]:
            response = page.goto(live_server.url + path)
            assert response.status == 200
            assert page.get_by_text("Computed on").count() == 1
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, (
                f"{path} scrolls sideways by {overflow}px at {width}px wide: "
                + page.evaluate(WIDER_THAN_THE_PAGE)
            )
            assert_accessible(page)
            target = SCREENSHOTS / f"{name}-{width}.png"
            target.unlink(missing_ok=True)
            page.screenshot(path=str(target), full_page=True)
            assert target.exists() and target.stat().st_size > 10_000
    finally:
        context.close()


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_map_links_are_reached_by_keyboard_with_a_visible_focus(live_server, page):
    page.goto(live_server.url + "/dashboard/")
    link = page.locator("a.cx-map__link").first
    circle = link.locator("circle")
    before = circle.evaluate("c => getComputedStyle(c).fill")
    # Tab from the top of the page until the first circle has the focus.
    for _ in range(40):
        page.keyboard.press("Tab")
        if link.evaluate("a => a === document.activeElement"):
            break
    else:
        pytest.fail("Tab never reached the map's first link")
    assert circle.evaluate("c => getComputedStyle(c).fill") == FOCUS_YELLOW != before
    name = link.get_attribute("aria-label")
    assert "million tonnes of CO2 a year" in name
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.url.startswith(live_server.url + "/clusters/")
    assert page.locator("h1").inner_text() in name
