"""Download your data: everything the site keeps about a person, and the registry that proves it.

`export_user_data(user)` returns plain data (JSON-ready with DjangoJSONEncoder). Its top-level
keys are stable (format `cluster-exchange-personal-data/1`; keys are only ever added):

- `account`: name, email, dates, email addresses, privacy consents, staff roles and
  permissions, the second factors set up (type and dates only, never a secret), and the
  personal API tokens (name, scope, dates; never a secret) and webhook endpoints (address,
  events, dates; never the signing secret).
- `join_requests`: the user's requests to join organisations.
- `join_requests_answered`: requests to join an organisation that the user let in or declined.
- `organisations`: each organisation the user belongs to, its members, listings and the
  answers ("interested", "not relevant") given to its suggested matches.
- `invitations`: `sent` by the user, and `received` at one of their verified addresses.
- `listings_created`: listings the user wrote, in any organisation, even one they left.
- `match_emails`: `preference` (how often), `muted_listings`, `digests` (each email about
  matches and whether a link in it was followed) and `notices` (each match told, and its answer).
- `introductions`: requests to meet sent by or to the user's organisations, as the user sees
  them on the site: the other side's contact details only once accepted, and a quiet decline
  shown to the asking side as "Waiting for a reply" until the other side is ready to tell.
- `reviews_requested`: the user's requests that staff look again at a listing they took down.
- `organisation_changes_requested`: new names and websites the user asked for, and the answer.
- `reports_made`: reports of a listing or an organisation the user sent, signed in or from one
  of their verified addresses: what, why, when and whether it is still open (never the staff's
  reasons, which may name other people).
- `enquiries`: enquiries sent from one of the user's verified addresses, with the messages
  to and from the programme (never its internal notes).
- `cluster_teams`: the user's places in cluster teams (asked for, approved or not) and the
  offers they shortlisted for the team's challenges.
- `emails`: emails the site sent to the user's verified addresses: subject, to, kind, status
  and dates; never the bodies, which can hold one-time sign-in or reset links.
- `staff_work`: for staff, what they did: organisations reviewed, listings taken down,
  reviews and changes of name answered, enquiries assigned to them, enquiry messages they
  wrote, changes they made to enquiries, reports referred and decided, and admin actions.

`EXPORTED` and `EXCLUDED` name every link to a person in the database (a foreign key,
one-to-one or many-to-many to the user, to a row with such a link, or an email address field)
and say where it is exported or why not. The tests walk every model and fail on a link that
is in neither.
"""

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models import Prefetch, Q

from api.models import ApiToken
from clusters.importer import listing_record
from clusters.models import (
    Invitation,
    JoinRequest,
    Listing,
    ListingReview,
    Membership,
    Organisation,
    OrganisationChange,
)
from enquiries.models import Enquiry, EnquiryEvent, Message
from introductions.models import Introduction, Outcome
from matching.models import Match
from notifications.models import (
    Digest,
    EmailPreference,
    FundingNotice,
    ListingMute,
    MatchNotice,
    SearchNotice,
)
from outbox.models import Email
from reports.models import Report
from searches.models import SavedSearch
from teams.models import ClusterTeamMember, Shortlist
from webhooks.models import Endpoint

FORMAT = "cluster-exchange-personal-data/1"

# "app_label.Model.field" -> where its rows appear in the export ("*" stands for each item).
EXPORTED: dict[str, str] = {
    # The user's own rows.
    "accounts.User.groups": "account.staff_roles",
    "accounts.User.user_permissions": "account.permissions",
    "accounts.User.email": "account.email",
    "accounts.PrivacyConsent.user": "account.privacy_consents",
    "account.EmailAddress.user": "account.email_addresses",
    "api.ApiToken.user": "account.api_tokens",
    "api.ApiToken.revoked_by": "account.api_tokens",
    "webhooks.Endpoint.user": "account.webhooks",
    "account.EmailAddress.email": "account.email_addresses",
    "mfa.Authenticator.user": "account.second_factors",
    "clusters.Membership.user": "organisations",
    "clusters.Membership.organisation": "organisations.*.members",
    "clusters.Listing.organisation": "organisations.*.listings",
    "clusters.Listing.created_by": "listings_created",
    "clusters.JoinRequest.user": "join_requests",
    "clusters.JoinRequest.decided_by": "join_requests_answered",
    "clusters.Invitation.invited_by": "invitations.sent",
    "clusters.Invitation.email": "invitations.received",
    "matching.Match.source_listing": "organisations.*.match_answers",
    "notifications.EmailPreference.user": "match_emails.preference",
    "notifications.ListingMute.user": "match_emails.muted_listings",
    "notifications.Digest.user": "match_emails.digests",
    "notifications.MatchNotice.user": "match_emails.notices",
    "notifications.MatchNotice.digest": "match_emails.notices",
    "notifications.MatchNotice.match": "match_emails.notices",
    "searches.SavedSearch.user": "match_emails.saved_searches",
    "notifications.SearchNotice.user": "match_emails.saved_search_results",
    "notifications.SearchNotice.digest": "match_emails.saved_search_results",
    "notifications.SearchNotice.saved_search": "match_emails.saved_search_results",
    "notifications.FundingNotice.user": "match_emails.funding_calls",
    "notifications.FundingNotice.digest": "match_emails.funding_calls",
    "introductions.Introduction.requested_by": "introductions",
    "introductions.Introduction.decided_by": "introductions",
    "introductions.Introduction.from_organisation": "introductions",
    "introductions.Introduction.to_organisation": "introductions",
    "introductions.Introduction.source_listing": "introductions",
    "introductions.Introduction.target_listing": "introductions",
    "introductions.Outcome.answered_by": "introductions.*.outcomes",
    "introductions.Outcome.introduction": "introductions.*.outcomes",
    "introductions.Outcome.organisation": "introductions.*.outcomes",
    "clusters.ListingReview.requested_by": "reviews_requested",
    "clusters.OrganisationChange.requested_by": "organisation_changes_requested",
    "enquiries.Enquiry.email": "enquiries",
    "enquiries.Message.enquiry": "enquiries.*.messages",
    "enquiries.Attachment.message": "enquiries.*.messages.*.attachments",
    "outbox.Email.to": "emails",
    "teams.ClusterTeamMember.user": "cluster_teams.places",
    "teams.Shortlist.added_by": "cluster_teams.shortlisted",
    "reports.Report.reporter": "reports_made",
    "reports.Report.email": "reports_made",
    # What a member of staff did.
    "clusters.Organisation.reviewed_by": "staff_work.organisations_reviewed",
    "clusters.Listing.taken_down_by": "staff_work.listings_taken_down",
    "clusters.ListingReview.decided_by": "staff_work.reviews_decided",
    "clusters.OrganisationChange.decided_by": "staff_work.organisation_changes_decided",
    "enquiries.Enquiry.assignee": "staff_work.enquiries_assigned",
    "enquiries.Message.author": "staff_work.enquiry_messages",
    "enquiries.EnquiryEvent.actor": "staff_work.enquiry_changes",
    "reports.Report.referred_by": "staff_work.reports_referred",
    "reports.Report.decided_by": "staff_work.reports_decided",
    "admin.LogEntry.user": "staff_work.admin_actions",
    "teams.ClusterTeamMember.decided_by": "staff_work.team_requests_decided",
}

# "app_label.Model.field" -> why its rows are not in the export.
EXCLUDED: dict[str, str] = {
    "webhooks.Delivery.endpoint": (
        "copies of events sent to the person's own system, each about a match, introduction, "
        "listing or enquiry that is in the export already (the endpoints are under "
        "account.webhooks)"
    ),
    "account.EmailConfirmation.email_address": (
        "one-time email confirmation keys: secrets, and deleted once used"
    ),
    "clusters.Invitation.organisation": (
        "invitations other members sent: the invited people's addresses are theirs "
        "(the user's own are under invitations.sent)"
    ),
    "clusters.JoinRequest.organisation": (
        "other people's requests to join the user's organisation are theirs "
        "(the user's own are under join_requests, those they answered under "
        "join_requests_answered)"
    ),
    "clusters.ListingReview.listing": (
        "reviews of the organisation's listings that other members asked for (the user's "
        "own are under reviews_requested)"
    ),
    "clusters.OrganisationChange.organisation": (
        "changes of the organisation's name or website that other members asked for (the "
        "user's own are under organisation_changes_requested)"
    ),
    "matching.Match.target": (
        "the user's listings suggested to other organisations: their answers are theirs"
    ),
    "notifications.ListingMute.listing": (
        "other members' choices not to hear about one of the organisation's listings"
    ),
    "notifications.MatchNotice.source": (
        "other members' match emails about the organisation's listings (the user's own "
        "are under match_emails.notices)"
    ),
    "notifications.FundingNotice.listing": (
        "other members' match emails that suggested funding calls for the organisation's "
        "listings (the user's own are under match_emails.funding_calls)"
    ),
    "notifications.MatchNotice.target": (
        "other people's match emails that suggested the organisation's listings to them"
    ),
    "admin.LogEntry.object_id": (
        "admin log rows about the person's own account or rows, written when staff changed "
        "them: staff audit rows kept for the programme (the person's own actions are exported "
        "under staff_work.admin_actions)"
    ),
    "teams.Shortlist.listing": (
        "a cluster team's shortlist of offers: the team's working list (the user's own "
        "shortlisting is under cluster_teams.shortlisted)"
    ),
    "reports.Report.listing": (
        "reports other people made about the organisation's listings: theirs, and who made "
        "them is never shown to the organisation (the user's own are under reports_made)"
    ),
    "reports.Report.organisation": (
        "reports other people made about the organisation: theirs, and who made them is "
        "never shown to the organisation (the user's own are under reports_made)"
    ),
    "enquiries.EnquiryEvent.enquiry": (
        "the programme's triage history of an enquiry (status, priority, who it is assigned "
        "to): staff audit rows kept for the programme"
    ),
}

# Models that hold nothing about a person by a link the walk can see, listed so that the
# choice is written down.
EXCLUDED_MODELS: dict[str, str] = {
    "sessions.Session": "sign-in sessions: short-lived, and signing out ends them",
}

ACTIONS = {ADDITION: "added", CHANGE: "changed", DELETION: "deleted"}


def _verified_addresses(user) -> list[str]:
    """The user's verified email addresses, lower case: what counts as theirs by address."""
    return sorted({e.email.lower() for e in EmailAddress.objects.filter(user=user, verified=True)})


def _address_q(field: str, addresses: list[str]) -> Q:
    """Rows whose `field` is any of `addresses`, ignoring case (none when there are none)."""
    query = Q(pk__in=[])
    for address in addresses:
        query |= Q(**{f"{field}__iexact": address})
    return query


def _listing(listing) -> dict:
    return {"ref": listing.ref, "title": listing.title, "kind": listing.kind}


def _account(user) -> dict:
    return {
        "name": user.name,
        "email": user.email,
        "joined": user.date_joined,
        "last_sign_in": user.last_login,
        "is_staff": user.is_staff,
        "staff_roles": sorted(g.name for g in user.groups.all()),
        "permissions": sorted(
            f"{p.content_type.app_label}.{p.codename}"
            for p in user.user_permissions.select_related("content_type")
        ),
        "email_addresses": [
            {"email": e.email, "verified": e.verified, "primary": e.primary}
            for e in EmailAddress.objects.filter(user=user).order_by("email")
        ],
        "privacy_consents": [
            {"version": c.version, "accepted_at": c.accepted_at}
            for c in user.privacy_consents.all()
        ],
        # Personal API tokens: names, what they can do and when they were used; never a
        # secret (only a digest is kept). Who revoked one is said only as "you" or "staff".
        "api_tokens": [
            {
                "name": t.name,
                "scope": t.scope,
                "starts": t.prefix,
                "made": t.created_at,
                "last_used": t.last_used_at,
                "revoked": t.revoked_at,
                "revoked_by_staff": bool(t.revoked_at and t.revoked_by_id not in (None, user.pk)),
            }
            for t in ApiToken.objects.filter(user=user).order_by("created_at", "pk")
        ],
        # Webhook endpoints: where and what; never the signing secret.
        "webhooks": [
            {
                "url": e.url,
                "events": e.events,
                "active": e.active,
                "made": e.created_at,
            }
            for e in Endpoint.objects.filter(user=user).order_by("created_at", "pk")
        ],
        # That a second factor exists and when it was used: never its secret or codes.
        "second_factors": [
            {"type": a.type, "added": a.created_at, "last_used": a.last_used_at}
            for a in Authenticator.objects.filter(user=user).order_by("created_at", "pk")
        ],
    }


def _organisations(user) -> list[dict]:
    listings = Listing.objects.prefetch_related("themes", "clusters").select_related(
        "challenge", "organisation"
    )
    answers = (
        Match.objects.exclude(status=Match.Status.NEW)
        .filter(source_listing__isnull=False)
        .select_related("source_listing", "target__organisation")
        .order_by("source_listing__ref", "target__ref")
    )
    memberships = (
        Membership.objects.filter(user=user)
        .select_related("organisation")
        .prefetch_related(
            "organisation__clusters",
            Prefetch(
                "organisation__memberships",
                Membership.objects.select_related("user").order_by("created_at", "pk"),
            ),
            Prefetch("organisation__listings", listings.order_by("ref")),
            Prefetch("organisation__listings__matches", answers, to_attr="answered"),
        )
    )
    organisations = []
    for membership in memberships:
        org = membership.organisation
        organisations.append(
            {
                "ref": org.ref,
                "name": org.name,
                "kind": org.kind,
                "your_role": membership.role,
                "joined": membership.created_at,
                "description": org.description,
                "website": org.website,
                "size": org.size,
                "location": org.location,
                "status": org.status,
                "clusters": sorted(c.slug for c in org.clusters.all()),
                "members": [
                    {"name": m.user.name, "email": m.user.email, "role": m.role}
                    for m in org.memberships.all()
                ],
                "listings": [
                    {
                        **listing_record(x),
                        "partner_kind": x.partner_kind,
                        "expires_on": x.expires_on,
                        "created": x.created_at,
                        "updated": x.updated_at,
                    }
                    for x in org.listings.all()
                ],
                # What the organisation said of suggested partners (the "Your matches" page).
                "match_answers": [
                    {
                        "listing": x.ref,
                        "suggested": {
                            **_listing(m.target),
                            "organisation": m.target.organisation.name,
                        },
                        "answer": m.status,
                        "answered": m.status_changed_at,
                    }
                    for x in org.listings.all()
                    for m in x.answered
                ],
            }
        )
    return organisations


def _join_requests(user) -> tuple[list[dict], list[dict]]:
    own = [
        {
            "organisation": r.organisation.name,
            "status": r.status,
            "message": r.message,
            "sent": r.created_at,
        }
        for r in user.join_requests.select_related("organisation")
    ]
    answered = [
        {
            "organisation": r.organisation.name,
            "asked_by": r.user.name,
            "status": r.status,
            "asked": r.created_at,
            "answered": r.updated_at,
        }
        for r in JoinRequest.objects.filter(decided_by=user)
        .select_related("organisation", "user")
        .order_by("created_at", "pk")
    ]
    return own, answered


def _invitations(user, addresses: list[str]) -> dict:
    sent = Invitation.objects.filter(invited_by=user).select_related("organisation")
    received = Invitation.objects.filter(_address_q("email", addresses)).select_related(
        "organisation"
    )
    return {
        "sent": [
            {
                "organisation": i.organisation.name,
                "email": i.email,
                "sent": i.created_at,
                "accepted": i.accepted_at,
                "cancelled": i.cancelled_at,
            }
            for i in sent.order_by("created_at", "pk")
        ],
        "received": [
            {
                "organisation": i.organisation.name,
                "email": i.email,
                "sent": i.created_at,
                "accepted": i.accepted_at,
                "cancelled": i.cancelled_at,
            }
            for i in received.order_by("created_at", "pk")
        ],
    }


def _listings_created(user) -> list[dict]:
    return [
        {**_listing(x), "organisation": x.organisation.name, "created": x.created_at}
        for x in Listing.objects.filter(created_by=user)
        .select_related("organisation")
        .order_by("created_at", "pk")
    ]


def _match_emails(user) -> dict:
    preference = EmailPreference.objects.filter(user=user).first()
    notices = (
        MatchNotice.objects.filter(user=user)
        .select_related("source", "target__organisation", "match", "digest")
        .order_by("created_at", "pk")
    )
    return {
        # None: never chosen, so the default (a daily summary) applies.
        "preference": {
            "cadence": preference.cadence,
            "changed": preference.changed_at,
            "slowed_because_unopened": preference.slowed_at,
        }
        if preference
        else None,
        "muted_listings": [
            _listing(m.listing)
            for m in ListingMute.objects.filter(user=user)
            .select_related("listing")
            .order_by("listing__ref")
        ],
        "digests": [
            {
                "period": d.period,
                "cadence": d.cadence,
                "sent": d.created_at,
                "link_followed": d.clicked_at,
            }
            for d in Digest.objects.filter(user=user).order_by("created_at", "pk")
        ],
        "notices": [
            {
                "your_listing": _listing(n.source),
                "suggested": {**_listing(n.target), "organisation": n.target.organisation.name},
                "score": n.score,
                "reasons": n.reasons,
                "noticed": n.created_at,
                "digest": n.digest.period if n.digest else None,
                "answer": n.match.status if n.match else None,
                "answered": n.match.status_changed_at if n.match else None,
            }
            for n in notices
        ],
        "saved_searches": [
            {
                "name": s.name,
                "page": s.page,
                "query": s.query,
                "saved": s.created_at,
                "looked_at_until": s.notified_until,
            }
            for s in SavedSearch.objects.filter(user=user).order_by("created_at", "pk")
        ],
        "saved_search_results": [
            {
                "search": n.saved_search.name,
                "title": n.title,
                "about": n.line,
                "path": n.path,
                "noticed": n.created_at,
                "digest": n.digest.period if n.digest else None,
            }
            for n in SearchNotice.objects.filter(user=user)
            .select_related("saved_search", "digest")
            .order_by("created_at", "pk")
        ],
        "funding_calls": [
            {
                "call": n.call.name,
                "call_ref": n.call.ref,
                "your_listing": _listing(n.listing),
                "noticed": n.created_at,
                "digest": n.digest.period,
            }
            for n in FundingNotice.objects.filter(user=user)
            .select_related("call", "listing", "digest")
            .order_by("created_at", "pk")
        ],
    }


def _contact(person, organisation) -> dict:
    return {
        "name": person.name if person else None,
        "email": person.email if person else None,
        "organisation": organisation.name,
    }


def _introductions(user) -> list[dict]:
    mine = set(Organisation.objects.of_member(user).values_list("pk", flat=True))
    rows = (
        Introduction.objects.filter(
            Q(from_organisation__in=mine)
            | Q(to_organisation__in=mine)
            | Q(requested_by=user)
            | Q(decided_by=user)
        )
        .with_details()
        .prefetch_related(
            Prefetch(
                "outcomes",
                queryset=Outcome.objects.select_related("organisation").order_by("pk"),
            )
        )
        .order_by("created_at", "pk")
    )
    introductions = []
    for i in rows:
        # The side the user is on: the organisation they are in, else the part they played.
        received = i.to_organisation_id in mine or (
            i.from_organisation_id not in mine and i.requested_by_id != user.pk
        )
        ours, theirs = (
            (i.target_listing, i.source_listing)
            if received
            else (i.source_listing, i.target_listing)
        )
        other = i.from_organisation if received else i.to_organisation
        introductions.append(
            {
                "id": str(i.public_id),
                "direction": "received" if received else "sent",
                # An introduction asked from a listing's page may be about none of the
                # asker's own listings.
                "your_listing": _listing(ours) if ours else None,
                "their_listing": _listing(theirs) if theirs else None,
                "challenge": i.challenge.title if i.challenge else None,
                "other_organisation": other.name,
                "message": i.message,
                "status": i.status_for_recipient if received else i.status_for_requester,
                "asked": i.created_at,
                "asked_by_you": i.requested_by_id == user.pk,
                "answered_by_you": i.decided_by_id == user.pk,
                # Names and addresses are shared with both sides only once accepted.
                "contacts": [
                    _contact(i.requested_by, i.from_organisation),
                    _contact(i.decided_by, i.to_organisation),
                ]
                if i.is_accepted
                else [],
                # What each side said came of it (issue #13), and whether it was the user.
                "outcomes": [
                    {
                        "organisation": o.organisation.name,
                        "result": o.get_result_display(),
                        "answered": o.updated_at,
                        "answered_by_you": o.answered_by_id == user.pk,
                    }
                    for o in i.outcomes.all()
                ],
            }
        )
    return introductions


def _reviews_requested(user) -> list[dict]:
    return [
        {
            "listing": _listing(r.listing),
            "message": r.message,
            "status": r.status,
            "asked": r.created_at,
            "answered": r.decided_at,
            "reason": r.reason,
        }
        for r in ListingReview.objects.filter(requested_by=user)
        .select_related("listing")
        .order_by("created_at", "pk")
    ]


def _organisation_changes_requested(user) -> list[dict]:
    return [
        {
            "organisation": c.organisation.name,
            "new_name": c.name,
            "new_website": c.website,
            "status": c.status,
            "asked": c.created_at,
            "answered": c.decided_at,
            "reason": c.reason,
        }
        for c in OrganisationChange.objects.filter(requested_by=user)
        .select_related("organisation")
        .order_by("created_at", "pk")
    ]


def _reports_made(user, addresses: list[str]) -> list[dict]:
    return [
        {
            "about": r.kind,
            "ref": r.target.ref,
            "name": str(r.target),
            "reason": r.reason,
            "details": r.details,
            "email": r.email,
            "sent": r.created_at,
            "status": r.status,
        }
        for r in Report.objects.filter(Q(reporter=user) | _address_q("email", addresses))
        .select_related("listing", "organisation")
        .order_by("created_at", "pk")
    ]


def _enquiries(addresses: list[str]) -> list[dict]:
    messages = (
        Message.objects.exclude(direction=Message.Direction.NOTE)
        .prefetch_related("attachments")
        .order_by("created_at", "pk")
    )
    rows = (
        Enquiry.objects.filter(_address_q("email", addresses))
        .select_related("cluster")
        .prefetch_related(Prefetch("messages", messages))
        .order_by("created_at", "pk")
    )
    return [
        {
            "reference": e.reference,
            "name": e.name,
            "email": e.email,
            "organisation": e.organisation,
            "organisation_kind": e.organisation_kind,
            "topic": e.topic,
            "subject": e.subject,
            "cluster": e.cluster.slug if e.cluster else None,
            "consent_to_contact": e.consent_to_contact,
            "source": e.source,
            "status": e.status,
            "received": e.created_at,
            "first_replied": e.first_replied_at,
            "messages": [
                {
                    "direction": m.direction,
                    "from": m.sender,
                    "subject": m.subject,
                    "body": m.body,
                    "sent": m.created_at,
                    "attachments": [
                        {"filename": a.filename, "content_type": a.content_type, "size": a.size}
                        for a in m.attachments.all()
                    ],
                }
                for m in e.messages.all()
            ],
        }
        for e in rows
    ]


def _emails(addresses: list[str]) -> list[dict]:
    # Never the bodies: they can carry one-time links (password reset, sign-in, confirmation).
    rows = (
        Email.objects.filter(_address_q("to", addresses))
        .order_by("created_at", "pk")
        .values("subject", "to", "kind", "status", "created_at", "sent_at")
    )
    return [
        {
            "subject": r["subject"],
            "to": r["to"],
            "kind": r["kind"],
            "status": r["status"],
            "queued": r["created_at"],
            "sent": r["sent_at"],
        }
        for r in rows
    ]


def _reports_worked(user) -> dict:
    """Reports the user referred and decided as staff, read in one query."""
    worked = list(
        Report.objects.filter(Q(referred_by=user) | Q(decided_by=user)).order_by("created_at", "pk")
    )
    return {
        "reports_referred": [
            {"report": r.pk, "about": r.kind, "referred": r.referred_at}
            for r in worked
            if r.referred_by_id == user.pk
        ],
        "reports_decided": [
            {"report": r.pk, "about": r.kind, "status": r.status, "decided": r.decided_at}
            for r in worked
            if r.decided_by_id == user.pk
        ],
    }


def _staff_work(user) -> dict:
    """What the user did as staff: references and times, not the people they dealt with."""
    return {
        "organisations_reviewed": [
            {"organisation": o.name, "status": o.status, "reviewed": o.reviewed_at}
            for o in Organisation.objects.filter(reviewed_by=user).order_by("reviewed_at", "pk")
        ],
        "listings_taken_down": [
            {**_listing(x), "taken_down": x.taken_down_at}
            for x in Listing.objects.filter(taken_down_by=user).order_by("taken_down_at", "pk")
        ],
        "reviews_decided": [
            {"listing": r.listing.ref, "status": r.status, "answered": r.decided_at}
            for r in ListingReview.objects.filter(decided_by=user)
            .select_related("listing")
            .order_by("decided_at", "pk")
        ],
        "team_requests_decided": [
            {"cluster": t.cluster.slug, "status": t.status, "answered": t.decided_at}
            for t in ClusterTeamMember.objects.filter(decided_by=user)
            .select_related("cluster")
            .order_by("decided_at", "pk")
        ],
        "organisation_changes_decided": [
            {"organisation": c.organisation.ref, "status": c.status, "answered": c.decided_at}
            for c in OrganisationChange.objects.filter(decided_by=user)
            .select_related("organisation")
            .order_by("decided_at", "pk")
        ],
        "enquiries_assigned": [
            {"reference": e.reference, "status": e.status}
            for e in Enquiry.objects.filter(assignee=user).order_by("created_at", "pk")
        ],
        "enquiry_messages": [
            {"enquiry": m.enquiry.reference, "direction": m.direction, "written": m.created_at}
            for m in Message.objects.filter(author=user)
            .select_related("enquiry")
            .order_by("created_at", "pk")
        ],
        "enquiry_changes": [
            {"enquiry": e.enquiry.reference, "field": e.field, "when": e.created_at}
            for e in EnquiryEvent.objects.filter(actor=user)
            .select_related("enquiry")
            .order_by("created_at", "pk")
        ],
        **_reports_worked(user),
        # The kind of record and what was done; its description may name other people.
        "admin_actions": [
            {
                "when": e.action_time,
                "action": ACTIONS.get(e.action_flag, str(e.action_flag)),
                "record_type": f"{e.content_type.app_label}.{e.content_type.model}"
                if e.content_type
                else None,
            }
            for e in LogEntry.objects.filter(user=user)
            .select_related("content_type")
            .order_by("action_time", "pk")
        ],
    }


def _cluster_teams(user) -> dict:
    return {
        "places": [
            {
                "cluster": t.cluster.name,
                "body": t.body,
                "message": t.message,
                "status": t.status,
                "asked": t.requested_at,
                "decided": t.decided_at,
                "reason": t.reason,
            }
            for t in ClusterTeamMember.objects.filter(user=user)
            .select_related("cluster")
            .order_by("requested_at", "pk")
        ],
        "shortlisted": [
            {"challenge": s.challenge.ref, "listing": s.listing.ref, "added": s.added_at}
            for s in Shortlist.objects.filter(added_by=user)
            .select_related("challenge", "listing")
            .order_by("added_at", "pk")
        ],
    }


def export_user_data(user) -> dict:
    """Everything held about the user, as plain data. Reads only: changes nothing.

    Other people appear only as the user sees them on the site. The number of queries does
    not grow with the number of rows.
    """
    addresses = _verified_addresses(user)
    join_requests, answered = _join_requests(user)
    return {
        "format": FORMAT,
        "account": _account(user),
        "join_requests": join_requests,
        "join_requests_answered": answered,
        "organisations": _organisations(user),
        "invitations": _invitations(user, addresses),
        "listings_created": _listings_created(user),
        "match_emails": _match_emails(user),
        "introductions": _introductions(user),
        "reviews_requested": _reviews_requested(user),
        "organisation_changes_requested": _organisation_changes_requested(user),
        "reports_made": _reports_made(user, addresses),
        "enquiries": _enquiries(addresses),
        "emails": _emails(addresses),
        "cluster_teams": _cluster_teams(user),
        "staff_work": _staff_work(user),
    }
