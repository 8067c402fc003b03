"""Webhook endpoints people register, and each delivery of an event to one of them."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q


class EndpointQuerySet(models.QuerySet):
    def of_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)

    def active(self):
        return self.filter(active=True, user__is_active=True)


class Endpoint(models.Model):
    """An HTTPS URL of someone's system, and the events it wants."""

    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="webhook_endpoints"
    )
    url = models.URLField("URL", max_length=2000)
    events = models.JSONField(default=list)  # names from webhooks.events.EVENTS
    # The signing secret, encrypted (webhooks.signing): shown once to its owner, never again,
    # never in the admin.
    secret_sealed = models.TextField(editable=False)
    # The secret's last 4 characters, so its owner can tell which one they kept.
    secret_hint = models.CharField(max_length=8, editable=False)
    active = models.BooleanField(default=True)
    # Added in a request that passed the second step of signing in (a session that used it,
    # or a token made in one). Staff-only events are sent only to such endpoints, while
    # STAFF_REQUIRE_MFA is on: endpoints from before this was recorded have it False.
    second_step = models.BooleanField(default=False, editable=False)
    # Why it was turned off, and by whom (staff, through webhooks.services.deactivate_endpoint).
    deactivated_reason = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EndpointQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["active", "user"], name="webhook_endpoint_active")]

    def __str__(self):
        return self.url

    def wants(self, event: str) -> bool:
        return event in (self.events or [])


class Delivery(models.Model):
    """One event sent (or to be sent) to one endpoint: the work row of the delivery task."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting"
        SENDING = "sending", "Being sent"
        DELIVERED = "delivered", "Delivered"
        FAILED = "failed", "Failed (gave up)"

    # Sent as X-Cluster-Exchange-Delivery: receivers drop a delivery id they have seen.
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    endpoint = models.ForeignKey(Endpoint, on_delete=models.CASCADE, related_name="deliveries")
    event = models.CharField(max_length=40)
    # What happened, e.g. "introduction.requested:42": unique per endpoint, so one event is
    # never queued twice for the same endpoint, however often it is emitted.
    event_id = models.CharField(max_length=200)
    payload = models.JSONField()
    # What the event is about, as "kind:id" strings (webhooks.audiences), e.g.
    # ["organisation:12"]: when it is sent, the endpoint's owner must still belong to one of
    # them (still a member of the organisation), or it is not sent. Empty: no such check.
    audience = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    claimed_by = models.CharField(max_length=32, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "deliveries"
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["status", "next_attempt_at"], name="webhook_delivery_due"),
            models.Index(fields=["endpoint", "-created_at"], name="webhook_delivery_recent"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["endpoint", "event_id"], name="webhook_delivery_once_per_event"
            ),
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "delivered", "failed"]),
                name="webhook_delivery_status_valid",
            ),
        ]

    def __str__(self):
        return f"{self.event} to {self.endpoint_id} ({self.status})"
