"""Scheduled jobs of the enquiries app: reading the programme's IMAP inbox."""

import logging

from celery import shared_task
from django.conf import settings

from . import imap
from .models import record_mailbox_read

log = logging.getLogger(__name__)


# Every ENQUIRIES_IMAP_INTERVAL_SECONDS, by beat; does nothing unless ENQUIRIES_IMAP_URL is set.
# Two runs at once are harmless: an email is marked only after it is filed, and its unique
# Message-ID stops a second copy. A server that cannot be reached is logged and tried again
# at the next run; the emails wait in the mailbox.
@shared_task(acks_late=True)
def fetch_imap_enquiries_task() -> str:
    url = settings.ENQUIRIES_IMAP_URL
    if not url:
        return "ENQUIRIES_IMAP_URL is not set: nothing to read."
    try:
        summary = imap.fetch_inbox(url, limit=settings.ENQUIRIES_IMAP_BATCH)
    except imap.MailboxError as exc:
        log.error("%s", exc)
        record_mailbox_read(False, str(exc))
        return str(exc)
    for name, reason in summary.failed:
        log.warning("Email %s was not filed (marked %s): %s", name, imap.NOT_IMPORTED, reason)
    text = (
        f"Read the mailbox: {summary.imported} new enquiries, {summary.joined} replies joined, "
        f"{summary.duplicates} already imported, {len(summary.failed)} not filed, "
        f"{summary.remaining} left for the next run."
    )
    log.info("%s", text)
    record_mailbox_read(True, text)
    return text
