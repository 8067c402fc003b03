"""Asking to join a cluster's team from the site, and staff deciding in the admin (issue #12)."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.urls import reverse
from django.utils import timezone

from enquiries.services import programme_address
from outbox.models import Email
from staff.roles import MODERATOR, PROGRAMME_ADMIN, TRIAGER
from teams.models import ClusterTeamMember
from tests.factories import ClusterTeamMemberFactory, UserFactory, staff_in

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_off")]

JOIN = reverse("teams:join", args=["humber"])


def run_action(client, action, pks, reason=""):
    return client.post(
        reverse("admin:teams_clusterteammember_changelist"),
        {"action": action, "_selected_action": pks, "apply": "1", "reason": reason},
    )


def test_signed_out_visitor_is_sent_to_sign_in_and_nothing_is_asked(client):
    response = client.post(JOIN, {"body": "Humber plan"})
    assert response.status_code == 302 and "/account/login/" in response["Location"]
    assert not ClusterTeamMember.objects.exists()


def test_cluster_page_links_to_joining_its_team(client):
    page = client.get(reverse("clusters:cluster-detail", args=["humber"])).content.decode()
    assert JOIN in page


def test_member_asks_to_join_and_staff_hear_of_it_once(client, member):
    client.force_login(member)
    data = {"body": "Humber  Industrial Cluster Plan", "message": "Programme office"}
    response = client.post(JOIN, data)
    assert response.status_code == 302
    place = ClusterTeamMember.objects.get(user=member)
    assert place.status == "pending" and place.body == "Humber Industrial Cluster Plan"
    again = client.get(client.post(JOIN, data)["Location"]).content.decode()
    assert "already asked" in again
    assert ClusterTeamMember.objects.filter(user=member).count() == 1
    emails = Email.objects.filter(to=programme_address(), key__startswith="team-request:")
    assert emails.count() == 1
    assert "Humber Industrial Cluster Plan" in emails.get().body_text


def test_a_request_without_a_body_shows_what_to_fix(client, member):
    client.force_login(member)
    response = client.post(JOIN, {"body": "  "})
    assert response.status_code == 200
    assert "Enter the name of the cluster body you work for" in response.content.decode()
    assert not ClusterTeamMember.objects.exists()


def test_get_of_the_join_page_asks_nothing(client, member):
    client.force_login(member)
    assert client.get(JOIN).status_code == 200
    assert not ClusterTeamMember.objects.exists()


@pytest.mark.parametrize("role", [MODERATOR, PROGRAMME_ADMIN])
def test_moderators_and_programme_admins_approve_requests_through_the_action(client, role):
    place = ClusterTeamMemberFactory(status="pending")
    staff = staff_in(role)
    client.force_login(staff)
    assert run_action(client, "approve", [place.pk]).status_code == 302
    place.refresh_from_db()
    assert place.status == "approved" and place.decided_by == staff
    told = Email.objects.get(to=place.user.email)
    assert "You are in the “Humber” cluster team" in told.subject
    history = LogEntry.objects.get(object_id=str(place.pk))
    assert history.user == staff and "Approve team request" in history.change_message
    # Pressed again: nothing changes, nobody is told twice.
    run_action(client, "approve", [place.pk])
    assert Email.objects.filter(to=place.user.email).count() == 1


def test_moderator_rejects_with_a_reason_the_person_is_told(client):
    place = ClusterTeamMemberFactory(status="pending")
    client.force_login(staff_in(MODERATOR))
    run_action(client, "reject", [place.pk], "We could not confirm you work for the plan.")
    place.refresh_from_db()
    assert place.status == "rejected"
    assert "could not confirm" in Email.objects.get(to=place.user.email).body_text


def test_rejecting_without_a_reason_asks_for_one_and_changes_nothing(client):
    place = ClusterTeamMemberFactory(status="pending")
    client.force_login(staff_in(MODERATOR))
    response = run_action(client, "reject", [place.pk], "")
    assert response.status_code == 200 and "Enter the reason" in response.content.decode()
    place.refresh_from_db()
    assert place.status == "pending"


def test_removed_member_can_no_longer_reach_the_team_pages(client):
    place = ClusterTeamMemberFactory()
    client.force_login(staff_in(PROGRAMME_ADMIN))
    run_action(client, "remove", [place.pk], "Left the cluster body.")
    place.refresh_from_db()
    assert place.status == "removed"
    client.force_login(place.user)
    assert client.get(reverse("teams:dashboard", args=["humber"])).status_code == 404


def test_triager_cannot_decide_team_requests(client):
    place = ClusterTeamMemberFactory(status="pending")
    client.force_login(staff_in(TRIAGER))
    assert run_action(client, "approve", [place.pk]).status_code == 403
    place.refresh_from_db()
    assert place.status == "pending"


def test_nobody_edits_the_status_in_the_admin(client):
    place = ClusterTeamMemberFactory(status="pending")
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:teams_clusterteammember_change", args=[place.pk])
    client.post(url, {"status": "approved"})
    place.refresh_from_db()
    assert place.status == "pending"


def test_after_a_rejection_the_person_waits_a_week_before_asking_again(client, member):
    ClusterTeamMemberFactory(
        user=member, status="rejected", decided_at=timezone.now() - timedelta(days=2)
    )
    client.force_login(member)
    page = client.get(client.post(JOIN, {"body": "Humber plan"})["Location"]).content.decode()
    assert "You can ask again after" in page
    assert not ClusterTeamMember.objects.filter(status="pending").exists()
    ClusterTeamMember.objects.update(decided_at=timezone.now() - timedelta(days=8))
    client.post(JOIN, {"body": "Humber plan"})
    assert ClusterTeamMember.objects.filter(user=member, status="pending").exists()
