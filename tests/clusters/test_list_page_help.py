"""What a list page offers a person who is looking: a way past the filters on a phone, and
what to try when nothing matches (newcomer probe, stop 28)."""

import datetime

import pytest


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/offers/", "/needs/", "/challenges/", "/organisations/"])
def test_no_results_says_what_to_try_next(client, path):
    """ "Try fewer words" was the only advice, wrong for a one-word search (newcomer probe)."""
    html = client.get(path, {"q": "hydrogn"}).content.decode()
    assert "match your search. You could try:" in html
    assert "checking the spelling" in html and "other words for the same thing" in html
    assert f'href="{path}">clearing the filters</a>' in html


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/offers/", "/needs/", "/challenges/", "/organisations/", "/funding/"]
)
def test_a_link_skips_the_filters_to_the_results(client, path):
    """On a phone the results began three screens down, below the filters (newcomer probe)."""
    html = client.get(path).content.decode()
    assert '<a class="govuk-link" href="#results-heading">Skip to the results</a>' in html
    assert 'id="results-heading"' in html
    assert html.index("Skip to the results") < html.index('id="results-heading"')


@pytest.mark.django_db
def test_needs_can_be_filtered_by_the_kind_of_partner_they_want(client):
    """An investor could not find the needs that want an investor (newcomer probe)."""
    from searches.services import default_name
    from tests.factories import ListingFactory

    ListingFactory(ref="N-money", kind="need", partner_kind="investor")
    ListingFactory(ref="N-any", kind="need", partner_kind="any")
    ListingFactory(ref="N-lab", kind="need", partner_kind="university")
    page = client.get("/needs/", {"partner_kind": "investor"})
    assert [x.ref for x in page.context["page_obj"].object_list] == ["N-money"]
    assert 'name="partner_kind"' in client.get("/needs/").content.decode()
    refused = client.get("/needs/", {"partner_kind": "any"}).content.decode()
    assert "Select a kind of partner from the list" in refused
    name = default_name("needs", "partner_kind=investor")
    assert "looking for an investor" in name


@pytest.mark.django_db
def test_a_filter_that_finds_nothing_offers_every_need_not_a_spelling_check(client):
    """ "0 needs ... checking the spelling" for a search with no words, and nothing said that
    "Looking for: an investor" leaves out the needs open to any kind (newcomer probe, stop
    30). The public page of a need also says whom it looks for, and until when."""
    from clusters.models import Theme
    from tests.factories import ListingFactory

    open_to_all = ListingFactory(
        kind="need", partner_kind="any", expires_on=datetime.date(2027, 3, 1)
    )
    hydrogen = Theme.objects.get(slug="hydrogen")
    html = client.get(
        "/needs/", {"partner_kind": "investor", "theme": hydrogen.slug}
    ).content.decode()
    assert "match your search. You could try:" in html
    assert "checking the spelling" not in html and "fewer words" not in html
    assert (
        f'<a class="govuk-link" href="?theme={hydrogen.slug}">all needs, whoever they are '
        "looking for</a>" in html
    )
    assert "most are open to any kind" in html
    page = client.get(open_to_all.get_absolute_url()).content.decode()
    assert "Looking for</dt>" in page and "Any kind of organisation" in page
    assert "Open until</dt>" in page and "1 March 2027" in page
