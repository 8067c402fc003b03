"""Factories for the tests: one per model, producing valid rows with readable text."""

import factory

from clusters.models import Challenge, Cluster, Listing, Organisation, Theme
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
