"""The API of a person's saved searches: only their own, checked as the page checks them."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from api.models import Removal
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
            "updated_at": response.json()[0]["updated_at"],
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
        ({"page": "offers", "query": "challenge=C-NOPE"}, "query"),  # attacker probe
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
    assert again.json()["message"].startswith("You have already saved this search, as “")
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


def test_updated_since_lists_only_the_searches_saved_or_renamed_since(api, member, token_for):
    old, renamed = SavedSearchFactory.create_batch(2, user=member)
    long_ago = timezone.now() - timedelta(days=5)
    SavedSearch.objects.update(updated_at=long_ago)
    since = timezone.now()
    bearer(api, token_for(member))
    api.patch(f"{URL}{renamed.ref}/", {"name": "Renamed"}, format="json")
    new = api.post(URL, {"page": "needs"}, format="json").json()
    response = api.get(URL, {"updated_since": since.isoformat()})
    assert response.status_code == 200
    assert {row["ref"] for row in response.json()} == {renamed.ref, new["ref"]}
    assert all(parse_datetime(row["updated_at"]) >= since for row in response.json())
    assert len(api.get(URL).json()) == 3
    bad = api.get(URL, {"updated_since": "last week"})
    assert bad.status_code == 400
    assert "updated_since" in bad.json()["errors"]


def test_a_deleted_search_is_in_my_removals_only(api, client, member, outsider, token_for):
    mine, on_the_page = SavedSearchFactory.create_batch(2, user=member)
    theirs = SavedSearchFactory(user=outsider)
    before = timezone.now()
    bearer(api, token_for(member))
    assert api.get(f"{URL}removed/").json()["results"] == []
    assert api.delete(f"{URL}{mine.ref}/").status_code == 204
    # Deleted on the site: the same service, the same tombstone.
    from searches.services import delete_search

    delete_search(on_the_page)
    delete_search(theirs)
    response = api.get(f"{URL}removed/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert {row["ref"] for row in rows} == {mine.ref, on_the_page.ref}
    assert all(row["reason"] == "deleted" for row in rows)
    assert all(parse_datetime(row["removed_at"]) >= before for row in rows)
    assert response.json()["next"] is None
    since = {"updated_since": (timezone.now() + timedelta(seconds=1)).isoformat()}
    assert api.get(f"{URL}removed/", since).json()["results"] == []
    # The owner's tombstones are theirs: the outsider sees only their own.
    bearer(api, token_for(outsider, "read"))
    assert [row["ref"] for row in api.get(f"{URL}removed/").json()["results"]] == [theirs.ref]
    assert Removal.objects.filter(key=mine.ref, organisation_id__isnull=True).count() == 1


def test_removed_pages_with_a_cursor(api, member, token_for):
    from searches.services import delete_search

    searches = SavedSearchFactory.create_batch(5, user=member)
    for search in searches:
        delete_search(search)
    bearer(api, token_for(member))
    seen, url = [], f"{URL}removed/?page_size=2"
    while url:
        page = api.get(url).json()
        seen += [row["ref"] for row in page["results"]]
        url = page["next"]
    assert sorted(seen) == sorted(s.ref for s in searches)
    assert len(seen) == 5


@pytest.mark.parametrize("count", [10, 500])
def test_removed_makes_the_same_few_queries_at_10_and_500(
    api, member, token_for, django_assert_max_num_queries, count
):
    from searches.services import removals_resource

    Removal.objects.bulk_create(
        Removal(
            resource=removals_resource(member.pk),
            key=f"ref{n}",
            reason="deleted",
            removed_at=timezone.now(),
        )
        for n in range(count)
    )
    bearer(api, token_for(member))
    with django_assert_max_num_queries(4):
        response = api.get(f"{URL}removed/", {"page_size": 500})
    assert len(response.json()["results"]) == count
