"""The stored figures read back as tables (the pages and their CSV downloads): no counting here."""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from datetime import datetime

from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.http import content_disposition_header

from clusters.models import Challenge, Cluster, Listing, Theme
from config.spreadsheets import neutralise

from .models import Figure, Measure
from .services import FUNNEL, NEEDS_SHOWN

NO_DATA = "no data"
FUNNEL_HEAD = [
    "Matches suggested",
    "Marked interested",
    "% of suggested",
    "Introductions asked for",
    "% of marked interested",
    "Accepted",
    "% of asked for",
    "Outcome reported",
    "% of accepted",
]
NEEDS = NEEDS_SHOWN
NEEDS_HEAD = ["Needs published", "With a strong match", "With no strong match"]


@dataclass
class Link:
    text: str
    url: str

    def __str__(self):
        return self.text


@dataclass
class Table:
    slug: str  # for ?download=<slug>
    caption: str
    head: list[str]
    numeric_from: int  # columns from this one on are numbers (aligned right)
    rows: list[list] = field(default_factory=list)
    empty: str = "Nothing to show."


def conversion(count: int, before: int) -> str:
    """`count` as a share of the step `before` it, or "no data" when that step had none."""
    if not before:
        return NO_DATA
    share = 100 * count / before
    if 0 < share < 1:
        return "under 1%"  # "0%" hid that something happened (newcomer probe, stop 31)
    if 99 < share < 100:
        return "over 99%"  # and "100%" that something had not (review)
    return f"{round(share)}%"


def funnel_cells(values: dict[str, int]) -> list:
    counts = [values.get(m, 0) for m in FUNNEL]
    cells = [counts[0]]
    for before, count in zip(counts, counts[1:], strict=False):
        cells += [count, conversion(count, before)]
    return cells


class Figures:
    """The "in all" figures of one computation, read in one query, with the names to show."""

    def __init__(self, computation, measures, *, challenges: bool = False):
        self.computation = computation
        rows = Figure.objects.filter(
            computation=computation, month__isnull=True, measure__in=list(measures)
        )
        if not challenges:
            rows = rows.filter(challenge__isnull=True)
        self.values: dict[tuple, int] = {}
        for measure, cluster, theme, challenge, value in rows.values_list(
            "measure", "cluster_id", "theme_id", "challenge_id", "value"
        ):
            self.values[(measure, cluster, theme, challenge)] = value
        self.clusters = list(Cluster.objects.order_by("name"))
        self.themes = list(Theme.objects.all())

    def get(self, measure, cluster=None, theme=None, challenge=None) -> int:
        return self.values.get((measure, cluster, theme, challenge), 0)

    def of(self, measures, cluster=None, theme=None, challenge=None) -> dict[str, int]:
        return {m: self.get(m, cluster, theme, challenge) for m in measures}

    def challenge_ids(self) -> set[int]:
        return {key[3] for key, value in self.values.items() if key[3] is not None and value}


def needs_table(figures: Figures) -> Table:
    """Needs published, with and without a strong match, by cluster × theme (where any)."""
    table = Table(
        "needs",
        "Needs by cluster and theme",
        ["Cluster", "Theme", *NEEDS_HEAD],
        numeric_from=2,
        empty="No needs are published yet.",
    )
    for cluster in figures.clusters:
        for theme in figures.themes:
            values = [figures.get(m, cluster.pk, theme.pk) for m in NEEDS]
            if values[0]:
                table.rows.append([cluster.name, theme.name, *values])
        if figures.get(Measure.NEEDS_OPEN, cluster.pk):
            table.rows.append(
                [cluster.name, "All themes", *(figures.get(m, cluster.pk) for m in NEEDS)]
            )
    if table.rows:
        table.rows.append(["All clusters", "All themes", *(figures.get(m) for m in NEEDS)])
    return table


def funnel_tables(figures: Figures, *, challenges: bool = False) -> list[Table]:
    """The partnering funnel in all, by cluster, by theme (and by challenge for staff)."""
    total = Table("funnel", "The partnering funnel, in all", FUNNEL_HEAD, numeric_from=0)
    total.rows.append(funnel_cells(figures.of(FUNNEL)))
    by_cluster = Table(
        "funnel-clusters",
        # The rows add up to more than "in all" (newcomer probe, stop 31): say why.
        "The funnel by cluster (a listing in two clusters counts in each)",
        ["Cluster", *FUNNEL_HEAD],
        numeric_from=1,
    )
    for cluster in figures.clusters:
        by_cluster.rows.append([cluster.name, *funnel_cells(figures.of(FUNNEL, cluster.pk))])
    by_theme = Table(
        "funnel-themes",
        "The funnel by theme (a listing in two themes counts in each)",
        ["Theme", *FUNNEL_HEAD],
        numeric_from=1,
    )
    for theme in figures.themes:
        by_theme.rows.append([theme.name, *funnel_cells(figures.of(FUNNEL, theme=theme.pk))])
    tables = [total, by_cluster, by_theme]
    if challenges:
        by_challenge = Table(
            "funnel-challenges",
            "The funnel by challenge (challenges with anything suggested or asked)",
            ["Challenge", "Cluster", *FUNNEL_HEAD],
            numeric_from=2,
            empty="Nothing has been suggested for a challenge yet.",
        )
        names = {c.pk: c.name for c in figures.clusters}
        found = Challenge.objects.filter(pk__in=figures.challenge_ids()).order_by("title")
        for challenge in found:
            url = reverse("clusters:challenge-detail", args=[challenge.ref])
            values = figures.of(FUNNEL, challenge.cluster_id, None, challenge.pk)
            by_challenge.rows.append(
                [
                    Link(challenge.title, url),
                    names.get(challenge.cluster_id, ""),
                    *funnel_cells(values),
                ]
            )
        tables.append(by_challenge)
    return tables


def unmet_needs_table(
    computation, figures: Figures, *, limit: int | None = None, cluster=None, theme=None
) -> Table:
    """The longest-waiting needs with no strong match, still published, with their best
    partial matches, in one cluster and theme if given. Listings are public, so their titles
    are shown and linked."""
    details = computation.details
    listed = [
        need
        for need in details.get("unmet_needs", [])
        if (cluster is None or cluster.pk in need["clusters"])
        and (theme is None or theme.pk in need["themes"])
    ][:limit]
    live = dict(
        Listing.objects.published()
        .live()
        .filter(ref__in=[n["ref"] for n in listed] + [b["ref"] for n in listed for b in n["best"]])
        .values_list("ref", "title")
    )
    cluster_names = {c.pk: c.name for c in figures.clusters}
    theme_names = {t.pk: t.name for t in figures.themes}
    table = Table(
        "unmet-needs",
        "Needs with no strong match, longest waiting first",
        ["Need", "Clusters", "Themes", "Published", "Best partial matches"],
        numeric_from=99,
        empty="Every published need has at least one strong match.",
    )
    for need in listed:
        if need["ref"] not in live:
            continue  # withdrawn since the figures were computed
        best = "; ".join(
            f"{live[b['ref']]} ({b['strength']}, {b['score']:.2f})"
            for b in need["best"]
            if b["ref"] in live
        )
        table.rows.append(
            [
                Link(live[need["ref"]], reverse("clusters:listing-detail", args=[need["ref"]])),
                ", ".join(cluster_names[c] for c in need["clusters"] if c in cluster_names),
                ", ".join(theme_names[t] for t in need["themes"] if t in theme_names),
                datetime.fromisoformat(need["published_at"]).date(),
                best or "None",
            ]
        )
    # The task keeps the longest-waiting needs of the whole site, not of each cluster and
    # theme: say when this cluster or theme has more unmet needs than are listed here.
    unmet = figures.get(
        Measure.NEEDS_WITHOUT_MATCH, cluster.pk if cluster else None, theme.pk if theme else None
    )
    if (cluster or theme) and unmet > len(table.rows):
        kept = details.get("unmet_needs_listed", len(details.get("unmet_needs", [])))
        table.caption += (
            f" ({len(table.rows)} listed of {unmet:,}: the list keeps the {kept:,} needs "
            "waiting longest across every cluster)"
        )
        table.empty = (
            f"{unmet:,} published {'need here has' if unmet == 1 else 'needs here have'} no "
            f"strong match, but none is among the {kept:,} waiting longest across every "
            "cluster, which are the ones listed."
        )
    return table


def challenge_tables(computation, figures: Figures) -> list[Table]:
    details = computation.details
    names = {c.pk: c.name for c in figures.clusters}
    quiet = Table(
        "challenges-without-offers",
        f"Open challenges with no offers after {details.get('quiet_after_days', 60)} days",
        ["Challenge", "Cluster", "Posted"],
        numeric_from=99,
        empty="Every open challenge older than that has at least one offer.",
    )
    busy = Table(
        "challenges-without-introductions",
        f"Open challenges with {details.get('many_offers', 5)} offers or more "
        "and no introduction asked for",
        ["Challenge", "Cluster", "Offers"],
        numeric_from=2,
        empty="No challenge has that many offers and no introduction.",
    )
    for table, rows, last in (
        (quiet, details.get("challenges_without_offers", []), "created_at"),
        (busy, details.get("challenges_without_introductions", []), "offers"),
    ):
        for row in rows:
            value = row[last]
            if last == "created_at":
                value = datetime.fromisoformat(value).date()
            table.rows.append(
                [
                    Link(row["title"], reverse("clusters:challenge-detail", args=[row["ref"]])),
                    names.get(row["cluster"], ""),
                    value,
                ]
            )
    return [quiet, busy]


def csv_response(table: Table, computed_at) -> HttpResponse:
    """The table as a CSV file; text that a spreadsheet would run as a formula is quoted."""
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    stamp = f"{timezone.localtime(computed_at):%Y-%m-%d-%H%M}"
    response["Content-Disposition"] = content_disposition_header(True, f"{table.slug}-{stamp}.csv")
    writer = csv.writer(response)
    writer.writerow(table.head)
    for row in table.rows:
        writer.writerow([_safe(cell) for cell in row])
    return response


def _safe(cell) -> str:
    text = str(cell)
    if isinstance(cell, int | float):
        return text
    return neutralise(text)
