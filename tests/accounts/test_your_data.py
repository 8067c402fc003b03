"""Download my data, and delete my account."""

import json

import pytest
from django.urls import reverse

from accounts.models import PrivacyConsent, User
from clusters.models import Listing, Membership, Organisation
from tests.conftest import confirm_it_is_you
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db


def test_download_holds_the_account_organisation_and_listings(client, member, organisation):
    PrivacyConsent.objects.create(user=member, version="2026-11")
    ListingFactory(organisation=organisation, title="Our CO2 need", kind="need")
    client.force_login(member)
    confirm_it_is_you(client)
    response = client.post(reverse("account-download-data"))
    assert response.status_code == 200
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["email"] == member.email
    assert data["account"]["privacy_consents"][0]["version"] == "2026-11"
    org = data["organisations"][0]
    assert org["name"] == organisation.name and org["your_role"] == "admin"
    assert [x["title"] for x in org["listings"]] == ["Our CO2 need"]


def test_download_needs_post_and_sign_in(client, member):
    assert client.post(reverse("account-download-data")).status_code == 302
    client.force_login(member)
    assert client.get(reverse("account-download-data")).status_code == 405


def test_download_holds_nothing_of_another_organisation(client, member, outsider):
    ListingFactory(
        organisation=outsider.memberships.get().organisation, title="Secret draft", status="draft"
    )
    client.force_login(member)
    confirm_it_is_you(client)
    response = client.post(reverse("account-download-data"))
    assert response.status_code == 200  # the file itself, not a page asking for the password
    assert b"Secret draft" not in response.content
    assert outsider.email.encode() not in response.content


def test_deleting_the_only_member_deletes_an_organisation_awaiting_approval(
    client, member, organisation
):
    organisation.status = Organisation.Status.PENDING
    organisation.save()
    ListingFactory(organisation=organisation, status="pending")
    client.force_login(member)
    confirm_it_is_you(client)
    response = client.post(reverse("account-delete"), {"confirm": "on"})
    assert response.status_code == 302
    assert not User.objects.filter(pk=member.pk).exists()
    assert not Organisation.objects.filter(pk=organisation.pk).exists()
    assert not Listing.objects.exists()


def test_an_approved_organisation_stays_without_members_its_listings_off_the_site(
    client, member, organisation
):
    """Whether it stays does not depend on reports, which its member must not learn of
    (review, stop 31); staff keep the reports, and the other side its introductions."""
    published = ListingFactory(organisation=organisation, title="Heat for a drying line")
    draft = ListingFactory(organisation=organisation, status="draft", title="A draft")
    client.force_login(member)
    confirm_it_is_you(client)
    html = client.get(reverse("account-delete")).content.decode()
    assert "It will stay on Cluster Exchange without members" in html
    assert "this listing will be taken off the site" in html
    assert "<li>Heat for a drying line</li>" in html and "A draft" not in html
    client.post(reverse("account-delete"), {"confirm": "on"})
    assert Organisation.objects.filter(pk=organisation.pk, memberships=None).exists()
    published.refresh_from_db()
    draft.refresh_from_db()
    assert (published.status, draft.status) == ("withdrawn", "draft")


def test_the_delete_page_names_what_goes_with_the_account(client, member, organisation):
    """It listed what happens in general, not that Port Talbot Steelworks and its 2
    listings, and an introduction the other side relies on, would go (newcomer probe)."""
    from introductions.models import Introduction
    from tests.factories import MembershipFactory

    ListingFactory(organisation=organisation, title="Grid capacity study")
    ListingFactory(organisation=organisation, title="Heat for a drying line")
    other = MembershipFactory().organisation
    Introduction.objects.create(
        from_organisation=organisation,
        to_organisation=other,
        target_listing=ListingFactory(organisation=other),
        message="Hello",
        expires_at=organisation.created_at,
    )
    shared = MembershipFactory(organisation__name="Shared Org Ltd").organisation
    Membership.objects.create(user=member, organisation=shared, role="member")
    client.force_login(member)
    confirm_it_is_you(client)
    html = client.get(reverse("account-delete")).content.decode()
    assert f"You are the only member of <strong>{organisation.name}</strong>" in html
    # Other organisations rely on its introduction: it stays, its listings off the site.
    assert "It will stay on Cluster Exchange without members" in html
    assert "keep its 1 introduction" in html and "these 2 listings will be taken off" in html
    assert "<li>Grid capacity study</li>" in html and "<li>Heat for a drying line</li>" in html
    assert "Shared Org Ltd" not in html  # it has other members: it stays
    client.post(reverse("account-delete"), {"confirm": "on"})
    assert Organisation.objects.filter(pk=organisation.pk, memberships=None).exists()
    assert Introduction.objects.filter(from_organisation=organisation).exists()
    assert set(organisation.listings.values_list("status", flat=True)) == {"withdrawn"}


def test_an_organisation_with_other_members_stays_and_gets_an_admin(client, member, organisation):
    colleague = UserFactory()
    Membership.objects.create(user=colleague, organisation=organisation, role="member")
    listing = ListingFactory(organisation=organisation, created_by=member)
    client.force_login(member)
    confirm_it_is_you(client)
    client.post(reverse("account-delete"), {"confirm": "on"})
    organisation.refresh_from_db()
    assert Membership.objects.get(organisation=organisation).user == colleague
    assert Membership.objects.get(organisation=organisation).role == "admin"
    listing.refresh_from_db()
    assert listing.created_by is None


def test_deletion_needs_the_confirmation_box(client, member):
    client.force_login(member)
    confirm_it_is_you(client)
    response = client.post(reverse("account-delete"), {})
    assert response.status_code == 200
    assert "Confirm that you want to delete your account" in response.content.decode()
    assert User.objects.filter(pk=member.pk).exists()


def test_deleting_an_account_is_all_or_nothing(member, organisation, monkeypatch):
    """A failure part-way (here, deleting the user) undoes the rest: the organisation stays."""
    from accounts import services

    ListingFactory(organisation=organisation)

    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(User, "delete", fail)
    with pytest.raises(RuntimeError):
        services.delete_account(member)
    assert Organisation.objects.filter(pk=organisation.pk).exists()
    assert Listing.objects.filter(organisation=organisation).exists()


def test_deleting_an_account_takes_its_address_out_of_emails_to_others(client, member):
    """A staff notice and a join request named the deleted person by address, and the
    confirmation sent to an address they added but never confirmed greeted them by name
    (outside probe, stop 28). Emails that do not name them stay, also to that address."""
    from allauth.account.models import EmailAddress

    from outbox.models import Email

    member.name = "Dave Davis"
    member.save(update_fields=["name"])
    EmailAddress.objects.create(user=member, email="dave2@example.com", verified=False)

    def email(key, to, text):
        return Email.objects.create(key=key, to=to, subject="s", body_text=text)

    email("team", "staff@example.org", f"Dave Davis ({member.email}) asks to join the team.")
    email("sentence", "staff@example.org", f"Asked by: {member.email}.\nThanks")
    email("account:1", "dave2@example.com", "Dear Dave Davis, confirm this address.")
    kept = [
        email("other", "staff@example.org", "Someone else asks to join."),
        # Addresses that hold theirs inside: not theirs (re-probe, stop 28).
        email("longer", "staff@example.org", f"Contact x{member.email} or {member.email}.uk"),
        email("digest", "dave2@example.com", "Dear Dave Davis, new matches."),  # not ours
        email("account:2", "dave2@example.com", "Dear Erin, confirm this address."),
        email("account:3", "dave2@example.com", "Dear Dave Davison, confirm it."),  # not him
    ]
    client.force_login(member)
    confirm_it_is_you(client)
    client.post(reverse("account-delete"), {"confirm": "on"})
    assert not User.objects.filter(pk=member.pk).exists()
    assert set(Email.objects.values_list("key", flat=True)) == {e.key for e in kept}
