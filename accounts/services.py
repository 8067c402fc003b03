"""A user's own data: everything held about them as JSON, and deleting their account."""

import re

from django.db import transaction
from django.db.models import Count, Prefetch, Q

from clusters.models import Invitation, Listing, Membership, Organisation
from outbox.models import Email
from outbox.services import queue_email
from reports.models import Report

from .export import _address_q, _verified_addresses, export_user_data

__all__ = ["delete_account", "export_user_data", "what_deleting_removes"]


def kept_for_others(organisation: Organisation) -> bool:
    """Whether an organisation stays, without members, when its only member deletes their
    account: other organisations have introductions with it (deleting it deleted theirs),
    or it, or one of its listings, was reported (deleting it deleted the reports, a referred
    one too: outside probe, stop 31)."""
    return (
        organisation.introductions_sent.exists()
        or organisation.introductions_received.exists()
        or organisation.reports.exists()  # a listing's report names its organisation too
    )


def _withdraw_listings(organisation: Organisation) -> None:
    """Nobody is left to answer for them: off the site (drafts, taken-down listings and
    withdrawn ones stay as they are)."""
    from clusters.services import NotAllowed, withdraw_listing

    waiting = (Listing.Status.PUBLISHED, Listing.Status.PENDING)
    for listing in organisation.listings.filter(status__in=waiting):
        try:
            withdraw_listing(listing, reason="Its organisation has no members any more.")
        except NotAllowed:
            continue


def what_deleting_removes(user) -> list[dict]:
    """The organisations that would go with `user`'s account (those they are the only member
    of), each with its listings' titles and how many introductions it is in, so that the
    page can name them before anyone presses the button (newcomer probe, stop 26); `kept`
    for one that stays without members (kept_for_others)."""
    alone = (
        Organisation.objects.annotate(members=Count("memberships", distinct=True))  # all
        .filter(members=1, memberships__user=user)
        .annotate(
            asked=Count("introductions_sent", distinct=True),
            asked_of=Count("introductions_received", distinct=True),
            reported=Count("reports", distinct=True),
        )
        .prefetch_related(Prefetch("listings", Listing.objects.order_by("title")))
        .order_by("name")
    )
    return [
        {
            "organisation": org,
            "listings": [listing.title for listing in org.listings.all()],
            "introductions": org.asked + org.asked_of,
            "kept": bool(org.asked or org.asked_of or org.reported),
        }
        for org in alone
    ]


def _names_any(email: Email, addresses: list[str]) -> bool:
    """Whether the email's text names one of `addresses` as a whole address: "ob@example.org"
    is inside "bob@example.org", and "bob@corp.co" inside "bob@corp.co.uk" (re-probe, stop
    28). Not part of a longer address on either side; a full stop after it ends a sentence."""
    text = f"{email.body_text}\n{email.body_html}"
    return any(
        re.search(rf"(?<![\w.+-]){re.escape(address)}(?![\w-]|\.[\w-])", text, re.IGNORECASE)
        for address in addresses
    )


def _mentioning(addresses: list[str]) -> Q:
    """Emails whose text holds any of `addresses` (none when there are none): the database's
    first cut, which _names_any then reads for whole addresses."""
    query = Q(pk__in=[])
    for address in addresses:
        query |= Q(body_text__icontains=address) | Q(body_html__icontains=address)
    return query


@transaction.atomic
def delete_account(user) -> None:
    """Delete the user and their personal data.

    An organisation with other members stays (if the user was its only admin, its longest
    standing member becomes admin); one the user was alone in is deleted with its listings,
    unless others rely on it (kept_for_others): then it stays without members, its listings
    withdrawn.
    """
    for membership in Membership.objects.filter(user=user).select_related("organisation"):
        org = membership.organisation
        others = org.memberships.exclude(user=user).order_by("created_at")
        if not others.exists():
            if kept_for_others(org):
                _withdraw_listings(org)
            else:
                org.delete()
            continue
        if membership.is_admin and not others.filter(role=Membership.Role.ADMIN).exists():
            successor = others.first()
            successor.role = Membership.Role.ADMIN
            successor.save(update_fields=["role", "updated_at"])
            # Told, with what they can now do (newcomer probe, stop 31: nobody knew).
            queue_email(
                f"member-role:{successor.pk}:admin:successor",
                successor.user.email,
                "member_role",
                {
                    "user": successor.user,
                    "organisation": org,
                    "admin": True,
                    "successor": True,
                },
            )
    Listing.objects.filter(created_by=user).update(created_by=None)
    addresses = sorted({user.email.lower(), *_verified_addresses(user)})
    Email.objects.filter(_address_q("to", addresses)).delete()
    # Emails to others that name them by address (a join request to an organisation's
    # admins, a notice to staff, "Asked by: ..."), and the confirmation sent to an address
    # they added but never confirmed, which greets them by name (outside probe, stop 28).
    # Only addresses they proved are theirs are looked for in other people's emails, so that
    # nobody can take emails out of the outbox by adding someone else's address.
    mentioning = Email.objects.filter(_mentioning(addresses)).only("body_text", "body_html")
    Email.objects.filter(pk__in=[e.pk for e in mentioning if _names_any(e, addresses)]).delete()
    unconfirmed = sorted(
        {e.email.lower() for e in user.emailaddress_set.filter(verified=False)} - set(addresses)
    )
    name = user.name.strip()
    if unconfirmed and name:
        greeted = Email.objects.filter(
            _address_q("to", unconfirmed),
            key__startswith="account:",  # allauth's, accounts.adapter.send_mail
            body_text__icontains=name,
        ).only("body_text")
        whole_name = re.compile(rf"(?<!\w){re.escape(name)}(?!\w)", re.IGNORECASE)
        Email.objects.filter(
            pk__in=[e.pk for e in greeted if whole_name.search(e.body_text)]
        ).delete()
    Invitation.objects.filter(_address_q("email", addresses)).delete()
    # Their reports stay for staff, without a way back to them (reporter is set to null),
    # from every address the export counts as theirs.
    Report.objects.filter(_address_q("email", addresses)).update(email="")
    user.delete()
