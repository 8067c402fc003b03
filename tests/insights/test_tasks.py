"""The insights task on a real worker: sent twice, both runs finish and the newest is read."""

import pytest

from clusters.models import Cluster, Theme
from clusters.reference import create_reference_data
from insights.models import Computation, Figure, Measure
from insights.tasks import compute_insights_task
from tests.insights.world import build
from tests.services import filesystem_worker, wait_for


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_computes_the_figures_twice_safely(tmp_path):

    create_reference_data(Theme, Cluster)  # transactional tests start with empty tables
    build()
    with filesystem_worker(tmp_path):
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
