"""Funding calls suggested for a listing or an accepted introduction (through services).

Loads the open calls, turns them and the listing or introduction into the engine's plain
data (matching/engine/funding.py) and returns the chosen FundingCall rows, best first.
Computed when a page asks: three queries for the open calls (with their themes and
clusters), nothing stored.
"""

from django.db.models import prefetch_related_objects

from clusters.models import Listing
from funding.models import FundingCall

from .engine import funding as engine

LIMIT = 3


def _open_calls() -> list[FundingCall]:
    return list(FundingCall.objects.open().prefetch_related("themes", "clusters"))


def _call(call: FundingCall) -> engine.Call:
    return engine.Call(
        ref=call.ref,
        text=f"{call.name}\n{call.description}",
        themes=frozenset(t.slug for t in call.themes.all()),
        clusters=frozenset(c.slug for c in call.clusters.all()),
        kinds=frozenset(call.kinds),
        consortium=call.needs_consortium,
    )


def _listing_parts(listing: Listing) -> tuple[str, set[str], set[str]]:
    """Text, themes and clusters (its own and its organisation's) of a listing: prefetch
    themes, clusters and organisation__clusters to keep this free of queries."""
    themes = {t.slug for t in listing.themes.all()}
    clusters = {c.slug for c in listing.clusters.all()}
    clusters |= {c.slug for c in listing.organisation.clusters.all()}
    return f"{listing.title}\n{listing.description}", themes, clusters


def _choose(party: engine.Party, limit: int) -> list[FundingCall]:
    calls = _open_calls()
    by_ref = {call.ref: call for call in calls}
    chosen = engine.suggest_calls([_call(c) for c in calls], party, limit=limit)
    return [by_ref[s.ref] for s in chosen]


def party_for_listing(listing: Listing) -> engine.Party:
    text, themes, clusters = _listing_parts(listing)
    return engine.Party(
        text=text,
        themes=frozenset(themes),
        clusters=frozenset(clusters),
        kinds=(listing.organisation.kind,),
    )


def calls_for_listing(listing: Listing, limit: int = LIMIT) -> list[FundingCall]:
    """Open calls the listing's organisation could bid for alone, best first."""
    return _choose(party_for_listing(listing), limit)


def calls_for_listings(listings, limit: int = LIMIT) -> dict[int, list[FundingCall]]:
    """For each listing (by id), the open calls its organisation could bid for, best first.

    For many listings at once (a batch of match emails): the open calls are loaded once,
    and the listings' themes and clusters in three more queries, whatever their number.
    """
    listings = list(listings)
    if not listings:
        return {}
    calls = _open_calls()
    if not calls:  # nothing to suggest: the listings' themes and clusters are not needed
        return {listing.pk: [] for listing in listings}
    prefetch_related_objects(listings, "themes", "clusters", "organisation__clusters")
    by_ref = {call.ref: call for call in calls}
    docs = [_call(c) for c in calls]
    return {
        listing.pk: [
            by_ref[s.ref]
            for s in engine.suggest_calls(docs, party_for_listing(listing), limit=limit)
        ]
        for listing in listings
    }


def party_for_introduction(introduction) -> engine.Party:
    texts, themes, clusters = [], set(), set()
    for listing in (introduction.source_listing, introduction.target_listing):
        if listing is None:
            continue
        text, listing_themes, listing_clusters = _listing_parts(listing)
        texts.append(text)
        themes |= listing_themes
        clusters |= listing_clusters
    for organisation in (introduction.from_organisation, introduction.to_organisation):
        clusters |= {c.slug for c in organisation.clusters.all()}
    return engine.Party(
        text="\n".join(texts),
        themes=frozenset(themes),
        clusters=frozenset(clusters),
        kinds=(introduction.from_organisation.kind, introduction.to_organisation.kind),
    )


def calls_for_introduction(introduction, limit: int = LIMIT) -> list[FundingCall]:
    """Open calls the two organisations of an accepted introduction could bid for together.

    Nothing for an introduction that is not accepted: they have not agreed to talk yet.
    """
    if not introduction.is_accepted:
        return []
    prefetch_related_objects(
        [introduction],
        "source_listing__themes",
        "source_listing__clusters",
        "source_listing__organisation__clusters",
        "target_listing__themes",
        "target_listing__clusters",
        "target_listing__organisation__clusters",
        "from_organisation__clusters",
        "to_organisation__clusters",
    )
    return _choose(party_for_introduction(introduction), limit)
