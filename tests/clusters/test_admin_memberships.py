"""Members of an organisation in the admin: read-only to every staff role (people join and
leave only through the site's services), and shown by name, email address and role, with no
link a moderator cannot open (outside probes)."""

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clusters.models import Listing, Membership, Organisation
from tests.factories import JoinRequestFactory, ListingFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db
USER_PAGES = "/admin/accounts/user/"


@pytest.fixture
def registrant():
    """Rhys registered a pending organisation, and is its admin."""
    return MembershipFactory(
        user__name="Rhys Evans",
        user__email="rhys@evans-hydrogen.example",
        organisation__status=Organisation.Status.PENDING,
        organisation__website="https://evans-hydrogen.example",
    )


def change_url(organisation):
    return reverse("admin:clusters_organisation_change", args=[organisation.pk])


def organisation_form(organisation, memberships, extra=(), rows=None):
    """The organisation's change form as posted, with the fields the inline of members took
    before it became read-only: a row for each of its `memberships` (changed as `rows` says,
    e.g. {membership: {"role": "admin"}}), then the `extra` rows, for new members."""
    rows = [
        {"id": m.pk, "user": m.user_id, "role": m.role, **(rows or {}).get(m, {})}
        for m in memberships
    ] + list(extra)
    data = {
        "name": organisation.name,
        "kind": organisation.kind,
        "description": organisation.description,
        "website": organisation.website,
        "size": "",
        "location": "",
        "memberships-TOTAL_FORMS": str(len(rows)),
        "memberships-INITIAL_FORMS": str(len(memberships)),
        "join_requests-TOTAL_FORMS": "0",
        "join_requests-INITIAL_FORMS": "0",
    }
    for index, row in enumerate(rows):
        data[f"memberships-{index}-organisation"] = organisation.pk
        data.update({f"memberships-{index}-{name}": value for name, value in row.items()})
    return data


def admin_links(page: str) -> set[str]:
    """The links into the admin in the page's content (not its header or sidebar)."""
    content = page[page.index('id="content"') :]
    return set(re.findall(r'href="(/admin/[^"]*)"', content))


# Memberships change only through the site's services ----------------------------------------


@pytest.mark.parametrize("who", ["programme_admin", "staff"])  # "staff" is a superuser
def test_no_staff_role_can_make_anyone_a_member_through_the_organisation_page(
    client, request, who, registrant
):
    user = request.getfixturevalue(who)
    organisation = registrant.organisation
    outsider = UserFactory()
    client.force_login(user)

    for newcomer in (user, outsider):
        extra = [{"user": newcomer.pk, "role": Membership.Role.ADMIN}]
        response = client.post(
            change_url(organisation), organisation_form(organisation, [registrant], extra)
        )
        assert response.status_code == 302  # the organisation's own details still save
        assert not Membership.objects.filter(user=newcomer).exists()

    assert list(organisation.memberships.all()) == [registrant]


@pytest.mark.parametrize("who", ["programme_admin", "staff"])
def test_no_staff_role_can_change_a_members_role_through_the_organisation_page(
    client, request, who, registrant
):
    colleague = MembershipFactory(organisation=registrant.organisation, role="member")
    memberships = [registrant, colleague]
    client.force_login(request.getfixturevalue(who))

    someone_else = UserFactory()
    rows = {
        registrant: {"role": Membership.Role.MEMBER},
        colleague: {"user": someone_else.pk, "role": Membership.Role.ADMIN},
    }
    client.post(
        change_url(registrant.organisation),
        organisation_form(registrant.organisation, memberships, rows=rows),
    )

    registrant.refresh_from_db()
    colleague.refresh_from_db()
    assert registrant.role == Membership.Role.ADMIN
    assert colleague.role == Membership.Role.MEMBER
    assert not someone_else.memberships.exists()


@pytest.mark.parametrize("who", ["programme_admin", "staff"])
def test_no_staff_role_can_remove_a_member_through_the_organisation_page(
    client, request, who, registrant
):
    client.force_login(request.getfixturevalue(who))

    client.post(
        change_url(registrant.organisation),
        organisation_form(
            registrant.organisation, [registrant], rows={registrant: {"DELETE": "on"}}
        ),
    )

    assert Membership.objects.filter(pk=registrant.pk).exists()


@pytest.mark.parametrize("who", ["moderator", "programme_admin", "staff"])
def test_the_organisation_page_opens_with_its_members_and_no_way_to_change_them(
    client, request, who, registrant
):
    client.force_login(request.getfixturevalue(who))

    response = client.get(change_url(registrant.organisation))

    assert response.status_code == 200
    page = response.content.decode()
    assert "Rhys Evans" in page and "rhys@evans-hydrogen.example" in page
    # No field of a member's row is offered: no person to pick, no role, no "Delete" box.
    assert not re.search(r'name="memberships-\d+-(user|role|DELETE)"', page)


# Who is behind an organisation, as a moderator reads it ---------------------------------------


def test_a_moderator_sees_each_members_name_email_address_and_role(client, moderator, registrant):
    MembershipFactory(
        organisation=registrant.organisation,
        role="member",
        user__name="Cerys Evans",
        user__email="cerys@evans-hydrogen.example",
    )
    client.force_login(moderator)

    response = client.get(change_url(registrant.organisation))

    rows = [
        [str(field.contents()) for fieldset in form for line in fieldset for field in line]
        for form in response.context["inline_admin_formsets"][0]
    ]
    assert [row[:3] for row in rows] == [
        ["Rhys Evans", "rhys@evans-hydrogen.example", "Admin"],
        ["Cerys Evans", "cerys@evans-hydrogen.example", "Member"],
    ]


def test_the_organisation_page_links_a_moderator_to_no_page_they_cannot_open(
    client, moderator, registrant
):
    organisation = registrant.organisation
    JoinRequestFactory(organisation=organisation, user__email="dai@elsewhere.example")
    organisation.reviewed_by = UserFactory(is_staff=True, email="reviewer@programme.example")
    organisation.reviewed_at = timezone.now()
    organisation.save()
    client.force_login(moderator)

    page = client.get(change_url(organisation)).content.decode()

    for email in ("rhys@evans-hydrogen.example", "dai@elsewhere.example"):
        assert email in page
    assert "reviewer@programme.example" in page
    links = admin_links(page)
    assert not {link for link in links if link.startswith(USER_PAGES)}
    assert {link: client.get(link).status_code for link in links} == dict.fromkeys(links, 200)


def test_the_listing_page_shows_a_moderator_who_created_it_and_took_it_down_as_text(
    client, moderator, registrant
):
    taker = UserFactory(is_staff=True, email="taker@programme.example")
    listing = ListingFactory(
        organisation=registrant.organisation,
        created_by=registrant.user,
        status=Listing.Status.TAKEN_DOWN,
        taken_down_at=timezone.now(),
        taken_down_by=taker,
    )
    client.force_login(moderator)

    page = client.get(reverse("admin:clusters_listing_change", args=[listing.pk])).content.decode()

    assert "Rhys Evans (rhys@evans-hydrogen.example)" in page
    assert f"{taker.name} (taker@programme.example)" in page
    assert not {link for link in admin_links(page) if link.startswith(USER_PAGES)}


@pytest.mark.parametrize("who", ["programme_admin", "staff"])
def test_staff_who_may_open_people_see_each_members_email_and_a_link_to_them(
    client, request, who, registrant
):
    client.force_login(request.getfixturevalue(who))

    page = client.get(change_url(registrant.organisation)).content.decode()

    assert "rhys@evans-hydrogen.example" in page
    user_page = reverse("admin:accounts_user_change", args=[registrant.user.pk])
    assert f'<a href="{user_page}">Rhys Evans</a>' in page
    assert client.get(user_page).status_code == 200


def test_the_organisation_page_makes_the_same_number_of_queries_for_1_and_8_members(
    client, moderator, registrant
):
    organisation = registrant.organisation
    JoinRequestFactory(organisation=organisation)
    client.force_login(moderator)

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(change_url(organisation)).status_code == 200
        return len(captured)

    few = queries()
    for _ in range(7):
        MembershipFactory(organisation=organisation, role="member")
        JoinRequestFactory(organisation=organisation)
    assert queries() == few
