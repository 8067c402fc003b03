"""The "Ask for an introduction" action on a listing's page, for whoever is looking, and
what stands between an organisation and each listing on its matches page."""

from django import template

from ..services import (
    contact_team_instead,
    for_match,
    nobody_to_answer,
    organisations_that_answer,
    standing_introductions,
    who_asks_and_answers,
    why_cannot_ask,
)

register = template.Library()


@register.inclusion_tag("introductions/_ask_button.html", takes_context=True)
def ask_for_introduction(context, listing):
    """Signed out: a link to sign in and come back. Signed in: the button, or why not (when
    nobody from the listing's organisation could answer, that and what to do instead:
    services.nobody_to_answer).

    Signed out too, nobody to answer is said up front (newcomer probe, stop 29: people
    signed up only to be told); the page cache is renewed when memberships and confirmed
    addresses change (pagecache.signals). One query either way.
    """
    user = context["request"].user
    if not user.is_authenticated:
        _, answered = who_asks_and_answers(user, listing)
        return {
            "listing": listing,
            "signed_in": False,
            "why_not": None if answered else nobody_to_answer(listing),
            "contact_team": not answered,
        }
    organisations, answered = who_asks_and_answers(user, listing)
    return {
        "listing": listing,
        "signed_in": user.is_authenticated,
        "why_not": why_cannot_ask(listing, organisations, answered=answered),
        "contact_team": contact_team_instead(listing, organisations, answered=answered),
    }


@register.simple_tag
def introductions_standing(organisation):
    """{% introductions_standing organisation as standing %}: what stands between
    `organisation` and each other organisation's listing on the page: the introduction
    already asked for, waiting or accepted (services.standing_introductions), and which
    organisations have someone who could answer a request (services.organisations_that_answer;
    someone who is the only one in both organisations is told on the request page). Two
    queries for the whole page, however many cards."""
    return {
        "introductions": standing_introductions(organisation),
        "answered": organisations_that_answer(),
    }


@register.filter
def on_card(standing, match):
    """{{ standing|on_card:match }}: the introduction standing between a suggested match's
    two listings (services.for_match), or None."""
    if not standing:
        return None
    return for_match(standing["introductions"], match.source_listing_id, match.target_id)


@register.filter
def nobody_answers(standing, match):
    """{{ standing|nobody_answers:match }}: why nobody could answer a request about the
    match's listing (services.nobody_to_answer), or "" when someone could."""
    if not standing or match.target.organisation_id in standing["answered"]:
        return ""
    return nobody_to_answer(match.target)
