"""An outgoing email: saved with the change that caused it, sent later by a worker."""

from django.db import models


class Email(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed (gave up)"

    # What the email is about, e.g. "organisation-approved:42": the same key is never sent twice.
    key = models.CharField(max_length=200, unique=True)
    kind = models.CharField(max_length=40, blank=True)  # e.g. "digest", "account"
    to = models.EmailField()
    subject = models.CharField(max_length=300)
    # Bodies and headers as staff may see them: one-time secrets (reset, confirmation,
    # invitation and sign-in links, signed answer links) are replaced by placeholders.
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    # The secrets behind those placeholders, kept only until the email is sent (or given
    # up), so that a re-send still carries the working link. Never shown, never searched.
    sealed = models.JSONField(default=dict, blank=True, editable=False)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=32, blank=True)  # which attempt holds the claim
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    # The id the email provider gave the message (django-anymail), for tracing delivery.
    provider_message_id = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "claimed_at"], name="email_status_claimed")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["pending", "sending", "sent", "failed"]),
                name="email_status_valid",
            )
        ]

    def __str__(self):
        return f"{self.subject} to {self.to}"

    @property
    def message_id(self) -> str:
        """Deterministic, so that a resend after a crash can be collapsed by mail systems."""
        return f"<outbox-{self.pk}@cluster-exchange>"
