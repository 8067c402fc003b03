"""API representations of a person's saved searches."""

from rest_framework import serializers

from api.fields import ChoiceField

from .models import SavedSearch
from .pages import PAGES


class SavedSearchSerializer(serializers.ModelSerializer):
    page_label = serializers.CharField(read_only=True, help_text="The page's name, in words.")
    url = serializers.CharField(
        source="get_absolute_url",
        read_only=True,
        help_text="The site's list page with this search applied (a path on the site).",
    )

    class Meta:
        model = SavedSearch
        fields = ["ref", "name", "page", "page_label", "query", "url", "created_at", "updated_at"]
        extra_kwargs = {
            "page": {"help_text": f"The list page searched: {', '.join(PAGES)}."},
            "query": {
                "help_text": "The page's filters as a URL query, e.g. `q=hydrogen&theme=3`; "
                "only the page's known filters are kept."
            },
        }


class NewSavedSearchSerializer(serializers.Serializer):
    page = ChoiceField(
        choices=list(PAGES),
        help_text=f"The list page to search: {', '.join(PAGES)}.",
        error_messages={"invalid_choice": f"Choose one of: {', '.join(PAGES)}."},
    )
    query = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        trim_whitespace=False,
        help_text="The page's filters as a URL query (as in its address after “?”), e.g. "
        "`q=hydrogen`. Empty: everything new on the page.",
    )
    name = serializers.CharField(
        required=False,
        default="",
        allow_blank=True,
        help_text="A name for it (optional: one is made from the search).",
    )


class RenameSerializer(serializers.Serializer):
    name = serializers.CharField(
        required=False, default="", allow_blank=True, help_text="The new name."
    )
