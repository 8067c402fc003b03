"""Staff follow introductions in the admin, with or without a listing of the asker's."""

import pytest
from django.contrib.auth.models import Group
from django.urls import reverse

from staff.roles import MODERATOR, PROGRAMME_ADMIN, TRIAGER
from tests.factories import (
    ChallengeFactory,
    IntroductionFactory,
    ListingFactory,
    OrganisationFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


def staff_user(role):
    if role == "superuser":
        return UserFactory(is_staff=True, is_superuser=True)
    user = UserFactory(is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


@pytest.fixture
def introductions():
    matched = IntroductionFactory(source_listing=ListingFactory(kind="need", title="Our need"))
    from_page = IntroductionFactory(
        source_listing=None,
        from_organisation=OrganisationFactory(name="Asker from a page"),
        target_listing=ListingFactory(kind="offer", title="Their offer"),
        challenge=ChallengeFactory(title="Steam for the estuary"),
    )
    return matched, from_page


@pytest.mark.parametrize("role", [PROGRAMME_ADMIN, "superuser"])
def test_the_list_and_the_page_read_well_without_a_source_listing(client, introductions, role):
    matched, from_page = introductions
    client.force_login(staff_user(role))
    html = client.get(reverse("admin:introductions_introduction_changelist")).content.decode()
    assert "None: not about one of their listings" in html
    assert "Our need" in html
    assert "Steam for the estuary" in html
    response = client.get(reverse("admin:introductions_introduction_change", args=[from_page.pk]))
    assert response.status_code == 200
    assert "Steam for the estuary" in response.content.decode()
    # Found by the challenge's title too.
    html = client.get(
        reverse("admin:introductions_introduction_changelist") + "?q=estuary"
    ).content.decode()
    assert "Asker from a page" in html and "Our need" not in html


@pytest.mark.parametrize("role", [MODERATOR, TRIAGER])
def test_other_staff_roles_do_not_see_introductions(client, introductions, role):
    client.force_login(staff_user(role))
    response = client.get(reverse("admin:introductions_introduction_changelist"))
    assert response.status_code == 403


def test_a_signed_out_visitor_is_sent_to_sign_in(client, introductions):
    response = client.get(reverse("admin:introductions_introduction_changelist"))
    assert response.status_code == 302
