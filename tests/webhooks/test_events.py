"""Events reach the right people's endpoints, once, from the domain apps' own services."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clusters import services as clusters_services
from enquiries import services as enquiries_services
from introductions import services as introductions_services
from matching import services as matching_services
from matching.engine import Suggestion
from tests import factories as f
from webhooks import services
from webhooks.models import Delivery
from webhooks.tasks import deliver_webhook_task

pytestmark = pytest.mark.django_db


def events_of(endpoint):
    return sorted(endpoint.deliveries.values_list("event", "event_id"))


# emit itself


def test_emit_is_idempotent_per_endpoint_and_key(member, make_endpoint):
    endpoint, _ = make_endpoint(member)
    assert services.emit("match.created", {"a": 1}, user_ids=[member.pk], key="m:1") == 1
    assert services.emit("match.created", {"a": 2}, user_ids=[member.pk], key="m:1") == 0
    assert Delivery.objects.get().payload["data"] == {"a": 1}


def test_emit_reaches_only_the_named_users_endpoints_that_want_the_event(
    member, outsider, make_endpoint
):
    mine, _ = make_endpoint(member, ["match.created"])
    theirs, _ = make_endpoint(outsider, ["match.created"])
    other_event, _ = make_endpoint(member, ["listing.expiring"])
    off, _ = make_endpoint(member, ["match.created"])
    services.deactivate_endpoint(off, "test")
    assert services.emit("match.created", {}, user_ids=[member.pk], key="m:2") == 1
    assert events_of(mine) == [("match.created", "m:2")]
    assert events_of(theirs) == events_of(other_event) == events_of(off) == []


def test_emit_queues_the_delivery_only_when_the_transaction_commits(
    member, make_endpoint, django_capture_on_commit_callbacks, monkeypatch
):
    make_endpoint(member)
    sent = []
    monkeypatch.setattr(deliver_webhook_task, "delay", sent.append)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        services.emit("match.created", {}, user_ids=[member.pk], key="m:3")
        assert sent == []
    assert len(callbacks) == 1
    assert sent == [Delivery.objects.get().pk]


def test_staff_only_events_reach_only_staff_who_may_triage(
    member, triager, moderator, make_endpoint
):
    with pytest.raises(services.NotAllowed):
        make_endpoint(member, ["enquiry.created"])
    with pytest.raises(services.NotAllowed):
        make_endpoint(moderator, ["enquiry.created"])
    triage, _ = make_endpoint(triager, ["enquiry.created"])
    enquiries_services.submit_enquiry(
        {
            "name": "Ann",
            "email": "ann@example.org",
            "organisation_kind": "business",
            "topic": "partnering",
            "message": "Hello",
        }
    )
    (delivery,) = triage.deliveries.all()
    assert delivery.event == "enquiry.created"
    data = delivery.payload["data"]
    assert data["enquiry"]["topic"] == "partnering"
    # Never the sender's name, address or words.
    assert "ann@example.org" not in str(delivery.payload) and "Hello" not in str(data)
    # Once the permission is gone, so are the events, whatever the caller passes.
    triager.groups.clear()
    services.emit("enquiry.created", {}, user_ids=[triager.pk], key="e:x")
    assert triage.deliveries.count() == 1


# From the domain apps


def test_introduction_requested_reaches_the_asked_side_and_accepted_both(member, make_endpoint):
    asker_org = member.memberships.get().organisation
    need = f.ListingFactory(organisation=asker_org, kind="need")
    asked = f.MembershipFactory(role="admin")
    offer = f.ListingFactory(organisation=asked.organisation, kind="offer")
    asker_hook, _ = make_endpoint(member, ["introduction.requested", "introduction.accepted"])
    asked_hook, _ = make_endpoint(asked.user, ["introduction.requested", "introduction.accepted"])
    introduction = introductions_services.request_introduction(
        member, organisation=asker_org, target=offer, message="Hi", about_listing=need
    )
    assert events_of(asker_hook) == []
    assert events_of(asked_hook) == [
        ("introduction.requested", f"introduction.requested:{introduction.pk}")
    ]
    payload = asked_hook.deliveries.get().payload["data"]
    assert payload["introduction"]["id"] == str(introduction.public_id)
    assert payload["introduction"]["target_listing"] == offer.ref
    introductions_services.accept_introduction(introduction, asked.user)
    accepted = ("introduction.accepted", f"introduction.accepted:{introduction.pk}")
    assert accepted in events_of(asker_hook) and accepted in events_of(asked_hook)


def test_listing_expiring_is_sent_once_with_the_reminder(member, outsider, make_endpoint):
    organisation = member.memberships.get().organisation
    listing = f.ListingFactory(
        organisation=organisation, expires_on=timezone.localdate() + timedelta(days=10)
    )
    hook, _ = make_endpoint(member, ["listing.expiring"])
    stranger, _ = make_endpoint(outsider, ["listing.expiring"])
    clusters_services.expire_listings()
    clusters_services.expire_listings()
    (delivery,) = hook.deliveries.all()
    assert delivery.payload["data"]["listing"]["ref"] == listing.ref
    assert delivery.payload["data"]["listing"]["expires_on"] == listing.expires_on.isoformat()
    assert events_of(stranger) == []


def test_a_new_match_is_announced_once_to_its_source_organisation(member, outsider, make_endpoint):
    organisation = member.memberships.get().organisation
    need = f.ListingFactory(organisation=organisation, kind="need")
    offer = f.ListingFactory(kind="offer")
    hook, _ = make_endpoint(member, ["match.created"])
    stranger, _ = make_endpoint(outsider, ["match.created"])
    suggestion = Suggestion(need.ref, offer.ref, 0.7, ("Both about heat pumps",))
    matching_services.store_suggestions([suggestion], [need.ref], "v1")
    # Written again (a rebuild, another score): still one event.
    again = Suggestion(need.ref, offer.ref, 0.6, ("Both about heat pumps",))
    matching_services.store_suggestions([again], [need.ref], "v2")
    (delivery,) = hook.deliveries.all()
    match = delivery.payload["data"]["match"]
    assert match["source"] == {"kind": "listing", "ref": need.ref}
    assert match["target"]["ref"] == offer.ref
    assert match["reasons"] == ["Both about heat pumps"]
    assert events_of(stranger) == []


def test_a_new_match_of_a_challenge_reaches_its_cluster_team(member, make_endpoint):
    challenge = f.ChallengeFactory()
    f.ClusterTeamMemberFactory(user=member, cluster=challenge.cluster, status="approved")
    offer = f.ListingFactory(kind="offer")
    hook, _ = make_endpoint(member, ["match.created"])
    suggestion = Suggestion(challenge.ref, offer.ref, 0.7, ("Capture",))
    matching_services.store_suggestions([suggestion], [challenge.ref], "v1")
    (delivery,) = hook.deliveries.all()
    assert delivery.payload["data"]["match"]["source"] == {
        "kind": "challenge",
        "ref": challenge.ref,
    }


def test_matching_costs_one_query_more_when_nobody_has_a_webhook(member, django_assert_num_queries):
    from matching.events import announce_new_matches

    with django_assert_num_queries(1):
        assert announce_new_matches([("L1", 1, None, 2)]) == 0
