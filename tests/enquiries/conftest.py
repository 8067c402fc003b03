"""Fixtures for the enquiry tests: enquiries made as the services make them."""

import pytest

from enquiries import services
from enquiries.models import Enquiry, Message


def make_enquiry(**fields) -> Enquiry:
    body = fields.pop("body", "We run a glassworks near the Humber and need hydrogen burners.")
    enquiry = Enquiry.objects.create(
        reference=services.next_reference(),
        **{
            "name": "Ada Lovelace",
            "email": "ada@example.org",
            "organisation": "Analytical Engines Ltd",
            "organisation_kind": Enquiry.OrganisationKind.BUSINESS,
            "topic": Enquiry.Topic.PARTNERING,
            **fields,
        },
    )
    Message.objects.create(
        enquiry=enquiry,
        direction=Message.Direction.INBOUND,
        sender=f"{enquiry.name} <{enquiry.email}>",
        body=body,
        message_id=f"<first-{enquiry.reference}@example.org>",
    )
    return enquiry


@pytest.fixture
def enquiry(db):
    return make_enquiry()


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    """Imported attachments go to a folder of the test's own."""
    settings.MEDIA_ROOT = tmp_path / "media"
