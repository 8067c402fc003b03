"""The account pages (django-allauth and our own) in the site's GOV.UK style.

Every page answers, uses base.html (skip link, service name), has a descriptive title, and
forms show GOV.UK errors. Also: the emails' words, the 429 page and the form includes.
"""

import re
from datetime import timedelta

import pytest
import time_machine
from allauth.account.forms import AddEmailForm, RequestLoginCodeForm, default_token_generator
from allauth.account.models import EmailAddress, EmailConfirmationHMAC
from allauth.account.utils import user_pk_to_url_str
from django import forms
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core import mail
from django.template import Context, Template
from django.template.loader import render_to_string
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone

from accounts.models import PRIVACY_NOTICE_VERSION, User
from tests.conftest import confirm_it_is_you

pytestmark = pytest.mark.django_db

PASSWORD = "slag heap sunrise 77"
SKIP_LINK = '<a href="#main-content" class="govuk-skip-link"'


def make_user(email="ada@steelworks.example", password=PASSWORD, name="Ada Lovelace", **extra):
    user = User.objects.create_user(email=email, password=password, name=name, **extra)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


def sign_in(client, user, password=PASSWORD):
    """Sign in through allauth's form, so that it records a recent authentication."""
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]


def title(html: str) -> str:
    return " ".join(re.search(r"<title>(.*?)</title>", html, re.S).group(1).split())


def assert_site_page(response, expected_title: str):
    assert response.status_code == 200
    html = response.content.decode()
    assert SKIP_LINK in html
    assert "Cluster Exchange" in html
    assert "govuk-template__body" in html
    assert title(html) == expected_title, title(html)
    # One h1, and none of allauth's own layout ("Menu:", "Messages:").
    assert html.count("<h1") == 1
    assert "Menu:" not in html and "Messages:" not in html
    return html


@pytest.fixture
def user():
    return make_user()


@pytest.fixture
def signed_in(client, user):
    sign_in(client, user)
    return client


@pytest.fixture
def mfa_user():
    from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

    user = make_user(email="grace@refinery.example", name="Grace Hopper", is_staff=True)
    TOTP.activate(user, generate_totp_secret())
    RecoveryCodes.activate(user)
    return user


# Signed-out pages -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "expected_title"),
    [
        ("account_login", "Sign in – Cluster Exchange"),
        ("account_signup", "Create an account – Cluster Exchange"),
        ("account_reset_password", "Reset your password – Cluster Exchange"),
        ("account_reset_password_done", "Check your email – Cluster Exchange"),
        (
            "account_reset_password_from_key_done",
            "Your password has been changed – Cluster Exchange",
        ),
        ("account_email_verification_sent", "Check your email – Cluster Exchange"),
        ("account_inactive", "This account has been closed – Cluster Exchange"),
        ("privacy", "Privacy notice – Cluster Exchange"),
    ],
)
def test_signed_out_pages(client, url_name, expected_title):
    assert_site_page(client.get(reverse(url_name)), expected_title)


def test_signed_out_navigation_offers_sign_in_and_create_an_account(client):
    html = client.get(reverse("account_login")).content.decode()
    assert f'href="{reverse("account_login")}" aria-current="page"' in html
    assert f'href="{reverse("account_signup")}"' in html
    assert "Sign out" not in html and "Your account" not in html


def test_sign_in_and_sign_up_link_to_each_other_keeping_where_to_go_next(client):
    """Found by an outside probe: the navigation's {% url ... as login_url %} overwrote
    allauth's own login_url and signup_url, so an invited newcomer who chose "create an
    account" never came back to the invitation."""
    nxt = "/invitations/abc/"
    login = client.get(reverse("account_login"), {"next": nxt}).content.decode()
    assert 'href="/account/signup/?next=%2Finvitations%2Fabc%2F"' in login
    signup = client.get(reverse("account_signup"), {"next": nxt}).content.decode()
    assert 'href="/account/login/?next=%2Finvitations%2Fabc%2F"' in signup


def test_sign_in_page(client):
    html = client.get(reverse("account_login")).content.decode()
    assert '<label class="govuk-label" for="id_login">Email address</label>' in html
    assert 'autocomplete="email"' in html and 'autocomplete="current-password"' in html
    assert "placeholder" not in html
    assert "novalidate" in html
    assert f'href="{reverse("account_reset_password")}">Forgotten your password?' in html
    assert "Forgot your password?" not in html  # allauth's help text is not shown


def test_failed_sign_in_shows_the_error_summary(client, user):
    response = client.post(reverse("account_login"), {"login": user.email, "password": "wrong"})
    html = response.content.decode()
    assert title(html) == "Error: Sign in – Cluster Exchange"
    assert 'class="govuk-error-summary"' in html
    assert '<a href="#id_login">' in html  # a non-field error links to the first field
    assert f'value="{user.email}"' in html
    assert 'value="wrong"' not in html


def test_sign_up_shows_name_email_passwords_and_consent(client):
    html = assert_site_page(
        client.get(reverse("account_signup")), "Create an account – Cluster Exchange"
    )
    for label in ("Full name", "Email address", "Create a password", "Confirm your password"):
        assert f">{label}</label>" in html
    assert 'name="name"' in html and 'autocomplete="name"' in html
    assert re.search(
        r'<input class="govuk-checkboxes__input" id="id_accept_privacy" '
        r'name="accept_privacy" type="checkbox"',
        html,
    )
    assert "I have read the privacy notice and agree" in html
    privacy = reverse("privacy")
    link = re.search(rf'<a class="govuk-link" href="{privacy}"[^>]*>privacy notice</a>', html)
    assert link and "target=" not in link.group(0)  # opens in the same tab
    assert "placeholder" not in html
    assert "Password (again)" not in html


def test_sign_up_password_hint_matches_the_minimum_length():
    minimum = next(
        v["OPTIONS"]["min_length"]
        for v in settings.AUTH_PASSWORD_VALIDATORS
        if v["NAME"].endswith("MinimumLengthValidator")
    )
    assert MinimumLengthValidator(minimum).min_length == minimum
    for template in (
        "account/signup.html",
        "account/password_change.html",
        "account/password_set.html",
        "account/password_reset_from_key.html",
    ):
        source = (settings.BASE_DIR / "templates" / template).read_text(encoding="utf-8")
        assert f"Use at least {minimum} characters." in source, template


def test_sign_up_with_errors_keeps_what_was_typed_except_passwords(client):
    response = client.post(
        reverse("account_signup"),
        {
            "name": "Mary Somerville",
            "email": "not-an-email",
            "password1": "short",
            "password2": "different",
        },
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert title(html).startswith("Error: Create an account")
    assert '<div class="govuk-error-summary" data-module="govuk-error-summary">' in html
    assert '<h2 class="govuk-error-summary__title">There is a problem</h2>' in html
    assert '<a href="#id_email">' in html
    assert '<a href="#id_accept_privacy">Confirm that you agree to the privacy notice</a>' in html
    assert 'value="Mary Somerville"' in html
    assert 'value="not-an-email"' in html
    assert 'value="short"' not in html and 'value="different"' not in html
    # GOV.UK error markup on the field, and the message is tied to the input.
    assert 'class="govuk-form-group govuk-form-group--error"' in html
    assert 'class="govuk-input govuk-input--error" id="id_email"' in html
    assert '<p id="id_email_error" class="govuk-error-message">' in html
    assert 'aria-describedby="id_email_helptext id_email_error"' in html
    assert not User.objects.exists()


def test_sign_up_sends_a_plain_english_confirmation_email(
    client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "name": "Dewi O'Brien",
                "email": "dewi@portsteel.example",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "accept_privacy": "on",
            },
        )
    assert response.status_code == 302
    message = mail.outbox[-1]
    assert message.subject == ("Confirm your email address to finish creating your account")
    assert message.body.startswith("Dear Dewi O'Brien,")  # plain text: nothing escaped
    assert "http://testserver/account/confirm-email/" in message.body
    assert "The link works for 3 days." in message.body  # how long (newcomer probe)
    assert message.body.rstrip().endswith("Cluster Exchange")
    assert not message.alternatives  # plain text only


def test_password_reset_emails(client, user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    message = mail.outbox[-1]
    assert message.subject == "Reset your password"
    assert "http://testserver/account/password/reset/key/" in message.body
    assert "The link works for 3 days, and only once." in message.body  # newcomer probe
    assert message.body.rstrip().endswith("Cluster Exchange")

    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": "nobody@nowhere.example"})
    message = mail.outbox[-1]
    assert message.subject == "There is no account with this email address"
    assert "there is no account with this address" in message.body
    assert "http://testserver/account/signup/" in message.body


def test_password_reset_from_key(client, user):
    url = reverse(
        "account_reset_password_from_key",
        kwargs={
            "uidb36": user_pk_to_url_str(user),
            "key": default_token_generator.make_token(user),
        },
    )
    response = client.get(url, follow=True)
    html = assert_site_page(response, "Create a new password – Cluster Exchange")
    assert ">New password</label>" in html and ">Confirm your new password</label>" in html

    response = client.get(
        reverse("account_reset_password_from_key", kwargs={"uidb36": "zz", "key": "wrong-key"})
    )
    html = assert_site_page(response, "This link does not work – Cluster Exchange")
    assert reverse("account_reset_password") in html


def test_email_confirmation_pages(client):
    user = User.objects.create_user(email="new@site.example", password=PASSWORD, name="New")
    address = EmailAddress.objects.create(user=user, email=user.email, primary=True)
    key = EmailConfirmationHMAC(address).key
    html = assert_site_page(
        client.get(reverse("account_confirm_email", args=[key])),
        "Confirm your email address – Cluster Exchange",
    )
    assert "new@site.example" in html and ">Confirm email address</button>" in html

    assert_site_page(
        client.get(reverse("account_confirm_email", args=["not-a-key"])),
        "This link does not work – Cluster Exchange",
    )


def test_privacy_notice_shows_its_version_and_rights(client):
    html = client.get(reverse("privacy")).content.decode()
    assert f"Version {PRIVACY_NOTICE_VERSION}" in html
    assert reverse("account-your-data") in html and reverse("account-delete") in html
    for heading in (
        "Who we are",
        "What we collect",
        "Why we use it",
        "Who can see your information",
        "How long we keep it",
        "Your rights",
    ):
        assert f">{heading}</h2>" in html


def test_too_many_attempts_page_renders_with_an_empty_context():
    html = render_to_string("429.html", {})
    assert "<title>There have been too many attempts – Cluster Exchange</title>" in html
    assert SKIP_LINK in html
    assert "Wait a few minutes, then try again." in html
    assert reverse("account_reset_password") in html


def test_server_error_page_still_renders_with_an_empty_context():
    html = render_to_string("500.html", {})
    assert "Sorry, there is a problem with the service" in html
    assert reverse("account_login") in html  # signed-out navigation without `user`


# Signed-in pages ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url_name", "expected_title"),
    [
        ("account_email", "Email address – Your account – Cluster Exchange"),
        ("account_change_password", "Change your password – Your account – Cluster Exchange"),
        ("account_logout", "Sign out – Cluster Exchange"),
        ("account_reauthenticate", "Enter your password – Cluster Exchange"),
        ("mfa_index", "2-step verification – Your account – Cluster Exchange"),
        ("account-your-data", "Your data – Your account – Cluster Exchange"),
        ("account-delete", "Delete your account – Your account – Cluster Exchange"),
    ],
)
def test_signed_in_pages(signed_in, url_name, expected_title):
    if url_name in ("account-delete", "account-your-data"):
        confirm_it_is_you(signed_in, PASSWORD)  # the page asks for the password first
    html = assert_site_page(signed_in.get(reverse(url_name)), expected_title)
    # Signed-in navigation: Your account, and Sign out as a POST form with a CSRF token.
    assert "Your account" in html and "Create an account" not in html
    assert re.search(
        rf'<form class="cx-inline-form" method="post" action="{reverse("account_logout")}">\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken"',
        html,
    )
    assert ">Sign out</button>" in html


def test_account_pages_mark_your_account_as_current(signed_in):
    html = signed_in.get(reverse("account_change_password")).content.decode()
    assert "govuk-service-navigation__item--active" in html
    assert f'href="{reverse("account_change_password")}" aria-current="page">Password</a>' in html


@pytest.mark.parametrize(
    ("url_name", "label", "expected_title"),
    [
        ("notifications:preferences", "Email settings", "Email settings – Your account"),
        ("searches:list", "Saved searches", "Your saved searches – Your account"),
        ("api-tokens", "API tokens", "API tokens – Your account"),
        ("webhooks:list", "Webhooks", "Webhooks – Your account"),
    ],
)
def test_every_page_of_the_account_menu_shows_the_menu(signed_in, url_name, label, expected_title):
    """Each page the menu links to keeps it, with itself marked, so no page is a dead end."""
    html = signed_in.get(reverse(url_name)).content.decode()
    assert 'aria-labelledby="account-navigation-heading"' in html
    assert f'href="{reverse(url_name)}" aria-current="page">{label}</a>' in html
    assert title(html).startswith(expected_title)
    # Tokens and webhooks stand apart, said to be for connecting one's own systems.
    systems = html.split('id="account-systems-heading">Connecting your own systems</h2>')
    assert len(systems) == 2
    assert 'href="/account/api-tokens/"' in systems[1] and 'href="/account/webhooks/"' in systems[1]
    assert 'href="/account/api-tokens/"' not in systems[0]


def test_an_account_without_a_password_cannot_set_one_without_proof(client, user):
    """The site makes no account without a password (only a shell could). Setting one is a
    sensitive change like any other: with neither a password nor an authenticator app to
    confirm it is the owner, allauth refuses it rather than let a session alone do it."""
    user.set_unusable_password()
    user.save()
    client.force_login(user)
    assert client.get(reverse("account_set_password")).status_code == 403
    user.refresh_from_db()
    assert not user.has_usable_password()


def test_change_email_with_errors(signed_in, user):
    response = signed_in.post(reverse("account_email"), {"action_add": "", "email": "nope"})
    html = response.content.decode()
    assert title(html) == "Error: Email address – Your account – Cluster Exchange"
    assert '<a href="#id_email">' in html
    assert user.email in html


def test_change_email_pending(signed_in, user, django_capture_on_commit_callbacks):
    confirm_it_is_you(signed_in, PASSWORD)
    with django_capture_on_commit_callbacks(execute=True):
        signed_in.post(reverse("account_email"), {"action_add": "", "email": "ada@new.example"})
    assert mail.outbox[-1].subject == "Confirm your email address"
    html = signed_in.get(reverse("account_email")).content.decode()
    assert "ada@new.example" in html and "Not confirmed yet" in html
    assert 'form="pending-email" name="action_send"' in html


def test_delete_account_without_confirming(signed_in):
    confirm_it_is_you(signed_in, PASSWORD)
    # A browser always sends the CSRF token, so the form is bound even with the box unticked.
    response = signed_in.post(reverse("account-delete"), {"csrfmiddlewaretoken": "x"})
    html = response.content.decode()
    assert title(html) == "Error: Delete your account – Your account – Cluster Exchange"
    assert '<a href="#id_confirm">Confirm that you want to delete your account</a>' in html
    assert "govuk-button--warning" in html and "Delete my account" in html


def test_your_data_page(signed_in):
    confirm_it_is_you(signed_in, PASSWORD)
    html = signed_in.get(reverse("account-your-data")).content.decode()
    assert re.search(
        rf'<form method="post" action="{reverse("account-download-data")}" novalidate>\s*'
        r'<input type="hidden" name="csrfmiddlewaretoken"',
        html,
    )
    assert "Download your data (JSON file)</button>" in html
    assert f'href="{reverse("account-delete")}"' in html


def test_messages_are_notification_banners(client, user):
    sign_in(client, user)
    html = client.get(reverse("privacy")).content.decode()
    assert (
        'class="govuk-notification-banner govuk-notification-banner--success" role="alert"' in html
    )
    assert "You are signed in." in html


def test_mfa_pages(client, mfa_user):
    # Signing in asks for the code.
    response = client.post(
        reverse("account_login"), {"login": mfa_user.email, "password": PASSWORD}
    )
    assert response["Location"] == reverse("mfa_authenticate")
    html = assert_site_page(
        client.get(reverse("mfa_authenticate")), "Enter your security code – Cluster Exchange"
    )
    assert 'autocomplete="one-time-code"' in html

    client.force_login(mfa_user)
    for url_name, expected_title in [
        ("mfa_index", "2-step verification – Your account – Cluster Exchange"),
        ("mfa_reauthenticate", "Enter your security code – Cluster Exchange"),
    ]:
        assert_site_page(client.get(reverse(url_name)), expected_title)


def reauthenticate(client):
    """Enter the password again, as the 2-step verification settings ask first."""
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content.decode()[:2000]


def test_setting_up_an_authenticator_app(signed_in):
    response = signed_in.get(reverse("mfa_activate_totp"))
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    reauthenticate(signed_in)
    html = assert_site_page(
        signed_in.get(reverse("mfa_activate_totp")),
        "Set up an authenticator app – Your account – Cluster Exchange",
    )
    assert '<img src="data:image/svg+xml' in html and 'alt="QR code' in html
    response = signed_in.post(reverse("mfa_activate_totp"), {"code": "000000"})
    html = response.content.decode()
    assert title(html).startswith("Error: Set up an authenticator app")
    assert '<a href="#id_code">' in html
    # What to do next, not allauth's "Incorrect code." (newcomer probe).
    assert "it changes every 30 seconds" in html and "Incorrect code." not in html


def test_mfa_settings_pages(client, mfa_user):
    client.force_login(mfa_user)
    reauthenticate(client)
    for url_name, expected_title in [
        ("mfa_index", "2-step verification – Your account – Cluster Exchange"),
        ("mfa_deactivate_totp", "Turn off 2-step verification – Your account – Cluster Exchange"),
        ("mfa_view_recovery_codes", "Your recovery codes – Your account – Cluster Exchange"),
        (
            "mfa_generate_recovery_codes",
            "Create new recovery codes – Your account – Cluster Exchange",
        ),
    ]:
        assert_site_page(client.get(reverse(url_name)), expected_title)


def test_pages_only_rendered_in_some_settings():
    """email.html (ACCOUNT_CHANGE_EMAIL = False) and verified_email_required.html."""
    request = RequestFactory().get("/account/email/")
    user = make_user()
    request.user = user
    address = EmailAddress.objects.get(user=user)
    html = render_to_string(
        "account/email.html",
        {
            "form": AddEmailForm(user=user),
            "emailaddresses": [address],
            "emailaddress_radios": [
                {"id": "email_radio_0", "checked": True, "emailaddress": address}
            ],
            "can_add_email": True,
            "user": user,
        },
        request=request,
    )
    assert "<title>Email addresses – Your account – Cluster Exchange</title>" in html
    assert "Main address" in html and "Confirmed" in html
    html = render_to_string("account/verified_email_required.html", {"user": user}, request=request)
    assert "<title>Confirm your email address – Cluster Exchange</title>" in html


# The reusable form includes -------------------------------------------------------------


class EveryWidgetForm(forms.Form):
    name = forms.CharField(
        help_text="As on your passport",
        widget=forms.TextInput(attrs={"placeholder": "Jo", "autocomplete": "name"}),
    )
    size = forms.ChoiceField(choices=[("", "Choose"), ("s", "Small"), ("l", "Large")])
    about = forms.CharField(widget=forms.Textarea)
    kind = forms.ChoiceField(choices=[("a", "Alpha"), ("b", "Beta")], widget=forms.RadioSelect)
    themes = forms.MultipleChoiceField(
        choices=[("h", "Hydrogen"), ("c", "CCUS")], widget=forms.CheckboxSelectMultiple
    )
    agree = forms.BooleanField(label="I agree")
    count = forms.IntegerField()

    def clean(self):
        raise forms.ValidationError("Check the whole form")


def test_form_includes_write_govuk_markup_for_every_widget():
    form = EveryWidgetForm(data={"count": "x"})
    assert not form.is_valid()
    html = render_to_string("includes/error_summary.html", {"form": form})
    html += render_to_string("includes/form.html", {"form": form})
    # The summary links each error to the field's input (radios/checkboxes: the first one).
    for anchor in (
        "id_name",
        "id_size",
        "id_about",
        "id_kind_0",
        "id_themes_0",
        "id_agree",
        "id_count",
    ):
        assert f'<a href="#{anchor}">' in html, anchor
        assert f'id="{anchor}"' in html, anchor
    assert html.index("Check the whole form") < html.index("id_name_error")
    assert 'class="govuk-input govuk-input--error" id="id_name"' in html
    assert 'aria-describedby="id_name_helptext id_name_error"' in html
    assert '<div id="id_name_helptext" class="govuk-hint">As on your passport</div>' in html
    assert "placeholder" not in html
    assert 'class="govuk-select govuk-select--error"' in html
    assert 'class="govuk-textarea govuk-textarea--error"' in html
    assert '<div class="govuk-radios" data-module="govuk-radios">' in html
    assert '<div class="govuk-checkboxes" data-module="govuk-checkboxes">' in html
    assert '<fieldset class="govuk-fieldset" aria-describedby="id_kind_error">' in html
    assert 'class="govuk-input govuk-input--error" id="id_count" name="count" type="number"' in html


def test_error_title_is_not_doubled_when_a_page_adds_it_too():
    form = EveryWidgetForm(data={})
    form.is_valid()
    page = Template(
        '{% extends "base.html" %}{% block title %}'
        "{% if form.errors %}Error: {% endif %}Thing – Cluster Exchange{% endblock %}"
    )
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    html = page.render(Context({"form": form, "request": request, "user": request.user}))
    assert title(html) == "Error: Thing – Cluster Exchange"


def test_allauth_elements_give_govuk_markup_to_pages_not_rewritten_here():
    """allauth pages this site does not override still look right (elements/*.html)."""
    request = RequestFactory().get("/")
    request.user = AnonymousUser()
    form = RequestLoginCodeForm(data={"email": "bad"})
    form.is_valid()
    html = render_to_string(
        "account/request_login_code.html",
        {"form": form, "login_url": "/l/", "request_login_code_url": "/c/"},
        request=request,
    )
    assert SKIP_LINK in html
    assert '<h1 class="govuk-heading-l">' in html
    assert '<form method="post" action="/c/" novalidate>' in html
    assert '<div class="govuk-error-summary" data-module="govuk-error-summary">' in html
    assert 'class="govuk-input govuk-input--error" id="id_email"' in html
    assert '<button class="govuk-button" data-module="govuk-button" type="submit">' in html


def test_confirming_it_is_you_offers_no_code_by_email(client):
    """Found by an outside probe: "Send me a sign-in code" led to allauth's unstyled pages,
    and a code by email is a weaker proof than the password or the authenticator app."""
    from tests.factories import UserFactory

    client.force_login(UserFactory())
    page = client.get(reverse("account_reauthenticate")).content.decode()
    assert "Enter your password" in page
    code_url = reverse("account_request_reauthentication_code")
    assert code_url not in page
    assert client.get(code_url).status_code != 200


def test_the_account_menu_leads_to_deleting_the_account_and_the_password_prompt_has_a_way_back(
    signed_in,
):
    """Deleting an account was only reachable through "Your data", and the password prompt
    before it had no way back (newcomer probe, stop 26)."""
    html = signed_in.get(reverse("account_email")).content.decode()
    assert f'href="{reverse("account-delete")}">Delete your account</a>' in html
    # More than 5 minutes after signing in (until then, signing in counts as the password).
    with time_machine.travel(timezone.now() + timedelta(minutes=6)):
        prompt = signed_in.get(reverse("account-delete"), follow=True).content.decode()
    assert "Enter your password" in prompt
    assert f'href="{reverse("account_email")}">Cancel and go back to your account</a>' in prompt


def test_staff_are_taken_to_the_admin_not_asked_which_organisation_they_work_for(client):
    from allauth.account.adapter import get_adapter
    from allauth.account.models import EmailAddress

    staff = make_user(email="officer@programme.example", is_staff=True)
    address = EmailAddress.objects.get(user=staff)
    assert get_adapter().get_email_verification_redirect_url(address) == reverse("admin:index")
    response = client.post(reverse("account_login"), {"login": staff.email, "password": PASSWORD})
    assert response["Location"] == reverse("admin:index")
    member = make_user(email="plain@steel.example")
    client.logout()
    response = client.post(reverse("account_login"), {"login": member.email, "password": PASSWORD})
    assert response["Location"] == reverse("clusters:organisation-start")


def test_account_emails_link_to_the_site_address_not_the_requests_host(
    client, user, settings, django_capture_on_commit_callbacks
):
    """Sign-up and reset links used the Host the request came in on, other emails SITE_URL
    (newcomer probe, stop 31); a key-bearing link is never built from a request header."""
    settings.SITE_URL = "https://exchange.example.gov.uk"
    settings.ALLOWED_HOSTS = ["testserver", "attacker.example"]
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_reset_password"), {"email": user.email}, HTTP_HOST="attacker.example"
        )
    body = mail.outbox[-1].body
    assert "https://exchange.example.gov.uk/account/password/reset/key/" in body
    assert "attacker.example" not in body
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup"),
            {
                "name": "Dewi O'Brien",
                "email": "dewi2@portsteel.example",
                "password1": PASSWORD,
                "password2": PASSWORD,
                "accept_privacy": "on",
            },
            HTTP_HOST="attacker.example",
        )
    body = mail.outbox[-1].body
    assert "https://exchange.example.gov.uk/account/confirm-email/" in body
    assert "attacker.example" not in body
    # The emails allauth sends instead of saying whether an address has an account, and the
    # notice of a changed password (review, stop 31).
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_reset_password"),
            {"email": "nobody-here@example.org"},
            HTTP_HOST="attacker.example",
        )
        client.post(
            reverse("account_signup"),
            {
                "name": "Someone",
                "email": user.email,
                "password1": PASSWORD,
                "password2": PASSWORD,
                "accept_privacy": "on",
            },
            HTTP_HOST="attacker.example",
        )
    for message in mail.outbox[-2:]:
        assert "attacker.example" not in message.body, message.subject
        assert "https://exchange.example.gov.uk/account/" in message.body, message.subject
