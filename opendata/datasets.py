"""What each open data download holds: its fields (described on the page) and its rows.

Only what the public pages and the API already show is published: challenges, published
offers and needs that have not expired (of approved organisations), and the aggregate
figures. No person's name, email address or message is ever read here: organisations are
named, people are not. Rows are read in chunks (`iterator(chunk_size=...)`) so that a build
never holds more than a chunk of objects in memory, however many listings there are.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC

from django.conf import settings
from django.db.models import Prefetch
from django.urls import reverse

from clusters.models import Challenge, Cluster, Listing, Organisation, Theme
from insights.models import Computation, Figure, Measure

CHUNK_SIZE = 2000
LICENCE_NAME = "Open Government Licence v3.0"
LICENCE_URL = "https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/"
PUBLISHER = "Cluster Exchange"
FORMATS = ("csv", "json")
# The beat entry "open-data-daily" in config/settings/base.py runs at this hour (UK time);
# tests/opendata/test_task.py holds the two together.
BUILD_HOUR = 5
BUILD_TIME_TEXT = "every day at 5am UK time"


@dataclass(frozen=True)
class Field:
    name: str
    type: str  # "text", "reference", "list", "date and time", "month", "number", "web address"
    meaning: str
    example: str


@dataclass(frozen=True)
class Dataset:
    name: str  # the file name without its extension
    title: str
    description: str
    fields: tuple[Field, ...]
    rows: object  # a callable returning an iterator of dicts keyed by field name

    def field_names(self) -> list[str]:
        return [field.name for field in self.fields]


def _when(value) -> str | None:
    """An aware datetime as ISO 8601 in UTC, or None."""
    return value.astimezone(UTC).isoformat() if value else None


def _url_maker(url_name: str):
    """Absolute page addresses without a reverse() per row: refs need no escaping."""
    marker = "REF-PLACEHOLDER"
    pattern = settings.SITE_URL + reverse(url_name, args=[marker])
    before, after = pattern.split(marker)
    return lambda ref: f"{before}{ref}{after}"


def _slugs(items) -> list[str]:
    return sorted(item.slug for item in items)


# Challenges ---------------------------------------------------------------------------------

CHALLENGE_FIELDS = (
    Field("ref", "reference", "The challenge's unique reference.", "ch-humber-001"),
    Field("url", "web address", "Its page on this site.", "https://…/challenges/ch-humber-001/"),
    Field(
        "cluster",
        "reference",
        "The short name of the cluster that set it (as in its address).",
        "humber",
    ),
    Field("title", "text", "Its title.", "Capture CO2 from refinery heaters"),
    Field("description", "text", "What the cluster needs, in its own words.", "We run…"),
    Field("themes", "list", "Its themes' short names, separated by semicolons.", "ccus;hydrogen"),
    Field("status", "text", "open or closed.", "open"),
    Field(
        "set_by",
        "text",
        "The cluster body that set it, as its page shows (never a person).",
        "Humber Industrial Cluster Plan",
    ),
    Field(
        "last_reviewed_at",
        "date and time",
        "When its team last said it is still as written (empty if never).",
        "2026-11-02T09:30:00+00:00",
    ),
    Field("created_at", "date and time", "When it was added.", "2026-10-01T08:00:00+00:00"),
    Field("updated_at", "date and time", "When it last changed.", "2026-11-02T09:30:00+00:00"),
)


def challenge_rows() -> Iterator[dict]:
    url = _url_maker("clusters:challenge-detail")
    queryset = (
        Challenge.objects.select_related("cluster")
        .only(
            "ref",
            "title",
            "description",
            "status",
            "set_by",
            "last_reviewed_at",
            "created_at",
            "updated_at",
            "cluster__slug",
        )
        .prefetch_related(Prefetch("themes", queryset=Theme.objects.only("slug")))
        .order_by("ref")
    )
    for challenge in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield {
            "ref": challenge.ref,
            "url": url(challenge.ref),
            "cluster": challenge.cluster.slug,
            "title": challenge.title,
            "description": challenge.description,
            "themes": _slugs(challenge.themes.all()),
            "status": challenge.status,
            "set_by": challenge.set_by,
            "last_reviewed_at": _when(challenge.last_reviewed_at),
            "created_at": _when(challenge.created_at),
            "updated_at": _when(challenge.updated_at),
        }


# Offers and needs ---------------------------------------------------------------------------


def _listing_fields(kind: str) -> tuple[Field, ...]:
    what = "offer" if kind == Listing.Kind.OFFER else "need"
    return (
        Field("ref", "reference", f"The {what}'s unique reference.", "L-1042"),
        Field("url", "web address", "Its page on this site.", "https://…/listings/L-1042/"),
        Field("kind", "text", f'Always "{what}" in this file.', what),
        Field(
            "organisation",
            "reference",
            "The reference of the organisation that published it.",
            "org-estuary-heat",
        ),
        Field(
            "organisation_name",
            "text",
            "The organisation's name, as its public page shows it.",
            "Estuary Heat Ltd",
        ),
        Field("title", "text", "Its title.", "Industrial heat pumps"),
        Field("description", "text", "What it is, in the organisation's words.", "We make…"),
        Field(
            "themes",
            "list",
            "Its themes' short names, separated by semicolons.",
            "hydrogen;clean-electricity",
        ),
        Field(
            "clusters",
            "list",
            "Short names of the clusters it is for (empty: any cluster).",
            "humber;teesside",
        ),
        Field(
            "challenge",
            "reference",
            "The reference of the challenge it answers (empty if none).",
            "ch-humber-001",
        ),
        Field("created_at", "date and time", "When it was written.", "2026-10-01T08:00:00+00:00"),
        Field("updated_at", "date and time", "When it last changed.", "2026-11-02T09:30:00+00:00"),
    )


def _listing_rows(kind: str) -> Iterator[dict]:
    url = _url_maker("clusters:listing-detail")
    queryset = (
        Listing.objects.published()
        .live()
        .filter(kind=kind, organisation__status=Organisation.Status.APPROVED)
        .select_related("organisation", "challenge")
        .only(
            "ref",
            "kind",
            "title",
            "description",
            "created_at",
            "updated_at",
            "organisation__ref",
            "organisation__name",
            "challenge__ref",
        )
        .prefetch_related(
            Prefetch("themes", queryset=Theme.objects.only("slug")),
            Prefetch("clusters", queryset=Cluster.objects.only("slug")),
        )
        .order_by("ref")
    )
    for listing in queryset.iterator(chunk_size=CHUNK_SIZE):
        yield {
            "ref": listing.ref,
            "url": url(listing.ref),
            "kind": listing.kind,
            "organisation": listing.organisation.ref,
            "organisation_name": listing.organisation.name,
            "title": listing.title,
            "description": listing.description,
            "themes": _slugs(listing.themes.all()),
            "clusters": _slugs(listing.clusters.all()),
            "challenge": listing.challenge.ref if listing.challenge else None,
            "created_at": _when(listing.created_at),
            "updated_at": _when(listing.updated_at),
        }


# Figures ------------------------------------------------------------------------------------

FIGURE_FIELDS = (
    Field("measure", "reference", "What is counted (see the list below).", "offers_published"),
    Field("measure_name", "text", "The measure in words.", "Offers published"),
    Field(
        "month",
        "month",
        "The month counted (YYYY-MM); empty: in all, or as things stood when computed.",
        "2026-11",
    ),
    Field("cluster", "reference", "The cluster's short name; empty: all clusters.", "humber"),
    Field("theme", "reference", "The theme's short name; empty: all themes.", "ccus"),
    Field(
        "challenge",
        "reference",
        "The challenge's reference; empty: all challenges. A figure is per theme or per "
        "challenge, never both.",
        "ch-humber-001",
    ),
    Field("value", "number", "The count: a whole number, 0 or more.", "12"),
    Field(
        "computed_at",
        "date and time",
        "When the figures were computed from the records.",
        "2026-12-03T03:10:00+00:00",
    ),
)


def figure_rows() -> Iterator[dict]:
    computation = Computation.objects.latest_done()
    if computation is None:
        return
    names = dict(Measure.choices)
    computed_at = _when(computation.finished_at)
    queryset = (
        Figure.objects.filter(computation=computation)
        .order_by("measure", "month", "cluster__slug", "theme__slug", "challenge__ref", "pk")
        .values_list("measure", "month", "cluster__slug", "theme__slug", "challenge__ref", "value")
    )
    for measure, month, cluster, theme, challenge, value in queryset.iterator(
        chunk_size=CHUNK_SIZE
    ):
        yield {
            "measure": measure,
            "measure_name": names.get(measure, measure),
            "month": f"{month:%Y-%m}" if month else None,
            "cluster": cluster,
            "theme": theme,
            "challenge": challenge,
            "value": value,
            "computed_at": computed_at,
        }


DATASETS = (
    Dataset(
        "challenges",
        "Challenges",
        "Every challenge the clusters have set, open or closed, as its public page shows it.",
        CHALLENGE_FIELDS,
        challenge_rows,
    ),
    Dataset(
        "offers",
        "Offers",
        "Every published offer that has not expired: what organisations provide.",
        _listing_fields(Listing.Kind.OFFER),
        lambda: _listing_rows(Listing.Kind.OFFER),
    ),
    Dataset(
        "needs",
        "Needs",
        "Every published need that has not expired: what organisations are looking for.",
        _listing_fields(Listing.Kind.NEED),
        lambda: _listing_rows(Listing.Kind.NEED),
    ),
    Dataset(
        "figures",
        "Figures",
        "The programme's aggregate figures (counts only), from their newest computation: one "
        "row per measure, month, cluster, theme or challenge.",
        FIGURE_FIELDS,
        figure_rows,
    ),
)
BY_NAME = {dataset.name: dataset for dataset in DATASETS}
