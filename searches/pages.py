"""The list pages whose searches can be saved: each names its filters and its new results.

To let people save searches of another list page, add one `SearchPage` to `PAGES`.
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import QuerySet
from django.http import QueryDict
from django.utils.http import urlencode
from django_filters import FilterSet

from clusters.filters import ChallengeFilter, ListingFilter, OrganisationFilter
from clusters.models import Challenge, Listing, Organisation

# The longest query a saved search keeps (SavedSearch.query): words in other scripts take
# several characters each once encoded.
QUERY_MAX = 1000

# Parameters that change the order or the page of results, not which results there are.
NOT_SAVED = ("sort", "page")


class InvalidSearch(Exception):
    """The query is not one the page accepts; the message says what to change."""


@dataclass(frozen=True)
class SearchPage:
    name: str  # in the saved search, e.g. "offers"
    label: str  # for people, e.g. "Offers"
    url_name: str
    filterset: type[FilterSet]
    # What the page lists that a person may be told of, e.g. published offers.
    items: Callable[[], QuerySet]
    # When an item first appeared on the page: later than the last look means new.
    published_field: str
    # The organisation an item belongs to, to leave out the person's own (None: no owner).
    owner_field: str | None
    # For the email: (title, a line about it) of one item.
    describe: Callable[[object], tuple[str, str]] = field(
        default=lambda item: (str(item), ""), compare=False
    )
    # (parameter, value) -> why a search with it cannot be saved: it could never find
    # anything new (e.g. closed challenges, when only open ones are told of).
    never_new: dict[tuple[str, str], str] = field(default_factory=dict, compare=False)
    # Where an item is on the site, for the email's link.
    link: Callable[[object], str] = field(
        default=lambda item: item.get_absolute_url(), compare=False
    )

    def normalise(self, data: QueryDict) -> str:
        """The query with only the page's known filters, checked by its filterset, in a fixed
        order, so that the same search saved twice is the same text. Raises InvalidSearch."""
        filterset = self.filterset(data, queryset=self.items().none())
        if not filterset.is_valid():
            problems = [
                f"{filterset.form.fields[name].label}: {error}"
                if name in filterset.form.fields
                else error
                for name, errors in filterset.form.errors.items()
                for error in errors
            ]
            raise InvalidSearch(" ".join(problems))
        if getattr(filterset, "search_has_no_words", False):
            raise InvalidSearch(
                "Your search has no letters or numbers to look for. Search with words or "
                "numbers, for example “hydrogen” or “CO2”."
            )
        challenge = filterset.form.cleaned_data.get("challenge")
        if challenge and not Challenge.objects.filter(ref=challenge).exists():
            # The list page shows nothing for it; saved, it could never find anything.
            raise InvalidSearch(
                f"There is no challenge with the reference “{challenge}”. Check it, or leave "
                "the challenge out."
            )
        pairs = []
        for name in filterset.form.fields:
            if name in NOT_SAVED:
                continue
            values = sorted({value.strip() for value in data.getlist(name) if value.strip()})
            pairs += [(name, value) for value in values]
        query = urlencode(pairs)
        if len(query) > QUERY_MAX:
            raise InvalidSearch(
                "This search is too long to save: use fewer words or fewer filters."
            )
        for (name, value), message in self.never_new.items():
            if value in data.getlist(name):
                raise InvalidSearch(message)
        return query

    def new_results(
        self, query: str, since: datetime, until: datetime, leave_out: set[int]
    ) -> QuerySet:
        """Items that fit the saved query and appeared after `since`, up to `until`; none of
        the organisations in `leave_out`."""
        fresh = self.items().filter(
            **{f"{self.published_field}__gt": since, f"{self.published_field}__lte": until}
        )
        if self.owner_field and leave_out:
            fresh = fresh.exclude(**{f"{self.owner_field}__in": leave_out})
        return self.filterset(QueryDict(query), queryset=fresh).qs


def _listings(kind: str) -> Callable[[], QuerySet]:
    return lambda: Listing.objects.published().filter(kind=kind).select_related("organisation")


def _describe_listing(listing) -> tuple[str, str]:
    return listing.title, f"{listing.get_kind_display()} from {listing.organisation.name}"


def _describe_challenge(challenge) -> tuple[str, str]:
    return challenge.title, f"Challenge in {challenge.cluster.name}"


def _describe_organisation(organisation) -> tuple[str, str]:
    return organisation.name, f"{organisation.get_kind_display()} in the directory"


PAGES: dict[str, SearchPage] = {
    page.name: page
    for page in [
        SearchPage(
            name="offers",
            label="Offers",
            url_name="clusters:offer-list",
            filterset=ListingFilter,
            items=_listings(Listing.Kind.OFFER),
            published_field="published_at",
            owner_field="organisation",
            describe=_describe_listing,
        ),
        SearchPage(
            name="needs",
            label="Needs",
            url_name="clusters:need-list",
            filterset=ListingFilter,
            items=_listings(Listing.Kind.NEED),
            published_field="published_at",
            owner_field="organisation",
            describe=_describe_listing,
        ),
        SearchPage(
            name="challenges",
            label="Challenges",
            url_name="clusters:challenge-list",
            filterset=ChallengeFilter,
            items=lambda: Challenge.objects.open().select_related("cluster"),
            published_field="created_at",
            owner_field=None,
            describe=_describe_challenge,
            never_new={
                ("status", "closed"): (
                    "Only new open challenges are sent by email, so a search of closed "
                    "challenges cannot be saved: choose “Open” or any status."
                )
            },
        ),
        SearchPage(
            name="organisations",
            label="Organisations",
            url_name="clusters:organisation-list",
            filterset=OrganisationFilter,
            # New to the directory: approved since the last look (reviewed_at is when).
            items=lambda: Organisation.objects.approved(),
            published_field="reviewed_at",
            owner_field="pk",
            describe=_describe_organisation,
            link=lambda organisation: organisation.get_public_url(),
        ),
    ]
}
