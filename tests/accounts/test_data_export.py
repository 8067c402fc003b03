"""Download your data: it holds everything kept about the person, and nothing of anyone else's
beyond what they see on the site; a new link to a person that is not exported fails here."""

import json

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, models
from django.test import Client
from django.test.utils import CaptureQueriesContext, isolate_apps
from django.urls import reverse
from django.utils import timezone

from accounts.export import EXCLUDED, EXCLUDED_MODELS, EXPORTED, export_user_data
from clusters.models import Membership
from introductions import services as introductions
from tests.conftest import confirm_it_is_you
from tests.factories import (
    AttachmentFactory,
    AuthenticatorFactory,
    ClusterFactory,
    ClusterTeamMemberFactory,
    DigestFactory,
    EmailPreferenceFactory,
    EnquiryEventFactory,
    EnquiryFactory,
    EnquiryMessageFactory,
    IntroductionFactory,
    InvitationFactory,
    JoinRequestFactory,
    ListingFactory,
    ListingMuteFactory,
    ListingReviewFactory,
    LogEntryFactory,
    MatchFactory,
    MatchNoticeFactory,
    MembershipFactory,
    OrganisationChangeFactory,
    OrganisationFactory,
    OutboxEmailFactory,
    PrivacyConsentFactory,
    SavedSearchFactory,
    SearchNoticeFactory,
    ShortlistFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db
URL = "account-download-data"


# The registry: every link to a person is exported or excluded with a reason ---------------


def _label(field) -> str:
    return f"{field.model._meta.label}.{field.name}"


def _forward_links(model):
    return [
        f
        for f in model._meta.get_fields()
        if f.is_relation
        and not f.auto_created
        and (f.many_to_one or f.one_to_one or f.many_to_many)
    ]


def links_to_people(models_=None) -> set[str]:
    """Every "app.Model.field" that ties rows to a person: a relation to the user model, a
    relation to a model that has one (one level deeper), the user model's own relations, and
    every email address field."""
    models_ = list(models_ or apps.get_models())
    user_model = get_user_model()
    direct = {f for m in models_ for f in _forward_links(m) if f.related_model is user_model} | set(
        _forward_links(user_model)
    )
    owners = {f.model for f in direct} - {user_model}
    deeper = {f for m in models_ for f in _forward_links(m) if f.related_model in owners}
    emails = {
        f for m in models_ for f in m._meta.concrete_fields if isinstance(f, models.EmailField)
    }
    return {_label(f) for f in direct | deeper | emails}


def test_every_link_to_a_person_is_exported_or_excluded_with_a_reason():
    missing = links_to_people() - EXPORTED.keys() - EXCLUDED.keys()
    assert not missing, (
        f"Add these to accounts.export.EXPORTED (and the export) or EXCLUDED: {sorted(missing)}"
    )


def test_the_registry_names_only_real_fields_each_once_with_a_reason():
    assert not EXPORTED.keys() & EXCLUDED.keys()
    for key in [*EXPORTED, *EXCLUDED]:
        app_label, model_name, field = key.split(".")
        apps.get_model(app_label, model_name)._meta.get_field(field)  # raises if it is gone
    assert all(len(reason) > 20 for reason in [*EXCLUDED.values(), *EXCLUDED_MODELS.values()])
    for model in EXCLUDED_MODELS:
        apps.get_model(model)


@isolate_apps("accounts")
def test_a_new_model_linked_to_a_person_is_caught_until_it_is_registered():
    class Bookmark(models.Model):
        owner = models.ForeignKey(get_user_model(), on_delete=models.CASCADE)
        contact = models.EmailField()

        class Meta:
            app_label = "accounts"

        def __str__(self):
            return self.contact

    found = links_to_people([*apps.get_models(), Bookmark])
    assert {"accounts.Bookmark.owner", "accounts.Bookmark.contact"} <= found
    assert {"accounts.Bookmark.owner", "accounts.Bookmark.contact"}.isdisjoint(
        EXPORTED.keys() | EXCLUDED.keys()
    )


def test_a_row_keyed_on_a_persons_own_row_is_found_one_level_deeper():
    found = links_to_people()
    # An attachment belongs to an enquiry message; a notice to a digest.
    assert {"enquiries.Attachment.message", "notifications.MatchNotice.digest"} <= found


# One of everything ------------------------------------------------------------------------


def one_of_everything(user, tag: str) -> list[str]:
    """Give `user` one row of each kind the site keeps about a person, with `tag` in the
    text; return strings that only this user's export may hold."""
    ours = MembershipFactory(user=user, organisation__name=f"{tag} Works Ltd").organisation
    colleague = MembershipFactory(
        organisation=ours, role="member", user__name=f"{tag} colleague"
    ).user
    theirs = OrganisationFactory(name=f"{tag} Partners plc")
    partner = MembershipFactory(organisation=theirs, user__name=f"{tag} partner").user
    need = ListingFactory(
        organisation=ours, kind="need", title=f"{tag} need for heat", created_by=user
    )
    offer = ListingFactory(organisation=theirs, kind="offer", title=f"{tag} offer of heat")

    # Account.
    PrivacyConsentFactory(user=user, version=f"v-{tag}")
    user.groups.add(Group.objects.get_or_create(name=f"{tag} role")[0])
    user.user_permissions.add(Permission.objects.get(codename="view_enquiry"))
    if not user.authenticator_set.exists():
        AuthenticatorFactory(user=user)
    from api.services import create_token, revoke_token

    revoke_token(create_token(user, f"{tag} CRM", "read")[0], by=user)
    from webhooks.models import Endpoint

    Endpoint.objects.create(
        user=user, url=f"https://93.184.215.14/{tag}", secret_sealed=f"sealed-{tag}"
    )
    # Joining organisations.
    JoinRequestFactory(user=user, organisation=theirs, message=f"{tag} let me in")
    JoinRequestFactory(
        organisation=ours, user__name=f"{tag} applicant", decided_by=user, status="declined"
    )
    InvitationFactory(organisation=ours, invited_by=user, email=f"{tag}-invitee@example.org")
    InvitationFactory(organisation=theirs, invited_by=partner, email=user.email.upper())
    # Matches and the emails about them.
    match = MatchFactory(
        source_listing=need, target=offer, status="interested", status_changed_at=timezone.now()
    )
    if not hasattr(user, "email_preference"):
        EmailPreferenceFactory(user=user)
    ListingMuteFactory(user=user, listing=ListingFactory(organisation=ours, title=f"{tag} mute"))
    digest = DigestFactory(user=user, period=f"daily:{tag}", clicked_at=timezone.now())
    MatchNoticeFactory(user=user, match=match, digest=digest)
    SearchNoticeFactory(
        saved_search=SavedSearchFactory(user=user, name=f"{tag} saved search"),
        digest=digest,
        title=f"{tag} found by a search",
    )
    from notifications.models import FundingNotice
    from tests.funding.factories import FundingCallFactory

    FundingNotice.objects.create(
        user=user, listing=need, call=FundingCallFactory(name=f"{tag} funding call"), digest=digest
    )
    # An introduction, accepted: both sides' contacts are shared.
    accepted = IntroductionFactory(
        source_listing=need,
        target_listing=offer,
        requested_by=user,
        message=f"{tag} introduction message",
        status="accepted",
        decided_by=partner,
        decided_at=timezone.now(),
    )
    # What came of it, as the user answered for their side.
    from introductions.models import Outcome

    Outcome.objects.create(
        introduction=accepted,
        organisation=accepted.from_organisation,
        result=Outcome.Result.TRIAL,
        answered_by=user,
    )
    # An enquiry from the user's address, with a reply, a note and the history of its triage.
    enquiry = EnquiryFactory(email=user.email, name=user.name, subject=f"{tag} enquiry")
    AttachmentFactory(
        message=EnquiryMessageFactory(enquiry=enquiry, body=f"{tag} enquiry body"),
        filename=f"{tag}-plan.txt",
    )
    EnquiryMessageFactory(enquiry=enquiry, direction="outbound", body=f"{tag} our reply")
    EnquiryMessageFactory(enquiry=enquiry, direction="note", body=f"{tag} internal note")
    EnquiryEventFactory(enquiry=enquiry)
    OutboxEmailFactory(to=user.email, subject=f"{tag} email subject", body_text=f"{tag} body")
    # Staff work.
    theirs.reviewed_by = user
    theirs.reviewed_at = timezone.now()
    theirs.save(update_fields=["reviewed_by", "reviewed_at"])
    handled = EnquiryFactory(email=f"{tag}-stranger@example.org", assignee=user)
    EnquiryMessageFactory(enquiry=handled, direction="outbound", author=user)
    EnquiryEventFactory(enquiry=handled, actor=user)
    LogEntryFactory(user=user, object_repr=f"{tag} record")
    # Asking staff to look again, and staff answering such requests.
    down = ListingFactory(
        organisation=ours,
        title=f"{tag} taken down",
        status="taken_down",
        taken_down_at=timezone.now(),
        taken_down_by=user,
    )
    ListingReviewFactory(listing=down, requested_by=user, message=f"{tag} please look again")
    ListingReviewFactory(
        listing__organisation=theirs,
        status="kept_down",
        decided_by=user,
        decided_at=timezone.now(),
    )
    OrganisationChangeFactory(organisation=ours, requested_by=user, name=f"{tag} New Name Ltd")
    OrganisationChangeFactory(
        organisation=theirs, status="rejected", decided_by=user, decided_at=timezone.now()
    )
    # A place in a cluster team, an offer shortlisted, and a team request decided as staff.
    team_cluster = ClusterFactory(slug=f"{tag.lower()}-cluster")
    ClusterTeamMemberFactory(user=user, cluster=team_cluster, body=f"{tag} cluster body")
    ShortlistFactory(added_by=user, listing=offer)
    ClusterTeamMemberFactory(status="rejected", decided_by=user, decided_at=timezone.now())
    # Reports: one signed in, one signed out from the user's address; and as staff.
    from reports.services import refer_reports, resolve_reports, submit_report

    submit_report(offer, reason="spam", details=f"{tag} report signed in", reporter=user)
    submit_report(theirs, reason="other", details=f"{tag} report signed out", email=user.email)
    reported = submit_report(OrganisationFactory(), reason="spam", details="")
    refer_reports(reported, user, f"{tag} referral note")
    # Referred, it is a programme admin's to decide (dismissing it is not a moderator's).
    resolve_reports(reported, user, f"{tag} decision note")
    return [
        user.email,
        user.name,
        colleague.email,
        f"{tag} cluster body",
        f"{tag} report signed in",
        f"{tag} report signed out",
        ours.name,
        need.title,
        f"{tag} let me in",
        f"{tag}-invitee@example.org",
        f"daily:{tag}",
        f"{tag} saved search",
        f"{tag} found by a search",
        f"{tag} introduction message",
        enquiry.reference,
        f"{tag} enquiry body",
        f"{tag} email subject",
        f"v-{tag}",
        f"{tag} please look again",
        f"{tag} New Name Ltd",
    ]


def _values(data, path: str) -> list:
    """What a registry section ("a.*.b") holds in an export."""
    values = [data]
    for part in path.split("."):
        if part == "*":
            values = [item for value in values for item in value]
        else:
            values = [value[part] for value in values]
    return values


def _text(data) -> str:
    return json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False)


def test_every_section_holds_the_persons_data_and_none_of_another_persons():
    alice = UserFactory(is_staff=True, name="Alice Ash")
    bob = UserFactory(is_staff=True, name="Bob Birch")
    one_of_everything(alice, "Alpha")
    bobs = one_of_everything(bob, "Bravo")

    data = export_user_data(alice)

    empty = [p for p in set(EXPORTED.values()) if not any(_values(data, p))]
    assert not empty, f"sections with nothing in them: {sorted(empty)}"
    text = _text(data)
    assert [s for s in bobs if s in text] == []


def test_the_sections_hold_what_the_site_shows():
    alice = UserFactory(is_staff=True)
    one_of_everything(alice, "Alpha")

    data = export_user_data(alice)

    assert data["format"] == "cluster-exchange-personal-data/1"
    assert data["account"]["second_factors"][0]["type"] == "totp"
    emails = data["match_emails"]
    assert emails["preference"]["cadence"] == "weekly"
    assert emails["digests"][0]["period"] == "daily:Alpha"
    assert emails["digests"][0]["link_followed"] is not None
    assert emails["notices"][0]["answer"] == "interested"
    assert data["organisations"][0]["match_answers"][0]["answer"] == "interested"
    introduction = data["introductions"][0]
    assert introduction["direction"] == "sent" and introduction["status"] == "Accepted"
    assert introduction["message"] == "Alpha introduction message"
    assert introduction["other_organisation"] == "Alpha Partners plc"
    enquiry = next(e for e in data["enquiries"] if e["subject"] == "Alpha enquiry")
    assert [m["direction"] for m in enquiry["messages"]] == ["inbound", "outbound"]
    assert enquiry["messages"][0]["attachments"][0]["filename"] == "Alpha-plan.txt"
    assert data["emails"][-1]["subject"] == "Alpha email subject"
    assert data["invitations"]["received"][0]["organisation"] == "Alpha Partners plc"


def test_no_secret_body_or_internal_note_is_exported():
    alice = UserFactory(is_staff=True)
    one_of_everything(alice, "Alpha")
    secret = alice.authenticator_set.get().data["secret"]

    text = _text(export_user_data(alice))

    assert secret not in text
    assert alice.password not in text
    assert "Alpha body" not in text  # the outbox email's body
    assert "Alpha internal note" not in text
    assert "Alpha record" not in text  # an admin log's description of another record
    assert "Alpha decision note" not in text  # staff reasons on reports may name others
    assert "Alpha referral note" not in text
    assert "sealed-Alpha" not in text  # a webhook's signing secret


def test_the_other_side_of_an_introduction_is_named_only_once_accepted(member, outsider):
    need = ListingFactory(organisation=member.memberships.get().organisation, kind="need")
    offer = ListingFactory(organisation=outsider.memberships.get().organisation)
    introduction = IntroductionFactory(
        source_listing=need, target_listing=offer, requested_by=member
    )

    before = export_user_data(member)
    introductions.accept_introduction(introduction, outsider)
    after = export_user_data(member)

    assert outsider.email not in _text(before) and before["introductions"][0]["contacts"] == []
    assert {"name": outsider.name, "email": outsider.email} == {
        k: after["introductions"][0]["contacts"][1][k] for k in ("name", "email")
    }


def test_a_quiet_decline_still_reads_as_waiting_to_the_side_that_asked(member, outsider):
    need = ListingFactory(organisation=member.memberships.get().organisation, kind="need")
    offer = ListingFactory(organisation=outsider.memberships.get().organisation)
    introduction = IntroductionFactory(
        source_listing=need, target_listing=offer, requested_by=member
    )
    introductions.decline_introduction(introduction, outsider, tell_now=False)

    asked = export_user_data(member)["introductions"][0]
    answered = export_user_data(outsider)["introductions"][0]

    assert asked["status"] == "Waiting for a reply" and asked["contacts"] == []
    assert outsider.email not in _text(asked) and outsider.name not in _text(asked)
    assert answered["status"] == "Declined" and answered["answered_by_you"] is True


def test_enquiries_and_emails_count_as_the_persons_only_from_a_verified_address(member):
    member.emailaddress_set.create(email="second@example.org", verified=True)
    member.emailaddress_set.create(email="claimed@example.org", verified=False)
    EnquiryFactory(email="SECOND@example.org", subject="From my second address")
    EnquiryFactory(email="claimed@example.org", subject="From an address never confirmed")
    OutboxEmailFactory(to="claimed@example.org", subject="Confirm this address")
    OutboxEmailFactory(to="Second@Example.org", subject="To my second address")

    data = export_user_data(member)

    assert [e["subject"] for e in data["enquiries"]] == ["From my second address"]
    assert [e["subject"] for e in data["emails"]] == ["To my second address"]


def test_the_export_takes_as_many_queries_for_many_rows_as_for_one():
    few, many = UserFactory(is_staff=True), UserFactory(is_staff=True)
    one_of_everything(few, "Few")
    for tag in ("Many1", "Many2", "Many3"):
        one_of_everything(many, tag)

    with CaptureQueriesContext(connection) as one:
        export_user_data(few)
    with CaptureQueriesContext(connection) as three:
        data = export_user_data(many)

    assert len(data["organisations"]) == 3 and len(data["enquiries"]) == 3
    assert len(three) == len(one) <= 49  # a fixed number per kind of row, never per row


def test_the_export_changes_nothing(member):
    counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()}

    export_user_data(member)

    assert counts == {m._meta.label: m._default_manager.count() for m in apps.get_models()}
    assert not hasattr(get_user_model().objects.get(pk=member.pk), "email_preference")


# The download ---------------------------------------------------------------------------


def test_the_download_is_an_attachment_that_no_cache_keeps(client, member):
    client.force_login(member)
    confirm_it_is_you(client)

    response = client.post(reverse(URL))

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment; filename=")
    assert "no-store" in response["Cache-Control"]
    assert response["Content-Type"] == "application/json; charset=utf-8"


def test_a_get_of_the_download_is_refused_and_changes_nothing(client, member):
    client.force_login(member)
    counts = {m._meta.label: m._default_manager.count() for m in apps.get_models()}

    assert client.get(reverse(URL)).status_code == 405
    assert client.head(reverse(URL)).status_code == 405
    assert counts == {m._meta.label: m._default_manager.count() for m in apps.get_models()}


def test_the_download_needs_a_csrf_token(member):
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)

    assert client.post(reverse(URL)).status_code == 403


def test_anyone_else_downloads_only_their_own_data(client, member, outsider):
    client.force_login(outsider)
    confirm_it_is_you(client)

    response = client.post(reverse(URL), {"user": member.pk, "email": member.email})

    data = json.loads(response.content)
    assert data["account"]["email"] == outsider.email
    assert member.email not in response.content.decode()


def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(client, member):
    response = client.post(reverse(URL))

    assert response.status_code == 302
    assert reverse("account_login") in response["Location"]


def test_the_your_data_page_lists_the_new_sections(client, member):
    client.force_login(member)
    confirm_it_is_you(client)

    page = client.get(reverse("account-your-data")).content.decode()

    for words in ("emails about matches", "introductions", "enquiries", "second way to sign in"):
        assert words in page


def test_a_member_who_left_keeps_the_introduction_they_asked_for(member, outsider):
    need = ListingFactory(organisation=member.memberships.get().organisation, kind="need")
    offer = ListingFactory(organisation=outsider.memberships.get().organisation)
    IntroductionFactory(
        source_listing=need, target_listing=offer, requested_by=member, message="Our own words"
    )
    Membership.objects.filter(user=member).delete()

    data = export_user_data(member)

    assert [(i["direction"], i["message"]) for i in data["introductions"]] == [
        ("sent", "Our own words")
    ]


def test_the_export_has_what_the_user_said_came_of_an_introduction():
    user = UserFactory(is_staff=True)
    one_of_everything(user, "Outcome")
    data = export_user_data(user)
    outcomes = [o for i in data["introductions"] for o in i["outcomes"]]
    assert [(o["result"], o["answered_by_you"]) for o in outcomes] == [("A trial or pilot", True)]
