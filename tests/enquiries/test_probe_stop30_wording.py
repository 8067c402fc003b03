"""The emails a sender gets about an enquiry say who "GrandChallenges" is the first time they
name it, rather than leaving the word unexplained (usability probe, stop 30)."""

import pytest
from django.core import mail

from enquiries import services
from enquiries.models import Enquiry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

TEAM = "Industrial Clusters programme team (GrandChallenges)"


def bare_mentions(text: str) -> int:
    """How often GrandChallenges appears without saying whose name it is."""
    return text.count("GrandChallenges") - text.count(TEAM)


def test_the_acknowledgement_explains_grandchallenges(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        services.submit_enquiry(
            {
                "name": "Ada Lovelace",
                "email": "ada@example.org",
                "organisation_kind": Enquiry.OrganisationKind.BUSINESS,
                "topic": Enquiry.Topic.PARTNERING,
                "message": "We need hydrogen burners.",
            }
        )
    [ack] = mail.outbox
    assert "the " + TEAM + ", who run Cluster Exchange" in ack.body
    assert bare_mentions(ack.subject + ack.body) == 0


def test_a_reply_names_the_team_in_plain_words_in_subject_and_body(
    enquiry, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.send_reply(enquiry, UserFactory(is_staff=True), "Here is what we can do.")
    reply = mail.outbox[-1]
    assert reply.subject == f"Your enquiry {enquiry.reference}: reply from the {TEAM}"
    assert TEAM in reply.body
    assert bare_mentions(reply.subject + reply.body) == 0
    # The reference still leads the subject, so an answer finds its thread.
    assert services.find_reference(reply.subject) == enquiry.reference


def test_the_form_and_the_thank_you_page_name_the_team_as_the_emails_do(client):
    from django.urls import reverse

    form = client.get(reverse("enquiries:create")).content.decode()
    assert TEAM in form and "the GrandChallenges programme team" not in form
    session = client.session
    session["enquiry_reference"] = "GC-2026-00001"
    session.save()
    sent = client.get(reverse("enquiries:sent")).content.decode()
    assert TEAM in sent and "GrandChallenges programme team" not in sent
