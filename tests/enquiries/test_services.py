"""Enquiry services without the web: references and the attachment rules."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enquiries import services
from enquiries.models import FORM_MAX_AGE_SECONDS, SentForm

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
    "filename, content_type, size, allowed",
    [
        ("plan.pdf", "application/pdf", 1000, True),
        ("photo.JPG", "image/jpeg", 1000, True),
        ("budget.xlsx", "application/octet-stream", 1000, True),
        ("notes.txt", "text/plain", 1000, True),
        ("plan.pdf", "application/pdf", 10 * 1024 * 1024 + 1, False),
        ("setup.exe", "application/octet-stream", 1000, False),
        ("page.html", "text/html", 1000, False),
        ("invoice.pdf.exe", "application/pdf", 1000, False),
    ],
)
def test_attachments_are_limited_by_size_and_type(filename, content_type, size, allowed):
    assert (services.attachment_problem(filename, content_type, size) == "") is allowed


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
