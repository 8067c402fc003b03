"""Invitations go to strangers from the site's address: only approved organisations send
them, a limited number a day, with the names in them quoted."""

import hashlib
import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from clusters.models import Invitation, Organisation
from tests.conftest import confirm_it_is_you
from tests.factories import MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

PHISHING = "Your account is suspended\r\nVerify now at evil.example \u202e or lose access"


def invite(client, organisation, email, capture):
    with capture(execute=True):
        return client.post(
            reverse("clusters:organisation-invite", args=[organisation.ref]),
            {"email": email},
            follow=True,
        )


def test_a_member_of_an_unapproved_organisation_cannot_invite_and_the_page_says_why(
    client, django_capture_on_commit_callbacks
):
    member = MembershipFactory(organisation__status="pending").user
    organisation = member.memberships.get().organisation
    organisation.name = PHISHING
    organisation.save()
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    page = client.get(reverse("clusters:organisation-detail", args=[organisation.ref]))
    html = page.content.decode()
    assert "once" in html and "has been approved by the programme team" in html
    assert reverse("clusters:organisation-invite", args=[organisation.ref]) not in html

    for n in range(12):
        response = invite(
            client, organisation, f"stranger{n}@example.net", django_capture_on_commit_callbacks
        )
        assert response.status_code == 200
    assert "has been approved by the programme team" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_invitations_are_limited_per_organisation_per_day_counted_in_the_database(
    client, member, organisation, settings, django_capture_on_commit_callbacks
):
    settings.INVITATIONS_PER_ORGANISATION_PER_DAY = 3
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    for n in range(3):
        invite(
            client, organisation, f"colleague{n}@example.org", django_capture_on_commit_callbacks
        )
        cache.clear()  # as if each request reached another process
    refused = invite(client, organisation, "fourth@example.org", django_capture_on_commit_callbacks)
    assert "3 invitations today, the most allowed in one day" in refused.content.decode()
    assert Invitation.objects.filter(organisation=organisation).count() == 3
    assert len(mail.outbox) == 3
    page = client.get(reverse("clusters:organisation-detail", args=[organisation.ref]))
    assert "You can send more tomorrow" in page.content.decode()

    # Another organisation has its own count; and tomorrow there is a new one.
    other = MembershipFactory().user
    client.force_login(other)
    confirm_it_is_you(client)
    invite(
        client,
        other.memberships.get().organisation,
        "x@example.org",
        django_capture_on_commit_callbacks,
    )
    assert len(mail.outbox) == 4
    client.force_login(member)
    with time_machine.travel(timezone.now() + timedelta(days=1)):
        confirm_it_is_you(client)  # inviting and deciding ask for it
        invite(client, organisation, "fourth@example.org", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 5


def test_inviting_the_same_address_twice_sends_one_email_and_counts_once(
    client, member, organisation, settings, django_capture_on_commit_callbacks
):
    settings.INVITATIONS_PER_ORGANISATION_PER_DAY = 1
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    for _ in range(3):
        invite(client, organisation, "colleague@example.org", django_capture_on_commit_callbacks)
    assert len(mail.outbox) == 1 and Invitation.objects.count() == 1


def test_names_in_an_invitation_are_quoted_on_one_line_and_cut_short(
    client, member, organisation, django_capture_on_commit_callbacks
):
    max_length = Organisation._meta.get_field("name").max_length
    organisation.name = (PHISHING + " " + "x" * max_length)[:max_length]
    organisation.save()
    member.name = 'Support" team\nURGENT'
    member.save()
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    invite(client, organisation, "colleague@example.org", django_capture_on_commit_callbacks)
    [message] = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject
    assert "\u202e" not in message.subject and "\u202e" not in message.body
    assert message.subject.startswith("“Support' team URGENT” invites you to join “Your account")
    quoted = re.search(r"join “([^”]*)” on Cluster Exchange$", message.subject).group(1)
    assert len(quoted) <= 60 and quoted.endswith("…")
    assert "organisation “Your account is suspended Verify now" in message.body


def test_only_a_digest_of_the_invitation_token_is_stored(
    client, member, organisation, django_capture_on_commit_callbacks
):
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    invite(client, organisation, "colleague@example.org", django_capture_on_commit_callbacks)
    token = re.search(r"/invitations/(\S+)/", mail.outbox[-1].body).group(1)
    stored = Invitation.objects.get().token
    assert token not in stored and stored == hashlib.sha256(token.encode()).hexdigest()
    # The stored digest does not open the invitation in place of the token.
    client.logout()
    assert client.get(reverse("clusters:invitation", args=[stored])).status_code == 404
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    assert client.get(reverse("clusters:invitation", args=[stored])).status_code == 404
    assert client.get(reverse("clusters:invitation", args=[token])).status_code == 200


def test_invitations_stored_before_digests_are_converted_and_their_links_still_work(
    client, organisation
):
    import importlib

    from django.apps import apps

    from tests.factories import UserFactory

    migration = importlib.import_module("clusters.migrations.0006_invitation_tokens_as_digests")
    token = "t" * 43  # as emailed before tokens were stored as digests
    invitation = Invitation.objects.create(
        organisation=organisation, email="early@example.org", token=token
    )
    migration.digest_tokens(apps, None)
    invitation.refresh_from_db()
    assert invitation.token == hashlib.sha256(token.encode()).hexdigest()
    migration.digest_tokens(apps, None)  # running it again changes nothing
    invitation.refresh_from_db()
    assert invitation.token == hashlib.sha256(token.encode()).hexdigest()
    client.force_login(UserFactory(email="early@example.org"))
    assert client.get(reverse("clusters:invitation", args=[token])).status_code == 200


def test_the_invitation_admin_cannot_be_filtered_by_token(client, organisation):
    from tests.factories import UserFactory

    Invitation.objects.create(organisation=organisation, email="a@example.org", token="ab" * 32)
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = reverse("admin:clusters_invitation_changelist")
    for lookup in ("token__startswith=ab", "token=" + "ab" * 32):
        right = client.get(f"{url}?{lookup}")
        wrong = client.get(f"{url}?{lookup.replace('ab', 'cd')}")
        # Refused (400), or at least not telling a right guess from a wrong one.
        assert right.status_code == 400 or rows(right) == rows(wrong) == 1


def rows(response) -> int:
    return response.context["cl"].result_count


def test_inviting_again_says_so_the_same_day_and_sends_a_new_link_later(
    client, member, organisation, django_capture_on_commit_callbacks, settings
):
    """Found by an outside probe: a second invitation said "emailed" and sent nothing."""
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    invite(client, organisation, "dave@example.net", django_capture_on_commit_callbacks)
    first_link = re.search(r"/invitations/[^/\s]+/", mail.outbox[-1].body).group(0)
    again = invite(client, organisation, "dave@example.net", django_capture_on_commit_callbacks)
    html = again.content.decode()
    assert "dave@example.net was invited on" in html and "has been emailed" not in html
    assert "you can send it again from" in html
    assert len(mail.outbox) == 1
    settings.INVITATIONS_PER_ORGANISATION_PER_DAY = 1
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        client.force_login(member)
        confirm_it_is_you(client)  # inviting and deciding ask for it
        later = invite(client, organisation, "dave@example.net", django_capture_on_commit_callbacks)
        assert "An invitation has been emailed to dave@example.net" in later.content.decode()
        assert len(mail.outbox) == 2
        second_link = re.search(r"/invitations/[^/\s]+/", mail.outbox[-1].body).group(0)
        assert second_link != first_link
        assert Invitation.objects.count() == 1
        # Sent again today, so it counts in today's limit (here 1).
        full = invite(client, organisation, "erin@example.net", django_capture_on_commit_callbacks)
        assert "the most allowed in one day" in full.content.decode()
        assert len(mail.outbox) == 2
        dave = MembershipFactory().user
        dave.email = "dave@example.net"
        dave.save()
        client.force_login(dave)
        assert client.get(first_link).status_code == 404  # the old link stops working
        assert client.get(second_link).status_code == 200


def test_a_mistyped_address_is_shown_at_the_box_with_what_was_typed(
    client, member, organisation, django_capture_on_commit_callbacks
):
    """The error was a banner above an empty box (newcomer probe): now the page shows the
    error summary, the error at the box, and keeps what was typed."""
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    response = invite(
        client, organisation, "gareth.price@example", django_capture_on_commit_callbacks
    )
    html = response.content.decode()
    assert "<title>Error: " in html
    assert 'class="govuk-error-summary"' in html
    assert '<a href="#id_email">Enter an email address in the right format' in html
    assert 'value="gareth.price@example"' in html
    assert not Invitation.objects.exists()


def test_signed_out_the_link_says_what_it_is_and_offers_both_ways_in(
    client, member, organisation, django_capture_on_commit_callbacks
):
    """Signed out, the invitation link opened a plain sign-in page (newcomer probe)."""
    from urllib.parse import quote

    from clusters.models import Membership

    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    invite(client, organisation, "new.person@example.org", django_capture_on_commit_callbacks)
    token = re.search(r"/invitations/(\S+)/", mail.outbox[-1].body).group(1)
    client.logout()
    path = reverse("clusters:invitation", args=[token])
    response = client.get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Join {organisation.name}" in html
    assert f'href="{reverse("account_signup")}?next={quote(path)}"' in html
    assert f'href="{reverse("account_login")}?next={quote(path)}"' in html
    assert 'method="post"' not in html.split("<main", 1)[1]  # nothing to press signed out
    assert Membership.objects.filter(organisation=organisation).count() == 1
    assert Invitation.objects.get().accepted_at is None


@pytest.mark.parametrize("signed_in", [False, True])
def test_a_link_that_opens_no_invitation_says_what_to_do_next(client, signed_in):
    """Signed out it sent people to sign in, then to a bare "Page not found" (newcomer probe)."""
    if signed_in:
        client.force_login(UserFactory())
    response = client.get(reverse("clusters:invitation", args=["garbage"]))
    assert response.status_code == 404
    html = response.content.decode()
    assert "This invitation link does not work" in html
    assert "ask your colleague to send the invitation again" in html


def test_an_admin_sees_invitations_not_yet_used_and_can_cancel_one_whose_link_then_dies(
    client, member, organisation, outsider, django_capture_on_commit_callbacks, settings
):
    """An invitation to a mistyped address could not be seen or taken back, and its link
    worked until used (newcomer probe, stop 27)."""
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    invite(client, organisation, "dave@exmaple.net", django_capture_on_commit_callbacks)
    link = re.search(r"/invitations/[^/\s]+/", mail.outbox[-1].body).group(0)
    invitation = Invitation.objects.get()
    page = client.get(reverse("clusters:organisation-detail", args=[organisation.ref]))
    html = page.content.decode()
    assert "Invitations not yet used" in html and "dave@exmaple.net" in html
    cancel = reverse("clusters:invitation-cancel", args=[organisation.ref, invitation.pk])
    assert f'href="{cancel}"' in html

    # Nobody else, to ask or to cancel: another organisation's user, a member who did not
    # send it.
    colleague = MembershipFactory(organisation=organisation, role="member").user
    for user in (outsider, colleague):
        client.force_login(user)
        assert client.post(cancel).status_code == 404
        assert client.get(cancel).status_code == 404
    assert (
        "dave@exmaple.net"
        not in client.get(
            reverse("clusters:organisation-detail", args=[organisation.ref])
        ).content.decode()
    )  # the colleague sees only the invitations they sent
    # The link asks first and changes nothing (a GET never does): it says what cancelling
    # costs, a wait of a day before the same address can be invited again.
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    asked = client.get(cancel)
    assert asked.status_code == 200
    question = asked.content.decode()
    assert "Cancel the invitation to dave@exmaple.net?" in question
    assert "you cannot invite the same address again until" in question
    assert 'method="post"' in question and "Yes, cancel the invitation" in question
    invitation.refresh_from_db()
    assert invitation.cancelled_at is None
    dave = UserFactory(email="dave@exmaple.net")
    client.force_login(dave)
    start = reverse("clusters:organisation-start")
    assert organisation.name in client.get(start).content.decode()  # before: she finds it
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it

    done = client.post(cancel, follow=True).content.decode()
    assert "The invitation to dave@exmaple.net is cancelled" in done
    assert "Invitations not yet used" not in done
    invitation.refresh_from_db()
    assert invitation.cancelled_at is not None
    assert "nothing was changed" in client.post(cancel, follow=True).content.decode()
    assert "there is nothing to cancel" in client.get(cancel, follow=True).content.decode()
    # Used or cancelled, it is still nobody else's to see: the answer named the address.
    for user in (outsider, colleague):
        client.force_login(user)
        assert client.post(cancel).status_code == 404
        assert client.get(cancel).status_code == 404
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it

    # The link opens nothing, and the address's owner does not find it on her page either.
    client.force_login(dave)
    assert client.get(link).status_code == 404
    assert organisation.name not in client.get(start).content.decode()

    # Cancelling frees neither the day's count nor the wait before the same address again.
    settings.INVITATIONS_PER_ORGANISATION_PER_DAY = 1
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    again = invite(client, organisation, "dave@exmaple.net", django_capture_on_commit_callbacks)
    assert "was invited on" in again.content.decode()
    assert "You can invite them again from" in again.content.decode()
    assert "cancelled" not in again.content.decode()  # for a member who did not cancel it
    other = invite(client, organisation, "erin@example.net", django_capture_on_commit_callbacks)
    assert "the most allowed in one day" in other.content.decode()
    with time_machine.travel(timezone.now() + timedelta(days=2)):
        client.force_login(member)
        confirm_it_is_you(client)  # inviting and deciding ask for it
        later = invite(client, organisation, "dave@exmaple.net", django_capture_on_commit_callbacks)
        assert "An invitation has been emailed to dave@exmaple.net" in later.content.decode()
        invitation.refresh_from_db()
        assert invitation.cancelled_at is None  # invited again: it stands once more


def test_the_member_who_sent_an_invitation_may_cancel_it(
    client, organisation, django_capture_on_commit_callbacks
):
    colleague = MembershipFactory(organisation=organisation, role="member").user
    client.force_login(colleague)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    invite(client, organisation, "fay@example.net", django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    html = client.get(
        reverse("clusters:organisation-detail", args=[organisation.ref])
    ).content.decode()
    assert "fay@example.net" in html
    client.post(reverse("clusters:invitation-cancel", args=[organisation.ref, invitation.pk]))
    invitation.refresh_from_db()
    assert invitation.cancelled_at is not None


def test_an_invitation_cancelled_while_its_link_was_open_cannot_be_accepted(
    client, member, organisation, django_capture_on_commit_callbacks
):
    from clusters import services

    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    invite(client, organisation, "gil@example.net", django_capture_on_commit_callbacks)
    invitation = Invitation.objects.get()
    gil = UserFactory(email="gil@example.net")
    services.cancel_invitation(invitation, member)
    with pytest.raises(services.NotAllowed, match="cancelled this invitation"):
        services.accept_invitation(invitation, gil)
    assert not gil.memberships.exists()


def test_signing_up_from_an_invitation_offers_the_invited_address_but_still_confirms_it(
    client, member, organisation, django_capture_on_commit_callbacks
):
    """The sign-up form was empty after "Create an account" on an invitation (newcomer
    probe). Opening a link (which can be forwarded) does not confirm the address."""
    from allauth.account.models import EmailAddress

    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    invite(client, organisation, "new.person@example.org", django_capture_on_commit_callbacks)
    token = re.search(r"/invitations/(\S+)/", mail.outbox[-1].body).group(1)
    client.logout()
    client.get(reverse("clusters:invitation", args=[token]))
    form = client.get(reverse("account_signup")).content.decode()
    assert re.search(r'<input[^>]*name="email"[^>]*value="new.person@example.org"', form)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "name": "New Person",
                "email": "new.person@example.org",
                "password1": "slag heap sunrise 77",
                "password2": "slag heap sunrise 77",
                "accept_privacy": "on",
            },
        )
    assert response.status_code == 302
    address = EmailAddress.objects.get(email="new.person@example.org")
    assert not address.verified  # confirmed by its own email, as everyone's
    assert [m.to for m in mail.outbox] == [["new.person@example.org"]]


@pytest.mark.django_db(transaction=True)
def test_cancelling_runs_in_its_own_transaction(client):
    """Outside the test's own transaction, as in production: the service locks the row, and
    lost its transaction when the permission check was split out (review, stop 28: a 500 on
    PostgreSQL that the wrapped tests hid)."""
    from tests.factories import InvitationFactory

    admin = MembershipFactory(role="admin").user
    organisation = admin.memberships.get().organisation
    invitation = InvitationFactory(organisation=organisation, invited_by=admin)
    client.force_login(admin)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    cancel = reverse("clusters:invitation-cancel", args=[organisation.ref, invitation.pk])
    assert client.post(cancel).status_code == 302
    invitation.refresh_from_db()
    assert invitation.cancelled_at is not None
