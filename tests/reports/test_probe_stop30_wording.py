"""The report form and its thank-you page say what can be reported, not "breaks our rules":
the site has no page of rules (usability probe, stop 30)."""

import pytest

from reports.models import Report
from tests.factories import ListingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db

# What each reason (Report.Reason) is about, as the pages say it.
SAID = ["wrong or misleading", "spam or advertising", "offensive", "personal data"]


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&rsquo;", "’")


def intro_of(page: str) -> str:
    """The words above the form (the radio buttons below repeat the reasons)."""
    return page.split("<form", 1)[0]


@pytest.mark.parametrize("kind", ["listing", "organisation"])
def test_the_report_form_says_what_can_be_reported(client, kind):
    if kind == "listing":
        url = f"/listings/{ListingFactory().ref}/report/"
    else:
        url = f"/organisations/{OrganisationFactory().ref}/report/"
    intro = intro_of(text(client.get(url)))
    assert "our rules" not in intro
    for words in SAID:
        assert words in intro


def test_the_reasons_the_pages_name_are_the_ones_the_form_offers():
    labels = " ".join(str(label) for _, label in Report.Reason.choices)
    for words in SAID:
        assert words in labels


def test_the_thank_you_page_says_what_is_taken_down_not_our_rules(client):
    listing = ListingFactory()
    response = client.post(
        f"/listings/{listing.ref}/report/",
        {"reason": "spam", "details": "", "email": "", "website": ""},
        REMOTE_ADDR="10.1.0.9",
    )
    assert response["Location"] == "/reports/sent/"
    page = text(client.get("/reports/sent/"))
    assert "our rules" not in page
    for words in SAID:
        assert words in page
