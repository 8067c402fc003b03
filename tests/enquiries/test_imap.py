"""Reading the programme's IMAP inbox, against a real Dovecot server started for these tests."""

from email.message import EmailMessage
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from enquiries import imap
from enquiries.models import Attachment, Enquiry, MailboxRead, Message
from enquiries.tasks import fetch_imap_enquiries_task
from tests.enquiries import samples
from tests.services import ImapServer

PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def email(number: int, subject: str = "Hydrogen for our kilns", *, pdf: bool = False) -> bytes:
    msg = EmailMessage()
    msg["From"] = f"Engineer {number} <engineer{number}@plant.example>"
    msg["To"] = "enquiries@programme.example"
    msg["Subject"] = subject
    msg["Message-ID"] = f"<plant-{number}@plant.example>"
    msg.set_content(f"Email number {number}: we want to switch our kilns to hydrogen.")
    if pdf:
        msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="kiln.pdf")
    return bytes(msg)


EMPTY = (
    b"From: someone@plant.example\r\nSubject: (nothing)\r\n"
    b"Message-ID: <empty@plant.example>\r\n\r\n"
)


# --- the URL, without a server -----------------------------------------------------------------


def test_url_with_encoded_user_password_and_folder():
    inbox = imap.parse_url("imaps://gc%40programme.example:p%40ss%3Aw@mail.example/Enquiries")
    assert (inbox.host, inbox.port, inbox.user, inbox.password) == (
        "mail.example",
        993,
        "gc@programme.example",
        "p@ss:w",
    )
    assert (inbox.folder, inbox.security) == ("Enquiries", "tls")
    assert "p@ss" not in str(inbox)


def test_plain_imap_url_requires_starttls_unless_told_otherwise():
    assert imap.parse_url("imap://u:p@mail.example").security == "starttls"
    assert imap.parse_url("imap://u:p@mail.example").folder == "INBOX"
    assert imap.parse_url("imap://u:p@localhost:1143?tls=none").security == "none"
    with pytest.raises(ValueError, match="only allowed for a mail server on this machine"):
        imap.parse_url("imap://u:p@mail.example?tls=none")  # the password would go in clear


@pytest.mark.parametrize(
    ("url", "says"),
    [
        ("pop3://u:p@mail.example", "imaps://"),
        ("imaps://mail.example", "user name and a password"),
        ("imaps://u:p@mail.example?tls=maybe", "tls=none"),
        ("imaps://u:p@mail.example:99999", "not a number from 1 to 65535"),
        ("imaps://u:se@cret:wo/rd@mail.example", "write @ in the user name or the password"),
        ("imaps://u:se@cret/word@mail.example", "write @ in the user name or the password"),
    ],
)
def test_bad_urls_say_what_is_wrong_without_the_password(url, says):
    with pytest.raises(ValueError, match=says) as caught:
        imap.parse_url(url)
    assert "cret" not in str(caught.value) and "rd@" not in str(caught.value)


# --- a real server ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dovecot():
    server = ImapServer()
    yield server
    server.stop()


@pytest.fixture
def server(dovecot, monkeypatch):
    """The server, its certificate trusted, its inbox emptied for each test."""
    monkeypatch.setenv("SSL_CERT_FILE", str(dovecot.cert))
    client = dovecot.client()
    try:
        _, count = client.select("INBOX")
        if int(count[0]):
            client.store("1:*", "+FLAGS.SILENT", "(\\Deleted)")
            client.expunge()
    finally:
        client.logout()
    return dovecot


@pytest.mark.django_db
def test_new_emails_become_enquiries_marked_in_the_mailbox_not_read(server):
    server.deliver(email(1, pdf=True), email(2), EMPTY)

    summary = imap.fetch_inbox(server.url())

    assert (summary.imported, summary.joined, summary.duplicates) == (2, 0, 0)
    assert [name for name, _ in summary.failed] == ["INBOX, message UID 3"]
    assert "no text" in summary.failed[0][1]
    assert Enquiry.objects.count() == 2
    assert Enquiry.objects.filter(source=Enquiry.Source.EMAIL, email="engineer1@plant.example")
    assert Attachment.objects.get().filename == "kiln.pdf"
    flags = server.flags()
    assert [imap.IMPORTED in f for f in flags] == [True, True, False]
    assert imap.NOT_IMPORTED in flags[2]  # left in the mailbox for a person to read
    assert not any("\\Seen" in f for f in flags)  # people sharing the inbox still see it unread

    again = imap.fetch_inbox(server.url())
    assert (again.imported, again.joined, again.duplicates, again.failed) == (0, 0, 0, [])
    assert Enquiry.objects.count() == 2


@pytest.mark.django_db
def test_replies_join_their_thread_and_copies_are_not_filed_twice(server):
    server.deliver(email(1))
    imap.fetch_inbox(server.url())
    reference = Enquiry.objects.get().reference

    copy = email(1)  # the same email delivered again (same Message-ID)
    server.deliver(email(7, subject=f"Re: We have received your enquiry {reference}"), copy)
    summary = imap.fetch_inbox(server.url())

    assert (summary.imported, summary.joined, summary.duplicates) == (0, 1, 1)
    assert Enquiry.objects.count() == 1
    assert Message.objects.filter(enquiry__reference=reference).count() == 2


@pytest.mark.django_db
def test_a_worker_that_died_before_marking_does_not_file_an_email_twice(server):
    server.deliver(email(1))
    imap.fetch_inbox(server.url())
    client = server.client()  # as if the run had stopped after saving, before marking
    try:
        client.select("INBOX")
        client.store("1", "-FLAGS.SILENT", f"({imap.IMPORTED})")
    finally:
        client.logout()

    summary = imap.fetch_inbox(server.url())

    assert (summary.imported, summary.duplicates) == (0, 1)
    assert Enquiry.objects.count() == 1
    assert imap.IMPORTED in server.flags()[0]


@pytest.mark.django_db
def test_a_batch_at_a_time(server):
    server.deliver(email(1), email(2), email(3))

    first = imap.fetch_inbox(server.url(), limit=2)
    assert (first.imported, first.remaining) == (2, 1)
    second = imap.fetch_inbox(server.url(), limit=2)
    assert (second.imported, second.remaining) == (1, 0)
    assert Enquiry.objects.count() == 3


@pytest.mark.django_db
def test_starttls_and_another_folder(server, monkeypatch):
    import imaplib
    import ssl

    upgraded = []
    original = imaplib.IMAP4.starttls

    def starttls(client, *args, **kwargs):
        result = original(client, *args, **kwargs)
        upgraded.append(isinstance(client.sock, ssl.SSLSocket))
        return result

    monkeypatch.setattr(imaplib.IMAP4, "starttls", starttls)
    server.deliver(email(4), folder="Enquiries")
    url = (
        server.url(tls=True)
        .replace("imaps://", "imap://")
        .replace(str(server.tls_port), str(server.plain_port))
    )
    summary = imap.fetch_inbox(url + "Enquiries")
    assert summary.imported == 1
    assert upgraded == [True]  # the connection was encrypted before signing in
    assert Enquiry.objects.get().email == "engineer4@plant.example"


@pytest.mark.django_db
def test_plain_connection_only_when_asked(server):
    server.deliver(email(5))
    assert imap.fetch_inbox(server.url(tls=False)).imported == 1


@pytest.mark.django_db
def test_an_untrusted_certificate_is_refused(server, monkeypatch):
    monkeypatch.delenv("SSL_CERT_FILE")
    server.deliver(email(1))
    with pytest.raises(imap.MailboxError, match="Could not sign in.*CERTIFICATE_VERIFY_FAILED"):
        imap.fetch_inbox(server.url())
    assert Enquiry.objects.count() == 0
    assert imap.IMPORTED not in server.flags()[0]


@pytest.mark.django_db
def test_a_wrong_password_says_what_to_check_and_hides_the_password(server):
    server.deliver(email(1))
    url = server.url().replace("s3cret%40", "wrong%40")
    with pytest.raises(imap.MailboxError) as caught:
        imap.fetch_inbox(url)
    message = str(caught.value)
    assert "Check ENQUIRIES_IMAP_URL" in message
    assert "wrong" not in message and server.PASSWORD not in message
    assert Enquiry.objects.count() == 0


@pytest.mark.django_db
def test_the_periodic_task_reads_the_inbox_when_configured(server, settings):
    settings.ENQUIRIES_IMAP_URL = ""
    assert "not set" in fetch_imap_enquiries_task()

    server.deliver(email(1), email(2))
    settings.ENQUIRIES_IMAP_URL = server.url()
    assert "2 new enquiries" in fetch_imap_enquiries_task()
    assert Enquiry.objects.count() == 2

    read = MailboxRead.objects.get()
    assert read.ok and read.last_success_at == read.read_at and "2 new" in read.summary

    settings.ENQUIRIES_IMAP_URL = f"imaps://nobody:nothing@127.0.0.1:{server.tls_port}/"
    assert "Could not sign in" in fetch_imap_enquiries_task()  # logged; tried again next run
    failed = MailboxRead.objects.get()  # the admin home shows it
    assert not failed.ok and "Could not sign in" in failed.summary
    assert failed.last_success_at == read.last_success_at


@pytest.mark.django_db
def test_the_command_reads_the_inbox(server, settings):
    settings.ENQUIRIES_IMAP_URL = ""
    with pytest.raises(CommandError, match="ENQUIRIES_IMAP_URL is not set"):
        call_command("import_enquiries", "--imap")
    with pytest.raises(CommandError, match="not both"):
        call_command("import_enquiries")

    server.deliver(email(1), email(2), email(3))
    settings.ENQUIRIES_IMAP_URL = server.url()
    out = StringIO()
    call_command("import_enquiries", "--imap", "--limit", "2", stdout=out)
    assert "Imported 2 new enquiries" in out.getvalue()
    assert "1 more emails are waiting" in out.getvalue()


@pytest.mark.django_db
def test_an_email_that_fails_for_another_reason_is_tried_again_not_marked(server, monkeypatch):
    from enquiries import services

    server.deliver(email(1), email(2))
    real = imap.import_email

    def flaky(raw):
        if b"Email number 1" in raw:
            raise RuntimeError("a bug, or a disk that is full")
        return real(raw)

    monkeypatch.setattr(imap, "import_email", flaky)
    summary = imap.fetch_inbox(server.url())
    assert summary.imported == 1
    assert "tried again next run" in summary.failed[0][1]
    flags = server.flags()
    assert not ({imap.IMPORTED, imap.NOT_IMPORTED} & flags[0])  # unmarked: read next time
    assert imap.IMPORTED in flags[1]

    monkeypatch.setattr(imap, "import_email", services.import_email)
    again = imap.fetch_inbox(server.url())
    assert (again.imported, again.failed) == (1, [])
    assert Enquiry.objects.count() == 2


@pytest.mark.django_db
def test_a_database_error_stops_the_run_and_leaves_the_rest_unmarked(server, monkeypatch):
    from django.db import OperationalError

    server.deliver(email(1), email(2))

    def down(raw):
        raise OperationalError("the database is not answering")

    monkeypatch.setattr(imap, "import_email", down)
    with pytest.raises(OperationalError):
        imap.fetch_inbox(server.url())
    assert all(not ({imap.IMPORTED, imap.NOT_IMPORTED} & f) for f in server.flags())


def test_permanentflags_decide_whether_our_keywords_can_be_set():
    class Client:
        def __init__(self, reply):
            self.reply = reply

        def response(self, name):
            return name, self.reply

    assert imap._allows_keywords(Client([b"(\\Seen \\Deleted \\*)"]))
    assert imap._allows_keywords(Client([None]))  # no PERMANENTFLAGS: all flags are allowed
    assert not imap._allows_keywords(Client([b"(\\Seen \\Deleted)"]))


@pytest.mark.django_db
def test_a_program_named_like_a_pdf_is_dropped_from_the_inbox_import_and_noted(server):
    msg = EmailMessage()
    msg["From"] = "Mallory <mallory@invoices.example>"
    msg["Subject"] = "Your invoice"
    msg["Message-ID"] = "<invoice-2@invoices.example>"
    msg.set_content("Please find the invoice attached.")
    msg.add_attachment(samples.EXE, maintype="application", subtype="pdf", filename="invoice.pdf")
    server.deliver(bytes(msg))

    summary = imap.fetch_inbox(server.url())

    assert summary.imported == 1
    assert not Attachment.objects.exists()
    notes = Message.objects.get().import_notes
    assert notes == (
        "“invoice.pdf” was not kept: its name says it is a PDF, but its content is a Windows "
        "program"
    )
