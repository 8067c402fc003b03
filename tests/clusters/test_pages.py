"""Public pages: each one answers, shows what it should, filters, and keeps to a query budget."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from clusters.models import Challenge, Cluster, Listing
from tests.factories import ChallengeFactory, ListingFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def test_home_page_shows_the_mission_and_the_six_clusters_as_chart_and_table(client):
    response = client.get(reverse("home"))
    html = response.content.decode()
    assert response.status_code == 200
    assert "net-zero carbon industrial cluster by 2040" in html
    assert "<svg" in html and 'role="img"' in html
    for name, figure in [
        ("Humber", "12.4"),
        ("South Wales", "8.2"),
        ("Grangemouth", "4.3"),
        ("Teesside", "3.1"),
        ("Merseyside", "2.6"),
        ("Southampton", "2.6"),
    ]:
        assert name in html
        assert f'<td class="govuk-table__cell govuk-table__cell--numeric">{figure}</td>' in html
    assert "about 33.2 million tonnes" in html
    # The figures and the gaps were found only from the clusters page (newcomer probe).
    assert f'href="{reverse("dashboards:mission")}"' in html
    assert f'href="{reverse("insights:gaps")}"' in html


@pytest.mark.parametrize(
    "url_name",
    [
        "home",
        "clusters:cluster-list",
        "clusters:challenge-list",
        "clusters:offer-list",
        "clusters:need-list",
        "accessibility",
        "cookies",
    ],
)
def test_every_public_page_has_a_title_skip_link_and_no_crown(client, url_name):
    html = client.get(reverse(url_name)).content.decode()
    title = re.search(r"<title>(.*?)</title>", html, re.S).group(1)
    assert "Cluster Exchange" in title and len(title) > len("Cluster Exchange")
    assert 'href="#main-content"' in html and 'id="main-content"' in html
    assert "crown" not in html.lower()
    assert "GDS Transport" not in html


def test_missing_page_is_a_styled_404(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_cluster_page_lists_its_challenges_and_counts_published_listings(client):
    challenge = ChallengeFactory(title="Hydrogen for the Humber kilns", themes=["hydrogen"])
    ChallengeFactory(title="A Teesside problem", cluster=Cluster.objects.get(slug="teesside"))
    ListingFactory(kind="offer", clusters=["humber"], challenge=challenge)
    ListingFactory(kind="offer", clusters=["humber"], status=Listing.Status.DRAFT)
    ListingFactory(kind="need", clusters=["humber"])
    ListingFactory(kind="need", clusters=["humber"])

    response = client.get(reverse("clusters:cluster-detail", args=["humber"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Hydrogen for the Humber kilns" in html
    assert "A Teesside problem" not in html
    assert ">1 offer<" in html
    assert ">2 needs<" in html
    assert response.context["cluster"].published_offers == 1


def test_unknown_cluster_is_404(client):
    assert client.get(reverse("clusters:cluster-detail", args=["atlantis"])).status_code == 404


def test_challenge_page_shows_the_published_offers_and_needs_that_answer_it(client):
    challenge = ChallengeFactory(title="Capture from kilns", themes=["ccus"])
    ListingFactory(kind="offer", title="Oxyfuel retrofit", challenge=challenge)
    ListingFactory(kind="need", title="Kiln gas outlet wanted", challenge=challenge)
    ListingFactory(
        kind="offer", title="Withdrawn idea", challenge=challenge, status=Listing.Status.WITHDRAWN
    )

    response = client.get(challenge.get_absolute_url())
    html = response.content.decode()
    assert "Capture from kilns" in html
    assert "Oxyfuel retrofit" in html
    assert "Kiln gas outlet wanted" in html
    assert "Withdrawn idea" not in html
    assert "Carbon capture, usage and storage" in html


def test_challenge_list_search_finds_word_stems(client):
    ChallengeFactory(title="Capture CO2 from stacks")
    ChallengeFactory(title="Recover waste heat", description="Low-grade heat at Wilton.")

    response = client.get(reverse("clusters:challenge-list"), {"q": "capturing"})
    titles = [c.title for c in response.context["page_obj"]]
    assert titles == ["Capture CO2 from stacks"]


def test_challenge_list_filters_by_cluster_theme_and_status(client):
    ChallengeFactory(title="Humber hydrogen", themes=["hydrogen"])
    ChallengeFactory(title="Humber closed hydrogen", themes=["hydrogen"], status="closed")
    ChallengeFactory(
        title="Teesside hydrogen", themes=["hydrogen"], cluster=Cluster.objects.get(slug="teesside")
    )
    ChallengeFactory(title="Humber skills", themes=["skills"])

    def titles(**params):
        response = client.get(reverse("clusters:challenge-list"), params)
        return sorted(c.title for c in response.context["page_obj"])

    assert titles(cluster="humber", theme="hydrogen", status="open") == ["Humber hydrogen"]
    assert titles(theme=["hydrogen", "skills"], cluster="humber") == [
        "Humber closed hydrogen",
        "Humber hydrogen",
        "Humber skills",
    ]
    assert titles(status="closed") == ["Humber closed hydrogen"]
    assert len(titles()) == 4


def test_challenge_list_sorts_by_title(client):
    for title in ["Bravo", "Alpha", "Charlie"]:
        ChallengeFactory(title=title)
    response = client.get(reverse("clusters:challenge-list"), {"sort": "title"})
    assert [c.title for c in response.context["page_obj"]] == ["Alpha", "Bravo", "Charlie"]


def test_an_unknown_filter_value_is_explained_not_a_server_error(client):
    response = client.get(reverse("clusters:challenge-list"), {"cluster": "atlantis"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Select a cluster from the list" in html
    assert "Select a valid choice" not in html  # Django's words (an outside probe)
    assert "<title>Error: " in html


def test_pagination_keeps_the_filters_in_its_links(client):
    for n in range(25):
        ChallengeFactory(title=f"Hydrogen storage {n}", themes=["hydrogen"])
    response = client.get(reverse("clusters:challenge-list"), {"theme": "hydrogen", "q": "storage"})
    html = response.content.decode()
    assert response.context["page_obj"].paginator.num_pages == 2
    assert "?theme=hydrogen&amp;q=storage&amp;page=2" in html
    page2 = client.get(
        reverse("clusters:challenge-list"), {"theme": "hydrogen", "q": "storage", "page": 2}
    )
    assert len(page2.context["page_obj"]) == 5


def test_offer_and_need_lists_show_only_published_listings_of_their_kind(client):
    ListingFactory(kind="offer", title="Published offer")
    ListingFactory(kind="offer", title="Pending offer", status=Listing.Status.PENDING)
    ListingFactory(kind="offer", title="Draft offer", status=Listing.Status.DRAFT)
    ListingFactory(kind="need", title="Published need")

    offers = client.get(reverse("clusters:offer-list")).content.decode()
    needs = client.get(reverse("clusters:need-list")).content.decode()
    assert "Published offer" in offers
    assert "Pending offer" not in offers and "Draft offer" not in offers
    assert "Published need" not in offers
    assert "Published need" in needs and "Published offer" not in needs


def test_listing_lists_filter_by_search_cluster_theme_and_organisation_kind(client):
    university = OrganisationFactory(kind="university")
    ListingFactory(
        kind="offer",
        title="Electrolyser test rig",
        organisation=university,
        themes=["hydrogen"],
        clusters=["teesside"],
    )
    ListingFactory(
        kind="offer", title="Hydrogen blending advice", themes=["hydrogen"], clusters=["humber"]
    )
    ListingFactory(kind="offer", title="Biomass dryer", themes=["bioenergy"], clusters=["humber"])

    def titles(**params):
        response = client.get(reverse("clusters:offer-list"), params)
        return sorted(x.title for x in response.context["page_obj"])

    assert titles(theme="hydrogen") == ["Electrolyser test rig", "Hydrogen blending advice"]
    assert titles(cluster="humber") == ["Biomass dryer", "Hydrogen blending advice"]
    assert titles(organisation_kind="university") == ["Electrolyser test rig"]
    assert titles(q="electrolysers") == ["Electrolyser test rig"]


@pytest.mark.parametrize("status", ["draft", "pending", "withdrawn"])
def test_unpublished_listing_page_is_404(client, status):
    """A withdrawn one was public: it says it is gone (410), and nothing more of it."""
    listing = ListingFactory(status=status, published_at=None)
    response = client.get(listing.get_absolute_url())
    assert response.status_code == (410 if status == "withdrawn" else 404)
    assert listing.title not in response.content.decode()


def test_listing_page_shows_the_listing_and_its_organisation(client):
    listing = ListingFactory(
        title="Amine solvent trials",
        clusters=["humber"],
        themes=["ccus"],
        organisation__name="Solvent Labs",
    )
    html = client.get(listing.get_absolute_url()).content.decode()
    assert "Amine solvent trials" in html
    assert "About Solvent Labs" in html
    assert "Humber" in html


def test_user_text_is_escaped_everywhere(client):
    attack = '<script>alert("x")</script>'
    challenge = ChallengeFactory(title=f"Challenge {attack}", description=attack)
    listing = ListingFactory(
        title=f"Offer {attack}",
        description=attack,
        challenge=challenge,
        organisation__name=f"Org {attack}",
    )
    for url in [
        reverse("clusters:challenge-list"),
        challenge.get_absolute_url(),
        reverse("clusters:offer-list"),
        listing.get_absolute_url(),
        reverse("clusters:cluster-detail", args=["humber"]),
        reverse("clusters:challenge-list") + "?q=" + attack,
    ]:
        html = client.get(url).content.decode()
        assert attack not in html, url
        assert "&lt;script&gt;" in html, url


def query_count(client, url):
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    return len(queries)


def make_rows(n):
    challenges = [ChallengeFactory(themes=["ccus", "hydrogen"]) for _ in range(n)]
    for i in range(n):
        kind = "offer" if i % 2 else "need"
        ListingFactory(
            kind=kind, themes=["ccus"], clusters=["humber", "teesside"], challenge=challenges[i]
        )
        ListingFactory(kind=kind, themes=["ccus"], clusters=["humber"])
    return challenges


@pytest.mark.parametrize(
    "url",
    [
        reverse("home"),
        reverse("clusters:cluster-list"),
        reverse("clusters:cluster-detail", args=["humber"]),
        reverse("clusters:challenge-list"),
        reverse("clusters:challenge-list") + "?q=challenge&theme=ccus&cluster=humber",
        reverse("clusters:offer-list"),
        reverse("clusters:need-list") + "?theme=ccus&cluster=humber&sort=title",
    ],
)
def test_list_pages_use_the_same_number_of_queries_for_10_and_200_rows(client, url):
    make_rows(10)
    at_10 = query_count(client, url)
    make_rows(190)
    at_200 = query_count(client, url)
    assert at_200 == at_10
    assert at_10 <= 10


def test_challenge_page_query_count_does_not_grow_with_its_listings(client):
    challenge = ChallengeFactory()
    for _ in range(5):
        ListingFactory(challenge=challenge, themes=["ccus"])
    few = query_count(client, challenge.get_absolute_url())
    for _ in range(50):
        ListingFactory(challenge=challenge, themes=["ccus"])
    assert query_count(client, challenge.get_absolute_url()) == few


def test_challenge_constraints_hold_in_the_database():
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        Challenge.objects.filter(pk=ChallengeFactory().pk).update(status="pending")


@pytest.mark.urls("tests.error_urls")
def test_a_server_error_shows_the_styled_500_page_saying_what_to_do(client):
    client.raise_request_exception = False
    response = client.get("/broken/")
    html = response.content.decode()
    assert response.status_code == 500
    assert "Sorry, there is a problem with the service" in html
    assert "site.css" in html
    assert "deliberate failure" not in html


@pytest.mark.urls("tests.error_urls")
def test_a_refusal_shows_the_styled_403_page_saying_what_to_do(client):
    response = client.get("/refused/")
    html = response.content.decode()
    assert response.status_code == 403
    assert "You cannot see this page" in html
    assert reverse("enquiries:create") in html  # where to ask
    assert "site.css" in html and 'id="main-content"' in html
    assert "deliberate refusal" not in html


def test_a_form_that_fails_the_csrf_check_says_what_to_do_and_saves_nothing():
    from django.test import Client

    from enquiries.models import Enquiry

    client = Client(enforce_csrf_checks=True)
    response = client.post(
        reverse("enquiries:create"),
        {"name": "Ann", "email": "ann@example.com", "message": "Hello"},
    )
    html = response.content.decode()
    assert response.status_code == 403
    assert "Your form could not be sent" in html
    assert "reload the page" in html and "nothing was saved" in html
    assert "site.css" in html and 'id="main-content"' in html
    assert "CSRF" not in html  # Django's own page speaks of "CSRF verification failed"
    assert not Enquiry.objects.exists()
