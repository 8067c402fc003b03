"""The filters of the funding calls page: theme, cluster and kind of organisation."""

import django_filters
from django import forms

from clusters.filters import SlugsFilter
from clusters.models import Cluster, Organisation, Theme

from .models import FundingCall


class FundingCallFilter(django_filters.FilterSet):
    theme = SlugsFilter(
        field_name="themes__slug",
        to_field_name="slug",
        queryset=Theme.objects.all(),
        label="Theme",
        widget=forms.CheckboxSelectMultiple,
        distinct=True,
        error_messages={"invalid_choice": "Select themes from the list"},
    )
    cluster = django_filters.ModelChoiceFilter(
        method="filter_cluster",
        to_field_name="slug",
        queryset=Cluster.objects.all(),
        label="Cluster",
        empty_label="All clusters",
        error_messages={"invalid_choice": "Select a cluster from the list"},
    )
    kind = django_filters.ChoiceFilter(
        method="filter_kind",
        choices=Organisation.Kind.choices,
        label="Kind of organisation bidding",
        empty_label="Any kind",
        error_messages={"invalid_choice": "Select a kind of organisation from the list"},
    )

    class Meta:
        model = FundingCall
        fields = ["theme", "cluster", "kind"]

    def filter_cluster(self, queryset, name, value):
        return queryset.for_cluster(value) if value else queryset

    def filter_kind(self, queryset, name, value):
        return queryset.for_kind(value) if value else queryset
