"""A user's own data: everything held about them as JSON, and deleting their account."""

import re

from django.db import transaction
from django.db.models import Count, Prefetch, Q
from django.utils import timezone

from clusters.models import Invitation, JoinRequest, Listing, Membership, Organisation
from clusters.services import member_departs
from outbox.models import Email
from outbox.services import queue_email
from reports.models import Report

from .export import _address_q, _verified_addresses, export_user_data

__all__ = ["delete_account", "export_user_data", "what_deleting_removes"]


def kept_for_others(organisation: Organisation, introductions: int | None = None) -> bool:
    """Whether an organisation stays, without members, when its only member deletes their
    account: one that was ever looked at by staff (approved or rejected), or that others
    have introductions with. Deleting it deleted the other side's introductions, and every
    report on it, a referred one too (outside probe, stop 31). Reports are not asked about
    here: whether it stays must not tell its member that it was reported (review).
    `introductions`: how many it is in, if already counted."""
    if organisation.status != Organisation.Status.PENDING:
        return True
    if introductions is not None:
        return introductions > 0
    return organisation.introductions_sent.exists() or organisation.introductions_received.exists()


# What an organisation kept without members takes off the site: nobody answers for them.
WITHDRAWN_WITH_THE_LAST_MEMBER = (Listing.Status.PUBLISHED, Listing.Status.PENDING)


def _keep_without_members(organisation: Organisation) -> None:
    """Nobody is left to answer for it: its listings go off the site, its open introductions
    expire at once (to the side that asked it, that reads as a quiet decline; to the side it
    asked, as closed because nobody is left: Introduction.closed_early), its invitations stop
    working and its open join requests are declined, without emails (review, stop 31: a
    colleague invited earlier could join an organisation with no admin)."""
    from clusters.services import NotAllowed, withdraw_listing
    from introductions.models import Introduction

    for listing in organisation.listings.filter(status__in=WITHDRAWN_WITH_THE_LAST_MEMBER):
        try:
            withdraw_listing(listing, reason="Its organisation has no members any more.")
        except NotAllowed:
            continue
    now = timezone.now()
    Introduction.objects.filter(
        Q(from_organisation=organisation) | Q(to_organisation=organisation),
        status=Introduction.Status.OPEN,
    ).update(status=Introduction.Status.EXPIRED, expires_at=now, updated_at=now)
    organisation.invitations.filter(accepted_at__isnull=True, cancelled_at=None).update(
        cancelled_at=now, updated_at=now
    )
    organisation.join_requests.filter(status=JoinRequest.Status.OPEN).update(
        status=JoinRequest.Status.DECLINED, updated_at=now
    )


def what_deleting_removes(user) -> list[dict]:
    """The organisations that would go with `user`'s account (those they are the only member
    of), each with its listings' titles and how many introductions it is in, so that the
    page can name them before anyone presses the button (newcomer probe, stop 26); `kept`
    for one that stays without members (kept_for_others), whose listings named are those
    taken off the site."""
    alone = (
        Organisation.objects.annotate(members=Count("memberships", distinct=True))  # all
        .filter(members=1, memberships__user=user)
        .annotate(
            asked=Count("introductions_sent", distinct=True),
            asked_of=Count("introductions_received", distinct=True),
        )
        .prefetch_related(Prefetch("listings", Listing.objects.order_by("title")))
        .order_by("name")
    )
    found = []
    for org in alone:
        kept = kept_for_others(org, introductions=org.asked + org.asked_of)
        listings = [
            listing.title
            for listing in org.listings.all()
            if not kept or listing.status in WITHDRAWN_WITH_THE_LAST_MEMBER
        ]
        found.append(
            {
                "organisation": org,
                "listings": listings,
                "introductions": org.asked + org.asked_of,
                "kept": kept,
            }
        )
    return found


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
    unless it stays (kept_for_others): then without members, its listings withdrawn and its
    open introductions expired. Invitations they sent stop working (member_departs).
    """
    # In the order of the organisations' ids: two people deleting their accounts at once,
    # who share two organisations, take their rows in the same order (review, stop 31).
    for membership in Membership.objects.filter(user=user).order_by("organisation_id"):
        # The organisation's row, as the member services take it: an admin leaving at the
        # same moment cannot leave it with no admin (review, stop 31).
        org = Organisation.objects.select_for_update().get(pk=membership.organisation_id)
        membership.refresh_from_db()  # its role as it is now, under the lock
        others = list(
            org.memberships.exclude(user=user).select_related("user").order_by("created_at")
        )
        member_departs(org, user)
        if not others:
            if kept_for_others(org):
                _keep_without_members(org)
            else:
                org.delete()
            continue
        active = [m for m in others if m.user.is_active]
        if membership.is_admin and active and not any(m.is_admin for m in active):
            successor = active[0]
            successor.role = Membership.Role.ADMIN
            successor.save(update_fields=["role", "updated_at"])
            # Told, with what they can now do (newcomer probe, stop 31: nobody knew).
            queue_email(
                f"member-role:{successor.pk}:admin:successor:{timezone.now().timestamp():.0f}",
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
