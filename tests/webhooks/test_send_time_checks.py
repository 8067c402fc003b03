"""Checked again when a delivery is sent (it may have waited hours for a retry): the owner is
still active, may still have the event, and still belongs to what the event is about."""

import pytest

from tests.factories import ClusterTeamMemberFactory, MembershipFactory
from webhooks import audiences, services
from webhooks.models import Delivery

pytestmark = pytest.mark.django_db


def sent(delivery, receiver):
    """Deliver it; return its status, error, and whether any request was made."""
    before = len(receiver.calls)
    status = services.deliver(delivery.pk)
    delivery.refresh_from_db()
    return status, delivery.last_error, len(receiver.calls) > before


def test_an_owner_deactivated_after_the_event_gets_nothing(member, make_endpoint, receiver):
    endpoint, _ = make_endpoint(member)
    services.emit("match.created", {}, user_ids=[member.pk], key="m:1")
    waiting = endpoint.deliveries.get()
    member.is_active = False
    member.save(update_fields=["is_active"])
    status, error, requested = sent(waiting, receiver)
    assert status == "failed" and not requested
    assert "no longer active" in error


def test_a_deactivated_owners_ping_is_not_sent_either(member, make_endpoint, receiver):
    endpoint, _ = make_endpoint(member)
    ping = services.send_ping(endpoint)
    member.is_active = False
    member.save(update_fields=["is_active"])
    status, error, requested = sent(ping, receiver)
    assert (status, requested) == ("failed", False) and "no longer active" in error


def test_staff_who_lost_the_triage_permission_get_no_queued_enquiries(
    triager, make_endpoint, receiver
):
    endpoint, _ = make_endpoint(triager, ["enquiry.created"])
    services.emit("enquiry.created", {}, user_ids=[triager.pk], key="e:1")
    waiting = endpoint.deliveries.get()
    triager.groups.clear()
    status, error, requested = sent(waiting, receiver)
    assert status == "failed" and not requested
    assert "may no longer receive “enquiry.created” events" in error


def test_a_triager_who_still_may_gets_it(triager, make_endpoint, receiver):
    endpoint, _ = make_endpoint(triager, ["enquiry.created"])
    services.emit("enquiry.created", {}, user_ids=[triager.pk], key="e:1")
    status, _, requested = sent(endpoint.deliveries.get(), receiver)
    assert (status, requested) == ("delivered", True)


def test_a_member_who_left_the_organisation_gets_nothing_more_about_it(
    member, organisation, make_endpoint, receiver
):
    endpoint, _ = make_endpoint(member, ["introduction.requested"])
    services.emit(
        "introduction.requested",
        {"introduction": {"id": "x"}},
        user_ids=[member.pk],
        key="i:1",
        audience=[audiences.organisation(organisation.pk)],
    )
    waiting = endpoint.deliveries.get()
    assert waiting.audience == [f"organisation:{organisation.pk}"]
    member.memberships.all().delete()
    # Now a member of another organisation: not the one the event is about.
    MembershipFactory(user=member)
    status, error, requested = sent(waiting, receiver)
    assert status == "failed" and not requested
    assert "no longer a member of the organisation" in error


def test_a_member_still_in_the_organisation_gets_it(member, organisation, make_endpoint, receiver):
    endpoint, _ = make_endpoint(member, ["listing.expiring"])
    services.emit_many(
        "listing.expiring",
        [({"n": 1}, [member.pk], "l:1", [audiences.organisation(organisation.pk)])],
    )
    status, _, requested = sent(endpoint.deliveries.get(), receiver)
    assert (status, requested) == ("delivered", True)


def test_an_event_about_two_organisations_reaches_a_member_of_either(
    member, outsider, organisation, make_endpoint, receiver
):
    endpoint, _ = make_endpoint(outsider, ["introduction.accepted"])
    other = outsider.memberships.get().organisation
    services.emit(
        "introduction.accepted",
        {},
        user_ids=[outsider.pk],
        key="i:2",
        audience=[audiences.organisation(organisation.pk), audiences.organisation(other.pk)],
    )
    status, _, requested = sent(endpoint.deliveries.get(), receiver)
    assert (status, requested) == ("delivered", True)


def test_a_cluster_team_member_no_longer_approved_gets_nothing(make_endpoint, receiver):
    place = ClusterTeamMemberFactory()
    endpoint, _ = make_endpoint(place.user, ["match.created"])
    services.emit(
        "match.created",
        {},
        user_ids=[place.user.pk],
        key="m:C1",
        audience=[audiences.cluster_team(place.cluster_id)],
    )
    waiting = endpoint.deliveries.get()
    place.status = "pending"
    place.save(update_fields=["status"])
    status, error, requested = sent(waiting, receiver)
    assert status == "failed" and not requested
    assert "cluster team" in error


def test_an_unknown_kind_fails_closed():
    assert audiences.belongs(1, []) is True
    assert audiences.belongs(1, ["planet:3"]) is False
    assert audiences.belongs(1, ["organisation:x"]) is False


def test_deliveries_without_an_audience_are_sent_as_before(member, make_endpoint, receiver):
    endpoint, _ = make_endpoint(member)
    services.emit("match.created", {}, user_ids=[member.pk], key="m:2")
    waiting = endpoint.deliveries.get()
    assert waiting.audience == []
    status, _, requested = sent(waiting, receiver)
    assert (status, requested) == ("delivered", True)
    assert Delivery.objects.filter(status="failed").count() == 0
