"""The insights computation: its figures checked against a small world of records, the
gap analysis's lists, and how runs behave (twice, side by side, failing, kept)."""

from collections import Counter
from datetime import date, timedelta

import pytest
from django.conf import settings as django_settings
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from clusters.models import Challenge, Cluster, Listing, Theme
from insights import services
from insights.models import Computation, Figure, Measure
from insights.tables import Figures, funnel_cells
from insights.tasks import compute_insights_task
from tests import factories as f
from tests.insights.world import build, listing

pytestmark = pytest.mark.django_db


def figure(computation, measure, *, month=None, cluster=None, theme=None, challenge=None):
    """The stored value, or None when no row was written."""
    row = Figure.objects.filter(
        computation=computation,
        measure=measure,
        month=month,
        cluster=cluster,
        theme=theme,
        challenge=challenge,
    ).values_list("value", flat=True)
    found = list(row)
    assert len(found) <= 1, "a figure was written twice"
    return found[0] if found else None


@pytest.fixture
def world():
    return build()


def test_listings_are_counted_by_cluster_theme_and_month(world):
    c = services.compute_insights()
    humber, teesside, ccus, hydrogen = (
        world[k] for k in ("humber", "teesside", "ccus", "hydrogen")
    )
    # Two offers in Humber × CCUS (the draft and the taken-down one never count).
    assert figure(c, Measure.OFFERS_PUBLISHED, cluster=humber, theme=ccus) == 2
    # offer_x is in two clusters and two themes: once in each cell, once in all.
    assert figure(c, Measure.OFFERS_PUBLISHED, cluster=teesside, theme=hydrogen) == 1
    assert figure(c, Measure.OFFERS_PUBLISHED, cluster=humber) == 2
    assert figure(c, Measure.OFFERS_PUBLISHED, theme=hydrogen) == 1
    assert figure(c, Measure.OFFERS_PUBLISHED) == 2
    assert figure(c, Measure.OFFERS_PUBLISHED, month=date(2026, 3, 1)) == 1
    assert figure(c, Measure.OFFERS_PUBLISHED, month=date(2026, 4, 1)) == 1
    assert figure(c, Measure.NEEDS_PUBLISHED, month=date(2026, 4, 1), cluster=humber) == 1
    assert figure(c, Measure.NEEDS_PUBLISHED) == 3
    # The challenge's own figures: the need posted in answer to it.
    assert figure(c, Measure.NEEDS_PUBLISHED, cluster=humber, challenge=world["challenge"]) == 1
    assert figure(c, Measure.CHALLENGES_OPEN, cluster=humber, theme=ccus) == 1
    # Months with nothing have no row; "in all" rows exist for every cell, zeros too.
    assert figure(c, Measure.OFFERS_PUBLISHED, month=date(2026, 5, 1)) is None
    assert figure(c, Measure.OFFERS_PUBLISHED, cluster=Cluster.objects.get(slug="grangemouth")) == 0


def test_needs_with_and_without_a_strong_match_per_cluster_and_theme(world):
    c = services.compute_insights()
    humber, teesside, ccus, hydrogen = (
        world[k] for k in ("humber", "teesside", "ccus", "hydrogen")
    )
    # need_a has a strong match (0.9); need_b only a good one (0.3); need_c's was dismissed.
    assert figure(c, Measure.NEEDS_OPEN, cluster=humber, theme=ccus) == 2
    assert figure(c, Measure.NEEDS_WITH_STRONG_MATCH, cluster=humber, theme=ccus) == 1
    assert figure(c, Measure.NEEDS_WITHOUT_MATCH, cluster=humber, theme=ccus) == 1
    assert figure(c, Measure.NEEDS_WITHOUT_MATCH, cluster=teesside, theme=hydrogen) == 1
    assert figure(c, Measure.NEEDS_OPEN) == 3
    assert figure(c, Measure.NEEDS_WITH_STRONG_MATCH) == 1
    assert figure(c, Measure.NEEDS_WITHOUT_MATCH) == 2
    assert figure(c, Measure.NEEDS_WITH_STRONG_MATCH, theme=hydrogen) == 0
    # The figures agree with the database, cell by cell.
    for cluster in Cluster.objects.all():
        for theme in Theme.objects.all():
            published = Listing.objects.published().needs().filter(clusters=cluster, themes=theme)
            assert figure(c, Measure.NEEDS_OPEN, cluster=cluster, theme=theme) == published.count()


def test_a_strong_match_whose_offer_is_withdrawn_no_longer_counts(world):
    Listing.objects.filter(pk=world["offer_x"].pk).update(status=Listing.Status.WITHDRAWN)
    c = services.compute_insights()
    assert figure(c, Measure.NEEDS_WITH_STRONG_MATCH) == 0
    assert figure(c, Measure.NEEDS_WITHOUT_MATCH) == 3
    # Withdrawn since, but it was published: it still counts as published in its month.
    assert figure(c, Measure.OFFERS_PUBLISHED, month=date(2026, 3, 1)) == 1


def test_the_funnel_counts_each_step_where_it_was_asked_from(world):
    c = services.compute_insights()
    humber, ccus, challenge = world["humber"], world["ccus"], world["challenge"]
    assert figure(c, Measure.MATCHES_SUGGESTED) == 4
    assert figure(c, Measure.MATCHES_SUGGESTED, month=date(2026, 4, 1)) == 3
    assert figure(c, Measure.MARKED_INTERESTED) == 2
    assert figure(c, Measure.MARKED_INTERESTED, month=date(2026, 5, 1)) == 1  # when marked
    assert figure(c, Measure.INTRODUCTIONS_ASKED) == 3
    assert figure(c, Measure.INTRODUCTIONS_ACCEPTED) == 2
    assert figure(c, Measure.OUTCOMES_REPORTED) == 1
    # Per challenge: the challenge's own suggestion and the one for the need posted to it;
    # the introduction asked from it and the one about its need.
    assert figure(c, Measure.MATCHES_SUGGESTED, cluster=humber, challenge=challenge) == 2
    assert figure(c, Measure.INTRODUCTIONS_ASKED, cluster=humber, challenge=challenge) == 2
    assert figure(c, Measure.INTRODUCTIONS_ACCEPTED, cluster=humber, challenge=challenge) == 1
    assert figure(c, Measure.MATCHES_SUGGESTED, cluster=humber, theme=ccus) == 3
    assert figure(c, Measure.MATCHES_SUGGESTED, cluster=world["teesside"]) == 1


def test_an_introduction_counts_its_best_outcome_once_in_the_month_of_the_latest_answer(world):
    c = services.compute_insights()
    # One side says talking (June), the other a contract (July): a contract, in July.
    assert figure(c, Measure.OUTCOME_CONTRACT) == 1
    assert figure(c, Measure.OUTCOME_TALKING) == 0
    assert figure(c, Measure.OUTCOME_CONTRACT, month=date(2026, 7, 1)) == 1
    assert figure(c, Measure.OUTCOMES_REPORTED, month=date(2026, 6, 1)) is None
    assert figure(c, Measure.OUTCOMES_REPORTED, month=date(2026, 7, 1)) == 1


def test_funnel_conversions_are_shares_of_the_step_before_with_no_data_for_zero(world):
    c = services.compute_insights()
    figures = Figures(c, services.FUNNEL)
    # 4 suggested → 2 useful (50%) → 3 asked (150%) → 2 accepted (67%) → 1 reported (50%).
    assert funnel_cells(figures.of(services.FUNNEL)) == [4, 2, "50%", 3, "150%", 2, "67%", 1, "50%"]
    teesside = funnel_cells(figures.of(services.FUNNEL, world["teesside"].pk))
    assert teesside == [1, 0, "0%", 0, "no data", 0, "no data", 0, "no data"]


def test_gap_details_list_unmet_needs_with_their_best_partial_matches(world):
    c = services.compute_insights()
    details = c.details
    assert details["unmet_needs_total"] == 2
    unmet = {n["ref"]: n for n in details["unmet_needs"]}
    assert set(unmet) == {world["need_b"].ref, world["need_c"].ref}
    assert unmet[world["need_b"].ref]["best"] == [
        {
            "ref": world["offer_y"].ref,
            "title": world["offer_y"].title,
            "score": 0.3,
            "strength": "good",
        }
    ]
    assert unmet[world["need_c"].ref]["best"] == []  # its only match was "not relevant"
    assert unmet[world["need_b"].ref]["clusters"] == [world["humber"].pk]


def test_gap_details_list_quiet_and_stalled_challenges(world):
    quiet = f.ChallengeFactory(title="Nobody answered")
    young = f.ChallengeFactory(title="Posted last week")
    Challenge.objects.filter(pk=quiet.pk).update(created_at=timezone.now() - timedelta(days=61))
    Challenge.objects.filter(pk=young.pk).update(created_at=timezone.now() - timedelta(days=7))
    busy = f.ChallengeFactory(title="Many offers")
    for _ in range(services.MANY_OFFERS):
        listing("offer", challenge=busy)
    asked = f.ChallengeFactory(title="Many offers, one asked")
    offers = [listing("offer", challenge=asked) for _ in range(services.MANY_OFFERS)]
    f.IntroductionFactory(target_listing=offers[0])
    details = services.compute_insights().details
    assert [c["ref"] for c in details["challenges_without_offers"]] == [quiet.ref]
    assert [c["ref"] for c in details["challenges_without_introductions"]] == [busy.ref]
    assert details["challenges_without_introductions"][0]["offers"] == services.MANY_OFFERS


def test_running_twice_gives_the_same_figures_and_the_pages_read_the_newest(world):
    first = services.compute_insights()
    second = services.compute_insights()
    assert Computation.objects.latest_done() == second

    def values(c):
        return Counter(
            Figure.objects.filter(computation=c).values_list(
                "measure", "month", "cluster", "theme", "challenge", "value"
            )
        )

    assert values(first) == values(second)
    assert len(values(first)) > 100


def test_a_failed_run_is_marked_failed_and_the_last_good_one_stays_in_use(world, monkeypatch):
    good = services.compute_insights()

    def broken(tally):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(services, "_count_funnel", broken)
    with pytest.raises(RuntimeError):
        services.compute_insights()
    failed = Computation.objects.exclude(pk=good.pk).get()
    assert failed.state == Computation.State.FAILED
    assert "the database went away" in failed.details["error"]
    assert not failed.figures.exists()
    assert Computation.objects.latest_done() == good


def test_a_run_still_going_is_not_read_and_not_deleted(world):
    running = Computation.objects.create()
    for _ in range(services.KEEP + 1):
        services.compute_insights()
    assert Computation.objects.latest_done() != running
    assert Computation.objects.filter(pk=running.pk).exists()


def test_only_the_last_three_finished_runs_are_kept(world):
    runs = [services.compute_insights() for _ in range(services.KEEP + 2)]
    kept = set(Computation.objects.filter(state="done").values_list("pk", flat=True))
    assert kept == {r.pk for r in runs[-services.KEEP :]}
    assert not Figure.objects.filter(computation__in=runs[:2]).exists()


def test_a_run_that_died_long_ago_is_cleared_away(world):
    dead = Computation.objects.create()
    Computation.objects.filter(pk=dead.pk).update(started_at=timezone.now() - timedelta(days=1))
    services.compute_insights()
    assert not Computation.objects.filter(pk=dead.pk).exists()


def queries_of_a_run() -> tuple[int, int]:
    """(reads and updates, inserts of figures) of one run."""
    with CaptureQueriesContext(connection) as captured:
        services.compute_insights()
    inserts = [q for q in captured if q["sql"].startswith('INSERT INTO "insights_figure"')]
    return len(captured) - len(inserts), len(inserts)


def test_the_number_of_queries_does_not_grow_with_clusters_themes_or_challenges(world):
    before, _ = queries_of_a_run()
    for n in range(5):
        cluster = f.ClusterFactory(slug=f"extra-{n}")
        Theme.objects.create(slug=f"extra-{n}", name=f"Extra theme {n}")
        challenge = f.ChallengeFactory(cluster=cluster, themes=[f"extra-{n}"])
        need = listing("need", [cluster.slug], [f"extra-{n}"], challenge=challenge)
        f.IntroductionFactory(source_listing=need, challenge=challenge)
    after, inserts = queries_of_a_run()
    # The same reads, GROUP BY in the database; only the batched inserts grow with the rows.
    assert after == before < 110
    assert (
        inserts
        <= Figure.objects.filter(computation=Computation.objects.latest_done()).count() / 100 + 1
    )


def test_the_command_computes_the_figures(world, capsys):
    call_command("compute_insights")
    assert "Insights computed" in capsys.readouterr().out
    assert Computation.objects.latest_done() is not None


def test_the_task_runs_the_computation_hourly():
    [entry] = [
        entry
        for entry in django_settings.CELERY_BEAT_SCHEDULE.values()
        if entry["task"] == compute_insights_task.name
    ]
    schedule = entry["schedule"]
    assert len(schedule.hour) == 24 and len(schedule.minute) == 1


def test_the_task_returns_the_new_computation(world):
    pk = compute_insights_task.apply().get()
    assert Computation.objects.get(pk=pk).state == Computation.State.DONE


def test_a_share_under_one_percent_says_so_rather_than_0_percent():
    from insights.tables import conversion

    assert conversion(1, 451) == "under 1%"
    assert conversion(1, 200) == "under 1%"  # 0.5% rounds to 0 (half to even): review
    assert conversion(0, 451) == "0%"
    assert conversion(5, 451) == "1%"
    assert conversion(199, 200) == "over 99%" and conversion(200, 200) == "100%"
    assert conversion(1, 0) == "no data"
