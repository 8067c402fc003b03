"""A small world of listings, matches, introductions and outcomes whose figures are known."""

from datetime import datetime
from zoneinfo import ZoneInfo

from clusters.models import Challenge, Cluster, Listing, Theme
from introductions.models import Introduction, Outcome
from matching.models import Match
from tests import factories as f

LONDON = ZoneInfo("Europe/London")


def at(year, month, day=15):
    return datetime(year, month, day, 12, tzinfo=LONDON)


def listing(kind, clusters=(), themes=(), *, published=None, challenge=None, **kwargs):
    made = f.ListingFactory(
        kind=kind, clusters=list(clusters), themes=list(themes), challenge=challenge, **kwargs
    )
    if published:
        Listing.objects.filter(pk=made.pk).update(published_at=published)
        made.refresh_from_db()
    return made


def match(source, target, score=0.5, *, status=Match.Status.NEW, seen=None, changed=None):
    is_challenge = isinstance(source, Challenge)
    return f.MatchFactory(
        source_listing=None if is_challenge else source,
        source_challenge=source if is_challenge else None,
        source_key=Match.key_for(source),
        target=target,
        score=score,
        status=status,
        first_seen_at=seen,
        status_changed_at=changed,
    )


def introduce(
    source, target, *, status=Introduction.Status.OPEN, asked=None, decided=None, challenge=None
):
    made = f.IntroductionFactory(
        source_listing=source,
        target_listing=target,
        challenge=challenge,
        from_organisation=(source or f.OrganisationFactory()).organisation
        if source
        else f.OrganisationFactory(),
        status=status,
        decided_at=decided,
    )
    if asked:
        Introduction.objects.filter(pk=made.pk).update(created_at=asked)
        made.refresh_from_db()
    return made


def outcome(introduction, organisation, result, when):
    made = Outcome.objects.create(
        introduction=introduction, organisation=organisation, result=result
    )
    Outcome.objects.filter(pk=made.pk).update(updated_at=when)
    return made


def build():
    """Humber × CCUS has two needs (one strongly matched), Teesside × hydrogen one unmet need;
    a funnel of 4 suggestions → 2 useful → 3 asked → 2 accepted → 1 with outcomes."""
    humber = Cluster.objects.get(slug="humber")
    teesside = Cluster.objects.get(slug="teesside")
    ccus = Theme.objects.get(slug="ccus")
    hydrogen = Theme.objects.get(slug="hydrogen")
    challenge = f.ChallengeFactory(cluster=humber, themes=["ccus"], title="Capture at refineries")

    need_a = listing("need", ["humber"], ["ccus"], published=at(2026, 3))
    need_b = listing("need", ["humber"], ["ccus"], published=at(2026, 4), challenge=challenge)
    need_c = listing("need", ["teesside"], ["hydrogen"], published=at(2026, 4))
    offer_x = listing("offer", ["humber", "teesside"], ["ccus", "hydrogen"], published=at(2026, 3))
    offer_y = listing("offer", ["humber"], ["ccus"], published=at(2026, 4))
    # Never counted: a draft need, and an offer taken down by staff.
    listing("need", ["humber"], ["ccus"], status=Listing.Status.DRAFT)
    listing(
        "offer",
        ["humber"],
        ["ccus"],
        status=Listing.Status.TAKEN_DOWN,
        taken_down_at=at(2026, 4),
        published=at(2026, 3),
    )

    strong = match(
        need_a, offer_x, 0.9, status=Match.Status.INTERESTED, seen=at(2026, 3), changed=at(2026, 4)
    )
    match(need_b, offer_y, 0.3, seen=at(2026, 4))  # good, not strong: need_b stays unmet
    match(need_c, offer_x, 0.2, status=Match.Status.DISMISSED, seen=at(2026, 4))
    match(
        challenge,
        offer_y,
        0.8,
        status=Match.Status.INTERESTED,
        seen=at(2026, 4),
        changed=at(2026, 5),
    )

    accepted = introduce(
        need_a, offer_x, status=Introduction.Status.ACCEPTED, asked=at(2026, 4), decided=at(2026, 5)
    )
    introduce(
        need_b, offer_y, status=Introduction.Status.DECLINED, asked=at(2026, 5), decided=at(2026, 5)
    )
    from_challenge = introduce(
        None,
        offer_y,
        status=Introduction.Status.ACCEPTED,
        asked=at(2026, 5),
        decided=at(2026, 5),
        challenge=challenge,
    )
    # Each side's answer: the best counts (a contract beats talking), in the latest month.
    outcome(accepted, need_a.organisation, Outcome.Result.TALKING, at(2026, 6))
    outcome(accepted, offer_x.organisation, Outcome.Result.CONTRACT, at(2026, 7))
    return {
        "humber": humber,
        "teesside": teesside,
        "ccus": ccus,
        "hydrogen": hydrogen,
        "challenge": challenge,
        "need_a": need_a,
        "need_b": need_b,
        "need_c": need_c,
        "offer_x": offer_x,
        "offer_y": offer_y,
        "strong": strong,
        "accepted": accepted,
        "from_challenge": from_challenge,
    }
