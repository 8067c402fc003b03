"""The API's plumbing (api/): tokens, scopes, errors, cursor pages, updated_since, throttles."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone
from rest_framework.test import APIClient

from api import services
from api.models import ApiToken
from tests.api.conftest import bearer
from tests.conftest import confirm_it_is_you
from tests.factories import ListingFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


# Tokens ------------------------------------------------------------------------------


def test_a_token_is_stored_only_as_a_digest_and_signs_its_owner_in(api):
    user = UserFactory()
    token, secret = services.create_token(user, "CRM", "read")
    assert secret.startswith("cx_") and len(secret) > 40
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret not in (stored.digest, stored.prefix, stored.name)
    assert stored.prefix == secret[:10]
    bearer(api, secret)
    response = api.get("/api/v1/listings/")
    assert response.status_code == 200
    assert response.wsgi_request.user == user


@pytest.mark.parametrize(
    "header",
    ["Bearer cx_wrong", "Bearer", "Bearer a b", "Bearer cx_" + "x" * 200, "Bearer \xe9"],
)
def test_a_wrong_token_is_a_401_with_a_json_message_never_a_fall_back(api, client, header):
    user = UserFactory()
    client.force_login(user)
    response = client.get("/api/v1/listings/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response["WWW-Authenticate"] == 'Bearer realm="api"'
    assert set(response.json()) == {"message", "errors"}


def test_a_revoked_token_stops_working_at_once(api):
    user = UserFactory()
    token, secret = services.create_token(user, "CRM", "write")
    bearer(api, secret)
    assert api.get("/api/v1/listings/").status_code == 200
    assert services.revoke_token(token, by=user) is True
    assert services.revoke_token(token, by=user) is False
    assert api.get("/api/v1/listings/").status_code == 401


def test_the_token_of_a_person_who_can_no_longer_sign_in_does_not_work(api):
    user = UserFactory()
    _, secret = services.create_token(user, "CRM", "read")
    user.is_active = False
    user.save()
    bearer(api, secret)
    assert api.get("/api/v1/listings/").status_code == 401


def test_the_last_use_is_recorded_at_most_once_a_minute(api, django_assert_num_queries):
    user = UserFactory()
    token, secret = services.create_token(user, "CRM", "read")
    assert token.last_used_at is None
    bearer(api, secret)
    api.get("/api/v1/themes/")
    first = ApiToken.objects.get(pk=token.pk).last_used_at
    assert first is not None
    api.get("/api/v1/themes/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at == first
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=first - timedelta(minutes=2))
    api.get("/api/v1/themes/")
    assert ApiToken.objects.get(pk=token.pk).last_used_at > first


def test_a_read_only_token_cannot_write_even_where_its_owner_could(api):
    user = MembershipFactory().user
    _, secret = services.create_token(user, "CRM", "read")
    bearer(api, secret)
    ref = user.memberships.get().organisation.ref
    response = api.post(f"/api/v1/organisations/{ref}/listings/", {}, format="json")
    assert response.status_code == 403
    assert "can only read" in response.json()["message"]


@pytest.mark.parametrize("name, scope", [("", "read"), ("   ", "write"), ("CRM", "admin")])
def test_a_token_needs_a_name_and_a_known_scope(name, scope):
    with pytest.raises(services.TokenRefused):
        services.create_token(UserFactory(), name, scope)


def test_a_person_has_at_most_twenty_active_tokens():
    user = UserFactory()
    for n in range(services.MAX_ACTIVE_TOKENS):
        services.create_token(user, f"T{n}", "read")
    with pytest.raises(services.TokenRefused, match="Revoke one"):
        services.create_token(user, "one more", "read")


# The token pages ----------------------------------------------------------------------


def test_a_member_makes_a_token_sees_it_once_and_revokes_it(client):
    user = MembershipFactory().user
    client.force_login(user)
    confirm_it_is_you(client)
    page = client.get(reverse("api-tokens"))
    assert page.status_code == 200
    made = client.post(reverse("api-tokens"), {"name": "Our CRM", "scope": "write"})
    assert made.status_code == 200
    secret = made.context["secret"]
    assert secret in made.content.decode()
    assert "no-store" in made["Cache-Control"]
    token = ApiToken.objects.get(user=user)
    assert token.digest == services.digest(secret) and token.can_write
    listed = client.get(reverse("api-tokens")).content.decode()
    assert "Our CRM" in listed and secret not in listed and token.prefix in listed
    client.post(reverse("api-token-revoke", args=[token.pk]))
    token.refresh_from_db()
    assert token.revoked_at is not None and token.revoked_by == user


def test_a_token_form_with_errors_changes_nothing(client):
    user = MembershipFactory().user
    client.force_login(user)
    confirm_it_is_you(client)
    response = client.post(reverse("api-tokens"), {"name": "", "scope": "everything"})
    assert response.status_code == 400
    body = response.content.decode()
    assert "Enter a name for the token" in body and "govuk-error-summary" in body
    assert not ApiToken.objects.exists()


def test_someone_without_a_confirmed_email_address_cannot_make_a_token(client):
    user = UserFactory(verified=False)
    client.force_login(user)
    confirm_it_is_you(client)
    response = client.post(reverse("api-tokens"), {"name": "CRM", "scope": "read"})
    assert response.status_code == 400
    assert "Confirm your email address" in response.content.decode()
    assert not ApiToken.objects.exists()


def test_nobody_revokes_another_persons_token_from_the_page(client):
    owner = UserFactory()
    token, _ = services.create_token(owner, "CRM", "read")
    client.force_login(UserFactory())
    assert client.post(reverse("api-token-revoke", args=[token.pk])).status_code == 404
    assert client.get(reverse("api-token-revoke", args=[token.pk])).status_code == 405
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_token_pages_need_sign_in(client):
    assert client.get(reverse("api-tokens")).status_code == 302
    assert client.post(reverse("api-tokens"), {"name": "x", "scope": "read"}).status_code == 302
    assert not ApiToken.objects.exists()


# Staff see and revoke tokens in the admin, never a secret --------------------------------


def test_a_programme_admin_revokes_a_token_in_the_admin(client, programme_admin):
    owner = UserFactory()
    token, secret = services.create_token(owner, "CRM", "write")
    client.force_login(programme_admin)
    listing = client.get("/admin/api/apitoken/")
    assert listing.status_code == 200
    assert "CRM" in listing.content.decode() and secret not in listing.content.decode()
    detail = client.get(f"/admin/api/apitoken/{token.pk}/change/").content.decode()
    assert token.digest not in detail and secret not in detail
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_by == programme_admin


@pytest.mark.parametrize("role", ["triager", "moderator"])
def test_other_staff_roles_do_not_see_tokens(client, role, request):
    token, _ = services.create_token(UserFactory(), "CRM", "write")
    client.force_login(request.getfixturevalue(role))
    assert client.get("/admin/api/apitoken/").status_code == 403
    client.post("/admin/api/apitoken/", {"action": "revoke", "_selected_action": [token.pk]})
    token.refresh_from_db()
    assert token.revoked_at is None


def test_the_admin_refuses_a_filter_on_the_digest(client, programme_admin):
    client.force_login(programme_admin)
    response = client.get("/admin/api/apitoken/?digest__startswith=a")
    assert response.status_code in (302, 400)


# Errors, pages of results, updated_since ----------------------------------------------


def _filtered(params: dict, queryset, field="updated_at"):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from api.filters import UpdatedSinceFilter

    view = type("View", (), {"updated_field": field})()
    request = Request(APIRequestFactory().get("/api/v1/x/", params))
    return UpdatedSinceFilter().filter_queryset(request, queryset, view)


def test_v1_errors_have_a_message_and_field_errors(api):
    from rest_framework.exceptions import ValidationError

    from api.errors import _flatten

    with pytest.raises(ValidationError) as error:
        _filtered({"updated_since": "yesterday"}, ListingFactory._meta.model.objects.all())
    assert "updated_since" in _flatten(error.value.detail)
    missing = api.get("/api/v1/listings/L-nope/")
    assert missing.status_code == 404 and missing.json()["errors"] == {}
    nowhere = api.get("/api/v1/no-such-thing/")
    assert nowhere.status_code == 404 and "message" in nowhere.json()


def test_the_old_read_only_paths_keep_their_error_shape(api):
    assert set(api.get("/api/listings/L-nope/").json()) == {"detail"}
    assert set(api.get("/api/no-such-thing/").json()) == {"detail"}


@pytest.mark.parametrize("size", ["0", "501", "ten", "-1"])
def test_a_page_size_out_of_range_is_a_400(api, size):
    from rest_framework.request import Request
    from rest_framework.test import APIRequestFactory

    from api.pagination import SyncCursorPagination

    request = Request(APIRequestFactory().get("/api/v1/x/", {"page_size": size}))
    from rest_framework.exceptions import ValidationError

    with pytest.raises(ValidationError):
        SyncCursorPagination().get_page_size(request)


def test_updated_since_parses_iso_8601_and_treats_naive_times_as_utc():
    from api.filters import parse_moment

    assert parse_moment("2026-12-01T09:00:00Z") == parse_moment("2026-12-01T09:00:00")
    assert parse_moment("2026-12-01T10:00:00+01:00") == parse_moment("2026-12-01T09:00:00Z")
    # A "+" in a query string arrives as a space.
    assert parse_moment("2026-12-01T10:00:00 01:00") == parse_moment("2026-12-01T09:00:00Z")
    assert parse_moment("2026-13-01T00:00:00") is None
    assert parse_moment("soon") is None


def test_updated_since_keeps_what_changed_at_or_after_the_time(api):
    old = ListingFactory()
    ListingFactory._meta.model.objects.filter(pk=old.pk).update(
        updated_at=timezone.now() - timedelta(days=2)
    )
    new = ListingFactory()
    since = (timezone.now() - timedelta(days=1)).isoformat()
    found = _filtered({"updated_since": since}, ListingFactory._meta.model.objects.all())
    assert list(found) == [new] and old not in found
    everything = _filtered({}, ListingFactory._meta.model.objects.all())
    assert set(everything) == {old, new}


# Throttling: shared, per person and per address, with Retry-After -----------------------


@pytest.fixture
def tight_limits(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_CLASSES": [
            "api.throttling.AnonymousThrottle",
            "api.throttling.TokenThrottle",
            "api.throttling.SessionThrottle",
        ],
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute", "token": "2/minute", "user": "2/minute"},
    }
    from rest_framework.settings import api_settings
    from rest_framework.throttling import SimpleRateThrottle

    api_settings.reload()
    old = SimpleRateThrottle.THROTTLE_RATES
    SimpleRateThrottle.THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES
    cache.clear()
    yield
    SimpleRateThrottle.THROTTLE_RATES = old
    cache.clear()


def _view_classes():
    # DRF views read the throttle classes when the class is made; the test sets them per view.
    from rest_framework.settings import api_settings

    from clusters import api as cluster_api

    return cluster_api.ThemeViewSet, api_settings.DEFAULT_THROTTLE_CLASSES


def test_anonymous_requests_are_limited_per_address_with_retry_after(
    api, tight_limits, monkeypatch
):
    view, classes = _view_classes()
    monkeypatch.setattr(view, "throttle_classes", classes)
    answers = [api.get("/api/v1/themes/", REMOTE_ADDR="192.0.2.1") for _ in range(4)]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert int(answers[-1]["Retry-After"]) > 0
    assert "Wait" in answers[-1].json()["message"]
    assert api.get("/api/v1/themes/", REMOTE_ADDR="192.0.2.2").status_code == 200


def test_a_persons_tokens_share_one_limit_and_other_people_have_their_own(
    api, tight_limits, monkeypatch
):
    """Counted per token, 20 tokens gave one person 20 times the rate (attacker probe)."""
    view, classes = _view_classes()
    monkeypatch.setattr(view, "throttle_classes", classes)
    user = UserFactory()
    _, first = services.create_token(user, "one", "read")
    _, second = services.create_token(user, "two", "read")
    bearer(api, first)
    codes = [api.get("/api/v1/themes/").status_code for _ in range(3)]
    assert codes == [200, 200, 429]
    bearer(api, second)
    assert api.get("/api/v1/themes/").status_code == 429
    _, someone_else = services.create_token(UserFactory(), "theirs", "read")
    bearer(api, someone_else)
    assert api.get("/api/v1/themes/").status_code == 200


# A token is for the API only; the session is guarded by CSRF --------------------------------


def test_a_token_signs_nobody_in_to_the_pages_or_the_admin(client):
    staff = UserFactory(is_staff=True, is_superuser=True)
    _, secret = services.create_token(staff, "Admin tool", "write")
    admin = client.get("/admin/", HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert admin.status_code == 302 and "/login/" in admin["Location"]
    page = client.get(reverse("api-tokens"), HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert page.status_code == 302


def test_a_signed_in_session_writes_to_the_api_only_with_a_csrf_token():
    from django.test import Client

    user = MembershipFactory().user
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(user)
    response = browser.post("/api/v1/listings/", {}, content_type="application/json")
    assert response.status_code == 403
    assert "CSRF" in response.json()["message"]


def test_staff_make_a_token_only_in_a_session_that_passed_the_second_step(client, settings):
    settings.STAFF_REQUIRE_MFA = True
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)  # a password only: no second step recorded
    confirm_it_is_you(client)
    response = client.post(reverse("api-tokens"), {"name": "Tool", "scope": "write"})
    assert response.status_code == 400
    assert "second step" in response.content.decode()
    assert not ApiToken.objects.exists()
    session = client.session
    # Added to the records of the session (its password confirmed again just now).
    records = session.get("account_authentication_methods", [])
    mfa = {"method": "mfa", "type": "totp", "at": time.time()}
    session["account_authentication_methods"] = [*records, mfa]
    session["account_authentication_methods_user"] = str(staff.pk)
    session.save()
    assert client.post(reverse("api-tokens"), {"name": "Tool", "scope": "write"}).status_code == 200
    assert ApiToken.objects.filter(user=staff).count() == 1


def test_members_make_tokens_whatever_the_staff_setting(client, settings):
    settings.STAFF_REQUIRE_MFA = True
    client.force_login(MembershipFactory().user)
    confirm_it_is_you(client)
    assert client.post(reverse("api-tokens"), {"name": "CRM", "scope": "read"}).status_code == 200


def test_the_staff_permission_refuses_a_session_without_the_second_step(settings, rf):
    from rest_framework.request import Request

    from api.permissions import IsStaffToken

    settings.STAFF_REQUIRE_MFA = True
    staff = UserFactory(is_staff=True)
    django_request = rf.get("/api/v1/staff/x/")
    django_request.user = staff
    from django.contrib.sessions.backends.db import SessionStore

    django_request.session = SessionStore()
    request = Request(django_request)
    request._user, request._auth = staff, None
    assert IsStaffToken().has_permission(request, None) is False
    django_request.session["account_authentication_methods"] = [{"method": "mfa", "at": 0}]
    django_request.session["account_authentication_methods_user"] = str(staff.pk)
    assert IsStaffToken().has_permission(request, None) is True
    request._user = MembershipFactory().user
    assert IsStaffToken().has_permission(request, None) is False


def test_a_token_made_before_its_owner_joined_the_staff_does_not_reach_the_staff_api(api, settings):
    """Found in review: the second step was checked only when a token was made."""
    from django.contrib.auth.models import Group

    from staff.roles import TRIAGER

    settings.STAFF_REQUIRE_MFA = True
    member = MembershipFactory().user
    _, secret = services.create_token(member, "CRM", "write")  # as a member: no second step
    member.is_staff = True
    member.save()
    member.groups.add(Group.objects.get(name=TRIAGER))
    bearer(api, secret)
    refused = api.get("/api/v1/staff/enquiries/")
    assert refused.status_code == 403
    assert "new token" in refused.json()["message"]
    _, fresh = services.create_token(member, "CRM 2", "write", second_step=True)
    bearer(api, fresh)
    assert api.get("/api/v1/staff/enquiries/").status_code == 200
    settings.STAFF_REQUIRE_MFA = False
    bearer(api, secret)
    assert api.get("/api/v1/staff/enquiries/").status_code == 200


def test_the_token_page_records_whether_the_session_passed_the_second_step(client):
    user = MembershipFactory().user
    client.force_login(user)
    confirm_it_is_you(client)
    client.post(reverse("api-tokens"), {"name": "Plain", "scope": "read"})
    session = client.session
    # Added to the records of the session (its password confirmed again just now).
    records = session.get("account_authentication_methods", [])
    mfa = {"method": "mfa", "type": "totp", "at": time.time()}
    session["account_authentication_methods"] = [*records, mfa]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()
    client.post(reverse("api-tokens"), {"name": "Stepped", "scope": "read"})
    steps = dict(ApiToken.objects.values_list("name", "second_step"))
    assert steps == {"Plain": False, "Stepped": True}


def test_a_made_up_forwarded_for_header_does_not_escape_the_anonymous_limit(
    api, tight_limits, monkeypatch
):
    """Found in review: DRF's default NUM_PROXIES (None) took the whole header as the address."""
    view, classes = _view_classes()
    monkeypatch.setattr(view, "throttle_classes", classes)
    codes = [
        api.get(
            "/api/v1/themes/", REMOTE_ADDR="192.0.2.9", HTTP_X_FORWARDED_FOR=f"198.51.100.{n}"
        ).status_code
        for n in range(5)
    ]
    assert codes == [200, 200, 200, 429, 429]


def test_production_counts_the_address_the_trusted_proxy_adds():
    import subprocess
    import sys

    code = (
        "import django, os;"
        "os.environ.update(DJANGO_SETTINGS_MODULE='config.settings.production',"
        "DJANGO_SECRET_KEY='x'*60, DJANGO_ALLOWED_HOSTS='example.org',"
        "CACHE_URL='dbcache://c', DJANGO_TRUSTED_PROXY_COUNT='2');"
        "from django.conf import settings;"
        "print(settings.REST_FRAMEWORK['NUM_PROXIES'])"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "2", out.stderr[-2000:]


@pytest.mark.parametrize(
    "params",
    [
        {"page_size": "\u00b2"},
        {"page_size": "\u0663"},  # an Arabic-Indic three
        {"updated_since": "9999-12-31T23:59:59-12:00"},
        {"updated_since": "0001-01-01T00:00:00+12:00"},
    ],
)
def test_odd_numbers_and_dates_at_the_edge_of_the_calendar_are_a_400(api, params):
    """Found in review: each of these was a 500."""
    for path in ("/api/v1/listings/", "/api/v1/challenges/"):
        response = api.get(path, params)
        assert response.status_code == 400, (path, params, response.content[:300])
        assert set(response.json()["errors"]) == set(params)


def test_a_forged_cursor_position_is_a_400_or_an_empty_page_never_a_500():
    import base64

    def ask(position):
        raw = base64.b64encode(f"p={position}".encode()).decode()
        return APIClient().get("/api/v1/challenges/", {"cursor": raw})

    response = ask("not a date")
    assert response.status_code == 400 and "cursor" in response.json()["errors"]
    # At the edge of the calendar: SQLite cannot convert it (400); PostgreSQL can (nothing
    # is after it).
    edge = ask("9999-12-31 23:59:59-12:00")
    assert edge.status_code in (200, 400), edge.content[:300]
    assert edge.status_code == 400 or edge.json()["results"] == []


@pytest.mark.parametrize("raw", ["AAAA", "\x00", "====", "not a cursor"])
def test_a_damaged_cursor_is_a_400_not_a_silent_first_page(raw):
    """Found by an outside probe: these answered 200 with the first page."""
    for path in ("/api/v1/listings/", "/api/v1/challenges/"):
        response = APIClient().get(path, {"cursor": raw})
        assert response.status_code == 400, (path, raw, response.content[:300])
        assert "cursor" in response.json()["errors"]


def test_the_cursors_in_next_and_previous_links_are_still_accepted():
    ListingFactory.create_batch(3, kind="offer")
    client = APIClient()
    first = client.get("/api/v1/listings/", {"page_size": 1}).json()
    second = client.get(first["next"]).json()
    assert second["results"] and second["results"] != first["results"]
    back = client.get(second["previous"])
    assert back.status_code == 200 and back.json()["results"] == first["results"]
    assert client.get("/api/v1/listings/", {"cursor": ""}).status_code == 200  # no cursor


def test_a_cursor_cut_short_is_a_400_not_a_silent_reread():
    """Found in review: a cursor cut at "p=2026-12-03" decoded to midnight and re-read."""
    import base64
    from urllib.parse import parse_qs, urlencode, urlsplit

    ListingFactory.create_batch(3, kind="offer")
    client = APIClient()
    link = client.get("/api/v1/listings/", {"page_size": 1}).json()["next"]
    cursor = parse_qs(urlsplit(link).query)["cursor"][0]
    tokens = parse_qs(base64.b64decode(cursor).decode("ascii"))
    position = tokens["p"][0]

    def ask(p):
        raw = base64.b64encode(urlencode({**tokens, "p": p}, doseq=True).encode()).decode()
        return client.get("/api/v1/listings/", {"page_size": 1, "cursor": raw})

    assert ask(position).status_code == 200  # the same cursor, spelled out again
    for cut in (position[:10], position[:16], position[:19], position[:-3], position[:-6]):
        response = ask(cut)
        assert response.status_code == 400, (cut, response.content[:200])
        assert "cursor" in response.json()["errors"]


# Bodies and failures that reach no view (found by an outside probe) ------------------


@pytest.mark.parametrize("depth", [1_000, 20_000])
def test_json_nested_too_deeply_is_a_400_not_a_500(api, depth):
    user = UserFactory()
    bearer(api, services.create_token(user, "CRM", "write")[1])
    body = "[" * depth + "]" * depth
    response = api.post("/api/v1/saved-searches/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["message"].startswith("The body is not valid JSON")
    assert not user.saved_searches.exists()


@pytest.mark.parametrize("number", ["1e400", "-1e400", "NaN", "Infinity"])
def test_a_number_too_large_or_not_a_number_is_a_400_not_stored_as_inf(api, number):
    user = UserFactory()
    bearer(api, services.create_token(user, "CRM", "write")[1])
    body = '{"page": "offers", "name": ' + number + ', "query": "heat"}'
    response = api.post("/api/v1/saved-searches/", body, content_type="application/json")
    assert response.status_code == 400, response.content[:200]
    assert response.json()["message"].startswith("The body is not valid JSON")
    assert not user.saved_searches.exists()
    ok = api.post(
        "/api/v1/saved-searches/",
        '{"page": "offers", "name": "Heat 1.5e3", "query": "heat"}',
        content_type="application/json",
    )
    assert ok.status_code == 201, ok.content[:300]


@pytest.mark.parametrize(
    "body",
    [
        '{"kind": "\\ud800x", "title": "A title here", "description": "Some words", '
        '"themes": ["ccus"]}',
        '{"kind": "offer", "title": "A title here", "description": "Some words", '
        '"themes": ["ccus"], "partner_kind": "\\udfff"}',
        '{"kind": "offer", "title": "A title here", "description": "Some words", '
        '"themes": ["ccus"], "\\ud800": 1}',
    ],
)
def test_a_lone_surrogate_escape_anywhere_in_a_body_is_a_400_and_nothing_is_stored(api, body):
    """Outside probe, stop 29: a choice field repeated the value in its error message, which
    could not then be written out (a 500)."""
    membership = MembershipFactory()
    organisation = membership.organisation
    bearer(api, services.create_token(membership.user, "CRM", "write")[1])
    url = f"/api/v1/organisations/{organisation.ref}/listings/"
    response = api.post(url, body, content_type="application/json")
    assert response.status_code == 400, response.content[:300]
    assert "lone surrogate" in response.json()["message"]
    assert not organisation.listings.exists()
    # A character outside the Basic Multilingual Plane, escaped as a pair, is text like any other.
    ok = body.replace("\\ud800x", "offer").replace("\\udfff", "any").replace('"\\ud800": 1, ', "")
    ok = ok.replace(', "\\ud800": 1', "").replace("A title here", "A title \\ud83d\\ude00 here")
    assert api.post(url, ok, content_type="application/json").status_code == 201


def test_a_body_over_the_size_limit_is_a_json_400_under_the_api(api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    user = UserFactory()
    bearer(api, services.create_token(user, "CRM", "write")[1])
    body = '{"page": "offers", "query": "' + "x" * 2000 + '", "name": "n"}'
    response = api.post("/api/v1/saved-searches/", body, content_type="application/json")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/json"
    assert "larger than the API accepts" in response.json()["message"]
    assert response.json()["errors"] == {}
    assert not user.saved_searches.exists()
    # The pages keep their page.
    page = APIClient().post("/account/login/", {"login": "x" * 2000})
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")


@pytest.mark.urls("tests.error_urls")
def test_a_failure_under_the_api_is_json_saying_what_to_do(client):
    client.raise_request_exception = False
    response = client.get("/api/v1/broken/")
    assert response.status_code == 500
    assert response.json()["message"].startswith("Sorry, there is a problem with the service.")
    old = client.get("/api/broken/")
    assert old.status_code == 500 and "problem with the service" in old.json()["detail"]
    page = client.get("/broken/")
    assert page.status_code == 500 and page["Content-Type"].startswith("text/html")


@pytest.mark.parametrize("scheme", ["Token {}", "{}", "bearer: {}", "Basic {}"])
def test_a_token_sent_under_another_scheme_is_a_401_not_anonymous(api, scheme):
    secret = services.create_token(UserFactory(), "CRM", "read")[1]
    response = api.get("/api/v1/listings/", HTTP_AUTHORIZATION=scheme.format(secret))
    assert response.status_code == 401
    assert "Authorization: Bearer <token>" in response.json()["message"]


def test_another_scheme_without_our_token_is_left_to_others(api):
    # A proxy's own Basic sign-in in front of a staging site must not break the API.
    response = api.get("/api/v1/listings/", HTTP_AUTHORIZATION="Basic dXNlcjpwYXNz")
    assert response.status_code == 200


def test_an_accept_header_for_another_format_is_a_406_saying_json(api):
    response = api.get("/api/v1/themes/", HTTP_ACCEPT="application/xml")
    assert response.status_code == 406
    assert response.json() == {
        "message": "The API cannot answer in the format your Accept header asks for: send "
        "'Accept: application/json', or no Accept header.",
        "errors": {},
    }


def test_an_unknown_format_is_a_404_naming_the_formats_not_no_such_record(api):
    response = api.get("/api/v1/themes/", {"format": "xml"})
    assert response.status_code == 404
    message = response.json()["message"]
    assert message.startswith("There is no “xml” format: use ?format= with one of ")
    assert "json" in message
    # An unknown record keeps its own words.
    missing = api.get("/api/v1/listings/L-NOWHERE/")
    assert missing.json()["message"].startswith("Not found: there is no such record")


@pytest.mark.parametrize("scope", [None, "read", "write"])
@pytest.mark.parametrize(
    "method, path",
    [
        ("post", "/api/v1/themes/"),
        ("delete", "/api/v1/clusters/humber/"),
        ("put", "/api/v1/listings/L-NOWHERE/"),
        ("delete", "/api/themes/"),
    ],
)
def test_a_method_an_address_does_not_offer_is_a_405_whoever_asks(api, scope, method, path):
    """Found by an outside probe: 401 without a token, 403 with a read-only one, and 405
    only with a read-and-write one."""
    if scope:
        bearer(api, services.create_token(UserFactory(), "CRM", scope)[1])
    response = getattr(api, method)(path)
    assert response.status_code == 405
    assert "GET" in response["Allow"]
    if path.startswith("/api/v1/"):
        assert response.json()["message"] == (
            f"This address does not take {method.upper()} requests: the Allow header lists "
            "those it does."
        )


def test_an_offered_method_still_asks_for_a_token_and_its_scope(api):
    user = MembershipFactory().user
    url = f"/api/v1/organisations/{user.memberships.get().organisation.ref}/listings/"
    assert api.post(url, {}, format="json").status_code == 401
    bearer(api, services.create_token(user, "CRM", "read")[1])
    assert api.post(url, {}, format="json").status_code == 403


def test_a_body_of_a_type_the_api_does_not_read_is_a_415_saying_send_json(api):
    user = UserFactory()
    bearer(api, services.create_token(user, "CRM", "write")[1])
    response = api.post("/api/v1/saved-searches/", "name=x", content_type="text/plain")
    assert response.status_code == 415
    assert response.json()["message"] == (
        "The API does not read bodies of type “text/plain”: send JSON, with "
        "'Content-Type: application/json'."
    )
    assert not user.saved_searches.exists()


@pytest.mark.parametrize(
    "path, name, wanted",
    [
        ("/api/v1/listings/", "kind", "Use one of: offer, need."),
        ("/api/v1/challenges/", "status", "Use one of: open, closed."),
    ],
)
def test_a_wrong_filter_value_is_a_400_naming_the_values_to_use(api, path, name, wanted):
    """Found by review: filters in the query string still answered Django's "Select a valid
    choice. gift is not one of the available choices."."""
    response = api.get(path, {name: "gift"})
    assert response.status_code == 400
    assert response.json()["errors"][name] == [f'"gift" is not one of the choices. {wanted}']
    # The paths from before v1 keep their answers.
    old = api.get(path.replace("/v1", ""), {name: "gift"})
    assert old.status_code == 400 and set(old.json()) == {name}  # the shape from before v1


@pytest.mark.parametrize(
    "name, value, wanted",
    [
        (
            "cluster",
            "atlantis",
            '"atlantis" is no cluster\'s slug: the list is at /api/v1/clusters/.',
        ),
        ("theme", "nope", '"nope" is no theme\'s slug: the list is at /api/v1/themes/.'),
    ],
)
def test_a_filter_value_read_from_the_database_names_the_apis_list(api, name, value, wanted):
    response = api.get("/api/v1/listings/", {name: value})
    assert response.status_code == 400
    assert response.json()["errors"][name] == [wanted]
