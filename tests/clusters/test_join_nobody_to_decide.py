"""Asking to join an organisation that has nobody to decide (no admin who can sign in: most
imported organisations have no members at all) is refused before anything is stored, and
the join search says so, with what to do instead, in place of "Ask to join" (newcomer probe:
"sent to its admins", and there were none)."""

import pytest
from django.core import mail
from django.urls import reverse

from clusters import services
from clusters.importer import import_exchange
from clusters.models import JoinRequest, Membership, Organisation
from outbox.models import Email
from tests.conftest import SMALL_DOCUMENT
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory

pytestmark = pytest.mark.django_db

NOBODY = "can let people join it on Cluster Exchange yet"
URL = reverse("clusters:organisation-join")


def text(response) -> str:
    return response.content.decode().replace("&#x27;", "'")


def test_an_organisation_with_no_admin_who_can_sign_in_cannot_be_asked():
    organisation = OrganisationFactory(name="Gwendraeth Tinplate Works")
    asker = UserFactory()
    with pytest.raises(services.NotAllowed, match=NOBODY):  # no members at all
        services.request_to_join(asker, organisation, "I work in the tinning line")
    MembershipFactory(organisation=organisation, role="member")
    MembershipFactory(organisation=organisation, user__is_active=False)
    with pytest.raises(services.NotAllowed, match=NOBODY):  # a plain member; an inactive admin
        services.request_to_join(asker, organisation, "I work in the tinning line")
    assert not JoinRequest.objects.exists() and not Email.objects.exists()
    admin = MembershipFactory(organisation=organisation, user__verified=False)
    assert services.request_to_join(asker, organisation, "Hello").status == "open"
    assert admin.user.email in [e.to for e in Email.objects.all()]


def test_the_join_search_says_nobody_can_let_you_in_instead_of_ask_to_join(client):
    import_exchange(SMALL_DOCUMENT)
    imported = Organisation.objects.get(name="Amine Works Ltd")
    assert not imported.memberships.exists()
    joinable = MembershipFactory(organisation__name="Amine Capture Partners").organisation
    client.force_login(UserFactory())
    html = text(client.get(URL, {"q": "amine"}))
    assert "2 organisations found" in html
    assert f"Nobody at Amine Works Ltd {NOBODY}" in html
    assert "If you work there, contact our programme team" in html
    assert f'href="{reverse("enquiries:create")}">Get in touch with our programme team' in html
    assert f'href="{reverse("clusters:organisation-create")}">Register your organisation' in html
    assert "Ask to join Amine Works Ltd" not in html
    assert f'value="{imported.ref}"' not in html
    assert f"Ask to join {joinable.name}" in html and f'value="{joinable.ref}"' in html
    # One waiting for approval has its creator as admin: it can be asked, by its whole name.
    pending = MembershipFactory(
        organisation__name="Zebra Pending Ltd", organisation__status="pending"
    ).organisation
    html = text(client.get(URL, {"q": "Zebra Pending Ltd"}))
    assert "Ask to join Zebra Pending Ltd" in html and NOBODY not in html
    client.post(f"{URL}?q=Zebra+Pending+Ltd", {"organisation": pending.ref, "message": "Hi"})
    assert JoinRequest.objects.get().organisation == pending


def test_asking_anyway_stores_nothing_emails_nobody_and_says_why(client):
    organisation = OrganisationFactory(name="Gwendraeth Tinplate Works")
    client.force_login(UserFactory())
    response = client.post(
        f"{URL}?q=tinplate",
        {"organisation": organisation.ref, "message": "I work in the tinning line"},
        follow=True,
    )
    html = text(response)
    assert f"Nobody at Gwendraeth Tinplate Works {NOBODY}" in html
    assert "has been sent to its admins" not in html
    assert not JoinRequest.objects.exists() and not Email.objects.exists() and not mail.outbox
    assert not Membership.objects.filter(organisation=organisation).exists()


def test_a_request_still_waiting_is_said_in_place_of_asking_again(client):
    """Once the asker had registered an organisation of their own, their waiting request was
    shown nowhere, and the search offered "Ask to join" again (newcomer probe, stop 28)."""
    organisation = MembershipFactory(organisation__name="Gwendraeth Tinplate Works").organisation
    other = MembershipFactory(organisation__name="Gwendraeth Steel Ltd").organisation
    asker = UserFactory()
    services.request_to_join(asker, organisation, "I work in the tinning line")
    client.force_login(asker)
    page = text(client.get(URL, {"q": "Gwendraeth"}))
    assert "You asked to join Gwendraeth Tinplate Works on" in page
    assert "Ask to join Gwendraeth Tinplate Works" not in page
    assert f"Ask to join {other.name}" in page  # not asked: offered as before
    # Someone else's request changes nothing for this person.
    client.force_login(UserFactory())
    assert "Ask to join Gwendraeth Tinplate Works" in text(client.get(URL, {"q": "Gwendraeth"}))
