"""Every page of the site, and its error states, through axe-core in Chromium.

Each page is checked as the person who would see it: signed out for public pages, a member
of an approved organisation for member and account pages, a staff user for the admin. No
page may have a serious or critical violation.

`PAGES` names every URL pattern that renders a page, and `EXCLUDED` every one that does not
(with the reason). `test_every_url_pattern_has_an_accessibility_case` fails when a URL is
added without a case in one of them, and each browser test fails when it did not visit every
page its group claims.
"""

import contextlib
import re
from datetime import UTC, datetime
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.urls import Resolver404, URLPattern, URLResolver, get_resolver, resolve

from tests.browser.conftest import AXE_TAGS

PUBLIC, MEMBER, STAFF = "public", "member", "staff"
# Moderate in axe-core, but a screen reader's list of headings depends on it (issue #12).
ALSO_FAILING = {"heading-order"}
SUBMIT = object()  # the main form's first submit button, whatever its words

# URL name -> who sees the page. Error states are checked on the same pages (forms sent
# empty or wrong), plus the 404, 429 and "bad link" pages.
PAGES = {
    "home": PUBLIC,
    "clusters:cluster-list": PUBLIC,
    "clusters:cluster-detail": PUBLIC,
    "clusters:challenge-list": PUBLIC,
    "clusters:challenge-detail": PUBLIC,
    "clusters:offer-list": PUBLIC,
    "clusters:need-list": PUBLIC,
    "clusters:listing-detail": PUBLIC,
    "clusters:organisation-list": PUBLIC,
    "clusters:organisation-public": PUBLIC,
    "funding:call-list": PUBLIC,
    "funding:call-detail": PUBLIC,  # open, and closed (which says so)
    "reports:listing": PUBLIC,
    "dashboards:mission": PUBLIC,
    "dashboards:cluster": PUBLIC,
    "dashboards:challenge": PUBLIC,
    "reports:organisation": PUBLIC,
    "reports:sent": PUBLIC,
    "insights:gaps": PUBLIC,
    "enquiries:create": PUBLIC,
    "enquiries:sent": PUBLIC,
    "accessibility": PUBLIC,
    "cookies": PUBLIC,
    "privacy": PUBLIC,
    "api-docs": PUBLIC,
    "opendata:index": PUBLIC,  # before the first build, and after it (its tables)
    "notifications:unsubscribe": PUBLIC,
    "notifications:click": PUBLIC,  # a redirect when good; its bad-link page is checked
    "notifications:feedback": PUBLIC,
    "account_login": PUBLIC,
    "account_signup": PUBLIC,
    "account_reset_password": PUBLIC,
    "account_reset_password_done": PUBLIC,
    "account_reset_password_from_key": PUBLIC,  # with a wrong key: the "bad link" page
    "account_reset_password_from_key_done": PUBLIC,
    "account_confirm_email": PUBLIC,  # with a wrong key
    "account_email_verification_sent": PUBLIC,
    "account_inactive": PUBLIC,
    "clusters:dashboard": MEMBER,
    "clusters:organisation-start": MEMBER,
    "clusters:organisation-create": MEMBER,
    "clusters:organisation-join": MEMBER,
    "clusters:organisation-detail": MEMBER,
    "clusters:organisation-edit": MEMBER,
    "clusters:listing-create": MEMBER,
    "clusters:listing-edit": MEMBER,
    "clusters:listing-preview": MEMBER,
    "clusters:invitation": MEMBER,
    "clusters:invitation-cancel": MEMBER,  # the page that asks before cancelling
    "clusters:member-remove": MEMBER,  # the page that asks before removing a colleague
    "clusters:organisation-leave": MEMBER,  # here: "you cannot leave yet" (the only admin)
    "clusters:challenge-offer": MEMBER,  # the "which organisation?" page, for two of them
    "clusters:listing-renew": MEMBER,
    "introductions:ask": MEMBER,
    "searches:list": MEMBER,
    "searches:rename": MEMBER,
    "webhooks:list": MEMBER,
    "webhooks:create": MEMBER,
    "webhooks:detail": MEMBER,  # with the secret shown once, and with deliveries
    "teams:join": MEMBER,
    "teams:dashboard": MEMBER,
    "teams:challenge-create": MEMBER,
    "teams:challenge": MEMBER,
    "teams:challenge-edit": MEMBER,
    "teams:challenge-review": MEMBER,
    "teams:introduce": MEMBER,
    "matching:organisation": MEMBER,
    "introductions:request": MEMBER,
    "introductions:list": MEMBER,
    "introductions:detail": MEMBER,
    "introductions:outcome": MEMBER,
    "notifications:preferences": MEMBER,
    "account_logout": MEMBER,
    "account_reauthenticate": MEMBER,
    "account_email": MEMBER,
    "account_change_password": MEMBER,
    "account-your-data": MEMBER,
    "api-tokens": MEMBER,
    "account-delete": MEMBER,
    "mfa_index": MEMBER,
    "mfa_activate_totp": MEMBER,
    "mfa_deactivate_totp": MEMBER,
    "mfa_view_recovery_codes": MEMBER,
    "mfa_generate_recovery_codes": MEMBER,
    "mfa_reauthenticate": MEMBER,
    "mfa_authenticate": STAFF,  # staff sign in with a code
    "admin:index": STAFF,
    "insights:staff-gaps": STAFF,
    "insights:staff-funnel": STAFF,
    "admin:app_list": STAFF,
    "admin:password_change": STAFF,
    "admin:password_change_done": STAFF,
    "admin:auth_user_password_change": STAFF,
}

# URL names that never render a page of their own, and why.
EXCLUDED = {
    # POST-only actions: they redirect to a page checked above (with its message or error).
    "clusters:invitation-join": "POST only",
    "clusters:organisation-invite": "POST only",
    "clusters:join-request-decide": "POST only",
    "clusters:member-role": "POST only: it redirects to the organisation's page, checked",
    "clusters:listing-publish": "POST only",
    "clusters:listing-withdraw": "POST only",
    "clusters:listing-review": "POST only",
    "matching:answer": "POST only",
    "matching:check": "POST only, a fragment of the listing form page",
    "introductions:accept": "POST only",
    "introductions:decline": "POST only; its error state is the detail page, checked",
    "account-download-data": "POST only, a JSON download",
    "api-token-revoke": "POST only",
    "searches:save": "POST only",
    "searches:delete": "POST only",
    "webhooks:ping": "POST only",
    "webhooks:delete": "POST only",
    "teams:challenge-close": "POST only; its error state is the challenge page, checked",
    "teams:challenge-reopen": "POST only",
    "teams:shortlist-add": "POST only",
    "teams:shortlist-remove": "POST only",
    "clusters:organisation-logo": "an image file",
    "mfa_download_recovery_codes": "a text file download",
    "opendata:download": "a CSV or JSON file download; its 404 page is checked",
    "dashboards:mission-csv": "a CSV download",
    "dashboards:cluster-csv": "a CSV download",
    "dashboards:challenge-csv": "a CSV download",
    # allauth pages for settings this site does not use (each answers 404 or redirects).
    "account_set_password": "redirects: every account has a password",
    "account_request_reauthentication_code": "login by code is off: 404",
    "account_confirm_reauthentication_code": "login by code is off: 404",
    "account_confirm_login_code": "login by code is off: 404",
    # Machine-readable, not pages.
    "api-schema": "the OpenAPI schema (YAML)",
    "api-v1-schema": "the OpenAPI schema (YAML), at its v1 address",
    # Third-party viewers of the schema, linked from the API reference (checked above), which
    # says they are not fully accessible: tests/browser/test_api_viewers.py runs axe-core on
    # them and lists their known violations (docs/security.md).
    "api-swagger": "Swagger UI: axe-checked in test_api_viewers.py, known violations listed",
    "api-redoc": "Redoc: axe-checked in test_api_viewers.py, known violations listed",
    # Admin plumbing, not pages.
    "admin:login": "redirects to the site's sign-in page (checked)",
    "admin:logout": "POST only",
    "admin:autocomplete": "JSON for the admin's autocomplete widgets",
    "admin:jsi18n": "JavaScript",
    "admin:view_on_site": "a redirect to the object's public page",
    "admin:enquiries_attachment_download": "a file download",
}

# Every model registered in the admin, and which of its pages are checked besides the list.
# A model registered later fails test_every_url_pattern_has_an_accessibility_case until it
# is added here. The add/change/delete/history templates are Django's own and the same for
# every model; they are checked on the models staff work with, with a row in each.
ADMIN_MODEL_PAGES = {
    "clusters.organisation": {"add", "change", "delete", "history"},
    "clusters.listing": {"add", "change"},
    "clusters.challenge": {"add", "change"},
    "clusters.cluster": {"change"},
    "clusters.theme": {"change"},
    "clusters.invitation": {"change"},
    "enquiries.enquiry": {"change"},
    "enquiries.enquiryevent": set(),
    "introductions.introduction": {"change"},
    "matching.match": {"change"},
    "matching.matchingrun": set(),
    "matching.matchingwork": set(),
    "matching.matchmodel": set(),
    "matching.learnedweights": {"add"},
    "outbox.email": {"change"},
    "api.apitoken": {"change"},
    "webhooks.endpoint": {"change"},
    "webhooks.delivery": {"change"},
    "reports.report": {"change"},
    "funding.fundingcall": {"add", "change"},
    "teams.clusterteammember": {"change"},
    "accounts.user": {"change"},
    "account.emailaddress": {"change"},
    "mfa.authenticator": {"change"},
    "auth.group": {"add"},
    "django_celery_beat.periodictask": {"add"},
    "django_celery_beat.clockedschedule": set(),
    "django_celery_beat.crontabschedule": set(),
    "django_celery_beat.solarschedule": set(),
    "django_celery_beat.intervalschedule": set(),
}
ADMIN_MODEL_SUFFIXES = ("changelist", "add", "change", "delete", "history")


def named_url_patterns() -> set[str]:
    names = set()

    def walk(resolver, namespace):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                inner = namespace
                if entry.namespace:
                    inner = f"{namespace}:{entry.namespace}" if namespace else entry.namespace
                walk(entry, inner)
            elif isinstance(entry, URLPattern) and entry.name:
                names.add(f"{namespace}:{entry.name}" if namespace else entry.name)

    walk(get_resolver(), "")
    return names


def admin_model_page_names() -> dict[str, str]:
    """admin:<app>_<model>_<suffix> -> "checked" or "skipped", for every registered model."""
    out = {}
    for model in admin.site._registry:
        label = model._meta.label_lower
        checked = {"changelist", *ADMIN_MODEL_PAGES.get(label, set())}
        for suffix in ADMIN_MODEL_SUFFIXES:
            name = f"admin:{label.replace('.', '_')}_{suffix}"
            out[name] = "checked" if suffix in checked else "skipped"
    return out


def test_every_url_pattern_has_an_accessibility_case():
    registered = {model._meta.label_lower for model in admin.site._registry}
    assert registered == set(ADMIN_MODEL_PAGES), (
        "Add each model registered in the admin to ADMIN_MODEL_PAGES (and remove gone ones): "
        f"{sorted(registered ^ set(ADMIN_MODEL_PAGES))}"
    )
    names = {n for n in named_url_patterns() if not n.startswith("api:")}  # the JSON API
    known = set(PAGES) | set(EXCLUDED) | set(admin_model_page_names())
    assert not names - known, (
        "Each new page needs a case in tests/browser/test_accessibility.py (PAGES), or a "
        f"reason in EXCLUDED if it renders no page: {sorted(names - known)}"
    )
    assert not known - names, f"Cases for URLs that no longer exist: {sorted(known - names)}"
    assert not set(PAGES) & set(EXCLUDED)


# The browser side --------------------------------------------------------------------------


class Sweep:
    """Visits pages in one signed-in browser, runs axe on each, and collects every problem."""

    def __init__(self, page, base_url):
        from axe_playwright_python.sync_playwright import Axe

        self.page = page
        self.base_url = base_url
        self.axe = Axe()
        self.problems: list[str] = []
        self.visited: set[str] = set()

    def goto(self, path: str, *, expect_status: int | None = None):
        response = self.page.goto(self.base_url + path)
        with contextlib.suppress(Resolver404):  # the 404 pages
            self.visited.add(resolve(urlsplit(path).path).view_name)
        if expect_status is not None and response.status != expect_status:
            self.problems.append(f"{path}: answered {response.status}, not {expect_status}")
        self.check(path)
        return response

    def check(self, label: str | None = None):
        """Axe the page as it is now (after a goto, a click, or a form sent with errors)."""
        label = label or urlsplit(self.page.url).path
        results = self.axe.run(
            self.page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}}
        ).response
        for v in results["violations"]:
            if v["impact"] in ("serious", "critical") or v["id"] in ALSO_FAILING:
                targets = ", ".join(str(node["target"]) for node in v["nodes"][:3])
                self.problems.append(f"{label}: {v['id']} ({v['impact']}) at {targets}")

    def submit_empty(self, button_name, label: str):
        """Send the form as it is, expect its error summary, and axe the page with errors."""
        # The server's checks are what is tested, not the browser's (admin forms say required).
        self.page.evaluate("document.querySelectorAll('form').forEach(f => f.noValidate = true)")
        if button_name is SUBMIT:
            self.page.locator("main form[method=post] button[type=submit]").first.click()
        elif isinstance(button_name, str) and button_name.startswith("css="):
            self.page.locator(button_name).first.click()
        else:
            self.page.get_by_role("button", name=button_name).first.click()
        self.page.wait_for_load_state()
        if not self.page.locator(".govuk-error-summary, .errorlist, .errornote").count():
            self.problems.append(f"{label}: no error shown after sending the form empty")
        self.check(f"{label} (with errors)")

    def sign_in(self, email: str, password: str = "a long enough password"):
        self.page.goto(self.base_url + "/account/login/")
        self.page.get_by_label("Email address").fill(email)
        self.page.get_by_label("Password", exact=True).fill(password)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_load_state()

    def assert_clean(self, group: str, also_expected: set[str] = frozenset()):
        expected = {name for name, who in PAGES.items() if who == group} | set(also_expected)
        missing = expected - self.visited
        assert not missing, f"{group} pages not visited: {sorted(missing)}"
        assert not self.problems, "Accessibility problems:\n" + "\n".join(self.problems)


@pytest.fixture
def world(transactional_db):
    """A member's organisation with listings, matches and introductions, and its neighbours."""
    from allauth.account.models import EmailAddress

    from clusters.models import Listing
    from notifications import tokens
    from tests import factories as f

    org = f.OrganisationFactory(ref="org-kilns", name="Dyfed Dry Kilns")
    member = f.UserFactory(email="member@example.org", name="Siân Roberts")
    f.MembershipFactory(user=member, organisation=org)
    colleague = f.MembershipFactory(
        organisation=org, role="member", user=f.UserFactory(name="Rhys Morgan")
    )
    other = f.OrganisationFactory(ref="org-heat", name="Estuary Heat Ltd")
    f.MembershipFactory(organisation=other)  # someone there answers requests for introductions
    need = f.ListingFactory(
        organisation=org, kind="need", title="Heat pump for a timber kiln", clusters=["humber"]
    )
    draft = f.ListingFactory(organisation=org, kind="offer", status=Listing.Status.DRAFT)
    offer = f.ListingFactory(organisation=other, kind="offer", title="Industrial heat pumps")
    spare = f.ListingFactory(organisation=other, kind="offer", title="Steam recompression")
    match = f.MatchFactory(source_listing=need, target=offer)
    f.MatchFactory(source_listing=need, target=spare, rank=2)
    f.IntroductionFactory(source_listing=need, target_listing=offer, requested_by=member)
    incoming = f.IntroductionFactory(
        source_listing=f.ListingFactory(organisation=other, kind="need"),
        target_listing=f.ListingFactory(organisation=org, kind="offer"),
    )
    invitation = f.InvitationFactory(organisation=other, email="member@example.org")
    sent = f.InvitationFactory(organisation=org, email="colleague@example.org", invited_by=member)
    notice = f.MatchNoticeFactory(user=member, match=match)
    challenge = f.ChallengeFactory(title="Capture CO2 from refinery heaters")
    f.MatchFactory(
        source_listing=None, source_challenge=challenge, source_key=f"C{challenge.pk}", target=offer
    )
    staff = f.UserFactory(email="staff@example.org", is_staff=True, is_superuser=True)
    enquiry = f.EnquiryEventFactory().enquiry
    f.EnquiryMessageFactory(enquiry=enquiry)
    f.OutboxEmailFactory()
    saved = f.SavedSearchFactory(user=member, name="Heat pumps in Humber")
    f.ClusterTeamMemberFactory(user=member, body="Humber Industrial Cluster Plan")
    f.ShortlistFactory(challenge=challenge, listing=offer, added_by=member)
    from reports.services import submit_report

    submit_report(offer, reason="spam", details="An advert for something else.")
    from tests.funding.factories import FundingCallFactory

    # Open to any kind, theme and cluster: suggested on the need's page and the accepted
    # introduction's page, which also carries the outcome form (issue #13).
    funding_call = FundingCallFactory(ref="FC-kilns", name="Heat pumps for industry")
    closed_call = FundingCallFactory(ref="FC-closed", status="closed")
    accepted = f.IntroductionFactory(
        source_listing=f.ListingFactory(organisation=org, kind="need", title="Kiln heat"),
        target_listing=f.ListingFactory(organisation=other, kind="offer", title="Kiln pumps"),
        requested_by=member,
        status="accepted",
        decided_by=f.UserFactory(),
        decided_at=datetime.now(UTC),
    )
    from django.utils import timezone

    from webhooks import services as webhooks
    from webhooks.models import Delivery

    webhook, _ = webhooks.create_endpoint(member, "https://93.184.215.14/hook", ["match.created"])
    Delivery.objects.create(
        endpoint=webhook,
        event="match.created",
        event_id="match.created:L1:2",
        payload={},
        status="pending",
        attempts=2,
        last_status_code=500,
        last_error="The server answered 500.",
        next_attempt_at=timezone.now(),
    )
    return {
        "colleague": colleague,
        "webhook": webhook,
        "org": org,
        "member": member,
        "other": other,
        "need": need,
        "draft": draft,
        "offer": offer,
        "spare": spare,
        "incoming": incoming,
        "invitation": invitation,
        "sent": sent,
        "notice": notice,
        "challenge": challenge,
        "staff": staff,
        "enquiry": enquiry,
        "email": EmailAddress.objects.get(user=member),
        "unsubscribe": tokens.make(tokens.UNSUBSCRIBE, u=member.pk),
        "digest": tokens.make(tokens.DIGEST, d=notice.digest.pk),
        "saved": saved,
        "funding_call": funding_call,
        "closed_call": closed_call,
        "accepted": accepted,
    }


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_public_pages_and_their_error_states(live_server, page, world):
    sweep = Sweep(page, live_server.url)
    w = world
    for path in [
        "/",
        "/clusters/",
        "/clusters/humber/",
        "/challenges/",
        f"/challenges/{w['challenge'].ref}/",
        "/offers/",
        "/needs/",
        f"/listings/{w['offer'].ref}/",
        "/organisations/",
        f"/organisations/{w['other'].ref}/",
        f"/organisations/{w['other'].ref}/report/",
        "/funding/",
        f"/funding/{w['funding_call'].ref}/",
        f"/funding/{w['closed_call'].ref}/",
        "/accessibility/",
        "/cookies/",
        "/account/privacy/",
        "/api/docs/",
        "/account/signup/",
        "/account/password/reset/done/",
        "/account/password/reset/key/done/",
        "/account/confirm-email/",
        "/account/inactive/",
        f"/email/unsubscribe/{w['unsubscribe']}/",
        f"/email/answer/{w['digest']}/{w['notice'].pk}/useful/",
    ]:
        sweep.goto(path)

    # The gap analysis: before anything is computed, then with its tables.
    from insights.services import compute_insights

    sweep.goto("/gaps/")
    compute_insights()
    sweep.goto("/gaps/")

    # Error states: lists filtered by something that does not exist, and bad links.
    sweep.goto("/challenges/?cluster=atlantis")
    sweep.goto("/offers/?theme=nothing&q=" + "x" * 300)
    sweep.goto("/organisations/?kind=nothing&cluster=atlantis")
    sweep.goto("/funding/?theme=nothing&cluster=atlantis&kind=pirate")
    sweep.goto("/funding/FC-no-such-call/", expect_status=404)
    sweep.goto("/no-such-page/", expect_status=404)
    sweep.goto(f"/listings/{w['draft'].ref}/", expect_status=404)
    sweep.goto("/email/link/forged/?to=/", expect_status=404)
    sweep.goto("/email/unsubscribe/forged/", expect_status=404)
    sweep.goto("/account/password/reset/key/1-forged/")

    # Open data: before the first build (a download is a 404 page), then with its tables.
    import tempfile

    from django.test import override_settings

    from opendata.services import build_open_data

    sweep.goto("/open-data/")
    sweep.goto("/open-data/offers.csv", expect_status=404)
    with tempfile.TemporaryDirectory() as media, override_settings(MEDIA_ROOT=media):
        build_open_data()
        sweep.goto("/open-data/")
    sweep.goto("/account/confirm-email/forged/")
    sweep.goto("/dashboard/")  # nothing computed yet

    # The dashboards with figures to draw.
    from tests.dashboards.helpers import add_figures, make_computation, month

    computation = make_computation()
    figures = [("offers_published", month(2027, 6), 4), ("outcome_trial", None, 1)]
    add_figures(computation, figures)
    add_figures(computation, figures, cluster=w["challenge"].cluster)
    add_figures(computation, figures, challenge=w["challenge"])
    sweep.goto("/dashboard/")
    sweep.goto("/clusters/humber/dashboard/")
    sweep.goto(f"/challenges/{w['challenge'].ref}/dashboard/")

    # Forms sent empty, then the pages that follow a good answer.
    sweep.goto("/account/signup/")
    sweep.submit_empty(re.compile("Create (an )?account"), "sign up")
    sweep.goto("/account/password/reset/")
    sweep.submit_empty(re.compile("Reset|Send", re.I), "password reset")
    sweep.goto("/account/login/")
    sweep.submit_empty("Sign in", "sign in")
    page.get_by_label("Email address").fill("member@example.org")
    page.get_by_label("Password", exact=True).fill("not the password")
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    sweep.check("sign in with a wrong password")

    sweep.goto("/get-in-touch/")
    sweep.submit_empty("Send enquiry", "get in touch")
    page.get_by_label("Full name").fill("Ada Lovelace")
    page.get_by_label("Email address").fill("ada@example.org")
    page.get_by_label("Business", exact=True).check()
    page.locator("input[name=topic]").first.check()
    page.get_by_label("Your message").fill("We need hydrogen burners for a glassworks.")
    page.wait_for_timeout(3000)  # the form refuses answers sent faster than a person types
    page.get_by_role("button", name="Send enquiry").click()
    page.wait_for_url("**/get-in-touch/sent/")
    sweep.visited.add("enquiries:sent")
    sweep.check()

    # Report a listing: the form sent empty, then a real report and its thank-you page.
    sweep.goto(f"/listings/{w['offer'].ref}/report/")
    sweep.submit_empty("Send report", "report a listing")
    page.get_by_label(re.compile("spam", re.I)).first.check()
    page.get_by_role("button", name="Send report").click()
    page.wait_for_url("**/reports/sent/")
    sweep.visited.add("reports:sent")
    sweep.check()

    sweep.visited.add("account_reset_password_from_key")
    sweep.visited.add("notifications:click")
    sweep.assert_clean(PUBLIC)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_too_many_attempts_page(live_server, page, world):
    """The 429 page, as allauth shows it after too many sign-in attempts from one address."""
    from allauth.core import ratelimit
    from django.test import RequestFactory

    request = RequestFactory().post("/account/login/", REMOTE_ADDR="127.0.0.1")
    try:
        while ratelimit.consume(request, action="login"):
            pass
        page.goto(live_server.url + "/account/login/")
        page.get_by_label("Email address").fill("member@example.org")
        page.get_by_label("Password", exact=True).fill("a long enough password")
        with page.expect_response("**/account/login/") as answer:
            page.get_by_role("button", name="Sign in").click()
        assert answer.value.status == 429
        sweep = Sweep(page, live_server.url)
        sweep.check("429")
        assert not sweep.problems, sweep.problems
    finally:
        ratelimit.clear(request, action="login")


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_member_pages_and_their_error_states(live_server, page, world):
    from allauth.mfa.totp.internal import auth as totp

    w = world
    sweep = Sweep(page, live_server.url)
    sweep.sign_in("member@example.org")
    org, need, draft = w["org"].ref, w["need"].ref, w["draft"].ref
    for path in [
        "/your-organisation/",
        "/your-organisation/start/",
        f"/your-organisation/{org}/",
        f"/your-organisation/{org}/matches/",
        f"/your-organisation/{org}/introductions/",
        f"/introductions/{w['incoming'].public_id}/",
        f"/introductions/{w['accepted'].public_id}/",  # with funding calls to bid for together
        f"/introductions/{w['accepted'].public_id}/outcome/",
        f"/listings/{need}/preview/",
        f"/listings/{draft}/preview/",
        f"/invitations/{w['invitation'].token}/",
        f"/your-organisation/{org}/invitations/{w['sent'].pk}/cancel/",
        f"/your-organisation/{org}/leave/",
        f"/listings/{need}/",  # the listing page as its owner sees it
        "/account/reauthenticate/",
        f"/listings/{need}/keep-open/",
        "/saved-searches/",
        "/account/webhooks/",
        f"/account/webhooks/{w['webhook'].public_id}/",
        "/clusters/humber/team/",
        f"/clusters/humber/team/challenges/{w['challenge'].ref}/",
        f"/clusters/humber/team/challenges/{w['challenge'].ref}/review/",
    ]:
        sweep.goto(path)

    forms = [
        # Asks for the password first (checked below); within 5 minutes, making a webhook or
        # a token further down then does not ask again.
        ("/account/your-data/", None),
        ("/your-organisation/new/", "Register organisation"),
        (f"/your-organisation/{org}/edit/", SUBMIT),
        (f"/your-organisation/{org}/listings/new/?kind=offer", "Save and check"),
        (f"/listings/{draft}/edit/", "Save and check"),
        (f"/listings/{need}/matches/{w['spare'].ref}/introduction/", "Send request"),
        (f"/introductions/{w['incoming'].public_id}/", "Decline"),
        (f"/introductions/{w['accepted'].public_id}/outcome/", "Save your answer"),
        (f"/listings/{w['spare'].ref}/introduction/", "Send request"),
        (f"/saved-searches/{w['saved'].ref}/rename/", SUBMIT),
        ("/account/webhooks/new/", "Add webhook"),
        ("/clusters/teesside/team/join/", SUBMIT),
        ("/clusters/humber/team/challenges/new/", SUBMIT),
        (f"/clusters/humber/team/challenges/{w['challenge'].ref}/edit/", SUBMIT),
        (
            f"/clusters/humber/team/challenges/{w['challenge'].ref}/shortlist/"
            f"{w['offer'].ref}/introduce/",
            "Send the request",
        ),
        ("/account/email-settings/", None),
        ("/account/email/", "css=form:has(input[name=email]) button[type=submit]"),
        ("/account/password/change/", "Change password"),
        ("/account/delete/", "Delete my account"),
        (f"/your-organisation/{org}/members/{w['colleague'].pk}/remove/", None),
        ("/account/api-tokens/", "Make the token"),
        ("/account/2fa/", None),
        ("/account/2fa/totp/activate/", "Turn on 2-step verification"),
    ]
    for path, button in forms:
        sweep.goto(path)
        if "/account/reauthenticate/" in page.url:  # allauth asks for the password again
            sweep.submit_empty("Continue", "reauthenticate")
            page.get_by_label("Password", exact=True).fill("a long enough password")
            page.get_by_role("button", name="Continue").click()
            page.wait_for_url("**" + path)
            sweep.check()
        if button is not None:
            # Forms filled in already (edit pages) are emptied first.
            boxes = page.locator("main form[method=post] :is(input[type=text], textarea)")
            for field in boxes.all():
                field.fill("")
            sweep.submit_empty(button, path)

    # A token made: the one page that shows its secret, then the list with a Revoke button.
    sweep.goto("/account/api-tokens/")
    page.get_by_label("Name the token").fill("Our CRM")
    page.locator("input[name=scope][value=read]").check()
    page.get_by_role("button", name="Make the token").click()
    page.wait_for_load_state()
    sweep.check("a new API token, shown once")
    sweep.goto("/account/api-tokens/")

    # Turn on the authenticator app with a real code, then see the pages that need one.
    sweep.goto("/account/2fa/totp/activate/")
    secret = page.locator("input[name=secret], #totp_secret, code").first
    text = secret.input_value() if secret.evaluate("e => e.tagName") == "INPUT" else ""
    text = text or secret.inner_text()
    code = totp.format_hotp_value(
        totp.hotp_value(text.strip(), next(totp.yield_hotp_counters_from_time()))
    )
    page.locator("input[name=code]").fill(code)
    page.locator("input[name=code]").press("Enter")
    page.wait_for_load_state()
    sweep.check("after turning on the app")
    for path in [
        "/account/2fa/",
        "/account/2fa/recovery-codes/",
        "/account/2fa/recovery-codes/generate/",
        "/account/2fa/totp/deactivate/",
        "/account/2fa/reauthenticate/",
    ]:
        sweep.goto(path)
    sweep.submit_empty("Continue", "2fa reauthenticate")
    # A webhook added: its secret shown once, in the answer to the form.
    sweep.goto("/account/webhooks/new/")
    page.get_by_label("Endpoint URL").fill("https://93.184.215.14/new-hook")
    page.get_by_label("New match").check()
    page.get_by_role("button", name="Add webhook").click()
    page.wait_for_load_state()
    assert "whsec_" in page.content()
    sweep.check("webhook added, secret shown once")
    sweep.goto("/your-organisation/join/")
    page.get_by_label(re.compile("name", re.I)).first.fill("Estuary")
    page.get_by_role("button", name="Search").click()
    page.wait_for_load_state()
    sweep.check("join search results")
    # With two organisations, "Offer a solution" asks which one offers it.
    from tests import factories as f

    f.MembershipFactory(user=w["member"], organisation=w["other"])
    sweep.goto(f"/challenges/{w['challenge'].ref}/offer/")
    sweep.goto("/account/logout/")
    sweep.assert_clean(MEMBER)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_staff_pages_and_their_error_states(live_server, page, world):
    from allauth.mfa.totp.internal import auth as totp

    w = world
    secret = totp.generate_totp_secret()
    totp.TOTP.activate(w["staff"], secret)
    sweep = Sweep(page, live_server.url)
    sweep.sign_in("staff@example.org")
    page.wait_for_url("**/account/2fa/authenticate/")
    sweep.visited.add("mfa_authenticate")
    sweep.check()
    sweep.submit_empty("Continue", "second step")
    page.locator("input[name=code]").fill(
        totp.format_hotp_value(totp.hotp_value(secret, next(totp.yield_hotp_counters_from_time())))
    )
    page.locator("input[name=code]").press("Enter")
    page.wait_for_load_state()

    from api.services import create_token

    sweep.goto("/admin/")
    sweep.goto("/admin/clusters/")
    sweep.goto("/admin/password_change/")
    sweep.submit_empty(re.compile("Change my password", re.I), "admin password change")
    sweep.goto("/admin/password_change/done/")
    sweep.goto(f"/admin/accounts/user/{w['member'].pk}/password/")

    rows = {
        "clusters.organisation": w["org"].pk,
        "clusters.listing": w["need"].pk,
        "clusters.challenge": w["challenge"].pk,
        "clusters.cluster": "humber",
        "clusters.theme": None,
        "clusters.invitation": w["invitation"].pk,
        "enquiries.enquiry": w["enquiry"].pk,
        "introductions.introduction": w["incoming"].pk,
        "matching.match": None,
        "outbox.email": None,
        "api.apitoken": create_token(w["member"], "Our CRM", "read")[0].pk,
        "accounts.user": w["member"].pk,
        "account.emailaddress": w["email"].pk,
        "mfa.authenticator": None,
    }
    for model in admin.site._registry:
        label = model._meta.label_lower
        base = "/admin/{}/{}/".format(*label.split("."))
        sweep.goto(base)
        pages = ADMIN_MODEL_PAGES[label]
        pk = rows.get(label)
        if pk is None and pages & {"change", "delete", "history"}:
            pk = model._default_manager.values_list("pk", flat=True).first()
        if "add" in pages:
            sweep.goto(base + "add/")
            buttons = page.locator("input[name=_save]")
            if buttons.count():
                sweep.submit_empty(re.compile("^Save$"), f"{label} add")
        for suffix in ("change", "delete", "history"):
            if suffix in pages:
                sweep.goto(f"{base}{pk}/{suffix}/")
    from insights.services import compute_insights

    sweep.goto("/admin/insights/gaps/")  # nothing computed yet
    compute_insights()
    sweep.goto("/admin/insights/gaps/")
    sweep.goto("/admin/insights/funnel/")
    sweep.goto("/admin/no-such-model/", expect_status=404)
    checked = {name for name, state in admin_model_page_names().items() if state == "checked"}
    sweep.assert_clean(STAFF, also_expected=checked)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    "role, paths",
    [
        # A moderator's organisation and listing pages are read-only: other markup.
        (
            "Moderator",
            [
                "/admin/",
                "/admin/clusters/organisation/",
                "/admin/clusters/organisation/{org}/change/",
                "/admin/clusters/listing/",
                "/admin/clusters/listing/{need}/change/",
                "/admin/reports/report/",
                "/admin/teams/clusterteammember/",
                "/admin/insights/gaps/",
                "/admin/insights/funnel/",
            ],
        ),
        (
            "Triager",
            ["/admin/", "/admin/enquiries/enquiry/", "/admin/enquiries/enquiry/{enquiry}/change/"],
        ),
    ],
)
def test_admin_pages_as_each_staff_role(live_server, page, world, role, paths):
    from django.apps import apps
    from django.contrib.auth.models import Group

    from staff.roles import sync_roles

    sync_roles(apps)  # the groups' migration data is emptied between browser tests
    user = world["staff"]
    user.is_superuser = False
    user.save()
    user.groups.set([Group.objects.get(name=role)])
    sweep = Sweep(page, live_server.url)
    sweep.sign_in("staff@example.org")
    ids = {"org": world["org"].pk, "need": world["need"].pk, "enquiry": world["enquiry"].pk}
    for path in paths:
        response = sweep.goto(path.format(**ids))
        assert response.status == 200, path
    assert not sweep.problems, "Accessibility problems:\n" + "\n".join(sweep.problems)
