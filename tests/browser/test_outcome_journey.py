"""A member follows the emailed link to "What came of it" signed out, signs in, comes back,
answers with the keyboard alone, and sees the answer on the introduction's page; every page
on the way passes axe-core, and the form works without JavaScript."""

import pytest
from django.utils import timezone

from introductions.models import Outcome
from tests.factories import IntroductionFactory, ListingFactory, MembershipFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def accepted():
    member = MembershipFactory(user__email="member@example.org").user
    organisation = member.memberships.get().organisation
    introduction = IntroductionFactory(
        source_listing=ListingFactory(organisation=organisation, kind="need"),
        target_listing=ListingFactory(kind="offer", title="Industrial heat pumps"),
        requested_by=member,
        status="accepted",
        decided_at=timezone.now(),
    )
    return member, introduction, f"/introductions/{introduction.public_id}/outcome/"


def test_from_the_email_link_to_an_answer_with_the_keyboard(
    live_server, page, accepted, assert_accessible
):
    member, introduction, path = accepted
    page.goto(live_server.url + path)
    page.wait_for_url("**/account/login/**")
    page.get_by_label("Email address").fill(member.email)
    page.get_by_label("Password", exact=True).fill("a long enough password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**" + path)
    assert "What came of your introduction to" in page.get_by_role("heading", level=1).inner_text()
    assert not Outcome.objects.exists()  # showing the question records nothing
    assert_accessible(page)

    page.get_by_role("button", name="Save your answer").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector(".govuk-error-summary")
    summary = page.locator(".govuk-error-summary").inner_text()
    assert "Choose what came of the introduction" in summary
    assert_accessible(page)

    page.get_by_label("A contract").focus()
    page.keyboard.press("Space")
    page.get_by_role("button", name="Save your answer").focus()
    page.keyboard.press("Enter")
    page.wait_for_url("**" + introduction.get_absolute_url())
    assert "We have recorded what came of your introduction" in page.content()
    assert_accessible(page)
    assert Outcome.objects.get().result == "contract"


def test_the_answer_form_works_without_javascript(live_server, chromium, accepted):
    member, introduction, path = accepted
    context = chromium.new_context(java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(live_server.url + "/account/login/")
        page.get_by_label("Email address").fill(member.email)
        page.get_by_label("Password", exact=True).fill("a long enough password")
        page.get_by_role("button", name="Sign in").click()
        page.wait_for_load_state()
        page.goto(live_server.url + path)
        page.get_by_label("Nothing came of it").check()
        page.get_by_role("button", name="Save your answer").click()
        page.wait_for_url("**" + introduction.get_absolute_url())
    finally:
        context.close()
    assert Outcome.objects.get().result == "nothing"
