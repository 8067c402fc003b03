"""Match emails: who is told of which new match, when, and what they answer.

Each new match is told to each person once (a unique notice per person and pair); each
summary is one Digest row and one outbox email, so a job run twice sends nothing twice.
"""

from collections import defaultdict
from datetime import timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.text import capfirst

from clusters.models import Listing, Membership, Organisation
from funding.models import FundingCall
from introductions.services import answerers, for_match, standing_introductions_of
from matching.models import Match
from matching.services import GOOD, calls_for_listings, set_match_status, strength
from outbox.services import queue_email, queue_many
from searches.models import SavedSearch
from searches.pages import PAGES
from searches.services import mark_looked_at

from . import tokens
from .models import (
    Digest,
    EmailPreference,
    FundingNotice,
    ListingMute,
    MatchNotice,
    SearchNotice,
)

Cadence = EmailPreference.Cadence
# Matches first suggested within this window count as new.
NEW_WINDOW = timedelta(days=8)
SLOWER = {Cadence.DAILY: Cadence.WEEKLY, Cadence.WEEKLY: Cadence.NEVER}
UNOPENED_BEFORE_SLOWING = 4
BATCH = 500
# New results of one saved search taken at each look, and shown in one email.
SEARCH_RESULTS_PER_LOOK = 50
SEARCH_RESULTS_SHOWN = 10
# Open funding calls suggested per listing in a match email ("Funding you could bid for").
FUNDING_CALLS_PER_LISTING = 3
# Items are published inside transactions: one stamped a moment before a look but committed
# after it would be missed, so a look stops this long before now and the next one starts there.
SETTLE = timedelta(minutes=5)


def preference_for(user) -> EmailPreference:
    return EmailPreference.objects.get_or_create(user=user)[0]


def cadences(user_ids) -> dict[int, str]:
    """Each user's cadence; daily for people who never chose."""
    chosen = dict(
        EmailPreference.objects.filter(user_id__in=user_ids).values_list("user_id", "cadence")
    )
    return {pk: chosen.get(pk, Cadence.DAILY) for pk in user_ids}


def collect_notices(now=None) -> int:
    """Turn new, good-or-better matches into notices for the people who should hear of them.
    Returns how many notices were offered (those already noticed are skipped by the table).

    Only members with a verified email address, of approved organisations, who have not
    muted the listing or chosen "never"; never a pair with an introduction standing between
    it (standing_pairs). Idempotent: each pair is noticed once per person.
    """
    now = now or timezone.now()
    matches = list(
        Match.objects.filter(
            status=Match.Status.NEW,
            rank__isnull=False,
            score__gte=GOOD,
            first_seen_at__gte=now - NEW_WINDOW,
            source_listing__status=Listing.Status.PUBLISHED,
            source_listing__organisation__status=Organisation.Status.APPROVED,
            target__status=Listing.Status.PUBLISHED,
        ).values_list(
            "pk",
            "source_listing_id",
            "source_listing__organisation_id",
            "target_id",
            "score",
            "reasons",
        )
    )
    standing = standing_pairs((org, source, target) for _, source, org, target, *_ in matches)
    matches = [m for m in matches if (m[1], m[3]) not in standing]
    organisations = {m[2] for m in matches}
    verified = EmailAddress.objects.filter(verified=True).values("user_id")
    members: dict[int, list[int]] = defaultdict(list)
    for org, user in Membership.objects.filter(
        organisation_id__in=organisations, user_id__in=verified, user__is_active=True
    ).values_list("organisation_id", "user_id"):
        members[org].append(user)
    everyone = {u for users in members.values() for u in users}
    never = set(
        EmailPreference.objects.filter(user_id__in=everyone, cadence=Cadence.NEVER).values_list(
            "user_id", flat=True
        )
    )
    muted = set(
        ListingMute.objects.filter(user_id__in=everyone).values_list("user_id", "listing_id")
    )
    notices = [
        MatchNotice(
            user_id=user,
            source_id=source,
            target_id=target,
            match_id=pk,
            score=score,
            reasons=reasons,
        )
        for pk, source, org, target, score, reasons in matches
        for user in members[org]
        if user not in never and (user, source) not in muted
    ]
    MatchNotice.objects.bulk_create(notices, batch_size=1000, ignore_conflicts=True)
    return len(notices)


def standing_pairs(pairs) -> set[tuple[int, int]]:
    """Of `pairs` (organisation id, its listing's id, the other listing's id), the (listing,
    other listing) pairs with an introduction standing between them: asked for and waiting,
    or accepted (introductions.services.for_match, the rule by which "Your matches" shows
    "Introduced" or "Waiting for a reply" in place of "Request introduction"). Such a pair
    is not a new match to announce: both sides already know of each other. One query,
    however many organisations (review, stop 29: it was one per organisation)."""
    by_organisation: dict[int, list[tuple[int, int]]] = defaultdict(list)
    for organisation, source, target in pairs:
        by_organisation[organisation].append((source, target))
    if not by_organisation:
        return set()
    found = set()
    for organisation, standing in standing_introductions_of(by_organisation).items():
        if standing:
            found.update(
                (source, target)
                for source, target in by_organisation[organisation]
                if for_match(standing, source, target)
            )
    return found


def collect_search_notices(now=None, cadence: str | None = None) -> int:
    """Turn new results of saved searches into notices for the people who saved them.
    Returns how many notices were offered (those already noticed are skipped by the table).

    New means published since the search was saved or last looked at (up to a few minutes
    ago, so that nothing still being published is skipped). Never the person's
    own organisation's items, a listing they muted, or a listing a match email already told
    them of; nothing for people who chose "never" or have no verified address (their
    searches are still marked as looked at, so choosing again starts from then).
    With `cadence`, only the searches of people on it are looked at (one query each), and
    the others wait for their own run. Idempotent: each item is noticed once per person,
    whichever search found it.
    """
    until = (now or timezone.now()) - SETTLE
    searches = list(
        SavedSearch.objects.filter(page__in=list(PAGES), notified_until__lt=until).order_by(
            "user_id", "pk"
        )
    )
    if not searches:
        return 0
    users = {s.user_id for s in searches}
    chosen = cadences(users)
    reachable = set(
        EmailAddress.objects.filter(
            user_id__in=users, verified=True, user__is_active=True
        ).values_list("user_id", flat=True)
    )
    silent = {u for u in users if chosen[u] == Cadence.NEVER or u not in reachable}
    listening = {u for u in users - silent if cadence is None or chosen[u] == cadence}
    searches = [s for s in searches if s.user_id in listening or s.user_id in silent]
    own: dict[int, set[int]] = defaultdict(set)
    for user, organisation in Membership.objects.filter(user_id__in=listening).values_list(
        "user_id", "organisation_id"
    ):
        own[user].add(organisation)
    # Listings the person does not want to hear of again: muted, or already in a match email.
    skip: dict[int, set[int]] = defaultdict(set)
    for user, listing in ListingMute.objects.filter(user_id__in=listening).values_list(
        "user_id", "listing_id"
    ):
        skip[user].add(listing)
    for user, listing in MatchNotice.objects.filter(user_id__in=listening).values_list(
        "user_id", "target_id"
    ):
        skip[user].add(listing)
    notices = []
    for search in searches:
        if search.user_id not in listening:
            continue
        page = PAGES[search.page]
        item_type = page.items().model._meta.label_lower
        found = page.new_results(
            search.query, search.notified_until, until, own[search.user_id]
        ).order_by(f"-{page.published_field}", "pk")[:SEARCH_RESULTS_PER_LOOK]
        for item in found:
            if item_type == "clusters.listing" and item.pk in skip[search.user_id]:
                continue
            title, line = page.describe(item)
            notices.append(
                SearchNotice(
                    user_id=search.user_id,
                    saved_search=search,
                    item_type=item_type,
                    item_id=item.pk,
                    title=title[:300],
                    line=line[:300],
                    path=page.link(item),
                    published_at=getattr(item, page.published_field),
                )
            )
    SearchNotice.objects.bulk_create(notices, batch_size=1000, ignore_conflicts=True)
    mark_looked_at([s.pk for s in searches], until)
    return len(notices)


def period_for(cadence: str, now) -> str:
    local = timezone.localtime(now)
    if cadence == Cadence.WEEKLY:
        year, week, _ = local.isocalendar()
        return f"weekly:{year}-W{week:02d}"
    if cadence == Cadence.DAILY:
        return f"daily:{local.date().isoformat()}"
    return f"now:{local:%Y-%m-%dT%H:%M}"


def send_digests(cadence: str, now=None) -> int:
    """Build and queue this period's emails for everyone on `cadence` with something new.

    Nothing new, no email. Idempotent: one Digest per person and period, and its email
    is keyed by the digest, so a second run in the same period sends nothing.
    """
    now = now or timezone.now()
    collect_notices(now)
    collect_search_notices(now, cadence)
    period = period_for(cadence, now)
    pending_users = list(
        MatchNotice.objects.filter(digest__isnull=True)
        .order_by()
        .values_list("user_id", flat=True)
        .union(
            SearchNotice.objects.filter(digest__isnull=True)
            .order_by()
            .values_list("user_id", flat=True)
        )
    )
    on_cadence = [pk for pk, c in cadences(pending_users).items() if c == cadence]
    sent = 0
    for start in range(0, len(on_cadence), BATCH):
        sent += _send_batch(on_cadence[start : start + BATCH], cadence, period, now)
    return sent


@transaction.atomic
def _send_batch(user_ids: list[int], cadence: str, period: str, now) -> int:
    from accounts.models import User

    _drop_standing_notices(user_ids)
    MatchNotice.objects.filter(user_id__in=user_ids, digest__isnull=True).exclude(
        still_a_member()
    ).delete()
    Digest.objects.bulk_create(
        [Digest(user_id=pk, cadence=cadence, period=period) for pk in user_ids],
        ignore_conflicts=True,
    )
    digests = {d.user_id: d for d in Digest.objects.filter(user_id__in=user_ids, period=period)}
    this_digest = Subquery(
        Digest.objects.filter(user_id=OuterRef("user_id"), period=period).values("pk")[:1]
    )
    MatchNotice.objects.filter(user_id__in=list(digests), digest__isnull=True).update(
        digest=this_digest
    )
    SearchNotice.objects.filter(user_id__in=list(digests), digest__isnull=True).update(
        digest=this_digest
    )
    notices = defaultdict(list)
    for notice in _with_listings(
        MatchNotice.objects.filter(digest__in=list(digests.values())).order_by(
            "-score", "target__ref"
        )
    ):
        notices[notice.user_id].append(notice)
    found = defaultdict(list)
    for notice in (
        SearchNotice.objects.filter(digest__in=list(digests.values()))
        .select_related("saved_search")
        .order_by("saved_search__name", "saved_search_id", "-published_at", "pk")
    ):
        found[notice.user_id].append(notice)
    funding = _funding_notices(digests, notices)
    users = User.objects.in_bulk(user_ids)
    links = _Links()
    emails = [
        _digest_email(users[pk], digest, notices[pk], links, found[pk], funding[pk])
        for pk, digest in digests.items()
        if notices[pk] or found[pk]
    ]
    queued = queue_many(emails)
    if cadence in SLOWER:
        _slow_down_unopened(user_ids, cadence, now)
    return queued


def still_a_member() -> Exists:
    """A notice's person is still a member of its listing's organisation: one who left, or
    was removed, after the notice was collected (a week's wait, for a weekly summary) is not
    sent it, and its links answer for nobody (review and re-probe, stop 31)."""
    return Exists(
        Membership.objects.filter(
            user_id=OuterRef("user_id"), organisation_id=OuterRef("source__organisation_id")
        )
    )


def _drop_standing_notices(user_ids: list[int]) -> None:
    """Forget the notices not yet sent whose pair has had an introduction asked for or
    accepted since they were collected (standing_pairs): a summary must not announce them
    as new. Should the introduction lapse while the match is still new, collect_notices
    notices it again."""
    pending = MatchNotice.objects.filter(user_id__in=user_ids, digest__isnull=True)
    rows = list(pending.values_list("pk", "source__organisation_id", "source_id", "target_id"))
    standing = standing_pairs((org, source, target) for _, org, source, target in rows)
    if standing:
        pending.filter(
            pk__in=[pk for pk, _, source, target in rows if (source, target) in standing]
        ).delete()


def _with_listings(notices) -> list[MatchNotice]:
    """The notices with their listings, each listing loaded once for the whole batch (many
    people's notices share an offer; a join would build it again for every notice)."""
    notices = list(notices)
    sources = Listing.objects.select_related("organisation").in_bulk({n.source_id for n in notices})
    targets = Listing.objects.select_related("organisation").in_bulk({n.target_id for n in notices})
    kept = []
    for notice in notices:
        if notice.source_id not in sources or notice.target_id not in targets:
            continue  # its listing was deleted since the notices were read (as the join did)
        notice.source = sources[notice.source_id]
        notice.target = targets[notice.target_id]
        kept.append(notice)
    return kept


def _funding_notices(
    digests: dict[int, Digest], notices: dict[int, list[MatchNotice]]
) -> dict[int, list[FundingNotice]]:
    """The open funding calls each person's match email suggests, per listing in it.

    At most FUNDING_CALLS_PER_LISTING per listing, and each call told to a person once ever
    (a unique notice per person and call; a digest sent again shows its own notices again).
    Calls only ride along with match emails: they never send an email by themselves. Only
    open calls are suggested, so none is sent after its deadline.
    """
    listings = {n.source_id: n.source for found in notices.values() for n in found}
    suggested = calls_for_listings(listings.values(), limit=FUNDING_CALLS_PER_LISTING)
    this_batch = list(digests.values())
    told = set(
        FundingNotice.objects.filter(user_id__in=list(digests))
        .exclude(digest__in=this_batch)
        .values_list("user_id", "call_id")
    )
    rows = []
    for user_id, digest in digests.items():
        for listing_id in dict.fromkeys(n.source_id for n in notices[user_id]):
            for call in suggested.get(listing_id, []):
                if (user_id, call.pk) not in told:
                    told.add((user_id, call.pk))
                    rows.append(
                        FundingNotice(
                            user_id=user_id, listing_id=listing_id, call=call, digest=digest
                        )
                    )
    FundingNotice.objects.bulk_create(rows, batch_size=1000, ignore_conflicts=True)
    out: dict[int, list[FundingNotice]] = defaultdict(list)
    for notice in (
        FundingNotice.objects.filter(digest__in=this_batch)
        # A digest sent again after a call's deadline leaves that call out.
        .filter(call__in=FundingCall.objects.open())
        .select_related("call", "listing")
        .order_by("listing__title", "listing_id", "pk")
    ):
        out[notice.user_id].append(notice)
    return out


class _Links:
    """Links for one digest: one signed token per digest authorises all its links."""

    def __init__(self):
        site = settings.SITE_URL
        self.click = site + reverse("notifications:click", args=["TOKEN"])
        self.answer = site + reverse("notifications:feedback", args=["TOKEN", 0, "ANSWER"])
        self.unsubscribe = site + reverse("notifications:unsubscribe", args=["TOKEN"])
        self.preferences = reverse("notifications:preferences")
        self.matches = reverse("clusters:dashboard")
        self.saved_searches = reverse("searches:list")
        self._paths: dict[int, str] = {}
        self._kinds: dict[str, str] = {}

    def path(self, listing: Listing) -> str:
        """The listing's page (worked out once per listing for a whole batch of emails)."""
        if listing.pk not in self._paths:
            self._paths[listing.pk] = listing.get_absolute_url()
        return self._paths[listing.pk]

    def kind(self, listing: Listing) -> str:
        if listing.kind not in self._kinds:
            self._kinds[listing.kind] = str(listing.get_kind_display())
        return self._kinds[listing.kind]

    def matches_of(self, notices: list[MatchNotice]) -> str:
        """The matches page of the organisation the notices are about; "Your organisation"
        when they are about several (it links to each one's). The link went there always,
        one page short of the matches it promised (newcomer probe, stop 31)."""
        refs = {notice.source.organisation.ref for notice in notices}
        if len(refs) == 1:
            return reverse("matching:organisation", args=[refs.pop()])
        return self.matches

    def tracked(self, token: str, path: str) -> str:
        return self.click.replace("TOKEN", token) + "?" + urlencode({"to": path})

    def feedback(self, token: str, notice_id: int, answer: str) -> str:
        return (
            self.answer.replace("TOKEN", token)
            .replace("/0/", f"/{notice_id}/")
            .replace("ANSWER", answer)
        )


def _search_sections(found: list[SearchNotice], token: str, links: _Links) -> list[dict]:
    """One section per saved search: its newest results first, and a link to all of them."""
    sections: dict[int, dict] = {}
    for notice in found:
        section = sections.setdefault(
            notice.saved_search_id,
            {
                "search": notice.saved_search,
                "url": links.tracked(token, notice.saved_search.get_absolute_url()),
                "items": [],
                "more": 0,
            },
        )
        if len(section["items"]) < SEARCH_RESULTS_SHOWN:
            section["items"].append({"notice": notice, "url": links.tracked(token, notice.path)})
        else:
            section["more"] += 1
    return list(sections.values())


def _digest_email(
    user, digest: Digest, notices: list[MatchNotice], links: _Links, found=(), funding=()
) -> dict:
    token = tokens.make(tokens.DIGEST, d=digest.pk)
    groups: dict[int, dict] = {}
    for notice in notices:
        group = groups.setdefault(notice.source_id, {"listing": notice.source, "items": []})
        target = notice.target
        # Plain values, not lookups through the models: the templates render 10,000s of these.
        group["items"].append(
            {
                "notice": notice,
                "title": target.title,
                "kind": links.kind(target),
                "organisation": target.organisation.name,
                "strength": capfirst(strength(notice.score)),
                "reasons": "; ".join(str(r) for r in notice.reasons or ()),
                "url": links.tracked(token, links.path(target)),
                "interested": links.feedback(token, notice.pk, "interested"),
                "not_relevant": links.feedback(token, notice.pk, "not-relevant"),
            }
        )
    unsubscribe_token = tokens.make(tokens.UNSUBSCRIBE, u=user.pk)
    unsubscribe = links.unsubscribe.replace("TOKEN", unsubscribe_token)
    context = {
        "user": user,
        "digest": digest,
        "groups": list(groups.values()),
        "count": len(notices),
        "searches": _search_sections(list(found), token, links),
        "search_count": len(found),
        "funding": [
            {"notice": n, "url": links.tracked(token, n.call.get_absolute_url())} for n in funding
        ],
        "funding_url": links.tracked(token, reverse("funding:call-list")),
        "saved_searches_url": links.tracked(token, links.saved_searches),
        "preferences_url": links.tracked(token, links.preferences),
        "matches_url": links.tracked(token, links.matches_of(notices)),
        "unsubscribe_url": unsubscribe,
        "site_url": settings.SITE_URL,
    }
    return {
        "key": f"digest:{digest.pk}",
        "kind": "digest",
        "to": user.email,
        "subject": render_to_string("emails/match_digest_subject.txt", context),
        "body_text": render_to_string("emails/match_digest.txt", context),
        "body_html": render_to_string("emails/match_digest.html", context),
        "headers": {
            "List-Unsubscribe": f"<{unsubscribe}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
        # They answer and unsubscribe for the person: hidden from staff in the outbox.
        "secrets": [token, unsubscribe_token],
    }


def _slow_down_unopened(user_ids: list[int], cadence: str, now) -> None:
    """Someone who opened none of their last four summaries gets them less often, and is told."""
    recent = defaultdict(list)
    for user_id, clicked in (
        Digest.objects.filter(user_id__in=user_ids, cadence=cadence)
        .filter(Q(notices__isnull=False) | Q(search_notices__isnull=False))
        .distinct()
        .order_by("user_id", "-created_at")
        .values_list("user_id", "clicked_at")
    ):
        if len(recent[user_id]) < UNOPENED_BEFORE_SLOWING + 1:
            recent[user_id].append(clicked)
    for user_id, clicks in recent.items():
        earlier = clicks[1:]  # the summary just sent cannot have been opened yet
        if len(earlier) < UNOPENED_BEFORE_SLOWING or any(earlier):
            continue
        slower = SLOWER[cadence]
        preference, _ = EmailPreference.objects.get_or_create(user_id=user_id)
        preference.cadence = slower
        preference.slowed_at = now
        preference.save(update_fields=["cadence", "slowed_at", "changed_at"])
        user = preference.user
        queue_email(
            f"slowed:{user_id}:{now.date().isoformat()}",
            user.email,
            "match_emails_slowed",
            {
                "user": user,
                "was": Cadence(cadence).label,
                "now": Cadence(slower).label,
                "url": reverse("notifications:preferences"),
            },
        )


# Answers from links in emails ------------------------------------------------------------


def record_click(digest_id: int) -> None:
    Digest.objects.filter(pk=digest_id, clicked_at__isnull=True).update(clicked_at=timezone.now())


# The answers a summary's links offer, and what each records on the match: the same words as
# the buttons on "Your matches". "useful" is what earlier summaries' links said: those stay
# valid for 90 days (tokens.LINK_MAX_AGE), so it is still read, as "interested".
ANSWERS = {
    "interested": Match.Status.INTERESTED,
    "not-relevant": Match.Status.DISMISSED,
    "useful": Match.Status.INTERESTED,
}


def notice_for_link(digest_id: int, notice_id: int) -> MatchNotice | None:
    """The notice an answer link points at; it must belong to the digest whose signed
    token came with the link."""
    return (
        MatchNotice.objects.filter(still_a_member(), pk=notice_id, digest_id=digest_id)
        .select_related("source", "target__organisation")
        .first()
    )


def match_for_notice(notice: MatchNotice) -> Match | None:
    """The suggestion a notice told of, if it is still there."""
    return (
        Match.objects.filter(source_listing_id=notice.source_id, target_id=notice.target_id)
        .select_related("target__organisation", "source_listing__organisation")
        .first()
    )


def record_feedback(digest_id: int, notice_id: int, answer: str) -> Match | None:
    """Store "interested" or "not relevant" from the page an email link opens (a POST, never
    the link itself); returns the match, if it exists.

    The notice must belong to the digest whose signed token came with the link.
    Idempotent: the same answer again changes nothing.
    """
    notice = notice_for_link(digest_id, notice_id)
    if notice is None:
        return None
    record_click(digest_id)
    match = match_for_notice(notice)
    if match is None:
        return None
    status = ANSWERS[answer]
    if match.status == status:
        return match
    return set_match_status(match, status)


def someone_can_answer(listing: Listing) -> bool:
    """Whether someone at the listing's organisation could answer a request for an
    introduction (introductions.services.answerers); if not, the next step is our Get in
    touch form, not the request page. One query."""
    return answerers().filter(organisation_id=listing.organisation_id).exists()


def unsubscribe(user_id: int) -> bool:
    """Stop all match emails for this user. Idempotent."""
    from accounts.models import User

    if not User.objects.filter(pk=user_id).exists():
        return False
    preference, _ = EmailPreference.objects.get_or_create(user_id=user_id)
    if preference.cadence != Cadence.NEVER:
        preference.cadence = Cadence.NEVER
        preference.save(update_fields=["cadence", "changed_at"])
    return True


@transaction.atomic
def save_preferences(user, cadence: str, muted_listing_ids) -> EmailPreference:
    preference = preference_for(user)
    preference.cadence = cadence
    preference.save(update_fields=["cadence", "changed_at"])
    mine = Listing.objects.filter(organisation__memberships__user=user)
    ListingMute.objects.filter(user=user).exclude(listing_id__in=list(muted_listing_ids)).delete()
    for listing in mine.filter(pk__in=list(muted_listing_ids)):
        ListingMute.objects.get_or_create(user=user, listing=listing)
    return preference
