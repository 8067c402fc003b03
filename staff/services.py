"""The staff area's figures (the admin home panel) and the retention of old enquiries."""

import logging
import statistics
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Count, F, OuterRef, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce
from django.utils import timezone

from clusters.models import Listing, ListingReview, Organisation, OrganisationChange
from enquiries.models import Attachment, Enquiry, EnquiryEvent, MailboxRead, Message
from outbox.models import Email
from reports.models import Report

log = logging.getLogger(__name__)

MEDIAN_WINDOW = timedelta(days=30)
CLOSED_STATUSES = [Enquiry.Status.CLOSED, Enquiry.Status.SPAM]

# The admin home panel -----------------------------------------------------------------------


@dataclass(frozen=True)
class EnquiryFigures:
    since: datetime  # the start of today, local time
    new_today: int  # arrived today and still open
    unassigned: int  # open and nobody's
    oldest_open: Enquiry | None
    median_first_reply: timedelta | None  # over first replies sent in the last 30 days
    replies_in_median: int
    now: datetime

    @property
    def oldest_open_age(self) -> str:
        if self.oldest_open is None:
            return ""
        return describe_duration(self.now - self.oldest_open.created_at)

    @property
    def median_first_reply_text(self) -> str:
        if self.median_first_reply is None:
            return ""
        return describe_duration(self.median_first_reply)


@dataclass(frozen=True)
class ModerationFigures:
    organisations_pending: int | None  # None: this person may not see organisations
    listings_pending: int | None
    changes_waiting: int | None = None  # new names or websites of approved organisations
    reviews_asked: int | None = None  # listings taken down whose organisation asks again
    reports_open: int | None = None  # reports from visitors not yet decided (referred ones too)


@dataclass(frozen=True)
class HomePanel:
    enquiries: EnquiryFigures | None
    moderation: ModerationFigures | None
    mailbox: MailboxRead | None = None  # the last reading of the IMAP inbox, when one is set
    mailbox_configured: bool = False


def enquiry_figures(now: datetime | None = None) -> EnquiryFigures:
    """Today's new enquiries that are still open, open ones nobody has, the oldest open one,
    and the median time from arrival to first reply. Three queries, however many enquiries
    there are."""
    now = now or timezone.now()
    since = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    counts = Enquiry.objects.aggregate(
        # Still open: one closed or marked as spam today needs nobody (usability probe).
        new_today=Count("pk", filter=Q(created_at__gte=since) & ~Q(status__in=CLOSED_STATUSES)),
        unassigned=Count("pk", filter=Q(assignee__isnull=True) & ~Q(status__in=CLOSED_STATUSES)),
    )
    oldest_open = Enquiry.objects.open().order_by("created_at", "pk").first()
    waits = [
        replied - created
        for created, replied in Enquiry.objects.filter(
            first_replied_at__gte=now - MEDIAN_WINDOW, first_replied_at__lte=now
        ).values_list("created_at", "first_replied_at")
    ]
    return EnquiryFigures(
        since=since,
        new_today=counts["new_today"],
        unassigned=counts["unassigned"],
        oldest_open=oldest_open,
        median_first_reply=statistics.median(waits) if waits else None,
        replies_in_median=len(waits),
        now=now,
    )


def moderation_figures(user) -> ModerationFigures:
    """How many organisations await approval and how many pending listings of approved
    organisations wait to be published; how many changes of name and requests for a review
    wait for staff. (The pending listings of an organisation awaiting approval are published
    when it is approved, and those of a rejected one wait for nothing: counting them showed
    staff a queue they could not clear, newcomer probe, stop 30.)"""
    can_see_organisations = user.has_perm("clusters.view_organisation")
    can_see_listings = user.has_perm("clusters.view_listing")
    return ModerationFigures(
        organisations_pending=(
            Organisation.objects.awaiting_approval().count() if can_see_organisations else None
        ),
        listings_pending=(
            Listing.objects.filter(
                status=Listing.Status.PENDING, organisation__status=Organisation.Status.APPROVED
            ).count()
            if can_see_listings
            else None
        ),
        changes_waiting=(
            OrganisationChange.objects.open().count() if can_see_organisations else None
        ),
        reviews_asked=ListingReview.objects.open().count() if can_see_listings else None,
        reports_open=(
            Report.objects.open().count() if user.has_perm("reports.view_report") else None
        ),
    )


def home_panel(user, now: datetime | None = None) -> HomePanel:
    """What the admin home shows this person: only the queues their role lets them open."""
    moderation = None
    if user.has_perm("clusters.view_organisation") or user.has_perm("clusters.view_listing"):
        moderation = moderation_figures(user)
    can_see_enquiries = user.has_perm("enquiries.view_enquiry")
    configured = bool(getattr(settings, "ENQUIRIES_IMAP_URL", "")) and can_see_enquiries
    return HomePanel(
        enquiries=enquiry_figures(now) if can_see_enquiries else None,
        moderation=moderation,
        mailbox=MailboxRead.objects.filter(pk=1).first() if configured else None,
        mailbox_configured=configured,
    )


def describe_duration(duration: timedelta) -> str:
    """A wait as a person would say it: "40 minutes", "5 hours", "3 days"."""
    minutes = int(duration.total_seconds() // 60)
    if minutes < 1:
        return "under a minute"
    if minutes < 120:
        return f"{minutes} minute{'' if minutes == 1 else 's'}"
    hours = minutes // 60
    if hours < 48:
        return f"{hours} hours"
    return f"{hours // 24} days"


# Retention ----------------------------------------------------------------------------------

ANONYMISED_EVENT = "anonymised"
ANONYMISED_NAME = "Anonymised"
ANONYMISED_EMAIL = "anonymised@anonymised.invalid"
REMOVED_TEXT = "(Removed: enquiries are anonymised after the retention period.)"


def retention_days() -> int:
    return getattr(settings, "ENQUIRIES_RETENTION_DAYS", 730)


def spam_retention_days() -> int:
    return getattr(settings, "ENQUIRIES_SPAM_RETENTION_DAYS", 30)


def enquiries_due_for_anonymising(now: datetime | None = None) -> QuerySet:
    """Closed enquiries closed longer ago than the retention period, and spam marked as spam
    longer ago than the spam one, not yet anonymised.

    When it was closed is the time of its last status change (it is closed now, so that was
    the closing); one closed without any change recorded counts from its arrival.
    """
    now = now or timezone.now()
    last_status_change = Subquery(
        EnquiryEvent.objects.filter(enquiry=OuterRef("pk"), field="status")
        .order_by("-created_at", "-pk")
        .values("created_at")[:1]
    )
    return (
        Enquiry.objects.annotate(settled_at=Coalesce(last_status_change, F("created_at")))
        .filter(
            Q(
                status=Enquiry.Status.CLOSED,
                settled_at__lt=now - timedelta(days=retention_days()),
            )
            | Q(
                status=Enquiry.Status.SPAM,
                settled_at__lt=now - timedelta(days=spam_retention_days()),
            )
        )
        .exclude(events__field=ANONYMISED_EVENT)
    )


def anonymise_expired_enquiries(now: datetime | None = None) -> int:
    """Anonymise every enquiry past its retention period; return how many were.

    Idempotent: an anonymised enquiry carries an "anonymised" history row and is never picked
    again. Each enquiry is anonymised in its own transaction, so a failure leaves the others
    done and that one untouched.
    """
    now = now or timezone.now()
    done = 0
    for pk in list(enquiries_due_for_anonymising(now).values_list("pk", flat=True)):
        done += anonymise_enquiry(pk, now)
    return done


@transaction.atomic
def anonymise_enquiry(enquiry_id: int, now: datetime | None = None) -> bool:
    """Remove what identifies the sender, keeping what the statistics need.

    Replaced: name, email, organisation, subject, consent, and every message's sender,
    subject, text and import notes; the copies of the emails sent to the sender (in the
    outbox) too, and the name in the admin's history of changes to it. Deleted:
    attachments, files included (once the transaction commits). Kept: the reference, topic,
    kind of organisation, cluster, status, priority, assignee,
    dates, and the Message-IDs (so that importing the mailbox again finds the emails
    already filed instead of making new enquiries of them).

    All or nothing; False if the enquiry is not (or no longer) due, e.g. it was reopened.
    """
    now = now or timezone.now()
    enquiry = Enquiry.objects.select_for_update().get(pk=enquiry_id)
    if not enquiries_due_for_anonymising(now).filter(pk=enquiry.pk).exists():
        return False
    messages = Message.objects.filter(enquiry=enquiry)
    attachments = Attachment.objects.filter(message__enquiry=enquiry)
    files = [name for name in attachments.values_list("file", flat=True) if name]
    attachments.delete()
    keys = [f"enquiry-ack:{enquiry.pk}"] + [
        f"enquiry-reply:{pk}" for pk in messages.values_list("pk", flat=True)
    ]
    # An email still waiting to be sent keeps its address; by the end of the retention period
    # there are none.
    Email.objects.filter(key__in=keys, status__in=[Email.Status.SENT, Email.Status.FAILED]).update(
        to=ANONYMISED_EMAIL, subject="", body_text=REMOVED_TEXT, body_html="", headers={}
    )
    messages.update(sender="", subject="", body=REMOVED_TEXT, import_notes="")
    Enquiry.objects.filter(pk=enquiry.pk).update(
        name=ANONYMISED_NAME,
        email=ANONYMISED_EMAIL,
        organisation="",
        subject="",
        consent_to_contact=False,
        updated_at=now,
    )
    # The admin's own history names each entry by the enquiry as it was ("GC-...: <name>").
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(Enquiry), object_id=str(enquiry.pk)
    ).update(object_repr=f"{enquiry.reference}: {ANONYMISED_NAME}")
    EnquiryEvent.objects.create(
        enquiry=enquiry, actor=None, field=ANONYMISED_EVENT, new="Personal details removed"
    )
    transaction.on_commit(partial(_delete_files, files))
    return True


def _delete_files(names: list[str]) -> None:
    for name in names:
        try:
            default_storage.delete(name)
        except OSError:
            # The row is gone either way: log the file, so that it can be removed by hand.
            log.exception("Could not delete the attachment file %s", name)
