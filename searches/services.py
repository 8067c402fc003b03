"""Saving, renaming and deleting a person's searches."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.http import QueryDict

from api.services import record_removal

from .models import SavedSearch
from .pages import PAGES, InvalidSearch

# Each person may keep this many saved searches.
MAX_SAVED = 20
NAME_LENGTH = SavedSearch._meta.get_field("name").max_length


class SearchNotSaved(Exception):
    """The search was not saved; the message says why and what to do next. `existing` is
    the person's saved search that is the same, if that is why."""

    def __init__(self, message: str, existing: SavedSearch | None = None):
        super().__init__(message)
        self.existing = existing


def _already_saved(search: SavedSearch) -> SearchNotSaved:
    return SearchNotSaved(f"You have already saved this search, as “{search.name}”.", search)


def slug_names() -> dict[str, dict[str, str]]:
    """Every cluster's and theme's name by slug (two queries), for describing many searches;
    in the models' own order, as _filter_words reads them one search at a time."""
    from clusters.models import Cluster, Theme

    return {
        "cluster": dict(Cluster.objects.values_list("slug", "name")),
        "theme": dict(Theme.objects.values_list("slug", "name")),
    }


def _filter_words(data: QueryDict, names: dict | None = None) -> list[str]:
    """The filters of a saved query in words, e.g. ["Humber", "Hydrogen and low-carbon fuels"].
    `names`: slug_names(), read once when many are described."""
    from clusters.models import Challenge, Listing, Organisation

    names = names if names is not None else slug_names()
    words: list[str] = []
    clusters, themes = data.getlist("cluster"), data.getlist("theme")
    words += [name for slug, name in names["cluster"].items() if slug in clusters]
    words += [name for slug, name in names["theme"].items() if slug in themes]
    kinds = dict(Organisation.Kind.choices)
    words += [f"from {kinds[k].lower()}" for k in data.getlist("organisation_kind") if k in kinds]
    sought = dict(Listing.PartnerKind.choices)
    words += [
        f"looking for {sought[k].lower()}" for k in data.getlist("partner_kind") if k in sought
    ]
    statuses = dict(Challenge.Status.choices)
    words += [statuses[s].lower() for s in data.getlist("status") if s in statuses]
    words += [f"challenge {ref}" for ref in data.getlist("challenge")]
    return words


def default_name(page_name: str, query: str) -> str:
    """A readable name from the page, its search words and its filters, e.g. "Offers:
    “hydrogen” (South Wales, Energy efficiency)"; "(filtered)" said nothing of which."""
    name = describe(page_name, query)
    if len(name) > NAME_LENGTH:
        name = name[: NAME_LENGTH - 1].rstrip() + "…"
    return name


def describe(page_name: str, query: str, names: dict | None = None) -> str:
    """What a saved search looks for, in words (its default name, not cut short): the list
    of saved searches shows it under a name the person chose (newcomer probe, stop 31)."""
    page = PAGES[page_name]
    data = QueryDict(query)
    words = data.get("q", "")
    filters = _filter_words(data, names)
    name = page.label
    if words:
        name += f": “{words}”"
    if filters:
        name += f" ({', '.join(filters)})" if words else f": {', '.join(filters)}"
    elif not words:
        name = f"All new {page.label.lower()}"
    return name


@transaction.atomic
def save_search(user, page_name: str, data: QueryDict, name: str = "") -> SavedSearch:
    """Save the page's search for the user, once: all or nothing.

    Only the page's known filters are kept, checked as the page checks them. Raises
    SearchNotSaved for an unknown page, a bad query, a search already saved, or a
    person at the limit.
    """
    page = PAGES.get(page_name)
    if page is None:
        raise SearchNotSaved("This page’s searches cannot be saved.")
    try:
        query = page.normalise(data)
    except InvalidSearch as exc:
        raise SearchNotSaved(
            f"We could not save this search. {exc} Change the filters, then save it again."
        ) from exc
    # Lock the person's row so that two saves at once cannot pass the limit together.
    get_user_model().objects.select_for_update().filter(pk=user.pk).first()
    mine = SavedSearch.objects.filter(user=user)
    same = mine.filter(page=page_name, query=query).first()
    if same is not None:
        raise _already_saved(same)
    if mine.count() >= MAX_SAVED:
        raise SearchNotSaved(
            f"You have {MAX_SAVED} saved searches, the most you can keep. Delete one you no "
            "longer need from your saved searches, then save this one."
        )
    name = " ".join(name.split())[:NAME_LENGTH] or default_name(page_name, query)
    try:
        with transaction.atomic():
            return SavedSearch.objects.create(user=user, page=page_name, query=query, name=name)
    except IntegrityError as exc:  # the same search saved a moment ago, in another tab
        same = mine.filter(page=page_name, query=query).first()
        if same is None:
            raise
        raise _already_saved(same) from exc


def rename_search(search: SavedSearch, name: str) -> SavedSearch:
    search.name = " ".join(name.split())[:NAME_LENGTH]
    search.save(update_fields=["name", "updated_at"])
    return search


def removals_resource(user_id: int) -> str:
    """The `resource` of a person's saved-search tombstones (api.models.Removal).

    A saved search is a person's own, and a Removal has no user field (and the API app
    knows no domain): so the list the search left is named with its owner, as
    "saved_search:<user id>". That is what `resource` means (the list a record left), it
    keeps the key the search's own public `ref`, and reading one person's removals is a
    lookup on the (resource, removed_at) index, with nothing added to api.models.
    `organisation_id` is not used: a user id there would read as an organisation's."""
    return f"saved_search:{user_id}"


@transaction.atomic
def delete_search(search: SavedSearch) -> None:
    """Delete it, with a tombstone for the API's removals list of its owner's searches."""
    record_removal(removals_resource(search.user_id), search.ref, reason="deleted")
    search.delete()


def mark_looked_at(search_ids: list[int], until: datetime) -> int:
    """Results up to `until` have been looked at for these searches. Never moves back."""
    return SavedSearch.objects.filter(pk__in=search_ids, notified_until__lt=until).update(
        notified_until=until
    )
