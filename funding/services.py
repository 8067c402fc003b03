"""Writes of funding calls: closing at the deadline, and staff closing or reopening a call."""

from datetime import date

from django.db import transaction
from django.utils import timezone

from .models import FundingCall


class CannotReopen(Exception):
    """A call past its deadline cannot be reopened: move the deadline first."""


def close_calls_past_deadline(today: date | None = None) -> int:
    """Close every open call whose deadline has passed; return how many were closed.

    Idempotent and safe side by side: one conditional UPDATE, so a call already closed
    (by an earlier run, another worker or staff) is not touched again.
    """
    return FundingCall.objects.past_deadline(today).update(
        status=FundingCall.Status.CLOSED, closed_at=timezone.now(), updated_at=timezone.now()
    )


@transaction.atomic
def close_call(call: FundingCall) -> bool:
    """Close a call now (staff). Returns False if it was already closed (nothing changes)."""
    changed = FundingCall.objects.filter(pk=call.pk, status=FundingCall.Status.OPEN).update(
        status=FundingCall.Status.CLOSED, closed_at=timezone.now(), updated_at=timezone.now()
    )
    call.refresh_from_db(fields=["status", "closed_at", "updated_at"])
    return bool(changed)


@transaction.atomic
def reopen_call(call: FundingCall) -> bool:
    """Reopen a closed call (staff). Returns False if it was already open.

    Raises CannotReopen if its deadline has passed: it would only close again tonight.
    """
    if call.deadline < timezone.localdate():
        raise CannotReopen(
            f"“{call.name}” cannot be reopened: its deadline, {call.deadline:%-d %B %Y}, has "
            "passed. Change the deadline first, then reopen it."
        )
    changed = FundingCall.objects.filter(pk=call.pk, status=FundingCall.Status.CLOSED).update(
        status=FundingCall.Status.OPEN, closed_at=None, updated_at=timezone.now()
    )
    call.refresh_from_db(fields=["status", "closed_at", "updated_at"])
    return bool(changed)
