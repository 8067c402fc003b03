"""The staff API's enquiries: the list and its filters, one enquiry with its thread, triage
through the services (with history), notes, and 400s that name the field to fix."""

from datetime import timedelta

import pytest
from django.utils import timezone

from enquiries.models import Enquiry, EnquiryEvent, Message
from tests.api import staff_records as records
from tests.api.conftest import bearer
from tests.factories import AttachmentFactory, EnquiryMessageFactory, UserFactory

pytestmark = pytest.mark.django_db

LIST = "/api/v1/staff/enquiries/"


@pytest.fixture
def as_triager(api, triager, token_for):
    return bearer(api, token_for(triager))


def refs(response) -> list[str]:
    return [row["reference"] for row in response.json()["results"]]


def test_the_list_filters_by_status_assignee_and_source(as_triager, triager, programme_admin):
    new = records.enquiry()
    mine = records.enquiry(status="assigned", assignee=triager)
    theirs = records.enquiry(status="assigned", assignee=programme_admin, source="email")
    closed = records.enquiry(status="closed")

    assert set(refs(as_triager.get(LIST))) == {e.reference for e in (new, mine, theirs, closed)}
    assert refs(as_triager.get(LIST, {"status": "new"})) == [new.reference]
    assert set(refs(as_triager.get(LIST, {"status": ["new", "closed"]}))) == {
        new.reference,
        closed.reference,
    }
    assert refs(as_triager.get(LIST, {"assignee": "me"})) == [mine.reference]
    assert refs(as_triager.get(LIST, {"assignee": programme_admin.email})) == [theirs.reference]
    assert set(refs(as_triager.get(LIST, {"assignee": "none"}))) == {
        new.reference,
        closed.reference,
    }
    assert refs(as_triager.get(LIST, {"source": "email"})) == [theirs.reference]
    assert closed.reference not in refs(as_triager.get(LIST, {"open": "true"}))


def test_an_unknown_status_filter_is_a_400_naming_the_parameter(as_triager):
    response = as_triager.get(LIST, {"status": "lost"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]


def test_updated_since_finds_enquiries_changed_or_written_to_since(as_triager):
    long_ago = timezone.now() - timedelta(days=3)
    quiet, triaged, written = (records.enquiry() for _ in range(3))
    Enquiry.objects.update(updated_at=long_ago)
    Message.objects.update(created_at=long_ago)
    Enquiry.objects.filter(pk=triaged.pk).update(updated_at=timezone.now())
    EnquiryMessageFactory(enquiry=written)  # the sender wrote again

    since = (timezone.now() - timedelta(hours=1)).isoformat()
    found = refs(as_triager.get(LIST, {"updated_since": since}))
    assert sorted(found) == sorted([triaged.reference, written.reference])
    assert quiet.reference not in found
    assert as_triager.get(LIST, {"updated_since": "yesterday"}).status_code == 400


def test_the_list_is_read_a_page_at_a_time_with_a_cursor(as_triager):
    made = {records.enquiry().reference for _ in range(5)}
    first = as_triager.get(LIST, {"page_size": 3}).json()
    second = as_triager.get(first["next"]).json()
    assert len(first["results"]) == 3
    assert {r["reference"] for r in first["results"] + second["results"]} == made


def test_one_enquiry_shows_its_thread_notes_attachments_and_history(as_triager, triager):
    enquiry = records.enquiry()
    first = enquiry.messages.get()
    AttachmentFactory(message=first)
    Message.objects.create(enquiry=enquiry, direction="note", body="Looks real", author=triager)
    EnquiryEvent.objects.create(
        enquiry=enquiry, actor=triager, field="status", old="New", new="Triaged"
    )

    data = as_triager.get(f"{LIST}{enquiry.reference.lower()}/").json()
    assert data["reference"] == enquiry.reference
    assert [m["direction"] for m in data["messages"]] == ["inbound", "note"]
    assert data["messages"][1]["author"] == triager.email
    assert data["messages"][0]["attachments"] == [
        {
            "id": first.attachments.get().pk,
            "filename": "plan.txt",
            "content_type": "text/plain",
            "size": 12,
        }
    ]
    assert data["events"] == [
        {
            "field": "status",
            "old": "New",
            "new": "Triaged",
            "actor": triager.email,
            "created_at": data["events"][0]["created_at"],
        }
    ]
    # Nothing the staff area does not show: no Message-IDs, no file paths.
    assert "message_id" not in data["messages"][0]
    assert "file" not in data["messages"][0]["attachments"][0]


@pytest.mark.parametrize("key", ["GC-2026-99999", "123456", "9" * 30, "%E2%9C%93"])
def test_an_unknown_reference_or_id_is_a_404(as_triager, key):
    records.enquiry()
    response = as_triager.get(f"{LIST}{key}/")
    assert response.status_code == 404
    assert response.json()["errors"] == {}


def test_assigning_through_the_api_assigns_as_the_staff_area_does_with_history(
    as_triager, triager, programme_admin
):
    enquiry = records.enquiry()
    response = as_triager.patch(
        f"{LIST}{enquiry.reference}/", {"assignee": programme_admin.email}, format="json"
    )
    assert response.status_code == 200
    assert response.json()["assignee"] == programme_admin.email
    # A new enquiry given to someone becomes "assigned" (enquiries.services.assign_to).
    assert response.json()["status"] == "assigned"
    enquiry.refresh_from_db()
    assert (enquiry.assignee, enquiry.status) == (programme_admin, "assigned")
    history = {(e.field, e.new, e.actor) for e in enquiry.events.all()}
    assert ("assignee", programme_admin.email, triager) in history
    assert ("status", "Assigned", triager) in history


def test_a_status_and_priority_change_is_saved_with_history_and_answered(as_triager, triager):
    enquiry = records.enquiry(assignee=triager, status="assigned")
    response = as_triager.patch(
        f"{LIST}{enquiry.pk}/", {"status": "waiting", "priority": "high"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["status"], response.json()["priority"]) == ("waiting", "high")
    assert {(e["field"], e["new"]) for e in response.json()["events"]} == {
        ("status", "Waiting on sender"),
        ("priority", "High"),
    }


def test_the_topic_and_cluster_are_changed_as_on_the_enquiry_page(as_triager):
    enquiry = records.enquiry()
    response = as_triager.patch(
        f"{LIST}{enquiry.pk}/", {"topic": "funding", "cluster": "humber"}, format="json"
    )
    assert response.status_code == 200
    assert (response.json()["topic"], response.json()["cluster"]) == ("funding", "humber")
    cleared = as_triager.patch(f"{LIST}{enquiry.pk}/", {"cluster": None}, format="json")
    assert cleared.json()["cluster"] is None


def test_unassigning_with_null_clears_the_assignee(as_triager, triager):
    enquiry = records.enquiry(assignee=triager, status="assigned")
    response = as_triager.patch(f"{LIST}{enquiry.pk}/", {"assignee": None}, format="json")
    assert response.status_code == 200
    enquiry.refresh_from_db()
    # Nobody has it now: "triaged", not "assigned" to nobody (re-probe, stop 30).
    assert (enquiry.assignee, enquiry.status) == (None, "triaged")
    refused = as_triager.patch(f"{LIST}{enquiry.pk}/", {"status": "assigned"}, format="json")
    assert refused.status_code == 400 and "only when someone has it" in refused.json()[
        "message"
    ] + str(refused.json()["errors"])
    enquiry.refresh_from_db()
    assert enquiry.status == "triaged"


@pytest.mark.parametrize("status", ["triaged", "new"])
def test_triaged_or_new_for_an_enquiry_someone_has_is_a_400_as_in_the_admin(
    as_triager, triager, status
):
    """One rule with the admin's form and bulk action: an enquiry someone has is "assigned".
    Before, the API saved "triaged" with an assignee, which the bulk action refuses."""
    kept = records.enquiry(assignee=triager, status="assigned")
    response = as_triager.patch(f"{LIST}{kept.pk}/", {"status": status}, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["status"]
    assert "clear its assignee" in response.json()["errors"]["status"][0]
    kept.refresh_from_db()
    assert (kept.status, kept.assignee) == ("assigned", triager)

    # Saying both in one request is as contrary; clearing the assignee with it is not.
    before = "triaged" if status == "new" else "new"  # so that `status` is a change
    fresh = records.enquiry(status=before)
    both = as_triager.patch(
        f"{LIST}{fresh.pk}/", {"status": status, "assignee": triager.email}, format="json"
    )
    assert both.status_code == 400
    fresh.refresh_from_db()
    assert (fresh.status, fresh.assignee) == (before, None)
    # The status sent as it already is, with the assignee: as on the admin's form, not a
    # choice of "triaged", so it is given to them ("assigned"), not refused (review).
    if status == "triaged":
        same = records.enquiry(status="triaged")
        given = as_triager.patch(
            f"{LIST}{same.pk}/", {"status": "triaged", "assignee": triager.email}, format="json"
        )
        assert given.status_code == 200 and given.json()["status"] == "assigned"
    cleared = as_triager.patch(
        f"{LIST}{kept.pk}/", {"status": status, "assignee": None}, format="json"
    )
    assert cleared.status_code == 200
    kept.refresh_from_db()
    assert (kept.status, kept.assignee) == (status, None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"status": "lost"}, "status"),
        ({"priority": "urgent"}, "priority"),
        ({"assignee": "nobody@example.org"}, "assignee"),
        ({"assignee": "not an address"}, "assignee"),
        ({"cluster": "atlantis"}, "cluster"),
        ({"topic": "gossip"}, "topic"),
        ({}, "non_field_errors"),
    ],
)
def test_bad_triage_input_is_a_400_naming_the_field_and_changes_nothing(as_triager, body, field):
    enquiry = records.enquiry()
    response = as_triager.patch(f"{LIST}{enquiry.pk}/", body, format="json")
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]
    assert response.json()["message"]
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.priority, enquiry.assignee) == ("new", "normal", None)
    assert not enquiry.events.exists()


def test_an_enquiry_cannot_be_given_to_staff_who_cannot_triage_or_to_a_member(
    as_triager, moderator, member
):
    enquiry = records.enquiry()
    for person in (moderator, member, UserFactory(is_staff=True)):
        response = as_triager.patch(
            f"{LIST}{enquiry.pk}/", {"assignee": person.email}, format="json"
        )
        assert response.status_code == 400, person
        assert "assignee" in response.json()["errors"]
    enquiry.refresh_from_db()
    assert enquiry.assignee is None


def test_a_note_is_added_to_the_thread_and_never_emailed(as_triager, triager, mailoutbox):
    enquiry = records.enquiry()
    response = as_triager.post(
        f"{LIST}{enquiry.reference}/notes/", {"body": "  Called them back.  "}, format="json"
    )
    assert response.status_code == 201
    assert response.json()["direction"] == "note"
    assert response.json()["author"] == triager.email
    note = enquiry.messages.get(direction="note")
    assert (note.body, note.author) == ("Called them back.", triager)
    assert mailoutbox == []


@pytest.mark.parametrize("body", [{}, {"body": "   "}, {"body": "x" * 10_001}, ["a list"]])
def test_a_note_without_text_or_too_long_is_a_400_naming_body(as_triager, body):
    enquiry = records.enquiry()
    response = as_triager.post(f"{LIST}{enquiry.reference}/notes/", body, format="json")
    assert response.status_code == 400
    assert "body" in response.json()["errors"] or "non_field_errors" in response.json()["errors"]
    assert not enquiry.messages.filter(direction="note").exists()


def test_put_and_delete_are_not_offered(as_triager):
    enquiry = records.enquiry()
    assert (
        as_triager.put(f"{LIST}{enquiry.pk}/", {"status": "closed"}, format="json").status_code
        == 405
    )
    assert as_triager.delete(f"{LIST}{enquiry.pk}/").status_code == 405
    assert Enquiry.objects.filter(pk=enquiry.pk).exists()


@pytest.mark.parametrize("key", ["\u00b2", "\u0663", "9" * 40])
def test_an_odd_enquiry_key_is_a_404_not_a_500(api, token_for, triager, key):
    bearer(api, token_for(triager))
    response = api.get(f"/api/v1/staff/enquiries/{key}/")
    assert response.status_code == 404
    assert set(response.json()) == {"message", "errors"}
