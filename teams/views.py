"""Pages for cluster teams: asking to join, the team's dashboard, and its challenges.

Every page of a team is looked up through the user's own approved place in that cluster's
team first, so anyone else (another cluster's team, a person still waiting, a member of an
organisation, staff without a place) gets a 404 with no extra checks.
"""

import re

from django.contrib import messages
from django.contrib.admin.models import LogEntry
from django.contrib.auth.decorators import login_required
from django.contrib.contenttypes.models import ContentType
from django.db.models import Count, Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from clusters.models import REF_PATTERN, Challenge, Cluster, Listing, Organisation
from clusters.services import NotAllowed
from introductions import services as introductions
from introductions.views import within_hourly_limit
from matching.services import challenge_suggestions

from . import services
from .forms import ChallengeForm, ChallengeReasonForm, IntroductionForm, TeamRequestForm
from .models import ClusterTeamMember, Shortlist


def _crumbs(*trail):
    return [("Home", reverse("home")), *trail]


def _my_team(request, slug) -> ClusterTeamMember:
    return get_object_or_404(
        ClusterTeamMember.objects.of_user(request.user)
        .approved()
        .select_related("cluster", "user"),
        cluster__slug=slug,
    )


def _team_challenge(member, ref) -> Challenge:
    return get_object_or_404(
        Challenge.objects.for_cluster(member.cluster).prefetch_related("themes"), ref=ref
    )


def _team_crumbs(member, *trail):
    return _crumbs(
        (member.cluster.name, member.cluster.get_absolute_url()),
        ("Cluster team", reverse("teams:dashboard", args=[member.cluster.slug])),
        *trail,
    )


@login_required
def join(request, slug):
    cluster = get_object_or_404(Cluster, slug=slug)
    form = TeamRequestForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.request_team_place(
                request.user, cluster, form.cleaned_data["body"], form.cleaned_data["message"]
            )
        except NotAllowed as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                f"You have asked to join the {cluster.name} team. Our team will check that you "
                "work for the cluster body, usually within 2 working days, and email you.",
            )
        return redirect("teams:join", slug=slug)
    places = ClusterTeamMember.objects.of_user(request.user).filter(cluster=cluster)
    return render(
        request,
        "teams/join.html",
        {
            "cluster": cluster,
            "form": form,
            "place": places.filter(status__in=["pending", "approved"]).first(),
            "crumbs": _crumbs(
                (cluster.name, cluster.get_absolute_url()), ("Join the cluster team", None)
            ),
        },
    )


@login_required
def dashboard(request, slug):
    member = _my_team(request, slug)
    published = Q(listings__status=Listing.Status.PUBLISHED)
    challenges = (
        Challenge.objects.for_cluster(member.cluster)
        .order_by("status", "-created_at", "ref")
        .annotate(
            offer_count=Count("listings", filter=published & Q(listings__kind="offer")),
            need_count=Count("listings", filter=published & Q(listings__kind="need")),
        )
    )
    shortlisted = dict(
        Shortlist.objects.filter(challenge__cluster=member.cluster)
        .values_list("challenge")
        .annotate(n=Count("pk"))
    )
    due_before = timezone.now() - services.REVIEW_AFTER
    rows = []
    for challenge in challenges:
        reviewed = challenge.last_reviewed_at or challenge.created_at
        rows.append(
            {
                "challenge": challenge,
                "shortlisted": shortlisted.get(challenge.pk, 0),
                "due": challenge.status == Challenge.Status.OPEN and reviewed <= due_before,
            }
        )
    return render(
        request,
        "teams/dashboard.html",
        {
            "member": member,
            "rows": rows,
            "crumbs": _crumbs(
                (member.cluster.name, member.cluster.get_absolute_url()), ("Cluster team", None)
            ),
        },
    )


def _challenge_form_page(request, member, form, challenge=None):
    heading = f"Change “{challenge.title}”" if challenge else "Post a challenge"
    return render(
        request,
        "teams/challenge_form.html",
        {
            "member": member,
            "form": form,
            "challenge": challenge,
            "heading": heading,
            "crumbs": _team_crumbs(member, (heading, None)),
        },
    )


@login_required
def challenge_create(request, slug):
    member = _my_team(request, slug)
    form = ChallengeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        challenge = services.save_challenge(
            form.save(commit=False), member, form.cleaned_data["themes"]
        )
        messages.success(request, "Your challenge is posted. It is on the public site now.")
        return redirect("teams:challenge", slug=slug, ref=challenge.ref)
    return _challenge_form_page(request, member, form)


@login_required
def challenge_edit(request, slug, ref):
    member = _my_team(request, slug)
    challenge = _team_challenge(member, ref)
    form = ChallengeForm(request.POST or None, instance=challenge)
    if request.method == "POST" and form.is_valid():
        services.save_challenge(form.save(commit=False), member, form.cleaned_data["themes"])
        messages.success(request, "Your changes have been saved.")
        return redirect("teams:challenge", slug=slug, ref=ref)
    return _challenge_form_page(request, member, form, challenge)


@login_required
def challenge_detail(request, slug, ref, reason_form=None):
    member = _my_team(request, slug)
    challenge = _team_challenge(member, ref)
    listings = list(
        Listing.objects.published()
        .filter(challenge=challenge)
        .select_related("organisation")
        .prefetch_related("themes")
        .order_by("-created_at")
    )
    shortlist = list(
        Shortlist.objects.filter(challenge=challenge)
        .select_related("listing__organisation", "added_by")
        .order_by("added_at")
    )
    history = (
        LogEntry.objects.filter(
            content_type=ContentType.objects.get_for_model(Challenge),
            object_id=str(challenge.pk),
        )
        .select_related("user")
        .order_by("-action_time")[:20]
    )
    return render(
        request,
        "teams/challenge_detail.html",
        {
            "member": member,
            "challenge": challenge,
            "offers": [x for x in listings if x.kind == Listing.Kind.OFFER],
            "needs": [x for x in listings if x.kind == Listing.Kind.NEED],
            "suggested": challenge_suggestions(challenge, top=10),
            "shortlist": shortlist,
            "shortlisted_ids": {entry.listing_id for entry in shortlist},
            "history": history,
            "reason_form": reason_form or ChallengeReasonForm(),
            "crumbs": _team_crumbs(member, (challenge.title, None)),
        },
    )


def _change_status(request, slug, ref, service, done: str):
    member = _my_team(request, slug)
    challenge = _team_challenge(member, ref)
    form = ChallengeReasonForm(request.POST)
    if not form.is_valid():
        return challenge_detail(request, slug, ref, reason_form=form)
    if service(challenge, member, form.cleaned_data["reason"]):
        messages.success(request, done)
    return redirect("teams:challenge", slug=slug, ref=ref)


@login_required
@require_POST
def challenge_close(request, slug, ref):
    return _change_status(request, slug, ref, services.close_challenge, "The challenge is closed.")


@login_required
@require_POST
def challenge_reopen(request, slug, ref):
    return _change_status(
        request, slug, ref, services.reopen_challenge, "The challenge is open again."
    )


@login_required
def challenge_review(request, slug, ref):
    """The page the review reminder links to: "Still open" or "Close it". GET only shows it."""
    member = _my_team(request, slug)
    challenge = _team_challenge(member, ref)
    if request.method == "POST":
        if challenge.status != Challenge.Status.OPEN:
            messages.info(
                request,
                "This challenge is closed already, so there is nothing to confirm. Reopen it "
                "from this page, with a reason, if it is still looking for offers.",
            )
        elif request.POST.get("answer") == "still-open":
            services.confirm_challenge_open(challenge, member)
            messages.success(request, "Thank you. We will ask again in 6 months.")
        elif request.POST.get("answer") == "close":
            services.close_challenge(
                challenge, member, "No longer open (answered the review reminder)."
            )
            messages.success(request, "The challenge is closed.")
        return redirect("teams:challenge", slug=slug, ref=ref)
    return render(
        request,
        "teams/challenge_review.html",
        {
            "member": member,
            "challenge": challenge,
            "crumbs": _team_crumbs(member, ("Is it still open?", None)),
        },
    )


def _posted_ref(request) -> str:
    """The listing reference a shortlist button sent; anything that is not a reference (a NUL
    character is a 500 on PostgreSQL) is "Page not found"."""
    value = request.POST.get("listing", "")
    if not re.fullmatch(REF_PATTERN, value):
        raise Http404("No such listing")
    return value


def _offer(listing_ref):
    return get_object_or_404(Listing.objects.published().offers(), ref=listing_ref)


@login_required
@require_POST
def shortlist_add(request, slug, ref):
    member = _my_team(request, slug)
    challenge = _team_challenge(member, ref)
    listing = _offer(_posted_ref(request))
    services.shortlist_offer(challenge, member, listing)
    messages.success(request, f"“{listing.title}” is on the shortlist.")
    return redirect(reverse("teams:challenge", args=[slug, ref]) + "#shortlist")


@login_required
@require_POST
def shortlist_remove(request, slug, ref):
    member = _my_team(request, slug)
    challenge = _team_challenge(member, ref)
    listing = get_object_or_404(
        Listing.objects.filter(pk__in=challenge.shortlist.values("listing")),
        ref=_posted_ref(request),
    )
    services.unshortlist_offer(challenge, member, listing)
    messages.success(request, f"“{listing.title}” is off the shortlist.")
    return redirect(reverse("teams:challenge", args=[slug, ref]) + "#shortlist")


@login_required
def introduce(request, slug, ref, listing_ref):
    """Ask for an introduction to a shortlisted offer's organisation, about the challenge.

    The request is made by introductions.services (double opt-in, limits, expiry), for one of
    the team member's own approved organisations. GET only shows the form.
    """
    member = _my_team(request, slug)
    challenge = _team_challenge(member, ref)
    entry = get_object_or_404(
        Shortlist.objects.filter(challenge=challenge).select_related("listing__organisation"),
        listing__ref=listing_ref,
    )
    target = entry.listing
    organisations = (
        Organisation.objects.of_member(request.user)
        .approved()
        .exclude(pk=target.organisation_id)
        .order_by("name")
    )
    # Nobody there to answer (most imported organisations have no members): said before the
    # form, with our Get in touch form instead, as on the listing's own page.
    _, answered = introductions.who_asks_and_answers(request.user, target)
    nobody = None if answered else introductions.nobody_to_answer(target)
    form = IntroductionForm(request.POST or None, organisations=organisations)
    if (
        request.method == "POST"
        and nobody is None
        and form.organisations
        and form.is_valid()
        and within_hourly_limit(request, form)
    ):
        try:
            introductions.request_introduction(
                request.user,
                organisation=form.cleaned_data["organisation"],
                target=target,
                message=form.cleaned_data["message"],
                about_challenge=challenge,
            )
        except introductions.NotAllowed as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(
                request,
                f"Your request has been sent to {target.organisation.name}. We will email "
                "you when they answer.",
            )
            return redirect(reverse("teams:challenge", args=[slug, ref]) + "#shortlist")
    return render(
        request,
        "teams/introduce.html",
        {
            "member": member,
            "challenge": challenge,
            "target": target,
            "form": form,
            "nobody": nobody,
            "crumbs": _team_crumbs(
                member,
                (challenge.title, reverse("teams:challenge", args=[slug, ref])),
                ("Ask for an introduction", None),
            ),
        },
    )
