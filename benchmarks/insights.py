"""Time the insights computation (compute_insights) on a large generated database.

Builds a fresh SQLite database (or uses --database-url) with N listings spread over the six
clusters and the themes, M match records, some introductions and outcomes, then times one
full computation and the pages that read it.

    .venv/bin/python benchmarks/insights.py --listings 100000 --matches 1000000
        [--database-url postgres://...] [--output docs/benchmarks.md]

Writes its figures between the markers <!-- insights:start --> and <!-- insights:end -->
of the output file.
"""

import argparse
import os
import platform
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BATCH = 5000


def setup_django(database_url: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = "config.settings.base"
    os.environ["DATABASE_URL"] = database_url
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)


def build(listings: int, matches: int, seed: int = 13) -> dict:
    """Bulk-insert the records; returns how many of each were made."""
    from django.utils import timezone

    from clusters.models import Challenge, Cluster, Listing, Organisation, Theme
    from introductions.models import Introduction, Outcome
    from matching.models import Match

    rng = random.Random(seed)
    now = timezone.now()
    clusters = list(Cluster.objects.values_list("pk", flat=True))
    themes = list(Theme.objects.values_list("pk", flat=True))
    orgs = Organisation.objects.bulk_create(
        Organisation(
            ref=f"bench-org-{i}", name=f"Organisation {i}", kind="business", status="approved"
        )
        for i in range(max(10, listings // 20))
    )
    challenges = Challenge.objects.bulk_create(
        Challenge(ref=f"bench-ch-{i}", cluster_id=rng.choice(clusters), title=f"Challenge {i}")
        for i in range(max(6, listings // 500))
    )
    for start in range(0, listings, BATCH):
        rows = []
        for i in range(start, min(listings, start + BATCH)):
            published = now - timedelta(days=rng.randrange(0, 730))
            rows.append(
                Listing(
                    ref=f"bench-{i}",
                    organisation=orgs[i % len(orgs)],
                    kind="need" if i % 2 else "offer",
                    title=f"Listing {i}",
                    status="published",
                    published_at=published,
                    challenge=challenges[i % len(challenges)] if i % 10 == 0 else None,
                )
            )
        made = Listing.objects.bulk_create(rows)
        Listing.clusters.through.objects.bulk_create(
            Listing.clusters.through(listing_id=row.pk, cluster_id=rng.choice(clusters))
            for row in made
        )
        Listing.themes.through.objects.bulk_create(
            Listing.themes.through(listing_id=row.pk, theme_id=t)
            for row in made
            for t in rng.sample(themes, rng.choice((1, 2)))
        )
    ids = list(Listing.objects.order_by("pk").values_list("pk", "kind", "organisation_id"))
    needs = [row for row in ids if row[1] == "need"]
    offers = [row for row in ids if row[1] == "offer"]
    per_need = max(1, matches // len(needs))
    written = 0
    for start in range(0, len(needs), BATCH // per_need or 1):
        rows = []
        for need, _, _ in needs[start : start + (BATCH // per_need or 1)]:
            for rank, (offer, _, _) in enumerate(rng.sample(offers, per_need), 1):
                seen = now - timedelta(days=rng.randrange(0, 700))
                rows.append(
                    Match(
                        source_key=f"L{need}",
                        source_listing_id=need,
                        target_id=offer,
                        score=rng.random() * 0.6,
                        rank=rank,
                        engine_version="bench",
                        computed_at=seen,
                        first_seen_at=seen,
                        status=rng.choice(["new"] * 8 + ["interested", "dismissed"]),
                    )
                )
        Match.objects.bulk_create(rows)
        written += len(rows)
        if written >= matches:
            break
    intros = []
    for n in range(listings // 20):
        (need, _, from_org), (offer, _, to_org) = rng.choice(needs), rng.choice(offers)
        if from_org == to_org:
            continue
        status = rng.choice(["open", "accepted", "accepted", "declined"])
        intros.append(
            Introduction(
                source_listing_id=need,
                target_listing_id=offer,
                from_organisation_id=from_org,
                to_organisation_id=to_org,
                message="Bench",
                status=status if status != "open" or n % 7 else "expired",
                expires_at=now,
                decided_at=now if status != "open" else None,
            )
        )
    Introduction.objects.bulk_create(intros, batch_size=BATCH, ignore_conflicts=True)
    accepted = list(
        Introduction.objects.filter(status="accepted").values_list("pk", "from_organisation_id")
    )
    Outcome.objects.bulk_create(
        (
            Outcome(
                introduction_id=pk, organisation_id=org, result=rng.choice(Outcome.Result.values)
            )
            for pk, org in accepted[: len(accepted) // 2]
        ),
        batch_size=BATCH,
    )
    return {
        "listings": Listing.objects.count(),
        "matches": Match.objects.count(),
        "introductions": Introduction.objects.count(),
        "outcomes": Outcome.objects.count(),
        "challenges": len(challenges),
    }


def time_pages() -> dict:
    from django.test import Client

    from accounts.models import User

    client = Client()
    timings = {}
    for _ in range(2):  # the first request warms up templates
        started = time.perf_counter()
        assert client.get("/gaps/").status_code == 200
        timings["/gaps/"] = time.perf_counter() - started
    admin = User.objects.create_superuser(email="bench@example.org", password="x" * 20)
    client.force_login(admin)
    from django.conf import settings

    settings.STAFF_REQUIRE_MFA = False
    for url in ("/admin/insights/gaps/", "/admin/insights/funnel/"):
        for _ in range(2):
            started = time.perf_counter()
            assert client.get(url).status_code == 200, url
            timings[url] = time.perf_counter() - started
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--listings", type=int, default=100_000)
    parser.add_argument("--matches", type=int, default=1_000_000)
    parser.add_argument("--database-url", default="")
    parser.add_argument("--output", default="")
    args = parser.parse_args()
    folder = tempfile.mkdtemp(prefix="cx-insights-")
    setup_django(args.database_url or f"sqlite:///{folder}/bench.sqlite3")
    from django.conf import settings

    settings.ALLOWED_HOSTS = ["*"]
    # No collectstatic here: plain storage instead of the manifest one.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    started = time.perf_counter()
    made = build(args.listings, args.matches)
    built = time.perf_counter() - started
    print(f"Built {made} in {built:.0f} s", flush=True)

    from insights.models import Figure
    from insights.services import compute_insights

    started = time.perf_counter()
    computation = compute_insights()
    seconds = time.perf_counter() - started
    figures = Figure.objects.filter(computation=computation).count()
    print(f"compute_insights(): {seconds:.1f} s, {figures} figures", flush=True)
    pages = time_pages()
    engine = settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1]
    lines = [
        "<!-- insights:start -->",
        f"### Insights computation ({datetime.now(UTC):%Y-%m-%d}, {engine}, "
        f"{platform.processor() or platform.machine()}, {os.cpu_count()} cores)",
        "",
        "| records | compute_insights() | figures written | /gaps/ | staff gaps | staff funnel |",
        "| --- | --- | --- | --- | --- | --- |",
        f"| {made['listings']:,} listings, {made['matches']:,} matches, "
        f"{made['introductions']:,} introductions, {made['outcomes']:,} outcomes, "
        f"{made['challenges']:,} challenges | {seconds:.1f} s | {figures:,} | "
        f"{pages['/gaps/'] * 1000:.0f} ms | {pages['/admin/insights/gaps/'] * 1000:.0f} ms | "
        f"{pages['/admin/insights/funnel/'] * 1000:.0f} ms |",
        "<!-- insights:end -->",
    ]
    text = "\n".join(lines)
    print(text)
    if args.output:
        path = Path(args.output)
        old = path.read_text() if path.exists() else ""
        if "<!-- insights:start -->" in old:
            head, rest = old.split("<!-- insights:start -->", 1)
            tail = rest.split("<!-- insights:end -->", 1)[1]
            path.write_text(head + text + tail)
        else:
            path.write_text(old.rstrip() + "\n\n" + text + "\n")


if __name__ == "__main__":
    main()
