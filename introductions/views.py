"""Pages for introductions: ask on a match, answer a request, and "Your introductions".

Every lookup is scoped to the user's own organisations first, so another organisation's
user gets a 404 without any extra checks.
"""

from allauth.core import ratelimit
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from clusters.models import Listing, Organisation

from . import services
from .forms import AskForm, DeclineForm, OutcomeForm, RequestForm
from .models import Introduction, Outcome


def within_hourly_limit(request, form) -> bool:
    """Count one request for an introduction against the person's hourly limit, in the
    cache every process shares (ACCOUNT_RATE_LIMITS["introduction"]). Over it, the form
    says so and False is returned: nothing is to be sent."""
    if ratelimit.consume(request, action="introduction", user=request.user):
        return True
    form.add_error(
        None,
        "You have asked for many introductions in the last hour. Nothing has been sent this "
        "time. Wait an hour and try again.",
    )
    return False


UNVERIFIED = (
    "Confirm your email address before you {what}: we have sent you a link. Check your inbox."
)


def _page(request, template, context):
    return render(request, template, {"nav_section": "organisation", **context})


def _crumbs(organisation, *trail):
    return [
        ("Home", reverse("home")),
        (organisation.name, reverse("clusters:organisation-detail", args=[organisation.ref])),
        *trail,
    ]


def _verified(user) -> bool:
    return services.has_confirmed_own_address(user)


@login_required
def request_introduction(request, ref, target):
    """Ask from a match: about the user's listing that the matcher paired with `target`."""
    listing = get_object_or_404(
        Listing.objects.editable_by(request.user).select_related("organisation"), ref=ref
    )
    match = get_object_or_404(
        listing.matches.visible().select_related("target__organisation"), target__ref=target
    )
    organisation = listing.organisation
    form = RequestForm(request.POST or None)
    about = {"organisation": organisation, "target": match.target, "about_listing": listing}
    blocked, contact_team = None, False
    try:
        services.check_can_request(request.user, **about)
    except services.NotAllowed as exc:
        blocked, contact_team = str(exc), isinstance(exc, services.NobodyToAnswer)
    if (
        request.method == "POST"
        and blocked is None
        and form.is_valid()
        and within_hourly_limit(request, form)
    ):
        try:
            services.request_introduction(
                request.user, message=form.cleaned_data["message"], **about
            )
        except services.NotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Your request has been sent to {match.target.organisation.name}. We will email "
                "you if they accept.",
            )
            return redirect("introductions:list", ref=organisation.ref)
    return _page(
        request,
        "introductions/introduction_request.html",
        {
            "form": form,
            "blocked": blocked,
            "contact_team": contact_team,
            "listing": listing,
            "target": match.target,
            "organisation": organisation,
            "crumbs": _crumbs(
                organisation,
                ("Your matches", reverse("matching:organisation", args=[organisation.ref])),
                ("Ask for an introduction", None),
            ),
        },
    )


@login_required
def ask_about_listing(request, ref):
    """The page behind "Ask for an introduction" on any published listing's page."""
    target = get_object_or_404(Listing.objects.published().select_related("organisation"), ref=ref)
    organisations, answered = services.who_asks_and_answers(request.user, target)
    why_not = services.why_cannot_ask(target, organisations, answered=answered)
    contact_team = services.contact_team_instead(target, organisations, answered=answered)
    form = None
    if organisations and why_not is None:
        form = AskForm(
            request.POST or None,
            organisations=[
                o for o in organisations if o.is_approved and o.pk != target.organisation_id
            ],
        )
        if not form.is_bound and len(form.organisations) == 1:
            # One organisation: say now if it cannot ask, rather than after the message.
            try:
                services.check_can_request(
                    request.user, organisation=form.organisations[0], target=target
                )
            except services.NotAllowed as exc:
                why_not = str(exc)
                contact_team = isinstance(exc, services.NobodyToAnswer)
    if (
        request.method == "POST"
        and why_not is None
        and form is not None
        and form.is_valid()
        and within_hourly_limit(request, form)
    ):
        organisation = form.cleaned_data["organisation"]
        try:
            services.request_introduction(
                request.user,
                organisation=organisation,
                target=target,
                message=form.cleaned_data["message"],
                about_listing=form.cleaned_data["about_listing"],
            )
        except services.NotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Your request has been sent to {target.organisation.name}. We will email "
                "you if they accept.",
            )
            return redirect("introductions:list", ref=organisation.ref)
    return render(
        request,
        "introductions/introduction_ask.html",
        {
            "nav_section": "offers" if target.kind == Listing.Kind.OFFER else "needs",
            "form": form,
            "why_not": why_not,
            "contact_team": contact_team,
            "organisations": organisations,
            "target": target,
            "crumbs": [
                ("Home", reverse("home")),
                ("Offers", reverse("clusters:offer-list"))
                if target.kind == Listing.Kind.OFFER
                else ("Needs", reverse("clusters:need-list")),
                (target.title, target.get_absolute_url()),
                ("Ask for an introduction", None),
            ],
        },
    )


def _with_our_outcomes(introductions, organisation) -> list:
    """The introductions, each with `our_outcome`: this organisation's answer, or None."""
    introductions = list(introductions)
    ours = {
        o.introduction_id: o
        for o in Outcome.objects.filter(
            organisation=organisation,
            introduction__in=[i.pk for i in introductions if i.is_accepted],
        )
    }
    for introduction in introductions:
        introduction.our_outcome = ours.get(introduction.pk)
    return introductions


@login_required
def organisation_introductions(request, ref):
    organisation = get_object_or_404(Organisation.objects.of_member(request.user), ref=ref)
    introductions = Introduction.objects.with_details()
    return _page(
        request,
        "introductions/introduction_list.html",
        {
            "organisation": organisation,
            "received": _with_our_outcomes(introductions.received_by(organisation), organisation),
            "sent": _with_our_outcomes(introductions.sent_by(organisation), organisation),
            "crumbs": _crumbs(organisation, ("Your introductions", None)),
        },
    )


def _detail_page(request, introduction, decline_form=None):
    mine = Organisation.objects.of_member(request.user)
    received = mine.filter(pk=introduction.to_organisation_id).exists()
    organisation = introduction.to_organisation if received else introduction.from_organisation
    our_outcome = None
    if introduction.is_accepted:
        our_outcome = Outcome.objects.filter(
            introduction=introduction, organisation=organisation
        ).first()
    return _page(
        request,
        "introductions/introduction_detail.html",
        {
            "introduction": introduction,
            "received": received,
            "organisation": organisation,
            "status": introduction.status_for_recipient
            if received
            else introduction.status_for_requester,
            "can_answer": received
            and introduction.is_awaiting_reply
            and introduction.requested_by_id != request.user.pk,
            "form": decline_form or DeclineForm(asking=introduction.from_organisation.name),
            "our_outcome": our_outcome,
            "outcome_form": OutcomeForm(
                initial={"result": our_outcome.result if our_outcome else None}
            ),
            "crumbs": _crumbs(
                organisation,
                ("Your introductions", reverse("introductions:list", args=[organisation.ref])),
                ("Introduction", None),
            ),
        },
    )


@login_required
def introduction_detail(request, public_id):
    introduction = get_object_or_404(
        Introduction.objects.visible_to(request.user).with_details(), public_id=public_id
    )
    return _detail_page(request, introduction)


def _answerable(request, public_id):
    return get_object_or_404(
        Introduction.objects.answerable_by(request.user).with_details(), public_id=public_id
    )


@login_required
@require_POST
def accept(request, public_id):
    introduction = _answerable(request, public_id)
    if not _verified(request.user):
        messages.error(request, UNVERIFIED.format(what="accept an introduction"))
        return redirect(introduction)
    try:
        services.accept_introduction(introduction, request.user)
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"You have accepted. We have emailed you and {introduction.from_organisation.name} "
            "each other’s contact details.",
        )
    return redirect(introduction)


@login_required
@require_POST
def decline(request, public_id):
    introduction = _answerable(request, public_id)
    form = DeclineForm(request.POST, asking=introduction.from_organisation.name)
    if not form.is_valid():
        return _detail_page(request, introduction, form)
    try:
        services.decline_introduction(introduction, request.user, tell_now=form.tell_now)
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
        return redirect(introduction)
    when = "now" if form.tell_now else "in 14 days"
    messages.success(
        request,
        f"You have declined. {introduction.from_organisation.name} will see that it was not "
        f"taken forward {when}. We do not email them.",
    )
    return redirect("introductions:list", ref=introduction.to_organisation.ref)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def outcome(request, public_id):
    """What came of an accepted introduction, for the user's side. A GET only shows the
    question (mail scanners follow the emailed link); the POST records the answer."""
    introduction = get_object_or_404(
        Introduction.objects.visible_to(request.user).accepted().with_details(),
        public_id=public_id,
    )
    organisation = services.side_of(introduction, request.user)
    other = (
        introduction.from_organisation
        if organisation.pk == introduction.to_organisation_id
        else introduction.to_organisation
    )
    ours = Outcome.objects.filter(introduction=introduction, organisation=organisation).first()
    if request.method == "POST":
        form = OutcomeForm(request.POST)
        if form.is_valid():
            try:
                services.record_outcome(introduction, request.user, form.cleaned_data["result"])
            except services.NotAllowed as exc:
                form.add_error(None, str(exc))
            else:
                messages.success(
                    request,
                    f"Thank you. We have recorded what came of your introduction to "
                    f"{other.name}. You can change it here at any time.",
                )
                return redirect(introduction)
    else:
        form = OutcomeForm(initial={"result": ours.result if ours else None})
    return _page(
        request,
        "introductions/introduction_outcome.html",
        {
            "introduction": introduction,
            "organisation": organisation,
            "other": other,
            "our_outcome": ours,
            "form": form,
            "crumbs": _crumbs(
                organisation,
                ("Your introductions", reverse("introductions:list", args=[organisation.ref])),
                ("Introduction", introduction.get_absolute_url()),
                ("What came of it", None),
            ),
        },
    )
