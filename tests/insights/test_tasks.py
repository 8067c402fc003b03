"""The insights task on a real worker: sent twice, both runs finish and the newest is read."""

import pytest

from clusters.models import Cluster, Theme
from clusters.reference import create_reference_data
from insights.models import Computation, Figure, Measure
from insights.tasks import compute_insights_task
from tests.insights.world import build
from tests.services import broker, wait_for


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_the_figures_twice_safely(tmp_path):
    from celery.contrib.testing.worker import start_worker

    create_reference_data(Theme, Cluster)  # transactional tests start with empty tables
    build()
    options = {
        "data_folder_in": str(tmp_path / "queue"),
        "data_folder_out": str(tmp_path / "queue"),
        "processed_folder": str(tmp_path / "processed"),
        "control_folder": str(tmp_path / "control"),
    }
    for folder in ("queue", "processed"):
        (tmp_path / folder).mkdir()
    with (
        broker("filesystem://", options) as app,
        start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10),
    ):
        compute_insights_task.delay()
        compute_insights_task.delay()
        wait_for(lambda: Computation.objects.filter(state=Computation.State.DONE).count() == 2)
    newest = Computation.objects.latest_done()
    assert not Computation.objects.exclude(state=Computation.State.DONE).exists()
    for run in Computation.objects.all():
        assert (
            Figure.objects.get(
                computation=run,
                measure=Measure.MATCHES_SUGGESTED,
                month=None,
                cluster=None,
                theme=None,
                challenge=None,
            ).value
            == 4
        )
    assert newest == Computation.objects.order_by("-finished_at").first()
