"""The public "Get in touch" page: validation, spam defences, and the acknowledgement email."""

import re
import time

import pytest
from django.core import mail
from django.urls import reverse

from enquiries.forms import started_token
from enquiries.models import Enquiry, Message
from outbox.models import Email

pytestmark = pytest.mark.django_db
URL = "/get-in-touch/"


def started(seconds_ago: float = 60) -> str:
    return started_token(now=time.time() - seconds_ago)


def answers(**changes) -> dict:
    data = {
        "name": "Grace Hopper",
        "email": "Grace@Example.org",
        "organisation": "Compilers plc",
        "organisation_kind": "business",
        "topic": "funding",
        "cluster": "",
        "message": "Is there funding for a hydrogen boiler trial at our site?",
        "consent_to_contact": "on",
        "website": "",
        "started": started(),
    }
    data.update(changes)
    return {k: v for k, v in data.items() if v is not None}


def test_the_page_is_at_get_in_touch_and_hides_the_honeypot_from_people():
    assert reverse("enquiries:create") == URL
    from django.test import Client

    page = Client().get(URL).content.decode()
    assert 'aria-hidden="true"' in page
    assert "Leave this blank" in page
    honeypot = page[page.index('name="website"') - 200 : page.index('name="website"') + 200]
    assert 'tabindex="-1"' in honeypot
    assert 'autocomplete="off"' in honeypot
    assert 'name="started"' in page


def test_a_valid_enquiry_is_saved_with_its_first_message_and_acknowledged_by_email(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, answers())
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    assert enquiry.email == "grace@example.org"
    assert enquiry.source == "web" and enquiry.status == "new"
    assert enquiry.consent_to_contact is True
    assert enquiry.messages.get().body.startswith("Is there funding")
    assert enquiry.reference.startswith("GC-") and len(enquiry.reference) == 13

    [sent] = mail.outbox
    assert sent.to == ["grace@example.org"]
    assert enquiry.reference in sent.subject
    assert enquiry.reference in sent.body
    # The acknowledgement repeats nothing typed in the form: it cannot carry someone's spam.
    assert "hydrogen boiler" not in sent.body and "Grace" not in sent.body

    confirmation = client.get(response["Location"]).content.decode()
    assert "govuk-panel--confirmation" in confirmation
    assert enquiry.reference in confirmation
    # When to expect a reply (newcomer probe: no timescale anywhere).
    assert "We aim to reply within 5 working days." in confirmation
    assert "We aim to reply within 5 working days." in sent.body


def test_the_enquiry_is_kept_when_the_mail_server_is_down(
    client, settings, django_capture_on_commit_callbacks
):
    settings.EMAIL_BACKEND = "tests.outbox.failing_backend.FailingBackend"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(URL, answers())
    assert response.status_code == 302
    enquiry = Enquiry.objects.get()
    email = Email.objects.get(key=f"enquiry-ack:{enquiry.pk}")
    # The email is kept for the outbox to retry (here every eager retry failed too).
    assert email.status != Email.Status.SENT and "refused" in email.last_error
    assert mail.outbox == []


def test_references_count_up_within_the_year(client):
    for n in range(3):
        client.post(URL, answers(email=f"p{n}@example.org"))
    references = sorted(Enquiry.objects.values_list("reference", flat=True))
    assert [r[-5:] for r in references] == ["00001", "00002", "00003"]


def test_the_confirmation_page_without_an_enquiry_goes_back_to_the_form(client):
    response = client.get(reverse("enquiries:sent"))
    assert response.status_code == 302 and response["Location"] == URL


def test_a_filled_honeypot_is_refused_with_what_to_do(client):
    response = client.post(URL, answers(website="http://spam.example"))
    assert response.status_code == 200
    assert "Leave the field labelled" in response.content.decode()
    assert not Enquiry.objects.exists()


def test_a_form_sent_in_under_3_seconds_is_refused_politely(client):
    response = client.post(URL, answers(started=started(seconds_ago=1)))
    page = response.content.decode()
    assert "quicker than we expected" in page
    assert "<title>Error: " in page
    assert not Enquiry.objects.exists()


def test_an_empty_form_sent_at_once_leads_with_what_to_fill_in(client):
    """Not "That was quicker than we expected" above the fields it missed (newcomer probe)."""
    response = client.post(URL, {"started": started(seconds_ago=1)})
    page = response.content.decode()
    assert "quicker than we expected" not in page
    assert "<title>Error: " in page and "govuk-error-summary" in page
    assert not Enquiry.objects.exists()


@pytest.mark.parametrize("token", ["", "not-signed", started(seconds_ago=2 * 24 * 3600)])
def test_a_missing_forged_or_stale_timestamp_is_refused(client, token):
    response = client.post(URL, answers(started=token))
    assert "This form has expired" in response.content.decode()
    assert not Enquiry.objects.exists()


def test_a_sixth_enquiry_from_one_email_address_in_an_hour_is_refused(client):
    for _ in range(5):
        assert client.post(URL, answers(), REMOTE_ADDR="10.0.0.1").status_code == 302
    response = client.post(URL, answers(), REMOTE_ADDR="10.0.0.2")
    assert response.status_code == 429
    assert "Wait an hour and try again" in response.content.decode()
    assert Enquiry.objects.count() == 5


def test_a_sixth_enquiry_from_one_ip_address_in_an_hour_is_refused(client):
    for n in range(5):
        client.post(URL, answers(email=f"person{n}@example.org"), REMOTE_ADDR="10.0.0.9")
    response = client.post(URL, answers(email="another@example.org"), REMOTE_ADDR="10.0.0.9")
    assert response.status_code == 429
    # Not "you have sent": a colleague on the same network may have (an outside probe).
    page = response.content.decode()
    assert "from this email address or from your network" in page
    assert "You have sent" not in page
    assert Enquiry.objects.count() == 5


@pytest.mark.parametrize(
    "changes, error",
    [
        ({"name": ""}, "Enter your full name"),
        ({"name": "x" * 201}, "Full name must be 200 characters or fewer"),
        ({"name": "Grace\r\nBcc: victim@example.org"}, "Enter your full name on one line"),
        ({"name": "Grace\nHopper"}, "Enter your full name on one line"),
        ({"email": ""}, "Enter your email address"),
        ({"email": "not an email"}, "Enter an email address in the correct format"),
        ({"email": "a@example.org\nBcc: victim@example.org"}, "in the correct format"),
        ({"email": "a" * 250 + "@example.org"}, "254 characters or fewer"),
        ({"organisation": "x" * 201}, "Organisation must be 200 characters or fewer"),
        ({"organisation": "Acme\r\nSubject: hi"}, "organisation’s name on one line"),
        ({"organisation_kind": None}, "Select what kind of organisation you are from"),
        ({"organisation_kind": "pirate"}, "Select what kind of organisation you are from"),
        ({"topic": None}, "Select what your enquiry is about"),
        ({"topic": "gossip"}, "Select what your enquiry is about"),
        ({"cluster": "999999"}, "Select a cluster from the list"),
        ({"message": ""}, "Enter your message"),
        ({"message": "x" * 10_001}, "Your message must be 10,000 characters or fewer"),
    ],
)
def test_each_field_is_validated_with_a_message_that_says_what_to_do(client, changes, error):
    response = client.post(URL, answers(**changes))
    page = response.content.decode()
    assert response.status_code == 200
    assert error in page.replace("&#x27;", "'").replace("&rsquo;", "’")
    assert "govuk-error-summary" in page
    assert not Enquiry.objects.exists()
    assert not Message.objects.exists()


def test_organisation_and_cluster_are_optional(client):
    from clusters.models import Cluster

    humber = Cluster.objects.get(slug="humber")
    client.post(URL, answers(organisation="", cluster=str(humber.pk)))
    enquiry = Enquiry.objects.get()
    assert enquiry.organisation == "" and enquiry.cluster == humber


def test_the_acknowledgement_arrives_at_a_real_smtp_server(
    client, settings, django_capture_on_commit_callbacks
):
    from tests.services import SMTPServer

    smtp = SMTPServer()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    try:
        with django_capture_on_commit_callbacks(execute=True):
            client.post(URL, answers())
    finally:
        smtp.stop()
    enquiry = Enquiry.objects.get()
    [message] = smtp.messages
    assert message["To"] == "grace@example.org"
    assert enquiry.reference in message["Subject"]
    assert Email.objects.get(to="grace@example.org").status == "sent"


def test_a_sent_form_sent_again_is_refused_with_a_fresh_form_and_the_first_enquiry_is_kept(
    client,
):
    data = answers()
    assert client.post(URL, data).status_code == 302
    response = client.post(URL, {**data, "message": "A second message, on the same copy."})
    page = response.content.decode()
    assert response.status_code == 200
    assert "You have already sent this form" in page and "<title>Error: " in page
    enquiry = Enquiry.objects.get()
    assert enquiry.messages.get().body.startswith("Is there funding")
    # A fresh copy of the form comes back, with the answers, to send another enquiry.
    fresh = re.search(r'name="started" value="([^"]+)"', page).group(1)
    assert fresh != data["started"]
    assert "A second message, on the same copy." in page


def test_a_fresh_copy_of_the_form_after_a_replay_sends_a_new_enquiry(client):
    data = answers()
    client.post(URL, data)
    client.post(URL, data)
    assert client.post(URL, {**data, "started": started()}).status_code == 302
    assert Enquiry.objects.count() == 2


def test_a_copy_sent_again_does_not_count_towards_the_hourly_limit(client, settings):
    """Refused copies once used up the limit: after 5, "We have had 5 enquiries" came back
    although only one was received (usability probe)."""
    limit = settings.ENQUIRIES_RATE_LIMIT
    data = answers()
    assert client.post(URL, data).status_code == 302
    for _ in range(limit + 1):
        response = client.post(URL, data)
        assert response.status_code == 200
        assert "You have already sent this form" in response.content.decode()
    assert Enquiry.objects.count() == 1
    # The rest of the limit in genuine enquiries is accepted; the one after them is not.
    for _ in range(limit - 1):
        assert client.post(URL, answers()).status_code == 302
    response = client.post(URL, answers())
    assert response.status_code == 429
    assert f"We have had {limit} enquiries in the last hour" in response.content.decode()
    assert Enquiry.objects.count() == limit


def test_the_clusters_are_offered_in_emissions_order_as_everywhere_else(client):
    """The form listed them A to Z; every other page lists Humber first (newcomer probe)."""

    from clusters.models import Cluster

    html = client.get(reverse("enquiries:create")).content.decode()
    select = re.search(r'<select[^>]*name="cluster".*?</select>', html, re.S).group(0)
    offered = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', select)
    assert offered == [c.name for c in Cluster.objects.all()]
    assert offered[0] == "Humber"
