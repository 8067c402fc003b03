"""GrandChallenges enquiries: who wrote, about what, the thread of messages and its history."""

import re

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone

NAME_MAX = 200
MESSAGE_MAX = 10_000
SUBJECT_MAX = 200
# "GC-2026-00123": the year the enquiry arrived and its number in that year.
REFERENCE_RE = re.compile(r"\bGC-(\d{4})-(\d{5,})\b", re.IGNORECASE)
# A "Get in touch" form left open longer than this is refused as expired.
FORM_MAX_AGE_SECONDS = 24 * 60 * 60


class ReferenceSequence(models.Model):
    """The last reference number given out in a year (see services.next_reference)."""

    year = models.PositiveSmallIntegerField(primary_key=True)
    last = models.PositiveIntegerField(default=0)

    def __str__(self):
        return f"{self.year}: {self.last}"


class SentForm(models.Model):
    """A copy of the "Get in touch" form that was sent: its start token cannot be sent again."""

    digest = models.CharField(max_length=64, primary_key=True)  # SHA-256 of the signed token
    sent_at = models.DateTimeField(default=timezone.now, db_index=True)

    def __str__(self):
        return f"{self.digest[:12]}… sent {self.sent_at:%Y-%m-%d %H:%M}"


class EnquiryQuerySet(models.QuerySet):
    def open(self):
        return self.exclude(status__in=[Enquiry.Status.CLOSED, Enquiry.Status.SPAM])

    def assigned_to(self, user):
        return self.filter(assignee=user)


class Enquiry(models.Model):
    class OrganisationKind(models.TextChoices):
        BUSINESS = "business", "Business"
        INVESTOR = "investor", "Investor"
        UNIVERSITY = "university", "University or research organisation"
        PUBLIC_BODY = "public_body", "Public body"
        OTHER = "other", "Other"

    class Topic(models.TextChoices):
        PARTNERING = "partnering", "Finding a partner"
        FUNDING = "funding", "Funding"
        JOINING = "joining", "Joining a cluster project"
        PRESS = "press", "Press and media"
        OTHER = "other", "Something else"

    class Source(models.TextChoices):
        WEB = "web", "Web form"
        EMAIL = "email", "Email"

    class Status(models.TextChoices):
        NEW = "new", "New"
        TRIAGED = "triaged", "Triaged"
        ASSIGNED = "assigned", "Assigned"
        WAITING = "waiting", "Waiting on sender"
        CLOSED = "closed", "Closed"
        SPAM = "spam", "Spam"

    class Priority(models.TextChoices):
        LOW = "low", "Low"
        NORMAL = "normal", "Normal"
        HIGH = "high", "High"

    reference = models.CharField(max_length=20, unique=True, editable=False)
    name = models.CharField(max_length=NAME_MAX)
    email = models.EmailField()
    organisation = models.CharField(max_length=NAME_MAX, blank=True)
    organisation_kind = models.CharField(
        "kind of organisation",
        max_length=20,
        choices=OrganisationKind.choices,
        default=OrganisationKind.OTHER,
    )
    topic = models.CharField(max_length=20, choices=Topic.choices, default=Topic.OTHER)
    # The email subject for imported enquiries; web enquiries have none.
    subject = models.CharField(max_length=SUBJECT_MAX, blank=True)
    cluster = models.ForeignKey(
        "clusters.Cluster",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enquiries",
    )
    consent_to_contact = models.BooleanField(
        "may be contacted about related projects and events", default=False
    )
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.WEB)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.NEW)
    priority = models.CharField(max_length=10, choices=Priority.choices, default=Priority.NORMAL)
    assignee = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_enquiries",
        limit_choices_to={"is_staff": True},
    )
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)
    first_replied_at = models.DateTimeField(null=True, blank=True)

    objects = EnquiryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "enquiries"
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["status", "created_at"], name="enquiry_status_created"),
            # The staff API's pages (cursor) and `updated_since` read enquiries in this order.
            models.Index(fields=["updated_at", "id"], name="enquiry_updated"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["new", "triaged", "assigned", "waiting", "closed", "spam"]),
                name="enquiry_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(priority__in=["low", "normal", "high"]), name="enquiry_priority_valid"
            ),
        ]

    def __str__(self):
        return f"{self.reference}: {self.name}"

    @property
    def title(self) -> str:
        """What the enquiry is about, in a few words: its subject, or its topic."""
        return self.subject or self.get_topic_display()


class Message(models.Model):
    """One entry of an enquiry's thread: from the sender, to the sender, or an internal note."""

    class Direction(models.TextChoices):
        INBOUND = "inbound", "From the sender"
        OUTBOUND = "outbound", "Reply to the sender"
        NOTE = "note", "Internal note"

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=10, choices=Direction.choices)
    sender = models.CharField(max_length=300, blank=True)  # "Name <address>" as received
    subject = models.CharField(max_length=SUBJECT_MAX, blank=True)
    body = models.TextField()
    # The Message-ID header: an email is never imported twice. Empty for web and notes.
    message_id = models.CharField(max_length=255, blank=True)
    # What the import left out, e.g. attachments that were too large.
    import_notes = models.TextField(blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="enquiry_messages",
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["message_id"],
                condition=~Q(message_id=""),
                name="enquiry_message_id_unique",
            ),
            models.CheckConstraint(
                condition=Q(direction__in=["inbound", "outbound", "note"]),
                name="enquiry_message_direction_valid",
            ),
        ]

    def __str__(self):
        return f"{self.get_direction_display()} on {self.enquiry_id}"


class Attachment(models.Model):
    """A file that came with an email. Kept out of the public media URLs: staff download it
    through the admin."""

    message = models.ForeignKey(Message, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(upload_to="enquiries/attachments/%Y/%m/")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()

    def __str__(self):
        return self.filename


class EnquiryEvent(models.Model):
    """Append-only history: one row per change of status, assignee or priority, and one per
    reply sent (services.REPLY_EVENT)."""

    enquiry = models.ForeignKey(Enquiry, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    field = models.CharField(max_length=30)
    old = models.CharField(max_length=200, blank=True)
    new = models.CharField(max_length=200, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "pk"]

    def __str__(self):
        return f"{self.field}: {self.old} → {self.new}"


class MailboxRead(models.Model):
    """The last reading of the IMAP inbox, for the admin home: one row, updated each run."""

    read_at = models.DateTimeField()
    ok = models.BooleanField()
    summary = models.TextField()
    last_success_at = models.DateTimeField(null=True, blank=True)

    def __str__(self):
        return f"{self.read_at:%Y-%m-%d %H:%M}: {self.summary}"


def record_mailbox_read(ok: bool, summary: str) -> None:
    now = timezone.now()
    values = {"read_at": now, "ok": ok, "summary": summary[:2000]}
    if ok:
        values["last_success_at"] = now
    MailboxRead.objects.update_or_create(pk=1, defaults=values)
