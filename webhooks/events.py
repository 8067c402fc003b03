"""The events an endpoint can ask for: their names, what they mean, and who may have them."""

from dataclasses import dataclass


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


def allowed_events(user) -> list[Event]:
    """The events `user` may subscribe to."""
    return [e for e in EVENTS.values() if may_receive(user, e.name)]


def may_receive(user, name: str) -> bool:
    event = EVENTS.get(name)
    if event is None or not user.is_active:
        return False
    if event.permission:
        return user.is_staff and user.has_perm(event.permission)
    return True
