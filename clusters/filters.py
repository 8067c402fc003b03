"""Search, filters and sorting shared by the list pages and the API."""

import django_filters
from django import forms
from django.db import connection
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field

from .models import Challenge, Cluster, Listing, Organisation, Theme
from .search import has_words

SORTS = {
    "newest": ("-created_at", "ref"),
    "oldest": ("created_at", "ref"),
    "title": ("title", "ref"),
    "relevance": ("-search_rank", "-created_at", "ref"),
}
SORT_CHOICES = [
    ("newest", "Newest first"),
    ("oldest", "Oldest first"),
    ("title", "Title (A to Z)"),
    ("relevance", "Best match to your search words"),
]


def linked_to(queryset, field_name: str, chosen):
    """Rows of `queryset` linked by the many-to-many `field_name` to any of `chosen`.

    Through the link table (`id IN (SELECT listing_id FROM ..._themes WHERE theme_id IN
    ...)`): a join would repeat a row linked to two of them, and the DISTINCT that hides the
    repeats made every count sort all the matching rows, descriptions and all (issue #14).
    """
    field = queryset.model._meta.get_field(field_name)
    links = field.remote_field.through.objects.filter(
        **{f"{field.m2m_reverse_field_name()}__in": chosen}
    ).values(field.m2m_field_name())
    return queryset.filter(pk__in=links)


@extend_schema_field(OpenApiTypes.STR)  # one slug; the parameter is repeated for several
class SlugsFilter(django_filters.ModelMultipleChoiceFilter):
    """Several slugs (?theme=ccus&theme=hydrogen): rows with any of them."""


class LinkedSlugsFilter(SlugsFilter):
    """Several slugs of the many-to-many `field_name` (e.g. "themes"): rows linked to any of
    them, through the link table (linked_to), so with no DISTINCT."""

    def filter(self, qs, value):
        return linked_to(qs, self.field_name, value) if value else qs


class LinkedChoiceFilter(django_filters.ModelChoiceFilter):
    """One choice (?cluster=humber) of a many-to-many: rows linked to it."""

    def filter(self, qs, value):
        return linked_to(qs, self.field_name, [value]) if value else qs


class SearchFilterSet(django_filters.FilterSet):
    q = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        max_length=200,
        help_text="Words in the title or description, for example “carbon capture”",
        error_messages={"max_length": "Search with 200 characters or fewer"},
    )
    # Each with words a person can act on, not Django's "Select a valid choice. That choice is
    # not one of the available choices." (an old shared link, found by an outside probe).
    theme = LinkedSlugsFilter(
        field_name="themes",
        to_field_name="slug",
        queryset=Theme.objects.all(),
        label="Theme",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select a theme from the list"},
    )
    sort = django_filters.ChoiceFilter(
        choices=SORT_CHOICES,
        method="filter_sort",
        label="Sort by",
        empty_label=None,
        error_messages={"invalid_choice": "Select how to sort from the list"},
    )

    def __init__(self, data=None, *args, **kwargs):
        # With words and no order chosen, the results come best match first: the menu says
        # so (it showed "Newest first", the first choice, newcomer probe, stop 31).
        if data is not None and (data.get("q") or "").strip() and not data.get("sort"):
            data = data.copy()
            data["sort"] = "relevance"
        super().__init__(data, *args, **kwargs)

    @property
    def search_has_no_words(self) -> bool:
        """A search such as "!" or "😀": nothing to look for, so the page says so."""
        query = getattr(self.form, "cleaned_data", {}).get("q") or ""
        return bool(query.strip()) and not has_words(query)

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_sort(self, queryset, name, value):
        return queryset  # applied last, in filter_queryset, once the search rank exists

    def filter_queryset(self, queryset):
        queryset = super().filter_queryset(queryset)
        data = self.form.cleaned_data
        sort = data.get("sort") or ("relevance" if data.get("q") else "newest")
        if sort == "relevance" and not (data.get("q") and connection.vendor == "postgresql"):
            # Without words there is nothing to rank by. Nor on SQLite, where every match
            # ranks the same (0.0): there, "newest" is the same order, and without a constant
            # first in ORDER BY SQLite reads the newest off the index and stops at a page,
            # instead of sorting every match (50 ms for "hydrogen" at 100,000 listings).
            sort = "newest"
        return queryset.order_by(*SORTS[sort])


class ChallengeFilter(SearchFilterSet):
    cluster = django_filters.ModelChoiceFilter(
        field_name="cluster",
        to_field_name="slug",
        queryset=Cluster.objects.all(),
        label="Cluster",
        empty_label="All clusters",
        error_messages={"invalid_choice": "Select a cluster from the list"},
    )
    status = django_filters.ChoiceFilter(
        choices=Challenge.Status.choices,
        label="Status",
        empty_label="Open or closed",
        error_messages={"invalid_choice": "Select open or closed"},
    )

    class Meta:
        model = Challenge
        fields = ["q", "cluster", "theme", "status", "sort"]


class ListingFilter(SearchFilterSet):
    cluster = LinkedChoiceFilter(
        field_name="clusters",
        to_field_name="slug",
        queryset=Cluster.objects.all(),
        label="Cluster",
        empty_label="All clusters",
        error_messages={"invalid_choice": "Select a cluster from the list"},
    )
    organisation_kind = django_filters.ChoiceFilter(
        field_name="organisation__kind",
        choices=Organisation.Kind.choices,
        label="Kind of organisation",
        empty_label="Any kind",
        error_messages={"invalid_choice": "Select a kind of organisation from the list"},
    )
    # An investor looking for needs that want an investor (newcomer probe, stop 28). Only
    # listings that name that kind: "any kind" is the default of nearly every listing.
    partner_kind = django_filters.ChoiceFilter(
        field_name="partner_kind",
        choices=[c for c in Listing.PartnerKind.choices if c[0] != Listing.PartnerKind.ANY],
        label="Looking for",
        help_text="Only those that name this kind of partner: most are open to any kind.",
        empty_label="Any kind of partner",
        error_messages={"invalid_choice": "Select a kind of partner from the list"},
    )
    challenge = django_filters.CharFilter(
        field_name="challenge__ref",
        label="Challenge reference",
        max_length=64,
        error_messages={"max_length": "Enter a challenge reference of 64 characters or fewer"},
    )

    class Meta:
        model = Listing
        fields = ["q", "cluster", "theme", "organisation_kind", "partner_kind", "challenge", "sort"]


class ListingApiFilter(ListingFilter):
    """The API lists offers and needs together, so it also filters by kind."""

    kind = django_filters.ChoiceFilter(choices=Listing.Kind.choices, label="Offer or need")

    class Meta(ListingFilter.Meta):
        fields = [*ListingFilter.Meta.fields, "kind"]


class OrganisationFilter(django_filters.FilterSet):
    """The organisations directory: approved organisations by words, kind, cluster, theme."""

    q = django_filters.CharFilter(
        method="filter_search",
        label="Search",
        max_length=200,
        help_text="Words in the name or description, for example “hydrogen”",
        error_messages={"max_length": "Search with 200 characters or fewer"},
    )
    kind = django_filters.ChoiceFilter(
        choices=Organisation.Kind.choices,
        label="Kind of organisation",
        empty_label="Any kind",
        error_messages={"invalid_choice": "Select a kind of organisation from the list"},
    )
    cluster = django_filters.ModelChoiceFilter(
        field_name="clusters",
        to_field_name="slug",
        queryset=Cluster.objects.all(),
        label="Cluster",
        empty_label="All clusters",
        error_messages={"invalid_choice": "Select a cluster from the list"},
    )
    theme = SlugsFilter(
        method="filter_theme",
        to_field_name="slug",
        queryset=Theme.objects.all(),
        label="Theme of its offers and needs",
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": "Select themes from the list"},
    )

    class Meta:
        model = Organisation
        fields = ["q", "kind", "cluster", "theme"]

    @property
    def search_has_no_words(self) -> bool:
        query = getattr(self.form, "cleaned_data", {}).get("q") or ""
        return bool(query.strip()) and not has_words(query)

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def filter_theme(self, queryset, name, value):
        """Organisations with a published offer or need in any of the themes."""
        if not value:
            return queryset
        listings = Listing.objects.published().live().filter(themes__in=value)
        return queryset.filter(pk__in=listings.values("organisation"))
