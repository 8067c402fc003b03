"""Funding calls: a funder's competition that organisations (or a consortium) can bid for."""

from datetime import date

from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from clusters.models import (
    DESCRIPTION_MAX,
    TITLE_MAX,
    Cluster,
    Organisation,
    Theme,
    Timestamped,
    ref_validator,
)

KIND_VALUES = [value for value, _ in Organisation.Kind.choices]
KINDS_REGEX = r"^(" + "|".join(KIND_VALUES) + r")(,(" + "|".join(KIND_VALUES) + r"))*$"


class FundingCallQuerySet(models.QuerySet):
    def open(self, today: date | None = None):
        """Open and not past the deadline (the deadline day itself is still open).

        The daily task closes calls past their deadline; until it has run, this is what
        keeps a call past its deadline off the pages and out of suggestions.
        """
        today = today or timezone.localdate()
        return self.filter(status=FundingCall.Status.OPEN, deadline__gte=today)

    def past_deadline(self, today: date | None = None):
        """Still marked open, but the deadline has passed: the daily task's work list."""
        today = today or timezone.localdate()
        return self.filter(status=FundingCall.Status.OPEN, deadline__lt=today)

    def for_kind(self, kind: str):
        """Calls an organisation of this kind may bid for (no kinds listed: any kind)."""
        return self.filter(Q(eligible_kinds="") | Q(eligible_kinds__regex=rf"(^|,){kind}(,|$)"))

    def for_cluster(self, cluster):
        """Calls for this cluster, or for any cluster (no clusters listed)."""
        return self.filter(Q(clusters=cluster) | Q(clusters__isnull=True)).distinct()


class FundingCall(Timestamped):
    class Status(models.TextChoices):
        OPEN = "open", "Open"
        CLOSED = "closed", "Closed"

    ref = models.CharField(max_length=64, unique=True, validators=[ref_validator])
    name = models.CharField(max_length=TITLE_MAX)
    funder = models.CharField(max_length=TITLE_MAX, help_text="For example, Innovate UK")
    link = models.URLField(
        "link to the call", max_length=500, help_text="The funder's page about the call"
    )
    value = models.CharField(
        max_length=100, blank=True, help_text="In words, as the funder puts it: “up to £2m”"
    )
    value_pounds = models.PositiveBigIntegerField(
        "largest award (£)",
        null=True,
        blank=True,
        help_text="Optional: the most one bid can win, in whole pounds, for example 2000000",
    )
    deadline = models.DateField(
        help_text="The last day to apply. The call closes itself the day after."
    )
    # Comma-separated Organisation.Kind values, in the order of the choices; "" = any kind.
    # Kept in one column (not a table) so that "calls a university may bid for" is one
    # indexed-free regex on a few dozen rows, the same on SQLite and PostgreSQL.
    eligible_kinds = models.CharField(
        "kinds of organisation that may bid", max_length=100, blank=True
    )
    themes = models.ManyToManyField(Theme, blank=True, related_name="funding_calls")
    clusters = models.ManyToManyField(
        Cluster,
        blank=True,
        related_name="funding_calls",
        help_text="Leave empty if the call is open to any cluster",
    )
    needs_consortium = models.BooleanField(
        "needs a consortium", default=False, help_text="Bids must come from two or more partners"
    )
    description = models.TextField(max_length=DESCRIPTION_MAX, blank=True)
    # Changed only by funding.services (the admin actions and the daily task), never in a form.
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = FundingCallQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "ref"]
        indexes = [models.Index(fields=["status", "deadline"], name="fundingcall_status_deadline")]
        constraints = [
            models.CheckConstraint(condition=~Q(ref=""), name="fundingcall_ref_not_empty"),
            models.CheckConstraint(
                condition=Q(status__in=["open", "closed"]), name="fundingcall_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(eligible_kinds="") | Q(eligible_kinds__regex=KINDS_REGEX),
                name="fundingcall_eligible_kinds_valid",
            ),
        ]

    def __str__(self):
        return self.name

    def get_absolute_url(self):
        return reverse("funding:call-detail", args=[self.ref])

    @property
    def kinds(self) -> list[str]:
        return [k for k in self.eligible_kinds.split(",") if k]

    @property
    def kind_labels(self) -> list[str]:
        labels = dict(Organisation.Kind.choices)
        return [labels[k] for k in self.kinds]

    @property
    def is_open(self) -> bool:
        """Open, and not past its deadline (whether or not the daily task has run yet)."""
        return self.status == self.Status.OPEN and self.deadline >= timezone.localdate()


def join_kinds(kinds) -> str:
    """Kinds as stored: known values only, no repeats, in the order of the choices."""
    chosen = set(kinds)
    return ",".join(k for k in KIND_VALUES if k in chosen)
