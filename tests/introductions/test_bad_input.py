"""Messages are plain text: shown escaped, and never allowed into an email's headers."""

from email.header import decode_header, make_header

import pytest
from django.core import mail
from django.urls import reverse

from introductions.models import Introduction

pytestmark = pytest.mark.django_db


def ask(client, sides, message):
    client.force_login(sides.asker)
    url = reverse("introductions:request", args=[sides.listing.ref, sides.target.ref])
    return client.post(url, {"message": message})


def test_html_in_a_message_is_shown_escaped(client, sides):
    ask(client, sides, '<script>alert("x")</script><b>bold</b>')
    introduction = Introduction.objects.get()
    client.force_login(sides.contact)
    html = client.get(introduction.get_absolute_url()).content.decode()
    assert "<script>alert" not in html and "<b>bold</b>" not in html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&lt;b&gt;bold&lt;/b&gt;" in html


def test_a_header_injection_in_the_message_stays_in_the_email_body(
    client, sides, django_capture_on_commit_callbacks
):
    sneaky = "Hello\r\nBcc: x@y.example\r\nSubject: Free money\r\n\r\nBody"
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, sides, sneaky)
    assert len(mail.outbox) == 2
    for email in mail.outbox:
        assert email.bcc == []
        assert email.cc == []
        assert email.to in ([sides.contact.email], [sides.colleague.email])
        assert not any(
            "bcc" in name.lower() or "subject" in name.lower() or "x@y" in str(value)
            for name, value in email.extra_headers.items()
        )
        assert "Free money" not in email.subject and "\n" not in email.subject
        assert "Bcc: x@y.example" in email.body  # as words, in the body only
        sent = email.message()
        assert sent["Bcc"] is None
        assert "x@y.example" not in sent["To"]
        # Encoded on the wire (the quotes around names are not ASCII), the same once decoded.
        assert str(make_header(decode_header(sent["Subject"]))) == email.subject
    assert "\r" not in Introduction.objects.get().message  # stored with plain "\n" endings


def test_an_organisation_name_with_a_line_break_cannot_add_a_header(
    client, sides, django_capture_on_commit_callbacks
):
    sides.asking.name = "Acme\r\nBcc: x@y.example"
    sides.asking.save(update_fields=["name"])
    with django_capture_on_commit_callbacks(execute=True):
        ask(client, sides, "Hello")
    for email in mail.outbox:
        assert email.bcc == []
        assert "\n" not in email.subject and "\r" not in email.subject
        assert email.message()["Bcc"] is None


def test_a_message_over_1000_characters_is_refused_with_a_clear_error(client, sides):
    response = ask(client, sides, "x" * 1001)
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "Your message must be 1,000 characters or fewer" in html
    assert 'href="#id_message"' in html
    assert not Introduction.objects.exists()


def test_1000_characters_with_windows_line_endings_are_accepted(client, sides):
    ask(client, sides, ("x" * 99 + "\r\n") * 9 + "x" * 100)  # 1,009 sent; 1,000 with "\n"
    assert len(Introduction.objects.get().message) == 1000


def test_an_empty_message_is_refused_with_a_clear_error(client, sides):
    html = ask(client, sides, "   ").content.decode()
    assert "Enter a message to the organisation" in html
    assert not Introduction.objects.exists()
