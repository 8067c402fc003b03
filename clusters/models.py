"""Clusters, their decarbonisation challenges, themes, organisations and their listings."""

from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector
from django.core.validators import MinValueValidator, RegexValidator
from django.db import connection, models
from django.db.models import Q
from django.urls import reverse

from .search import stems

REF_PATTERN = r"^[A-Za-z0-9._-]{1,64}$"
ref_validator = RegexValidator(
    REF_PATTERN, "Use 1 to 64 letters, digits, dots, hyphens or underscores."
)
TITLE_MAX = 200
DESCRIPTION_MAX = 10_000


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class SearchableQuerySet(models.QuerySet):
    """Keyword search over title and description that finds word stems.

    On PostgreSQL this is its full-text search (English configuration, title ranked
    above description); elsewhere every stem of the query must appear among the stems
    stored in `search_document`.
    """

    def search(self, query: str):
        query = (query or "").strip()
        if not query:
            return self
        if connection.vendor == "postgresql":
            match = SearchQuery(query, config="english", search_type="websearch")
            vector = SearchVector("title", weight="A", config="english") + SearchVector(
                "description", weight="B", config="english"
            )
            # The unweighted vector is the expression the GIN index holds (migration 0003);
            # the weighted one only ranks the rows that matched.
            return (
                self.alias(_search=SearchVector("title", "description", config="english"))
                .filter(_search=match)
                .annotate(search_rank=SearchRank(vector, match))
            )
        words = stems(query)
        if not words:
            return self.none()
        condition = Q()
        for stem in words:
            condition &= Q(search_document__contains=f" {stem} ")
        return self.filter(condition).annotate(search_rank=models.Value(0.0))


class Theme(models.Model):
    """One of the controlled themes of the exchange format (ccus, hydrogen, ...)."""

    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    description = models.CharField(max_length=300, blank=True)
    position = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering = ["position", "name"]

    def __str__(self):
        return self.name


class Cluster(Timestamped):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=100)
    region = models.CharField(max_length=100, blank=True)
    emissions_mtco2 = models.DecimalField(
        "emissions (MtCO2 a year)",
        max_digits=7,
        decimal_places=2,
        null=True,
        blank=True,
        validators=[MinValueValidator(0)],
    )
    emissions_source = models.CharField(
        max_length=200, blank=True, default="high-emission sites in the EU ETS"
    )
    summary = models.TextField(blank=True)

    class Meta:
        ordering = [models.F("emissions_mtco2").desc(nulls_last=True), "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(emissions_mtco2__isnull=True) | Q(emissions_mtco2__gte=0),
                name="cluster_emissions_not_negative",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("clusters:cluster-detail", args=[self.slug])


class ChallengeQuerySet(SearchableQuerySet):
    def open(self):
        return self.filter(status=Challenge.Status.OPEN)

    def for_cluster(self, cluster):
        return self.filter(cluster=cluster)


class Challenge(Timestamped):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    ref = models.CharField(max_length=64, unique=True, validators=[ref_validator])
    cluster = models.ForeignKey(Cluster, on_delete=models.PROTECT, related_name="challenges")
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField(max_length=DESCRIPTION_MAX, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="challenges")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    # Stems of title and description, kept by clusters.services for search without PostgreSQL.
    search_document = models.TextField(blank=True, default="", editable=False)

    objects = ChallengeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "ref"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="challenge_status_created"),
            models.Index(fields=["cluster", "status"], name="challenge_cluster_status"),
            models.Index(fields=["title"], name="challenge_title"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["open", "closed"]), name="challenge_status_valid"
            ),
            models.CheckConstraint(condition=~Q(ref=""), name="challenge_ref_not_empty"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("clusters:challenge-detail", args=[self.ref])


class Organisation(Timestamped):
    class Kind(models.TextChoices):
        BUSINESS = "business", "Business"
        INVESTOR = "investor", "Investor"
        UNIVERSITY = "university", "University or research organisation"
        PUBLIC_BODY = "public_body", "Public body"
        OTHER = "other", "Other"

    ref = models.CharField(max_length=64, unique=True, validators=[ref_validator])
    name = models.CharField(max_length=TITLE_MAX)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    description = models.TextField(max_length=DESCRIPTION_MAX, blank=True)
    website = models.URLField(max_length=500, blank=True)
    clusters = models.ManyToManyField(Cluster, blank=True, related_name="organisations")

    class Meta:
        ordering = ["name", "ref"]
        indexes = [
            models.Index(fields=["name"], name="organisation_name"),
            models.Index(fields=["kind"], name="organisation_kind"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["business", "investor", "university", "public_body", "other"]
                ),
                name="organisation_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(ref=""), name="organisation_ref_not_empty"),
        ]

    def __str__(self):
        return self.name


class ListingQuerySet(SearchableQuerySet):
    def published(self):
        return self.filter(status=Listing.Status.PUBLISHED)

    def offers(self):
        return self.filter(kind=Listing.Kind.OFFER)

    def needs(self):
        return self.filter(kind=Listing.Kind.NEED)


class Listing(Timestamped):
    """An organisation's offer (what it provides) or need (what it seeks)."""

    class Kind(models.TextChoices):
        OFFER = "offer", "Offer"
        NEED = "need", "Need"

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PENDING = "pending", "Awaiting approval"
        PUBLISHED = "published", "Published"
        WITHDRAWN = "withdrawn", "Withdrawn"

    ref = models.CharField(max_length=64, unique=True, validators=[ref_validator])
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="listings"
    )
    kind = models.CharField(max_length=10, choices=Kind.choices)
    title = models.CharField(max_length=TITLE_MAX)
    description = models.TextField(max_length=DESCRIPTION_MAX, blank=True)
    themes = models.ManyToManyField(Theme, blank=True, related_name="listings")
    clusters = models.ManyToManyField(Cluster, blank=True, related_name="listings")
    challenge = models.ForeignKey(
        Challenge, on_delete=models.SET_NULL, null=True, blank=True, related_name="listings"
    )
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    search_document = models.TextField(blank=True, default="", editable=False)

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "ref"]
        indexes = [
            models.Index(fields=["status", "kind", "-created_at"], name="listing_status_kind"),
            models.Index(fields=["challenge", "status"], name="listing_challenge_status"),
            models.Index(fields=["title"], name="listing_title"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["offer", "need"]), name="listing_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["draft", "pending", "published", "withdrawn"]),
                name="listing_status_valid",
            ),
            models.CheckConstraint(condition=~Q(ref=""), name="listing_ref_not_empty"),
        ]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("clusters:listing-detail", args=[self.ref])
