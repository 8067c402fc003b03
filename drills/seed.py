"""The drill's own data, on top of the demo: a member who publishes through the web, enough
listings for a full rebuild to take a while, and a first matching model.

Also `cohort()`: a fresh group of people, each with new strong matches waiting, so that one
digest run owes each of them exactly one email (a scenario counts them at the SMTP server).
"""

import json
import secrets
import time

PUBLISHER_EMAIL = "publisher@drill.example"
FULL_COPIES, SHORT_COPIES = 25, 8  # copies of the 160 demo listings: 4,000 or 1,280 more


def run(short: bool) -> None:
    from django.utils import timezone

    from clusters.importer import import_exchange
    from clusters.models import Listing
    from matching import services
    from matching.models import MatchingWork

    from . import core

    started = time.monotonic()
    password = secrets.token_urlsafe(16)
    publisher(password)
    (core.state() / "publisher-password").write_text(password)
    demo = json.loads((core.ROOT / "clusters" / "demo" / "exchange.json").read_text())
    copies = SHORT_COPIES if short else FULL_COPIES
    words = ["retrofit", "pilot", "trial", "scale-up", "survey", "feasibility", "supply"]
    listings = [
        {
            **listing,
            "ref": f"DRILL-{n:02d}-{listing['ref']}",
            "title": f"{listing['title']} ({words[n % len(words)]} {n})",
        }
        for n in range(copies)
        for listing in demo["listings"]
    ]
    if not Listing.objects.filter(ref__startswith="DRILL-").exists():
        import_exchange(
            {
                "format": demo["format"],
                "clusters": [],
                "challenges": [],
                "organisations": [],
                "listings": listings,
            }
        )
    run = services.rebuild(in_process=True)
    # The rebuild covers what the imports asked for: nothing is left for the workers.
    MatchingWork.objects.filter(state=MatchingWork.State.PENDING).update(
        state=MatchingWork.State.DONE, finished_at=timezone.now()
    )
    print(
        f"drill seed: {Listing.objects.count():,} listings, {run.matches_written:,} matches, "
        f"in {time.monotonic() - started:.1f} s"
    )


def publisher(password: str):
    """A verified member of an approved organisation, who signs in with `password`."""
    from allauth.account.models import EmailAddress

    from accounts.models import User
    from clusters.models import Membership, Organisation

    organisation, _ = Organisation.objects.update_or_create(
        ref="drill-publisher",
        defaults={"name": "Drill Publishing Ltd", "kind": "business", "status": "approved"},
    )
    user = User.objects.filter(email=PUBLISHER_EMAIL).first() or User(
        email=PUBLISHER_EMAIL, name="Drill Publisher"
    )
    user.set_password(password)
    user.save()
    EmailAddress.objects.update_or_create(
        user=user, email=PUBLISHER_EMAIL, defaults={"verified": True, "primary": True}
    )
    Membership.objects.get_or_create(
        user=user, organisation=organisation, defaults={"role": "admin"}
    )
    return organisation


def cohort(name: str, people: int) -> str:
    """`people` verified members, each of their own approved organisation with a need that has
    three new strong matches, noticed and waiting for the next daily digest. Returns the email
    domain they share (person<i>@<domain>)."""
    from allauth.account.models import EmailAddress
    from django.utils import timezone

    from accounts.models import User
    from clusters.models import Listing, Membership, Organisation
    from matching.models import Match
    from notifications import services as notifications

    domain = f"{name}.drill.example"
    now = timezone.now()
    supplier = Organisation.objects.create(
        ref=f"{name}-supplier", name=f"{name} supplier", kind="business", status="approved"
    )
    offers = Listing.objects.bulk_create(
        Listing(
            ref=f"{name}-offer-{i}",
            organisation=supplier,
            kind="offer",
            title=f"Offer {i}: amine carbon capture for kilns",
            status="published",
            published_at=now,
        )
        for i in range(3)
    )
    orgs = Organisation.objects.bulk_create(
        Organisation(
            ref=f"{name}-org-{i}", name=f"{name} org {i}", kind="business", status="approved"
        )
        for i in range(people)
    )
    users = User.objects.bulk_create(
        User(email=f"person{i}@{domain}", name=f"Person {i}", password="!") for i in range(people)
    )
    EmailAddress.objects.bulk_create(
        EmailAddress(user=u, email=u.email, verified=True, primary=True) for u in users
    )
    Membership.objects.bulk_create(
        Membership(user=u, organisation=o, role="admin") for u, o in zip(users, orgs, strict=True)
    )
    needs = Listing.objects.bulk_create(
        Listing(
            ref=f"{name}-need-{i}",
            organisation=o,
            kind="need",
            title=f"Need {i}: capture CO2 from a kiln",
            status="published",
            published_at=now,
        )
        for i, o in enumerate(orgs)
    )
    Match.objects.bulk_create(
        (
            Match(
                source_key=f"L{need.pk}",
                source_listing=need,
                target=offer,
                score=0.9 - rank / 10,
                rank=rank + 1,
                reasons=["carbon capture"],
                engine_version="drill",
                computed_at=now,
                first_seen_at=now,
            )
            for need in needs
            for rank, offer in enumerate(offers)
        ),
        batch_size=2000,
    )
    # Noticed now: a rebuild running later may replace these made-up matches, not the notices.
    notifications.collect_notices(now)
    return domain
