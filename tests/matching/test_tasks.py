"""Matching jobs on a real Redis with real Celery worker processes.

Publishing enqueues work after commit; running any job twice, or on two workers at
once, never duplicates or loses a match; Redis being down loses nothing.
"""

import pytest
from django.db import transaction

from clusters import services as cluster_services
from clusters.importer import import_exchange
from clusters.models import Listing
from matching import services
from matching.models import Match, MatchingRun, MatchingWork
from matching.tasks import run_work_task, sweep_matching_work_task
from tests.conftest import SMALL_DOCUMENT
from tests.factories import ListingFactory
from tests.services import celery_workers, wait_for

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def reference_data(transactional_db):
    from clusters.models import Cluster, Theme
    from clusters.reference import create_reference_data

    create_reference_data(Theme, Cluster)


def test_an_imported_listing_is_matched_by_a_real_worker(redis_broker):
    with celery_workers(redis_broker.url):
        import_exchange(SMALL_DOCUMENT)
        wait_for(lambda: not MatchingWork.objects.exclude(state="done").exists())
    need = Listing.objects.get(ref="L-0002")
    assert list(Match.objects.for_listing(need).values_list("target__ref", flat=True)) == ["L-0001"]
    done = MatchingWork.objects.filter(state="done")
    assert done.exclude(kind="rebuild").count() == 5  # 2 challenges, 3 listings
    # The first job found no model and fitted it (one rebuild); the others waited for it.
    assert done.filter(kind="rebuild").count() == 1
    assert MatchingRun.objects.filter(kind="rebuild").count() == 1


def test_the_same_job_sent_twice_runs_once(redis_broker):
    import_exchange(SMALL_DOCUMENT)  # queued to Redis; no worker yet
    services.rebuild(in_process=True)
    listing = Listing.objects.get(ref="L-0001")
    MatchingWork.objects.all().delete()
    work = services.request_matching(listing)
    sentinel = services.request_matching(Listing.objects.get(ref="L-0002"))
    with celery_workers(redis_broker.url):
        run_work_task.delay(work.pk)
        run_work_task.delay(work.pk)
        run_work_task.delay(sentinel.pk)
        # One worker process takes messages in order: once the last is done, so are both.
        wait_for(lambda: MatchingWork.objects.get(pk=sentinel.pk).state == "done")
    work.refresh_from_db()
    assert work.attempts == 1
    assert MatchingRun.objects.filter(subject="L-0001").count() == 1


def stored_matches():
    return sorted(
        Match.objects.values_list(
            "source_key", "target__ref", "rank", "score", "reasons", "status", "engine_version"
        )
    )


def test_a_rebuild_shared_by_two_workers_gives_what_one_process_gives(redis_broker):
    """A map-reduce over 4 chunks of the need side and a merge, on two real workers: the
    same matches (ranks, scores, reasons) as one ranking in process, with a dismissed pair
    kept out and one organisation's own pairs never suggested."""
    import_exchange(SMALL_DOCUMENT)
    for n in range(30):
        ListingFactory(
            kind="offer" if n % 2 else "need",
            title=f"Carbon capture offer {n}",
            description="Amine solvent capture for cement kilns and refineries.",
            themes=["ccus"],
        )
    services.rebuild(in_process=True)
    dismissed = Match.objects.filter(source_listing__kind="need").order_by("pk").first()
    dismissed.status = Match.Status.DISMISSED  # as set_match_status, without its nudge
    dismissed.save()
    services.rebuild(in_process=True)
    expected = stored_matches()
    assert ("dismissed" in {row[5] for row in expected}) and len(expected) > 100
    Match.objects.exclude(status=Match.Status.DISMISSED).delete()
    MatchingWork.objects.all().delete()

    before = MatchingRun.objects.order_by("-pk").first().pk
    with celery_workers(
        redis_broker.url,
        count=2,
        extra_env={"MATCHING_CHUNKS": "4", "MATCHING_CHUNK_MIN_SOURCES": "4"},
    ):
        services.request_rebuild()
        run = wait_for(
            lambda: (
                MatchingRun.objects.filter(kind="rebuild", status="done", pk__gt=before)
                .order_by("-pk")
                .first()
            ),
            timeout=60,
        )
    assert run.chunks_total == 4
    workers = set(run.chunks.values_list("worker", flat=True))
    assert len(workers) == 2, f"chunks were run by {workers}"
    assert run.chunks_done == run.chunks_total
    assert run.chunks.filter(done=True).count() == 5  # and the merge
    assert not run.chunks.filter(candidates__isnull=False).exists()  # emptied by the merge
    assert stored_matches() == expected


def test_nothing_is_lost_when_redis_is_down_at_publish_time(redis_broker):
    import_exchange(SMALL_DOCUMENT)
    services.rebuild(in_process=True)
    MatchingWork.objects.all().delete()
    listing = ListingFactory(
        kind="offer",
        title="Amine capture for refinery heaters",
        description="Capture CO2 from refinery FCC stacks.",
        themes=["ccus"],
        status="draft",
    )

    redis_broker.stop()
    with transaction.atomic():
        cluster_services.submit_listing(listing)  # must not raise with the broker down
    listing.refresh_from_db()
    assert listing.status == "published"
    work = MatchingWork.objects.get(object_id=listing.pk)
    assert work.state == "pending"

    redis_broker.start()
    with celery_workers(redis_broker.url):
        sweep_matching_work_task.delay()
        wait_for(lambda: MatchingWork.objects.get(pk=work.pk).state == "done")
    assert MatchingRun.objects.filter(subject=listing.ref).count() == 1
    need = Listing.objects.get(ref="L-0002")
    assert listing.ref in set(Match.objects.for_listing(need).values_list("target__ref", flat=True))


def test_a_job_without_a_model_waits_for_the_worker_fitting_it_and_takes_over_if_it_died(
    monkeypatch,
):
    import time
    from datetime import timedelta

    from django.utils import timezone

    monkeypatch.setattr(services, "LEASE", timedelta(seconds=1.5))
    monkeypatch.setattr(services, "FIRST_MODEL_POLL_SECONDS", 0.1)
    monkeypatch.setattr("config.celery.enqueue", lambda *args, **kwargs: None)
    with transaction.atomic():  # listings saved; their jobs not sent
        import_exchange(SMALL_DOCUMENT)
    MatchingWork.objects.all().delete()
    # Another worker claimed the first fit, then died without finishing it.
    fitting = MatchingWork.objects.create(
        kind="rebuild", state="running", claimed_at=timezone.now(), attempts=1
    )
    work = services.request_matching(Listing.objects.get(ref="L-0002"))

    start = time.monotonic()
    assert services.run_work(work.pk) == "done"

    assert time.monotonic() - start >= 1.4  # it waited for the other worker's lease
    fitting.refresh_from_db()
    assert (fitting.state, fitting.attempts) == ("done", 2)  # then took the fit over
    assert MatchingRun.objects.filter(kind="rebuild").count() == 1
    need = Listing.objects.get(ref="L-0002")
    assert list(Match.objects.for_listing(need).values_list("target__ref", flat=True)) == ["L-0001"]
