"""Who hears about new matches, how often, and what each person has been sent."""

from django.conf import settings
from django.db import models
from django.db.models import Q

from clusters.models import Listing


class EmailPreference(models.Model):
    class Cadence(models.TextChoices):
        IMMEDIATELY = "immediately", "At once, as each match is found"
        DAILY = "daily", "A daily summary"
        WEEKLY = "weekly", "A weekly summary"
        NEVER = "never", "Never"

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="email_preference"
    )
    cadence = models.CharField(max_length=12, choices=Cadence.choices, default=Cadence.DAILY)
    changed_at = models.DateTimeField(auto_now=True)
    # When we slowed the cadence because no recent summary was opened.
    slowed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(cadence__in=["immediately", "daily", "weekly", "never"]),
                name="preference_cadence_valid",
            )
        ]

    def __str__(self):
        return f"{self.user}: {self.cadence}"


class ListingMute(models.Model):
    """A user who does not want match emails about one listing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="listing_mutes"
    )
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="mutes")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "listing"], name="mute_once"),
        ]

    def __str__(self):
        return f"{self.user} mutes {self.listing}"


class Digest(models.Model):
    """One email about new matches to one person: a summary, or a single "at once" email."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="digests"
    )
    cadence = models.CharField(max_length=12)
    period = models.CharField(max_length=40)  # e.g. "daily:2026-11-28"
    created_at = models.DateTimeField(auto_now_add=True)
    clicked_at = models.DateTimeField(null=True, blank=True)  # any link in it followed

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "period"], name="digest_once_per_period"),
        ]

    def __str__(self):
        return f"{self.period} for {self.user}"


class MatchNotice(models.Model):
    """A new match to tell one person about, once: the pair is unique per user."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="match_notices"
    )
    source = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    target = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    match = models.ForeignKey(
        "matching.Match", on_delete=models.SET_NULL, null=True, related_name="notices"
    )
    score = models.FloatField()
    reasons = models.JSONField(default=list)
    digest = models.ForeignKey(
        Digest, on_delete=models.SET_NULL, null=True, blank=True, related_name="notices"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-score"]
        indexes = [models.Index(fields=["user", "digest"], name="notice_pending")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "source", "target"], name="notice_once_per_pair"
            ),
        ]

    def __str__(self):
        return f"{self.source} → {self.target} for {self.user}"


class SearchNotice(models.Model):
    """A new result of a saved search to tell one person about, once: an item (a listing,
    a challenge, ...) is told to each person once, whichever of their searches found it."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="search_notices"
    )
    saved_search = models.ForeignKey(
        "searches.SavedSearch", on_delete=models.CASCADE, related_name="notices"
    )
    item_type = models.CharField(max_length=60)  # e.g. "clusters.listing"
    item_id = models.PositiveBigIntegerField()
    # What the email shows, as it was when found: the list pages are generic.
    title = models.CharField(max_length=300)
    line = models.CharField(max_length=300, blank=True)
    path = models.CharField(max_length=300)
    published_at = models.DateTimeField()
    digest = models.ForeignKey(
        Digest,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="search_notices",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-published_at", "pk"]
        indexes = [models.Index(fields=["user", "digest"], name="search_notice_pending")]
        constraints = [
            models.UniqueConstraint(
                fields=["user", "item_type", "item_id"], name="search_notice_once_per_item"
            ),
        ]

    def __str__(self):
        return f"{self.title} for {self.user} ({self.saved_search.name})"


class FundingNotice(models.Model):
    """An open funding call told to one person in a match email, once: the call is unique per
    person, whichever of their listings it was suggested for (matching.services)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="funding_notices"
    )
    listing = models.ForeignKey(Listing, on_delete=models.CASCADE, related_name="+")
    call = models.ForeignKey(
        "funding.FundingCall", on_delete=models.CASCADE, related_name="notices"
    )
    digest = models.ForeignKey(Digest, on_delete=models.CASCADE, related_name="funding_notices")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "call"], name="funding_notice_once_per_call"),
        ]

    def __str__(self):
        return f"{self.call} for {self.user} ({self.listing})"
