"""Reports of a published listing or an approved organisation, and the staff decision on them.

A report is about exactly one listing or one organisation. It stays open until staff decide:
the decision (who, when, why) closes every open report on the same listing or organisation.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse

from clusters.models import Listing, Organisation

DETAILS_MAX = 2000


class ReportQuerySet(models.QuerySet):
    def open(self):
        """Waiting for staff: new, or referred to a programme admin."""
        return self.filter(status__in=Report.OPEN_STATUSES)

    def about(self, target):
        """Every report on the same listing or organisation as `target` (either kind)."""
        if isinstance(target, Listing):
            return self.filter(listing=target)
        return self.filter(organisation=target, listing__isnull=True)

    def referred(self):
        return self.filter(status=Report.Status.REFERRED)


class Report(models.Model):
    class Kind(models.TextChoices):
        LISTING = "listing", "Listing"
        ORGANISATION = "organisation", "Organisation"

    class Reason(models.TextChoices):
        WRONG = "wrong", "It is wrong or misleading"
        SPAM = "spam", "It is spam or advertising"
        OFFENSIVE = "offensive", "It is offensive"
        PERSONAL_DATA = "personal_data", "It shows someone’s personal data"
        OTHER = "other", "Something else"

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        REFERRED = "referred", "Referred to a programme admin"
        DISMISSED = "dismissed", "Dismissed: no action needed"
        TAKEN_DOWN = "taken_down", "Listing taken down"
        RESOLVED = "resolved", "Resolved by a programme admin"

    OPEN_STATUSES = (Status.OPEN, Status.REFERRED)

    kind = models.CharField(max_length=20, choices=Kind.choices, editable=False)
    # A listing report also names the listing's organisation, for searching; an organisation
    # report has no listing.
    listing = models.ForeignKey(
        Listing, on_delete=models.CASCADE, null=True, blank=True, related_name="reports"
    )
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="reports")
    reason = models.CharField(max_length=20, choices=Reason.choices)
    details = models.TextField(max_length=DETAILS_MAX, blank=True)
    email = models.EmailField("reporter's email address", blank=True)
    reporter = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    # A moderator's referral of an organisation report to a programme admin.
    referred_at = models.DateTimeField(null=True, blank=True)
    referred_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    referral_reason = models.TextField(blank=True)
    # The decision that closed it.
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    decision_reason = models.TextField(blank=True)

    objects = ReportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="report_status"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(kind="listing", listing__isnull=False)
                | Q(kind="organisation", listing__isnull=True),
                name="report_kind_matches_target",
            ),
            models.CheckConstraint(
                condition=Q(reason__in=["wrong", "spam", "offensive", "personal_data", "other"]),
                name="report_reason_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "referred", "dismissed", "taken_down", "resolved"]),
                name="report_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["open", "referred"]) | Q(decided_at__isnull=False),
                name="report_closed_has_a_decision",
            ),
        ]
        # Deciding (dismiss, take the listing down, refer) goes through the admin actions,
        # which need this; nobody edits a report.
        permissions = [
            ("moderate_report", "Can dismiss reports, take listings down and refer reports"),
            ("resolve_report", "Can resolve reports referred to a programme admin"),
        ]

    def __str__(self):
        return f"Report {self.pk}: {self.get_reason_display()} ({self.target})"

    @property
    def target(self):
        """The listing or organisation reported."""
        return self.listing if self.kind == self.Kind.LISTING else self.organisation

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN_STATUSES


def report_url(target) -> str:
    """The public "Report this ..." page of a listing or an organisation."""
    if isinstance(target, Listing):
        return reverse("reports:listing", args=[target.ref])
    return reverse("reports:organisation", args=[target.ref])
