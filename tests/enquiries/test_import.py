"""Importing enquiries from .eml files and mbox files: threads, attachments, duplicates."""

import mailbox
from email.message import EmailMessage
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import timezone

from enquiries import services
from enquiries.models import Attachment, Enquiry, Message
from tests.enquiries import samples

pytestmark = pytest.mark.django_db
PDF = b"%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n"


def first_reference() -> str:
    return f"GC-{timezone.now().year}-00001"


def multipart_with_attachments() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Mary Somerville <mary@steelworks.example>"
    msg["To"] = "enquiries@grandchallenges.example"
    msg["Subject"] = "Capturing CO2 at our steelworks"
    msg["Date"] = "Tue, 03 Mar 2026 09:15:00 +0000"
    msg["Message-ID"] = "<steel-1@steelworks.example>"
    msg.set_content("We would like to talk about carbon capture at our Port Talbot site.")
    msg.add_alternative("<p>We would like to talk about <b>carbon capture</b>.</p>", subtype="html")
    msg.add_attachment(PDF, maintype="application", subtype="pdf", filename="site-plan.pdf")
    msg.add_attachment(
        b"MZ\x90\x00", maintype="application", subtype="x-msdownload", filename="setup.exe"
    )
    return bytes(msg)


def latin1_email() -> bytes:
    return (
        "From: =?iso-8859-1?q?Ren=E9e_Dupr=E9?= <renee@cafe.example>\r\n"
        "To: enquiries@grandchallenges.example\r\n"
        "Subject: =?iso-8859-1?q?Financement_pour_le_caf=E9?=\r\n"
        "Date: Wed, 04 Mar 2026 10:00:00 +0100\r\n"
        "Message-ID: <cafe-1@cafe.example>\r\n"
        "MIME-Version: 1.0\r\n"
        'Content-Type: text/plain; charset="iso-8859-1"\r\n'
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        "Bonjour, notre café cherche un financement de £50 000 pour une pompe à chaleur.\r\n"
    ).encode("iso-8859-1")


def reply_email() -> bytes:
    msg = EmailMessage()
    msg["From"] = "mary@steelworks.example"
    msg["To"] = "enquiries@grandchallenges.example"
    msg["Subject"] = f"Re: We have received your enquiry: {first_reference()}"
    msg["Date"] = "Thu, 05 Mar 2026 11:00:00 +0000"
    msg["Message-ID"] = "<steel-2@steelworks.example>"
    msg.set_content("Here are the flue gas figures you asked for.")
    return bytes(msg)


def mbox_email(number: int) -> EmailMessage:
    msg = EmailMessage()
    msg["From"] = f"Investor {number} <investor{number}@fund.example>"
    msg["Subject"] = "Co-investing in hydrogen at Teesside"
    msg["Message-ID"] = f"<fund-{number}@fund.example>"
    msg.set_content("We invest in early hydrogen projects and would like an introduction.")
    return msg


@pytest.fixture
def folder(tmp_path):
    path = tmp_path / "inbox"
    path.mkdir()
    (path / "01-steelworks.eml").write_bytes(multipart_with_attachments())
    (path / "02-cafe.eml").write_bytes(latin1_email())
    (path / "03-reply.eml").write_bytes(reply_email())
    (path / "04-broken.eml").write_bytes(b"\x00\x01\x02 this is not an email at all \xff\xfe")
    (path / "notes.txt").write_text("Not an email file: ignored.")
    return path


@pytest.fixture
def mbox_file(tmp_path):
    path = tmp_path / "archive.mbox"
    box = mailbox.mbox(path)
    box.add(mbox_email(1))
    box.add(mbox_email(2))
    box.add(mbox_email(1))  # the same email twice in the archive
    box.flush()
    box.close()
    return path


def test_a_folder_is_imported_once_with_replies_joined_and_the_broken_file_named(folder):
    summary = services.import_enquiries(folder)
    assert (summary.imported, summary.joined, summary.duplicates) == (2, 1, 0)
    assert [name for name, _ in summary.failed] == ["04-broken.eml"]
    assert "sender" in summary.failed[0][1]

    again = services.import_enquiries(folder)
    assert (again.imported, again.joined, again.duplicates) == (0, 0, 3)
    assert len(again.failed) == 1
    assert Enquiry.objects.count() == 2
    assert Message.objects.count() == 3


def test_a_reply_with_the_reference_in_its_subject_joins_that_thread(folder):
    services.import_enquiries(folder)
    steelworks = Enquiry.objects.get(reference=first_reference())
    bodies = list(steelworks.messages.values_list("body", flat=True))
    assert len(bodies) == 2
    assert bodies[1] == "Here are the flue gas figures you asked for."
    assert steelworks.source == "email"
    assert steelworks.name == "Mary Somerville"
    assert steelworks.subject == "Capturing CO2 at our steelworks"


def test_the_plain_text_part_is_kept_and_allowed_attachments_stored(folder):
    services.import_enquiries(folder)
    first = Message.objects.get(message_id="<steel-1@steelworks.example>")
    assert first.body == "We would like to talk about carbon capture at our Port Talbot site."
    attachment = Attachment.objects.get()
    assert attachment.message == first
    assert attachment.filename == "site-plan.pdf"
    assert attachment.content_type == "application/pdf"
    assert attachment.size == len(PDF)
    assert attachment.file.name.startswith("enquiries/attachments/")
    with attachment.file.open("rb") as stored:
        assert stored.read() == PDF
    # The program was left out, and the thread says so.
    assert "“setup.exe” was not kept" in first.import_notes


def test_an_iso_8859_1_email_is_decoded(folder):
    services.import_enquiries(folder)
    cafe = Enquiry.objects.get(email="renee@cafe.example")
    assert cafe.name == "Renée Dupré"
    assert cafe.subject == "Financement pour le café"
    assert "café cherche un financement de £50 000" in cafe.messages.get().body


def test_an_attachment_over_the_size_limit_is_skipped_and_noted(folder, monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", 10)
    services.import_enquiries(folder)
    assert not Attachment.objects.exists()
    notes = Message.objects.get(message_id="<steel-1@steelworks.example>").import_notes
    assert "“site-plan.pdf” was not kept: it is larger than" in notes


def test_an_mbox_is_imported_without_duplicates(mbox_file):
    summary = services.import_enquiries(mbox_file)
    assert (summary.imported, summary.duplicates, summary.failed) == (2, 1, [])
    again = services.import_enquiries(mbox_file)
    assert (again.imported, again.duplicates) == (0, 3)
    assert Enquiry.objects.filter(source="email").count() == 2


def test_an_email_that_answers_a_staff_reply_joins_by_its_in_reply_to_header(
    enquiry, staff, django_capture_on_commit_callbacks
):
    sent = services.send_reply(enquiry, staff, "Could you send the site figures?")
    msg = EmailMessage()
    msg["From"] = "ada@example.org"
    msg["Subject"] = "Site figures"  # no reference: the header alone finds the thread
    msg["Message-ID"] = "<ada-2@example.org>"
    msg["In-Reply-To"] = sent.message_id
    msg.set_content("Attached.")
    assert services.import_email(bytes(msg)) == "joined"
    enquiry.refresh_from_db()
    assert enquiry.messages.count() == 3
    # The sender answered, so the enquiry is no longer waiting on them.
    assert enquiry.status == "new"


def test_the_command_prints_a_summary_and_names_the_failed_file(folder):
    out, err = StringIO(), StringIO()
    call_command("import_enquiries", str(folder), stdout=out, stderr=err)
    assert "Imported 2 new enquiries, joined 1 replies" in out.getvalue()
    assert "1 failed" in out.getvalue()
    assert "Skipped 04-broken.eml" in err.getvalue()
    out = StringIO()
    call_command("import_enquiries", str(folder), stdout=out, stderr=StringIO())
    assert "skipped 3 already imported" in out.getvalue()


def test_the_command_refuses_a_path_that_does_not_exist(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="There is no file or folder"):
        call_command("import_enquiries", str(tmp_path / "missing"))


def email_with_disguised_attachments() -> bytes:
    msg = EmailMessage()
    msg["From"] = "Mallory <mallory@invoices.example>"
    msg["Subject"] = "Your invoice"
    msg["Message-ID"] = "<invoice-1@invoices.example>"
    msg.set_content("Please find the invoice attached.")
    # Each declares the type its name suggests: only the content tells them apart.
    msg.add_attachment(samples.EXE, maintype="application", subtype="pdf", filename="invoice.pdf")
    msg.add_attachment(samples.HTML, maintype="application", subtype="pdf", filename="notes.pdf")
    msg.add_attachment(samples.png(), maintype="image", subtype="jpeg", filename="photo.jpg")
    msg.add_attachment(samples.PDF, maintype="application", subtype="pdf", filename="plan.pdf")
    msg.add_attachment(
        samples.docx(), maintype="application", subtype="octet-stream", filename="letter.docx"
    )
    return bytes(msg)


def test_attachments_whose_content_is_not_what_their_name_says_are_dropped_and_noted(
    tmp_path, settings
):
    eml = tmp_path / "invoice.eml"
    eml.write_bytes(email_with_disguised_attachments())
    services.import_enquiries(eml)

    kept = Attachment.objects.order_by("filename")
    assert [(a.filename, a.content_type) for a in kept] == [
        (
            "letter.docx",
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        ),
        ("plan.pdf", "application/pdf"),
    ]
    # Nothing refused reached storage.
    stored = sorted(p.name for p in (settings.MEDIA_ROOT).rglob("*") if p.is_file())
    assert stored == ["letter.docx", "plan.pdf"]
    notes = Message.objects.get(message_id="<invoice-1@invoices.example>").import_notes
    assert notes.splitlines() == [
        "“invoice.pdf” was not kept: its name says it is a PDF, but its content is a Windows "
        "program",
        "“notes.pdf” was not kept: its name says it is a PDF, but its content is a web page or "
        "script (HTML)",
        "“photo.jpg” was not kept: its name says it is a JPEG image, but its content is a PNG "
        "image",
    ]
