"""Enquiry services without the web: references, the attachment rules and triage."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enquiries import services
from enquiries.models import FORM_MAX_AGE_SECONDS, Enquiry, EnquiryEvent, SentForm
from tests.enquiries import samples
from tests.enquiries.conftest import make_enquiry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_references_are_zero_padded_and_restart_each_year():
    assert services.next_reference(2026) == "GC-2026-00001"
    assert services.next_reference(2026) == "GC-2026-00002"
    assert services.next_reference(2027) == "GC-2027-00001"
    assert services.next_reference(2026) == "GC-2026-00003"


def test_a_reference_is_found_in_a_subject_whatever_its_case():
    assert (
        services.find_reference("Re: Fwd: your enquiry gc-2026-00123 (thanks)") == "GC-2026-00123"
    )
    assert services.find_reference("Re: GC-26-1") is None


@pytest.mark.parametrize(
    ("filename", "data"),
    [
        ("plan.pdf", samples.PDF),
        ("photo.png", samples.png()),
        ("photo.JPG", samples.JPEG),
        ("photo.jpeg", samples.JPEG),
        ("chart.gif", samples.GIF),
        ("letter.docx", samples.docx()),
        ("budget.xlsx", samples.xlsx()),
        ("notes.odt", samples.odt()),
        ("old-letter.doc", samples.OLE2),
        ("old-budget.xls", samples.OLE2),
        ("notes.txt", samples.TEXT),
        ("notes.txt", b"\xef\xbb\xbf" + samples.TEXT),  # UTF-8 with a byte order mark
        ("figures.csv", samples.CSV),
    ],
)
def test_an_attachment_whose_content_is_what_its_name_says_is_kept(filename, data):
    assert services.attachment_problem(filename, data) == ""


@pytest.mark.parametrize(
    ("filename", "data", "why"),
    [
        ("invoice.pdf", samples.EXE, "is a PDF, but its content is a Windows program"),
        ("invoice.pdf", samples.HTML, "is a PDF, but its content is a web page or script"),
        ("photo.jpg", samples.png(), "is a JPEG image, but its content is a PNG image"),
        ("letter.docx", samples.plain_zip(), "content is another type of file (application/zip)"),
        ("letter.docx", samples.odt(), "content is an OpenDocument text"),
        ("old-letter.doc", samples.plain_zip(), "is a Word document, but its content is"),
        ("notes.txt", samples.PDF, "is a plain text file, but its content is a PDF"),
        ("notes.txt", samples.HTML, "content is a web page or script (HTML)"),
        ("notes.txt", b"Hello <svg onload=alert(1)>", "content is a web page or script"),
        ("notes.txt", b"nul\x00byte", "is a plain text file, but its content is text"),
        ("figures.csv", "caf\u00e9,1\n".encode("cp1252"), "content is not a type we recognise"),
        ("figures.csv", samples.EXE, "content is a Windows program"),
        ("setup.exe", samples.EXE, "files ending “.exe” are not accepted"),
        ("page.html", samples.HTML, "files ending “.html” are not accepted"),
        ("invoice.pdf.exe", samples.PDF, "files ending “.exe” are not accepted"),
        ("README", samples.TEXT, "it has no file type"),
        ("empty.pdf", b"", "it is empty"),
    ],
)
def test_an_attachment_whose_content_is_not_what_its_name_says_is_refused(filename, data, why):
    assert why in services.attachment_problem(filename, data)


def test_an_attachment_over_the_size_limit_is_refused(monkeypatch):
    monkeypatch.setattr(services, "MAX_ATTACHMENT_BYTES", len(samples.PDF) - 1)
    assert services.attachment_problem("plan.pdf", samples.PDF).startswith("it is larger than")


def test_csv_cells_that_could_run_as_formulae_get_a_quote():
    assert [services.csv_safe(v) for v in ["=1+1", "+44 20", "-5", "@x", "plain", None, 3]] == [
        "'=1+1",
        "'+44 20",
        "'-5",
        "'@x",
        "plain",
        "",
        "3",
    ]


def test_a_form_token_is_spent_once(db):
    services.spend_form_token("token-1")
    with pytest.raises(services.AlreadySent):
        services.spend_form_token("token-1")
    services.spend_form_token("token-2")


def test_an_enquiry_that_fails_to_save_leaves_its_form_token_unspent(db):
    with pytest.raises(KeyError):
        services.submit_enquiry({"name": "No email"}, form_token="token-1")
    assert not SentForm.objects.exists()
    services.spend_form_token("token-1")


def test_spent_tokens_older_than_a_form_may_live_are_forgotten(db):
    services.spend_form_token("old")
    SentForm.objects.update(sent_at=timezone.now() - timedelta(seconds=FORM_MAX_AGE_SECONDS + 1))
    services.spend_form_token("new")
    assert SentForm.objects.count() == 1


def test_marking_triaged_refuses_an_enquiry_someone_has_and_changes_nothing():
    someone = UserFactory(is_staff=True)
    enquiry = make_enquiry()
    services.assign_to(enquiry, someone)
    before = EnquiryEvent.objects.count()

    with pytest.raises(services.EnquiryAssigned):
        services.mark_triaged(enquiry, someone)

    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.assignee) == (Enquiry.Status.ASSIGNED, someone)
    assert EnquiryEvent.objects.count() == before


def test_marking_triaged_an_enquiry_nobody_has_writes_its_history_once():
    someone = UserFactory(is_staff=True)
    enquiry = make_enquiry()

    [event] = services.mark_triaged(enquiry, someone)
    assert (event.field, event.old, event.new, event.actor) == ("status", "New", "Triaged", someone)
    assert services.mark_triaged(enquiry, someone) == []
