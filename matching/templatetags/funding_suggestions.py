"""Suggested funding calls on a listing's page (its own organisation only), in the member
area (the organisation's page), and on an accepted introduction's page (both sides: the page
itself is scoped to them)."""

from django import template

from clusters.models import Listing, Organisation

from ..services import calls_for_introduction, calls_for_listing, calls_for_listings

register = template.Library()


@register.inclusion_tag("matching/_funding_calls.html", takes_context=True)
def funding_for_listing(context, listing):
    """For the listing's own organisation's members: calls it could bid for. Nobody else sees
    them (they are a hint to the owner, not part of the listing): no query when signed out."""
    user = context["request"].user
    mine = (
        user.is_authenticated
        and Organisation.objects.of_member(user).filter(pk=listing.organisation_id).exists()
    )
    return {
        "calls": calls_for_listing(listing) if mine else [],
        "intro": "Open funding calls your organisation could bid for with this "
        f"{listing.get_kind_display().lower()}, closest first.",
    }


@register.inclusion_tag("matching/_funding_calls.html")
def funding_for_introduction(introduction):
    """Once accepted: calls the two organisations could bid for together."""
    return {
        "calls": calls_for_introduction(introduction),
        "intro": "You two could bid together for these open funding calls, closest first.",
    }


ORGANISATION_CALLS_SHOWN = 5


@register.inclusion_tag("matching/_organisation_funding.html")
def funding_for_organisation(organisation):
    """In the member area (the page is scoped to the organisation's members): the open calls
    suggested for any of its published offers and needs, each with the listings it suits."""
    listings = list(
        Listing.objects.published().live().filter(organisation=organisation).order_by("title")
    )
    for listing in listings:
        listing.organisation = organisation  # no query per listing for its organisation
    suggested = calls_for_listings(listings)
    calls: dict[int, dict] = {}
    for listing in listings:
        for call in suggested.get(listing.pk, []):
            calls.setdefault(call.pk, {"call": call, "listings": []})["listings"].append(listing)
    shown = sorted(calls.values(), key=lambda c: (c["call"].deadline, c["call"].ref))
    more = max(0, len(shown) - ORGANISATION_CALLS_SHOWN)
    return {"items": shown[:ORGANISATION_CALLS_SHOWN], "more": more}
