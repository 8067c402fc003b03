"""Queue and send emails through the outbox; each is sent at most once per key."""

import logging
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone

from config.celery import enqueue

from .models import Email

log = logging.getLogger(__name__)
LEASE = timedelta(minutes=5)
MAX_ATTEMPTS = 8


def _one_line(text: str) -> str:
    """Subjects carry user text (organisation names): a line break would be a header injection."""
    return " ".join(text.split())[:300]


def queue_email(key: str, to: str, template: str, context: dict) -> Email:
    """Render emails/<template>_subject.txt, .txt (and .html if present) and queue it.

    Idempotent: a second call with the same key returns the first email unchanged.
    Sent after the surrounding transaction commits; if the broker is down, the
    periodic sweeper sends it later.
    """
    context = {"site_url": settings.SITE_URL, **context}
    subject = _one_line(render_to_string(f"emails/{template}_subject.txt", context))
    text = render_to_string(f"emails/{template}.txt", context)
    return queue_rendered(key, to, subject, text)


def queue_rendered(key: str, to: str, subject: str, text: str, html: str = "", headers=None):
    from .tasks import send_email_task

    email, created = Email.objects.get_or_create(
        key=key,
        defaults={
            "to": to,
            "subject": _one_line(subject),
            "body_text": text,
            "body_html": html,
            "headers": headers or {},
        },
    )
    if created:
        enqueue(send_email_task, email.pk)
    return email


def send_email(email_id: int) -> bool:
    """Send one queued email. Safe to run twice or side by side: the row is claimed first.

    Returns True if this call sent it. Raises on an SMTP failure so the task can retry.
    """
    now = timezone.now()
    claimed = Email.objects.filter(
        Q(status=Email.Status.PENDING) | Q(status=Email.Status.SENDING, claimed_at__lt=now - LEASE),
        pk=email_id,
    ).update(status=Email.Status.SENDING, claimed_at=now)
    if not claimed:
        return False
    email = Email.objects.get(pk=email_id)
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={"Message-ID": email.message_id, **email.headers},
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:
        attempts = email.attempts + 1
        Email.objects.filter(pk=email_id).update(
            status=Email.Status.FAILED if attempts >= MAX_ATTEMPTS else Email.Status.PENDING,
            attempts=attempts,
            last_error=f"{type(exc).__name__}: {exc}"[:2000],
        )
        raise
    Email.objects.filter(pk=email_id).update(
        status=Email.Status.SENT, sent_at=timezone.now(), attempts=email.attempts + 1
    )
    return True


def resend_pending() -> int:
    """Enqueue every email still waiting, or claimed by a worker that seems to have died."""
    from .tasks import send_email_task

    stale = timezone.now() - LEASE
    ids = list(
        Email.objects.filter(
            Q(status=Email.Status.PENDING) | Q(status=Email.Status.SENDING, claimed_at__lt=stale)
        ).values_list("pk", flat=True)[:5000]
    )
    for pk in ids:
        transaction.on_commit(lambda pk=pk: send_email_task.delay(pk), robust=True)
    return len(ids)
