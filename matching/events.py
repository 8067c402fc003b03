"""Tell webhooks of new matches (webhooks.events.MATCH_CREATED).

Matches are written in bulk (services._write_matches, no post_save), which calls
`announce_new_matches` with the pairs it inserted, inside its transaction: the delivery rows
commit with the matches. It costs one query when nobody has a webhook for new matches.
"""

from collections import defaultdict

from django.conf import settings
from django.urls import reverse

from clusters.models import Challenge, Listing, Membership
from webhooks import services as webhooks
from webhooks.events import MATCH_CREATED

from .engine import strength
from .models import Match

# A cluster team member who may hear of its challenges' matches (teams.models, not imported:
# teams depends on matching).
APPROVED_TEAM_MEMBER = "approved"
BATCH = 500


def announce_new_matches(pairs: list[tuple[str, int | None, int | None, int]]) -> int:
    """Emit match.created for each new (source_key, listing id, challenge id, target id) to
    the members of the source listing's organisation, or the approved team of the source
    challenge's cluster, who have a webhook for it. Idempotent: one event per pair, ever (a
    pair that drops out and comes back is not announced again)."""
    if not pairs:
        return 0
    wanting = webhooks.subscribers(MATCH_CREATED)
    if not wanting:
        return 0
    listing_ids = {listing for _, listing, _, _ in pairs if listing}
    challenge_ids = {challenge for _, _, challenge, _ in pairs if challenge}
    listeners: dict[str, set[int]] = defaultdict(set)
    listing_org = dict(
        Listing.objects.filter(pk__in=listing_ids).values_list("pk", "organisation_id")
    )
    members = Membership.objects.filter(
        organisation_id__in=set(listing_org.values()), user_id__in=wanting
    ).values_list("organisation_id", "user_id")
    by_org: dict[int, set[int]] = defaultdict(set)
    for organisation, user in members:
        by_org[organisation].add(user)
    for listing, organisation in listing_org.items():
        listeners[f"L{listing}"] |= by_org[organisation]
    team = Challenge.objects.filter(
        pk__in=challenge_ids,
        cluster__team_members__status=APPROVED_TEAM_MEMBER,
        cluster__team_members__user_id__in=wanting,
    ).values_list("pk", "cluster__team_members__user_id")
    for challenge, user in team:
        listeners[f"C{challenge}"].add(user)
    heard = [(key, target) for key, _, _, target in pairs if listeners.get(key)]
    if not heard:
        return 0
    items = []
    for start in range(0, len(heard), BATCH):
        batch = heard[start : start + BATCH]
        wanted = set(batch)
        rows = Match.objects.filter(
            source_key__in={k for k, _ in batch}, target_id__in={t for _, t in batch}
        ).values_list(
            "pk",
            "source_key",
            "target_id",
            "source_listing__ref",
            "source_challenge__ref",
            "target__ref",
            "target__title",
            "score",
            "reasons",
            "first_seen_at",
        )
        for pk, key, target, listing, challenge, target_ref, title, score, reasons, at in rows:
            if (key, target) not in wanted:
                continue
            source = {"kind": "listing", "ref": listing} if listing else {}
            source = source or {"kind": "challenge", "ref": challenge}
            payload = {
                "match": {
                    "id": pk,
                    "source": source,
                    "target": {"kind": "listing", "ref": target_ref, "title": title},
                    "score": round(score, 4),
                    "strength": strength(score),
                    "reasons": list(reasons),
                    "first_seen_at": at.isoformat().replace("+00:00", "Z") if at else None,
                },
                "url": settings.SITE_URL + reverse("clusters:listing-detail", args=[target_ref]),
            }
            items.append((payload, listeners[key], f"{MATCH_CREATED}:{key}:{target}"))
    return webhooks.emit_many(MATCH_CREATED, items)
