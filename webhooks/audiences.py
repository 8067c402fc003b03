"""Who must an endpoint's owner still be, when a delivery is sent, for it to go?

An event about an organisation (a match for its listing, an introduction, a listing expiring)
is queued for the organisation's members of that moment; by the time it is sent (after a
retry, hours later) one of them may have left. The domain app names, at emit time, what the
event is about, as "kind:id" strings (its `audience`, stored on each delivery), and at send
time the owner must still belong to one of them, or the delivery fails with no request made.

Webhooks imports no domain app: each kind's check reads its table by name (apps.get_model),
registered here, so that nothing is imported at start-up and no import cycle is made (the
domain apps import webhooks). A kind with no check fails closed: nothing is sent.
"""

from collections import defaultdict
from collections.abc import Callable, Iterable

from django.apps import apps

# kind -> check(user id, ids) -> True if the user belongs to at least one of them.
CHECKS: dict[str, Callable[[int, list[int]], bool]] = {}

ORGANISATION = "organisation"
CLUSTER_TEAM = "cluster_team"


def organisation(pk: int) -> str:
    return f"{ORGANISATION}:{pk}"


def cluster_team(pk: int) -> str:
    return f"{CLUSTER_TEAM}:{pk}"


def _member_of_organisation(user_id: int, ids: list[int]) -> bool:
    membership = apps.get_model("clusters", "Membership")
    return membership.objects.filter(user_id=user_id, organisation_id__in=ids).exists()


def _approved_in_cluster_team(user_id: int, ids: list[int]) -> bool:
    member = apps.get_model("teams", "ClusterTeamMember")
    return member.objects.filter(user_id=user_id, cluster_id__in=ids, status="approved").exists()


CHECKS[ORGANISATION] = _member_of_organisation
CHECKS[CLUSTER_TEAM] = _approved_in_cluster_team


def belongs(user_id: int, audience: Iterable[str]) -> bool:
    """True if the user still belongs to one of `audience` ("kind:id" strings); an empty
    audience asks nothing (True); an unknown kind or a malformed entry counts as not."""
    wanted: dict[str, list[int]] = defaultdict(list)
    entries = list(audience)
    if not entries:
        return True
    for entry in entries:
        kind, _, pk = str(entry).partition(":")
        if kind in CHECKS and pk.isdigit():
            wanted[kind].append(int(pk))
    return any(CHECKS[kind](user_id, ids) for kind, ids in wanted.items())
