"""Writes that matter for organisations, their members and their listings."""

import hashlib
import secrets
from datetime import date, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import dateformat, timezone

from api.services import record_removal
from enquiries.services import programme_address
from matching.services import request_matching
from outbox.services import queue_email
from webhooks import audiences as webhook_audiences
from webhooks import services as webhooks
from webhooks.events import LISTING_EXPIRING

from .logos import CleanLogo
from .models import (
    EXPIRED_REASON,
    Challenge,
    Invitation,
    JoinRequest,
    Listing,
    ListingReview,
    Membership,
    Organisation,
    OrganisationChange,
)
from .search import search_document

LISTING_LIFETIME = timedelta(days=365)
EXPIRY_REMINDER = timedelta(days=14)
# After staff keep a listing down, its organisation may ask again only after this long.
REVIEW_COOLDOWN = timedelta(days=7)
# The fields of a listing its organisation (or a programme admin) edits. Status and the
# decision fields are never among them: a stale copy saved late cannot undo a decision.
LISTING_CONTENT_FIELDS = [
    "organisation",
    "kind",
    "title",
    "description",
    "challenge",
    "partner_kind",
    "expires_on",
    "expiry_reminder_sent_at",
    "search_document",
    "updated_at",
]
# Shown on the public pages, in the API, exports and emails: changed only by staff approval
# once the organisation is approved.
REVIEWED_ORGANISATION_FIELDS = ("name", "website")


class NotAllowed(Exception):
    """The user may not do this; the message says why, in plain English."""


UNVERIFIED_MESSAGE = "Confirm your email address before you publish: check your inbox."


def has_verified_email(user) -> bool:
    """Whether `user` confirmed an email address: needed to publish a listing."""
    return EmailAddress.objects.filter(user=user, verified=True).exists()


def has_confirmed_own_address(user) -> bool:
    """Whether `user` confirmed the address of their account (user.email): needed to ask for
    introductions, and proof enough to accept an invitation sent to it."""
    return EmailAddress.objects.filter(user=user, email__iexact=user.email, verified=True).exists()


def _new_ref(prefix: str, model) -> str:
    while True:
        ref = f"{prefix}-{secrets.token_hex(4).upper()}"
        if not model.objects.filter(ref=ref).exists():
            return ref


def _notify_members(organisation: Organisation, key: str, template: str, context: dict) -> None:
    for membership in organisation.memberships.select_related("user"):
        user = membership.user
        queue_email(
            f"{key}:{user.pk}",
            user.email,
            template,
            {"user": user, "organisation": organisation, **context},
        )


def _notify_admins(organisation: Organisation, key: str, template: str, context: dict) -> None:
    admins = organisation.memberships.filter(role=Membership.Role.ADMIN).select_related("user")
    for membership in admins:
        queue_email(
            f"{key}:{membership.user.pk}",
            membership.user.email,
            template,
            {"user": membership.user, "organisation": organisation, **context},
        )


# Organisations -------------------------------------------------------------------------


@transaction.atomic
def create_organisation(user, data: dict, clusters) -> Organisation:
    """Create an organisation awaiting approval, with its creator as admin."""
    organisation = Organisation.objects.create(
        ref=_new_ref("org", Organisation), status=Organisation.Status.PENDING, **data
    )
    organisation.clusters.set(clusters)
    Membership.objects.create(user=user, organisation=organisation, role=Membership.Role.ADMIN)
    return organisation


@transaction.atomic
def approve_organisation(
    organisation: Organisation, staff_user, reason: str = "", seen_status: str | None = None
) -> int | bool:
    """Approve it and publish its pending listings; tell its members. Answers how many
    listings it published, or False (nothing changed) if it is approved already, or if its
    status is no longer `seen_status`, the one the person deciding read, if known: a
    colleague's rejection meanwhile stands (review, stop 30), as for reject_organisation."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.is_approved:
        return False
    if seen_status and organisation.status != seen_status:
        return False
    organisation.status = Organisation.Status.APPROVED
    organisation.status_reason = reason
    organisation.reviewed_at = timezone.now()
    organisation.reviewed_by = staff_user
    organisation.save(
        update_fields=["status", "status_reason", "reviewed_at", "reviewed_by", "updated_at"]
    )
    pending = list(organisation.listings.filter(status=Listing.Status.PENDING))
    for listing in pending:
        _publish(listing)
    _notify_members(
        organisation,
        f"organisation-approved:{organisation.pk}",
        "organisation_approved",
        {"reason": reason, "published": len(pending), "url": reverse("clusters:dashboard")},
    )
    return len(pending)


@transaction.atomic
def reject_organisation(
    organisation: Organisation, staff_user, reason: str, seen_status: str | None = None
) -> bool:
    """Mark it not approved, with the reason, and tell its members; False (nothing changed,
    nobody emailed) if it is rejected already, or if its status is no longer `seen_status`,
    the one the person deciding read, if known (a colleague approved it meanwhile, say). Rejecting
    again emailed the members again and overwrote the first decision (outside probe, stop
    30). An approved organisation may be rejected: that takes it off the site."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if organisation.status == Organisation.Status.REJECTED:
        return False
    if seen_status and organisation.status != seen_status:
        return False
    organisation.status = Organisation.Status.REJECTED
    organisation.status_reason = reason
    organisation.reviewed_at = timezone.now()
    organisation.reviewed_by = staff_user
    organisation.save(
        update_fields=["status", "status_reason", "reviewed_at", "reviewed_by", "updated_at"]
    )
    published = list(organisation.listings.filter(status=Listing.Status.PUBLISHED))
    # An imported listing has no published_at: it was public all the same, and partners may
    # hold it (once_public reads published_at, so that a listing never public is never in
    # the public list of removals: re-probe, stop 28).
    organisation.listings.filter(
        pk__in=[x.pk for x in published], published_at__isnull=True
    ).update(published_at=timezone.now())
    organisation.listings.filter(pk__in=[x.pk for x in published]).update(
        status=Listing.Status.PENDING, updated_at=timezone.now()
    )
    for listing in published:
        request_matching(listing)
    _notify_members(
        organisation,
        f"organisation-rejected:{organisation.pk}:{organisation.reviewed_at.isoformat()}",
        "organisation_rejected",
        {"reason": reason},
    )
    return True


@transaction.atomic
def update_organisation(organisation: Organisation, user, data: dict, clusters) -> bool:
    """Save a member's changes to the profile. Returns True if a change waits for staff.

    A new name or website of an approved organisation is public at once on its listings, so
    it is held as an OrganisationChange until staff approve it; the old values show until
    then. Asking again for other values replaces the waiting change with a new one (a new
    id); asking for the current values withdraws it. Every other field, and any field of an
    organisation not yet approved, saves at once.
    """
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    data = dict(data)
    reviewed = {name: data.pop(name) for name in REVIEWED_ORGANISATION_FIELDS}
    for name, value in data.items():
        setattr(organisation, name, value)
    waiting = organisation.changes.open()
    held = False
    if not organisation.is_approved:
        for name, value in reviewed.items():
            setattr(organisation, name, value)
        waiting.delete()
    elif all(getattr(organisation, name) == value for name, value in reviewed.items()):
        waiting.delete()
    else:
        change = waiting.first()
        if change is None or any(getattr(change, n) != v for n, v in reviewed.items()):
            # Other values are a new request, with a new id: a decision staff take on the
            # change they read (the API's /organisation-changes/{id}/) never applies to values
            # put in its place since (outside probe: a name swapped after review went live).
            waiting.delete()
            change = OrganisationChange.objects.create(
                organisation=organisation, requested_by=user, **reviewed
            )
        held = True
        # Staff hear of each new name or website once (saving the same again sends nothing).
        values = hashlib.sha256(f"{change.name}\n{change.website}".encode()).hexdigest()[:16]
        queue_email(
            f"organisation-change:{change.pk}:{values}",
            programme_address(),
            "organisation_change_requested",
            {
                "organisation": organisation,
                "change": change,
                "requester": user,
                "url": reverse("admin:clusters_organisation_change", args=[organisation.pk]),
            },
        )
    organisation.save(update_fields=[*data, *REVIEWED_ORGANISATION_FIELDS, "updated_at"])
    organisation.clusters.set(clusters)
    return held


def _decide_change(
    organisation: Organisation, staff_user, approve: bool, reason: str, change_id=None
):
    """Decide the open change (only the one with `change_id`, if given: the one staff read;
    a newer request in its place is left waiting)."""
    open_changes = OrganisationChange.objects.select_for_update().filter(
        organisation=organisation, status=OrganisationChange.Status.OPEN
    )
    if change_id is not None:
        open_changes = open_changes.filter(pk=change_id)
    change = open_changes.first()
    if change is None:
        return None
    change.status = (
        OrganisationChange.Status.APPROVED if approve else OrganisationChange.Status.REJECTED
    )
    change.decided_by = staff_user
    change.decided_at = timezone.now()
    change.reason = reason
    change.save(update_fields=["status", "decided_by", "decided_at", "reason", "updated_at"])
    return change


@transaction.atomic
def approve_organisation_change(
    organisation: Organisation, staff_user, reason: str = "", change_id: int | None = None
) -> bool:
    """Show the new name and website from now on; tell the organisation's admins.

    Returns False (and changes nothing) if no change was waiting, so running it twice is
    harmless.
    """
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    old_name = organisation.name
    change = _decide_change(organisation, staff_user, True, reason, change_id)
    if change is None:
        return False
    organisation.name = change.name
    organisation.website = change.website
    organisation.save(update_fields=["name", "website", "updated_at"])
    # Its listings show its name (`organisation_name` in the API): changed now, so that a
    # partner mirroring them with `updated_since` reads them again.
    organisation.listings.update(updated_at=timezone.now())
    _notify_admins(
        organisation,
        f"organisation-change-approved:{change.pk}",
        "organisation_change_approved",
        {"change": change, "old_name": old_name, "reason": reason},
    )
    return True


@transaction.atomic
def reject_organisation_change(
    organisation: Organisation, staff_user, reason: str, change_id: int | None = None
) -> bool:
    """Keep the old name and website; tell the organisation's admins why. Idempotent."""
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    change = _decide_change(organisation, staff_user, False, reason, change_id)
    if change is None:
        return False
    _notify_admins(
        organisation,
        f"organisation-change-rejected:{change.pk}",
        "organisation_change_rejected",
        {"change": change, "reason": reason},
    )
    return True


def _delete_file_after_commit(storage, name: str) -> None:
    """Remove a replaced file once the row no longer points at it (never before)."""
    if name:
        transaction.on_commit(lambda: storage.delete(name))


@transaction.atomic
def set_organisation_logo(organisation: Organisation, user, logo: CleanLogo) -> Organisation:
    """Store a checked, re-encoded logo under a random name; it shows at once.

    The old file is deleted once the new one is saved. Not held for review (unlike a new
    name or website): staff remove an unsuitable logo with remove_organisation_logo.
    """
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    old = organisation.logo.name
    organisation.logo.save(f"logo.{logo.extension}", ContentFile(logo.content), save=False)
    organisation.save(update_fields=["logo", "updated_at"])
    _delete_file_after_commit(organisation.logo.storage, old)
    return organisation


@transaction.atomic
def remove_organisation_logo(organisation: Organisation, user, reason: str = "") -> bool:
    """Take the logo off (by its organisation's admin, or by staff with a reason).

    Staff removing it tell the organisation's admins why. Returns False, changing nothing,
    if there is no logo.
    """
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    old = organisation.logo.name
    if not old:
        return False
    organisation.logo = ""
    organisation.save(update_fields=["logo", "updated_at"])
    _delete_file_after_commit(organisation.logo.storage, old)
    if reason:
        removed = hashlib.sha256(old.encode()).hexdigest()[:16]
        _notify_admins(
            organisation,
            f"organisation-logo-removed:{organisation.pk}:{removed}",
            "organisation_logo_removed",
            {"reason": reason},
        )
    return True


# After an organisation declines, the same person asks it again only after this long; and
# nobody asks more than JOIN_REQUESTS_PER_PERSON_PER_DAY organisations a day. Each request
# emails the organisation's admins with the asker's own words, from the site's address: an
# outside probe asked five times in a row, and each decline was answered by another email.
JOIN_AGAIN_AFTER = timedelta(days=30)
JOIN_REQUESTS_PER_PERSON_PER_DAY = 5


def join_deciders():
    """The memberships whose person can let someone join their organisation: its admins
    (member_views.join_request_decide), with an active account (an inactive one cannot sign
    in). The request is emailed to the organisation's admins (_notify_admins)."""
    return Membership.objects.filter(role=Membership.Role.ADMIN, user__is_active=True)


def nobody_to_let_in(organisation: Organisation) -> str:
    """Why nobody can ask to join `organisation` (no join_deciders), and what to do instead."""
    return (
        f"Nobody at {organisation.name} can let people join it on Cluster Exchange yet. If "
        "you work there, contact our programme team using "
        f"the Get in touch form and name {organisation.name}. If you work for another "
        "organisation, register your organisation instead."
    )


@transaction.atomic
def request_to_join(user, organisation: Organisation, message: str) -> JoinRequest:
    """Ask an organisation's admins to let `user` join; one open request per pair (asked
    again, the waiting one is returned with `sent_now` False), and the
    limits above (NotAllowed, saying when they can ask). Refused, storing nothing, when the
    organisation has nobody to decide (join_deciders): most imported ones have no members."""
    if Membership.objects.filter(user=user, organisation=organisation).exists():
        raise NotAllowed("You are already a member of this organisation.")
    if not join_deciders().filter(organisation=organisation).exists():
        raise NotAllowed(nobody_to_let_in(organisation))
    # One person's requests are counted one at a time (two at once cannot both pass).
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    mine = JoinRequest.objects.filter(user=user)
    declined = (
        mine.filter(organisation=organisation, status=JoinRequest.Status.DECLINED)
        .order_by("-updated_at")
        .first()
    )
    if declined is not None and declined.updated_at > timezone.now() - JOIN_AGAIN_AFTER:
        again = timezone.localtime(declined.updated_at + JOIN_AGAIN_AFTER)
        raise NotAllowed(
            f"{organisation.name} declined your request on "
            f"{timezone.localtime(declined.updated_at):%-d %B %Y}. You can ask again from "
            f"{again:%-d %B %Y at %H:%M}; if you think this is a mistake, contact one of its "
            "members."
        )
    open_already = mine.filter(organisation=organisation, status=JoinRequest.Status.OPEN)
    if not open_already.exists():
        today = mine.filter(created_at__date=timezone.localdate()).count()
        if today >= JOIN_REQUESTS_PER_PERSON_PER_DAY:
            raise NotAllowed(
                f"You have asked to join {today} organisations today, the most allowed in one "
                "day. You can ask again tomorrow."
            )
    join_request, created = JoinRequest.objects.get_or_create(
        user=user,
        organisation=organisation,
        status=JoinRequest.Status.OPEN,
        defaults={"message": message},
    )
    join_request.sent_now = created  # False: one was waiting already, and nothing is sent
    if created:
        _notify_admins(
            organisation,
            f"join-request:{join_request.pk}",
            "join_request",
            {"requester": user, "message": message, "url": reverse("clusters:dashboard")},
        )
    return join_request


@transaction.atomic
def decide_join_request(join_request: JoinRequest, admin_user, approve: bool) -> bool:
    """An admin approves (the requester becomes a member) or declines; the requester is told.
    False, changing nothing, if it was decided already (another admin, the back button)."""
    # The organisation's row first, as the member services take it: an admin removed or
    # made a member at that moment decides nothing (review, stop 31).
    members = _locked_members(join_request.organisation)
    _check_admin(members, admin_user)
    join_request = JoinRequest.objects.select_for_update().get(pk=join_request.pk)
    if join_request.status != JoinRequest.Status.OPEN:
        return False
    join_request.status = JoinRequest.Status.APPROVED if approve else JoinRequest.Status.DECLINED
    join_request.decided_by = admin_user
    join_request.save(update_fields=["status", "decided_by", "updated_at"])
    if approve:
        Membership.objects.get_or_create(
            user=join_request.user, organisation=join_request.organisation
        )
    queue_email(
        f"join-decision:{join_request.pk}",
        join_request.user.email,
        "join_decision",
        {
            "user": join_request.user,
            "organisation": join_request.organisation,
            "approved": approve,
            "url": reverse("clusters:dashboard"),
        },
    )
    return True


# Members: admins remove members and change roles; anyone may leave. An organisation always
# keeps an admin, and nobody is removed by a page they opened: every change is a POST.

LAST_ADMIN = (
    "{name} is the only admin of {organisation}. Make another member an admin first, so that "
    "someone can still manage the organisation."
)


def _locked_members(organisation: Organisation) -> list[Membership]:
    """The organisation's members, with its row locked: two admins acting at once cannot both
    take away the last other admin."""
    Organisation.objects.select_for_update().get(pk=organisation.pk)
    return list(organisation.memberships.select_related("user").order_by("created_at"))


def _the_member(members: list[Membership], membership: Membership) -> Membership:
    for member in members:
        if member.pk == membership.pk:
            return member
    raise NotAllowed("They are no longer a member: nothing was changed.")


def _check_admin(members: list[Membership], user) -> None:
    if not any(m.user_id == user.pk and m.is_admin for m in members):
        raise NotAllowed("Only the organisation's admins can do this: nothing was changed.")


def _counts_as_admin(member: Membership) -> bool:
    """An admin who can sign in: one whose account is turned off manages nothing (as for
    who may decide a join request, join_deciders)."""
    return member.is_admin and member.user.is_active


def _last_admin(members: list[Membership], member: Membership) -> bool:
    """Whether `member` is an admin and no other admin who can sign in would stay."""
    return member.is_admin and not any(m.pk != member.pk and _counts_as_admin(m) for m in members)


def _check_not_last_admin(members: list[Membership], member: Membership, organisation) -> None:
    if _last_admin(members, member):
        raise NotAllowed(LAST_ADMIN.format(name=member.user.name, organisation=organisation.name))


ONLY_MEMBER = (
    "You are the only member of {organisation}, so it would have nobody to look after it. {then}"
)


def why_cannot_leave(members: list[Membership], member: Membership, organisation) -> str | None:
    """Why `member` may not leave now, in words, or None: the only member (the organisation
    would have nobody), or the last admin who can sign in while others stay."""
    if len(members) == 1:
        then = (
            "Invite a colleague first, or get in touch with the programme team to close it."
            if organisation.is_approved
            else "Get in touch with the programme team to close it."
        )
        return ONLY_MEMBER.format(organisation=organisation.name, then=then)
    if _last_admin(members, member):
        return (
            f"You are the only admin of {organisation.name}. Make another member an admin "
            "first, so that someone can still manage the organisation. Then you can leave."
        )
    return None


def may_step_down(members: list[Membership], member: Membership) -> bool:
    """Whether `member` may stop being an admin (another admin who can sign in stays)."""
    return not _last_admin(members, member)


def _stamp() -> str:
    return f"{timezone.now().timestamp():.0f}"


def member_departs(organisation: Organisation, user) -> int:
    """What goes with someone's place in an organisation, whether they leave, are removed or
    delete their account: the invitations they sent, and any to their own addresses, stop
    working (an old one let a removed member straight back in: review, stop 31). Returns how
    many were cancelled. The caller holds the organisation's row."""
    addresses = {user.email.lower()} | {
        e.lower()
        for e in EmailAddress.objects.filter(user=user, verified=True).values_list(
            "email", flat=True
        )
    }
    waiting = organisation.invitations.filter(accepted_at__isnull=True, cancelled_at=None)
    mine = Q(invited_by=user)
    for address in addresses:
        mine |= Q(email__iexact=address)
    return waiting.filter(mine).update(cancelled_at=timezone.now(), updated_at=timezone.now())


@transaction.atomic
def remove_member(membership: Membership, by) -> Membership:
    """An admin removes another member, who is told by email. NotAllowed (saying why) for
    someone who is not an admin, for removing oneself (that is leaving), and for the last
    admin. Their listings stay with the organisation."""
    organisation = membership.organisation
    members = _locked_members(organisation)
    _check_admin(members, by)
    member = _the_member(members, membership)
    if member.user_id == by.pk:
        raise NotAllowed("To leave the organisation yourself, use “Leave this organisation”.")
    _check_not_last_admin(members, member, organisation)
    member_departs(organisation, member.user)
    member.delete()
    queue_email(
        f"member-removed:{organisation.pk}:{member.user_id}:{_stamp()}",
        member.user.email,
        "member_removed",
        {"user": member.user, "organisation": organisation},
    )
    return member


@transaction.atomic
def set_member_role(membership: Membership, by, role: str) -> bool:
    """An admin makes a member an admin, or an admin a member (themselves too, while another
    admin stays); the person is told. False if the role was that already; NotAllowed for
    someone who is not an admin, for an unknown role, and for taking the last admin's role."""
    if role not in Membership.Role.values:
        raise NotAllowed("Choose admin or member: nothing was changed.")
    organisation = membership.organisation
    members = _locked_members(organisation)
    _check_admin(members, by)
    member = _the_member(members, membership)
    if member.role == role:
        return False
    if role == Membership.Role.MEMBER:
        _check_not_last_admin(members, member, organisation)
    member.role = role
    member.save(update_fields=["role", "updated_at"])
    if member.user_id != by.pk:
        queue_email(
            f"member-role:{member.pk}:{role}:{_stamp()}",
            member.user.email,
            "member_role",
            {"user": member.user, "organisation": organisation, "admin": member.is_admin},
        )
    return True


@transaction.atomic
def leave_organisation(membership: Membership) -> None:
    """A member leaves. NotAllowed for the only member (the organisation would have nobody:
    deleting the account, or asking the programme team, says what goes with it), and for the
    last admin while others stay (they make someone else admin first). The admins are told."""
    organisation = membership.organisation
    members = _locked_members(organisation)
    member = _the_member(members, membership)
    if reason := why_cannot_leave(members, member, organisation):
        raise NotAllowed(reason)
    member_departs(organisation, member.user)
    member.delete()
    for admin in members:
        if admin.is_admin and admin.pk != member.pk:
            queue_email(
                f"member-left:{organisation.pk}:{member.user_id}:{admin.user_id}:{_stamp()}",
                admin.user.email,
                "member_left",
                {"user": admin.user, "organisation": organisation, "member": member.user},
            )


def invitation_token_digest(token: str) -> str:
    """What is stored of an invitation link's token: its SHA-256, never the token itself."""
    return hashlib.sha256(token.encode()).hexdigest()


def check_can_invite(organisation: Organisation) -> None:
    """Raise NotAllowed if the organisation may not send an invitation now.

    Invitations go to strangers from the site's address, so only approved organisations
    send them, and only INVITATIONS_PER_ORGANISATION_PER_DAY a day.
    """
    if not organisation.is_approved:
        raise NotAllowed(
            f"You can invite colleagues once {organisation.name} has been approved by the "
            "programme team. We check every organisation before it can email people."
        )
    sent_today = Invitation.objects.filter(
        organisation=organisation, sent_at__date=timezone.localdate()
    ).count()  # made or sent again today (invite_member)
    if sent_today >= settings.INVITATIONS_PER_ORGANISATION_PER_DAY:
        raise NotAllowed(
            f"Your organisation has sent {sent_today} invitations today, the most allowed in "
            "one day. You can send more tomorrow."
        )


INVITATION_RESEND_AFTER = timedelta(days=1)


@transaction.atomic
def invite_member(organisation: Organisation, invited_by, email: str) -> Invitation:
    """Email a colleague a link to join. Inviting an address already invited sends it again,
    with a new link, once INVITATION_RESEND_AFTER has passed (NotAllowed before, saying so).

    Only an approved organisation invites, and at most INVITATIONS_PER_ORGANISATION_PER_DAY
    a day (counted under a lock on the organisation's row, so two requests at once cannot
    both pass). The link's token is emailed once; only its digest is stored.
    """
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    if not organisation.memberships.filter(user=invited_by).exists():
        # Removed or gone at that moment (review, stop 31).
        raise NotAllowed("Only the organisation's members can invite: nothing was sent.")
    email = email.strip().lower()
    if Membership.objects.filter(organisation=organisation, user__email__iexact=email).exists():
        raise NotAllowed(f"{email} is already a member of {organisation.name}.")
    invitation = Invitation.objects.filter(
        organisation=organisation, email=email, accepted_at=None
    ).first()
    if invitation is not None and invitation.sent_at > timezone.now() - INVITATION_RESEND_AFTER:
        # Said, rather than a success message for an email never sent (an outside probe).
        sent = timezone.localtime(invitation.sent_at)
        again = sent + INVITATION_RESEND_AFTER
        if invitation.cancelled_at is not None:
            # The wait holds after a cancel too; the words do not say it was cancelled, which
            # only an admin or the sender may know (probe).
            raise NotAllowed(
                f"{email} was invited on {sent:%-d %B %Y at %H:%M}. You can invite them "
                f"again from {again:%-d %B %Y at %H:%M}."
            )
        raise NotAllowed(
            f"{email} was invited on {sent:%-d %B %Y at %H:%M} and has not joined yet. If the "
            f"email has not arrived, you can send it again from {again:%-d %B %Y at %H:%M}."
        )
    check_can_invite(organisation)
    token = secrets.token_urlsafe(32)
    if invitation is None:
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            token=invitation_token_digest(token),
            invited_by=invited_by,
        )
    else:  # sent again, with a new link: the old one stops working
        invitation.token = invitation_token_digest(token)
        invitation.invited_by = invited_by
        invitation.sent_at = timezone.now()
        invitation.cancelled_at = None
        invitation.save(
            update_fields=["token", "invited_by", "sent_at", "cancelled_at", "updated_at"]
        )
    queue_email(
        f"invitation:{invitation.pk}:{invitation.sent_at.timestamp():.0f}",
        email,
        "invitation",
        {
            "organisation": organisation,
            "invited_by": invited_by,
            "url": reverse("clusters:invitation", args=[token]),
        },
        secrets=[token],
    )
    return invitation


def open_invitation(token: str) -> Invitation | None:
    """The unused invitation an emailed link's token opens, or None."""
    # Only digests are stored (migration clusters/0006 converted the older rows), so a
    # stored digest never opens an invitation in place of the token.
    return (
        Invitation.objects.select_related("organisation")
        .filter(token=invitation_token_digest(token), accepted_at__isnull=True, cancelled_at=None)
        .first()
    )


def invitations_for(user):
    """The unused invitations sent to `user`'s own address, once they have confirmed it: the
    confirmation proves they read that mailbox, as the link would. An invited colleague who
    confirms her address on another device (the link lives in the first browser's session)
    finds her invitation on "Your organisation" (newcomer probe, stop 26)."""
    if not has_confirmed_own_address(user):
        return Invitation.objects.none()
    return (
        Invitation.objects.filter(
            email__iexact=user.email, accepted_at__isnull=True, cancelled_at=None
        )
        .exclude(organisation__status=Organisation.Status.REJECTED)
        .exclude(organisation__memberships__user=user)
        .select_related("organisation", "invited_by")
        .order_by("-sent_at")
    )


def _is_admin_of(organisation_id: int, user) -> bool:
    return Membership.objects.filter(
        organisation_id=organisation_id, user=user, role=Membership.Role.ADMIN
    ).exists()


def waiting_invitations(organisation: Organisation, user, *, is_admin: bool | None = None):
    """The invitations of `organisation` not yet used nor cancelled that `user` may see and
    cancel: all of them for an admin, the ones they sent for any other member. `is_admin`:
    what the caller already knows of the user's role (else it is read)."""
    invitations = organisation.invitations.filter(
        accepted_at__isnull=True, cancelled_at=None
    ).select_related("invited_by")
    if is_admin is None:
        is_admin = _is_admin_of(organisation.pk, user)
    if not is_admin:
        invitations = invitations.filter(invited_by=user)
    return invitations.order_by("-sent_at", "pk")


def may_cancel_invitation(invitation: Invitation, user) -> bool:
    """An admin of the organisation or the member who sent it (cancel_invitation)."""
    return invitation.invited_by_id == user.pk or _is_admin_of(invitation.organisation_id, user)


@transaction.atomic
def cancel_invitation(invitation: Invitation, user) -> bool:
    """Take back an invitation not yet used: its link opens nothing from now on, and the
    invited person no longer finds it on "Your organisation". Only an admin of the
    organisation or the member who sent it (NotAllowed otherwise). False if it was used or
    cancelled already (nothing changes)."""
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    # Who may, before what state it is in: the answer for a used or cancelled one named its
    # address to any member (review).
    if not may_cancel_invitation(invitation, user):
        raise NotAllowed("Only an admin or the person who sent an invitation can cancel it.")
    if invitation.accepted_at is not None or invitation.cancelled_at is not None:
        return False
    invitation.cancelled_at = timezone.now()
    invitation.save(update_fields=["cancelled_at", "updated_at"])
    return True


@transaction.atomic
def accept_invitation(invitation: Invitation, user) -> Membership:
    """Join the organisation. Only the invited address may accept, once."""
    # The organisation's row first, then the invitation's, in the order the member services
    # take them (they cancel invitations while holding the organisation): the other order
    # deadlocked on PostgreSQL against a removal at the same moment (review, stop 31).
    organisation_id = Invitation.objects.values_list("organisation_id", flat=True).get(
        pk=invitation.pk
    )
    Organisation.objects.select_for_update().get(pk=organisation_id)
    invitation = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if invitation.accepted_at is not None:
        raise NotAllowed("This invitation has already been used.")
    if invitation.cancelled_at is not None:  # cancelled while the link was being opened
        raise NotAllowed(
            f"{invitation.organisation.name} cancelled this invitation. Ask them to invite "
            "you again."
        )
    if user.email.lower() != invitation.email.lower():
        raise NotAllowed(
            f"This invitation was sent to {invitation.email}. Sign in with that address to "
            "accept it."
        )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    membership, _ = Membership.objects.get_or_create(
        user=user, organisation=invitation.organisation
    )
    return membership


# Listings --------------------------------------------------------------------------------


def _publish(listing: Listing, also: tuple | list = ()) -> None:
    listing.status = Listing.Status.PUBLISHED
    listing.status_reason = ""
    listing.published_at = listing.published_at or timezone.now()
    today = timezone.localdate()
    if listing.expires_on is None or listing.expires_on <= today:
        # Every public listing ends within 12 months: an imported one has no date, and a
        # past one would be expired again by the next daily run (review).
        listing.expires_on = today + LISTING_LIFETIME
        listing.expiry_reminder_sent_at = None  # a new date earns a new reminder
        also = [*also, "expires_on", "expiry_reminder_sent_at"]
    listing.save(update_fields=["status", "status_reason", "published_at", "updated_at", *also])
    request_matching(listing)


@transaction.atomic
def save_listing(listing: Listing, user, themes, clusters) -> Listing:
    """Create or update a listing's content. New listings start as drafts.

    An existing listing keeps its status whatever the copy passed in says: only its content
    is written, so an edit never publishes it, nor undoes a staff decision made meanwhile.
    """
    adding = listing._state.adding
    if adding:
        listing.ref = _new_ref("L", Listing)
        listing.created_by = user
        listing.status = Listing.Status.DRAFT
        listing.published_at = None
        if listing.expires_on is None:
            listing.expires_on = timezone.localdate() + LISTING_LIFETIME
    else:
        current = (
            Listing.objects.select_for_update().only("status", "expires_on").get(pk=listing.pk)
        )
        listing.status = current.status
        if listing.expires_on is None:
            # An edit that leaves the date out (an empty box) keeps it: every listing ends
            # within 12 months, and a blank used to mean "never" (outside probe).
            listing.expires_on = current.expires_on or timezone.localdate() + LISTING_LIFETIME
    if listing.expires_on and listing.expires_on > timezone.localdate() + EXPIRY_REMINDER:
        listing.expiry_reminder_sent_at = None  # a new date earns a new reminder
    listing.search_document = search_document(listing.title, listing.description)
    if adding:
        listing.save()
    else:
        listing.save(update_fields=LISTING_CONTENT_FIELDS)
    listing.themes.set(themes)
    listing.clusters.set(clusters)
    if listing.status == Listing.Status.PUBLISHED:
        request_matching(listing)  # its text changed: its suggestions may too
    return listing


@transaction.atomic
def submit_listing(listing: Listing) -> Listing:
    """Publish the listing, or hold it as pending until its organisation is approved."""
    listing = Listing.objects.select_for_update().select_related("organisation").get(pk=listing.pk)
    if listing.status == Listing.Status.PUBLISHED:
        return listing
    if listing.is_taken_down:
        raise NotAllowed(TAKEN_DOWN_MESSAGE)
    if listing.expires_on and listing.expires_on <= timezone.localdate():
        listing.expires_on = timezone.localdate() + LISTING_LIFETIME
        listing.expiry_reminder_sent_at = None
        listing.save(update_fields=["expires_on", "expiry_reminder_sent_at", "updated_at"])
    if listing.organisation.is_approved:
        _publish(listing)
    else:
        listing.status = Listing.Status.PENDING
        listing.save(update_fields=["status", "updated_at"])
    return listing


# Why a listing its organisation withdrew is not public (shown to its members).
WITHDRAWN_BY_ORGANISATION = "Withdrawn by its organisation."

TAKEN_DOWN_MESSAGE = (
    "Our team took this listing down, so you cannot publish it again yourself. Change it if "
    "you need to, then ask for a review."
)
TAKEN_DOWN_WITHDRAW_MESSAGE = (
    "Our team took this listing down, so it is already off the site: there is nothing to "
    "withdraw. Change it if you need to, then ask for a review."
)
DRAFT_WITHDRAW_MESSAGE = (
    "This listing is a draft: it is not on the site, so there is nothing to withdraw."
)


@transaction.atomic
def withdraw_listing(listing: Listing, reason: str = "") -> Listing:
    """Take a listing off the site; it can be re-opened later. One never yet public (waiting
    for its organisation's approval) becomes a draft again; a draft is refused (NotAllowed).

    A listing staff took down is refused (NotAllowed): withdrawing it would replace the staff
    decision with one its organisation could undo.
    """
    listing = Listing.objects.select_for_update().select_related("organisation").get(pk=listing.pk)
    if listing.is_taken_down:
        raise NotAllowed(TAKEN_DOWN_WITHDRAW_MESSAGE)
    if not listing.was_public:
        # Never on the site: a withdrawn one would count as once public, and its reference
        # would appear in the API's public list of removals (outside probe, stop 28). A draft
        # has nothing to withdraw; one waiting for approval goes back to being a draft, so
        # that the approval does not publish it.
        if listing.status == Listing.Status.DRAFT:
            raise NotAllowed(DRAFT_WITHDRAW_MESSAGE)
        listing.status = Listing.Status.DRAFT
    else:
        listing.status = Listing.Status.WITHDRAWN
    listing.status_reason = reason
    listing.save(update_fields=["status", "status_reason", "updated_at"])
    request_matching(listing)  # takes it out of every list
    return listing


@transaction.atomic
def unpublish_listing(listing: Listing, staff_user, reason: str) -> Listing | bool:
    """Staff take a listing down with a reason, which its organisation is told.

    It stays down until staff restore it (restore_listing), which puts it back to what it
    was: no route its organisation has publishes it again. Its organisation can ask for a
    review (request_listing_review). A listing published, waiting to be published (so that
    approving its organisation does not publish it) or withdrawn (so that it cannot simply
    be published again) can be taken down. Returns False (and changes nothing, sends
    nothing) for a draft, which nobody but its organisation sees and which is never
    published without being sent again, and for one already taken down, so that a
    double-pressed button tells the organisation once.
    """
    listing = Listing.objects.select_for_update().select_related("organisation").get(pk=listing.pk)
    if listing.status not in TAKEN_DOWN_FROM:
        return False
    listing.taken_down_from = listing.status
    if listing.status == Listing.Status.PUBLISHED and listing.published_at is None:
        # Imported: public all the same, so the API's removals list must name it.
        listing.published_at = listing.created_at
    listing.status = Listing.Status.TAKEN_DOWN
    listing.status_reason = reason
    listing.taken_down_at = timezone.now()
    listing.taken_down_by = staff_user
    listing.save(
        update_fields=[
            "status",
            "status_reason",
            "taken_down_at",
            "taken_down_by",
            "taken_down_from",
            "published_at",
            "updated_at",
        ]
    )
    request_matching(listing)  # takes it out of every list
    _tell_about_listing(listing, "listing_unpublished", reason, listing.updated_at)
    return listing


# What staff may take down (unpublish_listing): not a draft (review, stop 29).
TAKEN_DOWN_FROM = (Listing.Status.PUBLISHED, Listing.Status.PENDING, Listing.Status.WITHDRAWN)


def _tell_about_listing(listing: Listing, template: str, reason: str, when) -> None:
    """Email the members of a listing's organisation a staff decision on it, once per
    decision (the key holds the decision's time)."""
    _notify_members(
        listing.organisation,
        f"{template.replace('_', '-')}:{listing.pk}:{when.isoformat()}",
        template,
        {
            "listing": listing,
            "reason": reason,
            "url": reverse("clusters:listing-preview", args=[listing.ref]),
        },
    )


def _close_review(listing: Listing, staff_user, status: str, reason: str) -> None:
    listing.reviews.open().update(
        status=status,
        decided_by=staff_user,
        decided_at=timezone.now(),
        reason=reason,
        updated_at=timezone.now(),
    )


@transaction.atomic
def publish_pending_listing(listing: Listing, staff_user, reason: str = "") -> bool:
    """Staff publish a pending listing whose organisation is approved: one imported as
    pending (the exchange format allows it) had no way onto the site (newcomer probe).

    Returns False (and changes nothing) for a listing that is not pending, or whose
    organisation is not approved (approving the organisation publishes its pending listings).
    """
    listing = Listing.objects.select_for_update().select_related("organisation").get(pk=listing.pk)
    if listing.status != Listing.Status.PENDING or not listing.organisation.is_approved:
        return False
    _publish(listing)
    return True


@transaction.atomic
def restore_listing(listing: Listing, staff_user, reason: str = "") -> bool:
    """Staff bring back a listing they took down, as it was: published again (or held as
    pending until its organisation is approved), or withdrawn. Answers an open review
    request and tells the organisation.

    Returns False (and changes nothing) for a listing that is not taken down, so running it
    twice, or over a mixed selection, is harmless.
    """
    listing = Listing.objects.select_for_update().select_related("organisation").get(pk=listing.pk)
    if not listing.is_taken_down:
        return False
    listing.taken_down_at = None
    listing.taken_down_by = None
    # Not recorded (taken down before it was, on a database that missed migration 0018's
    # marking): what `published_at` says it was.
    was = listing.taken_down_from or (
        Listing.Status.PUBLISHED if listing.published_at else Listing.Status.DRAFT
    )
    listing.taken_down_from = ""
    also = ["taken_down_at", "taken_down_by", "taken_down_from"]
    if was in (Listing.Status.WITHDRAWN, Listing.Status.DRAFT):
        # Its organisation withdrew it (or, taken down before this was recorded, it was never
        # public: migration clusters/0018): theirs to publish again.
        listing.status = was
    elif listing.organisation.is_approved:  # published, or waiting for an approval since made
        _publish(listing, also=also)
    else:  # waiting for its organisation's approval, which publishes it
        listing.status = Listing.Status.PENDING
    if listing.status != Listing.Status.PUBLISHED:
        listing.status_reason = ""
        listing.save(update_fields=["status", "status_reason", "updated_at", *also])
    _close_review(listing, staff_user, ListingReview.Status.RESTORED, reason)
    _tell_about_listing(listing, "listing_restored", reason, listing.updated_at)
    return True


@transaction.atomic
def keep_listing_down(listing: Listing, staff_user, reason: str) -> bool:
    """Staff answer a review request by keeping the listing down, with a reason the
    organisation is told. It may ask again after REVIEW_COOLDOWN.

    Returns False (and changes nothing) if no review was asked for: idempotent.
    """
    listing = Listing.objects.select_for_update().select_related("organisation").get(pk=listing.pk)
    if not listing.is_taken_down or not listing.reviews.open().exists():
        return False
    _close_review(listing, staff_user, ListingReview.Status.KEPT_DOWN, reason)
    _tell_about_listing(listing, "listing_kept_down", reason, timezone.now())
    return True


OPEN_REVIEW_MESSAGE = "You asked for a review. Our team will email you when they have looked again."


def review_refusal(listing: Listing, now=None) -> str:
    """Why the organisation may not ask for a review of this listing now ("" if it may)."""
    now = now or timezone.now()
    if not listing.is_taken_down:
        return "Only a listing our team took down can be reviewed."
    last = listing.reviews.order_by("-created_at").first()
    if last is None:
        return ""
    if last.status == ListingReview.Status.OPEN:
        return OPEN_REVIEW_MESSAGE
    if last.status == ListingReview.Status.KEPT_DOWN and last.decided_at > now - REVIEW_COOLDOWN:
        after = dateformat.format(timezone.localtime(last.decided_at + REVIEW_COOLDOWN), "j F Y")
        return f"Our team looked again recently. You can ask again after {after}."
    return ""


@transaction.atomic
def request_listing_review(listing: Listing, user, message: str) -> ListingReview:
    """The organisation asks staff to look again at a listing they took down.

    Limited so it cannot be used to flood staff: one open request per listing (a database
    constraint), and after staff keep it down, none for REVIEW_COOLDOWN. Staff find requests
    in the admin (listings, "Review: asked for") and get one email at the programme address.
    Raises NotAllowed, with the reason in plain English, when it may not ask now.
    """
    listing = Listing.objects.select_for_update().select_related("organisation").get(pk=listing.pk)
    refusal = review_refusal(listing)
    if refusal:
        raise NotAllowed(refusal)
    try:
        with transaction.atomic():
            review = ListingReview.objects.create(
                listing=listing, requested_by=user, message=message
            )
    except IntegrityError:  # the same button pressed twice at once: one request is enough
        raise NotAllowed(OPEN_REVIEW_MESSAGE) from None
    queue_email(
        f"listing-review:{review.pk}",
        programme_address(),
        "listing_review_requested",
        {
            "listing": listing,
            "organisation": listing.organisation,
            "review": review,
            "requester": user,
            "url": reverse("admin:clusters_listing_change", args=[listing.pk]),
        },
    )
    return review


RENEW_REFUSALS = {
    Listing.Status.WITHDRAWN: (
        "This listing is no longer open, so it cannot be kept open. To list it again, re-open "
        "it from its page: it will then be open for 12 months."
    ),
    Listing.Status.TAKEN_DOWN: (
        "Our team took this listing down, so it cannot be kept open. Change it if you need "
        "to, then ask for a review from its page."
    ),
    Listing.Status.DRAFT: (
        "This listing is not published yet. Publish it from its page: it will then be open "
        "for 12 months."
    ),
}


def renew_refusal(listing: Listing) -> str | None:
    """Why the listing cannot be kept open for longer, or None if it can."""
    return RENEW_REFUSALS.get(listing.status)


@transaction.atomic
def renew_listing(listing: Listing, today: date | None = None) -> Listing:
    """Keep a published (or pending) listing open for 12 months from today.

    Idempotent: the new expiry date is always 12 months from today, so renewing twice never
    adds more; a date already later is kept. Raises NotAllowed, with what to do instead,
    for a listing that is withdrawn (expired listings are), taken down or still a draft.
    """
    today = today or timezone.localdate()
    listing = Listing.objects.select_for_update().get(pk=listing.pk)
    refusal = renew_refusal(listing)
    if refusal:
        raise NotAllowed(refusal)
    renewed = today + LISTING_LIFETIME
    if listing.expires_on is None or listing.expires_on < renewed:
        listing.expires_on = renewed
        listing.expiry_reminder_sent_at = None  # a new date earns a new reminder
        listing.save(update_fields=["expires_on", "expiry_reminder_sent_at", "updated_at"])
    return listing


def expire_listings(today: date | None = None) -> tuple[int, int]:
    """Remind organisations 2 weeks before a listing expires; withdraw expired ones.

    Idempotent: a reminder is sent once per listing (recorded on the row and keyed in the
    outbox), and withdrawing an already withdrawn listing changes nothing.
    """
    today = today or timezone.localdate()
    reminded = 0
    due = Listing.objects.published().filter(
        expires_on__lte=today + EXPIRY_REMINDER,
        expires_on__gt=today,
        expiry_reminder_sent_at__isnull=True,
    )
    for listing in due.select_related("organisation"):
        with transaction.atomic():
            claimed = Listing.objects.filter(
                pk=listing.pk, expiry_reminder_sent_at__isnull=True
            ).update(expiry_reminder_sent_at=timezone.now())
            if claimed:
                _notify_members(
                    listing.organisation,
                    f"listing-expiry:{listing.pk}:{listing.expires_on.isoformat()}",
                    "listing_expiry_reminder",
                    {
                        "listing": listing,
                        "renew_url": reverse("clusters:listing-renew", args=[listing.ref]),
                        "url": reverse("clusters:listing-edit", args=[listing.ref]),
                    },
                )
                _emit_listing_expiring(listing)
                reminded += 1
    count = 0
    for listing in Listing.objects.published().filter(expires_on__lte=today):
        with transaction.atomic():
            withdraw_listing(listing, EXPIRED_REASON)
        count += 1
    return reminded, count


def _emit_listing_expiring(listing: Listing) -> None:
    """Webhooks for the reminder, in its transaction (one per listing and expiry date)."""
    members = listing.organisation.memberships.values_list("user_id", flat=True)
    payload = {
        "listing": {
            "ref": listing.ref,
            "kind": listing.kind,
            "title": listing.title,
            "organisation": listing.organisation.ref,
            "expires_on": listing.expires_on.isoformat(),
        },
        "renew_url": settings.SITE_URL + reverse("clusters:listing-renew", args=[listing.ref]),
    }
    key = f"{LISTING_EXPIRING}:{listing.pk}:{listing.expires_on.isoformat()}"
    webhooks.emit(
        LISTING_EXPIRING,
        payload,
        user_ids=list(members),
        key=key,
        audience=[webhook_audiences.organisation(listing.organisation_id)],
    )


@transaction.atomic
def set_challenge_status(challenge: Challenge, status: str, reason: str) -> bool:
    """Close or reopen a challenge, keeping the reason on it; counts as a review. Returns
    False, changing nothing, if it already has that status. Who may do it, and the history,
    are the caller's: staff through the admin's actions, a team through teams.services."""
    challenge = Challenge.objects.select_for_update().get(pk=challenge.pk)
    if challenge.status == status:
        return False
    challenge.status = status
    challenge.status_reason = reason
    challenge.last_reviewed_at = timezone.now()
    challenge.review_reminder_sent_at = None
    challenge.save(
        update_fields=[
            "status",
            "status_reason",
            "last_reviewed_at",
            "review_reminder_sent_at",
            "updated_at",
        ]
    )
    request_matching(challenge)  # closed: out of every list; reopened: back in
    return True


# Removals, for partners who mirror the public lists through the API -----------------------


def record_listing_deleted(listing: Listing) -> None:
    """A tombstone for a deleted listing, for the API's removals lists.

    One that was public is listed to everyone (GET /api/v1/listings/removed/); one never
    published only to its organisation's members (.../organisations/{ref}/listings/removed/),
    who alone may hold a copy. Called for every deleted row (clusters.apps connects it to
    post_delete), as listings are deleted by cascade (an organisation deleted with its last
    member's account) and in the admin, where no service of ours runs.
    """
    record_removal(
        "listing" if listing.was_public else "organisation_listing",
        listing.ref,
        organisation_id=listing.organisation_id,
        reason="deleted",
    )


def record_challenge_deleted(challenge: Challenge) -> None:
    """A tombstone for a deleted challenge (every challenge is public), as for listings."""
    record_removal("challenge", challenge.ref, reason="deleted")
