"""The staff queue of reports in the admin: who may see it and decide, and what each decision
does (take the listing down, dismiss, refer, resolve), for every open report on the object."""

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse

from clusters.models import Listing
from outbox.models import Email
from reports.models import Report
from reports.services import submit_report
from tests.factories import ListingFactory, OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_off")]

LIST = "/admin/reports/report/"
REASON = "It advertises a product unrelated to decarbonisation."


def change_url(report) -> str:
    return reverse("admin:reports_report_change", args=[report.pk])


def run_action(client, action, reports, reason=REASON):
    return client.post(
        LIST,
        {
            "action": action,
            "_selected_action": [r.pk for r in reports],
            "apply": "1",
            "reason": reason,
        },
    )


def fresh(obj):
    obj.refresh_from_db()
    return obj


@pytest.fixture
def listing(organisation):
    return ListingFactory(organisation=organisation, title="Cheap crypto heat pumps")


@pytest.fixture
def reports(listing):
    """Two open reports of the same listing and one of another listing."""
    first = submit_report(listing, reason="spam", details="An advert", email="a@example.org")
    second = submit_report(listing, reason="wrong", details="Not true")
    other = submit_report(ListingFactory(), reason="offensive", details="Rude words")
    return first, second, other


@pytest.fixture
def organisation_report(db):
    return submit_report(
        OrganisationFactory(name="Shady Holdings"), reason="other", details="Not a real firm"
    )


# Who sees the queue --------------------------------------------------------------------------


def test_a_triager_cannot_see_the_queue_or_act_on_it(client, triager, reports):
    client.force_login(triager)
    assert client.get(LIST).status_code == 403
    assert client.get(change_url(reports[0])).status_code == 403
    assert run_action(client, "dismiss", reports[:1]).status_code == 403
    assert fresh(reports[0]).status == Report.Status.OPEN
    assert "Reports from visitors" not in client.get("/admin/").content.decode()


def test_a_signed_out_visitor_or_a_member_is_sent_to_sign_in(client, member, reports):
    for user in (None, member):
        if user:
            client.force_login(user)
        response = client.get(LIST)
        assert response.status_code == 302 and "/admin/login/" in response["Location"]


def test_the_queue_lists_open_reports_only_by_default(client, moderator, reports, staff):
    from reports.services import dismiss_reports

    closed = submit_report(ListingFactory(title="Already dealt with"), reason="spam", details="")
    dismiss_reports(closed, staff, "Fine")
    client.force_login(moderator)
    page = client.get(LIST).content.decode()
    assert "Cheap crypto heat pumps" in page
    assert "Already dealt with" not in page
    everything = client.get(LIST + "?queue=all").content.decode()
    assert "Already dealt with" in everything
    by_reason = client.get(LIST + "?reason__exact=offensive").content.decode()
    assert "Cheap crypto heat pumps" not in by_reason
    searched = client.get(LIST + "?q=crypto").content.decode()
    assert "Cheap crypto heat pumps" in searched
    assert 'href="?queue=all"' in page  # the filter is offered


def test_the_queue_reads_a_fixed_number_of_queries(
    client, moderator, reports, django_assert_max_num_queries
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client.force_login(moderator)
    client.get(LIST)  # the session and permissions, read once
    with CaptureQueriesContext(connection) as few:
        client.get(LIST)
    for n in range(30):
        submit_report(ListingFactory(), reason="spam", details=f"Report {n}")
    with django_assert_max_num_queries(len(few)):
        response = client.get(LIST)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 33
    assert len(few) <= 14


def test_the_admin_home_counts_open_reports_for_moderators(client, moderator, reports):
    client.force_login(moderator)
    page = client.get("/admin/").content.decode()
    assert 'id="reports-open"' in page
    assert f'<a href="{LIST}">3</a>' in page


# A report's page -----------------------------------------------------------------------------


def test_a_report_page_shows_what_was_reported_and_the_decisions_beside_it(
    client, moderator, reports, listing
):
    client.force_login(moderator)
    response = client.get(change_url(reports[0]))
    page = response.content.decode()
    assert response.status_code == 200
    assert not response.context["has_change_permission"]  # read-only: no status to edit
    assert 'name="status"' not in page
    assert f'href="{reverse("admin:clusters_listing_change", args=[listing.pk])}"' in page
    assert "Cheap crypto heat pumps" in page and "a@example.org" in page
    assert 'value="dismiss"' in page and 'value="take_down"' in page
    assert 'value="refer"' not in page  # organisations only
    assert 'value="resolve"' not in page  # programme admins only
    assert "Dismiss (no action needed)" in page and "Take the listing down" in page
    assert "A decision closes every open report on the same listing or organisation." in page


def test_an_organisation_report_page_offers_dismiss_and_refer(
    client, moderator, organisation_report
):
    client.force_login(moderator)
    page = client.get(change_url(organisation_report)).content.decode()
    org = organisation_report.organisation
    assert f'href="{reverse("admin:clusters_organisation_change", args=[org.pk])}"' in page
    assert 'value="dismiss"' in page and 'value="refer"' in page
    assert 'value="take_down"' not in page


def test_report_details_and_names_are_escaped_in_the_admin(client, moderator, programme_admin):
    organisation = OrganisationFactory(name="<b>Bold</b> Ltd")
    listing = ListingFactory(organisation=organisation, title="<img src=x onerror=alert(1)>")
    report = submit_report(
        listing,
        reason="other",
        details="<script>alert('details')</script>",
        email="x@example.org",
    )
    for user in (moderator, programme_admin):
        client.force_login(user)
        for url in (change_url(report), LIST):
            page = client.get(url).content.decode()
            assert "<script>alert(" not in page
            assert "<img src=x" not in page
            assert "&lt;img src=x onerror=alert(1)&gt;" in page
        assert "&lt;script&gt;alert(" in client.get(change_url(report)).content.decode()


def test_nobody_edits_a_report_by_hand_not_even_a_superuser(client, staff, reports):
    client.force_login(staff)
    response = client.post(change_url(reports[0]), {"status": "dismissed"})
    assert response.status_code == 403
    assert fresh(reports[0]).status == Report.Status.OPEN
    assert client.get(reverse("admin:reports_report_add")).status_code == 403


# Decisions -----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["moderator", "programme_admin"])
def test_taking_the_listing_down_closes_every_open_report_on_it(
    client, request, who, reports, listing, member, django_capture_on_commit_callbacks
):
    user = request.getfixturevalue(who)
    client.force_login(user)
    first, second, other = reports
    # The reason page comes first: nothing is decided by choosing the action.
    page = client.post(
        LIST, {"action": "take_down", "_selected_action": [first.pk]}
    ).content.decode()
    assert 'name="reason"' in page
    assert fresh(listing).status == Listing.Status.PUBLISHED
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "take_down", [first])
    assert response.status_code == 302
    listing = fresh(listing)
    assert listing.status == Listing.Status.TAKEN_DOWN
    assert listing.taken_down_by == user and listing.status_reason == REASON
    for report in (fresh(first), fresh(second)):
        assert report.status == Report.Status.TAKEN_DOWN
        assert report.decided_by == user and report.decision_reason == REASON
        assert report.decided_at is not None
    assert fresh(other).status == Report.Status.OPEN
    # Its organisation is told, as when staff take it down from the listing's own page.
    assert Email.objects.filter(to=member.email, subject__icontains="taken down").exists()
    assert client.get(listing.get_absolute_url()).status_code == 410  # gone
    # The history of the report and of the listing say who decided and why.
    assert LogEntry.objects.filter(object_id=str(first.pk), change_message__contains=REASON)
    assert LogEntry.objects.filter(object_id=str(listing.pk), change_message__contains=REASON)
    # The queue no longer shows them.
    assert "Cheap crypto heat pumps" not in client.get(LIST).content.decode()


def test_a_listing_already_taken_down_still_has_its_reports_closed(
    client, moderator, reports, listing, staff
):
    from clusters.services import unpublish_listing

    unpublish_listing(listing, staff, "Taken down from its own page")
    client.force_login(moderator)
    run_action(client, "take_down", [reports[0]])
    assert fresh(reports[1]).status == Report.Status.TAKEN_DOWN
    assert fresh(listing).status_reason == "Taken down from its own page"  # not overwritten


def test_withdrawing_a_reported_listing_does_not_escape_its_take_down(
    client, moderator, reports, listing
):
    """Review, stop 29: withdrawn first, the listing stayed withdrawn while its reports closed
    as taken down, and its organisation could publish it again."""
    from clusters.services import NotAllowed, submit_listing, withdraw_listing

    withdraw_listing(listing)
    client.force_login(moderator)
    run_action(client, "take_down", [reports[0]])
    assert fresh(listing).status == Listing.Status.TAKEN_DOWN
    assert fresh(reports[0]).status == Report.Status.TAKEN_DOWN
    with pytest.raises(NotAllowed):
        submit_listing(fresh(listing))
    assert fresh(listing).status == Listing.Status.TAKEN_DOWN


def test_dismissing_needs_a_reason_and_closes_the_reports_on_the_same_listing(
    client, moderator, reports, listing
):
    client.force_login(moderator)
    response = run_action(client, "dismiss", [reports[0]], reason="")
    assert response.status_code == 200 and "Enter the reason" in response.content.decode()
    assert fresh(reports[0]).status == Report.Status.OPEN
    run_action(client, "dismiss", [reports[0]], reason="It is a real product")
    for report in reports[:2]:
        report = fresh(report)
        assert report.status == Report.Status.DISMISSED
        assert report.decided_by == moderator
        assert report.decision_reason == "It is a real product"
    assert fresh(reports[2]).status == Report.Status.OPEN
    assert fresh(listing).status == Listing.Status.PUBLISHED


def test_an_organisation_report_is_referred_by_a_moderator_and_resolved_by_a_programme_admin(
    client, moderator, programme_admin, organisation_report
):
    second = submit_report(organisation_report.organisation, reason="spam", details="")
    client.force_login(moderator)
    run_action(client, "refer", [organisation_report], reason="Check Companies House")
    for report in (fresh(organisation_report), fresh(second)):
        assert report.status == Report.Status.REFERRED
        assert report.referred_by == moderator
        assert report.referral_reason == "Check Companies House"
    assert "Shady Holdings" in client.get(LIST).content.decode()  # still in the queue
    # A moderator cannot resolve: the action is not theirs.
    response = run_action(client, "resolve", [organisation_report], reason="Done")
    assert response.status_code == 302
    assert fresh(organisation_report).status == Report.Status.REFERRED
    client.force_login(programme_admin)
    page = client.get(change_url(organisation_report)).content.decode()
    assert 'value="resolve"' in page and 'value="refer"' not in page
    run_action(client, "resolve", [organisation_report], reason="Rejected the organisation")
    for report in (fresh(organisation_report), fresh(second)):
        assert report.status == Report.Status.RESOLVED
        assert report.decided_by == programme_admin
        assert report.decision_reason == "Rejected the organisation"
        assert report.referred_by == moderator  # the referral is kept


def test_a_moderator_neither_dismisses_a_referred_report_nor_closes_it_with_a_new_one(
    client, moderator, programme_admin, organisation_report
):
    """Referred to a programme admin, a report could still be dismissed by a moderator, and
    dismissing a new report on the same organisation closed the referred ones with it
    (outside probe, stop 30). A programme admin may dismiss them."""
    client.force_login(moderator)
    run_action(client, "refer", [organisation_report], reason="Check Companies House")
    page = client.get(change_url(organisation_report)).content.decode()
    assert 'value="dismiss"' not in page
    run_action(client, "dismiss", [organisation_report])
    assert fresh(organisation_report).status == Report.Status.REFERRED
    later = submit_report(organisation_report.organisation, reason="spam", details="")
    run_action(client, "dismiss", [later])
    assert fresh(later).status == Report.Status.DISMISSED
    assert fresh(organisation_report).status == Report.Status.REFERRED
    client.force_login(programme_admin)
    assert 'value="dismiss"' in client.get(change_url(organisation_report)).content.decode()
    run_action(client, "dismiss", [organisation_report])
    assert fresh(organisation_report).status == Report.Status.DISMISSED


def test_take_down_leaves_an_organisation_report_as_it_was(client, moderator, organisation_report):
    client.force_login(moderator)
    run_action(client, "take_down", [organisation_report])
    assert fresh(organisation_report).status == Report.Status.OPEN


def test_a_moderator_without_the_listing_permission_cannot_take_down(client, reports, listing):
    from django.contrib.auth.models import Permission

    user = UserFactory(is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(codename__in=["view_report", "moderate_report"])
    )
    client.force_login(user)
    run_action(client, "take_down", [reports[0]])
    assert fresh(listing).status == Listing.Status.PUBLISHED
    assert fresh(reports[0]).status == Report.Status.OPEN
