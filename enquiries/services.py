"""Enquiries: take them in (web form, mailbox), triage them, reply, and export them."""

import csv
import hashlib
import html
import logging
import mailbox
import os
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email import policy
from email.message import EmailMessage
from email.parser import BytesParser
from email.utils import getaddresses
from pathlib import Path

import filetype
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Permission
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import strip_tags
from django.utils.text import get_valid_filename

from outbox.services import queue_email, queue_rendered
from webhooks import services as webhooks
from webhooks.events import ENQUIRY_CREATED

from .models import (
    FORM_MAX_AGE_SECONDS,
    MESSAGE_MAX,
    NAME_MAX,
    REFERENCE_RE,
    SUBJECT_MAX,
    Attachment,
    Enquiry,
    EnquiryEvent,
    Message,
    ReferenceSequence,
    SentForm,
)

log = logging.getLogger(__name__)

MAX_ATTACHMENT_BYTES = settings.ENQUIRIES_MAX_ATTACHMENT_BYTES
# Content type -> the file name endings it may have, and the name people know it by. PDF,
# images, office documents and text. An attachment is kept only if its ending is here and its
# content, read by `filetype` (magic numbers), is that type: never by its name or the type
# its sender declared. The name is as a sentence says it ("a PDF").
ALLOWED_ATTACHMENTS = {
    "application/pdf": ({".pdf"}, "a PDF"),
    "image/png": ({".png"}, "a PNG image"),
    "image/jpeg": ({".jpg", ".jpeg"}, "a JPEG image"),
    "image/gif": ({".gif"}, "a GIF image"),
    "image/webp": ({".webp"}, "a WebP image"),
    "text/plain": ({".txt"}, "a plain text file"),
    "text/csv": ({".csv"}, "a CSV file"),
    "application/msword": ({".doc"}, "a Word document"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (
        {".docx"},
        "a Word document",
    ),
    "application/vnd.ms-excel": ({".xls"}, "an Excel spreadsheet"),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (
        {".xlsx"},
        "an Excel spreadsheet",
    ),
    "application/vnd.ms-powerpoint": ({".ppt"}, "a PowerPoint presentation"),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (
        {".pptx"},
        "a PowerPoint presentation",
    ),
    "application/vnd.oasis.opendocument.text": ({".odt"}, "an OpenDocument text"),
    "application/vnd.oasis.opendocument.spreadsheet": ({".ods"}, "an OpenDocument spreadsheet"),
    "application/vnd.oasis.opendocument.presentation": (
        {".odp"},
        "an OpenDocument presentation",
    ),
}
ALLOWED_ENDINGS = {
    ending: kind for kind, (ends, _) in ALLOWED_ATTACHMENTS.items() for ending in ends
}
# Text has no magic number: it must be UTF-8 with no control characters but tab, line breaks
# and form feed, and no markup a browser would run or show as a page.
TEXT_TYPES = {"text/plain", "text/csv"}
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0e-\x1f\x7f]")
MARKUP = re.compile(
    rb"<\s*(?:!doctype|\?xml|\?php|script|html|head|body|iframe|frame|object|embed|svg|math"
    rb"|meta|link|style|form|img|a\s)",
    re.IGNORECASE,
)
# Word, Excel and PowerPoint 97-2003 files share one container (OLE2); `filetype` tells them
# apart only by guesswork, so any of the three endings accepts that container.
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
OLE2_TYPES = {"application/msword", "application/vnd.ms-excel", "application/vnd.ms-powerpoint"}
# Stored imported email text is capped: a runaway message should not fill the database.
STORED_BODY_MAX = 100_000
# Changes to these are written to the enquiry's history, with who made them.
TRACKED_FIELDS = ("status", "priority", "assignee", "cluster", "topic")
# The history row of a reply sent (EnquiryEvent.field). Its text names no one: the history
# is kept after the sender's details are removed (staff.services.anonymise_enquiry).
REPLY_EVENT = "reply"
REPLY_EVENT_TEXT = "Emailed to the sender"


def triagers(keep: int | None = None):
    """Active staff who may answer enquiries (their role's "change enquiry", or superusers):
    the only people an enquiry can be given to; `keep`: a user id offered whatever their
    role now (the enquiry's current assignee)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.backends import ModelBackend

    allowed = (
        ModelBackend()
        .with_perm("enquiries.change_enquiry", is_active=True, include_superusers=True)
        .filter(is_staff=True)
        .values("pk")
    )
    return get_user_model().objects.filter(Q(pk__in=allowed) | Q(pk=keep)).order_by("name", "email")


def programme_address() -> str:
    """Where replies to staff emails go: the programme's shared mailbox."""
    return getattr(settings, "ENQUIRIES_REPLY_TO", settings.DEFAULT_FROM_EMAIL)


def one_line(text: str) -> str:
    return " ".join(str(text).split())


# References ---------------------------------------------------------------------------------


def next_reference(year: int | None = None) -> str:
    """The next free reference of the year, like GC-2026-00123. Never hands out one twice:
    the counter row stays locked by the update until the surrounding transaction ends."""
    year = year or timezone.now().year
    with transaction.atomic():
        ReferenceSequence.objects.get_or_create(year=year)
        ReferenceSequence.objects.filter(year=year).update(last=F("last") + 1)
        number = ReferenceSequence.objects.values_list("last", flat=True).get(year=year)
    return f"GC-{year}-{number:05d}"


def find_reference(text: str) -> str | None:
    match = REFERENCE_RE.search(text or "")
    return f"GC-{match.group(1)}-{match.group(2)}" if match else None


# The web form -------------------------------------------------------------------------------


class AlreadySent(Exception):
    """This copy of the form was sent before: its start token is spent."""


def _token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def form_already_sent(token: str) -> bool:
    """Whether this copy of the form has sent an enquiry already. Reads only: a check before
    the rate limit, so that a copy sent again is not counted as another enquiry."""
    return SentForm.objects.filter(digest=_token_digest(token)).exists()


def spend_form_token(token: str) -> None:
    """Mark a form's signed start token as used; AlreadySent if it was used before.

    The token's digest is a primary key, so of two submissions at the same moment, from any
    processes, exactly one gets through. Called inside submit_enquiry's transaction: if the
    enquiry is not saved, the token is not spent either.
    """
    try:
        with transaction.atomic():
            SentForm.objects.create(digest=_token_digest(token))
    except IntegrityError:
        raise AlreadySent from None
    # Tokens older than this are refused as expired anyway: their rows need not be kept.
    SentForm.objects.filter(
        sent_at__lt=timezone.now() - timedelta(seconds=FORM_MAX_AGE_SECONDS)
    ).delete()


# Who hears of new enquiries by webhook: staff who triage (staff/roles.py).
TRIAGE_PERMISSION = "enquiries.view_enquiry"


@transaction.atomic
def submit_enquiry(data: dict, *, form_token: str = "") -> Enquiry:
    """Save a web enquiry and its first message, and queue the acknowledgement. All or nothing;
    the email is sent after commit, and later by the outbox sweeper if the mail server is down.

    With the form's start token, one copy of the form makes one enquiry: sending it again
    raises AlreadySent and saves nothing (see spend_form_token).
    """
    if form_token:
        spend_form_token(form_token)
    enquiry = Enquiry.objects.create(
        reference=next_reference(),
        name=data["name"],
        email=data["email"],
        organisation=data.get("organisation", ""),
        organisation_kind=data["organisation_kind"],
        topic=data["topic"],
        cluster=data.get("cluster"),
        consent_to_contact=data.get("consent_to_contact", False),
        source=Enquiry.Source.WEB,
    )
    Message.objects.create(
        enquiry=enquiry,
        direction=Message.Direction.INBOUND,
        sender=f"{enquiry.name} <{enquiry.email}>",
        body=data["message"],
        created_at=enquiry.created_at,
    )
    # The acknowledgement repeats nothing the sender typed: the form cannot be used to send
    # someone else a message of the sender's choosing.
    queue_email(
        f"enquiry-ack:{enquiry.pk}",
        enquiry.email,
        "enquiry_ack",
        {"enquiry": enquiry, "reply_days": settings.ENQUIRIES_REPLY_WITHIN_WORKING_DAYS},
    )
    emit_enquiry_created(enquiry)
    return enquiry


def emit_enquiry_created(enquiry: Enquiry) -> None:
    """Webhooks for staff who triage enquiries, in the caller's transaction. Only what
    says what it is about: never the sender's name, address or words (personal data that
    would leave for another system); the link opens it in the admin."""
    app_label, codename = TRIAGE_PERMISSION.split(".")
    granted = Permission.objects.filter(codename=codename, content_type__app_label=app_label)
    triagers = (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(
            Q(is_superuser=True)
            | Q(groups__permissions__in=granted)
            | Q(user_permissions__in=granted)
        )
        .values_list("pk", flat=True)
        .distinct()
    )
    payload = {
        "enquiry": {
            "reference": enquiry.reference,
            "source": enquiry.source,
            "topic": enquiry.topic,
            "created_at": enquiry.created_at.isoformat().replace("+00:00", "Z"),
        },
        "url": settings.SITE_URL + reverse("admin:enquiries_enquiry_change", args=[enquiry.pk]),
    }
    webhooks.emit(
        ENQUIRY_CREATED, payload, user_ids=list(triagers), key=f"{ENQUIRY_CREATED}:{enquiry.pk}"
    )


# Triage -------------------------------------------------------------------------------------


def _shown(enquiry: Enquiry, name: str) -> str:
    if name == "assignee":
        return enquiry.assignee.email if enquiry.assignee else ""
    if name == "cluster":
        return enquiry.cluster.name if enquiry.cluster else ""
    return getattr(enquiry, f"get_{name}_display")()


@transaction.atomic
def save_enquiry(enquiry: Enquiry, actor=None) -> list[EnquiryEvent]:
    """Save a changed enquiry, writing one history row per changed TRACKED_FIELDS.

    Compares with the row as stored, locked, so two staff saving at once both get a history row.
    """
    before = (
        Enquiry.objects.select_for_update(of=("self",))
        .select_related("assignee")
        .get(pk=enquiry.pk)
    )
    events = []
    for name in TRACKED_FIELDS:
        attname = Enquiry._meta.get_field(name).attname
        if getattr(before, attname) != getattr(enquiry, attname):
            events.append(
                EnquiryEvent(
                    enquiry=enquiry,
                    actor=actor,
                    field=name,
                    old=_shown(before, name),
                    new=_shown(enquiry, name),
                )
            )
    enquiry.save()
    EnquiryEvent.objects.bulk_create(events)
    return events


def change_enquiry(enquiry: Enquiry, actor=None, **changes) -> list[EnquiryEvent]:
    """Set fields (status=..., assignee=..., priority=...) and save, with history."""
    for name, value in changes.items():
        setattr(enquiry, name, value)
    return save_enquiry(enquiry, actor)


def assign_to(enquiry: Enquiry, user, actor=None) -> list[EnquiryEvent]:
    """Give the enquiry to a member of staff; a new or triaged enquiry becomes "assigned"."""
    changes = {"assignee": user}
    if enquiry.status in (Enquiry.Status.NEW, Enquiry.Status.TRIAGED):
        changes["status"] = Enquiry.Status.ASSIGNED
    return change_enquiry(enquiry, actor or user, **changes)


class EnquiryAssigned(Exception):
    """Refused: the enquiry is someone's, and marking it triaged would not give it back."""


# An enquiry someone has is "assigned" (or further on): never "new" or "triaged".
BEFORE_ASSIGNED = (Enquiry.Status.NEW, Enquiry.Status.TRIAGED)
ASSIGNED_NOT_TRIAGED = (
    "An enquiry that someone has is “Assigned”, not “{status}”. To mark it “{status}”, "
    "also clear its assignee; to keep it with them, choose another status."
)


ASSIGNED_TO_NOBODY = (
    "An enquiry is “Assigned” only when someone has it. Choose who has it, or choose "
    "another status."
)


def status_with_assignee(status: str, assignee, *, status_chosen: bool) -> str:
    """The status an enquiry takes when saved with this assignee: one rule for the admin's
    form, the staff API and the bulk action (mark_triaged).

    A new or triaged enquiry that someone has becomes "assigned" (as assign_to), unless the
    person chose "new" or "triaged" in this same change: that says two contrary things, and
    is refused (EnquiryAssigned, whose message says what to do), as mark_triaged refuses it.
    The other way round, an "assigned" enquiry that nobody has any more goes back to
    "triaged" (re-probe, stop 30: clearing the assignee left it "assigned" to nobody), and
    choosing "assigned" with nobody is refused.
    """
    if assignee is None:
        if status != Enquiry.Status.ASSIGNED:
            return status
        if status_chosen:
            raise EnquiryAssigned(ASSIGNED_TO_NOBODY)
        return Enquiry.Status.TRIAGED
    if status not in BEFORE_ASSIGNED:
        return status
    if status_chosen:
        raise EnquiryAssigned(ASSIGNED_NOT_TRIAGED.format(status=Enquiry.Status(status).label))
    return Enquiry.Status.ASSIGNED


def mark_triaged(enquiry: Enquiry, actor=None) -> list[EnquiryEvent]:
    """Mark the enquiry as read and ready to be given to someone, with history; [] if it was
    triaged already.

    "Triaged" comes before "assigned" (assign_to moves it on; an enquiry reopened with an
    assignee goes back to "assigned"). So an enquiry someone has is left as it was, status
    and assignee both, and EnquiryAssigned raised: taking it from them is done on its page,
    by clearing the assignee in view, never as a side effect of a status.
    """
    if enquiry.status == Enquiry.Status.TRIAGED:
        return []
    status = status_with_assignee(
        Enquiry.Status.TRIAGED, enquiry.assignee_id, status_chosen=True
    )  # raises EnquiryAssigned if someone has it
    return change_enquiry(enquiry, actor, status=status)


def add_note(enquiry: Enquiry, author, body: str) -> Message:
    """An internal note in the thread: never sent to anyone."""
    return Message.objects.create(
        enquiry=enquiry,
        direction=Message.Direction.NOTE,
        sender=author.email,
        body=body,
        author=author,
    )


@transaction.atomic
def send_reply(enquiry: Enquiry, author, body: str, *, wait_on_sender: bool = True) -> Message:
    """Record a reply in the thread and queue it to the sender, with the reference in the subject.

    The reply gets a history row of its own (REPLY_EVENT). A reply to an enquiry that was not
    yet answered sets first_replied_at; the enquiry then waits on the sender (with a history
    row), unless `wait_on_sender` is False: the person chose its status with the reply (the
    admin's form), and that choice stands.
    """
    subject = one_line(render_to_string("emails/enquiry_reply_subject.txt", {"enquiry": enquiry}))[
        :SUBJECT_MAX
    ]
    message = Message.objects.create(
        enquiry=enquiry,
        direction=Message.Direction.OUTBOUND,
        sender=programme_address(),
        subject=subject,
        body=body,
        author=author,
    )
    headers = {"Reply-To": programme_address()}
    last_inbound = (
        enquiry.messages.filter(direction=Message.Direction.INBOUND)
        .exclude(message_id="")
        .order_by("-created_at", "-pk")
        .first()
    )
    if last_inbound is not None:
        headers["In-Reply-To"] = last_inbound.message_id
        headers["References"] = last_inbound.message_id
    text = render_to_string(
        "emails/enquiry_reply.txt",
        {"enquiry": enquiry, "body": body, "site_url": settings.SITE_URL},
    )
    email = queue_rendered(
        f"enquiry-reply:{message.pk}", enquiry.email, subject, text, headers=headers
    )
    # The outbox's Message-ID: a reply to it joins this thread when the mailbox is imported.
    message.message_id = email.message_id
    message.save(update_fields=["message_id"])
    EnquiryEvent.objects.create(
        enquiry=enquiry,
        actor=author,
        field=REPLY_EVENT,
        new=REPLY_EVENT_TEXT,
        created_at=message.created_at,
    )
    if enquiry.first_replied_at is None:
        enquiry.first_replied_at = message.created_at
    if wait_on_sender and enquiry.status not in (Enquiry.Status.CLOSED, Enquiry.Status.SPAM):
        enquiry.status = Enquiry.Status.WAITING
    save_enquiry(enquiry, author)
    return message


# What the platform already knows ------------------------------------------------------------


@dataclass
class Knowledge:
    clusters: list = field(default_factory=list)
    themes: list = field(default_factory=list)
    matches: list = field(default_factory=list)  # (listing, matching suggestion)
    challenges: list = field(default_factory=list)  # (challenge, matching suggestion)


def what_we_know(enquiry: Enquiry) -> Knowledge:
    """The likely cluster and themes of an enquiry, and the listings and open challenges that
    best fit its text.

    Nothing is stored. With no matcher model fitted yet, there are no listings.
    """
    from clusters.models import Cluster, Listing, Theme
    from matching import services as matching

    text = "\n\n".join(
        enquiry.messages.filter(direction=Message.Direction.INBOUND).values_list("body", flat=True)
    )[:MESSAGE_MAX]
    matches, challenges = matching.preview_for_enquiry(enquiry, text, 5, 3)
    ids = [listing.pk for listing, _ in matches]
    lowered = text.lower()

    clusters: Counter = Counter()
    all_clusters = list(Cluster.objects.all())
    for cluster in all_clusters:
        if cluster.pk == enquiry.cluster_id:
            clusters[cluster] += 100
        if cluster.name.lower() in lowered:
            clusters[cluster] += 10
    by_pk = {c.pk: c for c in all_clusters}
    through = Listing.clusters.through
    for cluster_id in through.objects.filter(listing_id__in=ids).values_list(
        "cluster_id", flat=True
    ):
        clusters[by_pk[cluster_id]] += 1

    themes: Counter = Counter()
    for theme in Theme.objects.filter(listings__in=ids):
        themes[theme] += 1
    for theme in Theme.objects.all():
        if theme.slug.replace("-", " ") in lowered:
            themes[theme] += 2
    # A second cluster only when it is nearly as likely as the first: listings that fit an
    # enquiry naming South Wales made "South Wales, Humber" (newcomer probe, stop 27).
    likely = clusters.most_common(2)
    return Knowledge(
        clusters=[c for c, n in likely if n * 2 >= likely[0][1]],
        themes=[t for t, _ in themes.most_common(3)],
        matches=matches,
        challenges=challenges,
    )


def set_likely_cluster(enquiry: Enquiry, actor) -> list[EnquiryEvent]:
    """Give an enquiry with no cluster the one its words and the listings that fit them point
    to (what_we_know), with history, when exactly one stands out. Nothing changes for one that
    has a cluster, or when the text points to none or to two (an empty list is returned).

    For the 300 enquiries that come in by email with no cluster: the cluster filter then finds
    them (newcomer probe, stop 28)."""
    if enquiry.cluster_id is not None:
        return []
    likely = what_we_know(enquiry).clusters
    if len(likely) != 1:
        return []
    return change_enquiry(enquiry, actor, cluster=likely[0])


# Export -------------------------------------------------------------------------------------

CSV_COLUMNS = [
    ("Reference", lambda e: e.reference),
    ("Received", lambda e: timezone.localtime(e.created_at).strftime("%Y-%m-%d %H:%M")),
    ("Status", lambda e: e.get_status_display()),
    ("Priority", lambda e: e.get_priority_display()),
    ("Topic", lambda e: e.get_topic_display()),
    ("Subject", lambda e: e.subject),
    ("Name", lambda e: e.name),
    ("Email", lambda e: e.email),
    ("Organisation", lambda e: e.organisation),
    ("Kind of organisation", lambda e: e.get_organisation_kind_display()),
    ("Cluster", lambda e: e.cluster.name if e.cluster else ""),
    ("Assignee", lambda e: e.assignee.email if e.assignee else ""),
    ("Source", lambda e: e.get_source_display()),
    ("First replied", lambda e: e.first_replied_at.isoformat() if e.first_replied_at else ""),
]


def csv_safe(value) -> str:
    """A cell a spreadsheet will not run as a formula: = + - @ (and tab, CR) get a quote first."""
    text = "" if value is None else str(value)
    if text[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + text
    return text


def write_csv(enquiries: Iterable[Enquiry], out) -> None:
    writer = csv.writer(out)
    writer.writerow([title for title, _ in CSV_COLUMNS])
    for enquiry in enquiries:
        writer.writerow([csv_safe(get(enquiry)) for _, get in CSV_COLUMNS])


# Importing a mailbox ------------------------------------------------------------------------


class MalformedEmail(Exception):
    """The file is not an email we can file: the message says why, in plain words."""


@dataclass
class ImportSummary:
    imported: int = 0
    joined: int = 0
    duplicates: int = 0
    failed: list[tuple[str, str]] = field(default_factory=list)
    remaining: int = 0  # left for the next run (the IMAP inbox reads a batch at a time)

    def add(self, outcome: str) -> None:
        """Count what import_email() did with one email."""
        if outcome == "imported":
            self.imported += 1
        elif outcome == "joined":
            self.joined += 1
        else:
            self.duplicates += 1


def attachment_problem(filename: str, data: bytes) -> str:
    """Why an attachment cannot be kept, or "" if it can: judged by its size, its name's ending
    and its content, which must be what the ending says (an EXE named invoice.pdf, or a web
    page named notes.pdf, is refused). A kept file's type is ALLOWED_ENDINGS[its ending]."""
    ending = os.path.splitext(filename)[1].lower()
    if len(data) > MAX_ATTACHMENT_BYTES:
        return f"it is larger than {MAX_ATTACHMENT_BYTES // (1024 * 1024)} MB"
    expected = ALLOWED_ENDINGS.get(ending)
    if expected is None:
        return f"files ending “{ending}” are not accepted" if ending else "it has no file type"
    if not data:
        return "it is empty"
    name = ALLOWED_ATTACHMENTS[expected][1]
    found = filetype.guess_mime(data[:8192])
    if expected in TEXT_TYPES:
        if found is None and _is_plain_text(data):
            return ""
    elif expected in OLE2_TYPES:
        if data.startswith(OLE2_SIGNATURE) and found in (None, *OLE2_TYPES):
            return ""
    elif found == expected:
        return ""
    return f"its name says it is {name}, but its content is {_describe(data, found)}"


def _is_plain_text(data: bytes) -> bool:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return False
    return not CONTROL_CHARACTERS.search(text) and not MARKUP.search(data)


def _describe(data: bytes, found: str | None) -> str:
    """What a file's content is, in words, for the note staff read."""
    if found in ALLOWED_ATTACHMENTS:
        return ALLOWED_ATTACHMENTS[found][1]
    if found == "application/x-msdownload":
        return "a Windows program"
    if found is not None:
        return f"another type of file ({found})"
    if MARKUP.search(data[:100_000]):
        return "a web page or script (HTML)"
    try:
        data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return "not a type we recognise"
    return "text"


def import_enquiries(path: Path) -> ImportSummary:
    """Import a folder of .eml files, one .eml file or an mbox file. Safe to run again:
    an email already imported (same Message-ID) is counted as a duplicate and left alone.
    A file that cannot be read is named in the summary; the others are still imported."""
    summary = ImportSummary()
    for name, raw in _emails_in(Path(path), summary):
        try:
            outcome = import_email(raw)
        except MalformedEmail as exc:
            summary.failed.append((name, str(exc)))
        except Exception as exc:  # one bad file must never stop the rest
            log.exception("Could not import %s", name)
            summary.failed.append((name, f"it could not be read ({type(exc).__name__}: {exc})"))
        else:
            summary.add(outcome)
    return summary


def _emails_in(path: Path, summary: ImportSummary) -> Iterator[tuple[str, bytes]]:
    if path.is_dir():
        for file in sorted(path.iterdir()):
            if file.is_file() and file.suffix.lower() == ".eml":
                yield file.name, file.read_bytes()
        return
    if path.suffix.lower() == ".eml":
        yield path.name, path.read_bytes()
        return
    try:
        box = mailbox.mbox(path, create=False)
        keys = box.keys()
    except Exception as exc:
        summary.failed.append((path.name, f"it is not an mbox file ({exc})"))
        return
    for number, key in enumerate(keys, 1):
        name = f"{path.name}, message {number}"
        try:
            raw = box.get_bytes(key)
        except Exception as exc:
            summary.failed.append((name, f"it could not be read ({exc})"))
            continue
        yield name, raw


def import_email(raw: bytes) -> str:
    """File one email: "imported" (a new enquiry), "joined" (a reply in an existing thread)
    or "duplicate" (already imported). All or nothing; raises MalformedEmail."""
    msg = BytesParser(policy=policy.default).parsebytes(raw)
    message_id = _message_id(msg, raw)
    if Message.objects.filter(message_id=message_id).exists():
        return "duplicate"
    name, address = _sender(msg)
    subject = one_line(_header(msg, "Subject"))[:SUBJECT_MAX]
    body = _body(msg)
    files, notes = _attachments(msg)
    if not body and not files:
        raise MalformedEmail("it has no text and no attachment we could keep")
    received = _date(msg)
    try:
        with transaction.atomic():
            enquiry = _thread_for(msg, subject)
            outcome = "joined" if enquiry else "imported"
            if enquiry is None:
                enquiry = Enquiry.objects.create(
                    reference=next_reference(),
                    name=(name or address.split("@")[0])[:NAME_MAX],
                    email=address,
                    subject=subject,
                    source=Enquiry.Source.EMAIL,
                    created_at=received,
                )
            message = Message.objects.create(
                enquiry=enquiry,
                direction=Message.Direction.INBOUND,
                sender=one_line(f"{name} <{address}>" if name else address)[:300],
                subject=subject,
                body=body or "(This email had no text, only attachments.)",
                message_id=message_id,
                import_notes="\n".join(notes),
                created_at=received,
            )
            for filename, content_type, data in files:
                attachment = Attachment(
                    message=message, filename=filename, content_type=content_type, size=len(data)
                )
                attachment.file.save(filename, ContentFile(data), save=False)
                attachment.save()
            if outcome == "joined":
                _reopen(enquiry)
            else:
                emit_enquiry_created(enquiry)
    except IntegrityError:
        # Imported side by side by another run: the unique Message-ID kept it to one.
        if Message.objects.filter(message_id=message_id).exists():
            return "duplicate"
        raise
    return outcome


def _header(msg: EmailMessage, name: str) -> str:
    try:
        value = msg.get(name)
    except Exception as exc:
        raise MalformedEmail(f"its {name} header could not be read") from exc
    return "" if value is None else str(value)


def _message_id(msg: EmailMessage, raw: bytes) -> str:
    found = one_line(_header(msg, "Message-ID"))[:255]
    # Without a Message-ID, the content itself identifies the email, so a re-import still
    # finds it.
    return found or f"<sha256-{hashlib.sha256(raw).hexdigest()}@import.invalid>"


def _sender(msg: EmailMessage) -> tuple[str, str]:
    pairs = getaddresses([_header(msg, "From")])
    name, address = pairs[0] if pairs else ("", "")
    address = address.strip()
    try:
        validate_email(address)
    except ValidationError:
        raise MalformedEmail("it has no valid sender address in its From header") from None
    return one_line(name), address.lower()


def _date(msg: EmailMessage):
    try:
        header = msg.get("Date")
        when = header.datetime if header is not None else None
    except Exception:
        when = None
    if when is None:
        return timezone.now()
    if timezone.is_naive(when):
        when = timezone.make_aware(when, timezone.get_default_timezone())
    return min(when, timezone.now())


def _text_of(part: EmailMessage) -> str:
    try:
        text = part.get_content()
    except (LookupError, UnicodeError, AssertionError, KeyError):
        payload = part.get_payload(decode=True) or b""
        text = payload.decode("utf-8", errors="replace")
    if not isinstance(text, str):
        text = text.decode("utf-8", errors="replace")
    return text


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(preferencelist=("plain", "html"))
    if part is None:
        return ""
    text = _text_of(part)
    if part.get_content_type() == "text/html":
        text = html.unescape(strip_tags(text))
    return text.replace("\r\n", "\n").strip()[:STORED_BODY_MAX]


def _attachments(msg: EmailMessage) -> tuple[list[tuple[str, str, bytes]], list[str]]:
    files, notes = [], []
    for part in msg.iter_attachments():
        filename = get_valid_filename(os.path.basename(part.get_filename() or "")) or "attachment"
        filename = filename[-100:]
        if part.is_multipart():
            notes.append(f"“{filename}” was not kept: attached emails are not accepted")
            continue
        data = part.get_payload(decode=True) or b""
        # The type the sender declared is ignored: the name's ending and the content decide.
        problem = attachment_problem(filename, data)
        if problem:
            notes.append(f"“{filename}” was not kept: {problem}")
            continue
        files.append((filename, ALLOWED_ENDINGS[os.path.splitext(filename)[1].lower()], data))
    return files, notes


def _thread_for(msg: EmailMessage, subject: str) -> Enquiry | None:
    """The enquiry an email answers: by its In-Reply-To or References, else by a reference
    like GC-2026-00123 in its subject."""
    ids = (_header(msg, "In-Reply-To") + " " + _header(msg, "References")).split()
    if ids:
        earlier = Message.objects.filter(message_id__in=ids[-50:]).select_related("enquiry")
        found = earlier.first()
        if found is not None:
            return found.enquiry
    reference = find_reference(subject)
    if reference:
        return Enquiry.objects.filter(reference__iexact=reference).first()
    return None


def _reopen(enquiry: Enquiry) -> None:
    """The sender wrote again: a closed enquiry, or one waiting on them, needs looking at."""
    if enquiry.status in (Enquiry.Status.WAITING, Enquiry.Status.CLOSED):
        status = Enquiry.Status.ASSIGNED if enquiry.assignee_id else Enquiry.Status.NEW
        change_enquiry(enquiry, None, status=status)
