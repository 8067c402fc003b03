"""Make a finished computation and its figures, as the insights task would leave them."""

import datetime
from zoneinfo import ZoneInfo

from insights.models import Computation, Figure

# Noon on 15 June 2027, London time: the charts' last month is June 2027.
COMPUTED_AT = datetime.datetime(2027, 6, 15, 12, 0, tzinfo=ZoneInfo("Europe/London"))


def make_computation(*, finished_at=COMPUTED_AT, state=Computation.State.DONE):
    computation = Computation.objects.create(state=state)
    Computation.objects.filter(pk=computation.pk).update(finished_at=finished_at)
    computation.refresh_from_db()
    return computation


def add_figures(computation, rows, **scope):
    """rows: (measure, month or None, value[, theme]); scope: cluster=..., challenge=..."""
    Figure.objects.bulk_create(
        Figure(
            computation=computation,
            measure=row[0],
            month=row[1],
            value=row[2],
            theme=row[3] if len(row) > 3 else None,
            **scope,
        )
        for row in rows
    )


def month(year, number):
    return datetime.date(year, number, 1)
