"""The insights computation: counts the records by GROUP BY and stores them as `Figure` rows.

`compute_insights()` is the only writer. It reads the records with a fixed number of
queries (the same with 6 clusters or 60, 10 challenges or 10,000), writes the figures of a
new `Computation` and marks it done in one transaction, so a page never reads half a run.

What each measure counts, and in which cluster and theme:
- A listing counts in each of its clusters and themes (a listing in two themes counts once
  in each theme, and once in "all themes"); a challenge in its cluster and its themes.
- A match counts where its source is (the listing or challenge it was suggested for); an
  introduction where it was asked from: its challenge, else the asker's listing, else the
  listing asked about.
- Per challenge: what was suggested for the challenge itself or for a listing posted in
  answer to it (Listing.challenge); introductions asked from it or about such a listing.
- By month, the month something happened (published, first suggested, marked interested, asked,
  accepted, the latest outcome answer); "in all" (month None) counts everything, including
  old rows with no date.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import date, timedelta

from django.db import transaction
from django.db.models import (
    Case,
    Count,
    DateField,
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from clusters.models import Challenge, Cluster, Listing, Theme
from introductions.models import Introduction, Outcome
from matching.models import Match
from matching.services import STRONG, strength

from .models import Computation, Figure, Measure

log = logging.getLogger(__name__)

KEEP = 3  # finished computations kept; older ones are deleted with their figures
STALE_RUN = timedelta(hours=6)  # a run still "running" after this died without a word
QUIET_AFTER = timedelta(days=60)  # a challenge with no offers after this long is a gap
MANY_OFFERS = 5  # a challenge with at least this many offers and no introduction stalls
UNMET_LISTED = 500  # unmet needs kept in the details (the longest waiting first)
BEST_PARTIAL = 3  # partial matches kept for each unmet need
BATCH = 2000

# The outcome answers in order of how far the partnership got, and the measure of each.
RESULT_ORDER = list(Outcome.Result.values)
RESULT_MEASURE = {
    Outcome.Result.NOTHING: Measure.OUTCOME_NOTHING,
    Outcome.Result.TALKING: Measure.OUTCOME_TALKING,
    Outcome.Result.TRIAL: Measure.OUTCOME_TRIAL,
    Outcome.Result.CONTRACT: Measure.OUTCOME_CONTRACT,
    Outcome.Result.BID_SUBMITTED: Measure.OUTCOME_BID_SUBMITTED,
    Outcome.Result.BID_WON: Measure.OUTCOME_BID_WON,
}
# The measures counted by month (and in all); the others are as things stood (month None).
MONTHLY = [
    Measure.OFFERS_PUBLISHED,
    Measure.NEEDS_PUBLISHED,
    Measure.MATCHES_SUGGESTED,
    Measure.MARKED_INTERESTED,
    Measure.INTRODUCTIONS_ASKED,
    Measure.INTRODUCTIONS_ACCEPTED,
    Measure.OUTCOMES_REPORTED,
    *RESULT_MEASURE.values(),
]
CURRENT = [
    Measure.CHALLENGES_OPEN,
    Measure.NEEDS_OPEN,
    Measure.NEEDS_WITH_STRONG_MATCH,
    Measure.NEEDS_WITHOUT_MATCH,
]
# The gap analysis's needs, by cluster × theme.
NEEDS_SHOWN = [
    Measure.NEEDS_OPEN,
    Measure.NEEDS_WITH_STRONG_MATCH,
    Measure.NEEDS_WITHOUT_MATCH,
]
# The partnering funnel, step by step.
FUNNEL = [
    Measure.MATCHES_SUGGESTED,
    Measure.MARKED_INTERESTED,
    Measure.INTRODUCTIONS_ASKED,
    Measure.INTRODUCTIONS_ACCEPTED,
    Measure.OUTCOMES_REPORTED,
]

# (measure, month, cluster id, theme id, challenge id) -> value
Key = tuple[str, date | None, int | None, int | None, int | None]


@dataclass(frozen=True)
class Subject:
    """Where a row counts: the paths from the counted model to its clusters, themes and
    challenge, and which rows take this path (the branches of one model are disjoint)."""

    rows: Q
    cluster: str
    theme: str
    challenge: str


def listing_subject(prefix: str = "", rows: Q | None = None) -> Subject:
    return Subject(rows or Q(), f"{prefix}clusters", f"{prefix}themes", f"{prefix}challenge")


def challenge_subject(prefix: str = "", rows: Q | None = None) -> Subject:
    own = prefix[:-2] if prefix else "pk"
    return Subject(rows or Q(), f"{prefix}cluster", f"{prefix}themes", own)


def month_of(*fields) -> TruncMonth:
    source = Coalesce(*fields) if len(fields) > 1 else fields[0]
    return TruncMonth(source, output_field=DateField())


class Tally:
    """The figures of one run, added up from grouped counts."""

    def __init__(self, challenge_cluster: dict[int, int]):
        self.values: Counter[Key] = Counter()
        self.challenge_cluster = challenge_cluster

    def count(
        self,
        queryset,
        subject: Subject,
        measures: dict[str, str],
        *,
        month=None,
        split: str | None = None,
        per_challenge: bool = True,
    ) -> None:
        """Add `queryset`'s rows, counted once per group: for each cluster × theme, cluster,
        theme, everything and challenge, by month if `month` is given (and in all).

        `measures` maps a measure to the name of a conditional count (see `_aggregates`);
        `split` groups by one more field whose value picks the measure (measures is then
        keyed by that value). Five queries, whatever the number of clusters or themes.
        """
        queryset = queryset.filter(subject.rows)
        if month is not None:
            queryset = queryset.annotate(_month=month)
        groupings = [
            (subject.cluster, subject.theme, None),
            (subject.cluster, None, None),
            (None, subject.theme, None),
            (None, None, None),
        ]
        if per_challenge:
            groupings.append((None, None, subject.challenge))
        for cluster_path, theme_path, challenge_path in groupings:
            fields = [p for p in (cluster_path, theme_path, challenge_path) if p]
            if month is not None:
                fields.append("_month")
            if split:
                fields.append(split)
            aggregates = _aggregates(measures, split)
            rows = queryset.values(*fields).annotate(**aggregates).order_by()
            for row in rows.iterator(BATCH):
                if challenge_path:
                    challenge = row[challenge_path]
                    if challenge is None:
                        continue
                    cluster, theme = self.challenge_cluster.get(challenge), None
                else:
                    challenge = None
                    cluster = row[cluster_path] if cluster_path else None
                    theme = row[theme_path] if theme_path else None
                    if (cluster_path and cluster is None) or (theme_path and theme is None):
                        continue  # a listing with no cluster (or no theme) counts in "all"
                when = row.get("_month")
                for alias, measure in _measures_of(measures, split, row):
                    n = row[alias]
                    if not n:
                        continue
                    self.values[(measure, None, cluster, theme, challenge)] += n
                    if when is not None:
                        self.values[(measure, when, cluster, theme, challenge)] += n

    def get(self, measure, cluster=None, theme=None, challenge=None, month=None) -> int:
        return self.values.get((measure, month, cluster, theme, challenge), 0)


def _aggregates(measures: dict[str, str], split: str | None) -> dict:
    if split:
        return {"n": Count("pk", distinct=True)}
    names = set(measures.values())
    return {
        name: Count("pk", distinct=True, filter=Q(**{name: True}) if name != "n" else None)
        for name in names
    }


def _measures_of(measures, split, row):
    if split:
        measure = measures.get(row[split])
        return [("n", measure)] if measure else []
    return [(alias, measure) for measure, alias in measures.items()]


# The records, counted ----------------------------------------------------------------------


def strong_match_exists():
    """Whether a need has a strong match that still stands: a suggestion either way, scoring
    "strong", whose other side is published and which nobody marked "not relevant"."""
    live = ~Q(status=Match.Status.DISMISSED) & Q(score__gte=STRONG)
    as_source = Match.objects.filter(
        live, source_listing=OuterRef("pk"), target__status=Listing.Status.PUBLISHED
    )
    as_target = Match.objects.filter(
        live, target=OuterRef("pk"), source_listing__status=Listing.Status.PUBLISHED
    )
    return Exists(as_source) | Exists(as_target)


def open_needs():
    return (
        Listing.objects.published().live().needs().annotate(strong=strong_match_exists()).order_by()
    )


def _count_listings(tally: Tally) -> None:
    # Published at some time (withdrawn since, or still up), never taken down by staff.
    ever_published = (
        Listing.objects.filter(Q(published_at__isnull=False) | Q(status=Listing.Status.PUBLISHED))
        .exclude(status=Listing.Status.TAKEN_DOWN)
        .order_by()
    )
    tally.count(
        ever_published,
        listing_subject(),
        {Listing.Kind.OFFER: Measure.OFFERS_PUBLISHED, Listing.Kind.NEED: Measure.NEEDS_PUBLISHED},
        month=month_of("published_at", "created_at"),
        split="kind",
    )
    tally.count(
        open_needs(),
        listing_subject(),
        {Measure.NEEDS_OPEN: "n", Measure.NEEDS_WITH_STRONG_MATCH: "strong"},
    )
    tally.count(
        Challenge.objects.open().order_by(),
        challenge_subject(),
        {Measure.CHALLENGES_OPEN: "n"},
        per_challenge=False,
    )


def _match_subjects() -> list[Subject]:
    return [
        listing_subject("source_listing__", Q(source_listing__isnull=False)),
        challenge_subject("source_challenge__", Q(source_challenge__isnull=False)),
    ]


def _introduction_subjects() -> list[Subject]:
    return [
        challenge_subject("challenge__", Q(challenge__isnull=False)),
        listing_subject(
            "source_listing__", Q(challenge__isnull=True, source_listing__isnull=False)
        ),
        listing_subject("target_listing__", Q(challenge__isnull=True, source_listing__isnull=True)),
    ]


def _count_funnel(tally: Tally) -> None:
    matches = Match.objects.order_by()
    for subject in _match_subjects():
        tally.count(
            matches,
            subject,
            {Measure.MATCHES_SUGGESTED: "n"},
            month=month_of("first_seen_at", "computed_at"),
        )
        tally.count(
            matches.filter(status=Match.Status.INTERESTED),
            subject,
            {Measure.MARKED_INTERESTED: "n"},
            month=month_of("status_changed_at", "computed_at"),
        )
    introductions = Introduction.objects.order_by()
    accepted = introductions.filter(status=Introduction.Status.ACCEPTED)
    answers = Outcome.objects.filter(introduction=OuterRef("pk"))
    rank = Case(
        *(When(result=result, then=Value(i)) for i, result in enumerate(RESULT_ORDER)),
        output_field=IntegerField(),
    )
    reported = accepted.annotate(
        best=Subquery(answers.annotate(r=rank).order_by("-r").values("r")[:1]),
        answered_at=Subquery(answers.order_by("-updated_at").values("updated_at")[:1]),
    ).filter(best__isnull=False)
    by_rank = {i: RESULT_MEASURE[result] for i, result in enumerate(RESULT_ORDER)}
    for subject in _introduction_subjects():
        tally.count(
            introductions,
            subject,
            {Measure.INTRODUCTIONS_ASKED: "n"},
            month=month_of("created_at"),
        )
        tally.count(
            accepted,
            subject,
            {Measure.INTRODUCTIONS_ACCEPTED: "n"},
            month=month_of("decided_at", "updated_at"),
        )
        tally.count(reported, subject, by_rank, month=month_of("answered_at"), split="best")
    # Reported at all: the sum of the best answers, each introduction having one.
    for (measure, *rest), n in list(tally.values.items()):
        if measure in by_rank.values():
            tally.values[(Measure.OUTCOMES_REPORTED, *rest)] += n


# The gap analysis's lists ------------------------------------------------------------------


def _unmet_needs() -> tuple[int, list[dict]]:
    """How many open needs have no strong match, and the longest waiting of them with their
    best partial matches (any score, other side published, not marked "not relevant")."""
    unmet = open_needs().filter(strong=False)
    total = unmet.count()
    needs = list(
        unmet.order_by(F("published_at").asc(nulls_first=True), "created_at", "pk").values(
            "pk", "ref", "title", "published_at", "created_at", "challenge_id"
        )[:UNMET_LISTED]
    )
    ids = [n["pk"] for n in needs]
    clusters, themes = defaultdict(list), defaultdict(list)
    for listing, cluster in Listing.clusters.through.objects.filter(listing_id__in=ids).values_list(
        "listing_id", "cluster_id"
    ):
        clusters[listing].append(cluster)
    for listing, theme in Listing.themes.through.objects.filter(listing_id__in=ids).values_list(
        "listing_id", "theme_id"
    ):
        themes[listing].append(theme)
    partial = defaultdict(list)
    candidates = (
        Match.objects.filter(Q(source_listing_id__in=ids) | Q(target_id__in=ids))
        .exclude(status=Match.Status.DISMISSED)
        .values_list(
            "source_listing_id",
            "source_listing__ref",
            "source_listing__title",
            "source_listing__status",
            "target_id",
            "target__ref",
            "target__title",
            "target__status",
            "score",
        )
        .order_by("-score", "pk")
    )
    wanted = set(ids)
    for s_id, s_ref, s_title, s_status, t_id, t_ref, t_title, t_status, score in candidates:
        for need, ref, title, status in (
            (s_id, t_ref, t_title, t_status),
            (t_id, s_ref, s_title, s_status),
        ):
            if need in wanted and status == Listing.Status.PUBLISHED:
                found = partial[need]
                if len(found) < BEST_PARTIAL and ref not in {f["ref"] for f in found}:
                    found.append(
                        {
                            "ref": ref,
                            "title": title,
                            "score": round(score, 3),
                            "strength": strength(score),
                        }
                    )
    return total, [
        {
            "ref": n["ref"],
            "title": n["title"],
            "published_at": (n["published_at"] or n["created_at"]).isoformat(),
            "clusters": sorted(clusters[n["pk"]]),
            "themes": sorted(themes[n["pk"]]),
            "challenge": n["challenge_id"],
            "best": partial[n["pk"]],
        }
        for n in needs
    ]


def _count_rows(queryset) -> Subquery:
    """The number of rows of a correlated queryset, as a subquery (0 when none)."""
    counted = queryset.order_by().annotate(c=Func(F("pk"), function="COUNT")).values("c")
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _stalled_challenges(now) -> tuple[list[dict], list[dict]]:
    """Open challenges with no offers 60 days after they were posted, and those with at least
    MANY_OFFERS offers and no introduction asked from them or about their offers."""
    offers = Listing.objects.published().offers().filter(challenge=OuterRef("pk"))
    asked = Introduction.objects.filter(
        Q(challenge=OuterRef("pk")) | Q(target_listing__challenge=OuterRef("pk"))
    )
    rows = (
        Challenge.objects.open()
        .annotate(offer_count=_count_rows(offers), asked_count=_count_rows(asked))
        .filter(
            Q(offer_count=0, created_at__lte=now - QUIET_AFTER)
            | Q(offer_count__gte=MANY_OFFERS, asked_count=0)
        )
        .order_by("created_at", "pk")
        .values("ref", "title", "cluster_id", "created_at", "offer_count", "asked_count")
    )
    quiet, busy = [], []
    for row in rows:
        item = {
            "ref": row["ref"],
            "title": row["title"],
            "cluster": row["cluster_id"],
            "created_at": row["created_at"].isoformat(),
            "offers": row["offer_count"],
            "introductions": row["asked_count"],
        }
        (quiet if row["offer_count"] == 0 else busy).append(item)
    return quiet, busy


# The run -----------------------------------------------------------------------------------


def compute_insights(now=None) -> Computation:
    """Count everything afresh into a new Computation; return it, done.

    All or nothing: the figures appear together with the "done" mark, in one transaction, and
    a failure marks the run failed (its figures gone) and raises, while the pages keep reading
    the last good run. Safe twice or side by side: each run has its own Computation and the
    pages read the newest finished one. Keeps the last KEEP finished runs.
    """
    now = now or timezone.now()
    computation = Computation.objects.create()
    try:
        figures, details = _compute(now)
        with transaction.atomic():
            Figure.objects.bulk_create(
                (Figure(computation=computation, **f) for f in figures), batch_size=BATCH
            )
            computation.state = Computation.State.DONE
            computation.finished_at = timezone.now()
            computation.details = details
            computation.save(update_fields=["state", "finished_at", "details"])
    except Exception as exc:
        log.exception("Insights computation %s failed", computation.pk)
        Figure.objects.filter(computation=computation).delete()
        Computation.objects.filter(pk=computation.pk).update(
            state=Computation.State.FAILED,
            finished_at=timezone.now(),
            details={"error": f"{type(exc).__name__}: {exc}"[:1000]},
        )
        raise
    delete_old_computations()
    return computation


def _compute(now) -> tuple[list[dict], dict]:
    clusters = list(Cluster.objects.values_list("pk", flat=True))
    themes = list(Theme.objects.values_list("pk", flat=True))
    challenge_cluster = dict(Challenge.objects.values_list("pk", "cluster_id"))
    tally = Tally(challenge_cluster)
    _count_listings(tally)
    _count_funnel(tally)

    # Every "in all" row is written, zeros too, so a reader finds each cell; monthly rows only
    # where something happened (a missing month is a zero).
    cells = [(c, t, None) for c in [*clusters, None] for t in [*themes, None]]
    cells += [(cluster, None, ch) for ch, cluster in challenge_cluster.items()]
    for measure in [*MONTHLY, *CURRENT]:
        for cluster, theme, challenge in cells:
            if measure == Measure.CHALLENGES_OPEN and challenge is not None:
                continue
            tally.values.setdefault((measure, None, cluster, theme, challenge), 0)
    for measure, month, cluster, theme, challenge in list(tally.values):
        if measure == Measure.NEEDS_OPEN:
            key = (cluster, theme, challenge)
            tally.values[(Measure.NEEDS_WITHOUT_MATCH, month, *key)] = tally.get(
                Measure.NEEDS_OPEN, *key
            ) - tally.get(Measure.NEEDS_WITH_STRONG_MATCH, *key)

    unmet_total, unmet = _unmet_needs()
    quiet, busy = _stalled_challenges(now)
    details = {
        "strong_from": STRONG,
        "quiet_after_days": QUIET_AFTER.days,
        "many_offers": MANY_OFFERS,
        "unmet_needs_total": unmet_total,
        "unmet_needs": unmet,
        "challenges_without_offers": quiet,
        "challenges_without_introductions": busy,
    }
    figures = [
        {
            "measure": measure,
            "month": month,
            "cluster_id": cluster,
            "theme_id": theme,
            "challenge_id": challenge,
            "value": value,
        }
        for (measure, month, cluster, theme, challenge), value in tally.values.items()
    ]
    return figures, details


def delete_old_computations(keep: int = KEEP) -> int:
    """Delete the runs older than the newest `keep` finished ones (done or failed), and runs
    that died while running, with their figures. Never touches a run in progress."""
    now = timezone.now()
    kept = list(
        Computation.objects.filter(state=Computation.State.DONE)
        .order_by("-finished_at", "-pk")
        .values_list("finished_at", flat=True)[:keep]
    )
    old = Q(state=Computation.State.RUNNING, started_at__lt=now - STALE_RUN)
    if len(kept) == keep:
        old |= Q(
            state__in=[Computation.State.DONE, Computation.State.FAILED], finished_at__lt=kept[-1]
        )
    ids = list(Computation.objects.filter(old).values_list("pk", flat=True))
    if not ids:
        return 0
    Figure.objects.filter(computation_id__in=ids).delete()
    Computation.objects.filter(pk__in=ids).delete()
    return len(ids)
