"""A search or filtered list page that a person saved, to hear of new results by email."""

import secrets

from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone

from .pages import PAGES


def _new_ref() -> str:
    return secrets.token_urlsafe(9)


class SavedSearchQuerySet(models.QuerySet):
    def of_user(self, user):
        if not user.is_authenticated:
            return self.none()
        return self.filter(user=user)


class SavedSearch(models.Model):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="saved_searches"
    )
    ref = models.CharField(max_length=16, unique=True, default=_new_ref, editable=False)
    # The name of a list page in searches.pages.PAGES, e.g. "offers".
    page = models.CharField(max_length=40)
    # Only the page's known filter parameters, validated and in a fixed order.
    query = models.CharField(max_length=1000, blank=True)
    name = models.CharField(max_length=100)
    created_at = models.DateTimeField(auto_now_add=True)
    # Saved or renamed (the API's `updated_since`); not when its emails are sent.
    updated_at = models.DateTimeField(auto_now=True)
    # Results published up to this moment have been looked at (it starts at saving).
    notified_until = models.DateTimeField(default=timezone.now)

    objects = SavedSearchQuerySet.as_manager()

    class Meta:
        ordering = ["name", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["user", "page", "query"], name="saved_search_once"),
        ]

    def __str__(self):
        return f"{self.name} ({self.user})"

    def get_absolute_url(self):
        """The list page with this search applied."""
        url = reverse(PAGES[self.page].url_name)
        return f"{url}?{self.query}" if self.query else url

    @property
    def page_label(self) -> str:
        return PAGES[self.page].label
