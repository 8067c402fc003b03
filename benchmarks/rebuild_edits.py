"""How many stored matches a rebuild rewrites after a day's edits, by score tolerance (#11).

A refit moves most scores by a few 1e-4 (idf and topics change with any listing), so a
rebuild that compared scores exactly rewrote most rows after a few edits, and moved their
`computed_at`, which the API's `updated_since` reads. `matching.services.SCORE_TOLERANCE`
leaves a stored score alone when it is that close to the new one. This script, on a
database that already holds a corpus (for example one `rebuild_speed.py --workdir DIR
--reuse` imported), makes sure the matches are stored, edits N published listings (a
seeded choice: each gets 200 characters of another listing's description), then runs
`rebuild(in_process=True)` once per tolerance, each in a transaction that is rolled back,
so every tolerance starts from the same stored matches. Nothing is kept, apart from a
first rebuild when the database holds no matches yet (and, on PostgreSQL, sequence values).

    .venv/bin/python benchmarks/rebuild_edits.py \\
        --database-url sqlite:////tmp/speed/rebuild-speed-20000.sqlite3 \\
        --edits 200 --tolerances 0 0.0005 0.001 0.005

Prints a Markdown table (the figures in docs/benchmarks.md under "Rebuild speed").
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from rebuild_speed import COUNTS_LINE as COUNTS  # noqa: E402 (benchmarks/ is on sys.path)


class _RolledBack(Exception):
    pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", required=True, help="a database holding a corpus")
    parser.add_argument("--edits", type=int, default=200, help="listings edited")
    parser.add_argument("--seed", type=int, default=5)
    parser.add_argument("--tolerances", type=float, nargs="+", default=[0.0, 0.0005, 0.001, 0.005])
    args = parser.parse_args()
    os.environ["DATABASE_URL"] = args.database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.base")
    import django

    django.setup()
    from django.db import transaction

    from clusters.models import Listing
    from matching import services
    from matching.models import Match

    shipped = services.SCORE_TOLERANCE
    if not Match.objects.exists():
        print("No matches stored yet: rebuilding once first", file=sys.stderr)
        services.rebuild(in_process=True)
    stored = Match.objects.count()
    published = list(
        Listing.objects.filter(status=Listing.Status.PUBLISHED).values_list("pk", flat=True)
    )
    rng = random.Random(args.seed)
    rows = []
    with transaction.atomic():
        for pk in rng.sample(published, args.edits):
            listing = Listing.objects.get(pk=pk)
            other = Listing.objects.get(pk=rng.choice(published))
            listing.description = f"{listing.description} {other.description[:200]}"
            listing.save()
        for tolerance in args.tolerances:
            services.SCORE_TOLERANCE = tolerance
            steps: list[str] = []
            start = time.perf_counter()
            try:
                with transaction.atomic():
                    services.rebuild(in_process=True, progress=lambda s, _, to=steps: to.append(s))
                    raise _RolledBack
            except _RolledBack:
                pass
            seconds = time.perf_counter() - start
            found = COUNTS.search(steps[-1]).groupdict()
            counts = {k: int(v.replace(",", "")) for k, v in found.items()}
            rows.append((tolerance, counts, seconds))
        transaction.set_rollback(True)  # the edits go too
    services.SCORE_TOLERANCE = shipped
    print(
        f"{len(published):,} published listings, {stored:,} stored matches, "
        f"{args.edits:,} edited (seed {args.seed}); one rebuild per tolerance, rolled back.\n"
    )
    print("| Score tolerance | New | Changed | Removed | Unchanged | Rewritten | Rebuild (s) |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for tolerance, c, seconds in rows:
        mark = " (shipped)" if tolerance == shipped else ""
        rewritten = (c["new"] + c["changed"]) / stored
        print(
            f"| {tolerance:g}{mark} | {c['new']:,} | {c['changed']:,} | {c['removed']:,} "
            f"| {c['same']:,} | {rewritten:.1%} | {seconds:.1f} |"
        )


if __name__ == "__main__":
    main()
