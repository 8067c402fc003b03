"""A cluster team member in Chromium, with the keyboard alone: from the cluster's page to the
team's challenges, post a challenge (its error state first), close it with a reason.

Every page on the way is checked with axe-core (issue #12).
"""

import pytest
from playwright.sync_api import expect

from clusters.models import Challenge
from tests.factories import ClusterTeamMemberFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FOCUSED_TEXT = """() => {
  const el = document.activeElement;
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return (label || el.innerText || "").trim();
}"""


def tab_to(page, text: str, limit: int = 120) -> None:
    """Press Tab until the focused element's text (or its label) starts with `text`."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate(FOCUSED_TEXT).startswith(text):
            return
    raise AssertionError(f"Tab never reached {text!r} on {page.url}")


def follow(page) -> None:
    """Press Enter on the focused link or button and wait for the page it leads to."""
    with page.expect_navigation():
        page.keyboard.press("Enter")


def sign_in(page, live_server, user):
    page.goto(live_server.url + "/account/login/")
    page.get_by_label("Email address").fill(user.email)
    page.get_by_role("textbox", name="Password").fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()


def test_post_and_close_a_challenge_with_the_keyboard(live_server, page, assert_accessible):
    user = UserFactory(name="Aled Hughes")
    ClusterTeamMemberFactory(user=user, body="Humber Industrial Cluster Plan")
    sign_in(page, live_server, user)

    page.goto(live_server.url + "/clusters/humber/team/join/")
    assert_accessible(page)
    tab_to(page, "Go to the team")
    follow(page)
    page.wait_for_url("**/clusters/humber/team/")
    assert_accessible(page)

    tab_to(page, "Post a challenge")
    follow(page)
    page.wait_for_url("**/team/challenges/new/")
    assert_accessible(page)
    tab_to(page, "Post challenge")
    follow(page)  # empty: the error summary says what to fix
    assert page.title().startswith("Error: ")
    expect(page.locator(".govuk-error-summary")).to_be_visible()
    assert_accessible(page)

    tab_to(page, "Title")
    page.keyboard.type("Capture CO2 from small stacks")
    tab_to(page, "Description")
    page.keyboard.type("Dozens of small stacks across the estuary need capture.")
    tab_to(page, "Carbon capture")
    page.keyboard.press("Space")
    tab_to(page, "Post challenge")
    follow(page)
    page.wait_for_url("**/team/challenges/CH-*/")
    assert_accessible(page)

    tab_to(page, "Reason")
    page.keyboard.type("Solved by a member company.")
    tab_to(page, "Close the challenge")
    follow(page)
    page.wait_for_url("**/team/challenges/CH-*/")
    assert_accessible(page)

    challenge = Challenge.objects.get(title="Capture CO2 from small stacks")
    assert challenge.status == "closed" and challenge.set_by == "Humber Industrial Cluster Plan"
    assert list(challenge.themes.values_list("slug", flat=True)) == ["ccus"]
