"""Writes for introductions: request, accept, decline, remind and expire; and the counts."""

from dataclasses import dataclass
from datetime import datetime, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from clusters.models import Challenge, Cluster, Listing, Membership, Organisation, Theme
from clusters.services import has_confirmed_own_address
from outbox.services import queue_email
from webhooks import audiences as webhook_audiences
from webhooks import services as webhooks
from webhooks.events import INTRODUCTION_ACCEPTED, INTRODUCTION_REQUESTED

from .models import (
    DECLINE_DELAY,
    LIFETIME,
    OUTCOME_ASK_DAYS,
    REMINDER_AFTER,
    Introduction,
    Outcome,
)

DAILY_LIMIT_DEFAULT = 10
UNVERIFIED = (
    "Confirm your email address before you ask for an introduction: we have sent you a link. "
    "Check your inbox."
)


class NotAllowed(Exception):
    """The user may not do this; the message says why and what to do next, in plain English."""


class NotNow(NotAllowed):
    """Allowed in principle, but not in the state things are in (already asked; a listing
    not published). The API answers 409."""


class NobodyToAnswer(NotNow):
    """Nobody at the other organisation could answer (answerers): nobody from there has joined
    yet, as for most imported organisations. The next step is our Get in touch form. The API
    answers 409."""


class DailyLimitReached(NotAllowed):
    """The organisation asked for as many introductions as a day allows. The API answers 429."""


def daily_limit() -> int:
    return getattr(settings, "INTRODUCTIONS_PER_ORGANISATION_PER_DAY", DAILY_LIMIT_DEFAULT)


def answerers() -> QuerySet[Membership]:
    """The memberships whose person can answer a request for an introduction sent to their
    organisation: an active account (an inactive one cannot sign in) whose own address,
    user.email, is confirmed (accepting needs it, views.accept). They are also whom the
    request and its reminder are emailed to (contacts). The person who asked never answers
    their own request (_lock_open), so they do not count for it."""
    confirmed = EmailAddress.objects.annotate(address=Lower("email")).filter(
        user=OuterRef("user"), verified=True, address=Lower(OuterRef("user__email"))
    )
    return Membership.objects.filter(user__is_active=True).filter(Exists(confirmed))


def contacts(organisation: Organisation) -> list:
    """The organisation's answerers, oldest membership first: whom we write to."""
    memberships = answerers().filter(organisation=organisation).select_related("user")
    return [m.user for m in memberships.order_by("created_at")]


def organisations_that_answer() -> frozenset[int]:
    """The ids of the organisations with someone who could answer a request for an
    introduction (answerers). One query; organisations are few (hundreds)."""
    return frozenset(answerers().values_list("organisation_id", flat=True).distinct())


def nobody_to_answer(target: Listing) -> str:
    """Why nobody can ask about `target` (NobodyToAnswer), and what to do instead."""
    return (
        f"Nobody at {target.organisation.name} can answer a request for an introduction on "
        "Cluster Exchange yet. To get in touch with them, contact "
        "our programme team using the Get in touch form and name this "
        f"{target.get_kind_display().lower()}: “{target.title}” ({target.ref})."
    )


def _only_you_could_answer(target: Listing) -> str:
    return (
        f"You are the only member of {target.organisation.name} who could answer a request "
        "for an introduction, and nobody answers their own request."
    )


def who_asks_and_answers(user, target: Listing) -> tuple[list[Organisation], bool]:
    """The user's organisations (by name), and whether someone other than the user could
    answer a request about `target` (answerers). One query."""
    if not user.is_authenticated:
        return [], answerers().filter(organisation=target.organisation_id).exists()
    others = answerers().filter(organisation=OuterRef("pk")).exclude(user=user)
    mine = Membership.objects.filter(user=user)
    rows = (
        Organisation.objects.filter(
            Q(pk__in=mine.values("organisation_id")) | Q(pk=target.organisation_id)
        )
        .annotate(
            is_mine=Exists(mine.filter(organisation=OuterRef("pk"))),
            answers=Exists(others),
        )
        .order_by("name")
    )
    organisations, answered = [], False
    for row in rows:
        if row.pk == target.organisation_id:
            answered = row.answers
        if row.is_mine:
            organisations.append(row)
    return organisations, answered


def _email_contacts(introduction: Introduction, kind: str, template: str) -> None:
    for user in contacts(introduction.to_organisation):
        queue_email(
            f"introduction-{kind}:{introduction.pk}:{user.pk}",
            user.email,
            template,
            {"user": user, "introduction": introduction, "url": introduction.get_absolute_url()},
        )


def _emit(event: str, introduction: Introduction, organisations: list[int]) -> None:
    """Tell the members of `organisations` with a webhook (webhooks.services.emit): the
    delivery rows are written in the caller's transaction, sent after it commits."""
    members = Membership.objects.filter(organisation_id__in=organisations).values_list(
        "user_id", flat=True
    )
    payload = {
        "introduction": {
            "id": str(introduction.public_id),
            "status": introduction.status,
            "from_organisation": introduction.from_organisation.ref,
            "to_organisation": introduction.to_organisation.ref,
            "target_listing": introduction.target_listing.ref,
            "source_listing": introduction.source_listing.ref
            if introduction.source_listing
            else None,
            "expires_at": introduction.expires_at.isoformat().replace("+00:00", "Z"),
        },
        "url": settings.SITE_URL + introduction.get_absolute_url(),
    }
    webhooks.emit(
        event,
        payload,
        user_ids=list(members),
        key=f"{event}:{introduction.pk}",
        # Sent only to those still members of one of them when it goes (webhooks.audiences).
        audience=[webhook_audiences.organisation(pk) for pk in organisations],
    )


def _waiting_for_requester(organisation: Organisation, target: Listing, about: Listing | None):
    """A request that still looks open to the side that asked (including a quiet decline).

    The asking organisation's own requests about `target` (about any listing or none), and,
    when it is about one of its listings, a request either way between the two listings.
    """
    mine = Introduction.objects.filter(from_organisation=organisation, target_listing=target)
    if about is not None:
        mine = mine | Introduction.objects.between(about, target)
    for introduction in mine.filter(
        status__in=[Introduction.Status.OPEN, Introduction.Status.DECLINED]
    ).select_related("from_organisation"):
        if introduction.is_awaiting_reply or (
            introduction.from_organisation_id == organisation.pk and introduction.decline_is_hidden
        ):
            return introduction
    return None


# An accepted introduction stands in the way of asking again about the same listing for this
# long; after it, people and plans may have changed, and a new request is fair.
INTRODUCED_RECENTLY = timedelta(days=365)


def _introduced_already(
    organisation: Organisation, target: Listing, about_challenge: Challenge | None = None
) -> Introduction | None:
    """The accepted introduction, either way, in the last INTRODUCED_RECENTLY, between
    `organisation` and the owner of `target` about `target` (asked about it, or asked from
    it): asking again would send a second request for contact details both sides already
    have (newcomer probe, stop 26). A request made from a challenge is new if the earlier
    one was made from another challenge, or from none (a cluster team asking about each of
    its challenges, review)."""
    accepted = Introduction.objects.filter(
        status=Introduction.Status.ACCEPTED,
        decided_at__gte=timezone.now() - INTRODUCED_RECENTLY,
    ).filter(
        Q(from_organisation=organisation, target_listing=target)
        | Q(to_organisation=organisation, source_listing=target)
    )
    if about_challenge is not None:
        accepted = accepted.filter(challenge=about_challenge)
    return accepted.order_by("-decided_at").first()


def standing_introductions(organisation: Organisation) -> dict:
    """The introductions that stand between `organisation` and other organisations' listings,
    as the "Your matches" page shows them in place of "Request introduction" (for_match
    reads them). The same rules as asking again (check_can_request): keyed

    - ("asked", T): one `organisation` asked for about the other's listing T, waiting for a
      reply as the asker sees it (a quiet decline included), _waiting_for_requester;
    - ("asked of", S, T): one T's organisation asked of us from T about our listing S,
      waiting for our answer: it stands only between those two listings (review);
    - ("introduced", T): one accepted either way about T in the last INTRODUCED_RECENTLY,
      _introduced_already.

    The newest of each wins. One query."""
    return standing_introductions_of([organisation.pk])[organisation.pk]


def standing_introductions_of(organisation_ids) -> dict[int, dict]:
    """standing_introductions for each of many organisations (by id), in one query."""
    ids = set(organisation_ids)
    found: dict[int, dict] = {pk: {} for pk in ids}
    if not ids:
        return found
    now = timezone.now()
    rows = (
        Introduction.objects.filter(
            Q(from_organisation__in=ids) | Q(to_organisation__in=ids, source_listing__isnull=False)
        )
        .filter(
            Q(status=Introduction.Status.OPEN, expires_at__gt=now)
            | Q(status=Introduction.Status.ACCEPTED, decided_at__gte=now - INTRODUCED_RECENTLY)
            | (
                Q(status=Introduction.Status.DECLINED, from_organisation__in=ids)
                & (Q(decline_shown_at__isnull=True) | Q(decline_shown_at__gt=now))
            )
        )
        .select_related("from_organisation")
        .order_by("created_at", "pk")
    )
    for introduction in rows:
        sides = [(introduction.from_organisation_id, True)]
        if introduction.source_listing_id is not None:
            sides.append((introduction.to_organisation_id, False))
        for organisation_id, asked in sides:
            if organisation_id not in ids:
                continue
            if not asked and introduction.status == Introduction.Status.DECLINED:
                continue  # a decline stands only for the side that asked
            standing = found[organisation_id]
            theirs = introduction.target_listing_id if asked else introduction.source_listing_id
            if introduction.is_accepted:
                standing[("introduced", theirs)] = introduction
            elif asked:
                standing[("asked", theirs)] = introduction
            else:
                standing[("asked of", introduction.target_listing_id, theirs)] = introduction
    return found


def for_match(standing: dict, source_id: int, target_id: int) -> Introduction | None:
    """What stands (standing_introductions) between our listing `source_id` and the other's
    listing `target_id`, in the order check_can_request answers: a request still waiting
    (ours about the other's listing, or theirs between the two), then an introduction."""
    return (
        standing.get(("asked", target_id))
        or standing.get(("asked of", source_id, target_id))
        or standing.get(("introduced", target_id))
    )


def _is_verified(user) -> bool:
    return has_confirmed_own_address(user)


def why_cannot_ask(target: Listing, organisations: list, *, answered: bool) -> str | None:
    """Why none of the user's `organisations` can ask about `target`, or None if one might.

    `answered`: whether someone other than the user could answer (who_asks_and_answers).
    With no organisation at all it is None too, unless nobody could answer: the page says
    how to start or join one.
    """
    others = [o for o in organisations if o.pk != target.organisation_id]
    if organisations and not others:
        return (
            f"This is {target.organisation.name}’s own {target.get_kind_display().lower()}, "
            "so you cannot ask for an introduction to it."
        )
    if not answered:
        if len(others) < len(organisations):
            return _only_you_could_answer(target)
        return nobody_to_answer(target)
    if others and not any(o.is_approved for o in others):
        names = " and ".join(o.name for o in others)
        return (
            f"{names} {'is' if len(others) == 1 else 'are'} waiting for our team to approve "
            "it. You can ask for introductions once it is approved: we will email you."
        )
    return None


def contact_team_instead(target: Listing, organisations: list, *, answered: bool) -> bool:
    """Whether the page offers our Get in touch form instead: nobody could answer, and the
    user is not in the listing's organisation (why_cannot_ask said nobody_to_answer)."""
    return not answered and all(o.pk != target.organisation_id for o in organisations)


def check_can_request(
    user,
    *,
    organisation: Organisation,
    target: Listing,
    about_listing: Listing | None = None,
    about_challenge: Challenge | None = None,
) -> None:
    """Raise NotAllowed if `user`, for `organisation`, may not ask about `target` now.

    Nobody to answer (NobodyToAnswer) is said before the asker's own steps (confirming their
    address, approval): no step of theirs would get the request answered.
    """
    if not Membership.objects.filter(user=user, organisation=organisation).exists():
        raise NotAllowed(f"Only members of {organisation.name} can ask on its behalf.")
    answering = answerers().filter(organisation=target.organisation_id).exclude(user=user)
    if (
        target.status == Listing.Status.PUBLISHED
        and target.organisation_id != organisation.pk
        and not answering.exists()
    ):
        if Membership.objects.filter(user=user, organisation=target.organisation_id).exists():
            raise NotNow(_only_you_could_answer(target))
        raise NobodyToAnswer(nobody_to_answer(target))
    if not _is_verified(user):
        raise NotAllowed(UNVERIFIED)
    if not organisation.is_approved:
        raise NotAllowed(
            f"{organisation.name} is waiting for our team to approve it. You can ask for "
            "introductions once it is approved: we will email you."
        )
    if target.status != Listing.Status.PUBLISHED:
        raise NotNow("This listing is no longer published, so you cannot ask about it.")
    if organisation.pk == target.organisation_id:
        raise NotAllowed(f"This listing belongs to {organisation.name}.")
    if about_listing is not None:
        if about_listing.organisation_id != organisation.pk:
            raise NotAllowed(f"Choose one of {organisation.name}’s own listings, or none.")
        if about_listing.status != Listing.Status.PUBLISHED:
            raise NotNow("Publish your listing before you ask for an introduction.")
        if about_listing.organisation_id == target.organisation_id:
            raise NotAllowed("Both listings belong to your organisation.")
    existing = _waiting_for_requester(organisation, target, about_listing)
    if existing is not None:
        if existing.from_organisation_id == organisation.pk:
            raise NotNow(
                "Your organisation has already asked for this introduction. You can follow it "
                "in your introductions."
            )
        raise NotNow(
            f"{existing.from_organisation.name} has already asked to be introduced to you "
            "about these listings. Accept or decline their request in your introductions."
        )
    introduced = _introduced_already(organisation, target, about_challenge)
    if introduced is not None:
        raise NotNow(
            f"{organisation.name} and {target.organisation.name} were introduced about this "
            f"listing on {date_format(timezone.localtime(introduced.decided_at), 'j F Y')}: "
            "you can see each other’s contact "
            "details in your introductions."
        )
    today = timezone.localdate()
    sent_today = Introduction.objects.filter(
        from_organisation=organisation, created_at__date=today
    ).count()
    if sent_today >= daily_limit():
        raise DailyLimitReached(
            f"Your organisation has asked for {sent_today} introductions today, the most "
            "allowed in one day. You can ask for more tomorrow."
        )


@transaction.atomic
def request_introduction(
    user,
    *,
    organisation: Organisation,
    target: Listing,
    message: str,
    about_listing: Listing | None = None,
    about_challenge: Challenge | None = None,
) -> Introduction:
    """`user` asks, for `organisation`, to be introduced to the owner of `target`.

    Optionally about one of the organisation's own published listings (`about_listing`) and
    made from a challenge (`about_challenge`). Emails the target's contacts. All-or-nothing:
    raises NotAllowed, with what to do next in plain English, and creates nothing (among
    others NobodyToAnswer, when nobody at the other organisation could answer it).

    Limits: one open request per pair of listings, or per asking organisation and target
    listing when it is about none of theirs (both held by database constraints as well), and
    a daily number per organisation (counted under a lock on the organisation's row).
    """
    # Lock the asking organisation: two requests at once cannot both pass the daily count.
    organisation = Organisation.objects.select_for_update().get(pk=organisation.pk)
    now = timezone.now()
    # A request past its 30 days that the daily sweep has not reached yet must not block.
    stale = Introduction.objects.filter(from_organisation=organisation, target_listing=target)
    if about_listing is not None:
        stale = stale | Introduction.objects.between(about_listing, target)
    Introduction.objects.filter(pk__in=stale.open().filter(expires_at__lte=now)).update(
        status=Introduction.Status.EXPIRED, updated_at=now
    )
    check_can_request(
        user,
        organisation=organisation,
        target=target,
        about_listing=about_listing,
        about_challenge=about_challenge,
    )
    try:
        with transaction.atomic():
            introduction = Introduction.objects.create(
                source_listing=about_listing,
                target_listing=target,
                challenge=about_challenge,
                from_organisation=organisation,
                to_organisation_id=target.organisation_id,
                requested_by=user,
                message=message,
                expires_at=now + LIFETIME,
            )
    except IntegrityError as exc:  # the other side, or a colleague, asked at the same moment
        raise NotAllowed(
            "There is already a request for an introduction about this listing. See your "
            "introductions."
        ) from exc
    # Their own quiet "no" to this organisation is no longer hidden once they ask it
    # themselves: it read "Waiting for a reply" beside their new request (newcomer probe,
    # stop 31).
    Introduction.objects.filter(
        Q(decline_shown_at__isnull=True) | Q(decline_shown_at__gt=now),
        status=Introduction.Status.DECLINED,
        from_organisation_id=target.organisation_id,
        to_organisation=organisation,
    ).update(decline_shown_at=now, updated_at=now)
    _email_contacts(introduction, "request", "introduction_request")
    _emit(INTRODUCTION_REQUESTED, introduction, [introduction.to_organisation_id])
    return introduction


def _lock_open(introduction: Introduction, user) -> Introduction:
    introduction = Introduction.objects.select_for_update().get(pk=introduction.pk)
    if introduction.requested_by_id == user.pk:
        raise NotAllowed("You asked for this introduction, so someone else must answer it.")
    if not Membership.objects.filter(
        user=user, organisation_id=introduction.to_organisation_id
    ).exists():
        raise NotAllowed("Only members of the organisation that was asked can answer.")
    if introduction.status != Introduction.Status.OPEN:
        raise NotAllowed("This request has already been answered.")
    if introduction.expires_at <= timezone.now():
        raise NotAllowed("This request has expired: it was not answered within 30 days.")
    return introduction


def _asking_contact(introduction: Introduction, decider):
    """Whom the asking side's copy of the accepted introduction goes to: the person who
    asked, while they are still a member of the asking organisation; else its first contact
    (not the person deciding): the details went to someone no longer there (review, stop
    31). The record keeps who asked."""
    asker = introduction.requested_by
    if (
        asker is not None
        and asker.memberships.filter(organisation_id=introduction.from_organisation_id).exists()
    ):
        return asker
    others = [u for u in contacts(introduction.from_organisation) if u.pk != decider.pk]
    return others[0] if others else None


@transaction.atomic
def accept_introduction(introduction: Introduction, user) -> Introduction:
    """Share both sides' contact details and email both people. Only an open request."""
    introduction = _lock_open(introduction, user)
    introduction.status = Introduction.Status.ACCEPTED
    introduction.decided_by = user
    introduction.decided_at = timezone.now()
    introduction.save(update_fields=["status", "decided_by", "decided_at", "updated_at"])
    introduction = Introduction.objects.with_details().get(pk=introduction.pk)
    sides = (_asking_contact(introduction, user), introduction.decided_by)
    for person, other in (sides, sides[::-1]):
        if person is None:
            continue
        queue_email(
            f"introduction-made:{introduction.pk}:{person.pk}",
            person.email,
            "introduction_accepted",
            {
                "user": person,
                "introduction": introduction,
                "asking": sides[0],
                "url": introduction.get_absolute_url(),
            },
            # "Reply to each other directly": pressing Reply wrote to the site (newcomer
            # probe, stop 28).
            headers={"Reply-To": other.email} if other is not None else None,
        )
    _emit(
        INTRODUCTION_ACCEPTED,
        introduction,
        [introduction.from_organisation_id, introduction.to_organisation_id],
    )
    return introduction


@transaction.atomic
def decline_introduction(introduction: Introduction, user, *, tell_now: bool) -> Introduction:
    """Decline quietly: no email; the requester sees it now or after 14 days, as chosen."""
    introduction = _lock_open(introduction, user)
    now = timezone.now()
    introduction.status = Introduction.Status.DECLINED
    introduction.decided_by = user
    introduction.decided_at = now
    introduction.decline_shown_at = now if tell_now else now + DECLINE_DELAY
    introduction.save(
        update_fields=["status", "decided_by", "decided_at", "decline_shown_at", "updated_at"]
    )
    return introduction


def expire_introductions(now: datetime | None = None) -> tuple[int, int]:
    """Remind the asked organisation after 7 days; expire requests unanswered after 30.

    Idempotent: a reminder is claimed on the row before it is queued (and keyed in the
    outbox), so it is sent once; an expired request is no longer open the second time.
    Expiry sends no email, so that it reads the same as a quiet decline.
    """
    now = now or timezone.now()
    reminded = 0
    due = Introduction.objects.open().filter(
        created_at__lte=now - REMINDER_AFTER, expires_at__gt=now, reminder_sent_at__isnull=True
    )
    for introduction in due.with_details():
        with transaction.atomic():
            claimed = Introduction.objects.filter(
                pk=introduction.pk, status=Introduction.Status.OPEN, reminder_sent_at__isnull=True
            ).update(reminder_sent_at=now, updated_at=now)
            if claimed:
                _email_contacts(introduction, "reminder", "introduction_reminder")
                reminded += 1
    expired = (
        Introduction.objects.open()
        .filter(expires_at__lte=now)
        .update(status=Introduction.Status.EXPIRED, updated_at=now)
    )
    return reminded, expired


# Outcomes: what came of an accepted introduction ------------------------------------------


def side_of(introduction: Introduction, user) -> Organisation | None:
    """The user's side of the introduction (the asked side first), or None if neither."""
    mine = set(
        Membership.objects.filter(
            user=user,
            organisation__in=[introduction.to_organisation_id, introduction.from_organisation_id],
        ).values_list("organisation_id", flat=True)
    )
    for organisation_id in (introduction.to_organisation_id, introduction.from_organisation_id):
        if organisation_id in mine:
            return Organisation.objects.get(pk=organisation_id)
    return None


@transaction.atomic
def record_outcome(introduction: Introduction, user, result: str) -> Outcome:
    """Record, for the user's side, what came of an accepted introduction.

    One answer per side: answering again (by anyone on that side) replaces it. Raises
    NotAllowed, changing nothing, for an introduction that is not accepted, a user on
    neither side, or a result that is not one of `Outcome.Result`.
    """
    if result not in Outcome.Result.values:
        raise NotAllowed("Choose what came of the introduction from the list.")
    # The introduction's row is the lock: two answers for one side at once update in turn.
    introduction = Introduction.objects.select_for_update().get(pk=introduction.pk)
    if introduction.status != Introduction.Status.ACCEPTED:
        raise NotAllowed("You can say what came of an introduction only once it has been accepted.")
    organisation = side_of(introduction, user)
    if organisation is None:
        raise NotAllowed("Only members of the two organisations can say what came of it.")
    outcome, _created = Outcome.objects.update_or_create(
        introduction=introduction,
        organisation=organisation,
        defaults={"result": result, "answered_by": user},
    )
    return outcome


def best_outcomes(introductions=None) -> dict[int, str]:
    """The best result either side reported, per introduction id (answered ones only).

    "Best" is how far it got, in the order of `Outcome.Result` (nothing < talking < trial <
    contract < bid submitted < bid won). `introductions` narrows it (a queryset or ids).
    """
    rows = Outcome.objects.all()
    if introductions is not None:
        rows = rows.filter(introduction__in=introductions)
    best: dict[int, str] = {}
    for introduction_id, result in rows.values_list("introduction_id", "result").iterator(2000):
        if introduction_id not in best or Outcome.rank(result) > Outcome.rank(
            best[introduction_id]
        ):
            best[introduction_id] = result
    return best


def ask_for_outcomes(now: datetime | None = None) -> int:
    """Ask both sides of introductions accepted 60 (or 180) days ago what came of them.

    Returns how many asks were made (an introduction asked at 60 days counts one). Safe when
    two runs overlap: each ask is claimed on the introduction's row (outcome_asked_<days>_at,
    set only if still empty) in the transaction that queues its emails, so only one run
    queues them; and each email is keyed in the outbox by introduction, ask and person.
    The email holds a plain link to the answer page, which needs signing in: no secret.
    """
    now = now or timezone.now()
    asked = 0
    for days in OUTCOME_ASK_DAYS:
        field = f"outcome_asked_{days}_at"
        for introduction in Introduction.objects.due_outcome_ask(days, now).with_details():
            with transaction.atomic():
                claimed = Introduction.objects.filter(
                    pk=introduction.pk,
                    status=Introduction.Status.ACCEPTED,
                    **{f"{field}__isnull": True},
                ).update(**{field: now, "updated_at": now})
                if not claimed:
                    continue
                answers = dict(introduction.outcomes.values_list("organisation_id", "result"))
                for organisation, other in (
                    (introduction.from_organisation, introduction.to_organisation),
                    (introduction.to_organisation, introduction.from_organisation),
                ):
                    answer = answers.get(organisation.pk)
                    for user in contacts(organisation):
                        queue_email(
                            f"introduction-outcome-{days}:{introduction.pk}:{user.pk}",
                            user.email,
                            "introduction_outcome_ask",
                            {
                                "user": user,
                                "introduction": introduction,
                                "organisation": organisation,
                                "other": other,
                                "months": {60: "two", 180: "six"}[days],
                                "answer": Outcome.Result(answer).label if answer else "",
                                "url": reverse(
                                    "introductions:outcome", args=[introduction.public_id]
                                ),
                            },
                        )
                asked += 1
    return asked


# Counts for the programme --------------------------------------------------------------


@dataclass(frozen=True)
class IntroductionCount:
    name: str
    slug: str
    made: int  # requests sent, whatever became of them
    accepted: int


def _count(rows, groups) -> list[IntroductionCount]:
    made: dict[int, set[int]] = {}
    accepted: dict[int, set[int]] = {}
    for introduction_id, status, group_id in rows:
        if group_id is None:
            continue
        made.setdefault(group_id, set()).add(introduction_id)
        if status == Introduction.Status.ACCEPTED:
            accepted.setdefault(group_id, set()).add(introduction_id)
    return [
        IntroductionCount(
            name=group.name,
            slug=group.slug,
            made=len(made.get(group.pk, ())),
            accepted=len(accepted.get(group.pk, ())),
        )
        for group in groups
    ]


def count_introductions() -> dict[str, list[IntroductionCount]]:
    """Introductions made and accepted, per cluster and per theme (every one, zeros too).

    An introduction counts once for each cluster (or theme) of either of its two listings,
    so the rows of one list may add up to more than the number of introductions.
    """
    rows: dict[str, set] = {"clusters": set(), "themes": set()}
    for side in ("source_listing", "target_listing"):
        for group in rows:
            rows[group].update(Introduction.objects.values_list("pk", "status", f"{side}__{group}"))
    return {
        "clusters": _count(rows["clusters"], Cluster.objects.order_by("name")),
        "themes": _count(rows["themes"], Theme.objects.all()),
    }
