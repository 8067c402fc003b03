"""Admin for clusters, challenges, themes, organisations and listings."""

from django.contrib import admin

from .models import Challenge, Cluster, Listing, Organisation, Theme


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


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "ref", "kind", "updated_at"]
    list_filter = ["kind", "clusters"]
    search_fields = ["ref", "name", "description"]
    filter_horizontal = ["clusters"]


@admin.register(Listing)
class ListingAdmin(admin.ModelAdmin):
    list_display = ["ref", "title", "kind", "organisation", "status", "updated_at"]
    list_filter = ["status", "kind", "themes", "clusters"]
    list_select_related = ["organisation"]
    search_fields = ["ref", "title", "description", "organisation__name"]
    raw_id_fields = ["organisation", "challenge"]
    filter_horizontal = ["themes", "clusters"]
