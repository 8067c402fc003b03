"""A listing staff take down stays down until staff restore it; its owner sees why and can ask
for a review (issue #10, defect 4)."""

import pytest
from django.contrib.auth.models import Group
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clusters.models import Listing, ListingReview
from enquiries.services import programme_address
from outbox.models import Email
from staff.roles import MODERATOR
from tests.factories import ListingFactory, UserFactory

pytestmark = pytest.mark.django_db

REASON = "It advertises a product unrelated to decarbonisation."


def run_action(client, action, pks, reason=""):
    return client.post(
        reverse("admin:clusters_listing_changelist"),
        {"action": action, "_selected_action": pks, "apply": "1", "reason": reason},
    )


@pytest.fixture
def moderator(db):
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=MODERATOR))
    return user


@pytest.fixture
def taken_down(client, moderator, organisation, django_capture_on_commit_callbacks):
    """A published listing of `organisation` that a moderator took down through the admin."""
    listing = ListingFactory(organisation=organisation, themes=["ccus"])
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, "unpublish", [listing.pk], REASON)
    client.logout()
    listing.refresh_from_db()
    assert listing.status == Listing.Status.TAKEN_DOWN
    return listing


def status_of(listing) -> str:
    listing.refresh_from_db()
    return listing.status


def edit_data(listing, **changes):
    return {
        "kind": listing.kind,
        "title": listing.title,
        "description": listing.description,
        "themes": [t.pk for t in listing.themes.all()],
        "partner_kind": "any",
        **changes,
    }


# The owner cannot bring it back ---------------------------------------------------------------


def test_owner_cannot_republish_a_listing_staff_took_down(client, member, taken_down):
    client.force_login(member)
    response = client.post(reverse("clusters:listing-publish", args=[taken_down.ref]))
    assert response.status_code == 302
    assert status_of(taken_down) == Listing.Status.TAKEN_DOWN
    page = client.get(response["Location"]).content.decode()
    assert "cannot publish it again" in page
    preview = reverse("clusters:listing-preview", args=[taken_down.ref])
    assert client.get(taken_down.get_absolute_url())["Location"] == preview


def test_owner_cannot_withdraw_then_reopen_a_listing_staff_took_down(client, member, taken_down):
    client.force_login(member)
    client.post(reverse("clusters:listing-withdraw", args=[taken_down.ref]))
    assert status_of(taken_down) == Listing.Status.TAKEN_DOWN
    assert taken_down.status_reason == REASON  # the staff reason is not overwritten
    client.post(reverse("clusters:listing-publish", args=[taken_down.ref]))
    assert status_of(taken_down) == Listing.Status.TAKEN_DOWN


def test_owner_can_edit_a_listing_staff_took_down_but_it_stays_down(client, member, taken_down):
    client.force_login(member)
    response = client.post(
        reverse("clusters:listing-edit", args=[taken_down.ref]),
        edit_data(taken_down, title="Heat pumps, now on topic"),
    )
    assert response.status_code == 302
    taken_down.refresh_from_db()
    assert taken_down.title == "Heat pumps, now on topic"
    assert taken_down.status == Listing.Status.TAKEN_DOWN
    client.post(reverse("clusters:listing-publish", args=[taken_down.ref]))
    assert status_of(taken_down) == Listing.Status.TAKEN_DOWN


def test_an_edit_started_before_a_takedown_does_not_undo_it(member, organisation, moderator):
    from clusters import services

    listing = ListingFactory(organisation=organisation)
    stale = Listing.objects.get(pk=listing.pk)  # loaded by the owner's edit page
    services.unpublish_listing(listing, moderator, REASON)
    stale.title = "Saved after the takedown"
    services.save_listing(stale, member, [], [])
    listing.refresh_from_db()
    assert listing.title == "Saved after the takedown"
    assert listing.status == Listing.Status.TAKEN_DOWN


def test_importing_a_file_that_lists_it_as_published_does_not_bring_it_back(taken_down):
    from clusters.importer import export_exchange, import_exchange, listing_record

    # As a partner's spreadsheet or an export made before the takedown would list it.
    document = export_exchange()
    document["listings"].append(
        {**listing_record(taken_down), "status": "published", "title": "Imported title"}
    )

    import_exchange(document)

    taken_down.refresh_from_db()
    assert taken_down.status == Listing.Status.TAKEN_DOWN
    assert taken_down.title == "Imported title"  # the content still updates


def test_a_double_pressed_takedown_tells_the_organisation_once(member, organisation, moderator):
    from clusters import services

    listing = ListingFactory(organisation=organisation)
    assert services.unpublish_listing(listing, moderator, REASON) is not False
    assert services.unpublish_listing(listing, moderator, "A second reason") is False
    listing.refresh_from_db()
    assert listing.status_reason == REASON
    assert Email.objects.filter(key__startswith=f"listing-unpublished:{listing.pk}:").count() == 1


def test_the_api_offers_no_way_to_write_a_listing(client, member, taken_down):
    client.force_login(member)
    url = f"/api/listings/{taken_down.ref}/"
    assert client.get(url).status_code == 404
    for method in (client.put, client.patch, client.post):
        response = method(url, {"status": "published"}, content_type="application/json")
        assert response.status_code in (404, 405)
    assert client.post("/api/listings/", {"ref": taken_down.ref}).status_code == 405
    assert status_of(taken_down) == Listing.Status.TAKEN_DOWN


def test_approving_the_organisation_again_does_not_bring_back_a_taken_down_listing(
    member, organisation, taken_down, moderator
):
    from clusters import services

    services.reject_organisation(organisation, moderator, "Checking again")
    services.approve_organisation(organisation, moderator)
    assert status_of(taken_down) == Listing.Status.TAKEN_DOWN


# What the owner sees, and the review request --------------------------------------------------


def test_owner_sees_that_staff_took_the_listing_down_and_why(client, member, taken_down):
    client.force_login(member)
    page = client.get(reverse("clusters:listing-preview", args=[taken_down.ref])).content.decode()
    assert "Our team took this listing down" in page
    assert REASON in page
    assert "Ask for a review" in page
    assert "Re-open this listing" not in page and "Publish this listing" not in page
    mine = reverse("clusters:organisation-detail", args=[taken_down.organisation.ref])
    assert "Taken down by our team" in client.get(mine).content.decode()


def test_the_takedown_email_no_longer_says_the_owner_can_publish_it_again(member, taken_down):
    body = mail.outbox[-1].body
    assert REASON in body
    assert "publish it again" not in body
    assert "ask for a review" in body


def test_owner_asks_for_a_review_once_and_staff_are_told(
    client, member, taken_down, django_capture_on_commit_callbacks
):
    client.force_login(member)
    url = reverse("clusters:listing-review", args=[taken_down.ref])
    assert client.get(url).status_code == 405  # a GET changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"message": "We removed the product and kept the service."})
    assert response.status_code == 302
    review = ListingReview.objects.get(listing=taken_down)
    assert review.status == ListingReview.Status.OPEN
    assert review.requested_by == member
    staff_email = mail.outbox[-1]
    assert staff_email.to == [programme_address()]
    assert taken_down.ref in staff_email.subject
    assert "We removed the product" in staff_email.body
    assert status_of(taken_down) == Listing.Status.TAKEN_DOWN

    sent = len(mail.outbox)
    for _ in range(5):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(url, {"message": "Please, again"})
    assert ListingReview.objects.filter(listing=taken_down).count() == 1
    assert len(mail.outbox) == sent
    page = client.get(response["Location"]).content.decode()
    assert "You asked for a review" in page


def test_a_review_message_that_is_too_long_is_refused_with_a_message(client, member, taken_down):
    client.force_login(member)
    url = reverse("clusters:listing-review", args=[taken_down.ref])
    response = client.post(url, {"message": "x" * 5000}, follow=True)
    assert response.status_code == 200
    assert "2000 characters or fewer" in response.content.decode()
    assert not ListingReview.objects.exists()


def test_a_review_can_only_be_asked_for_a_listing_staff_took_down(client, member, organisation):
    listing = ListingFactory(organisation=organisation)
    client.force_login(member)
    client.post(reverse("clusters:listing-review", args=[listing.ref]), {"message": "Hi"})
    assert not ListingReview.objects.exists()
    assert len(mail.outbox) == 0


def test_another_organisation_and_anonymous_cannot_touch_a_taken_down_listing(
    client, outsider, taken_down
):
    routes = ["listing-publish", "listing-withdraw", "listing-review", "listing-edit"]
    client.force_login(outsider)
    for name in routes:
        url = reverse(f"clusters:{name}", args=[taken_down.ref])
        assert client.post(url, {"message": "Hi", "title": "Mine now"}).status_code == 404
    assert client.get(reverse("clusters:listing-preview", args=[taken_down.ref])).status_code == 404
    client.logout()
    for name in routes:
        response = client.post(reverse(f"clusters:{name}", args=[taken_down.ref]))
        assert response.status_code == 302 and "/account/login/" in response["Location"]
    taken_down.refresh_from_db()
    assert taken_down.status == Listing.Status.TAKEN_DOWN
    assert taken_down.title != "Mine now"
    assert not ListingReview.objects.exists()


# Staff restore ----------------------------------------------------------------------------------


def test_staff_find_the_review_requests_and_restore_the_listing(
    client, member, moderator, taken_down, django_capture_on_commit_callbacks
):
    client.force_login(member)
    client.post(reverse("clusters:listing-review", args=[taken_down.ref]), {"message": "Fixed"})
    other = ListingFactory(organisation=taken_down.organisation)

    client.force_login(moderator)
    home = client.get(reverse("admin:index"))
    assert home.context["panel"].moderation.reviews_asked == 1
    assert "?review=asked" in home.content.decode()
    changelist = reverse("admin:clusters_listing_changelist")
    queue = client.get(changelist, {"review": "asked"})
    assert [x.pk for x in queue.context["cl"].result_list] == [taken_down.pk]

    with django_capture_on_commit_callbacks(execute=True):
        response = run_action(client, "restore", [taken_down.pk, other.pk], "")
    assert response.status_code == 302
    taken_down.refresh_from_db()
    assert taken_down.status == Listing.Status.PUBLISHED
    assert taken_down.status_reason == ""
    assert status_of(other) == Listing.Status.PUBLISHED  # not taken down: left as it was
    review = ListingReview.objects.get()
    assert review.status == ListingReview.Status.RESTORED and review.decided_by == moderator
    history = client.get(reverse("admin:clusters_listing_history", args=[taken_down.pk]))
    assert "Restore listings" in history.content.decode()
    assert "Take listing down: " + REASON in history.content.decode()
    assert mail.outbox[-1].to == [member.email]
    assert "restored" in mail.outbox[-1].subject
    client.logout()
    assert client.get(taken_down.get_absolute_url()).status_code == 200


def test_staff_keep_a_listing_down_with_a_reason_and_the_owner_may_ask_again_later(
    client, member, moderator, taken_down, django_capture_on_commit_callbacks, time_machine
):
    from datetime import timedelta

    from django.utils import timezone

    client.force_login(member)
    review_url = reverse("clusters:listing-review", args=[taken_down.ref])
    client.post(review_url, {"message": "Fixed"})
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, "keep_down", [taken_down.pk], "Still advertises the product.")
    review = ListingReview.objects.get()
    assert review.status == ListingReview.Status.KEPT_DOWN
    assert status_of(taken_down) == Listing.Status.TAKEN_DOWN
    assert "Still advertises" in mail.outbox[-1].body

    client.force_login(member)
    client.post(review_url, {"message": "Again"})
    assert ListingReview.objects.count() == 1  # not straight away
    time_machine.move_to(timezone.now() + timedelta(days=8))
    client.post(review_url, {"message": "Changed it properly this time"})
    assert ListingReview.objects.count() == 2


def test_restoring_a_listing_of_an_organisation_awaiting_approval_holds_it_as_pending(
    member, organisation, moderator, taken_down
):
    from clusters import services

    services.reject_organisation(organisation, moderator, "Checking again")
    services.restore_listing(taken_down, moderator)
    assert status_of(taken_down) == Listing.Status.PENDING


def test_restore_and_keep_down_are_refused_to_a_triager(client, taken_down):
    from staff.roles import TRIAGER

    triager = UserFactory(is_staff=True)
    triager.groups.add(Group.objects.get(name=TRIAGER))
    client.force_login(triager)
    assert run_action(client, "restore", [taken_down.pk]).status_code == 403
    assert status_of(taken_down) == Listing.Status.TAKEN_DOWN


def test_the_database_holds_one_open_review_per_listing_and_a_date_on_every_takedown(
    member, taken_down
):
    from django.db import IntegrityError, transaction

    ListingReview.objects.create(listing=taken_down, requested_by=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        ListingReview.objects.create(listing=taken_down, requested_by=member)
    with pytest.raises(IntegrityError), transaction.atomic():
        Listing.objects.filter(pk=taken_down.pk).update(taken_down_at=None)


# A draft cannot be taken down; restoring puts a listing back as it was -----------------------


def test_a_draft_cannot_be_taken_down(client, moderator, organisation):
    """Outside probe, stop 29: a draft taken down was named in the public removals list, and
    restoring it published what its organisation never chose to publish."""
    listing = ListingFactory(organisation=organisation, status="draft", published_at=None)
    sent = Email.objects.count()
    client.force_login(moderator)
    response = run_action(client, "unpublish", [listing.pk], REASON)
    page = client.get(response["Location"]).content.decode()
    assert "Take listing down: 0 done. 1 left as they were" in page
    assert "a draft is not public and cannot be taken down" in page
    assert status_of(listing) == "draft"
    assert Email.objects.count() == sent


@pytest.mark.parametrize(
    "status, approved, back_to",
    [
        ("published", True, "published"),
        ("withdrawn", True, "withdrawn"),  # its organisation withdrew it: not published
        ("pending", True, "published"),  # restoring is our team's decision to publish it
        # Approving the organisation meanwhile did not publish it; restoring does.
        ("pending", False, "published"),
    ],
)
def test_restoring_puts_the_listing_back_as_it_was(
    client, moderator, status, approved, back_to, django_capture_on_commit_callbacks
):
    """Review, stop 29: withdrawing first escaped a take-down (it could be published again),
    and a waiting listing could not be stopped before its organisation's approval."""
    from clusters import services
    from tests.factories import MembershipFactory

    organisation = MembershipFactory(
        organisation__status="approved" if approved else "pending"
    ).organisation
    published_at = None if status == "pending" else timezone.now()
    listing = ListingFactory(organisation=organisation, status=status, published_at=published_at)
    client.force_login(moderator)
    run_action(client, "unpublish", [listing.pk], REASON)
    assert status_of(listing) == "taken_down"
    if not approved:
        services.approve_organisation(organisation, moderator)
        assert status_of(listing) == "taken_down"
    removed = client.get("/api/v1/listings/removed/?page_size=500").json()
    named = {row["ref"] for row in removed["results"]}
    assert (listing.ref in named) == (published_at is not None)  # never public: not named
    expected = 410 if published_at else 404
    client.logout()
    assert client.get(listing.get_absolute_url()).status_code == expected
    client.force_login(moderator)
    with django_capture_on_commit_callbacks(execute=True):
        run_action(client, "restore", [listing.pk])
    assert status_of(listing) == back_to
    restored = Email.objects.filter(key__startswith=f"listing-restored:{listing.pk}:").last()
    words = {"published": "It is public again", "withdrawn": "It is withdrawn, as you left it"}
    assert words[back_to] in restored.body_text


def test_an_imported_published_listing_taken_down_stays_in_the_removals_list(client, moderator):
    """An imported listing has no published_at; taking it down stamps one, as it was public."""
    from clusters import services

    listing = ListingFactory(status="published", published_at=None, created_by=None)
    services.unpublish_listing(listing, moderator, REASON)
    removed = client.get("/api/v1/listings/removed/?page_size=500").json()
    assert {"ref": listing.ref, "reason": "taken_down"}.items() <= {
        k: v for row in removed["results"] if row["ref"] == listing.ref for k, v in row.items()
    }.items()


def test_a_listing_taken_down_before_it_was_recorded_how_is_restored_as_a_draft_if_never_public(
    moderator, organisation, django_capture_on_commit_callbacks
):
    """Re-probe, stop 29: rows taken down by the code before (a draft among them) have no
    taken_down_from; migration 0018 marks those never published as drafts, and restoring
    one must not publish it."""
    from importlib import import_module

    from django.apps import apps

    from clusters import services

    maker = UserFactory()  # made on the site (an imported one has nobody)
    draft = ListingFactory(
        organisation=organisation, status="draft", published_at=None, created_by=maker
    )
    published = ListingFactory(
        organisation=organisation, status="published", created_by=maker, published_at=timezone.now()
    )
    Listing.objects.filter(pk__in=[draft.pk, published.pk]).update(
        status="taken_down", taken_down_at=timezone.now(), taken_down_from=""
    )
    import_module("clusters.migrations.0018_listing_taken_down_from").stamp(apps, None)
    with django_capture_on_commit_callbacks(execute=True):
        services.restore_listing(Listing.objects.get(pk=draft.pk), moderator)
        services.restore_listing(Listing.objects.get(pk=published.pk), moderator)
    assert status_of(draft) == "draft"
    assert status_of(published) == "published"
    restored = Email.objects.filter(key__startswith=f"listing-restored:{draft.pk}:").last()
    assert "It is a draft" in restored.body_text


def test_a_listing_down_with_nothing_recorded_is_restored_by_its_published_date(
    moderator, organisation
):
    """Review, stop 29: on a database that missed migration 0018's marking, an empty
    taken_down_from must not read as "published"."""
    from clusters import services

    never = ListingFactory(organisation=organisation, status="draft", published_at=None)
    once = ListingFactory(organisation=organisation, published_at=timezone.now())
    Listing.objects.filter(pk__in=[never.pk, once.pk]).update(
        status="taken_down", taken_down_at=timezone.now(), taken_down_from=""
    )
    services.restore_listing(never, moderator)
    services.restore_listing(once, moderator)
    assert status_of(never) == "draft"
    assert status_of(once) == "published"
