"""Organisations and listings from the member's side, and the rules that keep others out."""

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from clusters.models import Invitation, JoinRequest, Listing, Membership, Organisation
from tests.conftest import confirm_it_is_you
from tests.factories import ListingFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


def listing_data(**overrides):
    data = {
        "kind": "need",
        "title": "Low-carbon steam for a paper mill",
        "description": "We raise 20 t/h of steam from gas.\n\nLooking for heat pumps or biomass.",
        "themes": ["1"],
        "partner_kind": "business",
        "expires_on": "",
    }
    data.update(overrides)
    return data


def title_of(response) -> str:
    return re.search(r"<title>(.*?)</title>", response.content.decode(), re.S).group(1)


def not_public(organisation, status):
    taken_down_at = timezone.now() if status == Listing.Status.TAKEN_DOWN else None
    # Taken down or withdrawn: it was published (a draft cannot be taken down).
    once = status in (Listing.Status.TAKEN_DOWN, Listing.Status.WITHDRAWN)
    return ListingFactory(
        organisation=organisation,
        status=status,
        taken_down_at=taken_down_at,
        published_at=taken_down_at or timezone.now() if once else None,
    )


def preview_of(listing) -> str:
    return reverse("clusters:listing-preview", args=[listing.ref])


@pytest.fixture
def theme_ids():
    from clusters.models import Theme

    return {t.slug: str(t.pk) for t in Theme.objects.all()}


def test_member_creates_a_draft_then_publishes_it(client, member, organisation, theme_ids):
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    response = client.post(
        reverse("clusters:listing-create", args=[organisation.ref]),
        listing_data(themes=[theme_ids["bioenergy"]]),
    )
    listing = Listing.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("clusters:listing-preview", args=[listing.ref])
    assert listing.status == "draft"
    assert listing.organisation == organisation
    assert listing.created_by == member
    assert listing.expires_on is not None
    # Not public yet: its public address sends its own members to the preview.
    assert client.get(listing.get_absolute_url())["Location"] == response["Location"]

    client.post(reverse("clusters:listing-publish", args=[listing.ref]))
    listing.refresh_from_db()
    assert listing.status == "published"
    assert client.get(listing.get_absolute_url()).status_code == 200


def test_listing_of_an_organisation_awaiting_approval_is_pending(client, theme_ids):
    membership = MembershipFactory(organisation__status=Organisation.Status.PENDING)
    listing = ListingFactory(organisation=membership.organisation, status="draft")
    client.force_login(membership.user)
    client.post(reverse("clusters:listing-publish", args=[listing.ref]))
    listing.refresh_from_db()
    assert listing.status == "pending"
    assert client.get(listing.get_absolute_url())["Location"] == preview_of(listing)


def test_a_listing_of_a_rejected_organisation_says_it_was_not_approved_not_soon(client):
    """ "Published as soon as our team approves your organisation", said to an organisation
    that had been told it was not approved (newcomer probe, stop 30)."""
    membership = MembershipFactory(organisation__status=Organisation.Status.REJECTED)
    listing = ListingFactory(organisation=membership.organisation, status="draft")
    client.force_login(membership.user)
    response = client.post(reverse("clusters:listing-publish", args=[listing.ref]), follow=True)
    listing.refresh_from_db()
    assert listing.status == "pending"  # published if the organisation is approved later
    html = response.content.decode()
    assert "your organisation was not approved" in html
    assert "as soon as our team approves" not in html
    assert membership.organisation.ref in html and reverse("enquiries:create") in html


def test_unverified_user_cannot_publish(client, organisation, theme_ids):
    user = UserFactory(verified=False)
    Membership.objects.create(user=user, organisation=organisation)
    listing = ListingFactory(organisation=organisation, status="draft")
    client.force_login(user)
    response = client.post(reverse("clusters:listing-publish", args=[listing.ref]), follow=True)
    listing.refresh_from_db()
    assert listing.status == "draft"
    assert "Confirm your email address" in response.content.decode()


def test_withdraw_and_reopen(client, member, organisation):
    listing = ListingFactory(organisation=organisation)
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    client.post(reverse("clusters:listing-withdraw", args=[listing.ref]))
    listing.refresh_from_db()
    assert listing.status == "withdrawn"
    assert client.get(listing.get_absolute_url())["Location"] == preview_of(listing)
    client.post(reverse("clusters:listing-publish", args=[listing.ref]))
    listing.refresh_from_db()
    assert listing.status == "published"


def test_form_errors_are_explained_and_nothing_is_saved(client, member, organisation):
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    response = client.post(
        reverse("clusters:listing-create", args=[organisation.ref]),
        listing_data(title="x" * 201, themes=["999999"], kind=""),
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "There is a problem" in html
    assert "<title>Error: " in html
    assert "Enter a title of 200 characters or fewer" in html
    assert "Select a theme from the list" in html
    assert "Select whether this is an offer or a need" in html
    assert "x" * 201 in html  # what was typed is kept
    assert not Listing.objects.exists()


def test_html_in_listing_text_is_stored_as_text_and_shown_escaped(
    client, member, organisation, theme_ids
):
    attack = '<script>alert("x")</script><b>bold</b>'
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    client.post(
        reverse("clusters:listing-create", args=[organisation.ref]),
        listing_data(title=f"Title {attack}", description=attack, themes=[theme_ids["ccus"]]),
    )
    listing = Listing.objects.get()
    assert listing.description == attack
    client.post(reverse("clusters:listing-publish", args=[listing.ref]))
    for url in [
        reverse("clusters:listing-preview", args=[listing.ref]),
        listing.get_absolute_url(),
        reverse("clusters:need-list"),
    ]:
        html = client.get(url).content.decode()
        assert "<script>alert" not in html and "<b>bold</b>" not in html, url
        assert "&lt;script&gt;" in html, url


def test_a_listing_cannot_be_posted_to_another_organisation(client, member, outsider, theme_ids):
    other = outsider.memberships.get().organisation
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    response = client.post(
        reverse("clusters:listing-create", args=[other.ref]),
        listing_data(themes=[theme_ids["ccus"]]),
    )
    assert response.status_code == 404
    assert not Listing.objects.exists()


@pytest.mark.parametrize(
    ("method", "url_name"),
    [
        ("get", "clusters:listing-edit"),
        ("get", "clusters:listing-preview"),
        ("post", "clusters:listing-publish"),
        ("post", "clusters:listing-withdraw"),
    ],
)
@pytest.mark.parametrize("status", ["draft", "published", "withdrawn"])
def test_another_organisations_user_gets_404_on_listing_management(
    client, member, organisation, outsider, method, url_name, status
):
    listing = ListingFactory(organisation=organisation, status=status)
    client.force_login(outsider)
    response = getattr(client, method)(reverse(url_name, args=[listing.ref]), listing_data())
    assert response.status_code == 404
    listing.refresh_from_db()
    assert listing.status == status


@pytest.mark.parametrize(
    ("method", "url_name"),
    [
        ("get", "clusters:organisation-detail"),
        ("get", "clusters:organisation-edit"),
        ("post", "clusters:organisation-edit"),
        ("post", "clusters:organisation-invite"),
        ("get", "clusters:listing-create"),
    ],
)
def test_another_organisations_user_gets_404_on_organisation_pages(
    client, organisation, outsider, method, url_name
):
    client.force_login(outsider)
    response = getattr(client, method)(
        reverse(url_name, args=[organisation.ref]), {"name": "Taken over", "email": "x@y.org"}
    )
    assert response.status_code == 404
    organisation.refresh_from_db()
    assert organisation.name != "Taken over"
    assert not Invitation.objects.exists()


def test_signed_out_visitors_are_sent_to_sign_in(client, organisation):
    listing = ListingFactory(organisation=organisation, status="draft")
    for url in [
        reverse("clusters:dashboard"),
        reverse("clusters:organisation-detail", args=[organisation.ref]),
        reverse("clusters:listing-edit", args=[listing.ref]),
    ]:
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_state_changes_need_post(client, member, organisation):
    listing = ListingFactory(organisation=organisation, status="draft")
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    assert client.get(reverse("clusters:listing-publish", args=[listing.ref])).status_code == 405
    assert client.get(reverse("clusters:listing-withdraw", args=[listing.ref])).status_code == 405


def test_state_changes_need_a_csrf_token(member, organisation):
    from django.test import Client

    listing = ListingFactory(organisation=organisation, status="draft")
    client = Client(enforce_csrf_checks=True)
    client.force_login(member)
    assert client.post(reverse("clusters:listing-publish", args=[listing.ref])).status_code == 403
    listing.refresh_from_db()
    assert listing.status == "draft"


def test_creating_an_organisation_makes_the_user_its_admin_awaiting_approval(client, theme_ids):
    user = UserFactory()
    client.force_login(user)
    response = client.post(
        reverse("clusters:organisation-create"),
        {
            "name": "Tees Heat Ltd",
            "kind": "business",
            "description": "Heat pumps.",
            "website": "https://teesheat.example",
            "size": "small",
            "location": "TS10",
        },
    )
    organisation = Organisation.objects.get(name="Tees Heat Ltd")
    assert response["Location"] == reverse("clusters:organisation-detail", args=[organisation.ref])
    assert organisation.status == "pending"
    assert Membership.objects.get(user=user).role == "admin"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"name": "ACME LTD"}, "already registered"),
        ({"name": ""}, "Enter your organisation’s name"),
        ({"kind": "charity"}, "Select what kind of organisation it is"),
        ({"website": "javascript:alert(1)"}, "Enter a web address in the right format"),
        ({"name": "n" * 201}, "at most 200 characters"),
        # Not marked optional, yet accepted empty (newcomer probe, stop 28).
        ({"description": "  "}, "Say what your organisation does, in a few sentences"),
    ],
)
def test_bad_organisation_details_are_explained_and_not_saved(client, data, message):
    Organisation.objects.create(ref="org-acme", name="Acme Ltd", kind="business")
    client.force_login(UserFactory())
    form = {"name": "New Org", "kind": "business", "description": "d", **data}
    response = client.post(reverse("clusters:organisation-create"), form)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert Organisation.objects.count() == 1


def test_join_request_is_approved_by_an_admin(
    client, member, organisation, django_capture_on_commit_callbacks
):
    newcomer = UserFactory()
    client.force_login(newcomer)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("clusters:organisation-join"),
            {"organisation": organisation.ref, "message": "I run the boilers"},
        )
    join_request = JoinRequest.objects.get()
    assert any(member.email in m.to for m in mail.outbox)

    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse(
                "clusters:join-request-decide", args=[organisation.ref, join_request.public_id]
            ),
            {"decision": "approve"},
        )
    assert Membership.objects.filter(user=newcomer, organisation=organisation).exists()
    assert any(newcomer.email in m.to and "You have joined" in m.subject for m in mail.outbox)


def test_deciding_a_request_decided_already_says_so_and_changes_nothing(
    client, member, organisation
):
    """Found by an outside probe: approving a declined request said "X is now a member"."""
    join_request = JoinRequest.objects.create(
        user=UserFactory(name="Carol A"), organisation=organisation
    )
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    url = reverse("clusters:join-request-decide", args=[organisation.ref, join_request.public_id])
    client.post(url, {"decision": "decline"})
    response = client.post(url, {"decision": "approve"}, follow=True)
    page = response.content.decode()
    assert "Carol A&#x27;s request was already declined: nothing was changed." in page
    assert "is now a member" not in page
    assert not Membership.objects.filter(user=join_request.user).exists()


@pytest.mark.parametrize("decision", ["accept", "", "APPROVE", None])
def test_a_decision_that_is_neither_is_refused_and_changes_nothing(
    client, member, organisation, decision
):
    """Anything but "approve" declined, and kept the person out for a month (re-probe)."""
    join_request = JoinRequest.objects.create(user=UserFactory(), organisation=organisation)
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    url = reverse("clusters:join-request-decide", args=[organisation.ref, join_request.public_id])
    page = client.post(url, {} if decision is None else {"decision": decision}, follow=True)
    assert "Choose to let them join or to decline: nothing was changed." in page.content.decode()
    join_request.refresh_from_db()
    assert join_request.status == JoinRequest.Status.OPEN


def test_a_plain_member_cannot_decide_join_requests(client, organisation):
    plain = UserFactory()
    Membership.objects.create(user=plain, organisation=organisation, role="member")
    join_request = JoinRequest.objects.create(user=UserFactory(), organisation=organisation)
    client.force_login(plain)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    response = client.post(
        reverse("clusters:join-request-decide", args=[organisation.ref, join_request.public_id]),
        {"decision": "approve"},
    )
    assert response.status_code == 404
    assert Membership.objects.filter(organisation=organisation).count() == 2


def test_invitation_is_accepted_only_by_the_invited_address(
    client, member, organisation, django_capture_on_commit_callbacks
):
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("clusters:organisation-invite", args=[organisation.ref]),
            {"email": "colleague@example.org"},
        )
    assert "colleague@example.org" in mail.outbox[-1].to
    assert "The link works until you use it" in mail.outbox[-1].body
    link = re.search(r"http://testserver(/invitations/\S+/)", mail.outbox[-1].body).group(1)

    stranger = UserFactory(email="stranger@example.org")
    client.force_login(stranger)
    response = client.post(link, follow=True)
    assert "Sign in with that address" in response.content.decode()
    assert not Membership.objects.filter(user=stranger).exists()

    colleague = UserFactory(email="colleague@example.org")
    client.force_login(colleague)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    client.post(link)
    assert Membership.objects.filter(user=colleague, organisation=organisation).exists()
    # A used invitation link no longer works.
    assert client.get(link).status_code == 404


def test_an_invitation_waits_on_your_organisation_for_the_confirmed_invited_address(
    client, member, organisation
):
    """She confirmed her address on her phone, signed in on her laptop, and the link was
    nowhere: the start page asked her to register an organisation (newcomer probe)."""
    from allauth.account.models import EmailAddress

    from clusters import services

    invitation = services.invite_member(organisation, member, "ffion@example.ac.uk")
    start = reverse("clusters:organisation-start")
    join = reverse("clusters:invitation-join", args=[invitation.pk])
    # Not confirmed yet: nothing shown, nothing joined.
    ffion = UserFactory(email="ffion@example.ac.uk", verified=False)
    EmailAddress.objects.create(user=ffion, email=ffion.email, verified=False, primary=True)
    client.force_login(ffion)
    assert organisation.name not in client.get(start).content.decode()
    assert client.post(join).status_code == 404
    # Someone else, confirmed: not theirs.
    client.force_login(UserFactory(email="other@example.ac.uk"))
    assert organisation.name not in client.get(start).content.decode()
    assert client.post(join).status_code == 404
    assert client.get(join).status_code == 405  # a GET changes nothing
    # Confirmed: the invitation is offered and one press joins.
    EmailAddress.objects.filter(user=ffion).update(verified=True)
    client.force_login(ffion)
    html = client.get(start).content.decode()
    assert f"invited you to join <strong>{organisation.name}</strong>" in html
    assert f'action="{join}"' in html
    response = client.post(join, follow=True)
    assert f"You are now a member of {organisation.name}." in response.content.decode()
    assert Membership.objects.filter(user=ffion, organisation=organisation).exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None
    assert client.post(join).status_code == 404  # used


def test_dashboard_lists_the_organisations_listings_by_status(client, member, organisation):
    ListingFactory(organisation=organisation, title="A draft idea", status="draft")
    ListingFactory(organisation=organisation, title="A live offer", status="published")
    ListingFactory(title="Someone else's offer")
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    html = client.get(reverse("clusters:dashboard"), follow=True).content.decode()
    assert "A draft idea" in html and "A live offer" in html
    assert "Someone else&#x27;s offer" not in html and "Someone else's offer" not in html
    assert "Draft (1)" in html and "Published (1)" in html


def test_a_declined_person_waits_before_asking_again_and_asks_few_a_day(
    client, member, organisation, django_capture_on_commit_callbacks
):
    """Found by an outside probe: ask, be declined, ask again, five times: each request
    emailed the admins the asker's own words from the site's address."""
    import time_machine
    from django.utils import timezone

    from clusters import services

    asker = UserFactory()
    first = services.request_to_join(asker, organisation, "Let me in")
    services.decide_join_request(first, member, approve=False)
    client.force_login(asker)
    with django_capture_on_commit_callbacks(execute=True):
        sent = len(mail.outbox)
        response = client.post(
            reverse("clusters:organisation-join"),
            {"organisation": organisation.ref, "message": "Again"},
            follow=True,
        )
    assert "declined your request on" in response.content.decode()
    assert len(mail.outbox) == sent
    assert JoinRequest.objects.filter(user=asker).count() == 1
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert services.request_to_join(asker, organisation, "A month on").status == "open"
    # At most JOIN_REQUESTS_PER_PERSON_PER_DAY organisations a day.
    other = UserFactory()
    for n in range(services.JOIN_REQUESTS_PER_PERSON_PER_DAY):
        services.request_to_join(other, MembershipFactory().organisation, f"Hello {n}")
    with pytest.raises(services.NotAllowed, match="the most allowed in one day"):
        services.request_to_join(other, MembershipFactory().organisation, "One more")
    # Asking the same organisation again while the request is open is not a new request.
    again = JoinRequest.objects.filter(user=other).first()
    assert services.request_to_join(other, again.organisation, "Again").pk == again.pk


def test_the_join_search_gives_the_true_count_and_asks_for_more_of_the_name(client):
    """44 organisations matched and the page said "20 found" (newcomer probe)."""
    from tests.factories import OrganisationFactory

    for n in range(23):  # each with an admin, who can let people join
        MembershipFactory(organisation=OrganisationFactory(name=f"Acme Heat {n:02d}"))
    OrganisationFactory(name="Zenith Steel")
    client.force_login(UserFactory())
    html = client.get(reverse("clusters:organisation-join"), {"q": "acme"}).content.decode()
    assert "23 organisations found" in html
    assert "The first 20, by name, are shown" in html
    assert html.count("Ask to join Acme Heat") == 20
    few = client.get(reverse("clusters:organisation-join"), {"q": "zenith"}).content.decode()
    assert "1 organisation found" in few and "The first 20" not in few


def test_an_empty_join_search_says_what_to_type(client):
    client.force_login(UserFactory())
    html = client.get(reverse("clusters:organisation-join"), {"q": ""}).content.decode()
    assert "Enter the name of the organisation, or part of it" in html
    assert "This field is required" not in html
    assert "govuk-error-summary" in html and "<title>Error: " in html


def test_each_organisation_found_has_its_own_message_box_and_label(client):
    """Nine cards shared id_message: each label focused the first box (newcomer probe)."""
    orgs = [MembershipFactory(organisation__name=f"Acme Heat {n}").organisation for n in range(3)]
    client.force_login(UserFactory())
    html = client.get(reverse("clusters:organisation-join"), {"q": "acme"}).content.decode()
    ids = re.findall(r'<textarea[^>]* id="([^"]+)"', html)
    assert len(ids) == 3 and len(set(ids)) == 3
    for box in ids:
        assert f'for="{box}"' in html
    # A message too long is shown against the card it was typed in, and kept.
    response = client.post(
        reverse("clusters:organisation-join") + "?q=acme",
        {"organisation": orgs[1].ref, "message": "x" * 1001},
    )
    html = response.content.decode()
    assert f'id="id_{orgs[1].ref}_message"' in html and "x" * 1001 in html
    assert not JoinRequest.objects.exists()


def test_the_join_search_keeps_where_an_unapproved_organisation_is_to_itself(client):
    """Anyone signed in can search: a pending organisation's location is not shown (probe)."""
    from tests.factories import OrganisationFactory

    OrganisationFactory(
        name="Stealth Hydrogen Startup Ltd", status=Organisation.Status.PENDING, location="HU2 8AA"
    )
    OrganisationFactory(name="Stealth Steel Ltd", location="Port Talbot")
    client.force_login(UserFactory())
    url = reverse("clusters:organisation-join")
    html = client.get(url, {"q": "  stealth hydrogen   STARTUP ltd"}).content.decode()
    assert "Stealth Hydrogen Startup Ltd" in html and "HU2 8AA" not in html
    assert "waiting for our approval" in html
    html = client.get(url, {"q": "stealth"}).content.decode()
    assert "Port Talbot" in html


def test_an_organisation_waiting_for_approval_is_found_only_by_its_whole_name(
    client, django_capture_on_commit_callbacks
):
    """Any signed-in person could list every organisation waiting for approval, a few
    letters at a time, and ask to join one by its reference (attacker probe, stop 26)."""
    from tests.factories import OrganisationFactory

    pending = OrganisationFactory(name="Zebra Pending Ltd", status=Organisation.Status.PENDING)
    MembershipFactory(organisation=pending)
    OrganisationFactory(name="Zebra Rejected Ltd", status=Organisation.Status.REJECTED)
    approved = MembershipFactory(organisation__name="Zebra Steel Ltd").organisation
    client.force_login(UserFactory())
    url = reverse("clusters:organisation-join")
    html = client.get(url, {"q": "zebra"}).content.decode()
    assert "1 organisation found" in html and "Zebra Steel Ltd" in html
    assert "Zebra Pending" not in html and "Zebra Rejected" not in html
    assert "0 organisations found" in client.get(url, {"q": "Zebra Rejected Ltd"}).content.decode()
    # Its reference alone reaches nothing (it would say its name, and email its admins).
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(url, {"organisation": pending.ref}).status_code == 404
    assert not JoinRequest.objects.exists()
    # From a search for its whole name, as the button there sends it.
    with django_capture_on_commit_callbacks(execute=True):
        client.post(f"{url}?q=Zebra+pending+LTD", {"organisation": pending.ref})
    assert JoinRequest.objects.get().organisation == pending
    # An approved organisation, from any search.
    client.post(url, {"organisation": approved.ref})
    assert JoinRequest.objects.filter(organisation=approved).exists()


@pytest.mark.parametrize("status", ["taken_down", "withdrawn", "draft", "pending"])
def test_a_member_following_a_link_to_a_listing_that_is_not_public_reaches_its_preview(
    client, member, organisation, status
):
    """Links in emails and bookmarks to a listing staff took down dead-ended in "Page not
    found" for its own organisation (usability probe)."""
    listing = not_public(organisation, status)
    client.force_login(member)
    confirm_it_is_you(client)  # inviting and deciding ask for it
    response = client.get(listing.get_absolute_url())
    assert response.status_code == 302
    assert response["Location"] == preview_of(listing)
    assert client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize("status", ["taken_down", "withdrawn", "draft", "pending"])
def test_a_listing_that_is_not_public_is_not_found_by_others(
    client, organisation, outsider, status
):
    listing = not_public(organisation, status)
    no_such = reverse("clusters:listing-detail", args=["L-NOSUCH"])
    # Once public (taken down, withdrawn): "no longer on Cluster Exchange", nothing of it
    # (tests/clusters/test_listing_gone.py); never public: as for no listing at all.
    expected = 410 if status in ("taken_down", "withdrawn") else 404
    assert client.get(listing.get_absolute_url()).status_code == expected  # signed out
    client.force_login(outsider)
    response = client.get(listing.get_absolute_url())
    assert response.status_code == expected
    assert listing.title not in response.content.decode()
    if expected == 404:  # the same page as for no listing at all: nothing says it exists
        assert title_of(response) == title_of(client.get(no_such))


def test_asking_to_join_again_while_waiting_says_nothing_new_was_sent(
    client, member, organisation, django_capture_on_commit_callbacks
):
    """A second request while one waits (a replay: the page no longer offers it) was told
    "has been sent", although nothing was (follow-up of stop 28)."""
    newcomer = UserFactory()
    client.force_login(newcomer)
    join = reverse("clusters:organisation-join")
    data = {"organisation": organisation.ref, "message": "I run the boilers"}
    with django_capture_on_commit_callbacks(execute=True):
        first = client.post(join, data, follow=True).content.decode()
    assert "has been sent to its admins" in first
    sent = len(mail.outbox)
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(join, data, follow=True).content.decode()
    assert "its admins have not decided yet: nothing new was sent" in page
    assert "has been sent to its admins" not in page
    assert len(mail.outbox) == sent
    assert JoinRequest.objects.filter(user=newcomer).count() == 1


def test_a_join_search_that_misses_a_waiting_organisation_says_to_ask_for_its_full_name(client):
    """A colleague's organisation, still waiting for approval, is found only by its whole
    name; the page only said "Check the spelling, or register your organisation", which led
    to a second registration of the same university (newcomer probe, stop 30)."""
    from tests.factories import OrganisationFactory

    OrganisationFactory(name="Swansea University Test Lab", status=Organisation.Status.PENDING)
    client.force_login(UserFactory())
    url = reverse("clusters:organisation-join")
    html = client.get(url, {"q": "Swansea"}).content.decode()
    assert "0 organisations found" in html
    assert "found only by its full name" in html and "ask them for its exact name" in html
    html = client.get(url, {"q": "swansea university test lab"}).content.decode()
    assert "1 organisation found" in html


def test_a_listing_without_a_kind_of_partner_says_what_to_choose(client, member, organisation):
    """Django's "This field is required." in the error summary (helper's note, stop 30)."""
    client.force_login(member)
    data = listing_data()
    del data["partner_kind"]
    html = client.post(
        reverse("clusters:listing-create", args=[organisation.ref]), data
    ).content.decode()
    assert "Select the kind of partner you are looking for" in html
    assert "This field is required" not in html
    assert not Listing.objects.exists()
