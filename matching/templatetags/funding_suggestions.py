"""Suggested funding calls on a listing's page (its own organisation only) and on an
accepted introduction's page (both sides: the page itself is scoped to them)."""

from django import template

from clusters.models import Organisation

from ..services import calls_for_introduction, calls_for_listing

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
