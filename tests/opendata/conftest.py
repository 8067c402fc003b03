"""A test world for the open data downloads: public records next to private ones."""

import csv
import io
import json
from datetime import date, timedelta

import pytest
from django.core.files.storage import default_storage
from django.utils import timezone

from clusters.models import Listing, Organisation
from insights.models import Computation, Figure, Measure
from tests import factories as f

# Personal data of the world: none of it may appear in any file.
PEOPLE = {
    "names": ["Siân Roberts", "Ada Lovelace", "Gwilym Pritchard"],
    "emails": ["sian.roberts@example.org", "gwilym@example.org", "enquirer-ada@example.org"],
}


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(db):
    from clusters.models import Cluster, Theme
    from clusters.reference import create_reference_data

    create_reference_data(Theme, Cluster)  # transactional tests start with empty tables
    org = f.OrganisationFactory(ref="org-kilns", name="Dyfed Dry Kilns")
    member = f.UserFactory(email=PEOPLE["emails"][0], name=PEOPLE["names"][0])
    f.MembershipFactory(user=member, organisation=org)
    other_member = f.UserFactory(email=PEOPLE["emails"][1], name=PEOPLE["names"][2])
    pending_org = f.OrganisationFactory(ref="org-waiting", status=Organisation.Status.PENDING)
    challenge = f.ChallengeFactory(
        ref="ch-heat", title="Capture CO2 from refinery heaters", themes=["ccus"]
    )
    closed = f.ChallengeFactory(ref="ch-closed", status="closed", set_by="Humber team")
    offer = f.ListingFactory(
        ref="L-offer",
        organisation=org,
        kind="offer",
        title="Heat pumps for kilns",
        themes=["ccus", "hydrogen"],
        clusters=["humber"],
        challenge=challenge,
        created_by=member,
    )
    need = f.ListingFactory(
        ref="L-need",
        organisation=org,
        kind="need",
        title='=HYPERLINK("http://evil.example")',
        description="-2+3 @SUM(A1)",
        created_by=other_member,
    )
    hidden = [
        f.ListingFactory(ref="L-draft", organisation=org, status=Listing.Status.DRAFT),
        f.ListingFactory(ref="L-pending", organisation=pending_org, status="pending"),
        f.ListingFactory(ref="L-withdrawn", organisation=org, status=Listing.Status.WITHDRAWN),
        f.ListingFactory(
            ref="L-down",
            organisation=org,
            status=Listing.Status.TAKEN_DOWN,
            taken_down_at=timezone.now(),
        ),
        f.ListingFactory(
            ref="L-expired",
            organisation=org,
            kind="need",
            expires_on=timezone.localdate() - timedelta(days=1),
        ),
    ]
    enquiry = f.EnquiryFactory(name=PEOPLE["names"][1], email=PEOPLE["emails"][2])
    f.EnquiryMessageFactory(enquiry=enquiry)
    f.InvitationFactory(organisation=org, email="invited-person@example.org")
    return {
        "org": org,
        "offer": offer,
        "need": need,
        "challenge": challenge,
        "closed": closed,
        "hidden": hidden,
        "member": member,
    }


@pytest.fixture
def figures(world):
    """An old computation, the newest finished one, and a newer one still running."""
    from clusters.models import Cluster, Theme

    humber = Cluster.objects.get(slug="humber")
    ccus = Theme.objects.get(slug="ccus")
    old = Computation.objects.create(
        state=Computation.State.DONE, finished_at=timezone.now() - timedelta(days=1)
    )
    Figure.objects.create(computation=old, measure=Measure.OFFERS_PUBLISHED, value=99)
    done = Computation.objects.create(state=Computation.State.DONE, finished_at=timezone.now())
    Figure.objects.create(
        computation=done, measure=Measure.OFFERS_PUBLISHED, month=date(2026, 11, 1), value=3
    )
    Figure.objects.create(
        computation=done,
        measure=Measure.NEEDS_OPEN,
        cluster=humber,
        theme=ccus,
        value=2,
    )
    Figure.objects.create(
        computation=done,
        measure=Measure.INTRODUCTIONS_ACCEPTED,
        cluster=humber,
        challenge=world["challenge"],
        value=1,
    )
    running = Computation.objects.create(state=Computation.State.RUNNING)
    Figure.objects.create(computation=running, measure=Measure.OFFERS_PUBLISHED, value=77)
    return done


def read_bytes(release, name: str) -> bytes:
    with default_storage.open(release.files[name]["path"], "rb") as handle:
        return handle.read()


def read_csv(release, name: str) -> list[dict]:
    text = read_bytes(release, name).decode("utf-8-sig")
    return list(csv.DictReader(io.StringIO(text)))


def read_json(release, name: str) -> dict:
    return json.loads(read_bytes(release, name))
