"""Clusters, their decarbonisation challenges, themes, organisations and their listings."""

import unicodedata
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.postgres.search import (
    SearchRank,
    SearchVector,
    SearchVectorField,
)
from django.core.validators import MinValueValidator, RegexValidator
from django.db import connection, models
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.urls import reverse
from django.utils import timezone

from .search import has_words, stems
from .synonyms import fts5_expression, postgres_query, search_parts

# \Z, not $: "$" also matches before a final newline, which let "ref\n" in (review of #13).
REF_PATTERN = r"^[A-Za-z0-9._-]{1,64}\Z"
ref_validator = RegexValidator(
    REF_PATTERN, "Use 1 to 64 letters, digits, dots, hyphens or underscores."
)
TITLE_MAX = 200
# The reason an expired listing is withdrawn with (services.expire_listings): the API's
# removals list tells it from a listing its organisation withdrew by this.
EXPIRED_REASON = "It reached its expiry date."
DESCRIPTION_MAX = 10_000


class Timestamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class StoredSearchVector(models.Expression):
    """The `search_vector` column PostgreSQL keeps for the query's table (clusters.fulltext).

    Not a model field, so that SQLite and the ORM never see it; this names it under the
    table's alias in whatever query it is used in.
    """

    output_field = SearchVectorField()

    def as_sql(self, compiler, connection):
        alias = compiler.query.get_initial_alias()
        return f"{compiler.quote_name_unless_alias(alias)}.search_vector", []


class SearchableQuerySet(models.QuerySet):
    """Keyword search over title and description that finds word stems, through an index.

    On PostgreSQL this is its full-text search (English configuration, title ranked above
    description) over the stored, GIN-indexed `search_vector`; on SQLite every stem of the
    query must be among the stems stored in `search_document`, found through its FTS5 index.
    Both indexes are kept by the database itself (clusters.fulltext).
    """

    def search(self, query: str):
        query = unicodedata.normalize("NFC", query or "").strip()
        if not query:
            return self
        if not has_words(query):
            # Nothing to look for ("!", "😀"): no rows, but the same columns as a search.
            return self.none().annotate(search_rank=models.Value(0.0))
        if connection.vendor == "postgresql":
            match = postgres_query(query)  # with other forms of its words (clusters.synonyms)
            vector = StoredSearchVector()
            return (
                self.alias(_search=vector)
                .filter(_search=match)
                .annotate(search_rank=SearchRank(vector, match))
            )
        if connection.vendor == "sqlite":
            index = f"{self.model._meta.db_table}_fts"
            matching = RawSQL(
                f"SELECT rowid FROM {index} WHERE {index} MATCH %s", [fts5_expression(query)]
            )
            return self.filter(pk__in=matching).annotate(search_rank=models.Value(0.0))
        condition = Q()
        for stem in stems(query):
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
    # Why it was closed or reopened, in the words of whoever did it (shown to its team).
    status_reason = models.TextField(blank=True)
    # Who set it, as the public page shows it: the cluster body of the team member who
    # posted it (teams.services), or what the import or staff wrote. Never a person's name.
    set_by = models.CharField(max_length=200, blank=True)
    # When its team last said it is still as written (posting and editing count too).
    last_reviewed_at = models.DateTimeField(null=True, blank=True)
    # The "is it still open?" email went out for the current review (teams.services).
    review_reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Stems of title and description, kept by clusters.services for search without PostgreSQL.
    search_document = models.TextField(blank=True, default="", editable=False)

    objects = ChallengeQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "ref"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="challenge_status_created"),
            models.Index(fields=["cluster", "status"], name="challenge_cluster_status"),
            models.Index(fields=["title"], name="challenge_title"),
            # The API's list for partners who mirror it: oldest change first.
            models.Index(fields=["updated_at", "id"], name="challenge_updated"),
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


def logo_path(instance, filename: str) -> str:
    """A random name: the uploaded file's own name is never used (clusters/logos.py)."""
    extension = filename.rsplit(".", 1)[-1].lower()
    return f"organisation-logos/{uuid.uuid4().hex}.{extension}"


class OrganisationQuerySet(models.QuerySet):
    def approved(self):
        return self.filter(status=Organisation.Status.APPROVED)

    def search(self, query: str):
        """Organisations whose name or description holds every word of `query`.

        On PostgreSQL this is its full-text search (English configuration); elsewhere each
        word of the query, or its stem, must appear in the name or description ("capturing"
        finds "capture"). Unlike listings, no search document is stored: organisations are
        few (hundreds, not hundreds of thousands), so a scan of name and description is fast.
        """
        query = unicodedata.normalize("NFC", query or "").strip()
        if not query:
            return self
        if not has_words(query):
            return self.none()
        if connection.vendor == "postgresql":
            match = postgres_query(query)
            return self.alias(_search=SearchVector("name", "description", config="english")).filter(
                _search=match
            )
        condition = Q()
        for part in search_parts(query):  # each needed, in any of its forms (clusters.synonyms)
            any_form = Q()
            for form in part:
                every_word = Q()
                for word in form:
                    # The stem finds other endings ("captur"); the word itself finds a word
                    # whose stem is not a prefix of it ("energy" stems to "energi").
                    either = Q()
                    for text in {word, stems(word)[0]}:
                        either |= Q(name__icontains=text) | Q(description__icontains=text)
                    every_word &= either
                any_form |= every_word
            condition &= any_form
        return self.filter(condition)

    def awaiting_approval(self):
        return self.filter(status=Organisation.Status.PENDING)

    def of_member(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(memberships__user=user)


class Organisation(Timestamped):
    class Status(models.TextChoices):
        PENDING = "pending", "Awaiting approval"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not approved"

    class Size(models.TextChoices):
        MICRO = "micro", "Fewer than 10 people"
        SMALL = "small", "10 to 49 people"
        MEDIUM = "medium", "50 to 249 people"
        LARGE = "large", "250 people or more"

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
    size = models.CharField(max_length=10, choices=Size.choices, blank=True)
    location = models.CharField(
        "postcode or region", max_length=100, blank=True, help_text="For example, HU12 8DS"
    )
    # Organisations registered on the site wait for staff; imported ones are approved.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    status_reason = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Set only by clusters.services (set_organisation_logo), from an image that
    # clusters.logos checked and re-encoded; shown at once, removed by staff if need be.
    logo = models.FileField(upload_to=logo_path, blank=True, max_length=200, editable=False)

    objects = OrganisationQuerySet.as_manager()

    class Meta:
        ordering = ["name", "ref"]
        indexes = [
            models.Index(fields=["name"], name="organisation_name"),
            models.Index(fields=["kind"], name="organisation_kind"),
            models.Index(fields=["status", "created_at"], name="organisation_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(
                    kind__in=["business", "investor", "university", "public_body", "other"]
                ),
                name="organisation_kind_valid",
            ),
            models.CheckConstraint(condition=~Q(ref=""), name="organisation_ref_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "approved", "rejected"]),
                name="organisation_status_valid",
            ),
        ]
        # Approving and rejecting (organisations and their changes of name) go through the
        # admin actions, which need this; "change" is for editing the details themselves.
        permissions = [("moderate_organisation", "Can approve or reject organisations")]

    def __str__(self):
        return self.name

    @property
    def is_approved(self) -> bool:
        return self.status == self.Status.APPROVED

    def get_public_url(self):
        """Its public page (a 404 unless it is approved)."""
        return reverse("clusters:organisation-public", args=[self.ref])

    @property
    def logo_url(self) -> str:
        """Where its logo is served (clusters.views.organisation_logo), or "" without one."""
        if not self.logo:
            return ""
        name = self.logo.name.rsplit("/", 1)[-1]
        return reverse("clusters:organisation-logo", args=[self.ref, name])


class ListingQuerySet(SearchableQuerySet):
    def published(self):
        return self.filter(status=Listing.Status.PUBLISHED)

    def live(self):
        """Not past its expiry date (expire_listings withdraws those within the hour)."""
        return self.filter(Q(expires_on__isnull=True) | Q(expires_on__gt=timezone.localdate()))

    def offers(self):
        return self.filter(kind=Listing.Kind.OFFER)

    def needs(self):
        return self.filter(kind=Listing.Kind.NEED)

    def editable_by(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(organisation__memberships__user=user)

    def once_public(self):
        """Listings a partner may hold a copy of: published now or once (see was_public).

        Those held as pending because their organisation was rejected were published, and
        carry `published_at` (reject_organisation sets it for an imported one, which had
        none); a listing that only waited for approval was never public (re-probe, stop 28).
        One taken down counts by its `published_at` alone, which unpublish_listing sets when
        it takes down an imported published one: staff may also take down a listing still
        waiting, which was never public (review, stop 29).
        """
        return self.filter(Q(published_at__isnull=False) | Q(status__in=Listing.PUBLIC_ONCE))

    def removed_from_public(self):
        """Listings that left the public list and may be in a partner's copy, annotated with
        `removed_at` (their last change) and `reason` (see the API's removals list)."""
        status = Listing.Status
        return (
            self.once_public()
            .exclude(status=status.PUBLISHED)
            .annotate(
                removed_at=models.F("updated_at"),
                reason=models.Case(
                    models.When(
                        status=status.WITHDRAWN,
                        status_reason=EXPIRED_REASON,
                        then=models.Value("expired"),
                    ),
                    models.When(status=status.WITHDRAWN, then=models.Value("withdrawn")),
                    models.When(status=status.TAKEN_DOWN, then=models.Value("taken_down")),
                    models.When(status=status.PENDING, then=models.Value("not_approved")),
                    default=models.Value("unpublished"),
                    output_field=models.CharField(),
                ),
            )
        )

    def visible_to(self, user):
        """Published listings, plus every listing of the user's own organisations."""
        if not user.is_authenticated:
            return self.published()
        return self.filter(
            Q(status=Listing.Status.PUBLISHED)
            | Q(organisation__in=Organisation.objects.of_member(user).values("pk"))
        )


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
        # Only staff take a listing down, and only staff bring it back (restore_listing).
        TAKEN_DOWN = "taken_down", "Taken down by our team"

    # Statuses that mean the listing was public at some time whatever its published_at
    # (imported listings have none): only a public listing can be withdrawn. The rule of
    # ListingQuerySet.once_public and Listing.was_public, written once.
    PUBLIC_ONCE = (Status.PUBLISHED, Status.WITHDRAWN)

    class PartnerKind(models.TextChoices):
        ANY = "any", "Any kind of organisation"
        BUSINESS = "business", "A business"
        INVESTOR = "investor", "An investor"
        UNIVERSITY = "university", "A university or research organisation"

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
    partner_kind = models.CharField(
        "kind of partner sought", max_length=10, choices=PartnerKind.choices, default="any"
    )
    expires_on = models.DateField(null=True, blank=True)
    expiry_reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)
    published_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Why staff unpublished it, or why it was withdrawn (shown to its organisation).
    status_reason = models.TextField(blank=True)
    taken_down_at = models.DateTimeField(null=True, blank=True, editable=False)
    taken_down_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    # What it was when staff took it down (published, waiting or withdrawn): restoring puts it
    # back to that, never publishing what its organisation withdrew (review, stop 29).
    taken_down_from = models.CharField(max_length=10, blank=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        editable=False,
    )
    search_document = models.TextField(blank=True, default="", editable=False)

    objects = ListingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "ref"]
        indexes = [
            # The id last (SQLite's indexes hold it anyway; PostgreSQL's do not): a count of
            # published offers in a theme or a cluster reads only this index, not the table.
            models.Index(
                fields=["status", "kind", "-created_at", "id"], name="listing_status_kind"
            ),
            # With the kind: a challenge's published offers and needs are counted from this
            # index alone (the cluster page counts them for each of its challenges).
            models.Index(fields=["challenge", "status", "kind"], name="listing_challenge_status"),
            models.Index(fields=["title"], name="listing_title"),
            models.Index(fields=["status", "expires_on"], name="listing_status_expiry"),
            # The API's lists for partners who mirror them: oldest change first, by status.
            models.Index(fields=["status", "updated_at", "id"], name="listing_status_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind__in=["offer", "need"]), name="listing_kind_valid"
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=["draft", "pending", "published", "withdrawn", "taken_down"]
                ),
                name="listing_status_valid",
            ),
            models.CheckConstraint(
                condition=~Q(status="taken_down") | Q(taken_down_at__isnull=False),
                name="listing_taken_down_has_a_date",
            ),
            models.CheckConstraint(condition=~Q(ref=""), name="listing_ref_not_empty"),
            models.CheckConstraint(
                condition=Q(partner_kind__in=["any", "business", "investor", "university"]),
                name="listing_partner_kind_valid",
            ),
        ]
        # Taking down, restoring and answering review requests go through the admin actions,
        # which need this; "change" is for editing the listing itself.
        permissions = [("moderate_listing", "Can take listings down and restore them")]

    def __str__(self):
        return self.title

    def get_absolute_url(self):
        return reverse("clusters:listing-detail", args=[self.ref])

    @property
    def is_taken_down(self) -> bool:
        return self.status == self.Status.TAKEN_DOWN

    @property
    def keeping_open_adds_time(self) -> bool:
        """Whether "keep it open for 12 more months" would move its end by a month or more:
        right after publishing it would not (newcomer probe: the button did nothing)."""
        if self.expires_on is None:
            return True
        return self.expires_on <= timezone.localdate() + timedelta(days=365 - 30)

    @property
    def was_public(self) -> bool:
        """Whether a partner may hold a copy of it (as ListingQuerySet.once_public). A withdrawn
        one counts even with no `published_at` (imported listings have none): only a public
        listing can be withdrawn."""
        return bool(self.published_at or self.status in self.PUBLIC_ONCE)


class ClusterListingCount(models.Model):
    """How many published offers, and needs, name a cluster: one row per cluster and kind.

    Kept by the database itself (triggers, clusters.counts) on every change of a listing's
    status or kind and of its clusters, whoever writes, so the home page and the cluster
    pages read these rows instead of counting every listing on each request. Never written
    by Python.
    """

    cluster = models.ForeignKey(Cluster, on_delete=models.CASCADE, related_name="listing_counts")
    kind = models.CharField(max_length=10, choices=Listing.Kind.choices)
    published = models.IntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["cluster", "kind"], name="cluster_listing_count_once")
        ]

    def __str__(self):
        return f"{self.cluster}: {self.published} published {self.kind}s"


class Membership(Timestamped):
    """A user's place in an organisation: admins manage members and the profile."""

    class Role(models.TextChoices):
        ADMIN = "admin", "Admin"
        MEMBER = "member", "Member"

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_once"),
            models.CheckConstraint(
                condition=Q(role__in=["admin", "member"]), name="membership_role_valid"
            ),
        ]

    def __str__(self):
        return f"{self.user} in {self.organisation} ({self.role})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class Invitation(Timestamped):
    """An email invitation to join an organisation; the link holds a random token."""

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    token = models.CharField(max_length=64, unique=True, editable=False)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    accepted_at = models.DateTimeField(null=True, blank=True)
    # Taken back by the organisation (services.cancel_invitation): its link opens nothing. The
    # row stays, so that it still counts in the day's limit and holds the 24 hours before the
    # same address can be invited again.
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # When its email last went (made, or sent again with a new link): the daily limit counts
    # these, whatever else later changes the row.
    sent_at = models.DateTimeField(default=timezone.now, editable=False)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "email"],
                condition=Q(accepted_at__isnull=True),
                name="one_open_invitation_per_email",
            )
        ]

    def __str__(self):
        return f"{self.email} to {self.organisation}"


class JoinRequest(Timestamped):
    """A user asking to join an existing organisation; its admins decide."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a decision"
        APPROVED = "approved", "Approved"
        DECLINED = "declined", "Declined"

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="join_requests"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="join_requests"
    )
    message = models.TextField(blank=True, max_length=1000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        ordering = ["created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "user"],
                condition=Q(status="open"),
                name="one_open_join_request",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "approved", "declined"]),
                name="join_request_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.user} asks to join {self.organisation}"


class AskedOfStaffQuerySet(models.QuerySet):
    def open(self):
        """Waiting for staff (every such model's `Status.OPEN` is "open")."""
        return self.filter(status="open")


class AskedOfStaff(Timestamped):
    """Something an organisation's member asked staff to decide, and the decision."""

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    reason = models.TextField(blank=True)

    class Meta:
        abstract = True


class ListingReview(AskedOfStaff):
    """An organisation asking staff to look again at a listing they took down."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for staff"
        RESTORED = "restored", "Restored"
        KEPT_DOWN = "kept_down", "Kept down"

    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="reviews")
    message = models.TextField(blank=True, max_length=2000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    objects = AskedOfStaffQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # However often the button is pressed, staff get one request at a time.
            models.UniqueConstraint(
                fields=["listing"], condition=Q(status="open"), name="one_open_review_per_listing"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "restored", "kept_down"]),
                name="listing_review_status_valid",
            ),
        ]

    def __str__(self):
        return f"Review of {self.listing}"


class OrganisationChange(AskedOfStaff):
    """A new name and website an approved organisation asked for; shown once staff approve."""

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for review"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Not approved"

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="changes")
    name = models.CharField(max_length=TITLE_MAX)
    website = models.URLField(max_length=500, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)

    objects = AskedOfStaffQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organisation"],
                condition=Q(status="open"),
                name="one_open_change_per_organisation",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "approved", "rejected"]),
                name="organisation_change_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.organisation}: new name {self.name}"
