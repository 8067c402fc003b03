"""An organisation's offers and needs through /api/v1/organisations/{ref}/listings/: written
with the page's form, published, withdrawn and renewed by the page's services, with the
page's refusals as JSON."""

from datetime import timedelta

import pytest
import time_machine
from allauth.account.models import EmailAddress
from django.utils import timezone

from clusters import services
from clusters.models import Challenge, Listing, Organisation
from tests.api.conftest import bearer
from tests.factories import ChallengeFactory, ListingFactory

pytestmark = pytest.mark.django_db

NEW = {
    "kind": "offer",
    "title": "  Heat pumps   for drying lines ",
    "description": "High-temperature heat pumps, up to 150 °C.",
    "themes": ["energy-efficiency", "hydrogen"],
    "clusters": ["humber"],
    "partner_kind": "business",
}


@pytest.fixture
def signed_in(api, member, token_for):
    return bearer(api, token_for(member))


def listings_url(organisation) -> str:
    return f"/api/v1/organisations/{organisation.ref}/listings/"


def listing_url(listing, suffix="") -> str:
    return f"{listings_url(listing.organisation)}{listing.ref}/{suffix}"


def test_a_new_listing_is_a_draft_checked_as_on_the_page(signed_in, organisation, member):
    response = signed_in.post(listings_url(organisation), NEW, format="json")
    assert response.status_code == 201, response.content
    item = response.json()
    assert item["status"] == "draft" and item["title"] == "Heat pumps for drying lines"
    assert sorted(item["themes"]) == ["energy-efficiency", "hydrogen"]
    assert item["organisation"] == organisation.ref
    listing = Listing.objects.get(ref=item["ref"])
    assert listing.created_by == member
    assert listing.expires_on == timezone.localdate() + services.LISTING_LIFETIME
    # A draft is not public.
    assert signed_in.get(f"/api/v1/listings/{listing.ref}/").status_code == 404


@pytest.mark.parametrize(
    "change, field, words",
    [
        ({"title": ""}, "title", "Enter a title"),
        ({"description": ""}, "description", "Enter a description"),
        ({"kind": None}, "kind", "null"),
        ({"kind": "gift"}, "kind", '"gift" is not one of the choices. Use one of: offer, need.'),
        ({"kind": ["offer"]}, "kind", "Send one of the choices as a string. Use one of: offer"),
        ({"themes": []}, "themes", "Select at least one theme"),
        ({"themes": ["nuclear"]}, "themes", "Select a theme from the list"),
        ({"themes": "hydrogen"}, "themes", "list"),
        ({"clusters": ["atlantis"]}, "clusters", "Select a cluster from the list"),
        ({"challenge": "ch-nowhere"}, "challenge", "Select a challenge from the list"),
        ({"expires_on": "2020-01-01"}, "expires_on", "must be in the future"),
        ({"expires_on": "soon"}, "expires_on", "Send the date as YYYY-MM-DD"),
        (
            {"expires_on": "2027-02-30"},
            "expires_on",
            '"2027-02-30" is not a real date: February 2027 has 28 days.',
        ),
        ({"expires_on": "2027-13-01"}, "expires_on", "there is no month 13"),
        ({"partner_kind": "alien"}, "partner_kind", '"alien" is not one of the choices'),
        ({"title": "x" * 201}, "title", "200"),
    ],
)
def test_invalid_fields_are_a_400_naming_each(signed_in, organisation, change, field, words):
    body = {**NEW, **change}
    response = signed_in.post(listings_url(organisation), body, format="json")
    assert response.status_code == 400
    payload = response.json()
    assert payload["message"] and field in payload["errors"], payload
    assert words in " ".join(payload["errors"][field])
    assert not Listing.objects.exists()


def test_missing_fields_are_named_with_the_pages_messages(signed_in, organisation):
    payload = signed_in.post(listings_url(organisation), {}, format="json").json()
    assert payload["errors"]["title"] == ["Enter a title"]
    assert payload["errors"]["kind"] == ["Select whether this is an offer or a need"]
    assert payload["errors"]["themes"] == ["Select at least one theme"]


def test_a_closed_challenge_cannot_be_answered(signed_in, organisation):
    ChallengeFactory(ref="ch-closed", status=Challenge.Status.CLOSED)
    ChallengeFactory(ref="ch-open")
    closed = signed_in.post(
        listings_url(organisation), {**NEW, "challenge": "ch-closed"}, format="json"
    )
    assert closed.status_code == 400
    answered = signed_in.post(
        listings_url(organisation), {**NEW, "challenge": "ch-open"}, format="json"
    )
    assert answered.json()["challenge"] == "ch-open"


def test_a_patch_changes_the_fields_sent_and_never_the_status(signed_in, organisation):
    listing = ListingFactory(organisation=organisation, themes=["ccus"], clusters=["humber"])
    response = signed_in.patch(
        listing_url(listing), {"title": "A better title", "status": "draft"}, format="json"
    )
    assert response.status_code == 200, response.content
    item = response.json()
    assert item["title"] == "A better title" and item["status"] == "published"
    assert item["themes"] == ["ccus"] and item["clusters"] == ["humber"]
    assert item["description"] == listing.description


def test_a_patch_keeps_the_answer_to_a_challenge_closed_since(signed_in, organisation):
    challenge = ChallengeFactory(ref="ch-was-open")
    listing = ListingFactory(organisation=organisation, challenge=challenge, themes=["ccus"])
    services.set_challenge_status(challenge, Challenge.Status.CLOSED, "Solved.")
    item = signed_in.patch(listing_url(listing), {"title": "Renamed"}, format="json").json()
    assert item["challenge"] == "ch-was-open"


def test_publish_publishes_or_holds_until_the_organisation_is_approved(signed_in, organisation):
    draft = ListingFactory(organisation=organisation, status=Listing.Status.DRAFT)
    assert signed_in.post(listing_url(draft, "publish/")).json()["status"] == "published"
    Organisation.objects.filter(pk=organisation.pk).update(status=Organisation.Status.PENDING)
    other = ListingFactory(organisation=organisation, status=Listing.Status.DRAFT)
    assert signed_in.post(listing_url(other, "publish/")).json()["status"] == "pending"


def test_publish_needs_a_confirmed_email_address_as_on_the_page(signed_in, organisation, member):
    EmailAddress.objects.filter(user=member).update(verified=False)
    draft = ListingFactory(organisation=organisation, status=Listing.Status.DRAFT)
    response = signed_in.post(listing_url(draft, "publish/"))
    assert response.status_code == 403
    assert response.json()["message"] == services.UNVERIFIED_MESSAGE
    draft.refresh_from_db()
    assert draft.status == Listing.Status.DRAFT


def test_a_listing_taken_down_cannot_be_published_or_withdrawn(signed_in, organisation, staff):
    listing = ListingFactory(organisation=organisation)
    services.unpublish_listing(listing, staff, "Not an offer.")
    # Each refusal speaks of what was asked: withdrawing was told "you cannot publish it
    # again yourself" (outside probe, stop 28).
    for action, message in (
        ("publish/", services.TAKEN_DOWN_MESSAGE),
        ("withdraw/", services.TAKEN_DOWN_WITHDRAW_MESSAGE),
    ):
        response = signed_in.post(listing_url(listing, action))
        assert response.status_code == 409
        assert response.json() == {"message": message, "errors": {}}
    listing.refresh_from_db()
    assert listing.status == Listing.Status.TAKEN_DOWN


def test_withdraw_takes_it_off_the_site_and_publish_brings_it_back(signed_in, organisation):
    listing = ListingFactory(organisation=organisation)
    item = signed_in.post(listing_url(listing, "withdraw/")).json()
    assert item["status"] == "withdrawn"
    assert item["status_reason"] == services.WITHDRAWN_BY_ORGANISATION
    assert signed_in.get(f"/api/v1/listings/{listing.ref}/").status_code == 404
    assert signed_in.post(listing_url(listing, "publish/")).json()["status"] == "published"


def test_renew_keeps_it_open_for_a_year_and_refuses_as_the_page_does(signed_in, organisation):
    soon = timezone.localdate() + timedelta(days=3)
    listing = ListingFactory(organisation=organisation, expires_on=soon)
    item = signed_in.post(listing_url(listing, "renew/")).json()
    assert item["expires_on"] == (timezone.localdate() + services.LISTING_LIFETIME).isoformat()
    draft = ListingFactory(organisation=organisation, status=Listing.Status.DRAFT)
    refused = signed_in.post(listing_url(draft, "renew/"))
    assert refused.status_code == 409
    assert refused.json()["message"] == services.RENEW_REFUSALS[Listing.Status.DRAFT]


def test_the_list_holds_every_status_and_filters_by_updated_since(signed_in, organisation):
    start = timezone.now() - timedelta(days=2)
    with time_machine.travel(start, tick=False):
        ListingFactory(ref="L-old", organisation=organisation, status=Listing.Status.DRAFT)
    ListingFactory(ref="L-new", organisation=organisation, status=Listing.Status.WITHDRAWN)
    ListingFactory(ref="L-elsewhere")
    url = listings_url(organisation)
    assert [x["ref"] for x in signed_in.get(url).json()["results"]] == ["L-old", "L-new"]
    since = (start + timedelta(days=1)).isoformat()
    recent = signed_in.get(url, {"updated_since": since}).json()["results"]
    assert [x["ref"] for x in recent] == ["L-new"]
    drafts = signed_in.get(url, {"status": "draft"}).json()["results"]
    assert [x["ref"] for x in drafts] == ["L-old"]
    assert signed_in.get(url, {"status": "lost"}).status_code == 400


def test_deleted_listings_of_the_organisation_are_listed_to_its_members_only(
    signed_in, organisation, outsider, token_for, api
):
    ListingFactory(ref="L-draft-gone", organisation=organisation, status="draft").delete()
    ListingFactory(ref="L-public-gone", organisation=organisation).delete()
    ListingFactory(ref="L-other-gone", status="draft").delete()
    withdrawn = ListingFactory(ref="L-withdrawn", organisation=organisation)
    services.withdraw_listing(withdrawn)
    url = listings_url(organisation) + "removed/"
    rows = signed_in.get(url).json()["results"]
    assert {(row["ref"], row["reason"]) for row in rows} == {
        ("L-draft-gone", "deleted"),
        ("L-public-gone", "deleted"),
    }
    # The withdrawn listing stays in the organisation's list, with its status.
    listed = signed_in.get(listings_url(organisation)).json()["results"]
    assert [(x["ref"], x["status"]) for x in listed] == [("L-withdrawn", "withdrawn")]
    # The public removals list shows the public one only.
    public = signed_in.get("/api/v1/listings/removed/").json()["results"]
    assert {row["ref"] for row in public} == {"L-public-gone", "L-withdrawn"}
    bearer(api, token_for(outsider))
    assert api.get(url).status_code == 404


def test_a_body_that_is_not_json_or_not_an_object_is_a_400_in_plain_words(signed_in, organisation):
    """Found by an outside probe: DRF's own words ("JSON parse error", "Expected a
    dictionary, but got list") reached the caller."""
    url = listings_url(organisation)
    broken = signed_in.post(url, "{bad", content_type="application/json")
    assert broken.status_code == 400
    message = broken.json()["message"]
    assert message.startswith("The body is not valid JSON: check its quotes")
    assert "line 1 column 2" in message  # where, from the parser
    for body in ("[]", '"offer"', "3"):
        response = signed_in.post(url, body, content_type="application/json")
        assert response.status_code == 400, body
        assert response.json()["errors"] == {
            "non_field_errors": [
                "Send one JSON object ({...}) holding the fields, not a list or a single value."
            ]
        }, body
    assert not Listing.objects.filter(organisation=organisation).exists()


def test_a_null_body_and_a_broken_form_body_get_the_right_advice(signed_in, organisation):
    url = listings_url(organisation)
    null = signed_in.post(url, "null", content_type="application/json")
    assert null.status_code == 400
    assert null.json()["errors"]["non_field_errors"] == [
        "Send one JSON object ({...}) holding the fields, not a list or a single value."
    ]
    broken = signed_in.post(
        url, b"--x\r\nnot a part", content_type="multipart/form-data; boundary=\x00"
    )
    assert broken.status_code in (400, 415), broken.content[:200]
    assert "not valid JSON" not in broken.json()["message"]  # it was not JSON at all
