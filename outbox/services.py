"""Queue and send emails through the outbox; each is sent at most once per key."""

import logging
import time
import uuid
from contextlib import contextmanager
from datetime import timedelta

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, get_connection
from django.db import DatabaseError
from django.db import connection as database
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.html import escape

from config.celery import enqueue

from .models import Email

log = logging.getLogger(__name__)
# A worker that claimed an email and died is assumed dead after this long.
LEASE = timedelta(seconds=getattr(settings, "OUTBOX_LEASE_SECONDS", 300))
MAX_ATTEMPTS = 8
# Emails sent over one SMTP connection by one task.
SEND_BATCH = 25


def _one_line(text: str) -> str:
    """Subjects carry user text (organisation names): a line break would be a header injection."""
    return " ".join(text.split())[:300]


def seal(secrets, text: str, html: str = "", headers: dict | None = None):
    """Replace each secret in the email by a placeholder such as "[hidden 1]".

    `secrets` are the one-time values the email carries for its reader (a reset link, a
    signed token). Returns (text, html, headers, sealed): the parts as staff may see
    them, and what each placeholder hides, so that `unseal` rebuilds the email to send.
    A placeholder never collides with text already in the email.
    """
    headers = dict(headers or {})
    parts = [text, html, *headers.values()]
    values = {str(s) for s in secrets if s}
    values |= {str(escape(v)) for v in values}  # as it stands in an HTML body
    sealed: dict[str, str] = {}
    number = 0
    for value in sorted(values, key=len, reverse=True):  # a link before the token inside it
        if not any(value in part for part in parts):
            continue
        number += 1
        while any(f"[hidden {number}]" in part for part in parts):
            number += 1
        placeholder = f"[hidden {number}]"
        sealed[placeholder] = value
        parts = [part.replace(value, placeholder) for part in parts]
    text, html, *header_values = parts
    return text, html, dict(zip(headers, header_values, strict=True)), sealed


def unseal(part: str, sealed: dict) -> str:
    """The part as it is sent: each placeholder back to the secret it hides."""
    for placeholder, value in sealed.items():
        part = part.replace(placeholder, value)
    return part


def queue_email(key: str, to: str, template: str, context: dict, secrets=(), headers=None) -> Email:
    """Render emails/<template>_subject.txt, .txt (and .html if present) and queue it.

    Idempotent: a second call with the same key returns the first email unchanged.
    Sent after the surrounding transaction commits; if the broker is down, the
    periodic sweeper sends it later. `secrets` are hidden from staff (see `seal`).
    """
    context = {"site_url": settings.SITE_URL, **context}
    subject = _one_line(render_to_string(f"emails/{template}_subject.txt", context))
    text = render_to_string(f"emails/{template}.txt", context)
    return queue_rendered(key, to, subject, text, headers=headers, secrets=secrets)


def queue_many(emails: list[dict]) -> int:
    """Queue many rendered emails at once (dicts of Email fields, each with a unique key,
    and optionally "secrets" to hide from staff, as in `seal`).

    Idempotent like queue_rendered: a key already queued is left as it was.
    """

    if not emails:
        return 0
    rows = [_sealed_row(**e) for e in emails]
    Email.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    keys = [e["key"] for e in emails]
    ids = []
    for start in range(0, len(keys), 900):
        ids += list(
            Email.objects.filter(
                key__in=keys[start : start + 900], status=Email.Status.PENDING, attempts=0
            ).values_list("pk", flat=True)
        )
    from .tasks import send_emails_task

    for start in range(0, len(ids), SEND_BATCH):
        enqueue(send_emails_task, ids[start : start + SEND_BATCH])
    return len(ids)


def _sealed_row(*, subject: str, body_text: str, body_html="", headers=None, secrets=(), **rest):
    text, html, headers, sealed = seal(secrets, body_text, body_html, headers)
    return Email(
        subject=_one_line(subject),
        body_text=text,
        body_html=html,
        headers=headers,
        sealed=sealed,
        **rest,
    )


def queue_rendered(
    key: str, to: str, subject: str, text: str, html: str = "", headers=None, secrets=()
):
    """Queue one rendered email once per key; `secrets` are hidden from staff (see `seal`)."""
    from .tasks import send_email_task

    row = _sealed_row(
        key=key,
        to=to,
        subject=subject,
        body_text=text,
        body_html=html,
        headers=headers,
        secrets=secrets,
    )
    defaults = {
        f: getattr(row, f) for f in ("to", "subject", "body_text", "body_html", "headers", "sealed")
    }
    email, created = Email.objects.get_or_create(key=key, defaults=defaults)
    if created:
        enqueue(send_email_task, email.pk)
    return email


def send_email(email_id: int) -> bool:
    """Send one queued email. Safe to run twice or side by side: the row is claimed first.

    Returns True if this call sent it. Raises on an SMTP failure so the task can retry.
    """
    return send_emails([email_id]) == 1


def send_emails(email_ids: list[int]) -> int:
    """Send queued emails over one connection; each row is claimed before it is sent.

    Returns how many this call sent. Emails claimed by another worker, or already sent,
    are skipped. If any send fails, it goes back to pending (or failed, after
    MAX_ATTEMPTS) and the error is raised once the others are done, so the task retries.
    """
    now = timezone.now()
    token = uuid.uuid4().hex
    Email.objects.filter(
        Q(status=Email.Status.PENDING) | Q(status=Email.Status.SENDING, claimed_at__lt=now - LEASE),
        pk__in=email_ids,
    ).update(status=Email.Status.SENDING, claimed_at=now, claimed_by=token)
    claimed = list(Email.objects.filter(pk__in=email_ids, claimed_by=token, status="sending"))
    if not claimed:
        return 0
    sent, failure = 0, None
    with get_connection() as connection, _marks_not_waiting_for_disk():
        for email in claimed:
            message = _message(email, connection)
            try:
                message.send()
            except Exception as exc:
                attempts = email.attempts + 1
                gave_up = attempts >= MAX_ATTEMPTS
                Email.objects.filter(pk=email.pk).update(
                    status=Email.Status.FAILED if gave_up else Email.Status.PENDING,
                    attempts=attempts,
                    last_error=f"{type(exc).__name__}: {exc}"[:2000],
                    # Never sent again: its secrets have no more use.
                    **({"sealed": {}} if gave_up else {}),
                )
                failure = failure or exc
                continue
            status = getattr(message, "anymail_status", None)
            # Marked at once, one by one: a crash now repeats at most this one email.
            # The secrets go in the same update: once sent, nothing needs them.
            _mark_sent(email, _provider_id(status))
            sent += 1
    if failure is not None:
        raise failure
    return sent


def _mark_sent(email: Email, provider_message_id: str) -> None:
    """Record that the SMTP server took `email`; through a database restart, try again.

    The message is out: if the row stayed "sending", it would be sent a second time once its
    lease ran out. So a lost connection (OperationalError, InterfaceError) is retried, with a
    new connection, for up to OUTBOX_MARK_SENT_RETRY_SECONDS (the drill restarts PostgreSQL
    in the middle of a digest run: platform/drill scenario postgres-restart).
    """
    from django.db import InterfaceError, OperationalError, connection

    deadline = time.monotonic() + getattr(settings, "OUTBOX_MARK_SENT_RETRY_SECONDS", 60)
    delay = 0.2
    while True:
        try:
            Email.objects.filter(pk=email.pk).update(
                sealed={},
                status=Email.Status.SENT,
                sent_at=timezone.now(),
                attempts=email.attempts + 1,
                provider_message_id=provider_message_id,
            )
            return
        except (OperationalError, InterfaceError) as exc:
            if connection.in_atomic_block or time.monotonic() + delay > deadline:
                raise
            log.warning("Could not mark email %s sent (%s); trying again", email.pk, exc)
        connection.close()
        time.sleep(delay)
        delay = min(delay * 2, 5)


@contextmanager
def _marks_not_waiting_for_disk():
    """On PostgreSQL, while a batch is sent, its commits do not wait for the disk, unless
    OUTBOX_DURABLE_SENT_MARKS is set.

    Each mark is still committed at once and seen by every worker (a worker killed after
    it repeats nothing); it reaches the disk a moment later (at most three times
    `wal_writer_delay`, 600 ms by default). Only a crash of the database server itself
    within that moment (not a restart, which writes everything first) forgets the mark,
    and the email goes again with the same Message-ID. Waiting for the disk cost 2-5 ms
    per email on the benchmark's machine, more than the sending itself.
    """
    if database.vendor != "postgresql" or settings.OUTBOX_DURABLE_SENT_MARKS:
        yield
        return
    with database.cursor() as cursor:
        cursor.execute("SET synchronous_commit TO OFF")
    try:
        yield
    finally:
        try:
            with database.cursor() as cursor:
                cursor.execute("RESET synchronous_commit")
        except DatabaseError:  # the connection is gone, and the setting with it
            log.warning("Could not reset synchronous_commit", exc_info=True)


def _provider_id(status) -> str:
    """The message id an email provider returned (django-anymail), if any."""
    if status is None or status.message_id is None:
        return ""
    return str(status.message_id)[:200]


class _Message(EmailMultiAlternatives):
    def message(self, *args, **kwargs):
        message = super().message(*args, **kwargs)
        if message.is_multipart():
            # Left to itself, the email library picks a boundary and compiles a new regular
            # expression per message to check that the text does not hold it: a quarter of
            # a worker's time per email. A random 128-bit one cannot be in the text.
            message.set_boundary(f"=_{uuid.uuid4().hex}")
        return message


def _message(email: Email, connection) -> EmailMultiAlternatives:
    sealed = email.sealed or {}
    message = _Message(
        subject=email.subject,
        body=unseal(email.body_text, sealed),
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[email.to],
        headers={
            "Message-ID": email.message_id,
            **{name: unseal(value, sealed) for name, value in email.headers.items()},
        },
        connection=connection,
    )
    if email.body_html:
        message.attach_alternative(unseal(email.body_html, sealed), "text/html")
    return message


def resend_pending() -> int:
    """Enqueue every email still waiting, or claimed by a worker that seems to have died."""
    from .tasks import send_emails_task

    stale = timezone.now() - LEASE
    ids = list(
        Email.objects.filter(
            Q(status=Email.Status.PENDING) | Q(status=Email.Status.SENDING, claimed_at__lt=stale)
        ).values_list("pk", flat=True)[:20_000]
    )
    for start in range(0, len(ids), SEND_BATCH):
        batch = ids[start : start + SEND_BATCH]
        enqueue(send_emails_task, batch)
    return len(ids)
