"""A factory for funding calls (tests/factories.py is shared; this one is the funding app's)."""

from datetime import timedelta

import factory
from django.utils import timezone

from clusters.models import Cluster, Theme
from funding.models import FundingCall


class FundingCallFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FundingCall
        skip_postgeneration_save = True

    ref = factory.Sequence(lambda n: f"FC-test-{n}")
    name = factory.Sequence(lambda n: f"Funding call number {n}")
    funder = "Innovate UK"
    link = "https://example.org/call"
    value = "up to £2m"
    deadline = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=30))
    description = "Grants for industrial heat pumps and heat recovery."

    @factory.post_generation
    def themes(self, create, extracted, **kwargs):
        if create and extracted:
            self.themes.set(Theme.objects.filter(slug__in=extracted))

    @factory.post_generation
    def clusters(self, create, extracted, **kwargs):
        if create and extracted:
            self.clusters.set(Cluster.objects.filter(slug__in=extracted))
