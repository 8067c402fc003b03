"""The "Ask for an introduction" action on a listing's page, for whoever is looking, and
what stands between an organisation and each listing on its matches page."""

from django import template

from clusters.models import Organisation

from ..services import for_match, standing_introductions, why_cannot_ask

register = template.Library()


@register.inclusion_tag("introductions/_ask_button.html", takes_context=True)
def ask_for_introduction(context, listing):
    """Signed out: a link to sign in and come back. Signed in: the button, or why not.

    One query when signed in (the user's organisations), none when signed out.
    """
    user = context["request"].user
    organisations = list(Organisation.objects.of_member(user)) if user.is_authenticated else []
    return {
        "listing": listing,
        "signed_in": user.is_authenticated,
        "why_not": why_cannot_ask(listing, organisations),
    }


@register.simple_tag
def introductions_standing(organisation):
    """{% introductions_standing organisation as standing %}: per listing id, the introduction
    already asked for, waiting or accepted between `organisation` and that listing's owner
    (services.standing_introductions). One query for the whole page."""
    return standing_introductions(organisation)


@register.filter
def on_card(standing, match):
    """{{ standing|on_card:match }}: the introduction standing between a suggested match's
    two listings (services.for_match), or None."""
    if not standing:
        return None
    return for_match(standing, match.source_listing_id, match.target_id)
