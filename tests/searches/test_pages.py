"""Saving a search from its list page, and the "Your saved searches" page."""

import pytest
from django.urls import reverse

from clusters.models import Organisation
from searches.models import SavedSearch
from searches.services import MAX_SAVED
from tests.factories import MembershipFactory, SavedSearchFactory

pytestmark = pytest.mark.django_db

SAVE = reverse("searches:save")
LIST = reverse("searches:list")
OFFERS = reverse("clusters:offer-list")


def save(client, query, page="offers", name="", follow=True):
    return client.post(SAVE, {"page": page, "query": query, "name": name}, follow=follow)


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_list_pages_offer_to_save_the_search_they_show(client, member):
    client.force_login(member)
    for url, page in [
        (OFFERS, "offers"),
        (reverse("clusters:need-list"), "needs"),
        (reverse("clusters:challenge-list"), "challenges"),
        (reverse("clusters:organisation-list"), "organisations"),
    ]:
        html = client.get(url, {"q": "hydrogen", "page": "2"}).content.decode()
        assert "Save this search" in html
        assert f'name="page" value="{page}"' in html
        assert 'name="query" value="q=hydrogen"' in html  # the page number is not kept


def test_saving_keeps_only_known_filters_in_a_fixed_order(client, member):
    response = save(
        client_of(client, member),
        "theme=hydrogen&sort=title&q=+electrolysers+&evil=1&theme=ccus&cluster=humber&page=3",
    )
    search = SavedSearch.objects.get(user=member)
    assert search.page == "offers"
    assert search.query == "q=electrolysers&cluster=humber&theme=ccus&theme=hydrogen"
    # The filters in words ("(filtered)" said nothing of which: newcomer probe).
    assert search.name == (
        "Offers: “electrolysers” "
        "(Humber, Carbon capture, usage and storage, Hydrogen and low-carbon fuels)"
    )
    assert response.redirect_chain[-1][0] == f"{OFFERS}?{search.query}"
    assert f"Search saved as “{search.name}”" in messages_of(response)[0]


def client_of(client, user):
    client.force_login(user)
    return client


def test_the_name_given_is_kept(client, member):
    save(client_of(client, member), "q=hydrogen", name="  Electrolysers   in Humber ")
    assert SavedSearch.objects.get().name == "Electrolysers in Humber"


def test_a_challenge_search_can_be_saved(client, member):
    save(client_of(client, member), "cluster=humber&status=open", page="challenges")
    search = SavedSearch.objects.get()
    assert search.get_absolute_url() == (
        reverse("clusters:challenge-list") + "?cluster=humber&status=open"
    )


@pytest.mark.parametrize(
    ("query", "says"),
    [
        ("theme=no-such-theme", "Theme: Select a theme from the list"),
        ("cluster=atlantis", "Cluster: Select a cluster from the list"),
        ("sort=zzz", "Sort by: Select how to sort from the list"),
        ("q=" + "x" * 201, "Search: Search with 200 characters or fewer"),
        ("q=%21%21", "Your search has no letters or numbers"),
        # 200 letters, each several characters once encoded: longer than a saved query.
        ("q=" + "é" * 200 + "&theme=ccus&theme=hydrogen", "This search is too long to save"),
    ],
)
def test_a_bad_query_saves_nothing_and_says_what_to_change(client, member, query, says):
    response = save(client_of(client, member), query)
    message = messages_of(response)[0]
    assert message.startswith("We could not save this search.")
    assert says in message
    assert message.endswith("Change the filters, then save it again.")
    assert not SavedSearch.objects.exists()


def test_a_search_of_closed_challenges_is_refused_as_it_could_never_find_anything_new(
    client, member
):
    response = save(client_of(client, member), "status=closed", page="challenges")
    assert "a search of closed challenges cannot be saved" in messages_of(response)[0]
    assert not SavedSearch.objects.exists()


def test_a_default_name_says_the_filters_and_is_cut_to_fit(client, member):
    save(client_of(client, member), "cluster=south-wales&organisation_kind=university")
    assert SavedSearch.objects.get().name == (
        "Offers: South Wales, from university or research organisation"
    )
    long_words = "hydrogen " * 12
    save(client, f"q={long_words}&theme=ccus&theme=hydrogen&theme=bioenergy")
    name = SavedSearch.objects.exclude(name__startswith="Offers: South").get().name
    assert len(name) <= 100 and name.endswith("…")


def test_the_same_search_twice_is_saved_once_and_the_page_says_where_it_is(client, member):
    save(client_of(client, member), "q=hydrogen&theme=ccus")
    (search,) = SavedSearch.objects.all()
    response = save(client, "theme=ccus&q=hydrogen&sort=newest")
    assert messages_of(response) == [
        f"You have already saved this search, as “{search.name}”. "
        "It is listed below, where you can rename or delete it."
    ]
    assert response.redirect_chain[-1][0] == reverse("searches:list")
    assert search.name in response.content.decode()
    assert SavedSearch.objects.count() == 1


def test_saving_the_same_search_under_a_new_name_renames_it(client, member):
    save(client_of(client, member), "q=hydrogen", name="Hydrogen offers")
    response = save(client, "q=hydrogen", name="  Hydrogen   for Port Talbot ")
    (search,) = SavedSearch.objects.all()
    assert search.name == "Hydrogen for Port Talbot"
    assert messages_of(response) == [
        "You had already saved this search as “Hydrogen offers”. "
        "It is now called “Hydrogen for Port Talbot”."
    ]
    assert response.redirect_chain[-1][0] == search.get_absolute_url()


def test_saving_again_never_renames_another_persons_search(client, member):
    other = SavedSearchFactory(page="offers", query="q=hydrogen", name="Theirs")
    save(client_of(client, member), "q=hydrogen", name="Mine")
    other.refresh_from_db()
    assert other.name == "Theirs"
    assert SavedSearch.objects.filter(user=member, name="Mine").count() == 1


def test_a_person_may_keep_twenty_searches_and_is_told_what_to_do_next(client, member):
    SavedSearchFactory.create_batch(MAX_SAVED, user=member)
    response = save(client_of(client, member), "q=hydrogen")
    assert (
        "You have 20 saved searches, the most you can keep. Delete one" in messages_of(response)[0]
    )
    assert SavedSearch.objects.filter(user=member).count() == MAX_SAVED


def test_a_name_too_long_saves_nothing(client, member):
    response = save(client_of(client, member), "q=hydrogen", name="x" * 101)
    assert messages_of(response) == ["Name must be 100 characters or fewer"]
    assert not SavedSearch.objects.exists()


def test_an_unknown_page_is_404(client, member):
    assert save(client_of(client, member), "q=x", page="admin").status_code == 404


def test_signed_out_visitor_is_asked_to_sign_in_and_comes_back_to_the_search(client):
    html = client.get(OFFERS, {"q": "hydrogen"}).content.decode()
    assert "Sign in to save this search" in html
    assert "?next=%2Foffers%2F%3Fq%3Dhydrogen" in html
    response = save(client, "q=hydrogen", follow=False)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=/offers/%3Fq%3Dhydrogen"
    assert not SavedSearch.objects.exists()


def test_member_of_an_unapproved_organisation_can_save_a_search(client):
    user = MembershipFactory(organisation__status=Organisation.Status.PENDING).user
    save(client_of(client, user), "q=hydrogen")
    assert SavedSearch.objects.filter(user=user).count() == 1


def test_saved_searches_page_shows_only_ones_own(client, member, outsider):
    SavedSearchFactory(user=member, name="Mine about heat")
    SavedSearchFactory(user=outsider, name="Theirs about hydrogen")
    html = client_of(client, member).get(LIST).content.decode()
    assert "Mine about heat" in html
    assert "Theirs about hydrogen" not in html


@pytest.mark.parametrize("count", [1, 20])
def test_saved_searches_page_needs_the_same_queries_for_1_or_20(
    client, member, count, django_assert_max_num_queries
):
    SavedSearchFactory.create_batch(count, user=member)
    client.force_login(member)
    with django_assert_max_num_queries(6):
        response = client.get(LIST)
    assert len(response.context["searches"]) == count


def test_renaming_a_saved_search(client, member):
    search = SavedSearchFactory(user=member, name="Old name")
    url = reverse("searches:rename", args=[search.ref])
    client.force_login(member)
    assert 'value="Old name"' in client.get(url).content.decode()
    response = client.post(url, {"name": ""})
    assert "Enter a name for this search" in response.content.decode()
    response = client.post(url, {"name": "New name"}, follow=True)
    assert messages_of(response) == ["Search renamed to “New name”."]
    search.refresh_from_db()
    assert search.name == "New name"


def test_deleting_a_saved_search_is_a_post(client, member):
    search = SavedSearchFactory(user=member)
    url = reverse("searches:delete", args=[search.ref])
    client.force_login(member)
    assert client.get(url).status_code == 405
    assert SavedSearch.objects.filter(pk=search.pk).exists()
    client.post(url)
    assert not SavedSearch.objects.filter(pk=search.pk).exists()


def test_another_persons_saved_search_cannot_be_renamed_or_deleted(client, member, outsider):
    search = SavedSearchFactory(user=member, name="Mine")
    client.force_login(outsider)
    assert client.get(reverse("searches:rename", args=[search.ref])).status_code == 404
    assert (
        client.post(reverse("searches:rename", args=[search.ref]), {"name": "x"}).status_code == 404
    )
    assert client.post(reverse("searches:delete", args=[search.ref])).status_code == 404
    search.refresh_from_db()
    assert search.name == "Mine"


def test_signed_out_visitor_is_sent_to_sign_in_from_saved_searches(client, member):
    search = SavedSearchFactory(user=member)
    for url in (LIST, reverse("searches:rename", args=[search.ref])):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))
    assert client.post(reverse("searches:delete", args=[search.ref])).status_code == 302
    assert SavedSearch.objects.filter(pk=search.pk).exists()


def test_a_huge_query_goes_back_to_the_list_without_it_and_says_why(client, member):
    # 17,000 characters once made a redirect Django refuses: a bare 400 page.
    response = save(client_of(client, member), "q=" + "a" * 17000, follow=False)
    assert response.status_code == 302
    assert response["Location"] == OFFERS
    page = client.get(response["Location"])
    assert page.status_code == 200
    (message,) = messages_of(page)
    assert message.startswith("We could not save this search.")
    assert "Search with 200 characters or fewer" in message
    assert message in page.content.decode()
    assert not SavedSearch.objects.exists()


def test_a_huge_query_with_a_name_too_long_still_goes_back_to_the_list(client, member):
    response = save(client_of(client, member), "q=" + "a" * 17000, name="x" * 101)
    assert response.redirect_chain == [(OFFERS, 302)]
    assert messages_of(response) == ["Name must be 100 characters or fewer"]
    assert not SavedSearch.objects.exists()


def test_a_signed_out_visitor_with_a_huge_query_is_asked_to_sign_in(client):
    response = save(client, "q=" + "a" * 17000, follow=False)
    assert response.status_code == 302
    assert response["Location"] == reverse("account_login") + "?next=/offers/"


def test_a_query_with_a_nul_goes_back_to_the_list_without_it_and_says_why(client, member):
    """The list page refuses a NUL (400) before it could show the message (probe)."""
    response = save(client_of(client, member), "q=a%00b", follow=False)
    assert response.status_code == 302 and response["Location"] == OFFERS
    page = client.get(response["Location"])
    assert page.status_code == 200
    (message,) = messages_of(page)
    assert message in page.content.decode()
    assert not SavedSearch.objects.exists()


def test_a_renamed_search_still_says_what_it_looks_for(client, member):
    save(client_of(client, member), "q=electrolysers&cluster=humber", name="Humber hydrogen")
    save(client, "q=heat")  # not renamed: its name says it already
    html = client.get(LIST).content.decode()
    assert "Humber hydrogen" in html
    described = '<p class="govuk-body govuk-!-margin-bottom-1 govuk-!-text-break-word">'
    assert described + "Offers: “electrolysers” (Humber)</p>" in html
    assert described + "Offers: “heat”" not in html
