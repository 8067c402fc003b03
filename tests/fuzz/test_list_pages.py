"""Fuzzing every search, filter, sort and page parameter of the list pages and the API's
lists, anonymous and signed in: no answer is a server error."""

from urllib.parse import quote

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.strategies import (
    foreign_words,
    form_data,
    fuzz_more,
    no_letters,
    odd_text,
    plain_text,
    raw_query,
    send,
)

pytestmark = pytest.mark.django_db

CLUSTERS = ["humber", "teesside", "south-wales", "grangemouth", "merseyside", "southampton"]
THEMES = ["ccus", "hydrogen", "bioenergy", "clean-electricity", "energy-efficiency", "digital"]
SORTS = ["newest", "oldest", "title", "relevance"]
PAGES = ["1", "2", "0", "-1", "last", "99999999999999999999"]
SEARCH_WORDS = ["heat", "capture", "pumps drying", "-heat", '"heat pumps"', "heat OR capture"]

PARAMETERS = {
    "q": st.sampled_from(SEARCH_WORDS) | plain_text() | no_letters() | foreign_words(),
    "cluster": st.sampled_from(CLUSTERS),
    "theme": st.lists(st.sampled_from(THEMES), max_size=3),
    "status": st.sampled_from(["open", "closed"]),
    "sort": st.sampled_from(SORTS),
    "page": st.sampled_from(PAGES),
    "organisation_kind": st.sampled_from(["business", "investor", "university"]),
    "challenge": st.just("ch-fuzz"),
    "kind": st.sampled_from(["offer", "need", "business", "university"]),
}
API_PARAMETERS = {**PARAMETERS, "format": st.sampled_from(["json", "api"]), "page_size": odd_text()}
LIST_PAGES = ["/challenges/", "/offers/", "/needs/", "/organisations/"]
API_LISTS = ["/api/challenges/", "/api/listings/", "/api/clusters/", "/api/themes/"]
DETAIL_PATHS = [
    "/challenges/{}/",
    "/listings/{}/",
    "/clusters/{}/",
    "/organisations/{}/",
    "/api/challenges/{}/",
    "/api/listings/{}/",
    "/api/clusters/{}/",
    "/api/themes/{}/",
]
REFS = st.sampled_from(["ch-fuzz", "humber", "ccus"]) | odd_text(max_size=80).filter(
    lambda s: s not in ("", ".", "..")
)


@fuzz_more(1.6)
@given(path=st.sampled_from(LIST_PAGES), query=form_data(PARAMETERS, optional=True))
def test_list_pages_never_fail_whatever_the_query(visitor, path, query):
    send(visitor, "get", path, query)


@fuzz_more(1.6)
@given(
    path=st.sampled_from([*LIST_PAGES, "/api/challenges/", "/api/listings/"]),
    q=st.one_of(no_letters(), foreign_words(), odd_text(), plain_text()),
    sort=st.sampled_from([None, *SORTS]),
)
def test_any_search_text_never_fails(visitor, path, q, sort):
    send(visitor, "get", path, {"q": q} if sort is None else {"q": q, "sort": sort})


@fuzz_more(1.6)
@given(path=st.sampled_from(API_LISTS), query=form_data(API_PARAMETERS, optional=True))
def test_api_lists_answer_200_400_or_404_whatever_the_query(visitor, path, query):
    response = send(visitor, "get", path, query)
    assert response.status_code in (200, 400, 404), response.content[:500]


@fuzz_more(1.6)
@given(
    path=st.sampled_from([*LIST_PAGES, *API_LISTS, "/", "/clusters/"]),
    query=raw_query([*PARAMETERS, "format"]),
)
def test_query_strings_of_any_bytes_never_fail(client, world, path, query):
    send(client, "get", f"{path}?{query}")


@fuzz_more(1.6)
@given(pattern=st.sampled_from(DETAIL_PATHS), ref=REFS)
def test_detail_pages_answer_200_or_404_for_any_reference(client, world, pattern, ref):
    response = send(client, "get", pattern.format(quote(ref, safe="")))
    assert response.status_code in (200, 301, 404), response.status_code
