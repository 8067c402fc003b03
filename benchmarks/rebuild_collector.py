"""A rebuild with Python's cycle collector paused, and with it running, side by side (#11).

`matching.services` pauses the collector while a rebuild, a chunk or a merge runs
(`_cycle_collector_paused`): a rebuild holds millions of small objects (rows read, rows to
write, reasons), and each batch of new objects set the collector off, whose passes walked
them all. This script, on a database that already holds a corpus (for example one
`rebuild_speed.py --workdir DIR --reuse` imported), runs `rebuild(in_process=True)` in one
process, alternating: the shipped code, then the same code with the pause made a no-op, a
first rebuild (an empty Match table) and a rebuild with nothing changed each time, for
`--rounds` rounds. It deletes and rewrites the database's matches: use a benchmark copy.

    .venv/bin/python benchmarks/rebuild_collector.py \\
        --database-url sqlite:////tmp/speed/rebuild-speed-20000.sqlite3 --rounds 3

Prints a Markdown table of each step's fastest time (the figures in docs/benchmarks.md
under "Rebuild speed").
"""

from __future__ import annotations

import argparse
import gc
import os
import sys
import time
import types
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

STEPS = ("read", "fitted", "saved", "ranked", "stored")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a database holding a corpus")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.db import connection

    from clusters.models import Listing
    from matching import services
    from matching.models import Match, MatchModel

    real = services.gc
    running = types.SimpleNamespace(isenabled=gc.isenabled, enable=gc.enable, disable=lambda: None)
    services.rebuild(in_process=True)  # warm: caches filled, as in a worker
    best: dict[tuple[str, bool], dict[str, float]] = {}

    def one(kind: str, paused: bool) -> None:
        services.gc = real if paused else running
        if kind == "first":
            with connection.cursor() as cursor:
                cursor.execute(f"DELETE FROM {Match._meta.db_table}")
            MatchModel.objects.all().delete()
        steps: list[float] = []
        start = time.perf_counter()
        services.rebuild(in_process=True, progress=lambda step, seconds: steps.append(seconds))
        figures = {"total": time.perf_counter() - start, **dict(zip(STEPS, steps, strict=True))}
        assert gc.isenabled()
        kept = best.setdefault((kind, paused), figures)
        for name, value in figures.items():
            kept[name] = min(kept[name], value)
        print(kind, "paused" if paused else "running", figures, file=sys.stderr, flush=True)

    for _ in range(args.rounds):
        for paused in (False, True):
            one("first", paused)
            one("again", paused)
    services.gc = real
    print(
        f"{Listing.objects.count():,} listings on {connection.vendor}, "
        f"{Match.objects.count():,} matches; fastest of {args.rounds} alternating rounds.\n"
    )
    print("| Rebuild | Cycle collector | Total (s) | " + " | ".join(STEPS) + " |")
    print("| --- | --- | ---: | " + " | ".join("---:" for _ in STEPS) + " |")
    for kind in ("first", "again"):
        for paused in (False, True):
            f = best[(kind, paused)]
            cells = " | ".join(f"{f[s]:.2f}" for s in STEPS)
            state = "paused (shipped)" if paused else "running"
            print(f"| {kind} | {state} | {f['total']:.2f} | {cells} |")


if __name__ == "__main__":
    main()
