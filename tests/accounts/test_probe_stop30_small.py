"""Sign-up's error messages punctuated alike, and the "Check your email" page saying once that
the email was sent (usability probe, stop 30)."""

import pytest
from django.urls import reverse

from accounts.forms import ChangePasswordForm, SignupForm, without_full_stop
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def signup_errors(**data) -> list[str]:
    form = SignupForm(data)
    form.is_valid()
    return [message for messages in form.errors.values() for message in messages]


@pytest.mark.parametrize(
    "data",
    [
        {},
        {"name": "x" * 200, "email": "ann@", "password1": "abc", "password2": "abd"},
        {"name": "Ann Lee", "email": "ann@x.org", "password1": "12345678901234"},
        {"name": "Ann Lee", "email": "ann@x.org", "password1": "annleewood1"},
        {
            "name": "Ann Lee",
            "email": "ann@x.org",
            "password1": "slag heap sunrise 77",
            "password2": "slag heap sunrise 78",
        },
    ],
)
def test_no_sign_up_error_of_one_sentence_ends_with_a_full_stop(data):
    data.setdefault("password2", data.get("password1", ""))
    errors = signup_errors(**data)
    assert errors
    for message in errors:
        if ". " not in message:  # one sentence
            assert not message.endswith("."), message


def test_the_sign_up_errors_that_had_a_full_stop(client):
    assert "You must type the same password each time" in signup_errors(
        name="Ann Lee", email="ann@x.org", password1="slag heap sunrise 77", password2="other"
    )
    assert "This password is entirely numeric" in signup_errors(
        name="Ann Lee", email="ann@x.org", password1="98765432101234", password2="98765432101234"
    )
    assert "Choose a password that is not your name or email address, or close to them" in (
        signup_errors(
            name="Ann Leewood", email="x@y.org", password1="annleewood", password2="annleewood"
        )
    )
    assert "Enter a name of 150 characters or fewer" in signup_errors(name="x" * 151)
    # On the page too, in the error summary and by the field.
    html = client.post(
        reverse("account_signup"),
        {
            "name": "Ann Lee",
            "email": "ann@x.org",
            "password1": "98765432101234",
            "password2": "98765432101234",
            "accept_privacy": "on",
        },
    ).content.decode()
    assert html.count("This password is entirely numeric<") == 2
    assert "entirely numeric." not in html


def test_messages_of_several_sentences_keep_their_full_stops():
    errors = signup_errors(name="Ann Lee", email="ann@x.org", password1="abc", password2="abc")
    assert "This password is too short. It must contain at least 10 characters." in errors
    assert without_full_stop("One. Two.") == "One. Two."
    assert without_full_stop("Enter your name.") == "Enter your name"
    assert without_full_stop("Enter your name") == "Enter your name"


def test_the_other_account_forms_follow_the_same_rule():
    user = UserFactory()
    form = ChangePasswordForm(
        data={
            "oldpassword": "a long enough password",
            "password1": "slag heap sunrise 77",
            "password2": "slag heap sunrise 78",
        },
        user=user,
    )
    assert not form.is_valid()
    assert form.errors["password2"] == ["You must type the same password each time"]
    # The codes are kept, for anything that asks for them.
    assert form.has_error("password2")


def sign_up(client):
    return client.post(
        reverse("account_signup"),
        {
            "name": "Ann Lee",
            "email": "ann.lee@steel.example",
            "password1": "slag heap sunrise 77",
            "password2": "slag heap sunrise 77",
            "accept_privacy": "on",
        },
        follow=True,
    )


def test_check_your_email_says_once_that_the_email_was_sent(client):
    response = sign_up(client)
    assert response.redirect_chain[-1][0] == reverse("account_email_verification_sent")
    html = response.content.decode()
    assert "govuk-notification-banner" not in html
    assert html.count("We have sent") == 1
    # The address it was sent to is still said, for a mistyped one to be noticed.
    assert "We have sent a link to ann.lee@steel.example." in html
    assert html.count("Select the link") == 1


def test_check_your_email_says_it_again_when_the_page_is_reloaded(client):
    sign_up(client)
    html = client.get(reverse("account_email_verification_sent")).content.decode()
    assert "govuk-notification-banner" not in html
    assert html.count("We have sent you an email with a link in it") == 1
    assert "You cannot sign in until you have done this" in html


def test_check_your_email_still_shows_a_message_of_another_kind(client):
    # "You have signed out." (a success message) not yet shown when the page is reached.
    client.force_login(UserFactory())
    client.post(reverse("account_logout"))
    html = client.get(reverse("account_email_verification_sent")).content.decode()
    assert "govuk-notification-banner--success" in html and "You have signed out." in html


def test_check_your_email_with_another_message_waiting_says_it_was_sent_once(rf):
    """With a success message waiting too, the banner repeated every message, "We have sent
    a link" included, beside the page's own first paragraph (review, stop 30)."""
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.messages import constants
    from django.contrib.messages.storage.base import Message
    from django.template.loader import render_to_string

    request = rf.get(reverse("account_email_verification_sent"))
    request.user = AnonymousUser()
    messages = [
        Message(constants.SUCCESS, "You have signed out."),
        Message(constants.INFO, "We have sent a link to ann@example.org."),
    ]
    html = render_to_string(
        "account/verification_sent.html", {"messages": messages}, request=request
    )
    assert html.count("We have sent a link to ann@example.org.") == 1
    assert "govuk-notification-banner--success" in html and "You have signed out." in html
