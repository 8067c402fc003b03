"""A change of name or website of an approved organisation waits for staff; the old values show
until staff approve it (issue #10, defect 7)."""

import re

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse

from clusters.importer import export_exchange
from clusters.models import Organisation, OrganisationChange
from staff.roles import MODERATOR
from tests.factories import ListingFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

FAKE = "HM Treasury Official Grants Office"
FAKE_SITE = "https://hmt-grants.example"


@pytest.fixture
def moderator(db):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=MODERATOR))
    return user


def profile(organisation, **changes):
    return {
        "name": organisation.name,
        "kind": organisation.kind,
        "description": organisation.description,
        "website": organisation.website,
        "size": "",
        "location": "",
        **changes,
    }


def run_action(client, action, pks, reason=""):
    """As a moderator does it: the confirmation page first (it carries the version of each
    change it shows), then confirm."""
    url = reverse("admin:clusters_organisation_changelist")
    data = {"action": action, "_selected_action": pks}
    page = client.post(url, data)
    seen = dict(re.findall(r'name="(seen_\d+)" value="(\d+)"', page.content.decode()))
    return client.post(url, {**data, "apply": "1", "reason": reason, **seen})


@pytest.fixture
def renamed(client, member, organisation):
    """The approved organisation's admin asks to rename it; the listing is public."""
    listing = ListingFactory(organisation=organisation)
    client.force_login(member)
    response = client.post(
        reverse("clusters:organisation-edit", args=[organisation.ref]),
        profile(organisation, name=FAKE, website=FAKE_SITE, description="Grants for all"),
    )
    assert response.status_code == 302
    client.logout()
    return listing


def test_a_rename_of_an_approved_organisation_does_not_show_until_staff_approve(
    client, organisation, renamed
):
    old_name, old_site = "Organisation", organisation.website
    organisation.refresh_from_db()
    assert organisation.name.startswith(old_name) and organisation.website == old_site
    assert organisation.description == "Grants for all"  # other fields save as today
    for url in [
        renamed.get_absolute_url(),
        reverse("clusters:offer-list"),
        f"/api/listings/{renamed.ref}/",
        "/api/listings/",
    ]:
        body = client.get(url).content.decode()
        assert FAKE not in body and FAKE_SITE not in body, url
        assert organisation.name in body, url
    exported = export_exchange()
    assert FAKE not in str(exported) and FAKE_SITE not in str(exported)
    assert OrganisationChange.objects.get().name == FAKE


def test_the_member_page_says_the_change_is_waiting_for_review(client, member, organisation):
    client.force_login(member)
    response = client.post(
        reverse("clusters:organisation-edit", args=[organisation.ref]),
        profile(organisation, name=FAKE),
        follow=True,
    )
    page = response.content.decode()
    assert "waiting for review" in page
    assert FAKE in page
    # The form shows the name asked for; saving it again changes nothing else.
    form = client.get(reverse("clusters:organisation-edit", args=[organisation.ref]))
    assert form.context["form"].initial["name"] == FAKE


def test_staff_approve_a_rename_and_the_admins_are_emailed(
    client, member, organisation, renamed, moderator, django_capture_on_commit_callbacks
):
    plain = MembershipFactory(organisation=organisation, role="member").user
    client.force_login(moderator)
    assert client.get(reverse("admin:index")).context["panel"].moderation.changes_waiting == 1
    queue = client.get(reverse("admin:clusters_organisation_changelist"), {"change": "waiting"})
    assert [o.pk for o in queue.context["cl"].result_list] == [organisation.pk]
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "approve_change", [organisation.pk])
    assert response.status_code == 302
    organisation.refresh_from_db()
    assert organisation.name == FAKE and organisation.website == FAKE_SITE
    change = OrganisationChange.objects.get()
    assert change.status == OrganisationChange.Status.APPROVED
    assert change.decided_by == moderator
    recipients = [m.to for m in mail.outbox]
    assert [member.email] in recipients and [plain.email] not in recipients
    assert FAKE not in mail.outbox[-1].subject  # a chosen name never stands in a subject
    assert FAKE in client.get(renamed.get_absolute_url()).content.decode()


def test_staff_reject_a_rename_with_a_reason(
    client, member, organisation, renamed, moderator, django_capture_on_commit_callbacks
):
    old = organisation.name
    client.force_login(moderator)
    response = run_action(client, "reject_change", [organisation.pk], "")
    assert "Enter the reason" in response.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, "reject_change", [organisation.pk], "You are not HM Treasury.")
    organisation.refresh_from_db()
    assert organisation.name == old
    change = OrganisationChange.objects.get()
    assert change.status == OrganisationChange.Status.REJECTED
    assert change.reason == "You are not HM Treasury."
    assert mail.outbox[-1].to == [member.email]
    assert "You are not HM Treasury." in mail.outbox[-1].body
    client.force_login(member)
    page = client.get(reverse("clusters:organisation-detail", args=[organisation.ref]))
    assert "You are not HM Treasury." in page.content.decode()


def test_an_unapproved_organisation_changes_its_name_at_once(client):
    member = MembershipFactory(organisation__status=Organisation.Status.PENDING).user
    organisation = member.memberships.get().organisation
    client.force_login(member)
    client.post(
        reverse("clusters:organisation-edit", args=[organisation.ref]),
        profile(organisation, name="A better name Ltd"),
    )
    organisation.refresh_from_db()
    assert organisation.name == "A better name Ltd"
    assert not OrganisationChange.objects.exists()


def test_asking_again_replaces_the_waiting_change_and_going_back_withdraws_it(
    client, member, organisation
):
    old = organisation.name
    client.force_login(member)
    url = reverse("clusters:organisation-edit", args=[organisation.ref])
    client.post(url, profile(organisation, name=FAKE))
    client.post(url, profile(organisation, name="Second try Ltd"))
    assert OrganisationChange.objects.get(status="open").name == "Second try Ltd"
    client.post(url, profile(organisation, name=old))
    assert not OrganisationChange.objects.filter(status="open").exists()
    organisation.refresh_from_db()
    assert organisation.name == old


def test_an_outsider_cannot_rename_another_organisation(client, outsider, organisation):
    client.force_login(outsider)
    response = client.post(
        reverse("clusters:organisation-edit", args=[organisation.ref]),
        profile(organisation, name=FAKE),
    )
    assert response.status_code == 404
    assert not OrganisationChange.objects.exists()


def test_a_triager_cannot_approve_a_rename(client, organisation, renamed):
    from staff.roles import TRIAGER

    triager = UserFactory(is_staff=True)
    triager.groups.add(Group.objects.get(name=TRIAGER))
    client.force_login(triager)
    assert run_action(client, "approve_change", [organisation.pk]).status_code == 403
    organisation.refresh_from_db()
    assert organisation.name != FAKE


def test_staff_are_emailed_once_for_each_new_name_asked_for(
    client, member, organisation, django_capture_on_commit_callbacks
):
    from enquiries.services import programme_address

    client.force_login(member)
    edit = reverse("clusters:organisation-edit", args=[organisation.ref])
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit, profile(organisation, name=FAKE))
        client.post(edit, profile(organisation, name=FAKE))  # saved again: nothing new
    to_staff = [m for m in mail.outbox if m.to == [programme_address()]]
    assert len(to_staff) == 1
    assert FAKE in to_staff[0].body and organisation.name in to_staff[0].body
    assert "\n" not in to_staff[0].subject and FAKE not in to_staff[0].subject
    with django_capture_on_commit_callbacks(execute=True):
        client.post(edit, profile(organisation, name=FAKE + " Ltd"))  # a different name
    assert len([m for m in mail.outbox if m.to == [programme_address()]]) == 2


def test_the_admin_approves_only_the_name_its_page_showed(client, member, organisation, moderator):
    """The confirmation page shows the name asked for; if the organisation asks for another
    before the moderator confirms, nothing is approved and the new request waits (review:
    the admin action approved whatever was waiting when it was sent)."""
    from clusters import services

    url = reverse("admin:clusters_organisation_changelist")
    chosen = {"action": "approve_change", "_selected_action": [organisation.pk]}

    def ask(name):
        data = {"name": name, "website": organisation.website}
        services.update_organisation(organisation, member, data, clusters=[])

    def read_then(before_confirming=lambda: None):
        page = client.post(url, chosen).content.decode()
        shown = re.search(rf'name="seen_{organisation.pk}" value="(\d+)"', page).group(1)
        before_confirming()
        seen = {f"seen_{organisation.pk}": shown}
        client.post(url, {**chosen, "apply": "1", "reason": "", **seen})
        return page

    ask("Acme Coatings Ltd")
    client.force_login(moderator)
    page = read_then(lambda: ask(FAKE))
    assert "asks to be named “Acme Coatings Ltd”" in page
    organisation.refresh_from_db()
    assert organisation.name != FAKE and organisation.name != "Acme Coatings Ltd"
    assert OrganisationChange.objects.open().get().name == FAKE

    # Read again, the new request is shown and approved as shown.
    assert f"asks to be named “{FAKE}”" in read_then()
    organisation.refresh_from_db()
    assert organisation.name == FAKE
