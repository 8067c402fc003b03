"""Pages for signed-in members: their organisation, its members, and its offers and needs.

Every lookup is scoped to the user's own organisations first, so another organisation's
user gets a 404 without any extra checks.
"""

import time
from copy import copy

from allauth.account import app_settings as allauth_settings
from allauth.account.adapter import get_adapter as get_account_adapter
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, Subquery
from django.forms.utils import ErrorDict
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import dateformat, timezone
from django.views.decorators.http import require_http_methods, require_POST

from config.confirmation import ask_to_confirm, recently_confirmed

from . import services
from .forms import (
    FindOrganisationForm,
    InviteForm,
    JoinRequestForm,
    ListingForm,
    OrganisationAdminForm,
    OrganisationForm,
    ReviewRequestForm,
)
from .models import (
    Challenge,
    JoinRequest,
    Listing,
    Membership,
    Organisation,
)


def matches_for_form(form, organisation):
    from matching.services import preview_for_draft

    return preview_for_draft(form, organisation)


def _crumbs(*trail):
    return [("Home", reverse("home")), *trail]


def _page(request, template, context):
    return render(request, template, {"nav_section": "organisation", **context})


def _my_organisation(request, ref):
    return get_object_or_404(Organisation.objects.of_member(request.user), ref=ref)


def _membership(request, organisation):
    return Membership.objects.get(user=request.user, organisation=organisation)


def _require_admin(request, organisation) -> None:
    """Pages for the organisation's admins: to anyone else, as if there were none (404)."""
    if not _membership(request, organisation).is_admin:
        raise Http404


def _require_verified(request):
    return services.has_verified_email(request.user)


@login_required
def dashboard(request):
    """Send the user to their organisation, or to the step that gets them one."""
    organisations = list(Organisation.objects.of_member(request.user))
    if not organisations:
        return redirect("clusters:organisation-start")
    if len(organisations) == 1:
        return redirect("clusters:organisation-detail", ref=organisations[0].ref)
    return _page(
        request,
        "clusters/organisation_choose.html",
        {"organisations": organisations, "crumbs": _crumbs(("Your organisations", None))},
    )


@login_required
def organisation_start(request):
    return _page(
        request,
        "clusters/organisation_start.html",
        {
            "pending_requests": JoinRequest.objects.filter(
                user=request.user, status=JoinRequest.Status.OPEN
            ).select_related("organisation"),
            "organisations": Organisation.objects.of_member(request.user),
            "invitations": services.invitations_for(request.user),
            "crumbs": _crumbs(("Your organisation", None)),
        },
    )


@login_required
@require_POST
def accept_invitation_to_me(request, pk):
    """ "Join" beside an invitation listed on "Your organisation" (services.invitations_for):
    for someone who confirmed the invited address without the emailed link at hand."""
    invitation = get_object_or_404(services.invitations_for(request.user), pk=pk)
    try:
        services.accept_invitation(invitation, request.user)
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("clusters:organisation-start")
    messages.success(request, f"You are now a member of {invitation.organisation.name}.")
    return redirect("clusters:organisation-detail", ref=invitation.organisation.ref)


@login_required
def organisation_create(request):
    form = OrganisationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = {k: v for k, v in form.cleaned_data.items() if k != "clusters"}
        organisation = services.create_organisation(
            request.user, data, form.cleaned_data["clusters"]
        )
        messages.success(
            request,
            f"{organisation.name} has been created. Our team will check it, usually within 2 "
            "working days. You can write offers and needs now: they are published once it is "
            "approved.",
        )
        return redirect("clusters:organisation-detail", ref=organisation.ref)
    return _page(
        request,
        "clusters/organisation_form.html",
        {
            "form": form,
            "heading": "Register your organisation",
            "button": "Register organisation",
            "crumbs": _crumbs(
                ("Your organisation", reverse("clusters:organisation-start")),
                ("Register your organisation", None),
            ),
        },
    )


JOIN_RESULTS = 20  # organisations shown for one search on "Join an organisation"


def _joinable(q: str, *, any_approved: bool = False):
    """The organisations a search for `q` finds on "Join an organisation": approved ones
    whose name contains it (or all of them, `any_approved`), and ones waiting for our
    approval only when `q` is their whole name (ignoring capitals and extra spaces).
    Colleagues who know the name can ask to join a new organisation before it is approved,
    but its name is not public: nobody can list the organisations waiting by searching for
    a few letters, or reach one by its reference alone (attacker probe, stop 26)."""
    q = " ".join(q.split())
    approved = Q(status=Organisation.Status.APPROVED)
    if not any_approved:
        approved &= Q(name__icontains=q)
    pending = Q(status=Organisation.Status.PENDING, name__iexact=q)
    return Organisation.objects.filter((approved | pending) if q else approved)


@login_required
def organisation_join(request):
    find = FindOrganisationForm(request.GET or None)
    results, matching = [], 0
    if find.is_valid():
        found = (
            _joinable(find.cleaned_data["q"])
            .exclude(pk__in=Organisation.objects.of_member(request.user).values("pk"))
            .annotate(
                can_let_in=Exists(services.join_deciders().filter(organisation=OuterRef("pk"))),
                # A request of theirs still waiting: said in place of "Ask to join" (it was
                # offered again as if never asked: newcomer probe, stop 28).
                asked_on=Subquery(
                    JoinRequest.objects.filter(
                        user=request.user,
                        organisation=OuterRef("pk"),
                        status=JoinRequest.Status.OPEN,
                    )
                    .order_by("-created_at")
                    .values("created_at")[:1]
                ),
            )
            .order_by("name")
        )
        results = list(found[:JOIN_RESULTS])
        # The true count: "20 found" when 44 matched hid the rest (newcomer probe).
        matching = len(results) if len(results) < JOIN_RESULTS else found.count()
    # One form per organisation found, each with its own ids: with one form, every card's
    # label pointed at the first card's box (newcomer probe). The one posted keeps its errors.
    posted = request.POST.get("organisation") if request.method == "POST" else None
    form = JoinRequestForm(request.POST or None, auto_id=f"id_{posted}_%s" if posted else "id_%s")
    if request.method == "POST":
        # The search the button came from: an organisation waiting for approval is found
        # only by its whole name, so its reference alone does not reach it.
        ref = request.POST.get("organisation", "")
        if "\x00" in ref:  # no reference has one, and PostgreSQL refuses it (tests/fuzz)
            raise Http404
        organisation = get_object_or_404(
            _joinable(request.GET.get("q", ""), any_approved=True), ref=ref
        )
        if form.is_valid():
            try:
                asked = services.request_to_join(
                    request.user, organisation, form.cleaned_data["message"]
                )
            except services.NotAllowed as exc:
                messages.error(request, str(exc))
            else:
                if not asked.sent_now:  # (the page no longer offers to ask twice: a replay)
                    messages.info(
                        request,
                        f"You asked to join {organisation.name} on "
                        f"{timezone.localtime(asked.created_at):%-d %B %Y}, and its admins have "
                        "not decided yet: nothing new was sent. We will email you when they "
                        "decide.",
                    )
                    return redirect("clusters:organisation-start")
                messages.success(
                    request,
                    f"Your request to join {organisation.name} has been sent to its admins. "
                    "We will email you when they decide.",
                )
            return redirect("clusters:organisation-start")
    # An organisation with nobody to decide says so, and what to do instead, in place of
    # its form (most imported organisations have no members: newcomer probe).
    cards = [
        (
            org,
            form if org.ref == posted else JoinRequestForm(auto_id=f"id_{org.ref}_%s"),
            None if org.can_let_in else services.nobody_to_let_in(org),
        )
        for org in results
    ]
    return _page(
        request,
        "clusters/organisation_join.html",
        {
            "find": find,
            "form": form,
            "cards": cards,
            "matching": matching,
            "shown": JOIN_RESULTS,
            "crumbs": _crumbs(
                ("Your organisation", reverse("clusters:organisation-start")),
                ("Join an organisation", None),
            ),
        },
    )


@login_required
def organisation_detail(request, ref):
    organisation = _my_organisation(request, ref)
    # Back from the password page (organisation_invite): the address typed is put back in
    # the box, once, for "Send invitation" to be pressed again; nothing is sent by this GET.
    typed = InviteForm({"email": _typed_back(request, organisation)})
    return _organisation_page(
        request,
        organisation,
        InviteForm(initial={"email": typed.cleaned_data["email"]} if typed.is_valid() else None),
    )


def _organisation_page(request, organisation, invite_form, status=200):
    membership = _membership(request, organisation)
    listings = organisation.listings.order_by("-updated_at").prefetch_related("themes")
    by_status = {status: [] for status, _ in Listing.Status.choices}
    for listing in listings:
        by_status[listing.status].append(listing)
    members = list(organisation.memberships.select_related("user").order_by("created_at"))
    return render(
        request,
        "clusters/organisation_detail.html",
        {
            "nav_section": "organisation",
            "organisation": organisation,
            "membership": membership,
            "listing_groups": [
                (label, by_status[status]) for status, label in Listing.Status.choices
            ],
            "listing_count": sum(len(v) for v in by_status.values()),
            "members": members,
            # An admin may step down while another admin who can sign in stays.
            "may_step_down": membership.is_admin and services.may_step_down(members, membership),
            "join_requests": organisation.join_requests.filter(
                status=JoinRequest.Status.OPEN
            ).select_related("user")
            if membership.is_admin
            else [],
            "invite_form": invite_form,
            "invite_blocked": _invite_blocked(organisation),
            "waiting_invitations": services.waiting_invitations(
                organisation, request.user, is_admin=membership.is_admin
            ),
            "verified": _require_verified(request),
            "last_change": organisation.changes.order_by("-created_at").first(),
            "crumbs": _crumbs((organisation.name, None)),
        },
        status=status,
    )


@login_required
def organisation_edit(request, ref):
    organisation = _my_organisation(request, ref)
    waiting = organisation.changes.open().first()
    # The form shows the name and website asked for, so saving another field keeps them.
    initial = {"name": waiting.name, "website": waiting.website} if waiting else None
    # Only the organisation's admins see (and can send) the logo fields.
    is_admin = _membership(request, organisation).is_admin
    form_class = OrganisationAdminForm if is_admin else OrganisationForm
    form = form_class(
        request.POST or None,
        request.FILES or None,
        instance=organisation,
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        logo = form.cleaned_data.pop("logo", None)
        remove_logo = form.cleaned_data.pop("remove_logo", False)
        data = {k: v for k, v in form.cleaned_data.items() if k != "clusters"}
        with transaction.atomic():
            held = services.update_organisation(
                organisation, request.user, data, form.cleaned_data["clusters"]
            )
            if logo is not None:
                services.set_organisation_logo(organisation, request.user, logo)
            elif remove_logo:
                services.remove_organisation_logo(organisation, request.user)
        if held:
            messages.success(
                request,
                "Your changes have been saved. The new name or website is waiting for review "
                "by our team: until they approve it, the current name and website are shown.",
            )
        else:
            messages.success(request, "Your organisation’s details have been saved.")
        return redirect("clusters:organisation-detail", ref=organisation.ref)
    return _page(
        request,
        "clusters/organisation_form.html",
        {
            "form": form,
            "waiting_change": waiting,
            "heading": f"Change {organisation.name}’s details",
            "button": "Save changes",
            "crumbs": _crumbs(
                (organisation.name, reverse("clusters:organisation-detail", args=[ref])),
                ("Change details", None),
            ),
        },
    )


def _invite_blocked(organisation) -> str | None:
    """Why the organisation cannot invite anyone now, in plain English; None if it can."""
    try:
        services.check_can_invite(organisation)
    except services.NotAllowed as exc:
        return str(exc)
    return None


def _typed_key(organisation) -> str:
    return f"invite-typed:{organisation.ref}"


def _typed_back(request, organisation) -> str:
    """The address typed before the password was asked for, once the password is given.

    Opened before (Back, another tab), the page neither shows it nor uses it up (re-probe,
    stop 30); and it waits no longer than the password would count (5 minutes): left in the
    session, one typed by whoever had it came back days later, one press from being sent
    (review)."""
    key = _typed_key(organisation)
    stored = request.session.get(key)
    if not isinstance(stored, dict):
        request.session.pop(key, None)
        return ""
    if time.time() - stored.get("at", 0) > allauth_settings.REAUTHENTICATION_TIMEOUT:
        request.session.pop(key, None)
        return ""
    if not recently_confirmed(request):
        return ""
    request.session.pop(key, None)
    return str(stored.get("email", ""))[:254]


def _confirm_first(request, organisation, typed: str = "") -> HttpResponse | None:
    """A new member outlives the session that let them in: with a session left open or
    stolen, an outsider could be invited, or their request to join approved, and then keep
    seeing the organisation's drafts, matches and introductions (outside probe, stop 29). So
    the password first (config.confirmation), then back to the organisation's page, which
    puts the address `typed` back in the box. The address waits in the session, not in the
    page's address: an address there reached access logs and browser history, and anyone
    could send an admin a link with an address filled in (stop 29's own follow-up)."""
    page = reverse("clusters:organisation-detail", kwargs={"ref": organisation.ref})
    asked = ask_to_confirm(request, f"{page}#invite" if typed else page)
    if asked is not None and typed:
        request.session[_typed_key(organisation)] = {"email": typed, "at": time.time()}
    return asked


@login_required
@require_POST
def organisation_invite(request, ref):
    organisation = _my_organisation(request, ref)
    # Not the password first if it cannot invite anyone yet (review): the form says why.
    typed = request.POST.get("email", "")[:254]
    if _invite_blocked(organisation) is None and (
        asked := _confirm_first(request, organisation, typed)
    ):
        return asked
    form = InviteForm(request.POST)
    if form.is_valid():
        try:
            services.invite_member(organisation, request.user, form.cleaned_data["email"])
        except services.NotAllowed as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(
                request, f"An invitation has been emailed to {form.cleaned_data['email']}."
            )
            return redirect("clusters:organisation-detail", ref=ref)
    # The page again, with the error at the box and in the summary, and what was typed kept
    # (it was a banner above an empty box: newcomer probe).
    return _organisation_page(request, organisation, form)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def invitation_cancel(request, ref, pk):
    """ "Cancel invitation" beside one listed as waiting (services.waiting_invitations): a
    page that asks first (GET changes nothing), then the cancelling (POST). A mistake stops
    the address being invited again for up to a day, so the page says so before."""
    organisation = _my_organisation(request, ref)
    invitation = get_object_or_404(organisation.invitations, pk=pk)
    if request.method != "POST":
        if not services.may_cancel_invitation(invitation, request.user):
            raise Http404  # not theirs to see: as for any other organisation's
        if invitation.accepted_at is not None or invitation.cancelled_at is not None:
            messages.info(
                request,
                f"The invitation to {invitation.email} was already used or cancelled: there "
                "is nothing to cancel.",
            )
            return redirect("clusters:organisation-detail", ref=ref)
        return render(
            request,
            "clusters/invitation_cancel.html",
            {
                "organisation": organisation,
                "invitation": invitation,
                "invite_again_from": invitation.sent_at + services.INVITATION_RESEND_AFTER,
                "now": timezone.now(),  # a date already past is not said (review)
                "nav_section": "organisation",
            },
        )
    try:
        cancelled = services.cancel_invitation(invitation, request.user)
    except services.NotAllowed:
        raise Http404 from None  # not theirs to see: as for any other organisation's
    if cancelled:
        messages.success(
            request,
            f"The invitation to {invitation.email} is cancelled: its link no longer works.",
        )
    else:
        messages.info(
            request,
            f"The invitation to {invitation.email} was already used or cancelled: nothing "
            "was changed.",
        )
    return redirect("clusters:organisation-detail", ref=ref)


@login_required
@require_POST
def join_request_decide(request, ref, public_id):
    organisation = _my_organisation(request, ref)
    _require_admin(request, organisation)
    if asked := _confirm_first(request, organisation):
        return asked
    join_request = get_object_or_404(
        organisation.join_requests.select_related("user"), public_id=public_id
    )
    decision = request.POST.get("decision")
    if decision not in ("approve", "decline"):
        # Anything else declined, and blocked the person for a month (re-probe, stop 28).
        messages.error(request, "Choose to let them join or to decline: nothing was changed.")
        return redirect("clusters:organisation-detail", ref=ref)
    approve = decision == "approve"
    try:
        decided = services.decide_join_request(join_request, request.user, approve)
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("clusters:organisation-detail", ref=ref)
    if not decided:
        # Decided already (by another admin, or this page sent twice): say what it is now.
        join_request.refresh_from_db()
        outcome = "approved" if join_request.status == JoinRequest.Status.APPROVED else "declined"
        messages.info(
            request,
            f"{join_request.user.name}'s request was already {outcome}: nothing was changed.",
        )
        return redirect("clusters:organisation-detail", ref=ref)
    messages.success(
        request,
        f"{join_request.user.name} {'is now a member' if approve else 'has been told no'}.",
    )
    return redirect("clusters:organisation-detail", ref=ref)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def member_remove(request, ref, pk):
    """ "Remove" beside a member, for admins: a page that says what it means (GET changes
    nothing), then the removing (POST), after the password if not given lately: a session
    left open must not be enough to lock colleagues out."""
    organisation = _my_organisation(request, ref)
    _require_admin(request, organisation)
    member = get_object_or_404(organisation.memberships.select_related("user"), pk=pk)
    if member.user_id == request.user.pk:
        return redirect("clusters:organisation-leave", ref=ref)
    # The password first, then back to this page (which asks again before anything is done).
    if asked := ask_to_confirm(request, request.path):
        return asked
    if request.method != "POST":
        return _page(
            request,
            "clusters/member_remove.html",
            {"organisation": organisation, "member": member},
        )
    try:
        services.remove_member(member, request.user)
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, f"{member.user.name} is no longer a member of {organisation.name}."
        )
    return redirect("clusters:organisation-detail", ref=ref)


@login_required
@require_POST
def member_role(request, ref, pk):
    """ "Make admin" / "Make member" beside a member, for admins (after the password if not
    given lately: an admin can do everything an organisation can)."""
    organisation = _my_organisation(request, ref)
    _require_admin(request, organisation)
    member = get_object_or_404(organisation.memberships.select_related("user"), pk=pk)
    if asked := _confirm_first(request, organisation):
        return asked
    role = request.POST.get("role", "")
    try:
        changed = services.set_member_role(member, request.user, role)
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("clusters:organisation-detail", ref=ref)
    who = "You are" if member.user_id == request.user.pk else f"{member.user.name} is"
    now = "an admin" if role == Membership.Role.ADMIN else "a member, not an admin"
    if changed:
        messages.success(request, f"{who} now {now}.")
    else:
        messages.info(request, f"{who} {now} already: nothing was changed.")
    return redirect("clusters:organisation-detail", ref=ref)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def organisation_leave(request, ref):
    """ "Leave this organisation": a page that says what it means and whether one may (GET
    changes nothing), then the leaving (POST)."""
    organisation = _my_organisation(request, ref)
    membership = _membership(request, organisation)
    if request.method == "POST":
        try:
            services.leave_organisation(membership)
        except services.NotAllowed as exc:
            messages.error(request, str(exc))
            return redirect("clusters:organisation-detail", ref=ref)
        messages.success(request, f"You have left {organisation.name}.")
        return redirect("clusters:dashboard")
    members = list(organisation.memberships.select_related("user"))
    return _page(
        request,
        "clusters/organisation_leave.html",
        {
            "organisation": organisation,
            "membership": membership,
            "blocked": services.why_cannot_leave(members, membership, organisation),
            "only_member": len(members) == 1,
        },
    )


def invitation(request, token):
    invitation = services.open_invitation(token)
    if invitation is None:
        # Signed in or out, the same page: it says what to do next (a plain "Page not
        # found" did not, newcomer probe); a wrong token tells nobody anything.
        return render(request, "clusters/invitation_bad_link.html", status=404)
    if not request.user.is_authenticated:
        # The sign-up form offers the invited address (newcomer probe); it is not taken as
        # confirmed for that (accounts.adapter.AccountAdapter.is_email_verified).
        get_account_adapter(request).stash_verified_email(request, invitation.email)
        # Say what the link is for, and offer both ways in (newcomer probe: a plain sign-in
        # page, with "create an account" a small link, for someone who has no account yet).
        return render(
            request,
            "clusters/invitation.html",
            {"invitation": invitation, "signed_out": True, "next": request.get_full_path()},
        )
    error = None
    if request.method == "POST":
        try:
            services.accept_invitation(invitation, request.user)
        except services.NotAllowed as exc:
            error = str(exc)
        else:
            messages.success(request, f"You are now a member of {invitation.organisation.name}.")
            return redirect("clusters:organisation-detail", ref=invitation.organisation.ref)
    return _page(
        request,
        "clusters/invitation.html",
        {"invitation": invitation, "error": error, "crumbs": _crumbs(("Invitation", None))},
    )


# Listings ------------------------------------------------------------------------------


def _previews_then_no_errors(form, organisation):
    """What "Check for matches" finds for what was typed (form.data), leaving the form
    without errors: a check is not a save, and the errors of a half-written draft ("There is
    a problem", an "Error:" title) came back at the results, at the end of the page (review,
    stop 30)."""
    previews = matches_for_form(form, organisation)
    form._errors, form.cleaned_data = ErrorDict(), {}
    return previews


def _listing_form_page(request, form, organisation, listing=None, previews=None, saved=None):
    """`saved`: the listing as stored (a bound form's checks write what was typed into its
    instance: the heading names the listing by its saved title, not the unsaved new one)."""
    if listing is None:
        heading = "Write an offer or a need"
        crumb = "New listing"
    else:
        heading = f"Change “{(saved or listing).title}”"
        crumb = "Change listing"
    return _page(
        request,
        "clusters/listing_form.html",
        {
            "form": form,
            "organisation": organisation,
            "listing": listing,
            "heading": heading,
            "previews": previews,
            "checked": previews is not None,
            # "Check for matches" pressed with too little written to check (matches_for_form
            # found None): said so, not "Nothing fits yet" (re-probe, stop 30).
            "too_short": previews is None and "check" in request.POST,
            "live": listing is not None and (saved or listing).status == Listing.Status.PUBLISHED,
            "crumbs": _crumbs(
                (
                    organisation.name,
                    reverse("clusters:organisation-detail", args=[organisation.ref]),
                ),
                (crumb, None),
            ),
        },
    )


def _initial_for_challenge(ref) -> dict:
    """An offer answering the open challenge `ref`: its cluster and themes ticked already."""
    challenge = (
        Challenge.objects.open().prefetch_related("themes").filter(ref=ref).first() if ref else None
    )
    if challenge is None:
        return {}
    return {
        "kind": Listing.Kind.OFFER,
        "challenge": challenge.pk,
        "clusters": [challenge.cluster_id],
        "themes": [theme.pk for theme in challenge.themes.all()],
    }


@login_required
def offer_solution(request, ref):
    """The button "Offer a solution" of a challenge's page: on to a new offer, pre-filled."""
    challenge = get_object_or_404(Challenge.objects.select_related("cluster"), ref=ref)
    if challenge.status != Challenge.Status.OPEN:
        messages.error(request, "This challenge is closed: it is no longer looking for offers.")
        return redirect(challenge)
    organisations = list(Organisation.objects.of_member(request.user).order_by("name"))
    if not organisations:
        messages.info(
            request,
            "Offers are posted by organisations. Register yours, or ask to join it, then "
            "offer your solution to the challenge.",
        )
        return redirect("clusters:organisation-start")
    query = f"?kind=offer&challenge={challenge.ref}"
    if len(organisations) == 1:
        return redirect(reverse("clusters:listing-create", args=[organisations[0].ref]) + query)
    return _page(
        request,
        "clusters/challenge_offer_choose.html",
        {
            "challenge": challenge,
            "choices": [
                (o, reverse("clusters:listing-create", args=[o.ref]) + query) for o in organisations
            ],
            "crumbs": _crumbs(
                ("Clusters", reverse("clusters:cluster-list")),
                (challenge.cluster.name, challenge.cluster.get_absolute_url()),
                (challenge.title, challenge.get_absolute_url()),
                ("Offer a solution", None),
            ),
        },
    )


@login_required
def listing_create(request, ref):
    organisation = _my_organisation(request, ref)
    initial = (
        {"kind": request.GET.get("kind")} if request.GET.get("kind") in ("offer", "need") else {}
    )
    # "Offer a solution" on a challenge's page: only the form's starting values, nothing saved.
    initial.update(_initial_for_challenge(request.GET.get("challenge")))
    form = ListingForm(request.POST or None, initial=initial)
    if "check" in request.POST:  # "Check for matches" without JavaScript: nothing is saved
        return _listing_form_page(
            request,
            form,
            organisation,
            previews=_previews_then_no_errors(form, organisation),
        )
    if request.method == "POST" and form.is_valid():
        listing = form.save(commit=False)
        listing.organisation = organisation
        listing = services.save_listing(
            listing, request.user, form.cleaned_data["themes"], form.cleaned_data["clusters"]
        )
        return redirect("clusters:listing-preview", ref=listing.ref)
    return _listing_form_page(request, form, organisation)


@login_required
def listing_edit(request, ref):
    listing = get_object_or_404(
        Listing.objects.editable_by(request.user).select_related("organisation"), ref=ref
    )
    saved = copy(listing)  # as stored: the form's checks change `listing` in place
    form = ListingForm(request.POST or None, instance=listing)
    if "check" in request.POST:
        return _listing_form_page(
            request,
            form,
            listing.organisation,
            listing,
            previews=_previews_then_no_errors(form, listing.organisation),
            saved=saved,
        )
    if request.method == "POST" and form.is_valid():
        listing = services.save_listing(
            form.save(commit=False),
            request.user,
            form.cleaned_data["themes"],
            form.cleaned_data["clusters"],
        )
        messages.success(
            request,
            "Your changes have been saved. They are public now."
            if listing.status == Listing.Status.PUBLISHED
            else "Your changes have been saved.",
        )
        return redirect("clusters:listing-preview", ref=listing.ref)
    return _listing_form_page(request, form, listing.organisation, listing, saved=saved)


def _editable_listing(request, ref):
    return get_object_or_404(
        Listing.objects.editable_by(request.user)
        .select_related("organisation", "challenge")
        .prefetch_related("themes", "clusters"),
        ref=ref,
    )


@login_required
def listing_preview(request, ref):
    listing = _editable_listing(request, ref)
    review_form = review_refusal = None
    if listing.is_taken_down:
        review_refusal = services.review_refusal(listing)
        review_form = ReviewRequestForm()
    return _page(
        request,
        "clusters/listing_preview.html",
        {
            "listing": listing,
            "review_form": review_form,
            "review_refusal": review_refusal,
            "verified": _require_verified(request),
            "crumbs": _crumbs(
                (
                    listing.organisation.name,
                    reverse("clusters:organisation-detail", args=[listing.organisation.ref]),
                ),
                (listing.title, None),
            ),
        },
    )


@login_required
@require_POST
def listing_publish(request, ref):
    listing = _editable_listing(request, ref)
    if not _require_verified(request):
        messages.error(request, services.UNVERIFIED_MESSAGE)
        return redirect("clusters:listing-preview", ref=ref)
    try:
        listing = services.submit_listing(listing)
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
        return redirect("clusters:listing-preview", ref=ref)
    if listing.status == Listing.Status.PUBLISHED:
        messages.success(request, "Your listing is published.")
    elif listing.organisation.status == listing.organisation.Status.REJECTED:
        # Not "as soon as our team approves": it was not approved (newcomer probe, stop 30).
        messages.warning(
            request,
            "Your listing is saved but not public: your organisation was not approved. It "
            "will be published only if our team approves your organisation (see below).",
        )
    else:
        messages.success(
            request,
            "Your listing will be published as soon as our team approves your organisation.",
        )
    return redirect("clusters:listing-preview", ref=ref)


@login_required
@require_POST
def listing_withdraw(request, ref):
    listing = _editable_listing(request, ref)
    try:
        listing = services.withdraw_listing(listing, services.WITHDRAWN_BY_ORGANISATION)
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        if listing.status == listing.Status.DRAFT:  # it was waiting for approval
            messages.success(
                request,
                "Your listing will not be published: it is a draft again. You can publish it "
                "at any time.",
            )
        else:
            messages.success(
                request, "Your listing has been withdrawn. You can re-open it at any time."
            )
    return redirect("clusters:listing-preview", ref=ref)


@login_required
@require_POST
def listing_review(request, ref):
    """Ask staff to look again at a listing they took down."""
    listing = _editable_listing(request, ref)
    form = ReviewRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors["message"]))
        return redirect("clusters:listing-preview", ref=ref)
    try:
        services.request_listing_review(listing, request.user, form.cleaned_data["message"])
    except services.NotAllowed as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            "You asked for a review. Our team will look at the listing again and email you.",
        )
    return redirect("clusters:listing-preview", ref=ref)


# The expiry reminder email links here: mail scanners follow links, so a GET only shows the
# listing and the button, and only the button's POST keeps it open.
@login_required
def listing_renew(request, ref):
    listing = _editable_listing(request, ref)
    if request.method == "POST":
        try:
            listing = services.renew_listing(listing)
        except services.NotAllowed as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                "Your listing will stay open until "
                f"{dateformat.format(listing.expires_on, 'j F Y')}.",
            )
        return redirect("clusters:listing-preview", ref=ref)
    return _page(
        request,
        "clusters/listing_renew.html",
        {
            "listing": listing,
            "refusal": services.renew_refusal(listing),
            "renewed_until": timezone.localdate() + services.LISTING_LIFETIME,
            "crumbs": _crumbs(
                (
                    listing.organisation.name,
                    reverse("clusters:organisation-detail", args=[listing.organisation.ref]),
                ),
                (listing.title, reverse("clusters:listing-preview", args=[listing.ref])),
                ("Keep it open", None),
            ),
        },
    )
