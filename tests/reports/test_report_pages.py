"""'Report this listing' and 'Report this organisation': signed out or in, bad input, rate
limits, and only what is public can be reported."""

import pytest
from django.conf import settings

from clusters.models import Listing, Organisation
from reports.models import DETAILS_MAX, Report
from tests.factories import ListingFactory, MembershipFactory, OrganisationFactory

pytestmark = pytest.mark.django_db


def listing_url(listing) -> str:
    return f"/listings/{listing.ref}/report/"


def organisation_url(organisation) -> str:
    return f"/organisations/{organisation.ref}/report/"


def answers(**changes) -> dict:
    data = {"reason": "spam", "details": "It sells crypto.", "email": "", "website": ""}
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'").replace("&rsquo;", "’")


@pytest.fixture
def listing(db):
    return ListingFactory(title="Modular amine capture units")


# The link and the form ------------------------------------------------------------------------


def test_a_published_listing_page_links_to_its_report_page(client, listing):
    page = client.get(listing.get_absolute_url()).content.decode()
    assert f'href="{listing_url(listing)}"' in page
    assert "Report this listing" in page


def test_an_organisation_page_links_to_its_report_page_which_links_back(client):
    organisation = OrganisationFactory(name="Amine Capture Ltd")
    page = client.get(organisation.get_public_url()).content.decode()
    assert f'href="{organisation_url(organisation)}"' in page
    assert "Report this organisation" in page
    form = client.get(organisation_url(organisation)).content.decode()
    assert f'href="{organisation.get_public_url()}"' in form


def test_signed_out_the_form_asks_for_an_optional_email_and_hides_the_honeypot(client, listing):
    response = client.get(listing_url(listing))
    page = text(response)
    assert response.status_code == 200
    assert '<h1 class="govuk-heading-l">Report this listing</h1>' in page
    assert 'name="email"' in page
    assert "Your email address (optional)" in page
    assert 'aria-hidden="true"' in page and 'name="website"' in page
    assert not Report.objects.exists()  # a GET saves nothing


def test_a_signed_out_visitor_reports_a_listing_and_is_thanked(client, listing):
    response = client.post(
        listing_url(listing),
        answers(email="Reader@Example.org", reason="wrong"),
        REMOTE_ADDR="10.1.0.1",
    )
    assert response.status_code == 302 and response["Location"] == "/reports/sent/"
    report = Report.objects.get()
    assert report.kind == Report.Kind.LISTING
    assert report.listing == listing and report.organisation == listing.organisation
    assert report.reason == Report.Reason.WRONG
    assert report.details == "It sells crypto."
    assert report.email == "reader@example.org"
    assert report.reporter is None
    assert report.status == Report.Status.OPEN
    thanks = text(client.get(response["Location"]))
    assert "Report sent" in thanks
    assert "Thank you for telling us about “Modular amine capture units”." in thanks
    assert f'href="{listing.get_absolute_url()}"' in thanks


def test_the_thank_you_page_without_a_report_goes_home(client):
    response = client.get("/reports/sent/")
    assert response.status_code == 302 and response["Location"] == "/"


def test_an_email_is_optional_when_signed_out(client, listing):
    client.post(listing_url(listing), answers(email=""))
    assert Report.objects.get().email == ""


@pytest.mark.parametrize("who", ["outsider", "member", "unapproved member"])
def test_a_signed_in_person_reports_under_their_account_without_an_email_field(
    client, listing, who, outsider, member
):
    user = {
        "outsider": outsider,
        "member": member,  # of another organisation than the listing's
        "unapproved member": MembershipFactory(
            organisation__status=Organisation.Status.PENDING
        ).user,
    }[who]
    client.force_login(user)
    assert 'name="email"' not in client.get(listing_url(listing)).content.decode()
    # An email sent anyway is ignored: the account says who it is.
    response = client.post(listing_url(listing), answers(email="other@example.org"))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.reporter == user
    assert report.email == ""


def test_the_owner_can_report_their_own_listing_too(client, member, organisation):
    listing = ListingFactory(organisation=organisation)
    client.force_login(member)
    assert client.post(listing_url(listing), answers()).status_code == 302
    assert Report.objects.get().reporter == member


def test_an_approved_organisation_can_be_reported_at_its_own_address(client):
    organisation = OrganisationFactory(name="Amine Works Ltd")
    page = text(client.get(organisation_url(organisation)))
    assert "Report this organisation" in page and "Amine Works Ltd" in page
    response = client.post(organisation_url(organisation), answers(reason="offensive"))
    assert response.status_code == 302
    report = Report.objects.get()
    assert report.kind == Report.Kind.ORGANISATION
    assert report.organisation == organisation and report.listing is None
    assert "Amine Works Ltd" in text(client.get("/reports/sent/"))


# Only what is public --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status",
    [
        Listing.Status.DRAFT,
        Listing.Status.PENDING,
        Listing.Status.WITHDRAWN,
    ],
)
def test_a_listing_that_is_not_published_cannot_be_reported(client, member, status):
    listing = ListingFactory(status=status)
    for user in (None, member):
        if user:
            client.force_login(user)
        assert client.get(listing_url(listing)).status_code == 404
        assert client.post(listing_url(listing), answers()).status_code == 404
    assert not Report.objects.exists()


def test_a_taken_down_listing_or_an_unknown_one_cannot_be_reported(client, staff):
    from clusters.services import unpublish_listing

    listing = ListingFactory()
    unpublish_listing(listing, staff, "Spam")
    assert client.post(listing_url(listing), answers()).status_code == 404
    assert client.post("/listings/no-such-ref/report/", answers()).status_code == 404
    assert not Report.objects.exists()


@pytest.mark.parametrize("status", [Organisation.Status.PENDING, Organisation.Status.REJECTED])
def test_an_organisation_that_is_not_approved_cannot_be_reported(client, status):
    organisation = OrganisationFactory(status=status)
    assert client.get(organisation_url(organisation)).status_code == 404
    assert client.post(organisation_url(organisation), answers()).status_code == 404
    assert not Report.objects.exists()


# Bad input ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"reason": None}, "Select what is wrong with it"),
        ({"reason": "boring"}, "Select what is wrong with it"),
        (
            {"reason": "other", "details": ""},
            "Tell us what is wrong, as you chose “Something else”",
        ),
        ({"reason": "other", "details": "   "}, "Tell us what is wrong"),
        ({"details": "x" * (DETAILS_MAX + 1)}, f"Details must be {DETAILS_MAX:,} characters"),
        ({"email": "not an email"}, "Enter an email address in the correct format"),
        ({"email": "a@example.org\nBcc: b@example.org"}, "in the correct format"),
        ({"website": "http://spam.example"}, "Leave the field labelled “Leave this blank”"),
    ],
)
def test_bad_input_shows_what_to_fix_and_saves_nothing(client, listing, changes, error):
    response = client.post(listing_url(listing), answers(**changes))
    page = text(response)
    assert response.status_code == 200
    assert "govuk-error-summary" in page
    assert error in page
    assert not Report.objects.exists()


def test_details_are_optional_for_a_reason_other_than_something_else(client, listing):
    client.post(listing_url(listing), answers(reason="personal_data", details=""))
    assert Report.objects.get().reason == Report.Reason.PERSONAL_DATA


# Rate limits (allauth's counter, in the shared cache) -----------------------------------------


def limit() -> int:
    return settings.REPORTS_RATE_LIMIT


def test_one_ip_address_is_limited_whatever_email_it_gives(client, listing):
    for n in range(limit()):
        response = client.post(
            listing_url(listing), answers(email=f"p{n}@example.org"), REMOTE_ADDR="10.2.0.1"
        )
        assert response.status_code == 302
    response = client.post(
        listing_url(listing), answers(email="new@example.org"), REMOTE_ADDR="10.2.0.1"
    )
    page = text(response)
    assert response.status_code == 429
    assert "You have sent a lot of reports" in page
    assert f"You have sent {limit()} reports in a short time" in page
    assert "Your last report has not been sent" in page
    assert "Wait an hour" in page
    assert Report.objects.count() == limit()


def test_one_email_address_is_limited_from_any_ip_address_and_any_session(client, listing):
    from django.test import Client

    for n in range(limit()):
        Client().post(
            listing_url(listing), answers(email="a@example.org"), REMOTE_ADDR=f"10.3.0.{n}"
        )
    response = Client().post(
        listing_url(listing), answers(email="A@example.org"), REMOTE_ADDR="10.3.1.1"
    )
    assert response.status_code == 429
    assert Report.objects.count() == limit()


def test_a_signed_in_person_is_limited_from_any_ip_address(client, listing, outsider):
    client.force_login(outsider)
    organisation = OrganisationFactory()
    for n in range(limit()):
        # Listings and organisations share the one count.
        url = listing_url(listing) if n % 2 else organisation_url(organisation)
        assert client.post(url, answers(), REMOTE_ADDR=f"10.4.0.{n}").status_code == 302
    response = client.post(organisation_url(organisation), answers(), REMOTE_ADDR="10.4.1.1")
    assert response.status_code == 429
    assert Report.objects.count() == limit()


def test_bad_input_does_not_count_towards_the_limit(client, listing):
    for _ in range(limit() + 2):
        client.post(listing_url(listing), answers(reason=None), REMOTE_ADDR="10.5.0.1")
    assert client.post(listing_url(listing), answers(), REMOTE_ADDR="10.5.0.1").status_code == 302


def test_the_limit_is_in_the_shared_cache_not_in_process_memory():
    backend = settings.CACHES["default"]["BACKEND"]
    assert "locmem" not in backend and "dummy" not in backend
    assert settings.ACCOUNT_RATE_LIMITS["report"] == (
        f"{limit()}/{settings.REPORTS_RATE_WINDOW_SECONDS}s/ip,"
        f"{limit()}/{settings.REPORTS_RATE_WINDOW_SECONDS}s/key"
    )


def test_deleting_an_account_keeps_its_reports_without_the_person(client, outsider, listing):
    from accounts.services import delete_account

    client.force_login(outsider)
    client.post(listing_url(listing), answers())
    client.logout()
    client.post(listing_url(listing), answers(email=outsider.email.upper()))
    outsider.emailaddress_set.create(email="second@example.org", verified=True)
    client.post(listing_url(listing), answers(email="Second@example.org"))
    delete_account(outsider)
    assert Report.objects.count() == 3
    assert not Report.objects.exclude(email="").exists()
    assert not Report.objects.filter(reporter__isnull=False).exists()


def test_a_reported_organisation_and_its_reports_outlive_its_only_members_account(
    client, moderator
):
    """Deleting the account deleted the organisation it was alone in, and every report on it
    with it, a referred one too (outside probe, stop 31)."""
    from accounts.services import delete_account
    from reports import services as reports

    alone = MembershipFactory()
    organisation = alone.organisation
    listing = ListingFactory(organisation=organisation)
    client.post(listing_url(listing), answers())
    client.post(organisation_url(organisation), answers())
    about_listing, about_organisation = Report.objects.order_by("pk")
    reports.refer_reports(about_organisation, moderator, "Serious: looks like fraud.")
    delete_account(alone.user)
    about_organisation.refresh_from_db()
    assert about_organisation.status == "referred"
    assert about_organisation.organisation == organisation
    assert Report.objects.get(pk=about_listing.pk).listing == listing
    listing.refresh_from_db()
    assert listing.status == "withdrawn"
    assert not organisation.memberships.exists()
