"""Admin for clusters, challenges, themes, organisations and listings, with moderation queues."""

from django.contrib import admin, messages
from django.shortcuts import render

from . import services
from .forms import ReasonForm
from .models import (
    Challenge,
    Cluster,
    Invitation,
    JoinRequest,
    Listing,
    Membership,
    Organisation,
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

    def save_related(self, request, form, formsets, change):
        from matching.services import request_matching

        from .search import search_document

        super().save_related(request, form, formsets, change)
        challenge = form.instance
        challenge.search_document = search_document(challenge.title, challenge.description)
        challenge.save(update_fields=["search_document"])
        request_matching(challenge)  # opened or edited: its suggested offers may change


def _with_reason(modeladmin, request, queryset, title, apply, *, required=True):
    """An admin action that asks for a reason on a second page, then applies it to each row."""
    if "apply" in request.POST:
        form = ReasonForm(request.POST)
        form.fields["reason"].required = required
        if form.is_valid():
            for obj in queryset:
                apply(obj, request.user, form.cleaned_data["reason"])
            modeladmin.message_user(request, f"{title}: {queryset.count()} done.", messages.SUCCESS)
            return None
    else:
        form = ReasonForm()
        form.fields["reason"].required = required
    return render(
        request,
        "admin/action_with_reason.html",
        {
            **modeladmin.admin_site.each_context(request),
            "title": title,
            "objects": queryset,
            "form": form,
            "action": request.POST["action"],
            "opts": modeladmin.model._meta,
        },
    )


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    raw_id_fields = ["user"]


class JoinRequestInline(admin.TabularInline):
    model = JoinRequest
    extra = 0
    fields = ["user", "status", "message", "created_at"]
    readonly_fields = ["created_at"]
    raw_id_fields = ["user"]


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "ref", "kind", "status", "created_at"]
    list_filter = ["status", "kind", "clusters"]
    search_fields = ["ref", "name", "description"]
    filter_horizontal = ["clusters"]
    readonly_fields = ["reviewed_at", "reviewed_by"]
    inlines = [MembershipInline, JoinRequestInline]
    actions = ["approve", "reject"]

    @admin.action(
        permissions=["change"],
        description="Approve the selected organisations (publishes their listings)",
    )
    def approve(self, request, queryset):
        return _with_reason(
            self,
            request,
            queryset,
            "Approve organisations",
            lambda org, user, reason: services.approve_organisation(org, user, reason),
            required=False,
        )

    @admin.action(
        permissions=["change"], description="Reject the selected organisations, with a reason"
    )
    def reject(self, request, queryset):
        return _with_reason(
            self, request, queryset, "Reject organisations", services.reject_organisation
        )


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["ref", "title", "kind", "organisation", "status", "updated_at"]
    list_filter = ["status", "kind", "organisation__status", "themes", "clusters"]
    list_select_related = ["organisation"]
    search_fields = ["ref", "title", "description", "organisation__name"]
    raw_id_fields = ["organisation", "challenge"]
    filter_horizontal = ["themes", "clusters"]
    actions = ["unpublish"]

    @admin.action(
        permissions=["change"], description="Unpublish the selected listings, with a reason"
    )
    def unpublish(self, request, queryset):
        return _with_reason(
            self, request, queryset, "Unpublish listings", services.unpublish_listing
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "organisation", "created_at", "accepted_at"]
    list_select_related = ["organisation"]
    search_fields = ["email", "organisation__name"]
    # The token is a digest, and older ones the link itself: not shown to anyone.
    exclude = ["token"]
    raw_id_fields = ["organisation", "invited_by"]
