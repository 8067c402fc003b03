"""Factories for the tests: one per model, producing valid rows with readable text."""

from datetime import timedelta

import factory
from django.contrib.contenttypes.models import ContentType
from django.utils import timezone

from clusters.models import (
    Challenge,
    Cluster,
    Listing,
    ListingReview,
    Organisation,
    OrganisationChange,
    Theme,
)
from clusters.search import search_document


class ClusterFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Cluster
        django_get_or_create = ["slug"]

    slug = factory.Sequence(lambda n: f"cluster-{n}")
    name = factory.Sequence(lambda n: f"Test cluster {n}")
    region = "Somewhere in the UK"
    emissions_mtco2 = 1


class ChallengeFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Challenge
        skip_postgeneration_save = True

    ref = factory.Sequence(lambda n: f"ch-test-{n}")
    cluster = factory.LazyFunction(lambda: Cluster.objects.get(slug="humber"))
    title = factory.Sequence(lambda n: f"Challenge number {n}")
    description = "Reduce emissions from process heat on a large site."
    status = Challenge.Status.OPEN
    search_document = factory.LazyAttribute(lambda o: search_document(o.title, o.description))

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(Theme.objects.filter(slug__in=extracted))


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    ref = factory.Sequence(lambda n: f"org-test-{n}")
    name = factory.Sequence(lambda n: f"Organisation {n} Ltd")
    kind = Organisation.Kind.BUSINESS
    status = Organisation.Status.APPROVED
    description = "A fictional organisation for tests."
    website = "https://example.org"


class ListingFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Listing
        skip_postgeneration_save = True

    ref = factory.Sequence(lambda n: f"L-test-{n}")
    organisation = factory.SubFactory(OrganisationFactory)
    kind = Listing.Kind.OFFER
    title = factory.Sequence(lambda n: f"Listing number {n}")
    description = "Heat pumps for industrial drying."
    status = Listing.Status.PUBLISHED
    search_document = factory.LazyAttribute(lambda o: search_document(o.title, o.description))

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(Theme.objects.filter(slug__in=extracted))

    @factory.post_generation
    def clusters(self, create, extracted, **kwargs):
        if create and extracted:
            self.clusters.set(Cluster.objects.filter(slug__in=extracted))


class UserFactory(factory.django.DjangoModelFactory):
    """A user whose email address is verified (as after clicking the link)."""

    class Meta:
        model = "accounts.User"
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"person{n}@example.org")
    name = factory.Sequence(lambda n: f"Person {n}")
    password = factory.django.Password("a long enough password")

    @factory.post_generation
    def verified(self, create, extracted, **kwargs):
        if create and extracted is not False:
            from allauth.account.models import EmailAddress

            EmailAddress.objects.create(user=self, email=self.email, verified=True, primary=True)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "clusters.Membership"

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory, status=Organisation.Status.APPROVED)
    role = "admin"


# The rest of what the site keeps about a person (see accounts/export.py) -----------------


class PrivacyConsentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "accounts.PrivacyConsent"

    user = factory.SubFactory(UserFactory)
    version = "2026-11"


class AuthenticatorFactory(factory.django.DjangoModelFactory):
    """A TOTP second factor; `data` stands in for the secret that must never be exported."""

    class Meta:
        model = "mfa.Authenticator"

    user = factory.SubFactory(UserFactory)
    type = "totp"
    data = factory.Sequence(lambda n: {"secret": f"TOTPSECRET{n:06d}"})


class JoinRequestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "clusters.JoinRequest"

    organisation = factory.SubFactory(OrganisationFactory)
    user = factory.SubFactory(UserFactory)
    message = "We work with your team on the Humber."


class InvitationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "clusters.Invitation"

    organisation = factory.SubFactory(OrganisationFactory)
    email = factory.Sequence(lambda n: f"invited{n}@example.org")
    token = factory.Sequence(lambda n: f"invitation-token-{n:08d}")
    invited_by = factory.SubFactory(UserFactory)


class MatchFactory(factory.django.DjangoModelFactory):
    """A suggestion of `target` for the listing `source_listing`."""

    class Meta:
        model = "matching.Match"

    source_listing = factory.SubFactory(ListingFactory, kind="need")
    source_key = factory.LazyAttribute(lambda o: f"L{o.source_listing.pk}")
    target = factory.SubFactory(ListingFactory, kind="offer")
    score = 0.8
    rank = 1
    reasons = ["both about heat pumps"]
    engine_version = "test"
    computed_at = factory.LazyFunction(timezone.now)


class EmailPreferenceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notifications.EmailPreference"

    user = factory.SubFactory(UserFactory)
    cadence = "weekly"


class ListingMuteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notifications.ListingMute"

    user = factory.SubFactory(UserFactory)
    listing = factory.SubFactory(ListingFactory)


class DigestFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "notifications.Digest"

    user = factory.SubFactory(UserFactory)
    cadence = "daily"
    period = factory.Sequence(lambda n: f"daily:2026-11-{n % 28 + 1:02d}-{n}")


class MatchNoticeFactory(factory.django.DjangoModelFactory):
    """A match told to `user`, in `digest`; source and target are the match's listings."""

    class Meta:
        model = "notifications.MatchNotice"

    user = factory.SubFactory(UserFactory)
    match = factory.SubFactory(MatchFactory)
    source = factory.LazyAttribute(lambda o: o.match.source_listing)
    target = factory.LazyAttribute(lambda o: o.match.target)
    score = factory.LazyAttribute(lambda o: o.match.score)
    reasons = factory.LazyAttribute(lambda o: o.match.reasons)
    digest = factory.SubFactory(DigestFactory, user=factory.SelfAttribute("..user"))


class SavedSearchFactory(factory.django.DjangoModelFactory):
    """A saved search of the offers page; it starts looking for new results now."""

    class Meta:
        model = "searches.SavedSearch"

    user = factory.SubFactory(UserFactory)
    page = "offers"
    query = factory.Sequence(lambda n: f"q=heat+{n}")
    name = factory.Sequence(lambda n: f"Heat search {n}")


class SearchNoticeFactory(factory.django.DjangoModelFactory):
    """A new result of `saved_search` told to its owner, in `digest`."""

    class Meta:
        model = "notifications.SearchNotice"

    saved_search = factory.SubFactory(SavedSearchFactory)
    user = factory.SelfAttribute("saved_search.user")
    item_type = "clusters.listing"
    item_id = factory.Sequence(lambda n: n + 1)
    title = factory.Sequence(lambda n: f"Found listing {n}")
    line = "Offer from Organisation Ltd"
    path = factory.Sequence(lambda n: f"/listings/L-found-{n}/")
    published_at = factory.LazyFunction(timezone.now)
    digest = factory.SubFactory(DigestFactory, user=factory.SelfAttribute("..user"))


class IntroductionFactory(factory.django.DjangoModelFactory):
    """An open request from the owner of `source_listing` to the owner of `target_listing`."""

    class Meta:
        model = "introductions.Introduction"

    source_listing = factory.SubFactory(ListingFactory, kind="need")
    target_listing = factory.SubFactory(ListingFactory, kind="offer")
    from_organisation = factory.LazyAttribute(lambda o: o.source_listing.organisation)
    to_organisation = factory.LazyAttribute(lambda o: o.target_listing.organisation)
    requested_by = factory.SubFactory(UserFactory)
    message = "We would like to talk about your heat pumps."
    expires_at = factory.LazyFunction(lambda: timezone.now() + timedelta(days=30))


class EnquiryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "enquiries.Enquiry"

    reference = factory.Sequence(lambda n: f"GC-2026-{n + 90000:05d}")
    name = "Ada Lovelace"
    email = factory.Sequence(lambda n: f"enquirer{n}@example.org")
    organisation = "Analytical Engines Ltd"
    organisation_kind = "business"
    topic = "partnering"


class EnquiryMessageFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "enquiries.Message"

    enquiry = factory.SubFactory(EnquiryFactory)
    direction = "inbound"
    sender = factory.LazyAttribute(lambda o: f"{o.enquiry.name} <{o.enquiry.email}>")
    body = "We run a glassworks near the Humber and need hydrogen burners."


class AttachmentFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "enquiries.Attachment"

    message = factory.SubFactory(EnquiryMessageFactory)
    file = factory.django.FileField(filename="plan.txt", data=b"A site plan.")
    filename = "plan.txt"
    content_type = "text/plain"
    size = 12


class EnquiryEventFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "enquiries.EnquiryEvent"

    enquiry = factory.SubFactory(EnquiryFactory)
    field = "status"
    old = "new"
    new = "triaged"


class OutboxEmailFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "outbox.Email"

    key = factory.Sequence(lambda n: f"test-email:{n}")
    kind = "account"
    to = factory.Sequence(lambda n: f"person{n}@example.org")
    subject = factory.Sequence(lambda n: f"A test email number {n}")
    body_text = "Hello."


class LogEntryFactory(factory.django.DjangoModelFactory):
    """A change recorded by the admin (as the admin's own log_action writes it)."""

    class Meta:
        model = "admin.LogEntry"

    user = factory.SubFactory(UserFactory, is_staff=True)
    content_type = factory.LazyFunction(
        lambda: ContentType.objects.get(app_label="clusters", model="organisation")
    )
    object_id = "1"
    object_repr = "An organisation"
    action_flag = 2  # change


class ListingReviewFactory(factory.django.DjangoModelFactory):
    """An organisation's request that staff look again at a listing they took down."""

    class Meta:
        model = ListingReview

    listing = factory.SubFactory(
        ListingFactory,
        status=Listing.Status.TAKEN_DOWN,
        taken_down_at=factory.LazyFunction(timezone.now),
    )
    message = "Please look again: we corrected the description."


class OrganisationChangeFactory(factory.django.DjangoModelFactory):
    """A new name and website an approved organisation asked for, waiting for staff."""

    class Meta:
        model = OrganisationChange

    organisation = factory.SubFactory(OrganisationFactory)
    name = factory.Sequence(lambda n: f"Renamed organisation {n}")
    website = "https://renamed.example"


class ClusterTeamMemberFactory(factory.django.DjangoModelFactory):
    """An approved place in the Humber cluster's team (pass status="pending" for a request)."""

    class Meta:
        model = "teams.ClusterTeamMember"

    user = factory.SubFactory(UserFactory)
    cluster = factory.LazyFunction(lambda: Cluster.objects.get(slug="humber"))
    body = "Humber Industrial Cluster Plan"
    message = "I run the cluster's programme office."
    status = "approved"


class ShortlistFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "teams.Shortlist"

    challenge = factory.SubFactory(ChallengeFactory)
    listing = factory.SubFactory(ListingFactory)
    added_by = factory.SubFactory(UserFactory)


def staff_in(role: str, **fields):
    """A member of staff in one role (staff.roles: TRIAGER, MODERATOR, PROGRAMME_ADMIN)."""
    from django.contrib.auth.models import Group

    user = UserFactory(is_staff=True, **fields)
    user.groups.add(Group.objects.get(name=role))
    return user
