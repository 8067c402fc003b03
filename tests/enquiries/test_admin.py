"""Staff triage in the admin: replies, notes, history, bulk actions, export and access."""

import csv
import io
import re

import pytest
from django.core import mail
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from enquiries import services
from enquiries.models import Enquiry, EnquiryEvent, Message
from staff.roles import MODERATOR, PROGRAMME_ADMIN, TRIAGER
from tests.enquiries.conftest import make_enquiry
from tests.factories import ListingFactory, UserFactory, staff_in

pytestmark = pytest.mark.django_db
CHANGELIST = "admin:enquiries_enquiry_changelist"


def change_url(enquiry):
    return reverse("admin:enquiries_enquiry_change", args=[enquiry.pk])


def form_data(enquiry, **changes):
    data = {
        "status": enquiry.status,
        "priority": enquiry.priority,
        "assignee": enquiry.assignee_id or "",
        "cluster": enquiry.cluster_id or "",
        "topic": enquiry.topic,
        "reply": "",
        "note": "",
        "_continue": "Save and continue editing",
    }
    data.update(changes)
    return data


def run_action(client, action, enquiries):
    return client.post(
        reverse(CHANGELIST), {"action": action, "_selected_action": [e.pk for e in enquiries]}
    )


def test_a_staff_reply_is_emailed_with_the_reference_and_shown_in_the_thread(
    client, staff, enquiry, django_capture_on_commit_callbacks, settings
):
    settings.ENQUIRIES_REPLY_TO = "GrandChallenges <enquiries@grandchallenges.example>"
    client.force_login(staff)
    reply = "Thank you. Amine Works Ltd could help: shall we introduce you?"
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(change_url(enquiry), form_data(enquiry, reply=reply))
    assert response.status_code == 302

    [sent] = mail.outbox
    assert sent.to == [enquiry.email]
    assert enquiry.reference in sent.subject
    assert reply in sent.body
    assert sent.extra_headers["Reply-To"] == settings.ENQUIRIES_REPLY_TO
    assert sent.extra_headers["In-Reply-To"] == f"<first-{enquiry.reference}@example.org>"

    outbound = enquiry.messages.get(direction=Message.Direction.OUTBOUND)
    assert outbound.body == reply and outbound.author == staff
    enquiry.refresh_from_db()
    assert enquiry.first_replied_at is not None
    assert enquiry.status == Enquiry.Status.WAITING

    page = client.get(change_url(enquiry)).content.decode()
    assert page.index("glassworks near the Humber") < page.index("Amine Works Ltd could help")
    assert "Reply to the sender" in page


def test_a_status_chosen_with_a_reply_stands_and_the_message_says_the_status(
    client, staff, enquiry, django_capture_on_commit_callbacks
):
    """Status "Assigned" and a reply, saved together, became "Waiting on sender" unseen
    (newcomer probe, stop 26)."""
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            change_url(enquiry),
            form_data(enquiry, status="assigned", assignee=staff.pk, reply="We are on it."),
            follow=True,
        )
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.ASSIGNED
    assert len(mail.outbox) == 1
    assert "The enquiry is now “Assigned”." in response.content.decode()
    # Without a status chosen, a reply still waits on the sender, and says so.
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            change_url(enquiry), form_data(enquiry, reply="Any news?"), follow=True
        )
    enquiry.refresh_from_db()
    assert enquiry.status == Enquiry.Status.WAITING
    assert "The enquiry is now “Waiting on sender”, until they answer." in (
        response.content.decode()
    )


def test_the_triage_form_offers_no_way_to_add_change_or_delete_a_cluster(client, staff, enquiry):
    client.force_login(staff)
    page = client.get(change_url(enquiry)).content.decode()
    assert 'id="change_id_cluster"' not in page and 'id="add_id_cluster"' not in page
    assert 'id="delete_id_cluster"' not in page and 'id="add_id_assignee"' not in page
    assert 'name="cluster"' in page


def test_an_internal_note_is_kept_in_the_thread_and_never_emailed(
    client, staff, enquiry, django_capture_on_commit_callbacks
):
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(change_url(enquiry), form_data(enquiry, note="Probably one for Humber."))
    assert mail.outbox == []
    note = enquiry.messages.get(direction=Message.Direction.NOTE)
    assert note.body == "Probably one for Humber." and note.author == staff
    assert "Probably one for Humber." in client.get(change_url(enquiry)).content.decode()


def test_changing_status_assignee_and_priority_writes_history_rows(client, staff, enquiry):
    colleague = staff_in(TRIAGER, email="colleague@example.org")
    client.force_login(staff)
    client.post(
        change_url(enquiry),
        form_data(enquiry, status="waiting", assignee=colleague.pk, priority="high"),
    )
    events = {e.field: e for e in EnquiryEvent.objects.filter(enquiry=enquiry)}
    assert set(events) == {"status", "assignee", "priority"}
    assert (events["status"].old, events["status"].new) == ("New", "Waiting on sender")
    assert (events["assignee"].old, events["assignee"].new) == ("", "colleague@example.org")
    assert (events["priority"].old, events["priority"].new) == ("Normal", "High")
    assert all(e.actor == staff for e in events.values())

    # Saving with no change adds nothing.
    enquiry.refresh_from_db()
    client.post(change_url(enquiry), form_data(enquiry))
    assert EnquiryEvent.objects.count() == 3
    page = client.get(change_url(enquiry)).content.decode()
    assert "History" in page and "colleague@example.org" in page


def test_a_reply_sent_is_a_row_of_the_change_pages_history(client, staff, enquiry):
    """The history table showed status and assignee changes but not the reply (probe)."""
    client.force_login(staff)
    client.post(change_url(enquiry), form_data(enquiry, reply="Amine Works could help."))

    page = client.get(change_url(enquiry))

    rows = [(e.field, e.new, e.actor) for e in page.context["events"]]
    assert ("reply", "Emailed to the sender", staff) in rows
    assert ("status", "Waiting on sender", staff) in rows
    # No personal data: the history outlives the sender's details (staff.services).
    assert not any(enquiry.email in new or "Amine" in new for _, new, _ in rows)
    history = page.content.decode().split("<h2>History</h2>")[1]
    assert "Reply" in history and "Emailed to the sender" in history


def test_an_enquiry_is_given_only_to_staff_who_can_open_it(client, staff, enquiry):
    """Moderators cannot open enquiries (their role has no enquiry permission): they are not
    offered, and a crafted form that names one changes nothing (newcomer probe)."""
    triager = staff_in(TRIAGER, email="tri@example.org")
    admin = staff_in(PROGRAMME_ADMIN, email="pa@example.org")
    moderator = staff_in(MODERATOR, email="mo@example.org")
    plain = UserFactory(is_staff=True, email="plain@example.org")
    client.force_login(staff)
    page = client.get(change_url(enquiry)).content.decode()
    offered = set(
        re.findall(
            r'<option value="(\d+)"', page.split('name="assignee"', 1)[1].split("</select>", 1)[0]
        )
    )
    assert {str(triager.pk), str(admin.pk), str(staff.pk)} <= offered
    assert str(moderator.pk) not in offered and str(plain.pk) not in offered

    response = client.post(change_url(enquiry), form_data(enquiry, assignee=moderator.pk))
    assert response.status_code == 200  # the form again, with the error
    enquiry.refresh_from_db()
    assert enquiry.assignee is None


def test_saving_keeps_an_assignee_whose_role_changed_since(client, staff, enquiry):
    """The current assignee stays offered, so a status change does not clear it (review)."""
    triager = staff_in(TRIAGER, email="tri@example.org")
    enquiry.assignee = triager
    enquiry.save()
    triager.groups.clear()  # no longer a triager
    client.force_login(staff)
    page = client.get(change_url(enquiry)).content.decode()
    assert f'<option value="{triager.pk}" selected>' in page
    client.post(change_url(enquiry), form_data(enquiry, status="waiting", assignee=triager.pk))
    enquiry.refresh_from_db()
    assert enquiry.status == "waiting" and enquiry.assignee == triager


def test_giving_an_enquiry_to_someone_on_its_page_makes_it_assigned(client, staff, enquiry):
    """One rule with the staff API and the bulk action (services.status_with_assignee): a
    new enquiry given to someone is "assigned", as "Assign to me" makes it. Before, the page
    saved it "new" with an assignee, and choosing "triaged" with one was saved as well."""
    triager = staff_in(TRIAGER, email="tri@example.org")
    client.force_login(staff)
    client.post(change_url(enquiry), form_data(enquiry, assignee=triager.pk))
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.assignee) == ("assigned", triager)
    assert EnquiryEvent.objects.filter(enquiry=enquiry, field="status", new="Assigned").exists()

    response = client.post(change_url(enquiry), form_data(enquiry, status="triaged"))
    assert response.status_code == 200  # the form again, saying what to fix
    assert "clear its assignee" in response.content.decode()
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.assignee) == ("assigned", triager)

    client.post(change_url(enquiry), form_data(enquiry, status="triaged", assignee=""))
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.assignee) == ("triaged", None)

    # Taking it from them alone makes it "triaged" again, not "assigned" to nobody.
    client.post(change_url(enquiry), form_data(enquiry, assignee=triager.pk))
    enquiry.refresh_from_db()
    page = client.post(change_url(enquiry), form_data(enquiry, assignee=""), follow=True)
    enquiry.refresh_from_db()
    assert (enquiry.status, enquiry.assignee) == ("triaged", None)
    # The page says so, as the status shown was not the one saved.
    assert "Its status is now “Triaged”, as nobody has it now." in page.content.decode()


def test_the_history_cannot_be_changed_or_deleted_even_by_a_superuser(client, staff, enquiry):
    services.change_enquiry(enquiry, staff, status="closed")
    event = EnquiryEvent.objects.get()
    client.force_login(staff)
    change = reverse("admin:enquiries_enquiryevent_change", args=[event.pk])
    assert client.post(change, {"field": "status", "old": "x", "new": "y"}).status_code == 403
    delete = reverse("admin:enquiries_enquiryevent_delete", args=[event.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    event.refresh_from_db()
    assert (event.old, event.new) == ("New", "Closed")
    assert EnquiryEvent.objects.count() == 1


def test_bulk_actions_assign_to_me_and_mark_as_spam_with_history(client, staff):
    first, second = make_enquiry(), make_enquiry(email="bot@spam.example")
    client.force_login(staff)
    run_action(client, "assign_to_me", [first])
    run_action(client, "mark_spam", [second])
    first.refresh_from_db()
    second.refresh_from_db()
    assert first.assignee == staff and first.status == "assigned"
    assert second.status == "spam"
    assert EnquiryEvent.objects.filter(enquiry=first).count() == 2
    assert EnquiryEvent.objects.get(enquiry=second).new == "Spam"


def test_the_csv_export_escapes_formulae(client, staff):
    risky = make_enquiry(
        name='=HYPERLINK("http://evil.example","Click")',
        organisation="+cmd|' /C calc'!A0",
        email="ok@example.org",
    )
    risky.subject = "@SUM(A1:A2)"
    risky.save()
    plain = make_enquiry(name="-Dash", organisation="Plain Ltd")
    client.force_login(staff)
    response = run_action(client, "export_csv", [risky, plain])
    assert response["Content-Type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig"))))
    by_ref = {row["Reference"]: row for row in rows}
    assert by_ref[risky.reference]["Name"].startswith("'=HYPERLINK")
    assert by_ref[risky.reference]["Organisation"].startswith("'+cmd")
    assert by_ref[risky.reference]["Subject"] == "'@SUM(A1:A2)"
    assert by_ref[plain.reference]["Name"] == "'-Dash"
    assert by_ref[plain.reference]["Organisation"] == "Plain Ltd"


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_a_non_staff_user_cannot_reach_the_enquiry_admin(client, enquiry, who, request):
    client.force_login(request.getfixturevalue(who))
    for url in (reverse(CHANGELIST), change_url(enquiry)):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("admin:login"))
    assert enquiry.reference not in client.get(reverse(CHANGELIST), follow=True).content.decode()


def test_the_changelist_shows_counts_per_status_and_filters_assigned_to_me(client, staff):
    mine = make_enquiry(name="Mine Person")
    services.assign_to(mine, staff)
    make_enquiry(name="Other Person")
    client.force_login(staff)
    page = client.get(reverse(CHANGELIST)).content.decode()
    assert "New: 1" in page and "Assigned: 1" in page
    filtered = client.get(reverse(CHANGELIST), {"mine": "me"}).content.decode()
    assert "Mine Person" in filtered and "Other Person" not in filtered


def test_search_finds_an_enquiry_by_words_in_its_messages(client, staff):
    make_enquiry(body="We need a pipeline for captured carbon dioxide.", name="Pipe Person")
    make_enquiry(body="Funding for skills training.", name="Skills Person")
    client.force_login(staff)
    page = client.get(reverse(CHANGELIST), {"q": "pipeline"}).content.decode()
    assert "Pipe Person" in page and "Skills Person" not in page


def test_the_changelist_makes_the_same_number_of_queries_for_10_and_500_enquiries(client, staff):
    from clusters.models import Cluster

    clusters = list(Cluster.objects.all())
    assignees = [UserFactory(is_staff=True) for _ in range(12)]
    client.force_login(staff)

    def queries_for(total: int) -> int:
        while Enquiry.objects.count() < total:
            n = Enquiry.objects.count()
            enquiry = make_enquiry(cluster=clusters[n % len(clusters)])
            services.assign_to(enquiry, assignees[n % len(assignees)])
        with CaptureQueriesContext(connection) as queries:
            assert client.get(reverse(CHANGELIST)).status_code == 200
        return len(queries)

    assert queries_for(10) == queries_for(500)


def test_the_change_page_says_no_suggestions_yet_without_a_matcher_model(client, staff, enquiry):
    client.force_login(staff)
    page = client.get(change_url(enquiry)).content.decode()
    assert "What the platform already knows" in page
    assert "No suggestions yet" in page
    assert "Humber" in page  # the likely cluster, named in the message


def test_the_change_page_lists_the_listings_the_matcher_scores_highest(
    client, staff, enquiry, monkeypatch
):
    from matching import engine
    from matching import services as matching

    listing = ListingFactory(title="Hydrogen-ready burners for glass furnaces")
    listing.themes.set(listing.themes.model.objects.filter(slug="hydrogen"))
    seen = {}

    def preview(doc, top=5, snapshot=None):
        seen["doc"] = doc
        return [(listing, engine.Suggestion("draft", listing.ref, 0.8, ("both about hydrogen",)))]

    monkeypatch.setattr(matching, "preview_matches", preview)
    client.force_login(staff)
    page = client.get(change_url(enquiry)).content.decode()
    assert "Hydrogen-ready burners for glass furnaces" in page
    assert "both about hydrogen" in page
    assert "Hydrogen and low-carbon fuels" in page  # a likely theme, from the listing
    assert seen["doc"].kind == "need"
    assert "glassworks" in seen["doc"].text


def test_attachments_are_downloaded_by_staff_only(client, staff, member, enquiry):
    from django.core.files.base import ContentFile

    from enquiries.models import Attachment

    attachment = Attachment(
        message=enquiry.messages.get(), filename="plan.pdf", content_type="application/pdf", size=4
    )
    attachment.file.save("plan.pdf", ContentFile(b"%PDF"), save=True)
    url = reverse("admin:enquiries_attachment_download", args=[attachment.pk])
    client.force_login(member)
    assert client.get(url).status_code == 302  # to the admin sign-in page
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF"
    assert response["Content-Disposition"].startswith("attachment")
    assert url in client.get(change_url(enquiry)).content.decode()


def test_the_change_page_names_the_open_challenges_the_enquiry_may_answer(client, staff, enquiry):
    from matching import services as matching
    from tests.factories import ChallengeFactory

    ChallengeFactory(
        title="Hydrogen burners for glass furnaces",
        description="Glassworks on the Humber want to fire their furnaces with hydrogen burners.",
        themes=["hydrogen"],
    )
    ChallengeFactory(
        title="Storing captured carbon dioxide offshore",
        description="Pipelines and wells to store captured CO2 under the North Sea.",
        themes=["ccus"],
    )
    ChallengeFactory(
        title="Hydrogen for closed glass furnaces",
        description="Glassworks hydrogen burners furnaces, no longer open.",
        status="closed",
    )
    ListingFactory(title="Offshore storage appraisal", description="CO2 storage wells.")
    matching.rebuild(in_process=True)  # a real model, fitted on these

    client.force_login(staff)
    page = client.get(change_url(enquiry)).content.decode()
    section = page[page.index("Challenges it may answer") :]
    assert "Hydrogen burners for glass furnaces" in section
    assert "closed glass furnaces" not in section  # closed challenges are not offered
    first = section.index("Hydrogen burners for glass furnaces")
    if "Storing captured carbon dioxide offshore" in section:
        assert first < section.index("Storing captured carbon dioxide offshore")


def test_a_second_likely_cluster_is_given_only_when_nearly_as_likely(db, monkeypatch):
    """ "Likely cluster: South Wales, Humber" for an enquiry naming only South Wales, from
    Humber listings that fit its words (newcomer probe, stop 27)."""
    from matching import engine
    from matching import services as matching

    listings = [ListingFactory(title=f"Hydrogen burners {n}", clusters=["humber"]) for n in (1, 2)]

    def preview(doc, top=5, snapshot=None):
        return [(x, engine.Suggestion("draft", x.ref, 0.8, ("hydrogen",))) for x in listings]

    monkeypatch.setattr(matching, "preview_matches", preview)
    welsh = make_enquiry(body="Our Port Talbot site in South Wales needs hydrogen burners.")
    assert [c.name for c in services.what_we_know(welsh).clusters] == ["South Wales"]
    both = make_enquiry(body="Sites in South Wales and on the Humber need hydrogen burners.")
    assert {c.name for c in services.what_we_know(both).clusters} == {"South Wales", "Humber"}


def test_the_list_shows_the_start_of_what_each_sender_wrote_in_one_query(client, staff):
    """Only the topic showed, so a triager opened each enquiry to see what it was about
    (newcomer probe, stop 30). The opening is the first message from the sender, cut short,
    escaped, in the list's own query."""
    from tests.enquiries.conftest import make_enquiry

    long = make_enquiry(body="We run a <b>glassworks</b> near the Humber. " * 10)
    short = make_enquiry(body="Kiln   heat\nrecovery, please.")
    services.send_reply(short, staff, "Thank you.")
    client.force_login(staff)
    with CaptureQueriesContext(connection) as two_rows:
        html = client.get(reverse(CHANGELIST)).content.decode()
    for n in range(8):
        make_enquiry(body=f"Enquiry {n} about hydrogen burners.")
    with CaptureQueriesContext(connection) as ten_rows:
        assert (
            "Enquiry 7 about hydrogen burners." in client.get(reverse(CHANGELIST)).content.decode()
        )
    assert len(ten_rows) == len(two_rows)  # not one query per row (review)
    assert "We run a &lt;b&gt;glassworks&lt;/b&gt; near the Humber." in html
    assert "<b>glassworks" not in html
    cell = html.split(f">{long.reference}</a>", 1)[1].split("field-first_words", 1)[1]
    cell = cell.split("</td>", 1)[0]
    assert cell.endswith("…") and len(cell) < 200
    assert "Kiln heat recovery, please." in html
    assert "Thank you." not in html.split("<table", 1)[1]  # a reply is not what they wrote
    # An answer from the sender imported later, dated before, is not what they first wrote.
    from datetime import UTC, datetime

    Message.objects.create(
        enquiry=short,
        direction=Message.Direction.INBOUND,
        sender=short.email,
        body="Re: an older-dated answer",
        created_at=datetime(2024, 1, 1, tzinfo=UTC),
    )
    html = client.get(reverse(CHANGELIST)).content.decode()
    assert "Kiln heat recovery, please." in html and "older-dated" not in html
