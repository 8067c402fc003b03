"""Staff roles: each group can do its own work in the admin and nothing else."""

import io

import pytest
from django.apps import apps
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.core.management import call_command
from django.urls import reverse

from clusters.models import Listing, Organisation
from enquiries.models import Enquiry, Message
from staff.roles import MODERATOR, PROGRAMME_ADMIN, ROLES, TRIAGER, sync_roles
from tests.enquiries.conftest import make_enquiry
from tests.factories import ListingFactory, MembershipFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_off")]


def seen(pks) -> dict:
    """The organisations' statuses, as the reason page sends them back (seen_<pk>)."""
    from clusters.models import Organisation

    statuses = Organisation.objects.filter(pk__in=pks).values_list("pk", "status")
    return {f"seen_{pk}": status for pk, status in statuses}


def run_action(client, changelist, action, pks, reason=""):
    return client.post(
        reverse(changelist),
        {"action": action, "_selected_action": pks, "apply": "1", "reason": reason, **seen(pks)},
    )


def offered_actions(client, changelist) -> set[str]:
    response = client.get(reverse(changelist))
    assert response.status_code == 200
    form = response.context["action_form"]  # None when no action is offered at all
    return {name for name, _ in form.fields["action"].choices} if form else set()


@pytest.fixture
def pending_organisation(db):
    return MembershipFactory(organisation__status=Organisation.Status.PENDING).organisation


# Triagers -----------------------------------------------------------------------------------


def test_a_triager_cannot_moderate_organisations_or_listings(client, triager, pending_organisation):
    listing = ListingFactory()
    client.force_login(triager)
    for changelist in [
        "admin:clusters_organisation_changelist",
        "admin:clusters_listing_changelist",
    ]:
        assert client.get(reverse(changelist)).status_code == 403

    response = run_action(
        client, "admin:clusters_organisation_changelist", "approve", [pending_organisation.pk]
    )
    assert response.status_code == 403
    response = run_action(
        client, "admin:clusters_listing_changelist", "unpublish", [listing.pk], "Because"
    )
    assert response.status_code == 403

    pending_organisation.refresh_from_db()
    listing.refresh_from_db()
    assert pending_organisation.status == Organisation.Status.PENDING
    assert listing.status == Listing.Status.PUBLISHED


def test_a_triager_cannot_see_or_change_users(client, triager, member):
    client.force_login(triager)
    change = reverse("admin:accounts_user_change", args=[member.pk])
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 403
    assert client.get(change).status_code == 403
    response = client.post(change, {"email": member.email, "name": member.name, "is_staff": "on"})
    assert response.status_code == 403
    member.refresh_from_db()
    assert not member.is_staff


def test_a_triager_can_reply_to_an_enquiry(client, triager, django_capture_on_commit_callbacks):
    enquiry = make_enquiry()
    client.force_login(triager)
    url = reverse("admin:enquiries_enquiry_change", args=[enquiry.pk])
    assert client.get(url).status_code == 200
    data = {
        "status": enquiry.status,
        "priority": enquiry.priority,
        "assignee": triager.pk,
        "cluster": "",
        "topic": enquiry.topic,
        "reply": "Two organisations on the Humber work on exactly this.",
        "note": "Worth an introduction.",
        "_continue": "Save and continue editing",
    }
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, data)
    assert response.status_code == 302

    reply = enquiry.messages.get(direction=Message.Direction.OUTBOUND)
    assert reply.author == triager
    assert enquiry.messages.filter(direction=Message.Direction.NOTE).exists()
    assert mail.outbox[-1].to == [enquiry.email]
    enquiry.refresh_from_db()
    assert enquiry.assignee == triager and enquiry.status == Enquiry.Status.WAITING


def test_a_triager_can_run_the_enquiry_actions_but_not_delete(client, triager):
    enquiry = make_enquiry()
    client.force_login(triager)
    changelist = "admin:enquiries_enquiry_changelist"
    actions = offered_actions(client, changelist)
    assert {"assign_to_me", "mark_spam", "mark_closed", "export_csv"} <= actions
    assert "delete_selected" not in actions

    client.post(reverse(changelist), {"action": "assign_to_me", "_selected_action": [enquiry.pk]})
    enquiry.refresh_from_db()
    assert enquiry.assignee == triager


# Moderators ---------------------------------------------------------------------------------


def test_a_moderator_can_approve_an_organisation(
    client, moderator, pending_organisation, django_capture_on_commit_callbacks
):
    client.force_login(moderator)
    assert "approve" in offered_actions(client, "admin:clusters_organisation_changelist")
    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(
            client, "admin:clusters_organisation_changelist", "approve", [pending_organisation.pk]
        )
    assert response.status_code == 302
    pending_organisation.refresh_from_db()
    assert pending_organisation.status == Organisation.Status.APPROVED
    assert pending_organisation.reviewed_by == moderator


def test_a_moderator_can_unpublish_a_listing_but_not_delete_it(
    client, moderator, django_capture_on_commit_callbacks
):
    listing = ListingFactory()
    client.force_login(moderator)
    actions = offered_actions(client, "admin:clusters_listing_changelist")
    assert "unpublish" in actions and "delete_selected" not in actions
    with django_capture_on_commit_callbacks(execute=True):
        run_action(
            client, "admin:clusters_listing_changelist", "unpublish", [listing.pk], "Off topic"
        )
    listing.refresh_from_db()
    assert listing.status == Listing.Status.TAKEN_DOWN


def test_a_moderator_cannot_triage_enquiries_or_change_users(client, moderator, member):
    enquiry = make_enquiry()
    client.force_login(moderator)
    assert client.get(reverse("admin:enquiries_enquiry_changelist")).status_code == 403
    response = client.post(
        reverse("admin:enquiries_enquiry_changelist"),
        {"action": "mark_spam", "_selected_action": [enquiry.pk]},
    )
    assert response.status_code == 403
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.NEW
    assert client.get(reverse("admin:accounts_user_change", args=[member.pk])).status_code == 403


# Programme admins ---------------------------------------------------------------------------


def test_a_programme_admin_can_look_up_users_but_not_change_them(client, programme_admin, member):
    client.force_login(programme_admin)
    change = reverse("admin:accounts_user_change", args=[member.pk])
    assert client.get(reverse("admin:accounts_user_changelist")).status_code == 200
    assert client.get(change).status_code == 200
    client.post(change, {"email": member.email, "name": member.name, "is_staff": "on"})
    member.refresh_from_db()
    assert not member.is_staff
    for changelist in [
        "admin:enquiries_enquiry_changelist",
        "admin:clusters_organisation_changelist",
        "admin:clusters_listing_changelist",
        "admin:outbox_email_changelist",
    ]:
        assert client.get(reverse(changelist)).status_code == 200


def test_no_role_can_touch_authenticators_groups_or_permissions():
    for role in ROLES:
        labels = set(
            Group.objects.get(name=role).permissions.values_list(
                "content_type__app_label", flat=True
            )
        )
        assert labels.isdisjoint({"mfa", "auth", "sessions", "admin", "account"}), role


# The groups themselves ----------------------------------------------------------------------


def test_the_migration_made_each_role_with_exactly_its_permissions_and_sync_restores_them():
    triager = Group.objects.get(name=TRIAGER)
    codenames = set(triager.permissions.values_list("codename", flat=True))
    assert codenames == {"view_enquiry", "change_enquiry", "view_enquiryevent"}

    triager.permissions.add(Permission.objects.get(codename="change_user"))
    counts = sync_roles(apps)
    assert set(triager.permissions.values_list("codename", flat=True)) == codenames
    assert counts[TRIAGER] == 3
    # 6, team requests (view, decide), reports (view, moderate), funding calls (view),
    # insights (view)
    assert counts[MODERATOR] == 12
    assert counts[PROGRAMME_ADMIN] > 50
    assert sync_roles(apps) == counts


def test_moderation_actions_are_only_offered_to_people_who_may_change_the_rows(
    client, pending_organisation
):
    viewer = UserFactory(is_staff=True)
    viewer.user_permissions.add(
        Permission.objects.get(codename="view_organisation"),
        Permission.objects.get(codename="view_listing"),
    )
    client.force_login(viewer)
    assert not {"approve", "reject"} & offered_actions(
        client, "admin:clusters_organisation_changelist"
    )
    assert "unpublish" not in offered_actions(client, "admin:clusters_listing_changelist")


def test_the_sync_command_reports_each_role():
    out = io.StringIO()
    call_command("sync_staff_roles", stdout=out)
    assert out.getvalue().splitlines()[:2] == [
        "Triager: 3 permissions",
        "Moderator: 12 permissions",
    ]
