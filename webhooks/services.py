"""Register endpoints, emit events as delivery rows, and deliver them, signed, with retries.

How events arrive here (a choice): the domain apps call `emit` (or `emit_many`) in the
transaction that makes the change, so the delivery rows are committed with it or not at all,
and the task is queued only on commit. Webhooks imports no domain app (clusters, matching,
introductions, enquiries): they know who should hear of their events, and pass user ids. The
alternative, a beat job scanning the domain tables for new rows, would have to import them,
and would announce events up to a minute late. Nothing is lost if Redis is down: the rows
are already saved, and `send_due` (every minute, from beat) queues every row that is due.
"""

import json
import logging
import math
import random
import time
import uuid
from collections.abc import Iterable
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from config.celery import enqueue

from . import audiences, delivery, signing
from .addresses import Refused, check_url
from .events import EVENTS, PING, may_receive
from .models import Delivery, Endpoint

log = logging.getLogger(__name__)

# After the first attempt fails, the next ones wait about this long (each 0.8 to 1.2 times,
# so that many deliveries failing together do not all come back at the same moment). After
# the last wait, one more attempt, then the delivery is marked failed: 6 attempts in all.
BACKOFF = [
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=12),
]
MAX_ATTEMPTS = len(BACKOFF) + 1
JITTER = 0.2
# An endpoint's page shows this many of its latest deliveries.
SHOWN_DELIVERIES = 20
# Endpoints one person may have: each event is sent to each, so more would only amplify.
MAX_ENDPOINTS = 10
# A test ping to one endpoint at most this often (counted in the shared cache).
PING_EVERY_SECONDS = 60
# The sweeper queues at most this many due deliveries a run (the next run takes the rest).
SWEEP_LIMIT = 2000


def lease() -> timedelta:
    """A worker that claimed a delivery and died is assumed dead after this long (longer than
    a delivery can take: connect and read timeouts for each address)."""
    return timedelta(seconds=settings.WEBHOOKS_LEASE_SECONDS)


class NotAllowed(Exception):
    """The user may not do this; the message says why, in plain English."""


class LimitReached(NotAllowed):
    """The user keeps the most endpoints allowed (the API answers 409, as for saved searches)."""


# Endpoints --------------------------------------------------------------------------------


def create_endpoint(
    user, url: str, events: Iterable[str], *, second_step: bool = False
) -> tuple[Endpoint, str]:
    """Add an endpoint for `user`; returns it and its secret (shown once, then only sealed).

    Raises Refused if the URL may not receive webhooks, NotAllowed for an event the user may
    not have (staff-only events, which also need `second_step`: whether the request passed
    the second step of signing in), LimitReached (a NotAllowed) past MAX_ENDPOINTS.
    """
    check_url(url)
    if Endpoint.objects.filter(user=user).count() >= MAX_ENDPOINTS:
        raise LimitReached(
            f"You already have {MAX_ENDPOINTS} webhooks, the most you can have. Delete one "
            "you no longer use, then add this one."
        )
    events = sorted(set(events))
    for name in events:
        if not may_receive(user, name, second_step=second_step):
            raise NotAllowed(f"You cannot receive “{name}” events.")
    secret = signing.new_secret()
    endpoint = Endpoint.objects.create(
        user=user,
        url=url.strip(),
        events=events,
        secret_sealed=signing.seal(secret),
        secret_hint=secret[-4:],
        second_step=second_step,
    )
    return endpoint, secret


def delete_endpoint(endpoint: Endpoint) -> None:
    """Delete the endpoint and its deliveries (a delivery being sent right now still goes)."""
    endpoint.delete()


PASSWORD_RESET_REASON = (
    "Turned off when the password of its account was reset, in case someone else added it. "
    "If it is yours, add it again."
)


def deactivate_all(user, reason: str) -> int:
    """Turn off every active endpoint of `user` (after a password reset), their waiting
    deliveries with them. The number turned off."""
    return sum(
        deactivate_endpoint(endpoint, reason)
        for endpoint in Endpoint.objects.filter(user=user, active=True)
    )


def deactivate_endpoint(endpoint: Endpoint, reason: str) -> bool:
    """Stop sending to the endpoint (staff, from the admin). Its waiting deliveries are marked
    failed. Returns False, changing nothing, if it was already inactive."""
    with transaction.atomic():
        changed = Endpoint.objects.filter(pk=endpoint.pk, active=True).update(
            active=False, deactivated_reason=reason[:300], updated_at=timezone.now()
        )
        if changed:
            endpoint.deliveries.filter(status=Delivery.Status.PENDING).update(
                status=Delivery.Status.FAILED,
                last_error="The endpoint was turned off.",
                updated_at=timezone.now(),
            )
    return bool(changed)


# Emitting events --------------------------------------------------------------------------


def _envelope(delivery_id: uuid.UUID, event: str, event_id: str, data: dict, at) -> dict:
    return {
        "id": str(delivery_id),
        "event": event,
        "event_id": event_id,
        "created_at": at.isoformat().replace("+00:00", "Z"),
        "data": data,
    }


def subscribers(event: str) -> set[int]:
    """The users with an active endpoint that wants `event`: so that a domain app can skip
    working out payloads nobody will receive (one query)."""
    rows = Endpoint.objects.active().values_list("user_id", "events")
    return {user for user, events in rows if event in (events or [])}


def emit(
    event: str,
    payload: dict,
    *,
    user_ids: Iterable[int],
    key: str,
    audience: Iterable[str] = (),
) -> int:
    """Queue `event` for every active endpoint of `user_ids` that wants it. See emit_many."""
    return emit_many(event, [(payload, user_ids, key, audience)])


def emit_many(event: str, items: list[tuple]) -> int:
    """Queue `event` once per item (payload, user ids, key[, audience]) for every active
    endpoint of those users that wants it (and whose owner may have it: staff-only events are
    checked again).

    `audience` names what the event is about ("kind:id" strings, webhooks.audiences, e.g.
    `[audiences.organisation(12)]`): when a delivery is sent, its endpoint's owner must still
    belong to one of them (a member who left the organisation meanwhile gets nothing).

    Idempotent: a delivery is unique per endpoint and key, so emitting the same key twice
    queues nothing the second time. Call it inside the transaction that made the change:
    the rows commit with it, and the tasks are queued after the commit (or by the sweeper).
    Returns how many deliveries it queued.
    """
    if event not in EVENTS:
        raise ValueError(f"Unknown webhook event {event!r}")
    items = [
        (item[0], set(item[1]), item[2], sorted(set(item[3])) if len(item) > 3 else [])
        for item in items
    ]
    everyone = set().union(*(item[1] for item in items)) if items else set()
    if not everyone:
        return 0
    endpoints = [
        e
        for e in Endpoint.objects.active().filter(user_id__in=everyone).select_related("user")
        if e.wants(event)
    ]
    allowed = {e.pk for e in endpoints if may_receive(e.user, event, second_step=e.second_step)}
    now = timezone.now()
    rows = []
    for payload, users, key, audience in items:
        for endpoint in endpoints:
            if endpoint.user_id in users and endpoint.pk in allowed:
                public_id = uuid.uuid4()
                rows.append(
                    Delivery(
                        public_id=public_id,
                        endpoint=endpoint,
                        event=event,
                        event_id=key[:200],
                        payload=_envelope(public_id, event, key[:200], payload, now),
                        audience=audience,
                        next_attempt_at=now,
                    )
                )
    if not rows:
        return 0
    Delivery.objects.bulk_create(rows, batch_size=500, ignore_conflicts=True)
    # Those that went in (not those already there): ignore_conflicts gives no ids back.
    wanted = [r.public_id for r in rows]
    ids: list[int] = []
    for start in range(0, len(wanted), 900):  # SQLite's limit on parameters
        ids += Delivery.objects.filter(public_id__in=wanted[start : start + 900]).values_list(
            "pk", flat=True
        )
    _queue(ids)
    return len(ids)


def _queue(ids: list[int]) -> None:
    from .tasks import deliver_webhook_task

    for pk in ids:
        enqueue(deliver_webhook_task, pk)


def reserve_ping(endpoint: Endpoint) -> int:
    """Take the endpoint's one ping of the minute: 0 if taken (send it), or the seconds to
    wait. Counted in the shared cache (cache.add is atomic), so every process sees it."""
    key = f"webhooks:ping:{endpoint.pk}"
    now = time.time()
    if cache.add(key, now, PING_EVERY_SECONDS):
        return 0
    since = cache.get(key, now)
    return max(1, math.ceil(since + PING_EVERY_SECONDS - now))


def send_ping(endpoint: Endpoint) -> Delivery:
    """Queue a test delivery ("ping") to the endpoint, whatever events it chose."""
    now = timezone.now()
    public_id = uuid.uuid4()
    key = f"ping:{public_id}"
    data = {"message": "A test from Cluster Exchange: your endpoint is set up."}
    with transaction.atomic():
        ping = Delivery.objects.create(
            public_id=public_id,
            endpoint=endpoint,
            event=PING,
            event_id=key,
            payload=_envelope(public_id, PING, key, data, now),
            next_attempt_at=now,
        )
        _queue([ping.pk])
    return ping


# Delivering -------------------------------------------------------------------------------


def _claim(delivery_id: int, now) -> Delivery | None:
    """Take the delivery for this attempt with one atomic update, or None if it is not due,
    done, or held by another worker whose lease is still fresh (the sweeper hands it on if
    that worker died)."""
    token = uuid.uuid4().hex
    claimed = Delivery.objects.filter(
        Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
        | Q(status=Delivery.Status.SENDING, claimed_at__lt=now - lease()),
        pk=delivery_id,
    ).update(status=Delivery.Status.SENDING, claimed_at=now, claimed_by=token, updated_at=now)
    if not claimed:
        return None
    return Delivery.objects.select_related("endpoint__user").get(pk=delivery_id, claimed_by=token)


def next_wait(attempts: int) -> timedelta | None:
    """How long to wait after `attempts` failed attempts; None: give up."""
    if attempts >= MAX_ATTEMPTS:
        return None
    base = BACKOFF[attempts - 1]
    return base * random.uniform(1 - JITTER, 1 + JITTER)


def deliver(delivery_id: int) -> str:
    """Send one delivery if it is due, and record what happened. Returns its status after.

    Safe to run twice or side by side: the row is claimed first, so two workers never send
    it at the same moment. A 2xx answer is delivered; anything else (another status, a
    timeout, a refused address) schedules the next attempt (BACKOFF), or marks it failed
    after MAX_ATTEMPTS. A worker killed after the receiver answered and before the row is
    marked leaves it "sending": after the lease it is sent again with the same delivery id
    (receivers drop ids they have seen; docs/api.md says so).
    """
    now = timezone.now()
    item = _claim(delivery_id, now)
    if item is None:
        status = Delivery.objects.filter(pk=delivery_id).values_list("status", flat=True)
        return status.first() or "missing"
    endpoint = item.endpoint
    if not endpoint.active:
        return _finish(item, Delivery.Status.FAILED, error="The endpoint was turned off.")
    refused = _no_longer_for_owner(item)
    if refused:
        return _finish(item, Delivery.Status.FAILED, error=refused)
    try:
        secret = signing.unseal(endpoint.secret_sealed)
    except ValueError as exc:
        return _finish(item, Delivery.Status.FAILED, error=str(exc))
    body = json.dumps(item.payload, separators=(",", ":"), sort_keys=True).encode()
    timestamp = str(int(time.time()))
    headers = {
        "X-Cluster-Exchange-Event": item.event,
        "X-Cluster-Exchange-Delivery": str(item.public_id),
        "X-Cluster-Exchange-Timestamp": timestamp,
        "X-Cluster-Exchange-Signature": signing.signature(secret, timestamp, body),
    }
    try:
        target = check_url(endpoint.url)  # again: what the name resolves to may have changed
        response = delivery.post(target, body, headers)
    except Refused as exc:
        return _failed_attempt(item, None, str(exc))
    except Exception as exc:  # timeouts, refused connections, TLS errors: try again later
        log.info("Webhook delivery %s failed: %s", item.pk, exc)
        return _failed_attempt(item, None, _short(exc))
    if 200 <= response.status < 300:
        return _finish(item, Delivery.Status.DELIVERED, code=response.status)
    return _failed_attempt(item, response.status, f"The server answered {response.status}.")


def _no_longer_for_owner(item: Delivery) -> str:
    """Why the endpoint's owner may no longer have this delivery ("" if they may): checked
    when it is sent, since it may have waited hours (retries) since the event."""
    owner = item.endpoint.user
    if not owner.is_active:
        return "Not sent: the endpoint's owner's account is no longer active."
    second_step = item.endpoint.second_step
    if item.event != PING and not may_receive(owner, item.event, second_step=second_step):
        return f"Not sent: the endpoint's owner may no longer receive “{item.event}” events."
    if item.audience and not audiences.belongs(owner.pk, item.audience):
        return (
            "Not sent: the endpoint's owner is no longer a member of the organisation "
            "(or cluster team) this event is about."
        )
    return ""


def _short(exc: Exception) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text[:300]


def _failed_attempt(item: Delivery, code: int | None, error: str) -> str:
    attempts = item.attempts + 1
    wait = next_wait(attempts)
    if wait is None:
        return _finish(item, Delivery.Status.FAILED, code=code, error=error, attempts=attempts)
    _mark(
        item,
        status=Delivery.Status.PENDING,
        attempts=attempts,
        last_status_code=code,
        last_error=error[:300],
        next_attempt_at=timezone.now() + wait,
    )
    return Delivery.Status.PENDING


def _finish(item, status: str, *, code=None, error: str = "", attempts=None) -> str:
    now = timezone.now()
    _mark(
        item,
        status=status,
        attempts=item.attempts + 1 if attempts is None else attempts,
        last_status_code=code,
        last_error=error[:300],
        delivered_at=now if status == Delivery.Status.DELIVERED else None,
    )
    return status


def _mark(item: Delivery, **fields) -> None:
    """Record the attempt, only if this attempt still holds the claim."""
    # Changes nothing if the endpoint (and so the delivery) was deleted meanwhile.
    Delivery.objects.filter(pk=item.pk, claimed_by=item.claimed_by).update(
        claimed_at=None, updated_at=timezone.now(), **fields
    )


def send_due(now=None) -> int:
    """Queue every delivery that is due, or claimed by a worker that seems to have died.

    Running it twice is harmless: each delivery is claimed before it is sent.
    """
    now = now or timezone.now()
    ids = list(
        Delivery.objects.filter(
            Q(status=Delivery.Status.PENDING, next_attempt_at__lte=now)
            | Q(status=Delivery.Status.SENDING, claimed_at__lt=now - lease())
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:SWEEP_LIMIT]
    )
    _queue(ids)
    return len(ids)


def recent_deliveries(endpoint: Endpoint):
    return endpoint.deliveries.order_by("-created_at", "-id")[:SHOWN_DELIVERIES]
