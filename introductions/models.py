"""Introductions: one organisation asks to meet another about a listing; both must agree."""

import uuid
from datetime import timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Greatest, Least
from django.urls import reverse
from django.utils import timezone

from clusters.models import Challenge, Listing, Organisation, Timestamped

MESSAGE_MAX = 1000
LIFETIME = timedelta(days=30)
CLOSED_EARLY = "Closed: nobody is left at the organisation that asked"
REMINDER_AFTER = timedelta(days=7)
DECLINE_DELAY = timedelta(days=14)
# Both sides of an accepted introduction are asked what came of it this many days after it
# was accepted; an ask is sent only within OUTCOME_ASK_WINDOW of its day, so a task that was
# down catches up, but introductions accepted long before are not all asked at once.
OUTCOME_ASK_DAYS = (60, 180)
OUTCOME_ASK_WINDOW = timedelta(days=30)


class IntroductionQuerySet(models.QuerySet):
    def open(self):
        return self.filter(status=Introduction.Status.OPEN)

    def sent_by(self, organisation):
        return self.filter(from_organisation=organisation)

    def received_by(self, organisation):
        return self.filter(to_organisation=organisation)

    def answerable_by(self, user):
        """Introductions that the user may accept or decline: those sent to their organisations."""
        return self.filter(to_organisation__in=Organisation.objects.of_member(user).values("pk"))

    def visible_to(self, user):
        """Introductions sent by or to one of the user's organisations."""
        mine = Organisation.objects.of_member(user).values("pk")
        return self.filter(Q(from_organisation__in=mine) | Q(to_organisation__in=mine))

    def between(self, listing, other):
        """Both directions: A asking B about a pair of listings is the same pair as B asking A."""
        return self.filter(
            Q(source_listing=listing, target_listing=other)
            | Q(source_listing=other, target_listing=listing)
        )

    def accepted(self):
        return self.filter(status=Introduction.Status.ACCEPTED)

    def due_outcome_ask(self, days: int, now):
        """Accepted `days` ago (within OUTCOME_ASK_WINDOW) and not yet asked at `days`."""
        since = now - timedelta(days=days)
        return self.accepted().filter(
            decided_at__lte=since,
            decided_at__gt=since - OUTCOME_ASK_WINDOW,
            **{f"outcome_asked_{days}_at__isnull": True},
        )

    def with_details(self):
        return self.select_related(
            "source_listing",
            "target_listing",
            "challenge",
            "from_organisation",
            "to_organisation",
            "requested_by",
            "decided_by",
        )


class Introduction(Timestamped):
    """A request from `from_organisation` to meet the owner of `target_listing`.

    It may be about one of the asker's own listings (`source_listing`: a match, or one they
    chose), made from a challenge (`challenge`), both or neither. Contact details are shared
    only once a member of `to_organisation` accepts.
    """

    class Status(models.TextChoices):
        OPEN = "open", "Waiting for a reply"
        ACCEPTED = "accepted", "Accepted"
        DECLINED = "declined", "Declined"
        EXPIRED = "expired", "Expired"

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # The asker's own listing the request is about; empty when it is about none of them.
    source_listing = models.ForeignKey(
        Listing,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="introductions_sent",
    )
    target_listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, related_name="introductions_received"
    )
    # The challenge the request was made from (a cluster team asking about an offer), if any.
    challenge = models.ForeignKey(
        Challenge,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="introductions",
    )
    # The two organisations, kept on the row so that "sent" and "received" are plain filters.
    from_organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="introductions_sent"
    )
    to_organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="introductions_received"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    message = models.TextField(max_length=MESSAGE_MAX)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    expires_at = models.DateTimeField()
    reminder_sent_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    # A decline is quiet: the requester sees "not taken forward" only from this moment.
    decline_shown_at = models.DateTimeField(null=True, blank=True)
    # When both sides were asked what came of it (claimed on the row before the emails queue).
    outcome_asked_60_at = models.DateTimeField(null=True, blank=True)
    outcome_asked_180_at = models.DateTimeField(null=True, blank=True)

    objects = IntroductionQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["from_organisation", "created_at"], name="introduction_sent"),
            models.Index(fields=["to_organisation", "created_at"], name="introduction_received"),
            models.Index(fields=["status", "expires_at"], name="introduction_status_expiry"),
        ]
        constraints = [
            # One open request per pair of listings, whichever side asked: the smaller
            # listing id first, so that (A, B) and (B, A) collide. Only with a source listing:
            # PostgreSQL's LEAST and GREATEST skip a NULL, so (NULL, B) would read as (B, B).
            models.UniqueConstraint(
                Least("source_listing", "target_listing"),
                Greatest("source_listing", "target_listing"),
                condition=Q(status="open", source_listing__isnull=False),
                name="one_open_introduction_per_pair",
            ),
            # Without a source listing: one open request per asking organisation and listing.
            models.UniqueConstraint(
                fields=["from_organisation", "target_listing"],
                condition=Q(status="open", source_listing__isnull=True),
                name="one_open_introduction_per_asker_and_listing",
            ),
            models.CheckConstraint(
                condition=~Q(source_listing=models.F("target_listing")),
                name="introduction_between_two_listings",
            ),
            models.CheckConstraint(
                condition=~Q(from_organisation=models.F("to_organisation")),
                name="introduction_between_two_organisations",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "accepted", "declined", "expired"]),
                name="introduction_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.from_organisation} to {self.to_organisation} ({self.get_status_display()})"

    def get_absolute_url(self):
        return reverse("introductions:detail", args=[self.public_id])

    @property
    def is_open(self) -> bool:
        return self.status == self.Status.OPEN

    @property
    def is_awaiting_reply(self) -> bool:
        """Open and not yet 30 days old (the daily sweep marks older ones expired)."""
        return self.is_open and self.expires_at > timezone.now()

    @property
    def is_accepted(self) -> bool:
        return self.status == self.Status.ACCEPTED

    @property
    def decline_is_hidden(self) -> bool:
        """Declined, but the requester is not to be told yet: to them it still looks open."""
        return self.status == self.Status.DECLINED and (
            self.decline_shown_at is None or self.decline_shown_at > timezone.now()
        )

    @property
    def status_for_requester(self) -> str:
        """The status in words for the organisation that asked.

        A decline and an expiry read the same, so that the requester cannot tell a quiet
        "no" from no answer.
        """
        if self.is_awaiting_reply or self.decline_is_hidden:
            return "Waiting for a reply"
        if self.status == self.Status.ACCEPTED:
            return "Accepted"
        return "Not taken forward"

    @property
    def closed_early(self) -> bool:
        """Expired before its 30 days: the organisation that asked has nobody left to
        follow it up (accounts.services._keep_without_members closes it at once)."""
        return self.status == self.Status.EXPIRED and self.expires_at < (
            self.created_at + LIFETIME - timedelta(hours=1)
        )

    @property
    def status_for_recipient(self) -> str:
        """The status in words for the organisation that was asked."""
        if self.closed_early:
            # Not "no reply within 30 days" for a request a few days old (review, stop 31).
            return CLOSED_EARLY
        if self.is_open and not self.is_awaiting_reply:
            return "Expired: no reply within 30 days"
        return {
            self.Status.OPEN: "Waiting for your reply",
            self.Status.ACCEPTED: "Accepted",
            self.Status.DECLINED: "Declined",
            self.Status.EXPIRED: "Expired: no reply within 30 days",
        }[self.status]


class Outcome(Timestamped):
    """What one side of an accepted introduction says came of it (issue #13).

    One row per introduction and side; answering again changes the row (`updated_at`), so
    the figures always read each side's latest answer.
    """

    class Result(models.TextChoices):
        # In order of how far the partnership got: the figures count an introduction's best.
        NOTHING = "nothing", "Nothing came of it"
        TALKING = "talking", "We are talking"
        TRIAL = "trial", "A trial or pilot"
        CONTRACT = "contract", "A contract"
        BID_SUBMITTED = "bid_submitted", "A joint bid submitted"
        BID_WON = "bid_won", "A joint bid won"

    introduction = models.ForeignKey(
        Introduction, on_delete=models.CASCADE, related_name="outcomes"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    result = models.CharField(max_length=20, choices=Result.choices)
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["introduction", "organisation"], name="outcome_once_per_side"
            )
        ]

    def __str__(self):
        return f"{self.get_result_display()} ({self.organisation})"

    @classmethod
    def rank(cls, result: str) -> int:
        """How far `result` got: 0 for nothing, up to 5 for a joint bid won."""
        return cls.Result.values.index(result)
