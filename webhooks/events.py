"""The events an endpoint can ask for: their names, what they mean, and who may have them."""

from dataclasses import dataclass

from django.conf import settings


@dataclass(frozen=True)
class Event:
    name: str
    label: str  # what the checkbox says
    hint: str
    # A permission ("app_label.codename") the endpoint's owner must hold, checked when the
    # endpoint is added and again at each event: staff-only events.
    permission: str = ""


MATCH_CREATED = "match.created"
INTRODUCTION_REQUESTED = "introduction.requested"
INTRODUCTION_ACCEPTED = "introduction.accepted"
LISTING_EXPIRING = "listing.expiring"
ENQUIRY_CREATED = "enquiry.created"
# Sent only when its owner asks ("Send a test ping"), whatever events the endpoint chose.
PING = "ping"

EVENTS = {
    e.name: e
    for e in [
        Event(
            MATCH_CREATED,
            "New match",
            "A new suggested match for a listing of your organisation, or a challenge of "
            "your cluster team.",
        ),
        Event(
            INTRODUCTION_REQUESTED,
            "Introduction requested",
            "Another organisation asks to be introduced to yours.",
        ),
        Event(
            INTRODUCTION_ACCEPTED,
            "Introduction accepted",
            "An introduction your organisation asked for, or answered, was accepted.",
        ),
        Event(
            LISTING_EXPIRING,
            "Listing expiring",
            "A listing of your organisation expires in 2 weeks (when we email the reminder).",
        ),
        Event(
            ENQUIRY_CREATED,
            "New enquiry (staff)",
            "Someone sent the programme an enquiry. For staff who triage enquiries.",
            permission="enquiries.view_enquiry",
        ),
    ]
}


def may_receive(user, name: str, *, second_step: bool = False) -> bool:
    """Whether `user` may have `name` events. A staff-only event also needs, while
    STAFF_REQUIRE_MFA is on, what the staff API needs: `second_step`, whether the endpoint
    was added in a request that passed the second step of signing in (when adding one: this
    request), and an owner who still has an authenticator app. Without it, a staff member who
    signed in with a password alone received the staff-only enquiry events (found by an
    outside probe)."""
    event = EVENTS.get(name)
    if event is None or not user.is_active:
        return False
    if not event.permission:
        return True
    return may_have_role_events(user, event) and (
        not settings.STAFF_REQUIRE_MFA or (second_step and has_authenticator(user))
    )


def may_have_role_events(user, event: Event) -> bool:
    """Whether `user`'s role allows a staff-only event, second step aside."""
    return user.is_active and user.is_staff and user.has_perm(event.permission)


def has_authenticator(user) -> bool:
    from allauth.mfa.models import Authenticator
    from allauth.mfa.utils import is_mfa_enabled

    return is_mfa_enabled(user, [Authenticator.Type.TOTP])
