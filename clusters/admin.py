"""Admin for clusters, challenges, themes, organisations and listings, with moderation queues."""

from django.contrib import admin, messages
from django.contrib.auth import get_user_model
from django.db.models import Exists, OuterRef
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html

from config.admin import OfferedFiltersOnly, ReadOnlyInline, back_from_decision
from config.admin_links import may_open

from . import services
from .forms import ReasonForm
from .models import (
    Challenge,
    Cluster,
    Invitation,
    JoinRequest,
    Listing,
    ListingReview,
    Membership,
    Organisation,
    OrganisationChange,
    Theme,
)


@admin.register(Theme)
class ThemeAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "position"]


@admin.register(Cluster)
class ClusterAdmin(admin.ModelAdmin):
    list_display = ["name", "region", "emissions_mtco2"]
    search_fields = ["name", "slug", "region"]


@admin.register(Challenge)
class ChallengeAdmin(admin.ModelAdmin):
    list_display = ["ref", "title", "cluster", "status", "updated_at"]
    list_filter = ["status", "cluster", "themes"]
    list_select_related = ["cluster"]
    search_fields = ["ref", "title", "description"]
    filter_horizontal = ["themes"]
    # Staff close and reopen a challenge with the actions (a reason, kept in its history);
    # the status is never edited in the form. A new challenge is open.
    readonly_fields = ["status", "status_reason", "last_reviewed_at"]
    actions = ["close", "reopen"]

    @admin.action(
        permissions=["change"], description="Close the selected challenges, with a reason"
    )
    def close(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Close challenges",
            lambda challenge, user, reason: services.set_challenge_status(
                challenge, Challenge.Status.CLOSED, reason
            ),
            hint=CHALLENGE_REASON_HINT,
        )

    @admin.action(
        permissions=["change"], description="Reopen the selected challenges, with a reason"
    )
    def reopen(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Reopen challenges",
            lambda challenge, user, reason: services.set_challenge_status(
                challenge, Challenge.Status.OPEN, reason
            ),
            hint=CHALLENGE_REASON_HINT,
        )

    def save_model(self, request, obj, form, change):
        if change:  # changed on the site: a later import leaves it alone (clusters/importer.py)
            obj.last_reviewed_at = timezone.now()
            obj.review_reminder_sent_at = None
        super().save_model(request, obj, form, change)

    def save_related(self, request, form, formsets, change):
        from matching.services import request_matching

        from .search import search_document

        super().save_related(request, form, formsets, change)
        challenge = form.instance
        challenge.search_document = search_document(challenge.title, challenge.description)
        challenge.save(update_fields=["search_document"])
        request_matching(challenge)  # opened or edited: its suggested offers may change


CHALLENGE_REASON_HINT = "It is kept in the challenge’s history and shown to its cluster team"
ORGANISATION_REASON_HINT = (
    "We send it to the organisation’s members with the decision, and keep it in its history"
)
# Decisions on a change of name or website are emailed to the organisation's admins only.
CHANGE_REASON_HINT = (
    "We send it to the organisation’s admins with the decision, and keep it in its history"
)


class OrganisationStatusFilter(admin.ChoicesFieldListFilter):
    """The listings' filter by their organisation's status, titled so: two filters both
    read "By status" beside each other (newcomer probe, stop 27)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.title = "organisation status"


_ONE = {
    "challenges": "challenge",
    "organisations": "organisation",
    "changes": "change",
    "listings": "listing",
    "requests": "request",
    "logos": "logo",
}


def _for_one(title: str) -> str:
    """ "Approve organisations" for one organisation: "Approve organisation" (newcomer probe,
    stop 31: "Approve organisations: 1 done")."""
    return " ".join(_ONE.get(word, word) for word in title.split(" "))


def _with_reason(
    modeladmin,
    request,
    queryset,
    title,
    apply,
    *,
    required=True,
    hint=None,
    seen=None,
    left_because="nothing to do for them",
):
    """An admin action that asks for a reason on a second page, then applies it to each row.

    `apply(obj, user, reason)` is a service; it returns False for a row it left as it was
    (e.g. restoring a listing that is not taken down), which is counted apart, and said why
    (`left_because`). With `seen`,
    a function obj -> (what the second page shows of it, a version of it), the version shown
    goes back with the form and apply is called as apply(obj, user, reason, version): the
    decision is on what the person read, not on what may have replaced it since.
    """
    if len(queryset) == 1:
        title = _for_one(title)
    form = ReasonForm(request.POST if "apply" in request.POST else None)
    form.fields["reason"].required = required
    if not required:
        form.fields["reason"].label = "Reason (optional)"
    if hint:
        form.fields["reason"].help_text = hint
    back = back_from_decision(modeladmin, request, queryset)
    if form.is_valid():  # an unbound form (the first page) is never valid
        done = skipped = 0
        reason = form.cleaned_data["reason"]
        for obj in queryset:
            args = (request.POST.get(f"seen_{obj.pk}", ""),) if seen else ()
            if apply(obj, request.user, reason, *args) is False:
                skipped += 1
                continue
            done += 1
            # The object's history page shows who decided what, and why.
            modeladmin.log_change(request, obj, f"{title}: {reason}" if reason else title)
        text = f"{title}: {done} done."
        if skipped:
            text += f" {skipped} left as they were: {left_because}."
        modeladmin.message_user(request, text, messages.SUCCESS)
        return HttpResponseRedirect(back) if back else None
    return render(
        request,
        "admin/action_with_reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "items": [(obj, *(seen(obj) if seen else (str(obj), None))) for obj in queryset],
            "form": form,
            "action": request.POST["action"],
            "opts": modeladmin.model._meta,
            "back": back,
        },
    )


# Approving and rejecting an organisation are decided on the status shown on the reason
# page, not on one set since by a colleague (outside probe and review, stop 30).
DECIDED_SINCE = (
    "they had that decision already, or someone decided on them after you opened this page "
    "(open them again to see their status)"
)


def _status_seen(organisation) -> tuple[str, str]:
    """The organisation as the reason page shows it (with its status), and that status."""
    return f"{organisation} ({organisation.get_status_display().lower()})", organisation.status


def _on_status_seen(service):
    """The service, deciding only on the status that was shown: a request without one (not
    sent from the reason page) decides nothing. An empty one skipped the check and undid a
    colleague's approval (outside probe, stop 31)."""

    def apply(organisation, user, reason, shown):
        if shown not in Organisation.Status.values:
            return False
        return service(organisation, user, reason, seen_status=shown)

    return apply


def _change_seen(organisation) -> tuple[str, int | str]:
    """The waiting change of name or website as the confirmation page shows it, and its id."""
    change = organisation.changes.open().first()
    if change is None:
        return f"{organisation.name}: no change of name or website waiting", ""
    website = f", website {change.website}" if change.website else ""
    return f"{organisation.name}: asks to be named “{change.name}”{website}", change.pk


def _on_change_seen(service):
    """The service, deciding only the change that was shown (an id; none shown: nothing)."""

    def apply(organisation, user, reason, shown):
        if not str(shown).isdigit():
            return False
        return service(organisation, user, reason, change_id=int(shown))

    return apply


def person_link(admin_site, user, text: str):
    """`text` about a person, linked to their admin page for staff who may open it; as text
    to others (a moderator may not: a link would answer 403, outside probe)."""
    if not may_open(admin_site, get_user_model(), user):
        return text
    url = reverse("admin:accounts_user_change", args=[user.pk])
    return format_html('<a href="{}">{}</a>', url, text)


class ModeratedAdmin(admin.ModelAdmin):
    """Status and the decision fields are read-only to everyone, superusers included: they
    change only through the actions, which call the services (emails, publishing, history).
    The actions need the model's "moderate" permission (staff/roles.py).

    People (who reviewed, created or took down) are shown by name and email address, linked
    to their page only for staff who may open it (`person_link`)."""

    decision_fields: list[str] = []

    def has_moderate_permission(self, request):
        opts = self.opts
        return request.user.has_perm(f"{opts.app_label}.moderate_{opts.model_name}")

    decision_labels: dict[str, str] = {}  # action -> its button's words on one object's page

    def decisions_for(self, obj) -> list[str]:
        """The actions that would change `obj` now (each model's own rules)."""
        return []

    def change_view(self, request, object_id, form_url="", extra_context=None):
        """The page, with a button for each decision this person may make on it now: each
        runs the list's action on this one object (which asks for the reason on its next
        page). Staff had to go back to the list, tick the box and choose the action
        (newcomer probe, stop 29)."""
        obj = self.get_object(request, object_id)
        allowed = self.get_actions(request)
        decisions = (
            [
                (name, self.decision_labels.get(name, allowed[name][2]))
                for name in self.decisions_for(obj)
                if name in allowed
            ]
            if obj is not None
            else []
        )
        return super().change_view(
            request, object_id, form_url, {"decisions": decisions, **(extra_context or {})}
        )

    def get_readonly_fields(self, request, obj=None):
        return [*super().get_readonly_fields(request, obj), *self.decision_fields]

    def show_person(self, obj, user):
        if user is None:
            return self.get_empty_value_display()
        text = f"{user.name} ({user.email})" if user.name else user.email
        return person_link(self.admin_site, user, text)


class PersonInline:
    """For an inline of rows about a person: their name (a link to their admin page only for
    staff who may open it: see `person_link`) and email address, as text. A moderator
    checks the address against the organisation's website before approving it."""

    def get_queryset(self, request):
        # Each row's heading names its person and organisation.
        return super().get_queryset(request).select_related("user", "organisation")

    @admin.display(description="name")
    def name(self, obj):
        return person_link(self.admin_site, obj.user, obj.user.name or "(no name given)")

    @admin.display(description="email address")
    def email(self, obj):
        return obj.user.email


class MembershipInline(PersonInline, ReadOnlyInline, admin.StackedInline):
    """Read-only to everyone, superusers included: people join and leave an organisation only
    through the site's services (invitations, join requests, leaving, each with its emails
    and records). An extra row posted here made anyone an admin of any organisation, silently
    (outside probe)."""

    model = Membership
    fields = ["name", "email", "role", "created_at"]
    readonly_fields = fields


class JoinRequestInline(PersonInline, ReadOnlyInline, admin.TabularInline):
    """Read-only: the organisation's own admins decide join requests, on its page."""

    model = JoinRequest
    fields = ["name", "email", "status", "message", "created_at"]
    readonly_fields = fields


class OrganisationChangeFilter(admin.SimpleListFilter):
    title = "change of name or website"
    parameter_name = "change"

    def lookups(self, request, model_admin):
        return [("waiting", "Waiting for review")]

    def queryset(self, request, queryset):
        if self.value() == "waiting":
            return queryset.filter(change_waiting=True)
        return queryset


@admin.register(Organisation)
class OrganisationAdmin(ModeratedAdmin):
    list_display = ["name", "ref", "kind", "status", "change_waiting", "created_at"]
    # "For example, HU12 8DS" under a field nobody can type in (config/admin_links.py).
    readonly_help_texts = {"location": ""}
    list_filter = ["status", OrganisationChangeFilter, "kind", "clusters"]
    search_fields = ["ref", "name", "description"]
    filter_horizontal = ["clusters"]
    # Never in the form: shown read-only as `reviewer` (a name and an email address).
    exclude = ["reviewed_by"]
    decision_fields = [
        "status",
        "status_reason",
        "reviewed_at",
        "reviewer",
        "waiting_change",
        "logo_preview",
    ]
    inlines = [MembershipInline, JoinRequestInline]
    actions = ["approve", "reject", "approve_change", "reject_change", "remove_logo"]
    decision_labels = {
        "approve": "Approve",
        "reject": "Reject, with a reason",
        "approve_change": "Approve the change of name or website",
        "reject_change": "Reject the change of name or website",
        "remove_logo": "Remove the logo",
    }

    def decisions_for(self, obj) -> list[str]:
        status = Organisation.Status
        names = [] if obj.status == status.APPROVED else ["approve"]
        names += [] if obj.status == status.REJECTED else ["reject"]
        if obj.changes.open().exists():
            names += ["approve_change", "reject_change"]
        return [*names, "remove_logo"] if obj.logo else names

    def get_queryset(self, request):
        waiting = OrganisationChange.objects.open().filter(organisation=OuterRef("pk"))
        return super().get_queryset(request).annotate(change_waiting=Exists(waiting))

    @admin.display(description="reviewed by")
    def reviewer(self, obj):
        return self.show_person(obj, obj.reviewed_by)

    def get_readonly_fields(self, request, obj=None):
        # The ref is in every link and export: set once, when the organisation is added.
        fields = super().get_readonly_fields(request, obj)
        return [*fields, "ref"] if obj is not None else fields

    @admin.display(boolean=True, description="name change waiting", ordering="change_waiting")
    def change_waiting(self, obj):
        return obj.change_waiting

    @admin.display(description="logo")
    def logo_preview(self, obj):
        # Shown at once when an organisation's admin uploads it; "Remove the logo" takes it off.
        if not obj.logo:
            return "No logo"
        return format_html('<img src="{}" alt="{}" width="150">', obj.logo_url, obj.name)

    @admin.display(description="change of name or website waiting for review")
    def waiting_change(self, obj):
        change = obj.changes.open().select_related("requested_by").first() if obj.pk else None
        if change is None:
            return "Nothing waiting"
        return (
            f"Name: {change.name}. Website: {change.website or '(none)'}. "
            f"Asked by {change.requested_by} on {change.created_at:%d %b %Y}."
        )

    def save_model(self, request, obj, form, change):
        if change:
            # Only what the form edits: never a status read before a decision made meanwhile.
            obj.save(update_fields=[*(f for f in form.fields if f != "clusters"), "updated_at"])
        else:
            # Approval goes through the action, which emails and publishes its listings.
            obj.status = Organisation.Status.PENDING
            obj.save()

    @admin.action(
        permissions=["moderate"],
        description="Approve the selected organisations (publishes their listings)",
    )
    def approve(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Approve organisations",
            # approve_organisation answers how many listings it published, or False for an
            # organisation approved already or decided since the reason page showed it.
            _on_status_seen(services.approve_organisation),
            required=False,
            hint=ORGANISATION_REASON_HINT,
            seen=_status_seen,
            left_because=DECIDED_SINCE,
        )

    @admin.action(
        permissions=["moderate"], description="Reject the selected organisations, with a reason"
    )
    def reject(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Reject organisations",
            _on_status_seen(services.reject_organisation),
            hint=ORGANISATION_REASON_HINT,
            seen=_status_seen,
            left_because=DECIDED_SINCE,
        )

    @admin.action(
        permissions=["moderate"],
        description="Approve the new name and website of the selected organisations",
    )
    def approve_change(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Approve changes of name or website",
            _on_change_seen(services.approve_organisation_change),
            required=False,
            hint=CHANGE_REASON_HINT,
            seen=_change_seen,
        )

    @admin.action(
        permissions=["moderate"],
        description="Reject the new name and website of the selected organisations, with a reason",
    )
    def reject_change(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Reject changes of name or website",
            _on_change_seen(services.reject_organisation_change),
            hint=CHANGE_REASON_HINT,
            seen=_change_seen,
        )

    @admin.action(
        permissions=["moderate"],
        description="Remove the logo of the selected organisations, with a reason",
    )
    def remove_logo(self, request, queryset):
        return _with_reason(
            self, request, queryset, "Remove logos", services.remove_organisation_logo
        )


class ReviewFilter(admin.SimpleListFilter):
    title = "review"
    parameter_name = "review"

    def lookups(self, request, model_admin):
        return [("asked", "Asked for by the organisation")]

    def queryset(self, request, queryset):
        if self.value() == "asked":
            return queryset.filter(review_asked=True)
        return queryset


@admin.register(Listing)
class ListingAdmin(ModeratedAdmin):
    list_display = ["ref", "title", "kind", "organisation", "status", "review_asked", "updated_at"]
    # As the member's pages say it, not the admin's "-" (config/admin_links.py).
    readonly_empty_values = {"challenge": "Not a particular challenge"}
    list_filter = [
        ReviewFilter,
        "status",
        "kind",
        ("organisation__status", OrganisationStatusFilter),
        "themes",
        "clusters",
    ]
    list_select_related = ["organisation"]
    search_fields = ["ref", "title", "description", "organisation__name"]
    raw_id_fields = ["organisation", "challenge"]
    filter_horizontal = ["themes", "clusters"]
    decision_fields = [
        "ref",  # made by the service when the listing is added
        "status",
        "status_reason",
        "published_at",
        "taken_down_at",
        "taken_down_by_person",
        "created_by_person",
        "review_request",
    ]
    actions = ["publish_pending", "unpublish", "restore", "keep_down"]
    decision_labels = {
        "publish_pending": "Publish",
        "unpublish": "Take down, with a reason",
        "restore": "Restore",
        "keep_down": "Keep down after the review, with a reason",
    }

    def decisions_for(self, obj) -> list[str]:
        status = Listing.Status
        if obj.status == status.TAKEN_DOWN:
            reviewing = ListingReview.objects.open().filter(listing=obj).exists()
            return ["restore", "keep_down"] if reviewing else ["restore"]
        waiting = obj.status == status.PENDING and obj.organisation.is_approved
        names = ["publish_pending"] if waiting else []
        return [*names, "unpublish"] if obj.status in services.TAKEN_DOWN_FROM else names

    def get_readonly_fields(self, request, obj=None):
        fields = super().get_readonly_fields(request, obj)
        # A listing stays with the organisation that posted it. Moving it (found by an outside
        # probe) showed a published listing under an organisation nobody had approved, and
        # left the old organisation's mirrors no removal to read.
        # (A moderator, who may not open challenges, sees the challenge as text, not as a
        # link that answers 403: config/admin_links.py, for every read-only foreign key.)
        return [*fields, "organisation"] if obj is not None else fields

    def get_queryset(self, request):
        asked = ListingReview.objects.open().filter(listing=OuterRef("pk"))
        return super().get_queryset(request).annotate(review_asked=Exists(asked))

    @admin.display(boolean=True, description="review asked", ordering="review_asked")
    def review_asked(self, obj):
        return obj.review_asked

    @admin.display(description="taken down by")
    def taken_down_by_person(self, obj):
        return self.show_person(obj, obj.taken_down_by)

    @admin.display(description="created by")
    def created_by_person(self, obj):
        return self.show_person(obj, obj.created_by)

    @admin.display(description="review asked for by the organisation")
    def review_request(self, obj):
        review = obj.reviews.open().select_related("requested_by").first() if obj.pk else None
        if review is None:
            return "Not asked for"
        return f"{review.requested_by} on {review.created_at:%d %b %Y}: {review.message}"

    def save_model(self, request, obj, form, change):
        pass  # saved by the service with its themes and clusters, in save_related

    def save_related(self, request, form, formsets, change):
        # The service keeps the status as it is (a new listing is a draft) and keeps search
        # and matching up to date.
        services.save_listing(
            form.instance, request.user, form.cleaned_data["themes"], form.cleaned_data["clusters"]
        )

    @admin.action(
        permissions=["moderate"],
        description="Publish the selected pending listings of approved organisations",
    )
    def publish_pending(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Publish pending listings",
            services.publish_pending_listing,
            required=False,
        )

    @admin.action(
        permissions=["moderate"], description="Take the selected listings down, with a reason"
    )
    def unpublish(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Take listings down",
            services.unpublish_listing,
            left_because="a draft is not public and cannot be taken down, nor one already down",
        )

    @admin.action(
        permissions=["moderate"],
        description="Restore the selected listings that were taken down",
    )
    def restore(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Restore listings",
            services.restore_listing,
            required=False,
        )

    @admin.action(
        permissions=["moderate"],
        description="Keep the selected listings down after a review, with a reason",
    )
    def keep_down(self, request, queryset):
        return _with_reason(
            self, request, queryset, "Keep listings down", services.keep_listing_down
        )


@admin.register(Invitation)
class InvitationAdmin(OfferedFiltersOnly, admin.ModelAdmin):
    """Read-only: invitations are made and accepted by members, through the services."""

    list_display = ["email", "organisation", "created_at", "accepted_at", "cancelled_at"]
    list_select_related = ["organisation"]
    search_fields = ["email", "organisation__name"]
    # The token (its digest) is not among the fields, nor filtered on: never shown.
    fields = ["email", "organisation", "invited_by", "created_at", "accepted_at", "cancelled_at"]
    filter_fields = ("organisation",)
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
