"""Writes for cluster teams: joining a team, staff decisions, the team's challenges (posted,
edited, closed, reopened, reviewed), their shortlists and the 6-monthly review reminder.

Every change to a challenge is written to the admin's history of that challenge (who, when,
what and why), as staff decisions on listings are.
"""

from datetime import timedelta

from django.contrib.admin.models import ADDITION, CHANGE, LogEntry
from django.db import IntegrityError, transaction
from django.db.models import Exists, F, OuterRef, Q
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import dateformat, timezone

from clusters.models import Challenge, Cluster, Listing
from clusters.search import search_document
from clusters.services import NotAllowed, _new_ref, set_challenge_status
from enquiries.services import programme_address
from matching.services import request_matching
from outbox.services import queue_email

from .models import ClusterTeamMember, Shortlist

# After staff turn a request down, the same person may ask for the same cluster again only
# after this long, so that asking again and again cannot flood staff with emails.
REQUEST_COOLDOWN = timedelta(days=7)
# A challenge its team has not looked at for this long asks them whether it is still open.
REVIEW_AFTER = timedelta(days=182)
# The fields of a challenge its team writes. Status is never among them: it changes only
# through close_challenge and reopen_challenge, so a stale form cannot undo a decision.
CHALLENGE_CONTENT_FIELDS = [
    "title",
    "description",
    "set_by",
    "last_reviewed_at",
    "review_reminder_sent_at",
    "search_document",
    "updated_at",
]


def _history(user, challenge: Challenge, flag: int, message: str) -> None:
    """Write the change on the challenge's admin history page, as admin actions do."""
    LogEntry.objects.log_actions(
        user.pk, [challenge], flag, change_message=message, single_object=True
    )


# Joining a team ---------------------------------------------------------------------------


@transaction.atomic
def request_team_place(user, cluster: Cluster, body: str, message: str) -> ClusterTeamMember:
    """Ask staff to make `user` a member of `cluster`'s team; staff hear of it by email.

    One waiting or approved place per person and cluster (a database constraint), and none
    for REQUEST_COOLDOWN after staff turned one down: asking again then raises NotAllowed
    and sends nothing.
    """
    live = ClusterTeamMember.objects.filter(
        user=user, cluster=cluster, status__in=["pending", "approved"]
    ).first()
    if live is not None:
        raise NotAllowed(
            f"You are already in the {cluster.name} team."
            if live.is_approved
            else f"You have already asked to join the {cluster.name} team. We will email you "
            "when our team decides."
        )
    turned_down = ClusterTeamMember.objects.filter(
        user=user,
        cluster=cluster,
        status=ClusterTeamMember.Status.REJECTED,
        decided_at__gt=timezone.now() - REQUEST_COOLDOWN,
    ).first()
    if turned_down is not None:
        after = dateformat.format(
            timezone.localtime(turned_down.decided_at + REQUEST_COOLDOWN), "j F Y"
        )
        raise NotAllowed(
            f"Our team turned down your request recently. You can ask again after {after}, "
            "or reply to our email if you think it was a mistake."
        )
    try:
        with transaction.atomic():
            member = ClusterTeamMember.objects.create(
                user=user, cluster=cluster, body=body, message=message
            )
    except IntegrityError:  # the same button pressed twice at once
        raise NotAllowed(f"You have already asked to join the {cluster.name} team.") from None
    queue_email(
        f"team-request:{member.pk}",
        programme_address(),
        "team_request",
        {
            "member": member,
            "cluster": cluster,
            "url": reverse("admin:teams_clusterteammember_change", args=[member.pk]),
        },
    )
    return member


def _set_status(member, staff_user, from_status: str, to_status: str, reason: str) -> bool:
    changed = ClusterTeamMember.objects.filter(pk=member.pk, status=from_status).update(
        status=to_status, decided_by=staff_user, decided_at=timezone.now(), reason=reason
    )
    if not changed:
        return False
    member = ClusterTeamMember.objects.select_related("user", "cluster").get(pk=member.pk)
    queue_email(
        f"team-decision:{member.pk}:{to_status}",
        member.user.email,
        "team_decision",
        {
            "member": member,
            "user": member.user,
            "cluster": member.cluster,
            "reason": reason,
            "url": reverse("teams:dashboard", args=[member.cluster.slug]),
        },
    )
    return True


@transaction.atomic
def approve_team_member(member: ClusterTeamMember, staff_user, reason: str = "") -> bool:
    """Staff let a waiting person into the cluster's team; they are told. Returns False (and
    changes nothing) if the request was not waiting, so running it twice is harmless."""
    return _set_status(member, staff_user, "pending", "approved", reason)


@transaction.atomic
def reject_team_member(member: ClusterTeamMember, staff_user, reason: str) -> bool:
    """Staff turn down a waiting request, with a reason the person is told. Idempotent."""
    return _set_status(member, staff_user, "pending", "rejected", reason)


@transaction.atomic
def remove_team_member(member: ClusterTeamMember, staff_user, reason: str) -> bool:
    """Staff take an approved person out of the team, with a reason. Idempotent."""
    return _set_status(member, staff_user, "approved", "removed", reason)


# The team's challenges --------------------------------------------------------------------


def team_place(user, cluster: Cluster) -> ClusterTeamMember | None:
    """The user's approved place in the cluster's team, or None."""
    return ClusterTeamMember.objects.of_user(user).approved().filter(cluster=cluster).first()


@transaction.atomic
def save_challenge(challenge: Challenge, member: ClusterTeamMember, themes) -> Challenge:
    """Post a new challenge for the member's cluster, or save the content of one of its own.

    Saving is also a review: the challenge counts as looked at now. An existing challenge
    keeps its status and cluster whatever the copy passed in says. All or nothing.
    """
    user = member.user
    now = timezone.now()
    challenge.search_document = search_document(challenge.title, challenge.description)
    challenge.set_by = member.body
    challenge.last_reviewed_at = now
    challenge.review_reminder_sent_at = None
    if challenge._state.adding:
        challenge.ref = _new_ref("CH", Challenge)
        challenge.cluster = member.cluster
        challenge.status = Challenge.Status.OPEN
        challenge.save()
        _history(user, challenge, ADDITION, f"Posted by the cluster team ({user.email}).")
    else:
        current = Challenge.objects.select_for_update().get(pk=challenge.pk)
        if current.cluster_id != member.cluster_id:
            raise NotAllowed("This challenge belongs to another cluster.")
        challenge.save(update_fields=CHALLENGE_CONTENT_FIELDS)
        _history(user, challenge, CHANGE, f"Edited by the cluster team ({user.email}).")
    challenge.themes.set(themes)
    request_matching(challenge)  # its text changed: its suggested offers may too
    return challenge


def _set_challenge_status(
    challenge: Challenge, member: ClusterTeamMember, status: str, reason: str, verb: str
) -> bool:
    if challenge.cluster_id != member.cluster_id:
        raise NotAllowed("This challenge belongs to another cluster.")
    if not set_challenge_status(challenge, status, reason):
        return False
    _history(member.user, challenge, CHANGE, f"{verb} by the cluster team: {reason}")
    return True


@transaction.atomic
def close_challenge(challenge: Challenge, member: ClusterTeamMember, reason: str) -> bool:
    """The team closes its challenge: no longer looking for offers. Returns False (and
    changes nothing) if it was already closed."""
    return _set_challenge_status(challenge, member, Challenge.Status.CLOSED, reason, "Closed")


@transaction.atomic
def reopen_challenge(challenge: Challenge, member: ClusterTeamMember, reason: str) -> bool:
    """The team reopens a closed challenge. Returns False if it was already open."""
    return _set_challenge_status(challenge, member, Challenge.Status.OPEN, reason, "Reopened")


@transaction.atomic
def confirm_challenge_open(challenge: Challenge, member: ClusterTeamMember) -> Challenge:
    """The team says the challenge is still open as written: reviewed now, and the next
    reminder is due in REVIEW_AFTER."""
    challenge = Challenge.objects.select_for_update().get(pk=challenge.pk)
    if challenge.cluster_id != member.cluster_id:
        raise NotAllowed("This challenge belongs to another cluster.")
    challenge.last_reviewed_at = timezone.now()
    challenge.review_reminder_sent_at = None
    challenge.save(update_fields=["last_reviewed_at", "review_reminder_sent_at", "updated_at"])
    _history(member.user, challenge, CHANGE, "Confirmed still open by the cluster team.")
    return challenge


# Shortlists -------------------------------------------------------------------------------


@transaction.atomic
def shortlist_offer(challenge: Challenge, member: ClusterTeamMember, listing: Listing) -> bool:
    """Keep a published offer on the challenge's shortlist. Idempotent: False if it was
    there already."""
    if challenge.cluster_id != member.cluster_id:
        raise NotAllowed("This challenge belongs to another cluster.")
    if listing.kind != Listing.Kind.OFFER or listing.status != Listing.Status.PUBLISHED:
        raise NotAllowed("Only published offers can be shortlisted.")
    _, created = Shortlist.objects.get_or_create(
        challenge=challenge, listing=listing, defaults={"added_by": member.user}
    )
    return created


@transaction.atomic
def unshortlist_offer(challenge: Challenge, member: ClusterTeamMember, listing: Listing) -> bool:
    """Take an offer off the challenge's shortlist. Idempotent."""
    if challenge.cluster_id != member.cluster_id:
        raise NotAllowed("This challenge belongs to another cluster.")
    deleted, _ = Shortlist.objects.filter(challenge=challenge, listing=listing).delete()
    return bool(deleted)


# Review reminders -------------------------------------------------------------------------


def challenges_due_for_review(now=None):
    """Open challenges not reviewed for REVIEW_AFTER (never reviewed: since they were
    added), not yet reminded, whose cluster has an approved team to ask."""
    now = now or timezone.now()
    team = ClusterTeamMember.objects.approved().filter(cluster=OuterRef("cluster"))
    return (
        Challenge.objects.open()
        .alias(reviewed=Coalesce(F("last_reviewed_at"), F("created_at")))
        .filter(reviewed__lte=now - REVIEW_AFTER, review_reminder_sent_at__isnull=True)
        .filter(Exists(team))
    )


def remind_teams_to_review(now=None) -> int:
    """Ask each cluster's approved team, by email, whether its long-unreviewed challenges
    are still open. Returns how many challenges were reminded about.

    Idempotent: each challenge is claimed on its row (review_reminder_sent_at) before its
    emails are queued, in one transaction, and each email is keyed in the outbox by the
    challenge, its last review and the person; a second run finds nothing to claim.
    """
    now = now or timezone.now()
    reminded = 0
    for challenge in challenges_due_for_review(now).select_related("cluster"):
        with transaction.atomic():
            claimed = Challenge.objects.filter(
                Q(pk=challenge.pk), Q(review_reminder_sent_at__isnull=True)
            ).update(review_reminder_sent_at=now)
            if not claimed:
                continue
            reviewed = challenge.last_reviewed_at or challenge.created_at
            members = ClusterTeamMember.objects.approved().filter(cluster=challenge.cluster_id)
            for member in members.select_related("user"):
                queue_email(
                    f"challenge-review:{challenge.pk}:{reviewed.isoformat()}:{member.user_id}",
                    member.user.email,
                    "challenge_review_reminder",
                    {
                        "user": member.user,
                        "challenge": challenge,
                        "reviewed": dateformat.format(timezone.localtime(reviewed), "j F Y"),
                        "url": reverse(
                            "teams:challenge-review", args=[challenge.cluster.slug, challenge.ref]
                        ),
                    },
                )
            reminded += 1
    return reminded
