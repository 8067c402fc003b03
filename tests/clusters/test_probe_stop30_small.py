"""Small usability defects found by the probe at stop 30: the member's own organisation page,
the organisation form's optional clusters, and "Check for matches" without JavaScript."""

import re

import pytest
from django.urls import reverse

from clusters.forms import OrganisationForm
from tests.factories import ClusterFactory, ListingFactory

pytestmark = pytest.mark.django_db


def details(html: str) -> dict[str, str]:
    """The "Details" summary list of the member's organisation page, key -> value (text)."""
    section = html.split('<h2 class="govuk-heading-l">Details</h2>', 1)[1].split("</dl>", 1)[0]
    rows = re.findall(
        r'<dt class="govuk-summary-list__key">(.*?)</dt>'
        r'<dd class="govuk-summary-list__value">(.*?)</dd>',
        section,
        re.S,
    )
    return {key: re.sub(r"<[^>]+>", "", value).strip() for key, value in rows}


def test_your_organisation_shows_the_clusters_size_and_place_entered(client, member, organisation):
    organisation.clusters.set(
        [
            ClusterFactory(slug="probe-tees", name="Probe Tees Valley"),
            ClusterFactory(slug="probe-humber", name="Probe Humber"),
        ]
    )
    organisation.size = "small"
    organisation.location = "HU12 8DS"
    organisation.save()
    client.force_login(member)
    html = client.get(reverse("clusters:organisation-detail", args=[organisation.ref])).content
    rows = details(html.decode())
    assert "Probe Humber" in rows["Clusters"] and "Probe Tees Valley" in rows["Clusters"]
    assert rows["Size"] == "10 to 49 people"
    assert rows["Postcode or region"] == "HU12 8DS"


def test_your_organisation_says_not_given_for_what_was_left_out(client, member, organisation):
    organisation.clusters.clear()
    organisation.size = ""
    organisation.location = ""
    organisation.save()
    client.force_login(member)
    html = client.get(reverse("clusters:organisation-detail", args=[organisation.ref])).content
    rows = details(html.decode())
    assert rows["Clusters"] == rows["Size"] == rows["Postcode or region"] == "Not given"


def test_the_clusters_question_is_marked_optional_like_the_others():
    form = OrganisationForm()
    assert not form.fields["clusters"].required
    assert form.fields["clusters"].label.endswith("(optional)")
    # Every optional field of the form says so in its label.
    for name, field in form.fields.items():
        if not field.required:
            assert field.label.endswith("(optional)"), name


def check_for_matches(client, organisation):
    return client.post(
        reverse("clusters:listing-create", args=[organisation.ref]) + "?kind=need",
        {
            "kind": "need",
            "title": "Heat pumps for our drying line",
            "description": "We want industrial heat pumps for drying.",
            "check": "1",
            "partner_kind": "any",
        },
    ).content.decode()


def test_check_for_matches_says_at_the_top_where_the_results_are(client, member, organisation):
    client.force_login(member)
    html = check_for_matches(client, organisation)
    banner = html.index("We have checked for listings that fit yours")
    assert banner < html.index("<h1")
    assert 'href="#match-check">See what we found</a>' in html
    assert 'id="match-check"' in html and banner < html.index('id="match-check"')
    assert "Your listing has not been saved yet" in html


def test_check_for_matches_on_an_edit_says_the_changes_are_not_saved(client, member, organisation):
    listing = ListingFactory(organisation=organisation, kind="need")
    client.force_login(member)
    html = client.post(
        reverse("clusters:listing-edit", args=[listing.ref]),
        {
            "kind": "need",
            "title": "Heat pumps for our drying line",
            "description": "We want industrial heat pumps for drying.",
            "check": "1",
            "partner_kind": "any",
        },
    ).content.decode()
    assert 'href="#match-check">See what we found</a>' in html
    assert "Your changes have not been saved yet" in html


def test_the_check_button_takes_the_browser_to_the_results(client, member, organisation):
    client.force_login(member)
    url = reverse("clusters:listing-create", args=[organisation.ref]) + "?kind=need"
    html = client.get(url).content.decode()
    button = re.search(r'<button[^>]*name="check"[^>]*>', html).group(0)
    assert 'formaction="#match-check"' in button
    # Only that button: saving with an error must come back at the error summary, at the top.
    save = re.search(r"<button[^>]*>(Save and check)</button>", html).group(0)
    assert "formaction" not in save
    # And the form's own action has no "#": after a check the page's address ends in
    # #match-check, which a form without an action would post to again (review).
    action = re.search(r'<form method="post" action="([^"]*)"', html).group(1)
    assert "#" not in action and action.startswith(url.split("?")[0])
    # Nothing was checked yet: no banner on the empty form.
    assert "We have checked for listings" not in html


def test_check_for_matches_with_too_little_written_says_so(client, member, organisation):
    """Pressed with almost nothing written, the page came back at the results, which said
    "Nothing fits yet" (re-probe, stop 30)."""
    client.force_login(member)
    html = client.post(
        reverse("clusters:listing-create", args=[organisation.ref]),
        {"kind": "need", "title": "", "description": "Heat", "check": "1"},
    ).content.decode()
    assert "We have checked for listings that fit yours" not in html
    assert "Nothing fits yet" not in html
    assert "There is too little to check yet" in html


def test_a_check_shows_no_errors_and_saving_afterwards_opens_at_the_top(
    client, member, organisation
):
    """After a check the page's own address ended in #match-check, so a save with errors
    opened at the end, past its error summary; and a check of a half-written draft showed
    "There is a problem" (review, stop 30)."""
    client.force_login(member)
    url = reverse("clusters:listing-create", args=[organisation.ref]) + "?kind=need"
    html = client.post(
        url, {"kind": "need", "title": "", "description": "Heat pumps for drying", "check": "1"}
    ).content.decode()
    assert "govuk-error-summary" not in html and "<title>Error:" not in html
    assert "Heat pumps for drying" in html  # what was typed is kept
    assert f'<form method="post" action="{url.replace("&", "&amp;")}" novalidate' in html
    saved = client.post(url, {"kind": "need", "title": "", "description": "x"}).content.decode()
    assert "govuk-error-summary" in saved  # a save still says what to fix
