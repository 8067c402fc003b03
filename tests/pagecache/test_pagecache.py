"""Public pages cached for signed-out visitors (pagecache/): served from the cache, never to a
signed-in person, never with a cookie or a CSRF token, and changed the moment content
changes, in this process and in others (a real gunicorn below)."""

import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta

import pytest
from django.db import connection
from django.http import HttpResponse
from django.template import engines
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from clusters import services as cluster_services
from clusters.importer import import_exchange
from clusters.models import Challenge, Listing
from pagecache import services as pagecache
from pagecache.decorators import cache_public_page
from pagecache.models import Generation
from tests.factories import ChallengeFactory, ListingFactory, MembershipFactory
from tests.services import ROOT, database_url, free_port

pytestmark = pytest.mark.django_db

CACHE = "X-Page-Cache"


def page(client, url):
    response = client.get(url)
    return response, response.content.decode()


@pytest.fixture
def listing(db):
    return ListingFactory(title="Industrial heat pumps for drying lines", themes=["hydrogen"])


@pytest.fixture
def public_urls(listing):
    return [
        reverse("home"),
        reverse("clusters:cluster-list"),
        reverse("clusters:cluster-detail", args=["humber"]),
        reverse("clusters:challenge-list"),
        reverse("clusters:offer-list") + "?q=heat&theme=hydrogen",
        reverse("clusters:need-list"),
        listing.get_absolute_url(),
    ]


def test_a_signed_out_visitor_gets_each_public_page_from_the_cache(client, public_urls):
    for url in public_urls:
        first, first_body = page(client, url)
        second, second_body = page(client, url)
        assert first.status_code == second.status_code == 200, url
        assert (first[CACHE], second[CACHE]) == ("miss", "hit"), url
        assert second_body == first_body
        assert "Cookie" in second["Vary"]
        # Nothing of one visitor's in a page served to all: no cookie, no CSRF token.
        assert not first.cookies and not second.cookies, url
        assert "csrfmiddlewaretoken" not in second_body
        assert "Sign in" in second_body and "Sign out" not in second_body


def test_a_listing_page_from_the_cache_keeps_its_signed_out_links(client, listing):
    MembershipFactory(organisation=listing.organisation)  # someone there could answer
    page(client, listing.get_absolute_url())
    response, body = page(client, listing.get_absolute_url())
    assert response[CACHE] == "hit"
    assert "Sign in to ask for an introduction" in body
    assert "Report this listing" in body
    assert "Industrial heat pumps for drying lines" in body


def test_signed_out_nobody_to_answer_is_said_and_follows_who_joins(client, listing):
    """Newcomer probe, stop 29: signed out, a listing nobody could answer for offered "Sign
    in to ask", and people signed up only to be told."""
    _, body = page(client, listing.get_absolute_url())
    assert f"Nobody at {listing.organisation.name} can answer" in body
    assert f"?listing={listing.ref}" in body
    assert "Sign in to ask for an introduction" not in body
    membership = MembershipFactory(organisation=listing.organisation)  # joins, confirmed
    response, body = page(client, listing.get_absolute_url())
    assert response[CACHE] == "miss"
    assert "Sign in to ask for an introduction" in body
    user = membership.user
    user.is_active = False  # their account is turned off: nobody again
    user.save(update_fields=["is_active"])
    assert "Nobody at" in page(client, listing.get_absolute_url())[1]
    user.is_active = True
    user.save(update_fields=["is_active"])
    page(client, listing.get_absolute_url())
    user.save(update_fields=["last_login"])  # signing in does not renew the pages
    assert page(client, listing.get_absolute_url())[0][CACHE] == "hit"


def test_a_cache_hit_costs_one_query(client, public_urls, django_assert_max_num_queries):
    for url in public_urls:
        client.get(url)
        with django_assert_max_num_queries(1):  # the generation
            assert client.get(url)[CACHE] == "hit"


def test_head_is_served_from_the_same_entry(client, listing):
    client.get(listing.get_absolute_url())
    response = client.head(listing.get_absolute_url())
    assert response.status_code == 200
    assert response[CACHE] == "hit"


def test_each_query_string_is_its_own_page(client, listing):
    ListingFactory(title="Electrolyser stacks", themes=["hydrogen"])
    offers = reverse("clusters:offer-list")
    page(client, offers + "?q=heat")
    response, body = page(client, offers + "?q=electrolyser")
    assert response[CACHE] == "miss"
    assert "Electrolyser stacks" in body and "Industrial heat pumps" not in body


@pytest.mark.parametrize("extra", ["utm_source=newsletter", "fbclid=abc", "x=1"])
def test_a_query_parameter_the_pages_do_not_read_is_served_fresh_and_not_kept(
    client, listing, extra
):
    # Otherwise every made-up parameter would keep another copy of the page.
    offers = reverse("clusters:offer-list")
    for _ in range(2):
        response, body = page(client, f"{offers}?q=heat&{extra}")
        assert response[CACHE] == "bypass"
        assert "Industrial heat pumps" in body
    page(client, offers + "?q=heat")
    assert page(client, offers + "?q=heat")[0][CACHE] == "hit"


def test_a_signed_in_person_never_gets_a_cached_page_nor_fills_one(client, member, listing):
    url = listing.get_absolute_url()
    page(client, url)  # cached for signed-out visitors
    client.force_login(member)
    for _ in range(2):
        response, body = page(client, url)
        assert response[CACHE] == "bypass"
        assert "Sign out" in body
    client.logout()
    client.cookies.clear()
    response, body = page(client, url)
    assert response[CACHE] == "hit"
    assert "Sign out" not in body


def test_a_signed_in_persons_page_is_not_kept_for_others(client, member, listing):
    client.force_login(member)
    page(client, reverse("clusters:offer-list"))
    client.logout()
    client.cookies.clear()
    response, body = page(client, reverse("clusters:offer-list"))
    assert response[CACHE] == "miss"
    assert "Sign out" not in body


def test_a_visitor_with_a_message_waiting_gets_a_fresh_page(client, listing):
    url = listing.get_absolute_url()
    page(client, url)
    client.cookies["messages"] = "anything"
    assert client.get(url)[CACHE] == "bypass"


def test_a_visitor_with_a_session_is_not_served_from_the_cache(client, listing):
    url = listing.get_absolute_url()
    page(client, url)
    client.cookies["sessionid"] = "not-a-real-session"
    assert client.get(url)[CACHE] == "bypass"


def _view_of(template_text):
    template = engines["django"].from_string(template_text)

    @cache_public_page
    def view(request):
        return HttpResponse(template.render({}, request))

    return view


@pytest.mark.parametrize(
    "template_text",
    [
        '<form method="post">{% csrf_token %}</form>',
        '<script nonce="{{ request.csp_nonce }}"></script>',
    ],
    ids=["csrf-token", "csp-nonce"],
)
def test_a_page_with_a_csrf_token_or_a_nonce_is_never_stored(template_text):
    from csp.middleware import CSPMiddleware
    from django.contrib.auth.models import AnonymousUser

    view = _view_of(template_text)
    for _ in range(2):
        request = RequestFactory().get("/a-form/")
        request.user = AnonymousUser()
        CSPMiddleware(lambda r: None).process_request(request)
        assert view(request)[CACHE] == "bypass"


def _sets_a_cookie(request):
    response = HttpResponse("hello")
    response.set_cookie("seen", "yes")
    return response


def _changes_the_session(request):
    request.session["seen"] = True
    return HttpResponse("hello")


def _queues_a_message(request):
    from django.contrib import messages

    messages.info(request, "Hello")
    return HttpResponse("hello")


@pytest.mark.parametrize("view", [_sets_a_cookie, _changes_the_session, _queues_a_message])
def test_a_page_that_sets_a_cookie_or_changes_the_session_is_never_stored(view, client):
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    cached = cache_public_page(view)
    for _ in range(2):
        request = RequestFactory().get("/hello/")
        request.user = AnonymousUser()
        request.session = SessionStore()
        request._messages = FallbackStorage(request)
        assert cached(request)[CACHE] == "bypass"


def test_a_csrf_cookie_alone_does_not_stop_the_cache(client, listing):
    client.cookies["csrftoken"] = "x" * 32
    page(client, listing.get_absolute_url())
    response, body = page(client, listing.get_absolute_url())
    assert response[CACHE] == "hit"
    assert "csrfmiddlewaretoken" not in body and not response.cookies


def test_the_cache_can_be_turned_off(client, listing, settings):
    settings.PAGE_CACHE_ENABLED = False
    page(client, listing.get_absolute_url())
    assert client.get(listing.get_absolute_url())[CACHE] == "bypass"


def test_a_post_is_never_served_from_the_cache(client, listing):
    page(client, listing.get_absolute_url())
    assert client.post(listing.get_absolute_url())[CACHE] == "bypass"


# --- a change shows at once -------------------------------------------------------------------


def _offers(client):
    return page(client, reverse("clusters:offer-list"))[1]


def test_publishing_shows_the_listing_at_once(client, member, organisation):
    draft = ListingFactory(organisation=organisation, status="draft", title="Biomass boilers")
    visitor = type(client)()
    assert "Biomass boilers" not in _offers(visitor)
    client.force_login(member)
    client.post(reverse("clusters:listing-publish", args=[draft.ref]))
    assert "Biomass boilers" in _offers(visitor)
    assert visitor.get(draft.get_absolute_url()).status_code == 200


def test_withdrawing_hides_the_listing_at_once(client, member, organisation):
    listing = ListingFactory(organisation=organisation, title="Spare steam capacity")
    visitor = type(client)()
    assert visitor.get(listing.get_absolute_url()).status_code == 200
    assert "Spare steam capacity" in _offers(visitor)
    client.force_login(member)
    client.post(reverse("clusters:listing-withdraw", args=[listing.ref]))
    assert visitor.get(listing.get_absolute_url()).status_code == 410  # gone
    assert "Spare steam capacity" not in _offers(visitor)


def test_an_edit_shows_at_once(client, member, organisation):
    listing = ListingFactory(organisation=organisation, title="Old title", kind="need")
    visitor = type(client)()
    assert "Old title" in page(visitor, listing.get_absolute_url())[1]
    client.force_login(member)
    response = client.post(
        reverse("clusters:listing-edit", args=[listing.ref]),
        {
            "kind": "need",
            "title": "New title",
            "description": "Looking for heat pumps.",
            "themes": [str(listing.themes.model.objects.first().pk)],
            "partner_kind": "business",
            "expires_on": "",
        },
    )
    assert response.status_code == 302
    body = page(visitor, listing.get_absolute_url())[1]
    assert "New title" in body and "Old title" not in body


def test_staff_taking_a_listing_down_hides_it_at_once(client, listing, staff):
    assert client.get(listing.get_absolute_url()).status_code == 200
    cluster_services.unpublish_listing(listing, staff, "Spam")
    assert client.get(listing.get_absolute_url()).status_code == 410  # gone


def test_the_expiry_task_hides_expired_listings_at_once(client, listing):
    Listing.objects.filter(pk=listing.pk).update(expires_on=timezone.localdate())
    pagecache.bump()  # the line above is the test's own bulk write
    assert client.get(listing.get_absolute_url()).status_code == 200
    cluster_services.expire_listings(today=timezone.localdate() + timedelta(days=1))
    assert client.get(listing.get_absolute_url()).status_code == 410  # gone


def test_a_changed_challenge_shows_at_once(client):
    challenge = ChallengeFactory(title="Capture CO2 from kilns")
    assert "Capture CO2 from kilns" in page(client, reverse("clusters:challenge-list"))[1]
    challenge.title = "Capture CO2 from lime kilns"
    challenge.save()
    assert "Capture CO2 from lime kilns" in page(client, reverse("clusters:challenge-list"))[1]
    challenge.themes.set([])
    Challenge.objects.get(pk=challenge.pk).delete()
    assert "lime kilns" not in page(client, reverse("clusters:challenge-list"))[1]


def test_a_new_theme_link_shows_at_once(client, listing):
    url = reverse("clusters:offer-list") + "?theme=ccus"
    assert listing.title not in page(client, url)[1]
    listing.themes.add(*listing.themes.model.objects.filter(slug="ccus"))
    assert listing.title in page(client, url)[1]


def test_an_import_shows_at_once(client, exchange_doc):
    assert "Modular amine capture units" not in _offers(client)
    import_exchange(exchange_doc)  # bulk writes: no signals
    assert "Modular amine capture units" in _offers(client)


# --- across processes: the generation is committed, and other processes read it --------------


@pytest.mark.django_db(transaction=True)
def test_a_change_is_committed_to_the_shared_generation(listing):
    before = Generation.objects.get().value
    cluster_services.withdraw_listing(listing)
    assert Generation.objects.get().value != before


@pytest.mark.django_db(transaction=True)
def test_a_rolled_back_change_leaves_the_generation_alone(listing):
    before = Generation.objects.get().value
    with pytest.raises(RuntimeError), connection.cursor():
        from django.db import transaction

        with transaction.atomic():
            listing.title = "Never saved"
            listing.save()
            raise RuntimeError
    assert Generation.objects.get().value == before


def _get(base, path):
    try:
        with urllib.request.urlopen(base + path, timeout=20) as response:
            return response.status, response.headers[CACHE], response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.headers[CACHE], ""


@pytest.fixture
def gunicorn():
    """Two gunicorn workers (two more processes, each with its own page cache) on the test
    database."""
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": database_url(),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "config.wsgi", "--workers", "2"]
        + ["--bind", f"127.0.0.1:{port}", "--log-level", "warning"],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(base + "/cookies/", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.3)
        yield base
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=30)


@pytest.mark.django_db(transaction=True)
def test_other_processes_see_a_change_at_once(gunicorn):
    listing = ListingFactory(title="Waste heat to district heating")
    url, offers = listing.get_absolute_url(), reverse("clusters:offer-list")
    seen = [_get(gunicorn, path) for _ in range(8) for path in (url, offers)]
    assert all(status == 200 for status, _, _ in seen)
    assert "hit" in {how for _, how, _ in seen}  # the workers are serving from their caches

    listing.title = "Waste heat to a heat network"
    listing.save()  # committed: this process bumps the shared generation
    for _ in range(8):
        status, _, body = _get(gunicorn, url)
        assert status == 200 and "Waste heat to a heat network" in body
        assert "Waste heat to a heat network" in _get(gunicorn, offers)[2]

    cluster_services.withdraw_listing(listing)
    for _ in range(8):
        assert _get(gunicorn, url)[0] == 410  # gone
        assert "Waste heat to" not in _get(gunicorn, offers)[2]


# --- fragments: the parts of a page that are the same for everyone, for signed-in people -----


def test_a_signed_in_person_gets_the_results_from_the_fragment_cache(client, member, listing):
    client.force_login(member)
    url = reverse("clusters:offer-list") + "?q=heat"
    response, body = page(client, url)
    assert response[CACHE] == "bypass" and listing.title in body
    # A write the signals do not see leaves the cached results as they were...
    Listing.objects.filter(pk=listing.pk).update(title="Renamed behind the cache")
    assert listing.title in page(client, url)[1]
    # ...and a bump, as every save makes, retires them.
    pagecache.bump()
    assert "Renamed behind the cache" in page(client, url)[1]


def test_a_signed_in_persons_own_parts_stay_their_own(client, member, outsider, listing):
    url = reverse("clusters:challenge-list")
    client.force_login(member)
    first = page(client, url)[1]
    client.force_login(outsider)
    second = page(client, url)[1]
    # The "Save this search" form (outside the fragments) has each person's own token.
    tokens = [body.split('name="csrfmiddlewaretoken" value="')[1][:64] for body in (first, second)]
    assert tokens[0] != tokens[1]
    client.logout()
    client.cookies.clear()
    body = page(client, url)[1]
    assert "csrfmiddlewaretoken" not in body and "Sign out" not in body


def test_publishing_shows_at_once_to_a_signed_in_person(client, member, organisation):
    draft = ListingFactory(organisation=organisation, status="draft", title="Biomass boilers")
    client.force_login(member)
    assert "Biomass boilers" not in _offers(client)
    client.post(reverse("clusters:listing-publish", args=[draft.ref]))
    assert "Biomass boilers" in _offers(client)


def test_a_fragment_with_a_csrf_token_is_never_stored(member):
    from django.contrib.auth.models import AnonymousUser

    template = engines["django"].from_string(
        '{% load public_fragments %}{% publicfragment "form" %}'
        '<form method="post">{% csrf_token %}</form>{% endpublicfragment %}'
    )
    rendered = []
    for _ in range(2):
        request = RequestFactory().get("/a-form/")
        request.user = AnonymousUser()
        rendered.append(template.render({}, request))
    assert rendered[0] != rendered[1]  # each render its own masked token: nothing was stored
