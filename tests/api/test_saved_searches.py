"""The API of a person's saved searches: only their own, checked as the page checks them."""

import pytest

from searches.models import SavedSearch
from searches.services import MAX_SAVED
from tests.api.conftest import bearer
from tests.factories import SavedSearchFactory

pytestmark = pytest.mark.django_db
URL = "/api/v1/saved-searches/"


def test_the_list_holds_only_my_searches(api, member, outsider, token_for):
    mine = SavedSearchFactory(user=member, name="Heat")
    SavedSearchFactory(user=outsider)
    bearer(api, token_for(member, "read"))
    response = api.get(URL)
    assert response.status_code == 200
    assert response.json() == [
        {
            "ref": mine.ref,
            "name": "Heat",
            "page": "offers",
            "page_label": "Offers",
            "query": mine.query,
            "url": f"/offers/?{mine.query}",
            "created_at": response.json()[0]["created_at"],
        }
    ]


def test_saving_keeps_only_the_pages_filters_and_names_it(api, member, token_for):
    bearer(api, token_for(member))
    response = api.post(URL, {"page": "offers", "query": "q=hydrogen&x=1"}, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["query"] == "q=hydrogen"
    assert response.json()["name"] == "Offers: “hydrogen”"
    assert SavedSearch.objects.get(user=member).ref == response.json()["ref"]


@pytest.mark.parametrize(
    "body, field",
    [
        ({"page": "enquiries"}, "page"),
        ({}, "page"),
        ({"page": "offers", "query": "theme=not-a-theme"}, "query"),
        ({"page": "challenges", "query": "status=closed"}, "query"),
        ({"page": "offers", "name": "x" * 101}, "name"),
    ],
)
def test_a_search_the_page_would_refuse_is_a_400(api, member, token_for, body, field):
    bearer(api, token_for(member))
    response = api.post(URL, body, format="json")
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert not SavedSearch.objects.exists()


def test_saving_twice_or_past_the_limit_is_a_409(api, member, token_for):
    bearer(api, token_for(member))
    assert api.post(URL, {"page": "needs"}, format="json").status_code == 201
    again = api.post(URL, {"page": "needs"}, format="json")
    assert again.status_code == 409
    assert again.json()["message"] == "You have already saved this search."
    SavedSearchFactory.create_batch(MAX_SAVED - 1, user=member)
    full = api.post(URL, {"page": "offers"}, format="json")
    assert full.status_code == 409
    assert "the most you can keep" in full.json()["message"]


def test_renaming_and_deleting_my_search(api, member, token_for):
    search = SavedSearchFactory(user=member)
    bearer(api, token_for(member))
    renamed = api.patch(f"{URL}{search.ref}/", {"name": "  Heat   pumps "}, format="json")
    assert renamed.status_code == 200
    assert renamed.json()["name"] == "Heat pumps"
    blank = api.patch(f"{URL}{search.ref}/", {"name": ""}, format="json")
    assert blank.status_code == 400
    assert blank.json()["errors"] == {"name": ["Enter a name for this search"]}
    assert api.delete(f"{URL}{search.ref}/").status_code == 204
    assert not SavedSearch.objects.exists()


def test_someone_elses_search_is_a_404_and_unchanged(api, member, outsider, token_for):
    theirs = SavedSearchFactory(user=outsider, name="Theirs")
    bearer(api, token_for(member))
    assert api.patch(f"{URL}{theirs.ref}/", {"name": "Mine"}, format="json").status_code == 404
    assert api.delete(f"{URL}{theirs.ref}/").status_code == 404
    theirs.refresh_from_db()
    assert theirs.name == "Theirs"


def test_a_read_token_cannot_save_rename_or_delete(api, member, token_for):
    search = SavedSearchFactory(user=member, name="Kept")
    bearer(api, token_for(member, "read"))
    assert api.post(URL, {"page": "needs"}, format="json").status_code == 403
    assert api.patch(f"{URL}{search.ref}/", {"name": "New"}, format="json").status_code == 403
    assert api.delete(f"{URL}{search.ref}/").status_code == 403
    assert list(SavedSearch.objects.values_list("name", flat=True)) == ["Kept"]


@pytest.mark.parametrize("count", [10, 500])
def test_the_list_makes_the_same_few_queries_at_10_and_500(
    api, member, token_for, django_assert_max_num_queries, count
):
    """At most MAX_SAVED can be saved; 500 made directly still read in one query."""
    SavedSearchFactory.create_batch(count, user=member)
    bearer(api, token_for(member))
    with django_assert_max_num_queries(4):
        response = api.get(URL)
    assert len(response.json()) == count
