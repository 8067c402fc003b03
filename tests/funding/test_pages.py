"""The public funding pages: the open calls with their filters, and one call's page."""

from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone

from funding.models import FundingCall
from tests.funding.factories import FundingCallFactory

pytestmark = pytest.mark.django_db
LIST = reverse("funding:call-list")


def names(response) -> set[str]:
    return {call.name for call in response.context["page_obj"].object_list}


def test_signed_out_visitors_see_open_calls_and_not_closed_or_past_ones(client):
    FundingCallFactory(name="Open call")
    FundingCallFactory(name="Closed call", status=FundingCall.Status.CLOSED)
    FundingCallFactory(name="Past call", deadline=timezone.localdate() - timedelta(days=1))
    FundingCallFactory(name="Last day", deadline=timezone.localdate())
    response = client.get(LIST)
    assert response.status_code == 200
    assert names(response) == {"Open call", "Last day"}
    assert "Closed call" not in response.content.decode()


def test_a_call_past_its_deadline_leaves_the_list_before_the_daily_task_runs(client):
    FundingCallFactory(name="Soon", deadline=timezone.localdate() + timedelta(days=2))
    with time_machine.travel(timezone.now() + timedelta(days=3)):
        assert names(client.get(LIST)) == set()
    assert FundingCall.objects.get().status == FundingCall.Status.OPEN  # a GET changed nothing


def test_filter_by_theme(client):
    FundingCallFactory(name="Hydrogen call", themes=["hydrogen"])
    FundingCallFactory(name="Capture call", themes=["ccus", "hydrogen"])
    FundingCallFactory(name="Skills call", themes=["skills"])
    assert names(client.get(LIST, {"theme": "hydrogen"})) == {"Hydrogen call", "Capture call"}
    both = client.get(LIST, {"theme": ["hydrogen", "ccus"]})
    assert [c.name for c in both.context["page_obj"].object_list].count("Capture call") == 1


def test_filter_by_cluster_keeps_calls_for_any_cluster(client):
    FundingCallFactory(name="Humber call", clusters=["humber"])
    FundingCallFactory(name="Teesside call", clusters=["teesside"])
    FundingCallFactory(name="Anywhere call")
    assert names(client.get(LIST, {"cluster": "humber"})) == {"Humber call", "Anywhere call"}


def test_filter_by_kind_keeps_calls_open_to_any_kind(client):
    FundingCallFactory(name="For universities", eligible_kinds="university")
    FundingCallFactory(name="For businesses", eligible_kinds="business,university")
    FundingCallFactory(name="For anyone")
    assert names(client.get(LIST, {"kind": "business"})) == {"For businesses", "For anyone"}
    assert names(client.get(LIST, {"kind": "university"})) == {
        "For universities",
        "For businesses",
        "For anyone",
    }


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ({"cluster": "atlantis"}, "Select a cluster from the list"),
        ({"kind": "pirate"}, "Select a kind of organisation from the list"),
        ({"theme": "nuclear"}, "Select themes from the list"),
    ],
)
def test_a_bad_filter_value_says_what_to_fix(client, query, message):
    FundingCallFactory()
    response = client.get(LIST, query)
    assert response.status_code == 200
    body = response.content.decode()
    assert "There is a problem" in body
    assert message in body
    assert "<title>Error: " in body


def test_the_list_works_without_javascript_as_a_get_form(client):
    body = client.get(LIST).content.decode()
    assert '<form method="get"' in body
    assert 'name="kind"' in body


def test_the_list_keeps_to_a_query_budget_at_10_and_at_60_calls(
    client, django_assert_max_num_queries
):
    for _ in range(10):
        FundingCallFactory(themes=["hydrogen"], clusters=["humber"])
    with django_assert_max_num_queries(7):
        assert client.get(LIST, {"theme": "hydrogen"}).status_code == 200
    for _ in range(50):
        FundingCallFactory(themes=["hydrogen", "ccus"], clusters=["humber", "teesside"])
    with django_assert_max_num_queries(7):
        response = client.get(LIST, {"theme": "hydrogen", "kind": "business"})
    assert len(response.context["page_obj"].object_list) == 20


def test_a_calls_page_shows_its_details_and_link(client):
    call = FundingCallFactory(
        name="Heat recovery competition",
        eligible_kinds="business,university",
        needs_consortium=True,
        themes=["energy-efficiency"],
        clusters=["humber"],
    )
    body = client.get(call.get_absolute_url()).content.decode()
    assert "Heat recovery competition" in body
    assert "Business, University or research organisation" in body
    assert "as a consortium of two or more partners" in body
    assert 'href="https://example.org/call"' in body
    assert "This call is closed" not in body


@pytest.mark.parametrize(
    "fields",
    [{"status": "closed"}, {"deadline": timezone.localdate() - timedelta(days=1)}],
)
def test_a_closed_or_past_deadline_calls_page_says_it_is_closed(client, fields):
    call = FundingCallFactory(**fields)
    response = client.get(call.get_absolute_url())
    assert response.status_code == 200
    assert "This call is closed" in response.content.decode()


def test_an_unknown_call_is_not_found(client):
    assert client.get(reverse("funding:call-detail", args=["FC-nothing"])).status_code == 404


def test_user_text_is_escaped(client):
    call = FundingCallFactory(name="<script>alert(1)</script>", description="<b>bold</b>")
    body = client.get(call.get_absolute_url()).content.decode()
    assert "<script>alert(1)" not in body
    assert "&lt;b&gt;bold&lt;/b&gt;" in body


def test_the_pages_refuse_a_post(client):
    call = FundingCallFactory()
    assert client.post(LIST).status_code == 405
    assert client.post(call.get_absolute_url()).status_code == 405


@time_machine.travel("2027-03-31 23:30 +0000")
def test_the_deadline_day_counts_in_local_time(client, settings):
    FundingCallFactory(name="Ends today", deadline=timezone.localdate())
    assert names(client.get(LIST)) == {"Ends today"}


def test_with_no_calls_at_all_the_page_does_not_blame_the_filters(client):
    """With no open calls, it said "No open calls match these filters" (newcomer probe)."""
    html = client.get(LIST).content.decode()
    assert "There are no open funding calls at the moment" in html
    assert "match these filters" not in html
    FundingCallFactory(name="Hydrogen call", themes=["hydrogen"])
    html = client.get(LIST, {"theme": "skills"}).content.decode()
    assert "No open calls match these filters" in html


def test_with_no_open_calls_filters_are_not_blamed_either(client):
    """/funding/?theme=ccus&cluster=humber with no open calls said "Try fewer filters"."""
    FundingCallFactory(name="Closed call", themes=["ccus"], status=FundingCall.Status.CLOSED)
    html = client.get(LIST, {"theme": "ccus", "cluster": "humber"}).content.decode()
    assert "There are no open funding calls at the moment" in html
    assert "match these filters" not in html
    assert "Try fewer filters" not in html


def test_a_stray_parameter_is_not_a_filter(client):
    html = client.get(LIST, {"utm_source": "newsletter"}).content.decode()
    assert "There are no open funding calls at the moment" in html
