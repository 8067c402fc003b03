"""The admin home panel: enquiry figures and moderation queues, each counted right and cheap."""

import html
import re
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clusters.models import Organisation
from enquiries.models import Enquiry
from staff import services
from tests.enquiries.conftest import make_enquiry
from tests.factories import ListingFactory, OrganisationFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("mfa_off")]

LONDON = ZoneInfo("Europe/London")
# A Thursday in British Summer Time: local midnight is 23:00 UTC the day before.
NOW = datetime(2026, 5, 14, 10, 0, tzinfo=LONDON)


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


def ago(**delta):
    return timezone.now() - timedelta(**delta)


def test_new_today_counts_from_local_midnight():
    make_enquiry(created_at=NOW.replace(hour=0, minute=5))
    make_enquiry(created_at=NOW.replace(hour=9))
    make_enquiry(created_at=NOW.replace(hour=0) - timedelta(minutes=30))  # yesterday, 23:30

    figures = services.enquiry_figures()
    assert figures.new_today == 2
    assert figures.since == NOW.replace(hour=0)


def test_new_today_leaves_out_enquiries_already_closed_or_marked_as_spam():
    for status in Enquiry.Status:
        make_enquiry(created_at=NOW.replace(hour=9), status=status)

    # New, triaged, assigned and waiting on the sender: not closed, not spam.
    assert services.enquiry_figures().new_today == 4


def test_unassigned_counts_open_enquiries_that_nobody_has():
    someone = UserFactory(is_staff=True)
    make_enquiry()
    make_enquiry(status=Enquiry.Status.WAITING)
    make_enquiry(assignee=someone, status=Enquiry.Status.ASSIGNED)
    make_enquiry(status=Enquiry.Status.CLOSED)
    make_enquiry(status=Enquiry.Status.SPAM)

    assert services.enquiry_figures().unassigned == 2


def test_the_oldest_open_enquiry_ignores_closed_and_spam():
    make_enquiry(created_at=ago(days=40), status=Enquiry.Status.CLOSED)
    make_enquiry(created_at=ago(days=30), status=Enquiry.Status.SPAM)
    oldest = make_enquiry(created_at=ago(days=3, hours=2), status=Enquiry.Status.WAITING)
    make_enquiry(created_at=ago(days=1))

    figures = services.enquiry_figures()
    assert figures.oldest_open == oldest
    assert figures.oldest_open_age == "3 days"


def test_no_open_enquiry_means_no_oldest():
    make_enquiry(status=Enquiry.Status.CLOSED)
    assert services.enquiry_figures().oldest_open is None


def test_median_time_to_first_reply_covers_replies_of_the_last_30_days():
    for wait in (timedelta(hours=1), timedelta(hours=3), timedelta(hours=10)):
        make_enquiry(created_at=ago(days=5) - wait, first_replied_at=ago(days=5))
    # Answered 40 days ago: outside the window, however slow.
    make_enquiry(created_at=ago(days=100), first_replied_at=ago(days=40))
    make_enquiry(created_at=ago(days=2))  # not answered yet

    figures = services.enquiry_figures()
    assert figures.median_first_reply == timedelta(hours=3)
    assert figures.replies_in_median == 3
    assert figures.median_first_reply_text == "3 hours"


def test_median_is_none_without_replies():
    make_enquiry()
    figures = services.enquiry_figures()
    assert figures.median_first_reply is None and figures.median_first_reply_text == ""


@pytest.mark.parametrize(
    ("duration", "text"),
    [
        (timedelta(seconds=20), "under a minute"),
        (timedelta(minutes=1), "1 minute"),
        (timedelta(minutes=45), "45 minutes"),
        (timedelta(hours=5, minutes=59), "5 hours"),
        (timedelta(days=3, hours=4), "3 days"),
    ],
)
def test_durations_read_as_a_person_would_say_them(duration, text):
    assert services.describe_duration(duration) == text


def test_moderation_queues_count_what_awaits_approval(staff):
    OrganisationFactory.create_batch(2, status=Organisation.Status.PENDING)
    OrganisationFactory(status=Organisation.Status.REJECTED)
    ListingFactory(status="pending")
    ListingFactory(status="published")
    # Published when their organisation is approved; of a rejected one, waiting for nothing.
    for organisation in Organisation.objects.exclude(status=Organisation.Status.APPROVED):
        ListingFactory(status="pending", organisation=organisation)

    queues = services.moderation_figures(staff)
    assert queues.organisations_pending == 2
    assert queues.listings_pending == 1


def test_the_home_page_shows_each_figure_with_a_link_to_its_list(client, staff):
    oldest = make_enquiry(created_at=ago(days=3, hours=1))
    make_enquiry(created_at=ago(hours=2), first_replied_at=ago(minutes=30))
    OrganisationFactory(status=Organisation.Status.PENDING)
    client.force_login(staff)

    page = client.get(reverse("admin:index")).content.decode()
    changelist = reverse("admin:enquiries_enquiry_changelist")
    today = "created_at__gte=2026-05-14T00%3A00%3A00%2B01%3A00"
    assert f'{changelist}?{today}&amp;status__in=new,triaged,assigned,waiting">1</a>' in page
    assert f'{changelist}?mine=nobody&amp;status__in=new,triaged,assigned,waiting">2</a>' in page
    oldest_url = reverse("admin:enquiries_enquiry_change", args=[oldest.pk])
    assert f'<a href="{oldest_url}">{oldest.reference}</a>, 3 days old' in page
    assert "90 minutes" in page
    organisations = reverse("admin:clusters_organisation_changelist")
    assert f'{organisations}?status__exact=pending">1</a>' in page
    listings = reverse("admin:clusters_listing_changelist")
    pending = "organisation__status__exact=approved&amp;status__exact=pending"
    assert f'{listings}?{pending}">0</a>' in page


def test_the_links_open_lists_with_the_same_counts(client, staff):
    make_enquiry(created_at=ago(hours=1))
    make_enquiry(created_at=ago(hours=1), status=Enquiry.Status.SPAM)
    make_enquiry(created_at=ago(days=2), status=Enquiry.Status.CLOSED)
    make_enquiry(created_at=ago(days=2), assignee=staff, status=Enquiry.Status.ASSIGNED)
    client.force_login(staff)
    changelist = reverse("admin:enquiries_enquiry_changelist")

    assert services.enquiry_figures().new_today == 1
    today = client.get(
        changelist,
        {
            "created_at__gte": NOW.replace(hour=0).isoformat(),
            "status__in": "new,triaged,assigned,waiting",
        },
    )
    assert today.context["cl"].result_count == 1
    nobody = client.get(
        changelist, {"mine": "nobody", "status__in": "new,triaged,assigned,waiting"}
    )
    assert nobody.context["cl"].result_count == 1

    ListingFactory(status="pending")
    for status in [Organisation.Status.PENDING, Organisation.Status.REJECTED]:
        ListingFactory(status="pending", organisation=OrganisationFactory(status=status))
    page = client.get(reverse("admin:index")).content.decode()
    pending_link = r'href="(/admin/clusters/listing/\?[^"]*status__exact=pending)">(\d+)</a>'
    link = re.search(pending_link, page)
    listings = client.get(html.unescape(link.group(1)))
    assert listings.context["cl"].result_count == int(link.group(2)) == 1


def test_each_role_sees_only_the_queues_it_can_open(client, triager, moderator):
    client.force_login(triager)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="enquiry-figures"' in page and 'id="moderation-queues"' not in page

    client.force_login(moderator)
    page = client.get(reverse("admin:index")).content.decode()
    assert 'id="enquiry-figures"' not in page and 'id="moderation-queues"' in page


def count_home_queries(client) -> int:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("admin:index")).status_code == 200
    return len(queries)


def test_the_home_page_costs_the_same_queries_with_10_or_200_enquiries(client, staff):
    client.force_login(staff)

    def add(n):
        for i in range(n):
            make_enquiry(
                created_at=ago(days=i % 20, hours=1),
                first_replied_at=ago(days=i % 20) if i % 2 else None,
                status=Enquiry.Status.CLOSED if i % 5 == 0 else Enquiry.Status.NEW,
            )

    add(10)
    small = count_home_queries(client)
    add(190)
    assert count_home_queries(client) == small


def test_the_home_page_says_whether_the_mailbox_can_be_read(client, staff, settings):
    from enquiries.models import record_mailbox_read

    client.force_login(staff)
    settings.ENQUIRIES_IMAP_URL = ""
    assert 'id="mailbox-status"' not in client.get(reverse("admin:index")).content.decode()

    settings.ENQUIRIES_IMAP_URL = "imaps://u:p@mail.example/"
    page = client.get(reverse("admin:index")).content.decode()
    assert "Not read yet" in page

    record_mailbox_read(True, "Read the mailbox: 3 new enquiries.")
    with time_machine.travel(NOW + timedelta(minutes=20), tick=False):
        record_mailbox_read(False, "Could not sign in to the mailbox <b>u@mail.example</b>.")
    with time_machine.travel(NOW + timedelta(minutes=25), tick=False):
        page = client.get(reverse("admin:index")).content.decode()
    assert "Could not be read 5\xa0minutes ago" in page
    assert "&lt;b&gt;u@mail.example&lt;/b&gt;" in page  # escaped
    assert "Last read successfully 25\xa0minutes ago" in page
    assert "ask whoever runs the site to check the mailbox settings" in page


def test_the_mailbox_status_is_shown_only_to_roles_that_see_enquiries(
    client, triager, moderator, settings
):
    settings.ENQUIRIES_IMAP_URL = "imaps://u:p@mail.example/"
    client.force_login(moderator)
    assert 'id="mailbox-status"' not in client.get(reverse("admin:index")).content.decode()
    client.force_login(triager)
    assert 'id="mailbox-status"' in client.get(reverse("admin:index")).content.decode()
