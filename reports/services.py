"""Writes of reports: a visitor's report, and the staff decisions that close them."""

from django.db import transaction
from django.utils import timezone

from clusters import services as cluster_services
from clusters.models import Listing, Organisation

from .models import Report


class WrongKind(Exception):
    """The decision does not apply to this kind of report (e.g. taking an organisation down)."""


@transaction.atomic
def submit_report(target, *, reason: str, details: str, email: str = "", reporter=None) -> Report:
    """Save a report of a listing or an organisation, open, for staff to decide."""
    if isinstance(target, Listing):
        kind, listing, organisation = Report.Kind.LISTING, target, target.organisation
    elif isinstance(target, Organisation):
        kind, listing, organisation = Report.Kind.ORGANISATION, None, target
    else:
        raise TypeError(f"Cannot report {target!r}")
    if reporter is not None and not reporter.is_authenticated:
        reporter = None
    return Report.objects.create(
        kind=kind,
        listing=listing,
        organisation=organisation,
        reason=reason,
        details=details,
        email="" if reporter else email,
        reporter=reporter,
    )


def _close_all(
    report: Report, status: str, staff_user, reason: str, statuses=Report.OPEN_STATUSES
) -> int:
    """Close every open report (of `statuses`) on the same listing or organisation; return
    how many."""
    return (
        Report.objects.filter(status__in=statuses)
        .about(report.target)
        .update(
            status=status,
            decided_at=timezone.now(),
            decided_by=staff_user,
            decision_reason=reason,
        )
    )


def _lock(report: Report) -> Report:
    return (
        # Only the report's row: PostgreSQL cannot lock the nullable side of the outer join
        # to its listing (an organisation's report has none).
        Report.objects.select_for_update(of=("self",))
        .select_related("listing", "organisation")
        .get(pk=report.pk)
    )


def may_dismiss(report: Report, staff_user) -> bool:
    """Whether this person may dismiss this report: one referred to a programme admin is
    theirs, so only someone who may resolve reports dismisses it (outside probe, stop 30).
    The service, the admin's buttons and the staff API all ask here."""
    return report.status != Report.Status.REFERRED or staff_user.has_perm("reports.resolve_report")


@transaction.atomic
def dismiss_reports(report: Report, staff_user, reason: str) -> int:
    """No action needed: close the open reports on the same object, with the reason.

    Returns how many were closed: 0 if they were closed already (by this or another decision).
    Reports referred to a programme admin are theirs to decide: someone who may not resolve
    them (a moderator) neither dismisses one nor closes one with a new report on the same
    organisation (outside probe, stop 30).
    """
    report = _lock(report)
    if not report.is_open:
        return 0
    if not may_dismiss(report, staff_user):
        return 0
    # Someone who may not dismiss a referred report does not close one with this one either.
    closing = [r for r in Report.OPEN_STATUSES if may_dismiss(Report(status=r), staff_user)]
    return _close_all(report, Report.Status.DISMISSED, staff_user, reason, statuses=closing)


@transaction.atomic
def take_listing_down(report: Report, staff_user, reason: str) -> int:
    """Take the reported listing down (clusters' own service: its organisation is told the
    reason) and close every open report on it. Returns how many reports were closed."""
    report = _lock(report)
    if report.kind != Report.Kind.LISTING:
        raise WrongKind("Only a listing can be taken down.")
    if not report.is_open:
        return 0
    # False if staff took it down already (e.g. from the listing's own page): the reports
    # still close, as its organisation has been told once; also if its organisation has
    # withdrawn it since: nothing of it is public to take down.
    cluster_services.unpublish_listing(report.listing, staff_user, reason)
    return _close_all(report, Report.Status.TAKEN_DOWN, staff_user, reason)


@transaction.atomic
def refer_reports(report: Report, staff_user, reason: str) -> int:
    """Pass the open reports on an organisation to a programme admin, with a note; they stay
    in the queue as "referred". Returns how many were referred."""
    report = _lock(report)
    if report.kind != Report.Kind.ORGANISATION:
        raise WrongKind("Only reports of an organisation are referred.")
    if report.status != Report.Status.OPEN:
        return 0
    return (
        Report.objects.filter(status=Report.Status.OPEN)
        .about(report.target)
        .update(
            status=Report.Status.REFERRED,
            referred_at=timezone.now(),
            referred_by=staff_user,
            referral_reason=reason,
        )
    )


@transaction.atomic
def resolve_reports(report: Report, staff_user, reason: str) -> int:
    """A programme admin has dealt with it (e.g. contacted the organisation, or rejected it
    from its own page): close the open reports on the same object, saying what was done."""
    report = _lock(report)
    if not report.is_open:
        return 0
    return _close_all(report, Report.Status.RESOLVED, staff_user, reason)


# The decisions staff make on reports, by action name: the title written to the history and
# shown on the button, and the service. The admin's actions (reports/admin.py) and the staff
# API (staff/api/moderation.py) both read it.
DECISIONS = {
    "dismiss": ("Dismiss (no action needed)", dismiss_reports),
    "take_down": ("Take the listing down", take_listing_down),
    "refer": ("Refer to a programme admin", refer_reports),
    "resolve": ("Resolve (dealt with)", resolve_reports),
}
