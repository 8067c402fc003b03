"""The decisions on an organisation's or a listing's own admin page: a button for each action
that would change it now, for those who may take it (newcomer probe, stop 29: staff had to go
back to the list, tick the box and choose the action)."""

import pytest
from django.urls import reverse
from django.utils import timezone

from clusters.models import Listing
from staff.roles import MODERATOR, PROGRAMME_ADMIN, TRIAGER
from tests.factories import ListingFactory, OrganisationFactory, staff_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_off")]


def buttons(client, url) -> list[str]:
    response = client.get(url)
    assert response.status_code == 200
    return [label for _, label in response.context.get("decisions", [])]


@pytest.mark.parametrize("role", [MODERATOR, PROGRAMME_ADMIN])
def test_an_organisation_waiting_offers_approve_and_reject_which_lead_to_the_reason_page(
    client, role
):
    organisation = OrganisationFactory(status="pending")
    client.force_login(staff_in(role))
    page = reverse("admin:clusters_organisation_change", args=[organisation.pk])
    assert buttons(client, page) == ["Approve", "Reject, with a reason"]
    html = client.get(page).content.decode()
    assert f'name="_selected_action" value="{organisation.pk}"' in html
    # Pressing one opens the action's own page for the reason; nothing is decided yet.
    response = client.post(
        reverse("admin:clusters_organisation_changelist"),
        {"action": "reject", "_selected_action": [organisation.pk]},
    )
    assert response.status_code == 200 and "Reason" in response.content.decode()
    organisation.refresh_from_db()
    assert organisation.status == "pending"


def test_an_approved_organisation_offers_only_reject(client, moderator):
    organisation = OrganisationFactory(status="approved")
    client.force_login(moderator)
    page = reverse("admin:clusters_organisation_change", args=[organisation.pk])
    assert buttons(client, page) == ["Reject, with a reason"]


@pytest.mark.parametrize(
    "status, expected",
    [
        ("published", ["Take down, with a reason"]),
        ("withdrawn", ["Take down, with a reason"]),
        ("pending", ["Publish", "Take down, with a reason"]),
        ("draft", []),
        ("taken_down", ["Restore"]),
    ],
)
def test_a_listing_offers_what_would_change_it(client, moderator, status, expected):
    listing = ListingFactory(
        status=status,
        published_at=timezone.now(),
        taken_down_at=timezone.now() if status == Listing.Status.TAKEN_DOWN else None,
    )
    client.force_login(moderator)
    page = reverse("admin:clusters_listing_change", args=[listing.pk])
    assert buttons(client, page) == expected


def test_staff_who_may_only_read_see_no_decisions(client):
    """The buttons come from the actions this person may run: reading is not deciding."""
    from django.contrib.auth.models import Permission

    reader = staff_in(TRIAGER)
    reader.user_permissions.add(
        *Permission.objects.filter(codename__in=["view_listing", "view_organisation"])
    )
    client.force_login(reader)
    listing = ListingFactory(organisation=OrganisationFactory(status="pending"), status="pending")
    for page in (
        reverse("admin:clusters_listing_change", args=[listing.pk]),
        reverse("admin:clusters_organisation_change", args=[listing.organisation.pk]),
    ):
        assert buttons(client, page) == []
        assert 'name="_selected_action"' not in client.get(page).content.decode()


def _reject(client, organisation, reason, seen=None):
    data = {
        "action": "reject",
        "_selected_action": [organisation.pk],
        "apply": "1",
        "reason": reason,
    }
    if seen is not None:
        data[f"seen_{organisation.pk}"] = seen
    return client.post(reverse("admin:clusters_organisation_changelist"), data, follow=True)


def test_rejecting_again_emails_nobody_and_keeps_the_first_decision(client, moderator):
    """Each repeat emailed the members again and overwrote the reason (outside probe, stop
    30); the staff API already answered 409."""
    from outbox.models import Email
    from tests.factories import MembershipFactory

    organisation = OrganisationFactory(status="pending")
    MembershipFactory(organisation=organisation)
    client.force_login(moderator)
    page = client.post(
        reverse("admin:clusters_organisation_changelist"),
        {"action": "reject", "_selected_action": [organisation.pk]},
    ).content.decode()
    assert f'name="seen_{organisation.pk}" value="pending"' in page  # the status it shows
    _reject(client, organisation, "Not an industrial organisation.", seen="pending")
    emails = Email.objects.filter(key__startswith=f"organisation-rejected:{organisation.pk}:")
    assert emails.count() == 1
    again = _reject(client, organisation, "Second thoughts.", seen="pending").content.decode()
    assert "0 done" in again and "1 left as they were" in again
    organisation.refresh_from_db()
    assert organisation.status_reason == "Not an industrial organisation."
    assert emails.count() == 1


@pytest.mark.parametrize("action", ["approve", "reject"])
@pytest.mark.parametrize("seen", [None, "", "anything"])
def test_a_decision_not_sent_from_the_reason_page_changes_nothing(client, moderator, action, seen):
    """Without the status the page showed, the check was skipped: a colleague's approval was
    undone by a crafted request (outside probe, stop 31). Each on a status the decision
    would change (approving one approved already changes nothing anyway: review)."""
    before = "rejected" if action == "approve" else "approved"
    organisation = OrganisationFactory(status=before)
    client.force_login(moderator)
    data = {
        "action": action,
        "_selected_action": [organisation.pk],
        "apply": "1",
        "reason": "No seen status.",
    }
    if seen is not None:
        data[f"seen_{organisation.pk}"] = seen
    page = client.post(reverse("admin:clusters_organisation_changelist"), data, follow=True)
    assert "0 done" in page.content.decode()
    organisation.refresh_from_db()
    assert organisation.status == before and organisation.status_reason == ""


def test_a_rejection_from_a_page_read_before_a_colleague_approved_changes_nothing(
    client, moderator
):
    organisation = OrganisationFactory(status="approved")  # approved since the page was read
    client.force_login(moderator)
    _reject(client, organisation, "Looks like spam.", seen="pending")
    organisation.refresh_from_db()
    assert organisation.status == "approved"
    # Read as approved, the rejection is what the person meant: it takes it off the site.
    _reject(client, organisation, "Its website is gone.", seen="approved")
    organisation.refresh_from_db()
    assert organisation.status == "rejected"


def test_a_decision_begun_on_the_object_page_goes_back_there_and_one_from_the_list_to_it(
    client, moderator
):
    """The reason page's Cancel (href="") reloaded the list, and the decision ended there,
    after "Decide" on the organisation's own page (newcomer probe, stop 30)."""
    organisation = OrganisationFactory(status="pending")
    client.force_login(moderator)
    page = reverse("admin:clusters_organisation_change", args=[organisation.pk])
    changelist = reverse("admin:clusters_organisation_changelist")
    assert 'name="_from_object" value="1"' in client.get(page).content.decode()
    begun = {"action": "approve", "_selected_action": [organisation.pk], "_from_object": "1"}
    reason_page = client.post(changelist, begun).content.decode()
    assert f'<a href="{page}" class="button cancel-link">Cancel</a>' in reason_page
    assert 'name="_from_object" value="1"' in reason_page
    done = client.post(
        changelist,
        {**begun, "apply": "1", "reason": "", f"seen_{organisation.pk}": "pending"},
    )
    assert done.status_code == 302 and done["Location"] == page
    organisation.refresh_from_db()
    assert organisation.status == "approved"

    other = OrganisationFactory(status="pending")
    from_list = {"action": "approve", "_selected_action": [other.pk]}
    assert (
        '<a href="" class="button cancel-link">'
        in client.post(changelist, from_list).content.decode()
    )
    done = client.post(
        changelist, {**from_list, "apply": "1", "reason": "", f"seen_{other.pk}": "pending"}
    )
    assert done.status_code == 302 and done["Location"].startswith(changelist)


def test_an_approval_from_a_page_read_before_a_colleague_rejected_changes_nothing(
    client, moderator
):
    """As for rejecting (review, stop 30): the API answered 409, the admin approved."""
    organisation = OrganisationFactory(status="rejected")  # rejected since the page was read
    client.force_login(moderator)
    changelist = reverse("admin:clusters_organisation_changelist")
    data = {"action": "approve", "_selected_action": [organisation.pk], "apply": "1"}
    page = client.post(changelist, {"action": "approve", "_selected_action": [organisation.pk]})
    assert f'name="seen_{organisation.pk}" value="rejected"' in page.content.decode()
    client.post(changelist, {**data, "reason": "", f"seen_{organisation.pk}": "pending"})
    organisation.refresh_from_db()
    assert organisation.status == "rejected"
    client.post(changelist, {**data, "reason": "", f"seen_{organisation.pk}": "rejected"})
    organisation.refresh_from_db()
    assert organisation.status == "approved"  # read as rejected: approving it is meant


def test_a_decision_on_one_organisation_is_worded_for_one(client, moderator):
    organisation = OrganisationFactory(status="pending")
    client.force_login(moderator)
    changelist = reverse("admin:clusters_organisation_changelist")
    chosen = {"action": "approve", "_selected_action": [organisation.pk]}
    page = client.post(changelist, chosen).content.decode()
    assert "Approve organisation</h1>" in page or "<h1>Approve organisation</h1>" in page
    done = client.post(
        changelist,
        {**chosen, "apply": "1", "reason": "", f"seen_{organisation.pk}": "pending"},
        follow=True,
    )
    assert "Approve organisation: 1 done." in done.content.decode()
    two = [OrganisationFactory(status="pending").pk for _ in range(2)]
    page = client.post(changelist, {"action": "approve", "_selected_action": two})
    assert "Approve organisations" in page.content.decode()
