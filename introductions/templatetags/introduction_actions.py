"""The "Ask for an introduction" action on a listing's page, for whoever is looking."""

from django import template

from clusters.models import Organisation

from ..services import why_cannot_ask

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
