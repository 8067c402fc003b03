"""Managing an organisation's members: admins make members admins or remove them, anyone may
leave, and an organisation always keeps an admin (newcomer probe, stop 31: there was no way
to remove a colleague who had left the company, nor to leave)."""

from urllib.parse import quote

import pytest
from django.test import Client
from django.urls import reverse

from accounts.services import delete_account
from clusters import services
from clusters.models import Listing, Membership
from outbox.models import Email
from tests.conftest import confirm_it_is_you
from tests.factories import ListingFactory, MembershipFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def colleague(organisation):
    return MembershipFactory(organisation=organisation, role="member")


def page_of(organisation):
    return reverse("clusters:organisation-detail", args=[organisation.ref])


def remove_url(membership):
    return reverse("clusters:member-remove", args=[membership.organisation.ref, membership.pk])


def role_url(membership):
    return reverse("clusters:member-role", args=[membership.organisation.ref, membership.pk])


def leave_url(organisation):
    return reverse("clusters:organisation-leave", args=[organisation.ref])


def test_an_admin_removes_a_member_who_is_told_and_loses_access(
    client, member, organisation, colleague
):
    listing = ListingFactory(organisation=organisation, created_by=colleague.user)
    client.force_login(member)
    confirm_it_is_you(client)

    # The page asks first, and opening it changes nothing (mail scanners follow links).
    asked = client.get(remove_url(colleague))
    assert asked.status_code == 200
    assert f"Remove {colleague.user.name} from" in asked.content.decode()
    assert Membership.objects.filter(pk=colleague.pk).exists()

    done = client.post(remove_url(colleague), follow=True)
    assert f"{colleague.user.name} is no longer a member" in done.content.decode()
    assert not Membership.objects.filter(pk=colleague.pk).exists()
    assert Listing.objects.get(pk=listing.pk).organisation == organisation
    told = Email.objects.get(to=colleague.user.email)
    assert "no longer a member" in told.subject and organisation.name in told.body_text

    gone = Client()
    gone.force_login(colleague.user)
    assert gone.get(page_of(organisation)).status_code == 404


def test_the_members_table_offers_changes_to_admins_only(client, member, organisation, colleague):
    client.force_login(member)
    html = client.get(page_of(organisation)).content.decode()
    assert remove_url(colleague) in html and role_url(colleague) in html
    # Not beside themselves: leaving is its own page.
    assert remove_url(member.memberships.get()) not in html
    assert leave_url(organisation) in html

    client.force_login(colleague.user)
    html = client.get(page_of(organisation)).content.decode()
    assert remove_url(member.memberships.get()) not in html
    assert role_url(member.memberships.get()) not in html
    assert leave_url(organisation) in html


def test_a_member_who_is_not_an_admin_and_another_organisations_admin_change_nothing(
    client, member, organisation, colleague, outsider
):
    admin = member.memberships.get()
    for who in (colleague.user, outsider):
        client.force_login(who)
        confirm_it_is_you(client)
        assert client.get(remove_url(admin)).status_code == 404
        assert client.post(remove_url(admin)).status_code == 404
        assert client.post(role_url(admin), {"role": "member"}).status_code == 404
        assert client.post(role_url(colleague), {"role": "admin"}).status_code == 404
    assert Membership.objects.get(pk=admin.pk).role == "admin"
    assert Membership.objects.get(pk=colleague.pk).role == "member"
    with pytest.raises(services.NotAllowed):
        services.remove_member(admin, colleague.user)
    with pytest.raises(services.NotAllowed):
        services.set_member_role(colleague, colleague.user, "admin")


def test_removing_and_making_admins_need_the_password_given_lately(
    client, member, organisation, colleague
):
    client.force_login(member)  # force_login records no sign-in with allauth
    asked = client.post(role_url(colleague), {"role": "admin"})
    assert asked.status_code == 302 and reverse("account_reauthenticate") in asked["Location"]
    asked = client.post(remove_url(colleague))
    assert asked.status_code == 302 and reverse("account_reauthenticate") in asked["Location"]
    assert quote(remove_url(colleague), safe="") in asked["Location"]  # back to the page
    assert Membership.objects.get(pk=colleague.pk).role == "member"


def test_posts_without_the_csrf_token_are_refused(member, organisation, colleague):
    confirmed = Client()
    confirmed.force_login(member)
    confirm_it_is_you(confirmed)
    client = Client(enforce_csrf_checks=True)
    client.cookies = confirmed.cookies  # the same session, confirmed, but no CSRF token
    assert client.post(remove_url(colleague)).status_code == 403
    assert client.post(role_url(colleague), {"role": "admin"}).status_code == 403
    assert client.post(leave_url(organisation)).status_code == 403
    assert Membership.objects.filter(pk=colleague.pk, role="member").exists()


def test_making_a_member_an_admin_tells_them_and_lets_the_first_admin_leave(
    client, member, organisation, colleague
):
    client.force_login(member)
    confirm_it_is_you(client)

    # The only admin cannot leave: the page says what to do first.
    page = client.get(leave_url(organisation)).content.decode()
    assert f"You are the only admin of {organisation.name}" in page
    refused = client.post(leave_url(organisation), follow=True)
    assert "only admin" in refused.content.decode()
    assert member.memberships.exists()

    made = client.post(role_url(colleague), {"role": "admin"}, follow=True)
    assert f"{colleague.user.name} is now an admin" in made.content.decode()
    assert Membership.objects.get(pk=colleague.pk).is_admin
    assert "You are an admin of" in Email.objects.get(to=colleague.user.email).subject
    again = client.post(role_url(colleague), {"role": "admin"}, follow=True)
    assert "already: nothing was changed" in again.content.decode()

    left = client.post(leave_url(organisation), follow=True)
    assert f"You have left {organisation.name}" in left.content.decode()
    assert not member.memberships.exists()
    told = Email.objects.get(to=colleague.user.email, subject__contains="has left")
    assert member.name in told.body_text


def test_an_organisation_always_keeps_an_admin(member, organisation, colleague):
    admin = member.memberships.get()
    with pytest.raises(services.NotAllowed, match="only admin"):
        services.set_member_role(admin, member, "member")
    with pytest.raises(services.NotAllowed, match="only admin"):
        services.leave_organisation(admin)
    with pytest.raises(services.NotAllowed, match="admin or member"):
        services.set_member_role(colleague, member, "owner")
    assert Membership.objects.get(pk=admin.pk).is_admin

    # With a second admin, either may step down.
    services.set_member_role(colleague, member, "admin")
    assert services.set_member_role(admin, member, "member") is True
    assert not Membership.objects.get(pk=admin.pk).is_admin


def test_the_only_member_cannot_leave_and_is_told_what_to_do(client, member, organisation):
    client.force_login(member)
    page = client.get(leave_url(organisation)).content.decode()
    assert f"You are the only member of {organisation.name}" in page
    assert "Invite a colleague first" in page
    assert f'href="{page_of(organisation)}#invite"' in page and "/get-in-touch/" in page
    client.post(leave_url(organisation))
    assert member.memberships.filter(organisation=organisation).exists()


def test_a_member_leaves_and_the_admins_are_told(client, member, organisation, colleague):
    client.force_login(colleague.user)
    page = client.get(leave_url(organisation)).content.decode()
    assert f"Leave {organisation.name}?" in page
    assert Membership.objects.filter(pk=colleague.pk).exists()  # the page changed nothing
    client.post(leave_url(organisation))
    assert not Membership.objects.filter(pk=colleague.pk).exists()
    told = Email.objects.get(to=member.email)
    assert "has left" in told.subject and colleague.user.email in told.body_text


def test_the_member_who_becomes_admin_when_the_only_admin_deletes_their_account_is_told(
    member, organisation, colleague
):
    delete_account(member)
    successor = Membership.objects.get(pk=colleague.pk)
    assert successor.is_admin
    told = Email.objects.get(to=colleague.user.email)
    assert "You are an admin of" in told.subject and "deleted their account" in told.body_text


def test_leaving_or_being_removed_stops_the_invitations_they_sent_and_any_to_them(
    member, organisation, colleague
):
    """A removed member invited a second address of theirs first, and came back through it;
    an older invitation to their own address let them straight back in (review and re-probe,
    stop 31)."""
    from clusters.models import Invitation

    sent = Invitation.objects.create(
        organisation=organisation, email="second@example.org", token="a", invited_by=colleague.user
    )
    to_them = Invitation.objects.create(
        organisation=organisation, email=colleague.user.email.upper(), token="b", invited_by=member
    )
    other = Invitation.objects.create(
        organisation=organisation, email="someone@example.org", token="c", invited_by=member
    )
    services.remove_member(colleague, member)
    sent.refresh_from_db()
    to_them.refresh_from_db()
    other.refresh_from_db()
    assert sent.cancelled_at is not None and to_them.cancelled_at is not None
    assert other.cancelled_at is None


def test_an_admin_whose_account_is_turned_off_does_not_count_as_the_admin(
    member, organisation, colleague
):
    """Who may decide a join request is an admin who can sign in (join_deciders): the rule
    that an organisation keeps an admin counts the same ones (review, stop 31)."""
    from tests.factories import UserFactory

    closed = MembershipFactory(organisation=organisation, user=UserFactory(is_active=False))
    assert closed.is_admin
    with pytest.raises(services.NotAllowed, match="only admin"):
        services.leave_organisation(member.memberships.get())


def test_a_removed_admin_decides_no_join_request_and_invites_nobody(
    member, organisation, colleague
):
    from clusters.models import JoinRequest
    from tests.factories import JoinRequestFactory

    services.set_member_role(colleague, member, "admin")
    services.remove_member(colleague, member)
    join_request = JoinRequestFactory(organisation=organisation)
    with pytest.raises(services.NotAllowed):
        services.decide_join_request(join_request, colleague.user, approve=True)
    assert JoinRequest.objects.get(pk=join_request.pk).status == "open"
    with pytest.raises(services.NotAllowed):
        services.invite_member(organisation, colleague.user, "new@example.org")


def test_an_organisation_its_last_member_left_answers_nothing_and_admits_nobody(
    member, organisation
):
    """Kept without members (its introductions, reports): its open introductions expire both
    ways, its invitations stop working and its open join requests are declined (review and
    re-probe, stop 31: requests waited for a reply nobody could give; an invited colleague
    joined an organisation with no admin)."""
    from clusters.models import Invitation, JoinRequest
    from introductions.models import Introduction
    from tests.factories import JoinRequestFactory

    other = MembershipFactory().organisation
    theirs = ListingFactory(organisation=other)
    ours = ListingFactory(organisation=organisation)
    asked = Introduction.objects.create(
        from_organisation=organisation,
        to_organisation=other,
        target_listing=theirs,
        message="Hello",
        expires_at=organisation.created_at.replace(year=2100),
    )
    asked_of = Introduction.objects.create(
        from_organisation=other,
        to_organisation=organisation,
        target_listing=ours,
        message="Hello",
        expires_at=organisation.created_at.replace(year=2100),
    )
    invitation = Invitation.objects.create(
        organisation=organisation, email="later@example.org", token="t", invited_by=member
    )
    join_request = JoinRequestFactory(organisation=organisation)
    delete_account(member)
    assert {i.status for i in Introduction.objects.filter(pk__in=[asked.pk, asked_of.pk])} == {
        "expired"
    }
    assert Invitation.objects.get(pk=invitation.pk).cancelled_at is not None
    assert JoinRequest.objects.get(pk=join_request.pk).status == "declined"


def test_an_admin_may_step_down_on_the_page_while_another_admin_stays(
    client, member, organisation, colleague
):
    mine = member.memberships.get()
    client.force_login(member)
    confirm_it_is_you(client)
    assert "Stop being an admin" not in client.get(page_of(organisation)).content.decode()
    services.set_member_role(colleague, member, "admin")
    html = client.get(page_of(organisation)).content.decode()
    assert "Stop being an admin" in html and role_url(mine) in html
    done = client.post(role_url(mine), {"role": "member"}, follow=True)
    assert "You are now a member, not an admin" in done.content.decode()
    assert not Membership.objects.get(pk=mine.pk).is_admin


def test_a_plain_member_deleting_their_account_makes_nobody_admin(member, organisation, colleague):
    """The successor email said "the only admin … has deleted their account" when a plain
    member deleted theirs (review, stop 31)."""
    third = MembershipFactory(organisation=organisation, role="member")
    member.is_active = False  # the admin's account is turned off
    member.save()
    delete_account(colleague.user)
    assert Membership.objects.get(pk=third.pk).role == "member"
    assert not Email.objects.filter(to=third.user.email, subject__contains="an admin of").exists()


def test_a_request_closed_because_its_asker_has_no_members_says_so_to_the_other_side(
    client, member, organisation
):
    from introductions.models import Introduction

    other = MembershipFactory()
    asked = Introduction.objects.create(
        from_organisation=organisation,
        to_organisation=other.organisation,
        target_listing=ListingFactory(organisation=other.organisation),
        message="Hello",
        expires_at=organisation.created_at.replace(year=2100),
    )
    delete_account(member)
    client.force_login(other.user)
    html = client.get(asked.get_absolute_url()).content.decode()
    assert "Closed: nobody is left at the organisation that asked" in html
    assert "no reply within 30 days" not in html
